"""Several training runs at once on a CPU, each in a process of its own with a fixed number of threads.

On 2 CPU cores one small UNet trains only about 1.4x faster on two threads than on one (its convolutions are
too small to keep two threads busy), so three runs trained side by side on one thread each finish sooner than one
after another on two threads each (benchmarks/bench_parallel.py prints the ratios). The number of
threads does change a run's numbers (oneDNN splits the convolutions' gradient sums by thread), so it is part of
the run (``TrainConfig.threads``, in the run key): only runs with a fixed count train side by side, with exactly
that many threads each, and they come out as they would one after another.

``train_all(configs)`` is what ``colorlib.experiments.runs`` calls for a notebook's seeds. It trains side by side
where that helps: on a CPU with more cores than one run's threads, more than one run missing from the run cache,
no DDP, and not inside ``colorlib.report --jobs`` (whose notebooks already share the cores and train one at a time).
Elsewhere it trains one run after another in this process, as ``train.train`` does.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from colorlib import runs, train
from colorlib.config import TrainConfig
from colorlib.distributed import resolve_device
from colorlib.runs import Run, TrainData

PARALLEL_ENV = "COLORLIB_PARALLEL_RUNS"
"""Most runs trained at once (default: as many as the cores hold, one more with one thread each); "1": one after
another."""


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def max_at_once(threads: int) -> int:
    """How many runs of ``threads`` threads each may train side by side here (``COLORLIB_PARALLEL_RUNS``, else
    cores // threads, plus one when one thread each: a run's own Python work leaves its core idle now and then)."""
    raw = os.environ.get(PARALLEL_ENV, "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{PARALLEL_ENV}={raw!r}: expected a whole number of runs (1 trains one at a time)") \
                from None
        if value < 1:
            raise ValueError(f"{PARALLEL_ENV}={raw!r}: expected at least 1")
        return value
    fit = _cores() // threads
    return fit + 1 if threads == 1 and fit > 1 else max(fit, 1)


def side_by_side(configs: list[TrainConfig]) -> int:
    """How many of the runs ``configs`` (those to train) to train at once here (1: one after another, in this
    process). More threads than cores in all slow every run down many times over, so never more."""
    threads = {c.threads for c in configs}
    if len(configs) < 2 or len(threads) != 1 or None in threads or os.environ.get(runs.ONE_TRAINING_ENV):
        return 1  # no fixed thread count: a run's numbers would depend on how many trained beside it
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:  # under torchrun: the ranks already share the machine
        return 1
    if any(resolve_device(c.device).type != "cpu" for c in configs):
        return 1  # an accelerator: its runs go one after another
    return min(len(configs), max_at_once(threads.pop()))


def train_all(configs: list[TrainConfig], *, retrain: bool = False, progress: bool = True,
              data: TrainData | None = None, cache_dir: str | os.PathLike | None = None) -> list[Run]:
    """Train (or load from the run cache) every config and return their runs, in order.

    ``retrain``: train each again from scratch. ``data``: the image records of every config (as for
    ``train.train``; by default each config's own images are loaded). ``cache_dir``: root of ``runs/``. The runs
    missing from the cache train side by side where :func:`side_by_side` says so, each with its own
    ``threads``; a failure in one stops the others (a run killed half-way resumes from its last checkpoint next time).
    """
    configs = [TrainConfig.coerce(c) for c in configs]
    given = TrainData.coerce(data) if data is not None else None
    # Each config's images, loaded once for its key and its training.
    datas = [given if given is not None else runs.load_data(cfg, progress=False) for cfg in configs]
    folders = [runs.run_dir(cfg, d, cache_dir)[0] for cfg, d in zip(configs, datas)]
    missing = [i for i, folder in enumerate(folders) if retrain or not (folder / "done.json").exists()]
    # Where ``data`` is given, a worker rebuilds it from the config's own images (``_job``).
    jobs = [_job(configs[i], retrain, given, runs.load_data(configs[i], progress=False) if given is not None else None,
                 cache_dir) for i in missing]
    at_once = side_by_side([configs[i] for i in missing])
    if at_once > 1 and all(job is not None for job in jobs):
        _train_side_by_side(jobs, [folders[i] for i in missing], at_once, progress)
        retrain = False  # trained just now: what follows loads them
    return [train.train(cfg, retrain=retrain, progress=progress, data=d, cache_dir=cache_dir)
            for cfg, d in zip(configs, datas)]


def _job(cfg: TrainConfig, retrain: bool, data: TrainData | None, own: TrainData, cache_dir) -> dict | None:
    """What a worker needs to train ``cfg`` as this process would, as JSON (no pickled objects cross over): the
    config, and where ``data`` replaces the config's training photos, their names among the config's own
    (``own``). None when ``data`` is not that (the run then trains in this process)."""
    job = {"config": cfg.to_dict(), "retrain": retrain, "cache_dir": None if cache_dir is None else str(cache_dir),
           "train_names": None}
    if data is None:
        return job
    names = lambda records: [str(r.name) for r in records]
    # By name only: the worker's run key hashes every image, and the worker checks that key (``main``).
    same_rest = names(data.val) == names(own.val) and names(data.style) == names(own.style)
    unique = len(set(names(own.train))) == len(own.train)
    if not same_rest or not unique or not set(names(data.train)) <= set(names(own.train)):
        return None
    job["train_names"] = names(data.train)
    return job


def _worker_data(job: dict) -> TrainData | None:
    cfg = TrainConfig.coerce(job["config"])
    if job["train_names"] is None:
        return None
    td = runs.load_data(cfg, progress=False)
    by_name = {str(r.name): r for r in td.train}
    td.train = [by_name[n] for n in job["train_names"]]
    return td


def _train_side_by_side(jobs: list[dict], folders: list[Path], at_once: int, progress: bool) -> None:
    """Train each job in a ``python -m colorlib.parallel`` process, ``at_once`` at a time, each with an equal share
    of the cores. A failed run stops the others (each resumes from its last checkpoint next time) and raises an
    error with the end of its log."""
    from tqdm.auto import tqdm

    threads = int(jobs[0]["config"]["threads"])
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    tags = ", ".join(sorted({str(j["config"].get("tag") or "run") for j in jobs}))
    bar = tqdm(total=len(jobs), unit="run", disable=not progress,
               desc=f"{tags}: {len(jobs)} runs, {at_once} at once ({threads} thread{'s' * (threads > 1)} each)")
    queue, running = list(zip(jobs, folders)), []
    with tempfile.TemporaryDirectory(prefix="colorlib-runs-") as tmp:
        try:
            while queue or running:
                while queue and len(running) < at_once:
                    job, folder = queue.pop(0)
                    n = len(jobs) - len(queue)
                    spec, log = Path(tmp) / f"job{n}.json", Path(tmp) / f"job{n}.log"
                    spec.write_text(json.dumps(job))
                    with open(log, "wb") as out:
                        proc = subprocess.Popen([sys.executable, "-m", "colorlib.parallel", str(spec), str(folder)],
                                                env=env, stdout=out, stderr=subprocess.STDOUT,
                                                preexec_fn=_end_with_parent if sys.platform == "linux" else None)
                    running.append((proc, log, folder))
                time.sleep(0.5)
                for item in [r for r in running if r[0].poll() is not None]:
                    running.remove(item)
                    proc, log, folder = item
                    if proc.returncode:
                        tail = "\n".join(log.read_text(errors="replace").strip().splitlines()[-15:])
                        raise RuntimeError(f"training run {folder} failed in its worker process (exit "
                                           f"{proc.returncode}); the end of its log:\n{tail}")
                    bar.update(1)
        finally:
            for proc, _, _ in running:  # stopped early: end the other runs now rather than when they finish
                proc.terminate()
            for proc, _, _ in running:
                proc.wait()
            bar.close()


def _end_with_parent() -> None:
    """In a worker, before it starts (Linux): have the kernel end it when the process that started it dies, so a
    killed notebook leaves no training behind (the run resumes from its last checkpoint next time)."""
    import ctypes
    import signal

    PR_SET_PDEATHSIG = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def main(argv: list[str] | None = None) -> int:
    """A worker: ``python -m colorlib.parallel JOB.json RUN_FOLDER`` trains the job and checks it landed in the
    folder the parent expects (the same run key)."""
    spec, expected = (argv if argv is not None else sys.argv[1:])
    job = json.loads(Path(spec).read_text())
    run = train.train(job["config"], retrain=job["retrain"], progress=False, data=_worker_data(job),
                      cache_dir=job["cache_dir"])
    if Path(run.dir).resolve() != Path(expected).resolve():
        print(f"worker trained {run.dir}, but the parent expected {expected}: the run keys differ", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())

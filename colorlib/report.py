"""Regenerate the report: run the numbered notebooks in order with papermill under a profile.

    python -m colorlib.report [--profile report] [--only 03 [--only 05]] [--retrain] [--list]
    python -m colorlib.report --jobs 2             # two notebooks at a time (for a warm re-run: README timings)
    python -m colorlib.report --seeds 3 4 5        # other training seeds than the profile's
    python -m colorlib.report --stability 3 4 5    # the whole report again with those seeds, into
                                                   # report/stability/seeds-3-4-5/, and report/stability.md
    python -m colorlib.report --export-only        # only re-export the chapters and report/README.md
    python -m colorlib.report --profile paper --set limit=64 --set epochs=1   # a profile with sizes changed
    python -m colorlib.report --profile paper --dry-run   # what the profile would stream, train and need

Executed copies go to ``report/NN_name.ipynb`` (kept, partial output included, when a notebook fails), every
figure a notebook writes is recorded in ``figures/manifest.json`` (notebook, profile, parameters, git commit,
date), and ``report/claims.md`` tabulates the original study's claims against our measurements, read from the
notebooks' ``report/results/NN.json`` (``colorlib.claims``). After every run, full or ``--only``, each executed
notebook is exported to a Markdown chapter in ``report/chapters/`` and the report's front page ``report/README.md``
is written (``colorlib.chapters``): those are committed, the executed copies are not. Training goes through the run
cache, so a re-run is fast.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from colorlib import agreement, chapters, claims, config, files, profiles
from colorlib.paths import REPO_DIR, cache_dir, elsewhere_env, figures_dir, report_dir

NOTEBOOKS_DIR = REPO_DIR / "notebooks"


def notebooks(only: list[str] | None = None) -> list[Path]:
    found = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    if only:
        wanted = {o.zfill(2) for o in only}
        unknown = wanted - {p.name[:2] for p in found}
        if unknown:
            raise SystemExit(f"no notebook numbered {', '.join(sorted(unknown))} in {NOTEBOOKS_DIR}")
        found = [p for p in found if p.name[:2] in wanted]
    return found


def git_state() -> dict:
    """The commit and whether the tree differs from it: ``{"commit", "dirty", "changed"}`` (the files that differ
    in colorlib/ and notebooks/, the code that makes figures). ``commit`` is "unknown" outside a git checkout."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_DIR, capture_output=True,
                                text=True, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--", "colorlib", "notebooks"], cwd=REPO_DIR,
                                capture_output=True, text=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "dirty": None, "changed": []}
    changed = sorted(line[3:] for line in status if line.strip())
    return {"commit": commit, "dirty": bool(changed), "changed": changed}


def machine() -> dict:
    """What produced the numbers: CPU model and capability, core count, torch build, Python."""
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"cpu": cpu, "cpu_capability": torch.backends.cpu.get_cpu_capability(), "cpus": os.cpu_count(),
            "torch": torch.__version__, "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "python": platform.python_version()}


def training_precision(profile: str) -> str:
    """The precision the report's runs train in under ``profile`` (its "auto" resolved on this machine, and any
    ``--set precision=...`` applied)."""
    return profiles.resolve(profile).precision


def training_threads(profile: str) -> int | None:
    """CPU threads each training run of ``profile`` uses (None: torch's default, one per core). It changes the
    order of sums, so two reports that differ in it differ like two seed sets (report/stability.md)."""
    return profiles.resolve(profile).threads


# Notebooks that time things (the picker's latency): they run alone, after the others, also with --jobs.
RUN_ALONE = ("12_style_picker",)


def run_notebook(path: Path, params: dict, out_dir: Path, figure_log: Path | None = None,
                 env: dict | None = None) -> float:
    """Execute one notebook with papermill (with the parameters its ``parameters`` cell declares), its kernel
    appending the figures it writes to ``figure_log`` and getting ``env`` on top of this process's environment;
    returns the seconds it took, raises papermill's error after saving the partial output. Safe to call from
    several threads at once (each kernel gets its own environment and working directory; nothing process-wide is
    changed)."""
    import papermill

    from colorlib import plots

    env = {**(env or {}), **({plots.FIGURE_LOG_ENV: str(figure_log)} if figure_log is not None else {})}
    declared = papermill.inspect_notebook(str(path))
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="colorlib-kernel-") as sockets:
        papermill.execute_notebook(str(path), str(out_dir / path.name),
                                   parameters={k: v for k, v in params.items() if k in declared},
                                   progress_bar=sys.stderr.isatty(), log_output=False, kernel_name="python3",
                                   kernel_manager_class=_kernel_manager(env, path.parent, Path(sockets)))
    return time.perf_counter() - t0


def _kernel_manager(env: dict, cwd: Path, sockets: Path):
    """A jupyter kernel manager class whose kernels start in ``cwd`` with this process's environment plus
    ``env``. (papermill's own ``cwd`` changes the whole process's directory, and a kernel otherwise inherits
    ``os.environ``, so neither can differ between notebooks run in threads.) On POSIX the kernel talks over Unix
    sockets in ``sockets`` (a private folder) instead of TCP on 127.0.0.1, which other users of the machine could
    reach and which ipykernel 7 warns about on every start as unencrypted."""
    from jupyter_client import AsyncKernelManager

    class KernelManagerWithEnv(AsyncKernelManager):
        async def start_kernel(self, **kw):
            kw.update(env={**os.environ, **env}, cwd=str(cwd))
            if os.name == "posix":
                # an absolute path: the kernel runs in ``cwd``, this process elsewhere, and both must find them
                self.transport, self.ip = "ipc", str(sockets / "kernel")
            return await super().start_kernel(**kw)

    return KernelManagerWithEnv


def write_manifest(entries: dict[str, dict]) -> Path:
    path = figures_dir() / "manifest.json"
    manifest = json.loads(path.read_text()) if path.exists() else {}
    manifest.update(entries)
    # Forget figures that no longer exist.
    manifest = {k: v for k, v in sorted(manifest.items()) if (figures_dir() / k).exists()}
    files.write_json(path, manifest, indent=2, sort_keys=True)
    return path


def cache_snapshot() -> dict[str, set]:
    """The finished training runs and the cached measurements (of the current code) present now."""
    from colorlib import evalcache

    return {"runs": {p.parent.name for p in (cache_dir() / "runs").glob("*/done.json")},
            "evals": {p.name for p in evalcache.entries_dir().glob("*.json")}}


def cache_state(before: dict[str, set], after: dict[str, set], retrain: bool = False) -> str:
    """How a run's time is recorded in ``timings.json``, judged by what the run added to the caches: "cold" (it
    started from an empty run cache, or ``--retrain``), "warm" (it trained nothing and measured nothing anew:
    everything came from the caches) or "partial" (anything in between, or the evaluation cache off)."""
    from colorlib import evalcache

    if retrain or not before["runs"]:
        return "cold"
    if after["runs"] - before["runs"] or after["evals"] - before["evals"] or not evalcache.enabled():
        return "partial"
    return "warm"


def schedule(todo: list[Path], jobs: int, previous: dict | None = None) -> tuple[list[Path], list[Path]]:
    """(the notebooks that may run ``jobs`` at a time, longest first by ``previous`` seconds per notebook, and
    those that run alone afterwards, in order). With one job: every notebook in order, none after."""
    if jobs <= 1:
        return list(todo), []
    alone = [p for p in todo if p.stem in RUN_ALONE]
    pooled = [p for p in todo if p.stem not in RUN_ALONE]
    previous = previous or {}
    pooled.sort(key=lambda p: -float(previous.get(p.stem) or 0))  # stable: ties keep the notebooks' order
    return pooled, alone


def _previous_times(profile: str) -> dict:
    """Seconds per notebook of the last recorded warm (else cold) run of ``profile``: the order to start them in."""
    path = report_dir() / "timings.json"
    timings = json.loads(path.read_text()).get(profile, {}) if path.exists() else {}
    return timings.get("warm") or timings.get("cold") or {}


def _figures_of(log: Path) -> set[str]:
    return set(log.read_text(encoding="utf-8").split()) if log.exists() else set()


def _run_pool(pooled: list[Path], jobs: int, start, finished, failed, keep_going: bool = False) -> int:
    """Run ``pooled`` ``jobs`` at a time, each in a kernel of its own (``start(path)`` returns its future), and
    stop starting new ones at the first failure (``keep_going``: run them all); returns 1 when one failed, else 0."""
    from concurrent.futures import FIRST_COMPLETED, wait

    queue, running, status = list(pooled), {}, 0
    go_on = lambda: keep_going or not status
    while running or (queue and go_on()):
        while queue and len(running) < jobs and go_on():
            path = queue.pop(0)
            running[start(path)] = path
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for fut in done:
            path = running.pop(fut)
            try:
                finished(path, fut.result())
            except Exception as err:  # papermill raises PapermillExecutionError with the cell's traceback
                status = failed(path, err) or status
    return status


def _run_all(todo: list[Path], params: dict, provenance: dict, jobs: int = 1,
             keep_going: bool = False) -> tuple[int, dict, dict]:
    """Run the notebooks, ``jobs`` at a time (each in its own kernel; those in ``RUN_ALONE`` alone, after the
    others), stopping at the first failure (``keep_going``: running every one, so that each failure is its own and
    not a "did not run" of the notebooks after it); returns (exit status, seconds per notebook, manifest entries of the
    figures each one wrote)."""
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    from colorlib import runs

    out_dir, times, entries = report_dir(), {}, {}
    pooled, alone = schedule(todo, jobs, _previous_times(params["profile"]) if jobs > 1 else None)
    counter = iter(range(1, len(todo) + 1))
    logs = Path(tempfile.mkdtemp(prefix="colorlib-figures-"))

    def announce(path: Path) -> Path:
        at_once = f", {jobs} at a time" if jobs > 1 and path in pooled else ""
        print(f"[{next(counter)}/{len(todo)}] {path.name} (profile {params['profile']}{at_once}) ...", flush=True)
        return path

    def finished(path: Path, seconds: float) -> None:
        times[path.stem] = round(seconds, 1)
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        for name in sorted(_figures_of(logs / f"{path.stem}.txt")):
            entries[name] = {"notebook": path.name, "profile": params["profile"], "parameters": params,
                             **provenance, "date": now}
        print(f"    {path.name} done in {seconds:.0f} s", flush=True)

    def failed(path: Path, err: Exception) -> int:
        print(f"\nFAILED: notebook {path.name} stopped with {type(err).__name__}: "
              f"{str(err).strip().splitlines()[-1] if str(err).strip() else ''}\n"
              f"partial output kept in {out_dir / path.name}", file=sys.stderr)
        return 1

    try:
        status = 0
        if jobs > 1:
            one_training = {runs.ONE_TRAINING_ENV: "1"}  # in every pooled kernel: a training waits for another
            with ThreadPoolExecutor(max_workers=jobs) as pool:  # the threads only wait on the kernels
                status = _run_pool(pooled, jobs, lambda p: pool.submit(
                    run_notebook, announce(p), params, out_dir, logs / f"{p.stem}.txt", one_training),
                    finished, failed, keep_going)
        for path in (alone if jobs > 1 else pooled) if keep_going or not status else []:
            try:
                finished(path, run_notebook(announce(path), params, out_dir, logs / f"{path.stem}.txt"))
            except Exception as err:
                status = failed(path, err)
                if not keep_going:
                    break
    finally:
        shutil.rmtree(logs, ignore_errors=True)
    return status, times, entries


def record_timings(profile: str, state: str, times: dict, total: float, seeds: list[int] | None = None,
                   jobs: int = 1) -> None:
    """Add a complete run's times to ``report/timings.json`` under its profile and cache state (with ``jobs``
    notebooks at a time the notebooks' own times overlap: ``total`` is the wall time)."""
    path = report_dir() / "timings.json"
    timings = json.loads(path.read_text()) if path.exists() else {}
    times = {**times, "total": round(total, 1), "seeds": seeds, "jobs": jobs, "precision": training_precision(profile),
             "threads": training_threads(profile), "machine": machine(),
             "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
             "load_average": round(os.getloadavg()[0], 2)}  # other processes sharing the CPU inflate times
    timings.setdefault(profile, {})[state] = times
    files.write_json(path, timings, indent=2, sort_keys=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m colorlib.report", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="report", choices=profiles.names())
    parser.add_argument("--only", action="append", metavar="NN", help="run only this notebook (repeatable)")
    parser.add_argument("--retrain", action="store_true", help="ignore the run cache and train again")
    parser.add_argument("--seeds", type=int, nargs="+", metavar="S", help="training seeds (default: the profile's)")
    parser.add_argument("--stability", type=int, nargs="+", metavar="S",
                        help="run the report with these seeds into report/stability/seeds-..., then compare its "
                             "verdicts with the main report's in report/stability.md")
    parser.add_argument("--compare-only", action="store_true",
                        help="with --stability: run nothing, compare the verdicts already in report/stability/"
                             "seeds-... with the main report's (after the main report ran again)")
    parser.add_argument("--export-only", action="store_true",
                        help="run nothing: export the executed notebooks in report/ to report/chapters/ and write "
                             "report/README.md")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE", dest="overrides",
                        help="override a parameter in every notebook that has it (YAML value, repeatable); "
                             "recorded with the results")
    parser.add_argument("--dry-run", action="store_true",
                        help="print what the profile would stream, train and need (colorlib.plan), start nothing")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="run N notebooks at a time (default 1; for a warm re-run, see the README's timings; "
                             "trainings still run one at a time, and notebook 12, which times the picker, runs alone)")
    parser.add_argument("--keep-going", action="store_true",
                        help="run every notebook even after one failed (the exit status still says it failed)")
    parser.add_argument("--list", action="store_true", help="list the notebooks and exit")
    return parser


def _overrides_and_seeds(args) -> list[int]:
    """Check the command's overrides (``COLORLIB_OVERRIDES`` and ``--set``) and put them in the environment, which
    the notebooks' kernels inherit (``profiles.resolve`` applies them in each); return the training seeds
    (``--stability``'s, ``--seeds`` or the profile's), checked too. ValueError says what is wrong."""
    forced = {**profiles.env_overrides(), **profiles.check_overrides(args.profile, config.parse_set(args.overrides))}
    if forced:
        os.environ[profiles.OVERRIDES_ENV] = json.dumps(forced)
        print(f"overrides for every notebook: {json.dumps(forced)}", flush=True)
    return list(profiles.resolve(args.profile, seeds=args.stability or args.seeds).seeds)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from colorlib import commands

    commands.set_entry_environment()  # the notebook kernels start torch: passive OpenMP waiting for them
    if args.jobs < 1:
        print(f"--jobs must be 1 or more, not {args.jobs}", file=sys.stderr)
        return 2
    todo = notebooks(args.only)
    if args.list:
        print("\n".join(p.name for p in todo))
        return 0
    if not todo:
        print(f"no notebooks found in {NOTEBOOKS_DIR}")
        return 0
    if args.export_only:
        return export_chapters()
    try:
        seeds = _overrides_and_seeds(args)
    except ValueError as err:  # a malformed --set or COLORLIB_OVERRIDES, an unknown parameter, bad seeds: one line
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.dry_run:
        from colorlib import plan

        print(plan.describe(args.profile, todo, seeds))
        return 0
    if args.stability:
        return stability(args.profile, seeds, todo, args.retrain, run=not args.compare_only, jobs=args.jobs)
    if args.compare_only:
        print("--compare-only needs --stability SEEDS (the seed set to compare with)", file=sys.stderr)
        return 2
    params = {"profile": args.profile, "retrain": bool(args.retrain), "seeds": seeds}
    status, total, entries = run_report(todo, params, timed=not args.only, jobs=args.jobs, keep_going=args.keep_going)
    claims_path = claims.write_claims(args.profile)
    if args.profile == "report" and report_dir().resolve() == (REPO_DIR / "report").resolve():
        from colorlib import readme, seedbudget, seedpool, strictness

        if seedpool.POOL_JSON.exists():  # its tables compare the pool with the report just made
            seedpool.write()
            seedbudget.write()
            strictness.write()
        if readme.update():
            print("README.md's generated blocks updated")
    print(f"{len(entries)} figure(s) recorded in {figures_dir() / 'manifest.json'}; claims in {claims_path}; "
          f"total {total:.0f} s")
    if args.profile == "report" and not args.only:
        print("to compare its verdicts with the committed ones, each difference named: make recheck")
    return max(status, export_chapters())


def export_chapters() -> int:
    """Export the executed notebooks in ``report/`` to ``report/chapters/`` and write ``report/README.md``
    (``colorlib.chapters``), then check what was written; 1 when a chapter was refused or has a problem."""
    try:
        written = chapters.export_all()
    except ValueError as err:
        print(f"FAILED: chapter(s) not written:\n{err}", file=sys.stderr)
        return 1
    problems = chapters.check(report_dir(), require_all=False)
    for problem in problems:
        print(f"FAILED: {problem}", file=sys.stderr)
    print(f"{len(written) - 1} chapter(s) exported to {chapters.chapters_dir()}; front page {written[-1]}")
    return 1 if problems else 0


def run_report(todo: list[Path], params: dict, timed: bool, jobs: int = 1,
               keep_going: bool = False) -> tuple[int, float, dict]:
    """Run the notebooks, record the figures they wrote (with the commit, whether the tree was dirty, the seeds
    and the machine) and, for a complete run (``timed``), the times. Returns (status, seconds, manifest entries)."""
    state = git_state()
    if state["dirty"]:
        print(f"WARNING: the tree differs from commit {state['commit']} in {', '.join(state['changed'])}: the figures "
              f"are recorded as made from a dirty tree (never commit them)", file=sys.stderr)
    provenance = {"git_commit": state["commit"], "dirty": state["dirty"], "changed": state["changed"],
                  "seeds": params["seeds"], "precision": training_precision(params["profile"]),
                  "threads": training_threads(params["profile"]), "machine": machine()}
    caches_before = cache_snapshot()
    started = time.perf_counter()
    status, times, entries = _run_all(todo, params, provenance, jobs, keep_going)
    total = time.perf_counter() - started
    if status == 0 and timed:
        record_timings(params["profile"], cache_state(caches_before, cache_snapshot(), params["retrain"]), times,
                       total, params["seeds"], jobs)
    write_manifest(entries)
    return status, total, entries


def stability(profile: str, seeds: list[int], todo: list[Path], retrain: bool = False, run: bool = True,
              jobs: int = 1) -> int:
    """The report again with other training seeds, into ``report/stability/seeds-<...>/`` (its figures in a
    ``figures/`` folder there, not committed), then ``report/stability.md``: every verdict under both seed sets.
    ``run=False`` only compares (the seed set's results must be there)."""
    main_report = report_dir()
    alt = main_report / "stability" / ("seeds-" + "-".join(map(str, seeds)))
    if run:
        env = elsewhere_env(alt)
        old = {k: os.environ.get(k) for k in env}
        os.environ.update(env)
        try:
            # Timed like a main run, into the stability folder's timings.json: what one more seed set costs.
            status, total, _ = run_report(todo, {"profile": profile, "retrain": bool(retrain), "seeds": list(seeds)},
                                          timed=True, jobs=jobs)
            claims.write_claims(profile)
        finally:
            for k, v in old.items():
                os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
        print(f"stability run ({', '.join(map(str, seeds))}) in {total:.0f} s: {alt}")
    elif not (alt / "results").is_dir():
        print(f"no results in {alt / 'results'}: run --stability {' '.join(map(str, seeds))} first", file=sys.stderr)
        return 2
    else:
        status = 0
    try:  # the stability run's figures manifest exists on the machine that ran it only (never committed)
        kept = [(k, agreement.report_manifest(k)) for k in agreement.kept_reports(main_report, but=alt)]
        path = agreement.write_stability(main_report, alt, figures_dir() / "manifest.json",
                                         agreement.report_manifest(alt), kept)
    except ValueError as err:
        print(f"stability.md not written: {err}", file=sys.stderr)
        return 2
    print(f"verdicts of seeds {', '.join(map(str, seeds))} compared with the main report's in {path}")
    if main_report.resolve() == (REPO_DIR / "report").resolve():
        from colorlib import readme

        if readme.update():
            print("README.md's generated blocks updated")
    return status


if __name__ == "__main__":
    sys.exit(main())

"""What training a notebook's seeds side by side buys on this CPU, and that it changes no weight.

The report profile trains every run on one CPU thread (``TrainConfig.threads=1``) and a notebook's seeds side
by side, one process each (``colorlib.parallel``). This trains the final experiment under the report profile for
three seeds, a few epochs each, three ways, each in a fresh run cache and its own subprocess:

- ``sequential, all threads``: one after another on torch's default threads (the report before threads=1);
- ``sequential, 1 thread``: one after another on one thread each (what threads=1 costs without side by side);
- ``side by side, 1 thread``: the three at once, one thread each (the report now).

The ways alternate over ``--repeats`` rounds, so a change of machine speed hits all of them alike; ratios are to
"side by side" in the same round. It also checks that "side by side" and "sequential, 1 thread" trained the
same weights, bit for bit (the run key is the same, so they must).

    .venv/bin/python benchmarks/bench_parallel.py --json benchmarks/parallel.json
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

WAYS = {"sequential, all threads": ("none", "1"), "sequential, 1 thread": ("1", "1"),
        "side by side, 1 thread": ("1", "")}

CHILD = r"""
import json, sys, time
from colorlib import experiments, parallel, profiles
threads, epochs, cache = sys.argv[1], int(sys.argv[2]), sys.argv[3]
P = profiles.resolve("report", "03")
P.threads = None if threads == "none" else int(threads)  # (resolve ignores None overrides)
cfgs = [experiments.config("final", experiments.with_seed(P, s), epochs=epochs, checkpoint_every=0) for s in (0, 1, 2)]
t0 = time.perf_counter()
done = parallel.train_all(cfgs, progress=False, cache_dir=cache)
print(json.dumps({"seconds": time.perf_counter() - t0, "folders": [str(r.dir) for r in done]}))
"""


def _weights(folder: str) -> dict:
    from safetensors.torch import load_file

    return {k: v for k, v in load_file(str(Path(folder) / "last.safetensors")).items() if k.startswith("model.")}


def _identical(a: list[str], b: list[str]) -> bool:
    import torch

    for x, y in zip(a, b):
        wx, wy = _weights(x), _weights(y)
        if wx.keys() != wy.keys() or not all(torch.equal(wx[k], wy[k]) for k in wx):
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    import tempfile

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args(argv)
    from colorlib import files, parallel, report

    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
    rounds, identical = [], []
    for r in range(args.repeats):
        times, folders = {}, {}
        with tempfile.TemporaryDirectory() as root:
            for i, (way, (threads, at_once)) in enumerate(WAYS.items()):
                cache = f"{root}/{i}"
                child_env = {**env, parallel.PARALLEL_ENV: at_once} if at_once else \
                    {k: v for k, v in env.items() if k != parallel.PARALLEL_ENV}
                out = subprocess.run([sys.executable, "-c", CHILD, threads, str(args.epochs), cache], env=child_env,
                                     capture_output=True, text=True)
                if out.returncode:
                    print(out.stderr[-3000:], file=sys.stderr)
                    return out.returncode
                got = json.loads(out.stdout.strip().splitlines()[-1])
                times[way] = got["seconds"]
                if way != "sequential, all threads":
                    folders[way] = got["folders"]
                    if len(folders) == 2:
                        identical.append(_identical(*folders.values()))
                print(f"round {r + 1}: {way}: {times[way]:.1f} s", flush=True)
        rounds.append(times)
    summary = {way: {"median_s": statistics.median(t[way] for t in rounds),
                     "vs_side_by_side": statistics.median(t[way] / t["side by side, 1 thread"] for t in rounds)}
               for way in WAYS}
    for way, s in summary.items():
        print(f"{way:26s} {s['median_s']:7.1f} s   {s['vs_side_by_side']:.2f}x the time side by side")
    print(f"side by side trained the same weights as one after another on 1 thread: {all(identical)}")
    result = {"epochs": args.epochs, "seeds": 3, "machine": report.machine(), "cores": parallel._cores(),
              "omp_wait_policy": env["OMP_WAIT_POLICY"], "rounds": rounds, "summary": summary,
              "identical_weights": all(identical)}
    if args.json:
        files.write_json(args.json, result, indent=2)  # atomically, like every file the project writes
    return 0 if all(identical) else 1


if __name__ == "__main__":
    sys.exit(main())

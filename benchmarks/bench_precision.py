"""How fast the report's training runs in each precision and memory format on this CPU, side by side.

The report profile trains with ``precision="auto"`` (bf16 where the CPU computes it natively, see
``colorlib.train.auto_precision``) and ``channels_last`` as it sets them; this measures what that buys: the real
training loop (``colorlib.train.train``) of the final experiment under the report profile, on the embedded photos
(with validation every epoch, as the report trains), for a few epochs, in fp32 and bf16, each with and without
``channels_last``. Every variant runs in its own subprocess (a fresh oneDNN kernel cache, one measurement's
memory not inherited by the next) and the variants alternate over ``--repeats`` rounds, so a change of machine
speed during the run (a shared VM) hits all of them alike; ratios are to fp32 in the same round.

OpenMP waiting is passive (``OMP_WAIT_POLICY=PASSIVE``, as ``colorlib.report`` runs its notebook kernels): spinning
threads are faster on an idle CPU but several times slower for both whenever two torch processes share it.

    .venv/bin/python benchmarks/bench_precision.py --json benchmarks/precision.json
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

VARIANTS = [("fp32", False), ("fp32", True), ("bf16", False), ("bf16", True)]

CHILD = r"""
import json, sys, tempfile, time
from colorlib import experiments, profiles, train
precision, channels_last, epochs = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
P = profiles.resolve("report", "03", precision=precision)
cfg = experiments.config("final", P, epochs=epochs, checkpoint_every=0, channels_last=channels_last)
with tempfile.TemporaryDirectory() as cache:
    t0 = time.perf_counter()
    train.train(cfg, cache_dir=cache, progress=False)
    print(json.dumps({"seconds": time.perf_counter() - t0}))
"""


def measure(precision: str, channels_last: bool, epochs: int) -> float:
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    out = subprocess.run([sys.executable, "-c", CHILD, precision, "1" if channels_last else "0", str(epochs)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json", type=Path, help="write the measurements here")
    args = parser.parse_args(argv)

    from colorlib import files, report, train

    if not train.native_bf16():
        print("this CPU has no native bfloat16 (no AVX512-BF16 or AMX): the report trains in fp32 here; "
              "bf16 is emulated and many times slower, so it is not measured")
        variants = [v for v in VARIANTS if v[0] == "fp32"]
    else:
        variants = VARIANTS
    rounds = []
    for r in range(args.repeats):
        row = {}
        for precision, cl in variants:
            name = f"{precision}{', channels_last' if cl else ''}"
            row[name] = measure(precision, cl, args.epochs)
            print(f"round {r + 1}: {name:<20} {row[name]:6.1f} s", flush=True)
        rounds.append(row)
    names = list(rounds[0])
    summary = {name: {"median_s": statistics.median(r[name] for r in rounds),
                      "speedup_vs_fp32": statistics.median(r["fp32"] / r[name] for r in rounds)} for name in names}
    print(f"\nfinal experiment, report profile, {args.epochs} epochs on the embedded photos, OMP_WAIT_POLICY=PASSIVE, "
          f"median of {args.repeats} alternating rounds:")
    for name, s in summary.items():
        print(f"  {name:<20} {s['median_s']:6.1f} s   {s['speedup_vs_fp32']:.2f}x fp32 (same round)")
    if args.json:
        import datetime as dt

        files.write_json(args.json, {"machine": report.machine(), "native_bf16": train.native_bf16(),
                                     "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                                     "epochs": args.epochs, "omp_wait_policy": "PASSIVE", "rounds": rounds,
                                     "summary": summary, "load_average_end": round(os.getloadavg()[0], 2)},
                         indent=2, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

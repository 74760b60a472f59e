"""Latency of one style-picker update (``colorlib.picker.benchmark_update``) on this machine's CPU.

One update = a slider move or a new painting with the style latents cached: latent blend, UNet at the working
size, chroma up-sampling, recombination with the lightness at 256 px, PNG encoding for the image widget.
Measured with the report's trained models when they exist, else with the shipped ones (``models/``), else with the
final architecture untrained (the same cost), at the working size and with the network at the full 256 px. Goal:
at most 100 ms. Wall-clock times vary with other load on the CPU.

    python benchmarks/bench_picker.py [--reps 30] [--size 256] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import colorlib  # noqa: E402,F401  (torchvision shim first)
import torch  # noqa: E402

from colorlib import files, inference, models, picker  # noqa: E402

GOAL_MS = picker.UPDATE_GOAL_MS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--profile", default="report")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args(argv)
    try:
        found = inference.load_models(args.profile, natural=False)
        origin = f"the {args.profile} profile's trained models"
    except inference.ModelNotFound:
        found = inference.shipped_models()  # what the picker of a fresh clone colours with (notebook 12's app)
        origin = f"the shipped models ({', '.join(found)}; no trained {args.profile} models in the run cache)"
        if not found:
            torch.manual_seed(0)
            found = {"RGB": inference.ColorModel(models.build_model("final").eval(), "RGB", 64, 64)}
            origin = "an untrained final model (no trained or shipped one found)"
    rows = []
    for label, work in (("working size", None), ("network at full size", args.size)):
        result = picker.benchmark_update(models=found, size=args.size, reps=args.reps, work_size=work)
        for name, m in result["models"].items():
            rows.append({"model": name, "network": label, "work_px": m["work_size"], **m,
                         "threads": result["threads"]})
    print(f"picker update latency, {args.size}x{args.size} photo, cached latents ({origin}); goal <= {GOAL_MS:.0f} ms")
    print(f"{'model':9} {'network':22} {'px':>4} {'median ms':>10} {'p90 ms':>8}  goal")
    for r in rows:
        ok = "ok" if r["median_ms"] <= GOAL_MS else "MISSED"
        print(f"{r['model']:9} {r['network']:22} {r['work_px']:>4} {r['median_ms']:>10.1f} {r['p90_ms']:>8.1f}  {ok}")
    if args.json:
        files.write_json(args.json, {"origin": origin, "size": args.size, "rows": rows}, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

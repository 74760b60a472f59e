"""Per training seed: how strongly the final model moves colours towards a painting (issue 15's diagnosis).

The stability table (report/stability.md) found two verdicts, C4's "transfer (final)" and S7, reproduced with
seeds 0, 1, 2 (trained in bf16 on one machine) and inconclusive with seeds 3, 4, 5 (trained in fp32 on another).
Two explanations predict different things: if the training precision made the transfer stable, seeds 3, 4, 5
trained here in bf16 give three strengths as close as seeds 0, 1, 2; if the seeds did, they give the spread the
fp32 run gave. This trains (or loads from the run cache) the final experiment of notebook 03 under the report
profile for each seed, measures the transfer strength as notebook 03 does (every held-out photo in every
painting's style), and writes one row per seed, with the run's best validation loss and the epoch it came at,
and the best validation loss of the UNet baseline (no style input at all) for reference:

    .venv/bin/python benchmarks/transfer_by_seed.py --seeds 0 1 2 3 4 5 --json report/stability/transfer_by_seed.json

Two further questions, each a flag (the runs get keys of their own): did the seeds that never learn to carry
colour only need longer (``--epochs 60``), or a style path that starts with latents of order 1 instead of about
0.005 (``--style-init he``)? One JSON file per machine and question, ``report/stability/transfer_by_seed*.json``;
``python -m colorlib.report --stability ... --compare-only`` then shows them all, side by side, in
report/stability.md.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def measure(seeds: list[int], precision: str | None, reference_seeds: list[int], epochs: int | None = None,
            style_init: str = "default", experiment: str = "final") -> dict:
    from colorlib import evaluation, experiments, files, profiles, report

    P = profiles.resolve("report", "03", seeds=seeds, precision=precision, epochs=epochs)
    test_rgb, _ = evaluation.photos(P, split="test")
    paint_rgb, paint_names = evaluation.paintings(P)
    rows = []
    for run in experiments.runs(experiment, P, model={"style_init": style_init}):
        st = evaluation.style_transfer(run, test_rgb, paint_rgb, paint_names)
        rows.append({"seed": run.config.seed, "key": run.key, "precision": run.config.precision,
                     "cached": run.cached, **{k: st.summary[k] for k in ("transfer", "ssim_l", "style_effect")},
                     "best_val": run.summary.get("best_val"), "best_epoch": run.summary.get("best_epoch"),
                     "epochs": run.config.epochs, "style_init": run.config.model.style_init,
                     # when the style path switched on shows in the training loss, epoch by epoch
                     "train_loss": [row.get("train_loss") for row in run.history],
                     # for C4's transfer part as notebook 05 tests it (an interval over seeds and paintings)
                     "transfer_per_painting": [p["transfer"] for p in st.per_painting]})
        print(f"seed {rows[-1]['seed']} ({rows[-1]['precision']}, run {run.key}): transfer {rows[-1]['transfer']:.3f}, "
              f"lightness SSIM {rows[-1]['ssim_l']:.3f}, best validation loss {rows[-1]['best_val']:.4f} "
              f"(epoch {rows[-1]['best_epoch']} of {rows[-1]['epochs']})", flush=True)
    # What the validation loss is without any style input: the UNet baseline (notebook 02's runs).
    unet = [{"seed": r.config.seed, "key": r.key, "best_val": r.summary.get("best_val"),
             "best_epoch": r.summary.get("best_epoch")}
            for r in experiments.runs("unet", profiles.resolve("report", "02", seeds=reference_seeds,
                                                                precision=precision, epochs=epochs))]
    print("UNet baseline, best validation loss: " + ", ".join(f"seed {u['seed']} {u['best_val']:.4f}" for u in unet))
    return files.jsonable({"experiment": experiment, "profile": "report", "notebook": "03", "machine": report.machine(),
                           "n_photos": len(test_rgb), "n_paintings": len(paint_rgb), "rows": rows, "unet": unet})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    parser.add_argument("--precision", choices=["fp32", "bf16"], default=None,
                        help="training precision (default: the report profile's, bf16 where the CPU has it)")
    parser.add_argument("--reference-seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="seeds of the UNet baseline whose validation loss is the no-style reference")
    parser.add_argument("--epochs", type=int, default=None,
                        help="training epochs of every run (default: the report profile's; more tests whether the "
                             "seeds that never learn to carry colour only needed longer)")
    parser.add_argument("--experiment", choices=["final", "latent16", "latent64", "latent128"], default="final",
                        help="the AdaIN configuration (notebook 05's latent-size ablation has the same lottery)")
    parser.add_argument("--style-init", choices=["default", "he"], default="default",
                        help="the style encoder's initialisation (ModelConfig.style_init; default: PyTorch's, the "
                             "study's; the report's AdaIN models use 'he', experiments.STYLE_INIT): 'he' tests "
                             "whether the style path's slow start is what some seeds miss")
    parser.add_argument("--json", type=Path, default=None, help="write the rows here")
    args = parser.parse_args(argv)
    result = measure(args.seeds, args.precision, args.reference_seeds, args.epochs, args.style_init,
                     args.experiment)
    if args.json:
        from colorlib import files

        files.write_json(args.json, result, indent=2, sort_keys=True)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

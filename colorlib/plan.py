"""What a profile would stream, train and need, without starting anything: ``python -m colorlib.report --profile
paper --dry-run`` prints it (the test suite checks that it runs offline and starts nothing).

The numbers are counted from the profile (images per split, runs per notebook, epochs, steps) and scaled by
measurements where there are some: the disk per cached image was measured on the stand-ins' 128 px PNGs; the GPU
time and memory come from ``benchmarks/gpu_check.json`` when ``benchmarks/gpu_check.py`` has run on a GPU, and
are reported as not measured until then (no number is guessed).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

from colorlib import experiments, hub, profiles
from colorlib.paths import REPO_DIR

# The experiments each notebook trains (the same table tests/test_pins.py pins); 07 adds its early snapshots
# and 08 trains "unet" on two subsets (see runs_of).
NOTEBOOK_RUNS = {"02": ["unet"], "03": ["final"], "04": ["combined", "combined_grad", "dual"],
                 "05": ["final", "latent16", "latent64", "latent128", "collapsed"],
                 "06": ["final", "lab", "mse_only", "lpips_only"], "07": list(experiments.LOSS_STUDY.values()),
                 "08": ["unet"], "09": ["loss_l1", "pix2pix"], "10": ["lab", "luv", "final"],
                 "13": ["unet", "final", "lab", "improved_lab", "improved_lab_one_scale"]}
FIRST_SEED_ONLY = {"combined_grad"}  # notebook 04 trains it once, with the first seed: it only illustrates
PNG_BYTES_PER_PIXEL = 48_711 / (128 * 190)  # mean 128 px cached PNG of the stand-ins: 48.7 kB, about 128 x 190 px
GPU_CHECK = REPO_DIR / "benchmarks" / "gpu_check.json"


def _all_or(value: int | None, P, kind: str, split: str) -> int | None:
    """``value``, or for None ("all") the images of ``split`` in the profile's local source, counted from the
    prepared dataset (a hub source is streamed and keeps None: the runs need a number there)."""
    source = P.source if kind == "photos" else P.style_source
    if value is not None or source in hub.HUB_SOURCES:
        return value
    from colorlib import data

    return len(data.load_dataset(source, kind, split))


def train_photos(P) -> int:
    """The training photos a profile uses: its ``limit``, or all of the local source's training split."""
    return _all_or(P.limit, P, "photos", "train")


def runs_of(profile: str, notebook: str, seeds: Sequence[int] | None = None) -> list[tuple[str, object, int]]:
    """(experiment, TrainConfig, training photos) of every run ``notebook`` trains under ``profile``, per seed
    (``seeds``, default the profile's)."""
    P = profiles.resolve(profile, notebook, seeds=seeds)
    photos = train_photos(P)
    photos = int(photos * P.chroma_fraction) if notebook == "08" else photos  # as experiments.chroma_split
    out = []
    for name in NOTEBOOK_RUNS.get(notebook, []):
        changes = {"epochs": P.full_epochs or P.epochs} if name == "collapsed" else {}
        if notebook == "04" and name == "dual":
            changes = {"lr": P.dual_lr, "style_lr": P.dual_lr * P.style_lr_ratio}
        for seed in P.seeds[:1] if name in FIRST_SEED_ONLY else P.seeds:
            cfg = experiments.config(name, experiments.with_seed(P, seed), **changes)
            out += [(name, cfg, photos)] * (2 if notebook == "08" else 1)  # 08: the low and the high subset
            if notebook == "07":
                early = P.early_epochs or max(1, P.epochs // 4)
                out.append((f"{name}@{early}", experiments.config(name, experiments.with_seed(P, seed),
                                                                  epochs=early), photos))
    return out


def training(profile: str, todo: list[str], seeds: Sequence[int] | None = None) -> dict:
    """Distinct runs (the run cache trains a config once), optimiser steps and images seen over ``todo``."""
    seen, steps, images = {}, 0, 0
    for nb in todo:
        for name, cfg, photos in runs_of(profile, nb, seeds):
            ident = json.dumps(cfg.to_dict(), sort_keys=True) + f"/{photos}/{nb == '08'}"
            if ident in seen:
                continue
            seen[ident] = name
            per_epoch = photos // cfg.batch_size
            steps += per_epoch * cfg.epochs
            images += per_epoch * cfg.batch_size * cfg.epochs
    return {"runs": len(seen), "steps": steps, "images": images}


def data_needs(P) -> dict:
    """Images streamed (or read from the local source) per role and the disk the pre-resize cache takes."""
    if P.source in hub.HUB_SOURCES:
        val = P.val_limit or max(1, (P.limit or 10_000) // 10)  # as colorlib.runs does for a streamed source
    else:
        val = _all_or(P.val_limit, P, "photos", "val")
    counts = {"train photos": train_photos(P), "validation photos": val,
              "held-out photos": _all_or(P.n_eval, P, "photos", "test"),
              "paintings": _all_or(P.style_limit, P, "paintings", "style")}
    sizes = {P.size, P.eval_size}
    total = sum(n or 0 for n in counts.values())
    per_image = sum(PNG_BYTES_PER_PIXEL * s * s * 190 / 128 for s in sizes)
    return {"counts": counts, "cache_bytes": total * per_image, "sizes": sorted(sizes)}


def _source_line(source: str) -> str:
    if source not in hub.HUB_SOURCES:
        return f"{source}: local"
    folder = hub.mirror_folder(source)
    if folder is not None:
        return f"{source}: local copy {folder} ({hub.MIRROR_ENV}), no network or token needed"
    token = bool(os.environ.get("HF_TOKEN")) or (Path.home() / ".cache" / "huggingface" / "token").exists()
    gated = ("; gated: accept the ImageNet terms on the hub and log in (`hf auth login` or HF_TOKEN); token "
             f"{'found' if token else 'NOT found'}") if source == "imagenet-1k" else ""
    return f"{source}: streamed from huggingface.co (needs a network){gated}"


def gpu_line(work: dict) -> list[str]:
    if not GPU_CHECK.exists():
        return ["GPU time and memory: not measured (benchmarks/gpu_check.py has not run on a GPU yet)"]
    check = json.loads(GPU_CHECK.read_text())
    hours = work["images"] / check["images_per_second"] / 3600
    return [f"GPU: measured on {check['device']}: {check['images_per_second']:.0f} img/s (final model, batch "
            f"{check['batch_size']}, {check['precision']}), peak memory {check['peak_memory_gib']:.1f} GiB",
            f"training time at that rate: {hours:.1f} h (lower bound: the full-width run of 05 is slower)"]


def describe(profile: str, todo: list[Path], seeds: Sequence[int] | None = None) -> str:
    """The plan of ``python -m colorlib.report --profile <profile>`` over the notebooks ``todo`` with training
    ``seeds`` (default the profile's), as text."""
    P = profiles.resolve(profile, seeds=seeds)
    nbs = [p.name[:2] for p in todo]
    work = training(profile, nbs, seeds)
    needs = data_needs(P)
    lines = [f"dry run of profile {profile!r} over notebooks {', '.join(nbs)} (nothing is started)",
             f"overrides: {json.dumps(P.overrides)}" if P.overrides else "overrides: none",
             _source_line(P.source), _source_line(P.style_source),
             "images: " + ", ".join(f"{k} {v if v is not None else 'all'}" for k, v in needs["counts"].items()),
             f"pre-resize cache: about {needs['cache_bytes'] / 1e6:,.0f} MB of PNGs at "
             f"{'/'.join(map(str, needs['sizes']))} px (streaming stores nothing else)",
             f"training: {work['runs']} runs (seeds {', '.join(map(str, P.seeds))}), {work['steps']:,} steps, "
             f"{work['images']:,} images at {P.size} px, batch {P.batch_size}, compile {P.compile}, "
             f"{P.num_workers} loader workers", *gpu_line(work)]
    return "\n".join(lines)

"""Test helpers for the picker, the command line and the browser test: small models whose style visibly
matters, written as colorlib checkpoints, and test images.

A model trained for a few seconds barely reacts to the style (its AdaIN projections start at zero and hardly
move), which would make "the result differs between two paintings" untestable. ``make_checkpoint`` therefore
builds the study's final architecture with *random* AdaIN projections (seeded): not a good colouriser, but
one whose output depends strongly on the style latent, which is what the plumbing tests need.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorlib import checkpoint as ck
from colorlib import models, train


def make_photos(folder: Path, n: int = 10, size: int = 48, seed: int = 0) -> Path:
    """``n`` smooth random colour images (gradients and blobs) in ``folder``; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    gen = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    for i in range(n):
        channels = []
        for _ in range(3):
            a, b, c = gen.uniform(-1, 1, 3)
            channels.append(0.5 + 0.4 * np.sin(3 * (a * xx + b * yy) + c * 6))
        arr = (np.stack(channels, -1) * 255).astype(np.uint8)
        Image.fromarray(arr).save(folder / f"photo{i:02d}.png")
    return folder


def make_checkpoint(stem: Path, space: str = "rgb", seed: int = 0, source: str | None = None,
                    size: int = 32, gain: float = 1000.0) -> Path:
    """A colorlib checkpoint ``<stem>.safetensors``/``.json`` of the final model in ``space`` with random
    (seeded) AdaIN projections; its config names ``source`` as the training photos (for the natural latent)."""
    torch.manual_seed(seed)
    cfg = train.TrainConfig(model=models.ModelConfig.preset("final", space=space), source=source or "samples",
                            size=size, epochs=1)
    model = models.build_model(cfg.model)
    with torch.no_grad():
        # A randomly initialised style encoder gives latents of about 1e-3 that differ little between images;
        # scaling its last conv (ReLU is positively homogeneous) spreads them to a few units, so that the style
        # changes the output visibly (mean |difference| 4-10 of 255 per channel between two paintings).
        last = [m for m in model.style_encoder.modules() if isinstance(m, torch.nn.Conv2d)][-1]
        last.weight.mul_(gain)
        last.bias.mul_(gain)
        for module in model.modules():
            if isinstance(module, models.AdaIN):
                torch.nn.init.normal_(module.to_scale.weight, std=0.3)
                torch.nn.init.normal_(module.to_shift.weight, std=0.6)
    model.eval()
    stem.parent.mkdir(parents=True, exist_ok=True)
    ck.save_checkpoint(stem, ck.module_tensors(model, "model."), {"kind": "best", "config": cfg.to_dict()})
    return stem


def painting(seed: int, size: int = 64) -> Image.Image:
    """A synthetic 'painting': a few flat colour bands (distinct per seed)."""
    gen = np.random.default_rng(1000 + seed)
    colours = gen.integers(0, 256, (4, 3))
    arr = np.repeat(colours, size // 4, axis=0)[:, None, :].repeat(size, axis=1).astype(np.uint8)
    return Image.fromarray(arr)


@contextlib.contextmanager
def checkpoint_env(root: Path):
    """A private ``COLORLIB_CACHE`` under ``root``, test photos and an RGB and a LAB checkpoint trained on them
    (for module-scoped fixtures: ``with checkpoint_env(tmp_path_factory.mktemp(...)) as env: yield env``)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLORLIB_CACHE", str(root / "cache"))
        photos = make_photos(root / "photos")
        stems = {s: make_checkpoint(root / f"model_{s}" / "best", s, source=str(photos)) for s in ("rgb", "lab")}
        yield {"root": root, "photos": photos, "stems": stems}

"""Test helpers for the inference pipeline, the picker, the command line and the browser test: small models
whose style visibly matters, written as colorlib checkpoints, and test images.

A model trained for a few seconds barely reacts to the style (its AdaIN projections start at zero and hardly
move), which would make "the result differs between two paintings" untestable. ``make_checkpoint`` therefore
builds the study's final architecture with *random* AdaIN projections (seeded): not a good colouriser, but
one whose output depends strongly on the style latent, which is what the plumbing tests need.
"""
from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from colorlib import checkpoint as ck
from colorlib import models
from colorlib.config import TrainConfig


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
    cfg = TrainConfig(model=models.ModelConfig.preset("final", space=space), source=source or "samples",
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


# 8-bit rounding of each channel moves Y' by at most 0.5/255, and L* by at most ~0.26 (first-order bound over
# the 8-bit sRGB cube, reached for dark saturated colours); a little float slack on top.
TOL = {"rgb": 0.5 / 255 + 1e-6, "lab": 0.27}
SHARED_CACHE = os.environ.get("COLORLIB_CACHE")  # checkpoint_env points COLORLIB_CACHE at a temporary one


@pytest.fixture(scope="module")
def model_env(tmp_path_factory):
    """``checkpoint_env`` plus its two checkpoints opened as ``inference.ColorModel``s ("RGB", "LAB")."""
    from colorlib import inference

    with checkpoint_env(tmp_path_factory.mktemp("models")) as base_env:
        stems = base_env["stems"]
        # The checkpoints name a temporary folder as their source, which is never scanned unless passed
        models_ = {cm.name: cm for cm in (inference.load_checkpoint(stems[s], natural=base_env["photos"])
                                          for s in ("rgb", "lab"))}
        yield {**base_env, "models": models_}


@pytest.fixture
def shared_cache(monkeypatch):
    """Undo the module fixture's temporary COLORLIB_CACHE: the smoke profile's data and runs live in the shared
    cache (`make test` prepares the data)."""
    if SHARED_CACHE:
        monkeypatch.setenv("COLORLIB_CACHE", SHARED_CACHE)
    else:
        monkeypatch.delenv("COLORLIB_CACHE", raising=False)


def photo(size=(96, 64), seed=0) -> Image.Image:
    """A smooth random colour photo (a 4x4 random image, bicubic up-sampled)."""
    gen = np.random.default_rng(seed)
    small = gen.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    return Image.fromarray(small).resize(size, Image.Resampling.BICUBIC)


def light(image, space):
    """Lightness of a PIL image in a model space's units: BT.601 luma (rgb) or CIE L* (lab)."""
    from colorlib import color

    rgb = np.asarray(image.convert("RGB"), dtype=np.float64) / 255
    return color.luma_bt601(rgb) if space == "rgb" else color.rgb_to_lab(rgb)[..., 0]

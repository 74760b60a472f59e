"""colorlib.inference: lightness-keeping recombination, full-resolution colourisation, model lookup and loading,
latent blending.

Models are built by tests/picker_fixture.py (the final architecture with random, style-sensitive AdaIN) and a
tiny folder of synthetic photos in a temporary cache; nothing here depends on the report's trained models.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from colorlib import color, inference, runs
from colorlib.checkpoint import CheckpointError
from colorlib.config import TrainConfig
from picker_fixture import TOL, light, model_env, painting, photo, shared_cache  # noqa: F401  (fixtures)


# ----------------------------------------------------------------------------------------- image maths
@pytest.mark.parametrize("space", ["rgb", "lab", "luv"])
def test_combine_keeps_lightness_exactly_and_stays_in_gamut(space):
    gen = torch.Generator().manual_seed(0)
    top = 1.0 if space == "rgb" else 100.0
    light = torch.rand(1, 1, 40, 40, generator=gen) * top
    chroma = (torch.rand(1, 2, 40, 40, generator=gen) - 0.5) * (2.0 if space == "rgb" else 300.0)  # far out of gamut
    rgb = inference.combine(light, chroma, space)
    assert rgb.min() >= 0 and rgb.max() <= 1
    err = (inference.lightness(rgb, space) - light).abs().max().item()
    assert err < (1e-5 if space == "rgb" else 2e-3), err


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_combine_leaves_in_gamut_colours_alone(space):
    rgb = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    light = inference.lightness(rgb, space)
    if space == "rgb":
        chroma = torch.cat([rgb[:, :1] - light, rgb[:, 2:] - light], 1)
    else:
        chroma = color.rgb_to_lab(rgb)[:, 1:]
    assert torch.allclose(inference.combine(light, chroma, space), rgb, atol=1e-4)


@pytest.mark.parametrize("seed", range(20))
def test_strip_upsampling_equals_whole_image_interpolation(seed):
    chroma = torch.randn(1, 2, 7, 9, generator=torch.Generator().manual_seed(seed))
    full = F.interpolate(chroma, size=(61, 50), mode="bilinear", align_corners=False)
    wide = inference._upsample_width(chroma, 50)
    strips = torch.cat([inference._rows_bilinear(wide, torch.arange(r, min(61, r + 13)), 61) for r in range(0, 61, 13)], -2)
    # Equal up to float32 rounding of the two interpolation orders: a few ulps of the largest value. (A fixed
    # atol of 1e-6 only passed for the global RNG state the unseeded test happened to see: 221 of 300 seeded
    # inputs exceed it, by at most 2.0e-6 for values up to about 3.5.)
    assert torch.allclose(strips, full, rtol=0, atol=16 * torch.finfo(torch.float32).eps * float(chroma.abs().max()))


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_colorize_full_keeps_size_and_lightness(model_env, space, monkeypatch):
    cm = model_env["models"][space.upper()]
    image = photo((257, 131)).convert("L")  # odd size, grey input
    latent = cm.style_latent(painting(0))
    whole = inference.colorize_full(cm, image, latent)
    monkeypatch.setattr(inference, "STRIP_PIXELS", 257 * 10)  # many strips
    stripped = inference.colorize_full(cm, image, latent)
    assert whole.size == image.size == stripped.size and whole.mode == "RGB"
    assert np.array_equal(np.asarray(whole), np.asarray(stripped))
    assert np.abs(light(whole, space) - light(image, space)).max() <= TOL[space]
    chroma = np.asarray(whole, dtype=float).std(-1).mean()
    assert chroma > 1, "the result should not be grey"


# ------------------------------------------------------------------------------------------- models
def test_natural_latent_is_the_mean_training_latent(model_env):
    from colorlib import data

    cm = model_env["models"]["RGB"]
    cfg = cm.run.config
    records = data.load_images(cfg.source, "photos", "train", cfg.size, progress=False)
    ds = data.ColorDataset(records, crop=cfg.size, train=False)
    rgb = torch.stack([ds[i]["rgb"] for i in range(len(ds))])
    with torch.no_grad():
        expected = cm.model.encode_style(rgb).mean(0, keepdim=True)
    assert cm.natural is not None and torch.allclose(cm.natural, expected, atol=1e-5)


def test_load_models_says_which_command_makes_the_missing_model(monkeypatch):
    monkeypatch.setattr(runs, "find_run", lambda cfg, **kw: None)
    with pytest.raises(inference.ModelNotFound) as err:
        inference.load_models("report")
    msg = str(err.value)
    assert "make report" in msg and "python -m colorlib.report --only 03" in msg and "--checkpoint" in msg


def test_load_checkpoint_accepts_folder_stem_and_file(model_env):
    stem = model_env["stems"]["rgb"]
    for path in (stem.parent, stem, stem.with_suffix(".safetensors"), stem.with_suffix(".json")):
        cm = inference.load_checkpoint(path, natural=False)
        assert cm.name == "RGB" and cm.work_size == 32


def test_load_checkpoint_refuses_what_it_cannot_use(model_env, tmp_path):
    from colorlib import checkpoint as ck
    from colorlib import models

    bad = tmp_path / "photo.png"
    painting(0).save(bad)
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        inference.load_checkpoint(bad)
    # A checkpoint whose tensors are of another model than its config says: the mismatch is named.
    cfg = TrainConfig(size=32)
    other = models.build_model(models.ModelConfig.preset("final", latent_dim=16))
    ck.save_checkpoint(tmp_path / "other", ck.module_tensors(other, "model."), {"config": cfg.to_dict()})
    with pytest.raises(CheckpointError, match="does not fit"):
        inference.load_checkpoint(tmp_path / "other", natural=False)
    # The UNet baseline takes no style.
    base = TrainConfig(mode="baseline", size=32)
    unet = models.build_model(base.model)
    ck.save_checkpoint(tmp_path / "unet", ck.module_tensors(unet, "model."), {"config": base.to_dict()})
    with pytest.raises(ValueError, match="takes no style"):
        inference.load_checkpoint(tmp_path / "unet", natural=False)
    with pytest.raises(FileNotFoundError):
        inference.load_checkpoint(tmp_path / "nothing")


def test_blend_interpolates_and_handles_no_style():
    a, b = torch.zeros(1, 4), torch.ones(1, 4)
    assert torch.equal(inference.blend(a, b, 0.0), a) and torch.equal(inference.blend(a, b, 1.0), b)
    assert torch.allclose(inference.blend(a, b, 0.3), torch.full((1, 4), 0.3))
    assert inference.blend(None, b, 0.2) is None and torch.equal(inference.blend(None, b, 0.7), b)


@pytest.mark.slow
def test_load_models_smoke_profile_finds_or_trains_both(shared_cache):
    models = inference.load_models("smoke", train_missing=True)
    assert set(models) == {"RGB", "LAB"}
    assert all(m.natural is not None and m.work_size == 32 for m in models.values())

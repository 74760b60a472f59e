"""The study's experiment registry (colorlib.experiments): configs are what the notebooks say, a snapshot is the start
of the longer run, colourfulness subsets, and training on given photos.

Training tests use a tiny UNet at 32 px on the embedded set's first training photos (the ``smoke`` profile);
their runs go through the ordinary run cache, like the notebooks' smoke runs.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import colorlib  # noqa: F401  (torchvision shim first)
from colorlib import experiments, metrics, profiles

TINY = {"widths": [4, 8, 8, 8, 8], "latent_dim": 8, "dropout": 0.0}


@pytest.fixture(scope="module")
def smoke():
    return profiles.resolve("smoke", "08")


def test_study_experiments_are_what_the_notebooks_say():
    P = profiles.resolve("report", "07")
    losses = [experiments.config(name, P) for name in experiments.LOSS_STUDY.values()]
    for cfg in losses:
        assert cfg.mode == "baseline" and not cfg.model.adain and cfg.model.space == "lab"
        assert cfg.model.widths == "quarter" and cfg.epochs == 20
    assert [c.loss for c in losses] == [{"mse": 1.0}, {"l1": 1.0}, {"huber": 1.0, "huber_delta": 0.1},
                                        {"lpips": 1.0, "lpips_net": "squeeze"},
                                        {"mse": 1.0, "lpips": 0.1, "lpips_net": "squeeze"}]
    p2p, l1 = experiments.config("pix2pix", profiles.resolve("report", "09")), losses[1]
    assert p2p.gan.weight == pytest.approx(1 / experiments.PIX2PIX_LAMBDA) and p2p.gan.base == 64
    assert p2p.gan.betas == (0.5, 0.999) and p2p.gan.lr == 2e-4 and p2p.gan.loss == "bce"
    # The adversarial term is the only difference between pix2pix and 07's L1 run.
    assert {**p2p.key_dict(), "gan": None} == l1.key_dict()
    luv, lab = (experiments.config(n, profiles.resolve("report", "10")) for n in ("luv", "lab"))
    assert luv.model.space == "luv" and {**luv.key_dict(), "model": None} == {**lab.key_dict(), "model": None}
    # 10 and 11 rebuild 06's and 03's runs: same keys as those notebooks' configs.
    assert lab.key_dict() == experiments.config("lab", profiles.resolve("report", "06")).key_dict()


def test_chroma_split(smoke):
    split = experiments.chroma_split(smoke, 0.5)
    s = split.summary()
    assert s["n_photos"] == smoke.limit and s["n_low"] == s["n_high"] == smoke.limit // 2
    assert s["low_max"] <= s["high_min"] and s["mean_low"] < s["mean_all"] < s["mean_high"]
    assert not {r.name for r in split.low} & {r.name for r in split.high}
    assert split.low_idx == sorted(split.low_idx)  # training order kept
    third = experiments.chroma_split(smoke, 1 / 3)
    assert len(third.low) == smoke.limit // 3 and third.summary()["low_max"] <= s["low_max"]
    with pytest.raises(ValueError, match="fraction"):
        experiments.chroma_split(smoke, 0.7)


@pytest.mark.slow
def test_snapshot_is_the_start_of_the_longer_run(smoke):
    long = experiments.run("loss_l1", smoke, progress=False, epochs=2, model=TINY)
    short = experiments.snapshot("loss_l1", smoke, 1, progress=False, model=TINY)
    assert short.weights == "last" and short.config.epochs == 1 and len(long.history) == 2
    assert experiments.same_start(short, long) == 0.0
    assert experiments.same_start(short, long, key="val_loss") == 0.0
    assert np.isnan(experiments.same_start(long, short))
    assert np.isnan(metrics.val_instability(short))


@pytest.mark.slow
def test_run_on_trains_on_the_given_photos(smoke):
    split = experiments.chroma_split(smoke, 0.5)
    run = experiments.run_on("unet", smoke, split.low, progress=False, model=TINY, loss="mse")
    manifest = json.loads((run.dir / "manifest.json").read_text())
    assert sorted(m["name"] for m in manifest if m["role"] == "train") == sorted(r.name for r in split.low)
    assert any(m["role"] == "val" for m in manifest)
    other = experiments.run_on("unet", smoke, split.high, progress=False, model=TINY, loss="mse")
    assert other.key != run.key
    assert experiments.run_on("unet", smoke, split.low, progress=False, model=TINY, loss="mse").cached

"""Measurements of colorlib.evaluation on small in-wheel photos: colour quality ratios, style transfer measured from
ready outputs, Reinhard transfer measured like a model, styled metrics.
"""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from skimage import data as skdata

import colorlib  # noqa: F401  (torchvision shim first)
from colorlib import evaluation, metrics, models

TINY = {"widths": [4, 8, 8, 8, 8], "latent_dim": 8, "dropout": 0.0}
NO_LPIPS = SimpleNamespace(lpips_net=None)


@pytest.fixture(scope="module")
def photos() -> torch.Tensor:
    imgs = [skdata.astronaut()[::8, ::8], skdata.coffee()[::6, ::6][:64, :64], skdata.chelsea()[::4, ::4][:64, :64]]
    return metrics.as_batch(np.stack(imgs))


def test_quality_ratios(photos):
    same = evaluation.quality(None, photos, NO_LPIPS, pred=photos)
    assert same["colour_ratio"] == pytest.approx(1.0) and same["detail_ratio"] == pytest.approx(1.0)
    assert same["lpips"] is None and same["psnr"] == metrics.PSNR_CAP_DB
    gray = evaluation.quality(None, photos, NO_LPIPS, pred=metrics.gray_baseline(photos))
    assert gray["colour_ratio"] == pytest.approx(0.0, abs=1e-6) and gray["detail_ratio"] < 1e-3
    assert gray["grid"] > 0 and same["grid_ab"] > 0


def test_summarise_transfer_matches_style_transfer(photos):
    torch.manual_seed(0)
    model = models.build_model(models.ModelConfig.preset("final", **TINY))
    for p in model.parameters():  # AdaIN projections start at zero; give the style path an effect
        torch.nn.init.normal_(p, std=0.05) if p.dim() > 1 else None
    styles = photos.flip(0)[:2]
    st = evaluation.style_transfer(model, photos, styles, ["a", "b"])
    again = evaluation.summarise_transfer(st.outputs, st.oracle, photos, styles, ["a", "b"])
    assert again.summary == st.summary and again.per_painting == st.per_painting


def test_reinhard_style_transfer_and_styled_metrics(photos):
    styles = torch.stack([torch.ones(3, 32, 32) * torch.tensor(c).view(3, 1, 1) for c in
                          ([0.9, 0.3, 0.2], [0.2, 0.4, 0.9])]) + 0.05 * torch.rand(2, 3, 32, 32)
    st = evaluation.reinhard_style_transfer(photos, photos, styles.clamp(0, 1), ["red", "blue"])
    assert st.outputs.shape == (3, 2, 3, 64, 64)
    # The oracle (statistics of each photo's own truth applied to itself) is the photo up to clipping.
    assert torch.allclose(st.oracle, photos, atol=2e-3)
    assert st.summary["transfer"] > 0.3 and st.summary["style_effect"] > 0.05
    m = evaluation.styled_metrics(st, photos, NO_LPIPS)
    assert m["colourfulness_true"] == pytest.approx(float(np.mean(metrics.colourfulness(photos))))
    # outputs[i, j] is compared with photo i: styling each photo with itself gives perfect scores.
    self_styled = evaluation.StyleTransfer([], {}, outputs=photos[:, None].expand(-1, 2, -1, -1, -1), oracle=photos)
    perfect = evaluation.styled_metrics(self_styled, photos, NO_LPIPS)
    assert perfect["psnr"] == metrics.PSNR_CAP_DB and perfect["ciede2000"] == pytest.approx(0.0, abs=1e-6)


def test_predict_takes_none_as_no_style_like_a_shipped_models_auto_latent(photos):
    """A shipped model that colours without a reference by plain instance normalisation has ``auto_latent()`` None:
    ``predict`` colours it as style "none" (notebook 13 stopped on this when such a model won its automatic mode)."""
    model = models.build_model(models.ModelConfig(**TINY)).eval()
    assert torch.equal(evaluation.predict(model, photos, style=None), evaluation.predict(model, photos, style="none"))

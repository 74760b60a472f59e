"""Tests of colorlib.metrics on small wheel-shipped photos (scikit-image) and constructed images."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage import data

import colorlib  # noqa: F401
from colorlib import metrics
from lpips_fixture import lpips_torch_home, squeeze_label  # noqa: F401  (session fixtures)


@pytest.fixture(scope="module")
def photos() -> torch.Tensor:
    """Two 64x64 colour photos as (2,3,64,64) in [0, 1]."""
    imgs = [data.astronaut()[::8, ::8], data.coffee()[::6, ::6][:64, :64]]
    return metrics.as_batch(np.stack(imgs))


@pytest.fixture(scope="module")
def painting() -> torch.Tensor:
    return metrics.as_batch(data.chelsea()[::5, ::5][:64, :64])


def test_inputs_tensor_and_uint8_array_agree():
    arr = data.astronaut()[::16, ::16]
    t = torch.from_numpy(arr).permute(2, 0, 1).float() / 255
    assert torch.allclose(metrics.as_batch(arr), t[None])
    assert metrics.colourfulness(arr) == pytest.approx(metrics.colourfulness(t))
    with pytest.raises(ValueError):
        metrics.as_batch(torch.rand(1, 4, 8, 8))


def test_psnr_identical_is_capped_and_known_offset(photos):
    assert metrics.psnr(photos, photos) == pytest.approx([metrics.PSNR_CAP_DB] * 2)
    assert metrics.psnr_l(photos, photos) == pytest.approx([metrics.PSNR_CAP_DB] * 2)
    flat = torch.full((1, 3, 16, 16), 0.5)
    assert metrics.psnr(flat + 0.1, flat)[0] == pytest.approx(20.0, abs=1e-4)  # MSE 0.01 -> 20 dB


def test_ssim_identical_is_one(photos):
    assert metrics.ssim(photos, photos) == pytest.approx([1.0, 1.0], abs=1e-5)
    assert metrics.ssim_l(photos, photos) == pytest.approx([1.0, 1.0], abs=1e-5)
    noisy = (photos + 0.2 * torch.randn_like(photos)).clamp(0, 1)
    assert (metrics.ssim(noisy, photos) < 0.9).all()


def test_ciede2000_identical_zero_and_ordering(photos):
    assert metrics.ciede2000(photos, photos) == pytest.approx([0.0, 0.0], abs=1e-6)
    shift = torch.tensor([0.05, -0.05, 0.0]).view(1, 3, 1, 1)
    small = metrics.ciede2000((photos + shift).clamp(0, 1), photos)
    large = metrics.ciede2000((photos + 4 * shift).clamp(0, 1), photos)
    assert (0 < small).all() and (small < large).all()


def test_colourfulness_gray_zero_and_saturated(photos):
    gray = metrics.gray_baseline(photos)
    assert (metrics.colourfulness(gray) == 0).all()
    red = torch.zeros(1, 3, 8, 8)
    red[:, 0] = 1.0
    # uniform pure red: sd = 0, mu = sqrt(255^2 + 127.5^2) -> M = 0.3 * 285.1
    assert metrics.colourfulness(red)[0] == pytest.approx(0.3 * math.hypot(255, 127.5))
    assert (metrics.colourfulness(photos) > 10).all()


def test_gray_baseline_keeps_lightness_and_has_no_chroma(photos):
    gray = metrics.gray_baseline(photos)
    assert gray.shape == photos.shape
    assert torch.equal(gray[:, 0], gray[:, 1]) and torch.equal(gray[:, 1], gray[:, 2])
    lab = metrics.lab(gray)
    assert lab[:, 1:].abs().max() < 0.05  # a*, b* of a neutral colour (conversion rounding only)
    assert (metrics.psnr_l(gray, photos) > 45).all()
    assert (metrics.ciede2000(gray, photos) > 3).all()


def test_distribution_distance_identical_zero_recoloured_larger(photos, painting):
    same = metrics.colour_distribution_distance(photos, photos)
    assert same["lab_moments"] == pytest.approx([0, 0], abs=1e-6)
    assert same["sliced_wasserstein_ab"] == pytest.approx([0, 0], abs=1e-6)
    recoloured = photos[:, [2, 0, 1]]  # channel rotation: same content, other hues
    moved = metrics.colour_distribution_distance(recoloured, photos)
    assert (moved["lab_moments"] > 5).all() and (moved["sliced_wasserstein_ab"] > 5).all()
    # Towards a style: Reinhard transfer brings each photo's colours closer to the painting's (sizes may differ).
    ref = painting[..., :48, :40]
    before = metrics.colour_distribution_distance(photos, ref)
    after = metrics.colour_distribution_distance(metrics.reinhard_transfer(photos, ref), ref)
    for key in before:
        assert (after[key] < before[key]).all()


def test_reinhard_matches_reference_lab_statistics(photos, painting):
    out = metrics.reinhard_transfer(photos, painting)
    assert out.shape == photos.shape and out.min() >= 0 and out.max() <= 1
    lab_out, lab_ref = metrics.lab(out), metrics.lab(painting)
    mean_out, mean_ref = lab_out.mean(dim=(2, 3)), lab_ref.mean(dim=(2, 3))
    std_out, std_ref = lab_out.std(dim=(2, 3)), lab_ref.std(dim=(2, 3))
    # Approximate only where gamut clipping bites; the source's own statistics were far away.
    assert torch.allclose(mean_out, mean_ref.expand_as(mean_out), atol=2.0)
    assert torch.allclose(std_out, std_ref.expand_as(std_out), atol=2.0)
    lab_src = metrics.lab(photos)
    assert (lab_src.mean(dim=(2, 3)) - mean_ref).abs().max() > 10


def test_latent_stats_dead_units():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(10, 8))
    z[:, 2] = 0.7  # same value for every style: dead
    z[:, 5] = 0.0
    stats = metrics.latent_stats(torch.from_numpy(z))
    assert stats["dead_fraction"] == pytest.approx(2 / 8)
    assert stats["spread"].shape == (8,) and stats["spread"][2] < 1e-12 and stats["spread_min"] < 1e-12
    assert stats["mean_abs"] == pytest.approx(np.abs(z).mean())
    assert stats["std"] == pytest.approx(z.std()) and stats["mean"] == pytest.approx(z.mean())
    assert metrics.latent_stats(rng.normal(size=(5, 4)))["dead_fraction"] == 0
    with pytest.raises(ValueError):
        metrics.latent_stats(np.zeros((1, 4)))


def test_evaluate_images_without_lpips(photos):
    gray = metrics.gray_baseline(photos)
    result = metrics.evaluate_images(gray, photos)
    means = {"psnr", "ssim", "psnr_l", "ssim_l", "ciede2000", "colourfulness_pred", "colourfulness_true"}
    assert set(result) == means | {"lpips", "lpips_label", "per_image"}
    assert result["colourfulness_pred"] == 0 and result["colourfulness_true"] > 10
    assert result["lpips"] is None and result["lpips_label"] is None
    assert all(isinstance(result[k], float) for k in means)
    # the per-image values behind each mean (no LPIPS without a trunk)
    assert set(result["per_image"]) == means and all(len(v) == len(photos) for v in result["per_image"].values())
    assert result["psnr"] == pytest.approx(np.mean(result["per_image"]["psnr"]))


def test_lpips_distance_with_label(squeeze_label, photos):
    values, label = metrics.lpips_distance(photos, photos, net="squeeze")
    assert label == squeeze_label
    assert values == pytest.approx([0, 0], abs=1e-6)
    result = metrics.evaluate_images(metrics.gray_baseline(photos), photos, lpips_net="squeeze")
    assert result["lpips"] > 0 and result["lpips_label"] == label


def test_chroma_detail(photos):
    flat = torch.ones(1, 3, 16, 16) * torch.tensor([0.8, 0.2, 0.1]).view(1, 3, 1, 1)
    assert metrics.chroma_detail(flat)[0] == pytest.approx(0.0, abs=1e-6)
    assert metrics.chroma_detail(metrics.gray_baseline(photos)).max() < 1e-3
    blurred = torch.nn.functional.avg_pool2d(photos, 5, stride=1, padding=2, count_include_pad=False)
    assert (metrics.chroma_detail(blurred) < metrics.chroma_detail(photos)).all()


def test_chroma_grid_score(photos):
    checker = photos.clone()
    checker[:, 0, ::2, ::2] = (checker[:, 0, ::2, ::2] + 0.3).clamp(0, 1)  # a red/green checkerboard in the chroma
    smooth, noisy = metrics.chroma_grid_score(photos), metrics.chroma_grid_score(checker)
    assert (noisy > 3 * smooth).all() and (smooth < 0.1).all()
    assert metrics.chroma_grid_score(photos[:1]).shape == (1,)

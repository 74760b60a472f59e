"""Evaluation metrics and baselines for colourisation.

Image inputs: torch tensors (B,3,H,W) or (3,H,W) with sRGB values in [0, 1], or numpy arrays (H,W,3) or
(B,H,W,3), uint8 (0-255) or float in [0, 1]. Per-image metrics return a float64 numpy array of shape (B,);
``evaluate_images`` returns batch means as plain floats (for notebooks and JSON).

- Fidelity to the ground truth: PSNR and SSIM on RGB and on CIE lightness L* (torchmetrics), mean CIEDE2000
  (scikit-image), LPIPS (``colorlib.losses``' trunk handling; every value comes with its trunk label).
- Colour itself: colourfulness (Hasler & Suesstrunk 2003) and the distance between an output's colour
  distribution and a style reference's (Lab moments, sliced Wasserstein on ab): how strongly a style moved
  the colours, independent of the ground truth.
- ``latent_stats``: spread of style-encoder latents over a set of style images.
- Baselines: ``gray_baseline`` (lightness only) and ``reinhard_transfer`` (colour-statistics transfer).

CIE L*a*b* (D65, sRGB) comes from ``colorlib.color`` (kornia on tensors; agrees with scikit-image to 1e-4).
"""
from __future__ import annotations

import math

import numpy as np
import torch
from skimage.color import deltaE_ciede2000

from colorlib.color import lab_to_rgb, rgb_to_lab

PSNR_CAP_DB = 100.0
"""PSNR reported for identical images (and anything above it): the formula gives +inf when MSE = 0, which
would turn every batch mean into inf; 100 dB is far above any real reconstruction (8-bit rounding alone is
about 59 dB)."""


def as_batch(images) -> torch.Tensor:
    """Images as a float32 CPU-or-same-device tensor (B,3,H,W) in [0, 1] (see the module docstring for inputs)."""
    if isinstance(images, np.ndarray):
        arr = images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images.astype(np.float32)
        if arr.ndim == 3:
            arr = arr[None]
        if arr.ndim != 4 or arr.shape[-1] != 3:
            raise ValueError(f"expected a (H,W,3) or (B,H,W,3) array, got shape {images.shape}")
        return torch.from_numpy(np.ascontiguousarray(arr)).permute(0, 3, 1, 2)
    if not torch.is_tensor(images):
        raise TypeError(f"expected a torch tensor or numpy array, got {type(images).__name__}")
    x = images.detach().float()
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"expected a (3,H,W) or (B,3,H,W) tensor, got shape {tuple(images.shape)}")
    return x


def _pair(pred, true) -> tuple[torch.Tensor, torch.Tensor]:
    p, t = as_batch(pred), as_batch(true)
    if p.shape != t.shape:
        raise ValueError(f"shape mismatch: {tuple(p.shape)} vs {tuple(t.shape)}")
    return p, t.to(p.device)


def _np(x: torch.Tensor) -> np.ndarray:
    return x.detach().cpu().double().numpy()


def lab(images) -> torch.Tensor:
    """CIE L*a*b* (D65) of sRGB images: (B,3,H,W), L in [0, 100], a and b roughly [-128, 127]."""
    return rgb_to_lab(as_batch(images).clamp(0, 1))


def lightness(images) -> torch.Tensor:
    """CIE L* / 100, shape (B,1,H,W), in [0, 1]."""
    return lab(images)[:, :1] / 100.0


# ---------------------------------------------------------------------------------- fidelity to the truth
def _tm():
    """torchmetrics' image functions, imported on first use: importing torchmetrics (with torchvision and
    scipy.signal) takes about 3.5 s, a large part of a warm notebook, which reads its metrics from the cache."""
    from torchmetrics.functional import image

    return image


def psnr(pred, true, cap_db: float = PSNR_CAP_DB) -> np.ndarray:
    """PSNR in dB per image on RGB in [0, 1] (data range 1); identical images give ``cap_db`` (not inf)."""
    p, t = _pair(pred, true)
    value = _tm().peak_signal_noise_ratio(p, t, data_range=1.0, reduction="none", dim=(1, 2, 3))
    return np.minimum(_np(value), cap_db)


def ssim(pred, true) -> np.ndarray:
    """SSIM per image on RGB (Gaussian window 11, sigma 1.5, data range 1, channels averaged); images >= 11 px."""
    p, t = _pair(pred, true)
    return _np(_tm().structural_similarity_index_measure(p, t, data_range=1.0, reduction="none"))


def psnr_l(pred, true, cap_db: float = PSNR_CAP_DB) -> np.ndarray:
    """PSNR per image on CIE lightness (L*/100, data range 1); identical lightness gives ``cap_db``."""
    p, t = _pair(pred, true)
    value = _tm().peak_signal_noise_ratio(lightness(p), lightness(t), data_range=1.0, reduction="none", dim=(1, 2, 3))
    return np.minimum(_np(value), cap_db)


def ssim_l(pred, true) -> np.ndarray:
    """SSIM per image on CIE lightness (L*/100, data range 1)."""
    p, t = _pair(pred, true)
    return _np(_tm().structural_similarity_index_measure(lightness(p), lightness(t), data_range=1.0, reduction="none"))


def ciede2000(pred, true) -> np.ndarray:
    """Mean CIEDE2000 colour difference per image (scikit-image); 0 for identical images, ~2.3 is a JND."""
    p, t = _pair(pred, true)
    lab_p, lab_t = (_np(lab(x)).transpose(0, 2, 3, 1) for x in (p, t))
    return deltaE_ciede2000(lab_p, lab_t, channel_axis=-1).mean(axis=(1, 2))


def lpips_distance(pred, true, net: str = "alex") -> tuple[np.ndarray | None, str | None]:
    """LPIPS per image and the label of the trunk used (``colorlib.losses`` resolves and caches it,
    falling back to SqueezeNet or to nothing offline); ``(None, None)`` when no trunk is available."""
    from colorlib.losses import LPIPSLoss, LPIPSUnavailable

    try:
        loss = LPIPSLoss(net)
    except LPIPSUnavailable:
        return None, None
    p, t = _pair(pred, true)
    with torch.no_grad():
        return _np(loss.per_image(p, t)), loss.label


# ---------------------------------------------------------------------------------------- colour itself
def colourfulness(images) -> np.ndarray:
    """Colourfulness M per image (Hasler & Suesstrunk 2003) on the 0-255 RGB scale of the paper:
    rg = R - G, yb = (R + G)/2 - B, M = sqrt(sd_rg^2 + sd_yb^2) + 0.3 sqrt(mu_rg^2 + mu_yb^2).
    A gray image (R = G = B) gives exactly 0; the paper calls ~33 "moderately", ~59 "quite", ~82 "highly"."""
    x = as_batch(images).double() * 255.0
    r, g, b = x[:, 0], x[:, 1], x[:, 2]
    rg, yb = r - g, 0.5 * (r + g) - b
    sd = torch.sqrt(rg.std(dim=(1, 2), correction=0) ** 2 + yb.std(dim=(1, 2), correction=0) ** 2)
    mu = torch.sqrt(rg.mean(dim=(1, 2)) ** 2 + yb.mean(dim=(1, 2)) ** 2)
    return _np(sd + 0.3 * mu)


def _broadcast_reference(out: torch.Tensor, ref) -> torch.Tensor:
    r = as_batch(ref).to(out.device)
    if r.shape[0] not in (1, out.shape[0]):
        raise ValueError(f"reference batch {r.shape[0]} does not match output batch {out.shape[0]} (or 1)")
    return r


def _sliced_w1(a: torch.Tensor, b: torch.Tensor, n_directions: int, bin_width: float) -> float:
    """Sliced 1-Wasserstein distance between 2-D point clouds a (N,2) and b (M,2).

    Along each direction W1 = integral of |F_a - F_b| (the two CDFs); the CDFs come from histograms with
    ``bin_width`` bins, so the result is exact up to ``bin_width`` and costs O(N) (no sort of every pixel).
    """
    angles = torch.arange(n_directions, dtype=torch.float64) * math.pi / n_directions
    dirs = torch.stack([angles.cos(), angles.sin()]).to(a)  # (2, K), evenly spaced: deterministic
    pa, pb = a @ dirs, b @ dirs
    lo = float(torch.minimum(pa.min(), pb.min()))
    n_bins = int((float(torch.maximum(pa.max(), pb.max())) - lo) / bin_width) + 2
    offsets = torch.arange(n_directions, device=a.device) * n_bins

    def cdf(proj: torch.Tensor) -> torch.Tensor:
        idx = ((proj - lo) / bin_width).long() + offsets
        hist = torch.bincount(idx.flatten(), minlength=n_directions * n_bins).view(n_directions, n_bins)
        return hist.double().cumsum(1) / proj.shape[0]

    return float(((cdf(pa) - cdf(pb)).abs().sum(1) * bin_width).mean())


def colour_distribution_distance(output, reference, n_directions: int = 64,
                                 bin_width: float = 0.05) -> dict[str, np.ndarray]:
    """How far each output's colour distribution is from its style reference's; lower = style moved further.

    ``reference`` is one image (used for the whole batch) or one per output; sizes may differ. Returns
    per-image arrays:

    - ``lab_moments``: Euclidean distance between the per-channel (mean, std) of L*, a*, b* (Lab units), the
      statistics Reinhard transfer matches; 0 when they agree.
    - ``sliced_wasserstein_ab``: sliced 1-Wasserstein distance between the two (a*, b*) pixel clouds,
      averaged over ``n_directions`` evenly spaced directions in the ab plane (deterministic), each 1-D
      distance exact up to ``bin_width`` (Lab units). Chroma only: an output keeps its photo's lightness
      layout, so L* would mostly measure the content, not the style.
    """
    out = as_batch(output)
    ref = _broadcast_reference(out, reference)
    po = lab(out).flatten(2).transpose(1, 2)  # (B, N, 3): converted once, not per image
    pr = lab(ref).flatten(2).transpose(1, 2)  # (1 or B, M, 3): a single reference is converted once
    stats_o, stats_r = (torch.cat([p.mean(1), p.std(1, correction=0)], dim=1) for p in (po.double(), pr.double()))
    moments = torch.linalg.vector_norm(stats_o - stats_r, dim=1)  # a single reference's row broadcasts
    swd = [_sliced_w1(po[i, :, 1:], pr[i if len(pr) > 1 else 0, :, 1:], n_directions, bin_width)
           for i in range(po.shape[0])]
    return {"lab_moments": _np(moments), "sliced_wasserstein_ab": np.array(swd)}


# ------------------------------------------------------------------------------------------------ latents
def latent_stats(latents, dead_tol: float = 1e-6) -> dict:
    """Statistics of style latents ``(N, D)`` (one row per style image, N >= 2).

    Returns ``mean`` and ``std`` over all entries, ``mean_abs``, ``spread`` (per-dimension std across the
    N style images, array (D,)), ``spread_mean``, ``spread_min``, and ``dead_fraction``: the share of
    dimensions whose spread is below ``dead_tol`` (a unit that gives every style the same value cannot
    carry style information). For a trained encoder over a set of styles this is expected to be ~0.
    """
    z = latents.detach().cpu().double().numpy() if torch.is_tensor(latents) else np.asarray(latents, np.float64)
    if z.ndim != 2 or z.shape[0] < 2:
        raise ValueError(f"expected latents of shape (N >= 2, D), got {z.shape}")
    spread = z.std(axis=0)
    return {
        "n": int(z.shape[0]), "dim": int(z.shape[1]),
        "mean": float(z.mean()), "std": float(z.std()), "mean_abs": float(np.abs(z).mean()),
        "spread": spread, "spread_mean": float(spread.mean()), "spread_min": float(spread.min()),
        "dead_fraction": float((spread < dead_tol).mean()),
    }


# ---------------------------------------------------------------------------------------------- baselines
def gray_baseline(rgb) -> torch.Tensor:
    """The "no colour" answer: each pixel's CIE lightness with zero chroma, as RGB (B,3,H,W) with R = G = B.

    Its L* equals the input's, so PSNR_L / SSIM_L are ideal and every colour metric shows the cost of
    predicting no colour at all.
    """
    x = as_batch(rgb)
    lab_x = lab(x)
    neutral = torch.cat([lab_x[:, :1], torch.zeros_like(lab_x[:, 1:])], dim=1)
    # lab->rgb of a*=b*=0 is neutral up to float rounding; average so the channels are exactly equal.
    gray = lab_to_rgb(neutral).mean(dim=1, keepdim=True)
    return gray.expand(-1, 3, -1, -1).contiguous()


def reinhard_transfer(source_rgb, reference_rgb, eps: float = 1e-6) -> torch.Tensor:
    """Colour-statistics transfer (Reinhard et al. 2001): shift and scale each channel of the source so its
    mean and std match the reference's, per image, then back to RGB clipped to [0, 1].

    Done in CIE L*a*b* rather than the paper's l-alpha-beta space (a documented choice: the project's colour
    space, decorrelated enough for this purpose). ``reference_rgb`` is one image or one per source.
    Out-of-gamut results are clipped, so the output's statistics match the reference's only approximately.
    """
    src = as_batch(source_rgb)
    ref = _broadcast_reference(src, reference_rgb)
    lab_s, lab_r = lab(src), lab(ref)
    mu_s, sd_s = lab_s.mean(dim=(2, 3), keepdim=True), lab_s.std(dim=(2, 3), keepdim=True, correction=0)
    mu_r, sd_r = lab_r.mean(dim=(2, 3), keepdim=True), lab_r.std(dim=(2, 3), keepdim=True, correction=0)
    out = (lab_s - mu_s) / sd_s.clamp_min(eps) * sd_r + mu_r
    out[:, :1] = out[:, :1].clamp(0, 100)
    return lab_to_rgb(out)


# ---------------------------------------------------------------------------------------------- summary
def evaluate_images(pred_rgb, true_rgb, lpips_net: str | None = None) -> dict:
    """Batch means of every ground-truth metric, as floats, and the per-image values behind them.

    Keys: psnr, ssim, psnr_l, ssim_l, ciede2000, colourfulness_pred, colourfulness_true, lpips, lpips_label, and
    ``per_image`` (the same metrics, one list entry per image: what paired comparisons between models use).
    ``lpips_net`` ("alex", "vgg", "squeeze") turns LPIPS on; with None (or no trunk available) ``lpips`` and
    ``lpips_label`` are None. PSNR values are capped at ``PSNR_CAP_DB``.
    """
    p, t = _pair(pred_rgb, true_rgb)
    per = {
        "psnr": psnr(p, t), "ssim": ssim(p, t), "psnr_l": psnr_l(p, t), "ssim_l": ssim_l(p, t),
        "ciede2000": ciede2000(p, t), "colourfulness_pred": colourfulness(p), "colourfulness_true": colourfulness(t),
    }
    result = {k: float(np.mean(v)) for k, v in per.items()}
    values, label = lpips_distance(p, t, lpips_net) if lpips_net else (None, None)
    result["lpips"] = float(np.mean(values)) if values is not None else None
    result["lpips_label"] = label
    if values is not None:
        per["lpips"] = values
    result["per_image"] = {k: [float(x) for x in v] for k, v in per.items()}
    return result


def nyquist_energy_share(channels: torch.Tensor, band: int = 1) -> np.ndarray:
    """Per image, the share of the spectral energy of ``channels`` (B,C,H,W; each channel's mean removed, energy
    summed over the channels) in the rows and columns of the 2-D FFT within ``band`` bins of the Nyquist
    frequency."""
    x = channels.double()
    spectrum = torch.fft.fftshift(torch.fft.fft2(x - x.mean(dim=(2, 3), keepdim=True)), dim=(2, 3)).abs() ** 2
    spectrum = spectrum.sum(dim=1)
    h, w = spectrum.shape[1:]
    mask = torch.zeros(h, w, dtype=torch.bool)
    mask[:band, :] = True  # after fftshift the Nyquist row/column sit at index 0
    mask[:, :band] = True
    total = spectrum.sum(dim=(1, 2)).clamp_min(1e-12)
    return _np(spectrum[:, mask].sum(dim=1) / total)


def grid_artifact_score(images, band: int = 1) -> np.ndarray:
    """Share of an image's spectral energy (DC removed, lightness) at the highest spatial frequencies, where
    the checkerboard / grid artefacts of strided transposed convolutions live: the rows and columns of the
    2-D FFT within ``band`` bins of the Nyquist frequency. Per image; compare an output with its ground truth
    (natural photos have little energy there)."""
    return nyquist_energy_share(lightness(images), band)


def chroma_detail(rgb) -> np.ndarray:
    """Colour detail per image: the mean magnitude of the spatial gradient of the chroma (a*, b*), in CIE Lab units
    per pixel. An output well under its ground truth has smoothed its colours (flat or bled chroma)."""
    ab = lab(rgb)[:, 1:].double()
    dx = ab[..., :-1, 1:] - ab[..., :-1, :-1]
    dy = ab[..., 1:, :-1] - ab[..., :-1, :-1]
    return (dx ** 2 + dy ** 2).sum(dim=1).sqrt().mean(dim=(1, 2)).cpu().numpy()


def chroma_grid_score(rgb, band: int = 1) -> np.ndarray:
    """``grid_artifact_score`` on the chroma instead of the lightness: the share of the a* and b* channels'
    spectral energy (DC removed) within ``band`` bins of the Nyquist frequency, per image. Models that predict
    only a*b* keep the input's lightness, so their checkerboard artefacts show here, not in the lightness score."""
    return nyquist_energy_share(lab(rgb)[:, 1:], band)


# ---------------------------------------------------------------------------------------------- training
def val_instability(history) -> float:
    """Mean absolute epoch-to-epoch change of the validation loss over the second half of training, relative to
    its level (how stable training was; notebooks 06 and 10); NaN with fewer than two epochs in that half.
    ``history``: a run's per-epoch rows (or the run itself)."""
    v = np.array([h["val_loss"] for h in getattr(history, "history", history) if h.get("val_loss") is not None])
    half = v[len(v) // 2:]
    return float(np.mean(np.abs(np.diff(half))) / np.mean(half)) if len(half) > 1 else float("nan")

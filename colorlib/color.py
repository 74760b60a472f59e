"""Colour spaces of the study (sRGB, CIE LAB, CIE Luv) and their mapping to the network's range.

Two layers:

* Plain conversions, ``rgb_to_lab``, ``lab_to_rgb``, ``rgb_to_luv``, ``luv_to_rgb``, ``luma_bt601``: a
  ``torch.Tensor`` (channels at dim -3, ``(..., 3, H, W)``) goes through kornia, so it is differentiable;
  a ``numpy.ndarray`` (channels last, ``(..., H, W, 3)``) goes through scikit-image. Both use D65 / 2 degree
  and agree to about 1e-4 in L*, a*, b*, u*, v* units. RGB is non-linear sRGB in [0, 1]; RGB results are
  clipped to [0, 1].
* The network's view, ``to_network`` / ``from_network`` / ``style_input`` (tensors only), with every
  normalisation constant in ``NORMALISATION`` below.

``to_uint8`` turns an RGB image in [0, 1] into 8-bit values for saving: scale by 255, round, clip. (The
original code multiplied LAB->RGB results by 256 and cast to uint8, so 1.0 became 256 -> 0: white turned black.)
"""
from __future__ import annotations

import numpy as np
import skimage.color
import torch
from kornia import color as kc

SPACES = ("rgb", "lab", "luv")

# ITU-R BT.601 luma weights (the ones kornia.color.rgb_to_grayscale uses by default).
BT601 = (0.299, 0.587, 0.114)

# Network range of each channel: network value = (value - offset) / scale.
# * Lightness L* of LAB and Luv is in [0, 100] -> [0, 1].
# * Chroma keeps 0 = neutral grey (so a zero/tanh-at-init output is grey), scaled so the sRGB gamut lands in
#   about [-1, 1]. The sRGB cube spans (measured on a 65^3 grid, D65):
#     a* [-86.2, 98.2], b* [-107.9, 94.5]  -> / 110: a [-0.78, 0.89], b [-0.98, 0.86]
#     u* [-83.1, 175.0], v* [-134.1, 107.4] -> / 180, / 140: u [-0.46, 0.97], v [-0.96, 0.77]
#   Values a tanh output can reach but the gamut cannot are clipped by the conversion back to RGB.
# * RGB targets are the image itself in [0, 1]; the RGB network's lightness input is BT.601 luma in [0, 1].
NORMALISATION = {
    "rgb": {"offset": (0.0, 0.0, 0.0), "scale": (1.0, 1.0, 1.0)},
    "lab": {"offset": (0.0, 0.0, 0.0), "scale": (100.0, 110.0, 110.0)},
    "luv": {"offset": (0.0, 0.0, 0.0), "scale": (100.0, 180.0, 140.0)},
}

# Number of channels the network predicts in each space (RGB: all three; LAB/Luv: the chroma pair).
OUT_CHANNELS = {"rgb": 3, "lab": 2, "luv": 2}


def _check_space(space: str) -> str:
    if space not in SPACES:
        raise ValueError(f"unknown colour space {space!r}; expected one of {SPACES}")
    return space


def _check_rgb_tensor(rgb: torch.Tensor, name: str = "rgb") -> None:
    if not isinstance(rgb, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(rgb).__name__}")
    if rgb.dim() < 3 or rgb.shape[-3] != 3:
        raise ValueError(f"{name} must have shape (..., 3, H, W), got {tuple(rgb.shape)}")


def _consts(space: str, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    norm = NORMALISATION[space]
    offset = torch.tensor(norm["offset"], dtype=like.dtype, device=like.device).view(3, 1, 1)
    scale = torch.tensor(norm["scale"], dtype=like.dtype, device=like.device).view(3, 1, 1)
    return offset, scale


# --------------------------------------------------------------------------------------------------------
# Plain conversions: tensors via kornia, arrays via scikit-image.


def rgb_to_lab(rgb):
    """sRGB in [0, 1] -> CIE LAB (L* in [0, 100]); tensor ``(..., 3, H, W)`` or array ``(..., H, W, 3)``."""
    if isinstance(rgb, torch.Tensor):
        return kc.rgb_to_lab(rgb)
    return skimage.color.rgb2lab(np.asarray(rgb), channel_axis=-1)


def lab_to_rgb(lab):
    """CIE LAB -> sRGB clipped to [0, 1]; tensor ``(..., 3, H, W)`` or array ``(..., H, W, 3)``."""
    if isinstance(lab, torch.Tensor):
        return kc.lab_to_rgb(lab, clip=True)
    return np.clip(skimage.color.lab2rgb(np.asarray(lab), channel_axis=-1), 0.0, 1.0)


def rgb_to_luv(rgb):
    """sRGB in [0, 1] -> CIE Luv (L* in [0, 100]); tensor ``(..., 3, H, W)`` or array ``(..., H, W, 3)``."""
    if isinstance(rgb, torch.Tensor):
        return kc.rgb_to_luv(rgb)
    return skimage.color.rgb2luv(np.asarray(rgb), channel_axis=-1)


def luv_to_rgb(luv):
    """CIE Luv -> sRGB clipped to [0, 1]; tensor ``(..., 3, H, W)`` or array ``(..., H, W, 3)``."""
    if isinstance(luv, torch.Tensor):
        # kornia does not clip Luv -> RGB; nan_to_num guards the u/(13 L) division for chroma at L* = 0.
        return torch.nan_to_num(kc.luv_to_rgb(luv), nan=0.0).clamp(0.0, 1.0)
    return np.clip(skimage.color.luv2rgb(np.asarray(luv), channel_axis=-1), 0.0, 1.0)


def luma_bt601(rgb):
    """ITU-R BT.601 luma Y' = 0.299 R' + 0.587 G' + 0.114 B' of gamma-encoded RGB.

    Tensor ``(..., 3, H, W)`` -> ``(..., 1, H, W)`` (kornia); array ``(..., H, W, 3)`` -> ``(..., H, W)``.
    (scikit-image's ``rgb2gray`` uses BT.709 weights, so arrays use the BT.601 weights directly.)
    """
    if isinstance(rgb, torch.Tensor):
        return kc.rgb_to_grayscale(rgb)
    arr = np.asarray(rgb)
    if arr.shape[-1] != 3:
        raise ValueError(f"array must have shape (..., H, W, 3), got {arr.shape}")
    return arr @ np.asarray(BT601, dtype=arr.dtype if arr.dtype.kind == "f" else np.float64)


def to_uint8(rgb):
    """RGB in [0, 1] -> uint8 in [0, 255] for saving: ``round(255 x)`` after clipping, never wrapping.

    Keeps the type and layout: a tensor gives a ``torch.uint8`` tensor, anything else a ``numpy.uint8`` array.
    """
    if isinstance(rgb, torch.Tensor):
        return (rgb.detach().float().clamp(0.0, 1.0) * 255.0).round().to(torch.uint8)
    return np.rint(np.clip(np.asarray(rgb, dtype=np.float64), 0.0, 1.0) * 255.0).astype(np.uint8)


# --------------------------------------------------------------------------------------------------------
# The network's view.


def _to_space(rgb: torch.Tensor, space: str) -> torch.Tensor:
    return kc.rgb_to_lab(rgb) if space == "lab" else kc.rgb_to_luv(rgb)


def to_network(rgb: torch.Tensor, space: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Split an RGB batch ``(B, 3, H, W)`` in [0, 1] into the network's input and target.

    Returns ``(lightness (B, 1, H, W) in [0, 1], target)``:
    rgb: BT.601 luma and the RGB image itself (3 channels);
    lab / luv: L*/100 and the chroma pair divided by ``NORMALISATION[space]["scale"]`` (2 channels, about [-1, 1]).
    Differentiable (kornia).
    """
    _check_space(space)
    _check_rgb_tensor(rgb)
    if space == "rgb":
        return kc.rgb_to_grayscale(rgb), rgb
    offset, scale = _consts(space, rgb)
    net = (_to_space(rgb, space) - offset) / scale
    return net[..., :1, :, :], net[..., 1:, :, :]


def from_network(lightness: torch.Tensor, output: torch.Tensor, space: str) -> torch.Tensor:
    """Inverse of ``to_network``: network lightness ``(B, 1, H, W)`` and output -> RGB clamped to [0, 1].

    rgb: the output itself (``lightness`` is not used); lab / luv: lightness and chroma are de-normalised and
    converted with kornia. The result is always clamped (never wrapped) and differentiable.
    """
    _check_space(space)
    want = OUT_CHANNELS[space]
    if output.dim() < 3 or output.shape[-3] != want:
        raise ValueError(f"{space} output must have {want} channels at dim -3, got shape {tuple(output.shape)}")
    if space == "rgb":
        return output.clamp(0.0, 1.0)
    if lightness.shape[-3] != 1:
        raise ValueError(f"lightness must have 1 channel at dim -3, got shape {tuple(lightness.shape)}")
    offset, scale = _consts(space, output)
    net = torch.cat([lightness.clamp(0.0, 1.0).expand_as(output[..., :1, :, :]), output], dim=-3)
    values = net * scale + offset
    return lab_to_rgb(values) if space == "lab" else luv_to_rgb(values)


def style_input(rgb: torch.Tensor, space: str) -> torch.Tensor:
    """What the style encoder sees: the RGB image itself (rgb), or its normalised chroma pair (lab / luv)."""
    _check_space(space)
    _check_rgb_tensor(rgb)
    if space == "rgb":
        return rgb
    return to_network(rgb, space)[1]

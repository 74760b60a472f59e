"""Colouring a photo with a trained model: the inference pipeline the command line and the style picker share.

* ``load_models(profile)`` finds the report's trained final model (RGB, experiment ``final``) and, when it
  exists, the LAB model (experiment ``lab``) in the run cache, without training; ``ModelNotFound`` says which
  command makes them. ``load_checkpoint(path)`` opens a run folder or a checkpoint file instead.
* ``ColorModel``: a trained ``Colorizer`` with its working size, its style size and its "natural colours"
  latent (the mean style latent of its training photos: the style used when none is picked, since a real
  user has no ground truth).
* ``colorize_full(cm, image, latent)``: any size of RGB image. The network runs at its working size (the input's
  lightness resized so the short side is ``cm.work_size``, never up-sampled except for images under ``MIN_NET_SIDE``
  px, and shrunk further when that would exceed ``NET_PIXELS``: memory is bounded whatever the input's shape; images
  more elongated than ``MAX_ASPECT``:1 are refused with ``ShapeRefused``); its chroma is up-sampled (bilinear) to
  the input's resolution and recombined with the input's own full-resolution lightness. Lightness is the one of the
  model's colour space: BT.601 luma Y' for RGB models (chroma = R - Y', B - Y'), CIE L* for LAB (chroma a*, b*) and
  Luv (u*, v*). Where the recombined colour falls outside the sRGB cube, its chroma is scaled down (towards the grey
  of the same lightness, which is always inside) instead of clipping the channels, so the lightness is kept exactly;
  only the final 8-bit rounding changes it: by at most 0.5/255 in Y', and by at most about 0.26 L* units (the
  first-order bound over the 8-bit sRGB cube, reached for dark saturated colours; 0.14 for greys).
* ``blend(a, b, alpha)``: the latent interpolation of two styles; ``mix(latents, weights)``: of several.
* ``knob_chroma``: the strength (automatic -> style colours) and saturation knobs.
"""
from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from colorlib import checkpoint as ck
from colorlib import color, data, experiments, models, paths, profiles, runs, train
from colorlib.checkpoint import CheckpointError
from colorlib.config import TrainConfig
from colorlib.models import Colorizer
from colorlib.runs import Run

NATURAL = "natural colours"
STRIP_PIXELS = 1 << 20  # full-resolution recombination works in strips of about this many pixels
MAX_WORK_SIZE = 1024  # cap of the working size (--work-size): the network's memory grows with its square
NET_PIXELS = MAX_WORK_SIZE ** 2  # pixel budget of the network's input, whatever the image's shape
MAX_ASPECT = 100  # long side / short side; a stronger strip is refused (ShapeRefused)
MIN_NET_SIDE = models.MIN_SIDE  # an image with a shorter short side is up-sampled to it for the network
BUILTIN_SOURCES = ("gcompris", "samples")  # colorlib's own data sets: the only ones a checkpoint can name for
# "natural colours" (a checkpoint's recorded folder or hub name is never scanned, see from_run)
MODEL_NAMES = {"rgb": "RGB", "lab": "LAB", "luv": "Luv"}

# Experiments the picker and the command line offer and the notebook whose profile section they are trained under.
EXPERIMENTS = (("final", "03"), ("lab", "06"))


# ============================================================================================ models
class ModelNotFound(FileNotFoundError):
    """No trained model where one was looked for; the message names the command that makes it."""


class ShapeRefused(ValueError):
    """An image too elongated for the network (long side over ``MAX_ASPECT`` times the short side)."""


# ============================================================================================ models
@dataclass
class ColorModel:
    """A trained colouriser ready for inference.

    ``work_size``: short side (px) of the network's input (default: the short side its training images were
    resized to); ``style_size``: short side a style image is resized to before the style encoder (the same
    scale it saw in training); ``natural``: the mean style latent ``(1, D)`` of its training photos, or None
    (then "natural colours" means no style: plain instance normalisation).
    """

    model: Colorizer
    name: str
    work_size: int
    style_size: int
    natural: torch.Tensor | None = None
    origin: str = ""
    run: Run | None = field(default=None, repr=False)
    auto: str = "natural"  # how it colours without a reference: "none", "natural" or "head" (its auto head)

    @property
    def space(self) -> str:
        return self.model.cfg.space

    @property
    def takes_style(self) -> bool:
        """Whether a style image can steer it (False for the UNet baseline)."""
        return self.model.style_encoder is not None

    def auto_latent(self) -> torch.Tensor | str | None:
        """The ``latent`` argument of ``colorize_full`` that colours without a reference image."""
        if self.auto == "head":
            return "auto"
        return self.natural if self.auto == "natural" else None

    @torch.no_grad()
    def style_latent(self, image: Image.Image) -> torch.Tensor:
        """Latent ``(1, D)`` of a style image (any size and mode; resized so the short side is ``style_size``;
        ``ShapeRefused`` beyond ``MAX_ASPECT``:1)."""
        if not self.takes_style:
            raise ValueError(f"{self.name} ({self.origin}) colours without a reference and takes no style image")
        image = data.open_rgb(image, min_side=1)
        check_shape(image.size)
        rgb = data.resize_short_side(image, self.style_size)
        t = data.to_tensor(rgb)[None]
        self.model.eval()
        device = next(self.model.parameters()).device
        return self.model.encode_style(color.style_input(t.to(device), self.space)).cpu()


def from_run(run: Run, name: str | None = None, natural: bool | str | os.PathLike | torch.Tensor | None = True,
             work_size: int | None = None, trusted: bool = True) -> ColorModel:
    """A ``ColorModel`` from a ``runs.Run``. ``natural``: True computes the mean latent of the run's training
    photos (falls back to None with a warning when they cannot be loaded), a folder computes it from that
    folder's photos, a tensor is used as is. ``trusted=False`` (a run or checkpoint opened by path): its config's
    ``source`` is only used when it is one of ``BUILTIN_SOURCES``; a folder or hub name recorded in a file is
    never scanned (the default style is then "no style", with a warning)."""
    cfg = run.config
    if not cfg.model.adain:
        raise ValueError(f"{run.dir}: this run is the UNet baseline without AdaIN ({cfg.tag or cfg.mode}): "
                         f"it takes no style; use the final model (experiment 'final')")
    train_size = cfg.resize or cfg.size
    cm = ColorModel(run.model.cpu().eval(), name or MODEL_NAMES.get(cfg.model.space, cfg.model.space),
                    work_size or train_size, train_size, None, str(run.dir), run)
    if isinstance(natural, torch.Tensor):
        cm.natural = natural.reshape(1, -1).float()
    elif isinstance(natural, (str, os.PathLike)):
        cm.natural = natural_latent(cm, cfg, source=str(natural))
    elif natural is True and (trusted or cfg.source in BUILTIN_SOURCES):
        cm.natural = natural_latent(cm, cfg)
    elif natural is True:
        warnings.warn(f"natural colours: {cm.origin} was trained on {cfg.source!r}, not on one of colorlib's own "
                      f"data sets {BUILTIN_SOURCES}; folders and hub names recorded in a checkpoint are never "
                      f"scanned, so the default style is 'no style'. load_checkpoint(PATH, natural=FOLDER) "
                      f"computes it from a folder you choose", stacklevel=2)
    return cm


@torch.no_grad()
def natural_latent(cm: ColorModel, cfg: TrainConfig, batch: int = 64, source: str | None = None
                   ) -> torch.Tensor | None:
    """Mean style latent of the run's training photos (``source``, default ``cfg.source``; centre crops at the
    training size), ``(1, D)``."""
    try:
        records = data.load_images(source or cfg.source, "photos", "train", cfg.resize or cfg.size,
                                   limit=cfg.limit, progress=False)
        ds = data.ColorDataset(records, crop=cfg.size, train=False)
        if len(ds) == 0:
            raise ValueError("no training photos")
    except Exception as err:  # noqa: BLE001 - any failure means "no mean latent"; say why, keep going
        warnings.warn(f"natural colours: cannot load the training photos of {cm.origin} ({err}); "
                      f"the default style is 'no style' instead of their mean latent", stacklevel=2)
        return None
    total, n = None, 0
    for i in range(0, len(ds), batch):
        rgb = torch.stack([ds[j]["rgb"] for j in range(i, min(i + batch, len(ds)))])
        z = cm.model.encode_style(color.style_input(rgb, cm.space))
        total = z.sum(0) if total is None else total + z.sum(0)
        n += len(z)
    return (total / n)[None]


def _command(profile: str) -> str:
    if profile == "report":
        return ("`make report` (the whole report), or only the two models: "
                "`.venv/bin/python -m colorlib.report --only 03 --only 06`")
    return f"`.venv/bin/python -m colorlib.report --profile {profile} --only 03 --only 06`"


def load_models(profile: str = "report", train_missing: bool = False, natural: bool = True,
                work_size: int | None = None, only: Sequence[str] | None = None) -> dict[str, ColorModel]:
    """The trained final model (``"RGB"``) and, where it exists, the LAB model (``"LAB"``) of ``profile``.

    Looks in the run cache (``runs.find_run``: the key of the experiment's config and data) and never trains
    unless ``train_missing`` (used by the smoke profile, where training takes seconds). ``only``: a subset of
    ``("final", "lab")``. Raises ``ModelNotFound`` naming the command that makes a missing model that was asked
    for by ``only``, or the final model.
    """
    found: dict[str, ColorModel] = {}
    for exp, notebook in EXPERIMENTS:
        if only is not None and exp not in only:
            continue
        P = profiles.resolve(profile, notebook)
        cfg = experiments.config(exp, P)
        try:
            run = runs.find_run(cfg)
        except (FileNotFoundError, ValueError, OSError) as err:  # data not prepared, unreadable cache ...
            run, why = None, f" ({err})"
        else:
            why = ""
        if run is None and train_missing:
            run = train.train(cfg, progress=False)
        if run is not None:
            cm = from_run(run, natural=natural, work_size=work_size)
            found[cm.name] = cm
        elif exp == "final" or only is not None:
            raise ModelNotFound(
                f"no trained {exp!r} model of the {profile!r} profile in the run cache "
                f"{paths.cache_dir() / 'runs'}{why}. Make it with {_command(profile)}; "
                f"or open another checkpoint with colorlib.inference.load_checkpoint(PATH) "
                f"(command line: --checkpoint PATH).")
    return found


def load_shipped(purpose: str = "rgb", path_or_id: str | os.PathLike | None = None,
                 work_size: int | None = None) -> ColorModel:
    """A shipped model (``colorlib.pretrained``): ``purpose`` "rgb" / "lab" (colouring in a painting's style) or
    "auto" (colouring without a reference), from ``models/`` of this checkout or the installed package, or from
    ``path_or_id`` (a folder in that layout, or a Hugging Face hub id). Needs no data set and no run cache."""
    from colorlib import pretrained

    source = path_or_id or pretrained.default_path(purpose)
    if source is None:
        raise ModelNotFound(f"no shipped {purpose!r} model (models/{pretrained.SHIPPED[purpose]} is missing: "
                            f"notebook 13 writes it: `.venv/bin/python -m colorlib.report --only 13`)")
    shipped = pretrained.load(source)
    size = shipped.train_size
    name = {"auto": "automatic"}.get(purpose, MODEL_NAMES.get(shipped.colorizer.cfg.space, purpose))
    return ColorModel(shipped.colorizer.eval(), name, work_size or size, size, shipped.natural, str(source),
                      auto=shipped.auto)


def shipped_models(work_size: int | None = None) -> dict[str, ColorModel]:
    """Every shipped model that is present (``models/``): ``{"RGB": ..., "LAB": ..., "automatic": ...}``; empty
    when none is. What the picker opens by default: no data set and no training needed."""
    from colorlib import pretrained

    found = {}
    for purpose in pretrained.SHIPPED:
        if pretrained.default_path(purpose) is not None:
            cm = load_shipped(purpose, work_size=work_size)
            found[cm.name] = cm
    return found


def load_checkpoint(path: str | os.PathLike, natural: bool | str | os.PathLike = True,
                    work_size: int | None = None) -> ColorModel:
    """A ``ColorModel`` from a run folder (``runs/<key>``, its best weights) or a checkpoint
    (``runs/<key>/last``, ``.../best.safetensors`` or its ``.json``). ``natural``: see ``from_run`` (the file is
    not trusted: only a built-in data source it names is read for the natural latent; pass a folder to use
    another). A checkpoint that is not a colorlib checkpoint or does not fit the model its config describes
    raises ``CheckpointError`` saying why."""
    path = Path(path).expanduser()
    if path.is_dir():
        if (path / "done.json").exists():
            return from_run(runs.load_run(path), natural=natural, work_size=work_size, trusted=False)
        for stem in ("best", "last"):  # an unfinished run, or a folder of checkpoints
            if (path / f"{stem}.safetensors").exists():
                return load_checkpoint(path / stem, natural, work_size)
        raise FileNotFoundError(f"{path}: not a run folder (no done.json) and no best/last checkpoint in it")
    if path.is_file() and path.suffix not in (".safetensors", ".json"):
        raise CheckpointError(f"{path}: not a checkpoint (expected a run folder, or a colorlib checkpoint "
                              f"<stem>.safetensors with its <stem>.json)")
    stem = path.with_suffix("") if path.suffix in (".safetensors", ".json") else path
    if not stem.with_suffix(".safetensors").exists():
        raise FileNotFoundError(f"{path}: no such run folder or checkpoint")
    if (stem.parent / "config.json").exists() and (stem.parent / "done.json").exists():
        return from_run(runs.load_run(stem.parent, weights=stem.name), natural=natural, work_size=work_size,
                        trusted=False)
    _, state = ck.load_checkpoint(stem)
    try:
        cfg = TrainConfig.from_dict(state["config"])
    except (KeyError, TypeError, ValueError) as err:
        # No usable config in the header: assume the study's final model; load_weights then names any misfit.
        warnings.warn(f"{stem}: no readable training config in the checkpoint ({err}); assuming the final "
                      f"model", stacklevel=2)
        cfg = TrainConfig()
    model = models.build_model(cfg.model)
    runs.load_weights(model, stem)
    run = Run(model.eval(), state.get("history", []), stem.parent, True, cfg, state.get("lpips_label"),
              state.get("key", ""), stem.name, {})
    return from_run(run, natural=natural, work_size=work_size, trusted=False)


# ====================================================================================== image maths
def lightness(rgb: torch.Tensor, space: str) -> torch.Tensor:
    """The model space's lightness of RGB ``(..., 3, H, W)``: BT.601 luma Y' in [0, 1] (rgb), or L* in [0, 100]."""
    if space == "rgb":
        return color.luma_bt601(rgb)
    return color.rgb_to_lab(rgb)[..., :1, :, :] if space == "lab" else color.rgb_to_luv(rgb)[..., :1, :, :]


def _chroma_from_output(output: torch.Tensor, space: str) -> torch.Tensor:
    """The network's output (network space) -> chroma ``(B, 2, h, w)`` in the recombination's units."""
    if space == "rgb":
        y = lightness(output, "rgb")
        return torch.cat([output[:, :1] - y, output[:, 2:3] - y], 1)  # (R - Y', B - Y')
    scale = torch.tensor(color.NORMALISATION[space]["scale"][1:], dtype=output.dtype).view(1, 2, 1, 1)
    return output * scale  # a*, b* (or u*, v*)


def _rgb_from(light: torch.Tensor, chroma: torch.Tensor, space: str) -> torch.Tensor:
    """Unclipped RGB from lightness and chroma (inverse of ``lightness`` / ``_chroma_from_output``)."""
    if space == "rgb":
        r, b = light + chroma[..., :1, :, :], light + chroma[..., 1:, :, :]
        g = (light - color.BT601[0] * r - color.BT601[2] * b) / color.BT601[1]
        return torch.cat([r, g, b], -3)
    from kornia import color as kc

    values = torch.cat([light, chroma], -3)
    rgb = kc.lab_to_rgb(values, clip=False) if space == "lab" else kc.luv_to_rgb(values)
    return torch.nan_to_num(rgb, nan=0.0)


def recombine(rgb_in: torch.Tensor, rgb_out: torch.Tensor, space: str) -> torch.Tensor:
    """The colours of ``rgb_out`` on the lightness of ``rgb_in`` (same size): the chroma of the output in ``space``
    with the input's exact lightness, kept inside the sRGB gamut (``combine``)."""
    light = lightness(rgb_in, space)
    if space == "rgb":
        y = lightness(rgb_out, "rgb")
        chroma = torch.cat([rgb_out[:, :1] - y, rgb_out[:, 2:3] - y], 1)
    else:
        chroma = (color.rgb_to_lab(rgb_out) if space == "lab" else color.rgb_to_luv(rgb_out))[:, 1:]
    return combine(light, chroma, space)


def combine(light: torch.Tensor, chroma: torch.Tensor, space: str, iterations: int = 18) -> torch.Tensor:
    """RGB in [0, 1] whose lightness is exactly ``light``: the colour (light, chroma), with the chroma scaled
    down per pixel just enough to fit in the sRGB cube where it does not (grey of that lightness always fits).

    RGB models (Y'/colour-difference, linear): the largest scale is computed in closed form. LAB/Luv: bisection
    on the scale for the out-of-gamut pixels only (``iterations`` halvings: the chroma is then within 2^-18 of
    the boundary; the last clip removes float dust only).
    """
    if space == "rgb":
        light = light.clamp(0.0, 1.0)
        d = _rgb_from(light, chroma, space) - light  # the chroma's offset from grey, per channel
        bound_hi = torch.where(d > 0, (1.0 - light) / d.clamp_min(1e-12), torch.full_like(d, torch.inf))
        bound_lo = torch.where(d < 0, light / (-d).clamp_min(1e-12), torch.full_like(d, torch.inf))
        t = torch.minimum(bound_hi, bound_lo).amin(-3, keepdim=True).clamp(max=1.0)
        return (light + t * d).clamp(0.0, 1.0)
    light = light.clamp(0.0, 100.0)
    rgb = _rgb_from(light, chroma, space)
    eps = 1e-6
    bad = ((rgb < -eps) | (rgb > 1 + eps)).any(-3, keepdim=True)
    if bad.any():
        flat_l = light.movedim(-3, -1)[bad.movedim(-3, -1)[..., 0]]  # (N, 1)
        flat_c = chroma.movedim(-3, -1)[bad.movedim(-3, -1)[..., 0]]  # (N, 2)
        lo, hi = torch.zeros_like(flat_l), torch.ones_like(flat_l)
        for _ in range(iterations):
            mid = (lo + hi) / 2
            test = _rgb_from(flat_l.T[:, :, None], (flat_c * mid).T[:, :, None], space)[..., 0].T  # (N, 3)
            inside = ((test >= -eps) & (test <= 1 + eps)).all(-1, keepdim=True)
            lo, hi = torch.where(inside, mid, lo), torch.where(inside, hi, mid)
        fixed = _rgb_from(flat_l.T[:, :, None], (flat_c * lo).T[:, :, None], space)[..., 0].T
        out = rgb.movedim(-3, -1).clone()
        out[bad.movedim(-3, -1)[..., 0]] = fixed
        rgb = out.movedim(-1, -3)
    return rgb.clamp(0.0, 1.0)


def _upsample_width(chroma: torch.Tensor, width: int) -> torch.Tensor:
    """Bilinear (align_corners=False) along the width only: ``(B, 2, h, w)`` -> ``(B, 2, h, width)``."""
    return F.interpolate(chroma, size=(chroma.shape[-2], width), mode="bilinear", align_corners=False)


def _rows_bilinear(chroma_w: torch.Tensor, rows: torch.Tensor, height: int) -> torch.Tensor:
    """Rows ``rows`` of the bilinear (align_corners=False) up-sampling of ``chroma_w`` to ``height`` rows; the
    same numbers ``F.interpolate`` gives for the whole image, so strips join seamlessly."""
    h = chroma_w.shape[-2]
    src = ((rows.double() + 0.5) * (h / height) - 0.5).clamp(min=0.0)
    y0 = src.floor().long().clamp(max=h - 1)
    y1 = (y0 + 1).clamp(max=h - 1)
    w = (src - y0.double()).float().view(1, 1, -1, 1)
    return chroma_w[..., y0, :] * (1 - w) + chroma_w[..., y1, :] * w


@torch.no_grad()
def network_chroma(cm: ColorModel, rgb_small: torch.Tensor, latent: torch.Tensor | str | None) -> torch.Tensor:
    """Chroma ``(1, 2, h, w)`` the network predicts for an RGB image ``(1, 3, h, w)`` already at working size."""
    cm.model.eval()
    device = next(cm.model.parameters()).device  # the model may live on a GPU (--device); images stay on the CPU
    net_light, _ = color.to_network(rgb_small, cm.space)
    out = cm.model(net_light.to(device), latent.to(device) if isinstance(latent, torch.Tensor) else latent)
    out = out.float().cpu()
    return _chroma_from_output(out, cm.space)


def knob_chroma(cm: ColorModel, rgb_small: torch.Tensor, latent: torch.Tensor | str | None, strength: float = 1.0,
                saturation: float = 1.0) -> torch.Tensor:
    """``network_chroma`` with the two knobs: ``strength`` moves the chroma from the automatic colours (the
    natural latent, ``cm.natural``) towards the style's (0: automatic, 1: the style's; linear in chroma), and
    ``saturation`` multiplies it (``combine`` then scales back whatever leaves the sRGB cube, so the lightness
    stays exact)."""
    chroma = network_chroma(cm, rgb_small, latent)
    if strength != 1.0:
        chroma = strength * chroma + (1 - strength) * network_chroma(cm, rgb_small, cm.natural)
    return chroma * saturation


def check_shape(size: tuple[int, int]) -> None:
    """Raise ``ShapeRefused`` for an image of PIL ``size`` (w, h) more elongated than ``MAX_ASPECT``:1."""
    w, h = size
    if max(w, h) > MAX_ASPECT * min(w, h):
        raise ShapeRefused(f"too elongated for the network ({w}x{h}, {max(w, h) / min(w, h):.0f}:1; at most "
                           f"{MAX_ASPECT}:1): cut it into pieces")


def work_shape(size: tuple[int, int], work_size: int) -> tuple[int, int]:
    """(height, width) of the network's input for an image of PIL ``size`` (w, h): short side ``work_size`` but
    never larger than the image's own, except that an image under ``MIN_NET_SIDE`` px is up-sampled to it (or to
    ``work_size`` when that is smaller); then shrunk until it has at most ``NET_PIXELS`` pixels. Images beyond
    ``MAX_ASPECT``:1 raise ``ShapeRefused``."""
    check_shape(size)
    w, h = size
    short = min(w, h)
    target = max(min(short, work_size), min(work_size, MIN_NET_SIDE))
    scale = target / short
    if w * h * scale * scale > NET_PIXELS:  # rounded down, so the budget holds exactly
        scale = math.sqrt(NET_PIXELS / (w * h))
        return max(1, math.floor(h * scale)), max(1, math.floor(w * scale))
    return max(1, round(h * scale)), max(1, round(w * scale))


@torch.no_grad()
def colorize_full(cm: ColorModel, image: Image.Image, latent: torch.Tensor | str | None, strength: float = 1.0,
                  saturation: float = 1.0) -> Image.Image:
    """Colour ``image`` (any size; any mode ``data.open_rgb`` reads) with style ``latent`` ``(1, D)``; the
    result has the input's size and lightness (see the module docstring). Works in strips, so memory stays
    bounded for very large images. ``strength``, ``saturation``: see ``knob_chroma``."""
    image = data.open_rgb(image, min_side=1)
    width, height = image.size
    h, w = work_shape(image.size, cm.work_size)
    small = data.to_tensor(image.resize((w, h), Image.Resampling.LANCZOS) if (w, h) != image.size else image)[None]
    chroma_w = _upsample_width(knob_chroma(cm, small, latent, strength, saturation), width)
    arr = np.asarray(image)
    out = np.empty_like(arr)
    step = max(1, STRIP_PIXELS // width)
    for r0 in range(0, height, step):
        r1 = min(height, r0 + step)
        rgb = torch.from_numpy(arr[r0:r1].astype(np.float32) / 255.0).permute(2, 0, 1)[None]
        chroma = _rows_bilinear(chroma_w, torch.arange(r0, r1), height)
        res = combine(lightness(rgb, cm.space), chroma, cm.space)
        out[r0:r1] = color.to_uint8(res[0].permute(1, 2, 0).numpy())
    return Image.fromarray(out, "RGB")


def mix(latents: Sequence[torch.Tensor | None], weights: Sequence[float]) -> torch.Tensor | None:
    """Weighted mean of style latents (weights >= 0, normalised to sum 1). A None ("no style") cannot be mixed:
    it is left out, unless it is all there is."""
    if len(latents) != len(weights) or not latents or any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError(f"style weights must be >= 0 with a positive sum, one per style: {list(weights)}")
    kept = [(z, w) for z, w in zip(latents, weights) if z is not None and w > 0]
    if not kept:
        return None
    total = sum(w for _, w in kept)
    return sum(z * (w / total) for z, w in kept)


def blend(a: torch.Tensor | None, b: torch.Tensor | None, alpha: float) -> torch.Tensor | None:
    """Latent interpolation ``(1 - alpha) a + alpha b``. None ("no style") cannot be interpolated: then the
    nearer end is taken."""
    if alpha <= 0:
        return a
    if alpha >= 1:
        return b
    if a is None or b is None:
        return b if alpha >= 0.5 else a
    return (1 - alpha) * a + alpha * b

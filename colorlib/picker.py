"""Interactive style picker (ipywidgets) and the inference pipeline it shares with ``python -m colorlib``.

Inference (no widgets needed; ``colorlib.cli`` uses the same functions):

* ``load_models(profile)`` finds the report's trained final model (RGB, experiment ``final``) and, when it
  exists, the LAB model (experiment ``lab``) in the run cache, without training; ``ModelNotFound`` says which
  command makes them. ``load_checkpoint(path)`` opens a run folder or a checkpoint file instead.
* ``ColorModel``: a trained ``Colorizer`` with its working size, its style size and its "natural colours"
  latent (the mean style latent of its training photos: the style used when none is picked, since a real
  user has no ground truth).
* ``colorize_full(cm, image, latent)``: any size of RGB image. The network runs at its working size (the
  input's lightness resized so the short side is ``cm.work_size``); its chroma is up-sampled (bilinear) to the
  input's resolution and recombined with the input's own full-resolution lightness. Lightness is the one of
  the model's colour space: BT.601 luma Y' for RGB models (chroma = R - Y', B - Y'), CIE L* for LAB (chroma
  a*, b*) and Luv (u*, v*). Where the recombined colour falls outside the sRGB cube, its chroma is scaled
  down (towards the grey of the same lightness, which is always inside) instead of clipping the channels, so
  the lightness is kept exactly; only the final 8-bit rounding changes it: by at most 0.5/255 in Y', and by at
  most about 0.26 L* units (the first-order bound over the 8-bit sRGB cube, reached for dark saturated colours;
  0.14 for greys).

The widget app, ``StylePicker``: content (held-out photo thumbnails or an upload), style (painting gallery or an
upload; "natural colours" by default), a second style blended in with a slider (latent interpolation), RGB/LAB
switch when both models exist, gray | style | result side by side, a button that saves the full-resolution
result as PNG. Style latents and each content's network input are cached, so an update is one UNet pass at
the working size plus the recombination at display size (``benchmark_update`` measures it). Every callback
is a plain method (``pick_content``, ``upload_content``, ``pick_style``, ``upload_style``, ``set_blend``,
``set_alpha``, ``set_model``, ``save``) that the widgets call and tests can call directly; nothing in it
waits for a browser, so headless runs (papermill, nbval) never hang.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import io
import os
import statistics
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from colorlib import color, data, paths, train
from colorlib.checkpoint import CheckpointError
from colorlib.models import Colorizer

NATURAL = "natural colours"
DISPLAY_SIZE = 256  # the picker shows images whose long side is this many pixels
THUMB_SIZE = 72  # gallery thumbnails
STRIP_PIXELS = 1 << 20  # full-resolution recombination works in strips of about this many pixels
MODEL_NAMES = {"rgb": "RGB", "lab": "LAB", "luv": "Luv"}
NO_BLEND = "none"  # the blend menu's "(none)" entry
UPDATE_GOAL_MS = 100.0
"""Latency goal of one picker update (slider move or new painting) for a 256 px photo."""

# Experiments the picker offers and the notebook whose profile section they are trained under.
EXPERIMENTS = (("final", "03"), ("lab", "06"))


class ModelNotFound(FileNotFoundError):
    """No trained model where one was looked for; the message names the command that makes it."""


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
    run: train.Run | None = field(default=None, repr=False)

    @property
    def space(self) -> str:
        return self.model.cfg.space

    @torch.no_grad()
    def style_latent(self, image: Image.Image) -> torch.Tensor:
        """Latent ``(1, D)`` of a style image (any size and mode; resized so the short side is ``style_size``)."""
        rgb = _resize_short(data.open_rgb(image), self.style_size)
        t = to_tensor(rgb)[None]
        self.model.eval()
        device = next(self.model.parameters()).device
        return self.model.encode_style(color.style_input(t.to(device), self.space)).cpu()


def from_run(run: train.Run, name: str | None = None, natural: bool | torch.Tensor | None = True,
             work_size: int | None = None) -> ColorModel:
    """A ``ColorModel`` from a ``train.Run``. ``natural``: True computes the mean latent of the run's training
    photos (falls back to None with a warning when they cannot be loaded), a tensor is used as is."""
    cfg = run.config
    if not cfg.model.adain:
        raise ValueError(f"{run.dir}: this run is the UNet baseline without AdaIN ({cfg.tag or cfg.mode}): "
                         f"it takes no style; use the final model (experiment 'final')")
    train_size = cfg.resize or cfg.size
    cm = ColorModel(run.model.cpu().eval(), name or MODEL_NAMES.get(cfg.model.space, cfg.model.space),
                    work_size or train_size, train_size, None, str(run.dir), run)
    if natural is True:
        cm.natural = natural_latent(cm, cfg)
    elif isinstance(natural, torch.Tensor):
        cm.natural = natural.reshape(1, -1).float()
    return cm


@torch.no_grad()
def natural_latent(cm: ColorModel, cfg: train.TrainConfig, batch: int = 64) -> torch.Tensor | None:
    """Mean style latent of the run's training photos (centre crops at the training size), ``(1, D)``."""
    try:
        records = data.load_images(cfg.source, "photos", "train", cfg.resize or cfg.size, limit=cfg.limit,
                                   progress=False)
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

    Looks in the run cache (``train.find_run``: the key of the experiment's config and data) and never trains
    unless ``train_missing`` (used by the smoke profile, where training takes seconds). ``only``: a subset of
    ``("final", "lab")``. Raises ``ModelNotFound`` naming the command that makes a missing model that was asked
    for by ``only``, or the final model.
    """
    from colorlib import experiments, profiles

    found: dict[str, ColorModel] = {}
    for exp, notebook in EXPERIMENTS:
        if only is not None and exp not in only:
            continue
        P = profiles.resolve(profile, notebook)
        cfg = experiments.config(exp, P)
        try:
            run = train.find_run(cfg)
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
                f"or open another checkpoint with colorlib.picker.load_checkpoint(PATH) "
                f"(command line: --checkpoint PATH).")
    return found


def load_checkpoint(path: str | os.PathLike, natural: bool = True, work_size: int | None = None) -> ColorModel:
    """A ``ColorModel`` from a run folder (``runs/<key>``, its best weights) or a checkpoint
    (``runs/<key>/last``, ``.../best.safetensors`` or its ``.json``). A checkpoint that is not a colorlib
    checkpoint or does not fit the model its config describes raises ``CheckpointError`` saying why."""
    path = Path(path).expanduser()
    if path.is_dir():
        if (path / "done.json").exists():
            return from_run(train.load_run(path), natural=natural, work_size=work_size)
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
        return from_run(train.load_run(stem.parent, weights=stem.name), natural=natural, work_size=work_size)
    from colorlib import checkpoint as ck
    from colorlib import models

    _, state = ck.load_checkpoint(stem)
    try:
        cfg = train.TrainConfig.from_dict(state["config"])
    except (KeyError, TypeError, ValueError) as err:
        # No usable config in the header: assume the study's final model; load_weights then names any misfit.
        warnings.warn(f"{stem}: no readable training config in the checkpoint ({err}); assuming the final "
                      f"model", stacklevel=2)
        cfg = train.TrainConfig()
    model = models.build_model(cfg.model)
    train.load_weights(model, stem)
    run = train.Run(model.eval(), state.get("history", []), stem.parent, True, cfg, state.get("lpips_label"),
                    state.get("key", ""), stem.name, {})
    return from_run(run, natural=natural, work_size=work_size)


# ====================================================================================== image maths
def to_tensor(image: Image.Image) -> torch.Tensor:
    """PIL RGB -> float tensor (3, H, W) in [0, 1]."""
    return torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0).permute(2, 0, 1)


def _resize_short(image: Image.Image, size: int) -> Image.Image:
    w, h = image.size
    scale = size / min(w, h)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    return image if new == image.size else image.resize(new, Image.Resampling.LANCZOS)


def fit_long_side(image: Image.Image, size: int) -> Image.Image:
    """Resize (Lanczos) so the long side is ``size`` px (up or down)."""
    w, h = image.size
    scale = size / max(w, h)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    return image if new == image.size else image.resize(new, Image.Resampling.LANCZOS)


def lightness(rgb: torch.Tensor, space: str) -> torch.Tensor:
    """The model space's lightness of RGB ``(..., 3, H, W)``: BT.601 luma Y' in [0, 1] (rgb), or L* in [0, 100]."""
    if space == "rgb":
        return data.luma(rgb)
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
def network_chroma(cm: ColorModel, rgb_small: torch.Tensor, latent: torch.Tensor | None) -> torch.Tensor:
    """Chroma ``(1, 2, h, w)`` the network predicts for an RGB image ``(1, 3, h, w)`` already at working size."""
    cm.model.eval()
    net_light, _ = color.to_network(rgb_small, cm.space)
    out = cm.model(net_light, latent)
    return _chroma_from_output(out, cm.space)


def working_size_study(models: dict[str, ColorModel], images: Sequence[Image.Image],
                       factors: Sequence[int] = (1, 2, 4)) -> list[dict]:
    """Is it better to run the network at its training size and up-sample the chroma, or larger?

    Each model colours every image (at its full size, with ``colorize_full``) with the network at ``factor``
    times its style size, once with each photo's own colours as the style (the oracle) and once with natural
    colours; rows hold the mean PSNR, CIEDE2000 and colourfulness against the images themselves. A model's rows
    come from ``colorlib.evalcache`` when the same weights measured the same images before."""
    from colorlib import evalcache, metrics

    images = [data.open_rgb(im) for im in images]
    truth = [to_tensor(im)[None] for im in images]
    arrays = [np.asarray(im) for im in images]
    rows = []
    for name, cm in models.items():
        def compute(cm=cm):
            oracle = [cm.style_latent(im) for im in images]  # the style size does not change with the work size
            out_rows = []
            for factor in factors:
                cmw = dataclasses.replace(cm, work_size=cm.style_size * factor)
                for style in ("oracle", "natural colours"):
                    scores = []
                    for im, gt, z in zip(images, truth, oracle):
                        out = to_tensor(colorize_full(cmw, im, z if style == "oracle" else cmw.natural))[None]
                        scores.append((metrics.psnr(out, gt)[0], metrics.ciede2000(out, gt)[0],
                                       metrics.colourfulness(out)[0]))
                    psnr_, de, cf = np.mean(scores, axis=0)
                    out_rows.append({"work px": cmw.work_size, "style": style, "psnr": float(psnr_),
                                     "ciede2000": float(de), "colourfulness": float(cf)})
            return {"rows": out_rows}

        measured = evalcache.cached("picker_working_size", compute, cm.model, cm.natural, cm.style_size,
                                    list(factors), arrays)
        rows += [{"model": name, **row} for row in measured["rows"]]
    return rows


def work_shape(size: tuple[int, int], work_size: int) -> tuple[int, int]:
    """(height, width) of the network's input for an image of PIL ``size`` (w, h): short side ``work_size``,
    never larger than the image itself."""
    w, h = size
    scale = min(1.0, work_size / min(w, h))
    return max(1, round(h * scale)), max(1, round(w * scale))


@torch.no_grad()
def colorize_full(cm: ColorModel, image: Image.Image, latent: torch.Tensor | None) -> Image.Image:
    """Colour ``image`` (any size; any mode ``data.open_rgb`` reads) with style ``latent`` ``(1, D)``; the
    result has the input's size and lightness (see the module docstring). Works in strips, so memory stays
    bounded for very large images."""
    image = data.open_rgb(image)
    width, height = image.size
    h, w = work_shape(image.size, cm.work_size)
    small = to_tensor(image.resize((w, h), Image.Resampling.LANCZOS) if (w, h) != image.size else image)[None]
    chroma_w = _upsample_width(network_chroma(cm, small, latent), width)
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


def natural_swatch(size: int) -> Image.Image:
    """What the picker shows for the "natural colours" style: a plain grey ramp."""
    return Image.fromarray(np.tile(np.linspace(90, 200, size).astype(np.uint8), (size, 1)), "L").convert("RGB")


# ================================================================================================ app
def _png(image: Image.Image, fast: bool = True) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1 if fast else 6)
    return buf.getvalue()


def _decode_upload(value: Any) -> tuple[str, bytes]:
    """(name, bytes) of the first file of a ``FileUpload`` value (ipywidgets 8: a tuple of dicts; 7: a dict)."""
    if isinstance(value, dict):  # ipywidgets 7 layout {name: {"content": ...}}
        value = [{"name": k, **v} for k, v in value.items()]
    if not value:
        raise ValueError("no file uploaded")
    item = value[0]
    content = item["content"]
    return str(item.get("name", "upload")), bytes(content.tobytes() if hasattr(content, "tobytes") else content)


@dataclass
class _Content:
    name: str
    full: Image.Image  # the content at its own resolution (saved results use it)
    display: Image.Image  # long side DISPLAY_SIZE
    cache: dict = field(default_factory=dict)  # model name -> (small rgb tensor, display lightness)


class StylePicker:
    """The picker's state and widgets. ``photos`` / ``paintings``: lists of ``(name, PIL image)``."""

    def __init__(self, models: dict[str, ColorModel], photos: Sequence[tuple[str, Image.Image]],
                 paintings: Sequence[tuple[str, Image.Image]], out_dir: str | os.PathLike | None = None,
                 display_size: int = DISPLAY_SIZE, build_widgets: bool = True):
        if not models:
            raise ValueError("StylePicker needs at least one model")
        self.models = dict(models)
        self.model_name = next(iter(self.models))
        self.display_size = display_size
        self.out_dir = Path(out_dir) if out_dir is not None else Path(
            os.environ.get("COLORLIB_PICKER_OUT", paths.cache_dir() / "picker"))
        self.contents: list[_Content] = [self._content(n, im) for n, im in photos]
        # Styles: key -> (title, image or None for natural colours).
        self.styles: dict[str, tuple[str, Image.Image | None]] = {"natural": (NATURAL, None)}
        for i, (name, im) in enumerate(paintings):
            self.styles[f"painting:{i}"] = (name, data.open_rgb(im))
        self._latents: dict[tuple[str, str], torch.Tensor | None] = {}
        self._style_pngs: dict[tuple[str, str | None], bytes] = {}  # style panel per (style, blend): keys never change
        self.content_index = 0
        self.style_key = "natural"
        self.blend_key: str | None = None
        self.alpha = 0.0
        self.result: Image.Image | None = None
        self.result_png: bytes = b""
        self.status = ""
        self.last_update_ms = float("nan")
        self.saved_path: Path | None = None
        self.w = None
        if build_widgets:
            self._build()
        self.update()

    # -------------------------------------------------------------------------------- state helpers
    def _content(self, name: str, image: Image.Image) -> _Content:
        full = data.open_rgb(image)
        return _Content(name, full, fit_long_side(full, self.display_size))

    @property
    def model(self) -> ColorModel:
        return self.models[self.model_name]

    def latent(self, key: str | None, model_name: str | None = None) -> torch.Tensor | None:
        """Style latent of style ``key`` for a model, computed once and cached."""
        if key is None:
            return None
        name = model_name or self.model_name
        if (name, key) not in self._latents:
            cm = self.models[name]
            image = self.styles[key][1]
            self._latents[(name, key)] = cm.natural if image is None else cm.style_latent(image)
        return self._latents[(name, key)]

    def _prepared(self, content: _Content) -> tuple[torch.Tensor, torch.Tensor]:
        cm = self.model
        if self.model_name not in content.cache:  # keyed like _gray_png reads it
            h, w = work_shape(content.display.size, cm.work_size)
            small = content.display.resize((w, h), Image.Resampling.LANCZOS) if (w, h) != content.display.size \
                else content.display
            rgb_d = to_tensor(content.display)[None]
            content.cache[self.model_name] = (to_tensor(small)[None], lightness(rgb_d, cm.space))
        return content.cache[self.model_name]

    def current_latent(self) -> torch.Tensor | None:
        a = self.latent(self.style_key)
        if self.blend_key is None or self.alpha <= 0:
            return a
        return blend(a, self.latent(self.blend_key), self.alpha)

    # ------------------------------------------------------------------------------------- the update
    @torch.no_grad()
    def render(self) -> Image.Image:
        """The result at display size for the current content, style(s) and model (no widget update)."""
        content = self.contents[self.content_index]
        small, light_d = self._prepared(content)
        cm = self.model
        chroma = network_chroma(cm, small, self.current_latent())
        chroma = F.interpolate(chroma, size=light_d.shape[-2:], mode="bilinear", align_corners=False)
        rgb = combine(light_d, chroma, cm.space)
        return Image.fromarray(color.to_uint8(rgb[0].permute(1, 2, 0).numpy()), "RGB")

    def update(self) -> Image.Image | None:
        """Recompute the result and show it; returns it (None when there is no content yet)."""
        if not self.contents:
            self._set_status("upload a photo or pick one above")
            return None
        t0 = time.perf_counter()
        self.result = self.render()
        self.result_png = _png(self.result)
        self.last_update_ms = (time.perf_counter() - t0) * 1000
        if self.w is not None:
            self.w["result"].value = self.result_png
            self.w["gray"].value = self._gray_png()
            self.w["style"].value = self._style_png()
        self._set_status(f"{self.contents[self.content_index].name} in the style of {self.style_title()} "
                         f"({self.model_name} model) - updated in {self.last_update_ms:.0f} ms")
        return self.result

    def style_title(self) -> str:
        a = self.styles[self.style_key][0]
        if self.blend_key is None or self.alpha <= 0:
            return a
        return f"{a} blended with {self.styles[self.blend_key][0]} ({self.alpha:.2f})"

    def _gray_png(self) -> bytes:
        content = self.contents[self.content_index]
        key = ("gray_png", self.model_name)
        if key not in content.cache:
            light = content.cache[self.model_name][1]
            scale = 1.0 if self.model.space == "rgb" else 100.0
            gray = color.to_uint8((light[0, 0] / scale).numpy())
            content.cache[key] = _png(Image.fromarray(gray, "L"))
        return content.cache[key]

    def _style_png(self) -> bytes:
        blend = self.blend_key if self.blend_key is not None and self.alpha > 0 else None
        if (self.style_key, blend) not in self._style_pngs:  # a slider move only changes alpha: reuse the panel
            size = self.display_size
            images = [self.styles[k][1] for k in (self.style_key, blend) if k is not None]
            tiles = []
            for im in images:
                if im is None:  # natural colours
                    im = natural_swatch(size)
                tiles.append(fit_long_side(im.convert("RGB"), size if len(images) == 1 else size // 2))
            canvas = Image.new("RGB", (sum(t.width for t in tiles) + 4 * (len(tiles) - 1),
                                       max(t.height for t in tiles)), (255, 255, 255))
            x = 0
            for t in tiles:
                canvas.paste(t, (x, 0))
                x += t.width + 4
            self._style_pngs[(self.style_key, blend)] = _png(canvas)
        return self._style_pngs[(self.style_key, blend)]

    def _set_status(self, text: str) -> None:
        self.status = text
        if self.w is not None:
            self.w["status"].value = f"<span class='colorlib-status'>{html.escape(text)}</span>"

    # -------------------------------------------------------------------------------------- callbacks
    def pick_content(self, index: int) -> None:
        self.content_index = int(index)
        self._highlight("content", index)
        self.update()

    def upload_content(self, value: Any) -> bool:
        """A ``FileUpload`` value (or ``(name, bytes)``) as the content; False (and a status message) if bad."""
        try:
            name, raw = value if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes) \
                else _decode_upload(value)
            self.contents.append(self._content(name, data.open_rgb(raw)))
        except (data.BadImage, ValueError, KeyError, TypeError) as err:
            self._set_status(f"could not read the uploaded photo: {err}")
            return False
        self.content_index = len(self.contents) - 1
        self._highlight("content", None)
        self.update()
        return True

    def pick_style(self, key: str | int) -> None:
        """Style A: a painting index, ``"natural"``, or a style key (``"painting:3"``, ``"upload:..."``)."""
        self.style_key = f"painting:{key}" if isinstance(key, int) else key
        if self.style_key not in self.styles:
            raise KeyError(f"unknown style {key!r}")
        self._highlight("style", self.style_key)
        self.update()

    def upload_style(self, value: Any) -> bool:
        try:
            name, raw = value if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes) \
                else _decode_upload(value)
            image = data.open_rgb(raw)
        except (data.BadImage, ValueError, KeyError, TypeError) as err:
            self._set_status(f"could not read the uploaded style image: {err}")
            return False
        key = "upload:" + hashlib.sha1(raw).hexdigest()[:12]
        self.styles[key] = (f"upload {name}", image)
        self._refresh_blend_options()
        self.pick_style(key)
        return True

    def set_blend(self, key: str | int | None) -> None:
        """The second style (None: no blend)."""
        key = f"painting:{key}" if isinstance(key, int) else None if key == NO_BLEND else key
        if key is not None and key not in self.styles:
            raise KeyError(f"unknown style {key!r}")
        self.blend_key = key
        if self.w is not None and self.w["blend"].value != (key or NO_BLEND):
            self.w["blend"].value = key or NO_BLEND
        self.update()

    def set_alpha(self, alpha: float) -> None:
        self.alpha = float(min(1.0, max(0.0, alpha)))
        if self.w is not None and abs(self.w["alpha"].value - self.alpha) > 1e-9:
            self.w["alpha"].value = self.alpha
        self.update()

    def set_model(self, name: str) -> None:
        if name not in self.models:
            raise KeyError(f"no model {name!r}; have {list(self.models)}")
        self.model_name = name
        if self.w is not None and self.w["model"].value != name:
            self.w["model"].value = name
        self.update()

    def save(self, folder: str | os.PathLike | None = None) -> Path:
        """Save the current result at the content's full resolution (PNG) and return its path."""
        content = self.contents[self.content_index]
        result = colorize_full(self.model, content.full, self.current_latent())
        folder = Path(folder) if folder is not None else self.out_dir
        folder.mkdir(parents=True, exist_ok=True)
        style = self.style_title()
        slug = "".join(c if c.isalnum() else "_" for c in f"{Path(content.name).stem}-{style}")[:80].strip("_")
        path = folder / f"{slug}-{self.model_name}.png"
        result.save(path, format="PNG")
        self.saved_path = path
        if self.w is not None:
            link = base64.b64encode(path.read_bytes()).decode()
            self.w["saved"].value = (f"saved {html.escape(str(path))} ({result.width}x{result.height}) "
                                     f"<a download='{html.escape(path.name)}' href='data:image/png;base64,{link}'>"
                                     f"download</a>")
        return path

    # ---------------------------------------------------------------------------------------- widgets
    def _build(self) -> None:
        import ipywidgets as W

        w: dict[str, Any] = {}
        side = f"{self.display_size}px"
        w["gray"], w["style"], w["result"] = (W.Image(format="png", layout=W.Layout(
            width=side, height=side, object_fit="contain")) for _ in range(3))
        w["result"].add_class("colorlib-result")
        panels = W.HBox([W.VBox([W.HTML(f"<b>{t}</b>"), w[k]]) for t, k in
                         (("gray input", "gray"), ("style", "style"), ("result", "result"))])

        def thumb_button(title, image, cls, on_click):
            im = W.Image(value=_png(fit_long_side(image if image is not None else natural_swatch(THUMB_SIZE),
                                                  THUMB_SIZE)), format="png",
                         layout=W.Layout(width=f"{THUMB_SIZE}px", height=f"{THUMB_SIZE}px",
                                         object_fit="contain"))
            b = W.Button(description=title[:14], tooltip=title, layout=W.Layout(width=f"{THUMB_SIZE + 8}px"))
            b.add_class(cls)
            b.on_click(on_click)
            return W.VBox([im, b], layout=W.Layout(align_items="center")), b

        content_boxes, w["content_buttons"] = [], []
        for i, c in enumerate(self.contents):
            box, b = thumb_button(c.name, c.display, "colorlib-photo", lambda _b, i=i: self._safe(self.pick_content, i))
            content_boxes.append(box)
            w["content_buttons"].append(b)
        w["content_upload"] = W.FileUpload(accept="image/*", multiple=False, description="upload photo")
        w["content_upload"].add_class("colorlib-upload-photo")
        w["content_upload"].observe(lambda ch: self._safe(self.upload_content, ch["new"]), names="value")

        style_boxes, w["style_buttons"] = [], {}
        for key, (title, image) in self.styles.items():
            box, b = thumb_button(title, image, "colorlib-painting" if key.startswith("painting:") else
                                  "colorlib-natural", lambda _b, k=key: self._safe(self.pick_style, k))
            style_boxes.append(box)
            w["style_buttons"][key] = b
        w["style_upload"] = W.FileUpload(accept="image/*", multiple=False, description="upload style")
        w["style_upload"].add_class("colorlib-upload-style")
        w["style_upload"].observe(lambda ch: self._safe(self.upload_style, ch["new"]), names="value")

        w["blend"] = W.Dropdown(options=self._blend_options(), value=NO_BLEND, description="blend with")
        w["blend"].observe(lambda ch: self._safe(self.set_blend, ch["new"]), names="value")
        w["alpha"] = W.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="amount",
                                   continuous_update=True, readout_format=".2f")
        w["alpha"].observe(lambda ch: self._safe(self.set_alpha, ch["new"]), names="value")
        w["model"] = W.ToggleButtons(options=list(self.models), value=self.model_name, description="model",
                                     disabled=len(self.models) < 2,
                                     tooltips=[f"{n}: {m.origin}" for n, m in self.models.items()])
        w["model"].observe(lambda ch: self._safe(self.set_model, ch["new"]), names="value")
        w["save"] = W.Button(description="save PNG", icon="download", button_style="success")
        w["save"].add_class("colorlib-save")
        w["save"].on_click(lambda _b: self._safe(self.save))
        w["saved"] = W.HTML("")
        w["saved"].add_class("colorlib-saved")
        w["status"] = W.HTML("")
        wrap = W.Layout(flex_flow="row wrap")
        w["app"] = W.VBox([
            W.HTML("<h3>Photo</h3>"), W.HBox(content_boxes + [w["content_upload"]], layout=wrap),
            W.HTML("<h3>Style</h3>"), W.HBox(style_boxes + [w["style_upload"]], layout=wrap),
            W.HBox([w["blend"], w["alpha"]]), w["model"], panels, W.HBox([w["save"], w["saved"]]), w["status"],
        ])
        w["app"].add_class("colorlib-picker")
        self.w = w
        self._highlight("content", 0)
        self._highlight("style", self.style_key)

    def _blend_options(self) -> list[tuple[str, str | None]]:
        return [("(none)", NO_BLEND)] + [(title[:40], key) for key, (title, _) in self.styles.items()]

    def _refresh_blend_options(self) -> None:
        if self.w is not None:
            current = self.w["blend"].value
            self.w["blend"].options = self._blend_options()
            self.w["blend"].value = current

    def _highlight(self, kind: str, which) -> None:
        if self.w is None:
            return
        if kind == "content":
            for i, b in enumerate(self.w["content_buttons"]):
                b.button_style = "info" if i == which else ""
        else:
            for key, b in self.w["style_buttons"].items():
                b.button_style = "info" if key == which else ""

    def _safe(self, fn, *args) -> None:
        """Run a callback from a widget: errors become a status line instead of a silent log entry."""
        try:
            fn(*args)
        except Exception as err:  # noqa: BLE001 - a UI must not die on one bad click
            self._set_status(f"error: {type(err).__name__}: {err}")

    def widget(self):
        """The ipywidgets box to display."""
        if self.w is None:
            self._build()
            self.update()
        return self.w["app"]

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget())


# ======================================================================================== building it
def default_images(profile: str = "report", n_photos: int = 8, n_paintings: int | None = None,
                   size: int = DISPLAY_SIZE) -> tuple[list, list]:
    """Held-out (test split) photos and the paintings of ``profile``'s sources, as ``(name, PIL)`` lists,
    resized so the short side is ``size`` (cached on disk by ``colorlib.data``)."""
    from colorlib import profiles

    P = profiles.resolve(profile, "03")
    photos = data.load_images(P.source, "photos", "test", size, limit=n_photos, progress=False)
    paints = data.load_images(P.style_source, "paintings", None, size, limit=n_paintings, progress=False)
    return ([(short_name(r.name), r.image) for r in photos],
            [(getattr(r, "title", "") or r.name, r.image) for r in paints])


def short_name(name: str) -> str:
    """A label for a thumbnail: the embedded set's names are paths joined by "_" (``..._fishes_fish10``): keep
    the last part."""
    return name.rsplit("_", 1)[-1] if name.count("_") >= 2 else name


def open_picker(profile: str = "report", train_missing: bool = False, n_photos: int = 8, **kwargs) -> StylePicker:
    """The picker on the trained models of ``profile`` with its held-out photos and paintings."""
    models = load_models(profile, train_missing=train_missing)
    photos, paints = default_images(profile, n_photos=n_photos)
    return StylePicker(models, photos, paints, **kwargs)


# ========================================================================================= benchmark
def benchmark_update(picker: StylePicker | None = None, size: int = 256, reps: int = 20,
                     models: dict[str, ColorModel] | None = None, work_size: int | None = None) -> dict:
    """Latency (ms) of one picker update for a ``size`` x ``size`` content with cached style latents.

    What is timed is ``StylePicker.update`` after a warm-up: latent blend, UNet at the working size, chroma
    up-sampling, recombination at ``size`` px and the PNG encoding for the image widget. ``work_size``
    overrides the models' working size (e.g. 256 to run the network at full display size). Returns median,
    p90, min and max per model name, with the thread count. CPU timings vary with other load.
    """
    if picker is None:
        if models is None:
            raise ValueError("give a picker or models")
        gen = np.random.default_rng(0)
        photo = Image.fromarray(gen.integers(0, 256, (size, size, 3), dtype=np.uint8))
        paints = [(f"random {i}", Image.fromarray(gen.integers(0, 256, (64, 64, 3), dtype=np.uint8)))
                  for i in range(2)]
        if work_size is not None:
            models = {k: dataclasses.replace(m, work_size=work_size) for k, m in models.items()}
        picker = StylePicker(models, [("random", photo)], paints, display_size=size, build_widgets=False)
    out = {"size": size, "reps": reps, "threads": torch.get_num_threads(), "models": {}}
    for name in picker.models:
        picker.set_model(name)
        picker.set_blend("painting:1")
        picker.pick_style(0)
        times = []
        for i in range(reps + 2):
            picker.alpha = (i % 10) / 10  # a slider move: the latents stay cached
            t0 = time.perf_counter()
            picker.update()
            times.append((time.perf_counter() - t0) * 1000)
        times = times[2:]
        out["models"][name] = {"median_ms": statistics.median(times), "p90_ms": float(np.percentile(times, 90)),
                               "min_ms": min(times), "max_ms": max(times),
                               "work_size": picker.models[name].work_size}
    return out

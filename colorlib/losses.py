"""Training losses: MSE, L1, Huber, LPIPS, and their weighted sum (`build_loss` -> `CompositeLoss`).

Pixel terms compare the network's output with its target in *network space* (see ``colorlib.color``:
RGB in [0, 1], or L/100 plus a chroma pair scaled to about [-1, 1]). LPIPS compares RGB images: both sides
are mapped back to RGB in [0, 1] with ``color.from_network`` and then to [-1, 1], the range LPIPS was
calibrated on (the original study fed [0, 1] images; that under-uses the trunk's input range and gives
different numbers).

LPIPS needs ImageNet weights for its trunk (AlexNet, VGG16 or SqueezeNet 1.1), kept where torch.hub keeps them
(``$TORCH_HOME/hub/checkpoints/``; ``hub_dir()``: where TORCH_HOME is unset, a checkout's ``.cache/torch`` that
``make`` seeded, chosen here instead of by changing TORCH_HOME for the process). ``lpips`` would load them
through torchvision and torch.hub, which unpickle the file (``weights_only=False``): whoever can write into that folder could run code in every training. So
colorlib builds the network empty and loads every weight itself with ``torch.load(weights_only=True)``
(``load_weights_file``: tensors only; a file that needs any other object is refused and nothing in it runs):
the trunk from the hub cache and lpips' linear heads from the ``lpips`` wheel. Which trunk, once per trunk:

1. the requested trunk, from the hub cache, or downloaded unless downloads are switched off
   (``COLORLIB_OFFLINE`` or ``HF_HUB_OFFLINE`` set to a true value; a failed download is an error at once,
   not a retry loop);
2. else SqueezeNet, if its checkpoint is already in the hub cache (never downloaded as a fallback);
3. else no LPIPS: ``CompositeLoss`` drops the term and records it in ``dropped_terms``.

A fallback is announced once per requested trunk and hub folder with an ``LPIPSFallbackWarning``.
A random trunk is never used (it is not LPIPS): ``pnet_rand=True`` only keeps torchvision's loader out, and every
trunk tensor is then replaced from the file (a missing or mis-shaped one refuses the file).

Every LPIPS number should carry its trunk's label: "LPIPS-alex", "LPIPS-vgg", "LPIPS-squeeze", with
" (unverified trunk)" appended when the checkpoint's sha256 does not start with the hash prefix in its
torchvision file name (``squeezenet1_1-b8a52dc0.pth`` -> the official file's sha256 starts ``b8a52dc0``).
"""
from __future__ import annotations

import copy
import hashlib
import math
import os
import re
import socket
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import torch
import torch.nn.functional as F

from colorlib import files, paths

NETS = ("alex", "vgg", "squeeze")
DEFAULT_NET = "alex"  # as in the study
FALLBACK_NET = "squeeze"
PIXEL_TERMS = ("mse", "l1", "huber")
TERMS = PIXEL_TERMS + ("lpips",)
DEFAULT_HUBER_DELTA = 1.0  # torch's default; with targets in [0, 1] it makes Huber 0.5 * MSE everywhere
DOWNLOAD_TIMEOUT_S = 15.0  # per socket operation, so that a black-holed network fails instead of hanging
_OFFLINE_ENV = ("COLORLIB_OFFLINE", "HF_HUB_OFFLINE")


class LPIPSFallbackWarning(UserWarning):
    """The requested LPIPS trunk could not be loaded; another trunk (or none) is used instead."""


class LPIPSUnavailable(RuntimeError):
    """No LPIPS trunk can be loaded (no weights in the hub cache, and no download possible)."""


# --------------------------------------------------------------------------------------------- pixel terms
def mse_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error over all elements."""
    return F.mse_loss(pred, target)


def l1_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error over all elements."""
    return F.l1_loss(pred, target)


def huber_loss(pred: torch.Tensor, target: torch.Tensor, delta: float = DEFAULT_HUBER_DELTA) -> torch.Tensor:
    """Huber loss (quadratic below ``delta``, linear above), mean over all elements."""
    return F.huber_loss(pred, target, delta=delta)


# ---------------------------------------------------------------------------------------- LPIPS trunks
def _trunk_weights(net: str):
    from torchvision.models import AlexNet_Weights, SqueezeNet1_1_Weights, VGG16_Weights

    return {"alex": AlexNet_Weights, "vgg": VGG16_Weights, "squeeze": SqueezeNet1_1_Weights}[net].IMAGENET1K_V1


def _check_net(net: str) -> str:
    if net not in NETS:
        raise ValueError(f"unknown LPIPS trunk {net!r}; choose one of {NETS}")
    return net


def hub_dir() -> str:
    """torch.hub's folder for the LPIPS trunks: ``torch.hub.get_dir()``, except that where TORCH_HOME is unset
    and ``make`` seeded a checkout's ``.cache/torch`` (offline machines), that one. Chosen here, where the weights
    are loaded, instead of by changing TORCH_HOME for the whole process."""
    seeded = paths.seeded_torch_home()
    if "TORCH_HOME" not in os.environ and seeded is not None:
        return str(seeded / "hub")
    return torch.hub.get_dir()


def checkpoint_path(net: str) -> Path:
    """Where torch.hub keeps (or would download) the ImageNet trunk that ``lpips.LPIPS(net=net)`` loads."""
    name = _trunk_weights(_check_net(net)).url.rsplit("/", 1)[-1]
    return Path(hub_dir()) / "checkpoints" / name


_SHA_CACHE: dict[tuple[str, int, int], str] = {}


def _sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _SHA_CACHE:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        _SHA_CACHE[key] = digest.hexdigest()
    return _SHA_CACHE[key]


def checkpoint_verified(path: str | os.PathLike) -> bool | None:
    """True when the file's sha256 starts with the hash prefix in its torchvision-style name
    (``<name>-<hex>.pth``), False when it does not, None when the name carries no prefix."""
    path = Path(path)
    match = re.search(r"-([0-9a-f]{6,})\.pth?$", path.name)
    if match is None:
        return None
    return _sha256(path).startswith(match.group(1))


def trunk_label(net: str, path: str | os.PathLike | None = None) -> str:
    """Label for LPIPS numbers computed with trunk ``net`` loaded from ``path`` (default: the hub cache)."""
    path = Path(path) if path is not None else checkpoint_path(net)
    label = f"LPIPS-{_check_net(net)}"
    if path.exists() and checkpoint_verified(path) is False:
        label += " (unverified trunk)"
    return label


@dataclass(frozen=True)
class LPIPSTrunk:
    """Outcome of resolving a requested LPIPS trunk: what was asked, what is used, and why."""

    requested: str
    net: str | None  # trunk actually loaded; None: no LPIPS available
    label: str | None  # e.g. "LPIPS-squeeze (unverified trunk)"; None when net is None
    checkpoint: Path | None
    note: str = ""  # why the requested trunk was not used ("" when it was)


def _downloads_disabled() -> str | None:
    for name in _OFFLINE_ENV:
        if os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no", "off"):
            return name
    return None


def _download_trunk(net: str, path: Path) -> None:
    """Fetch torchvision's ImageNet checkpoint for ``net`` into ``path`` (atomically, its sha256 prefix checked)."""
    url = _trunk_weights(net).url
    match = re.search(r"-([0-9a-f]{6,})\.pth?$", path.name)
    old_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT_S)
    try:
        with files.atomic_path(path) as tmp:
            torch.hub.download_url_to_file(url, str(tmp), hash_prefix=match.group(1) if match else None,
                                           progress=False)
    except Exception as err:  # URLError, timeout, hash mismatch, ...
        raise LPIPSUnavailable(f"{path.name} could not be downloaded from {url}: {type(err).__name__}: {err}") from err
    finally:
        socket.setdefaulttimeout(old_timeout)


def load_weights_file(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """A state dict from a ``.pth`` file, read with ``torch.load(weights_only=True)``: tensors and plain
    containers only; a file that needs any other object (a pickled payload) is refused with
    ``LPIPSUnavailable`` naming it, and nothing in it runs."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # pickle.UnpicklingError for a payload; RuntimeError/EOFError for a corrupt file
        raise LPIPSUnavailable(f"{path}: refused, not a plain weights file ({type(err).__name__}: "
                               f"{str(err).splitlines()[0] if str(err) else ''})") from err
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise LPIPSUnavailable(f"{path}: refused, not a state dict of tensors")
    return dict(state)


def _load_into(module: torch.nn.Module, tensors: Mapping[str, torch.Tensor], names: Mapping[str, str],
               where: Path) -> None:
    """Copy ``tensors[names[k]]`` into ``module``'s entry ``k`` for every ``k`` in ``names``; refuse a missing
    or mis-shaped tensor, or a non-finite one."""
    own = module.state_dict()
    loaded = {}
    for key, source in names.items():
        if source not in tensors:
            raise LPIPSUnavailable(f"{where}: has no tensor {source!r}: not an LPIPS {type(module).__name__} file")
        value = tensors[source]
        if tuple(value.shape) != tuple(own[key].shape):
            raise LPIPSUnavailable(f"{where}: {source} has shape {tuple(value.shape)}, "
                                   f"expected {tuple(own[key].shape)}")
        if value.is_floating_point() and not torch.isfinite(value).all():
            raise LPIPSUnavailable(f"{where}: {source} holds non-finite values")
        loaded[key] = value
    module.load_state_dict(loaded, strict=False)


def heads_path(net: str) -> Path:
    """The LPIPS linear heads (v0.1) for trunk ``net`` that ship inside the ``lpips`` wheel."""
    import lpips

    return Path(lpips.__file__).parent / "weights" / "v0.1" / f"{_check_net(net)}.pth"


def _build_lpips(net: str, allow_download: bool):
    """``lpips.LPIPS(net)`` on the CPU, frozen and in eval mode, with every weight loaded here without unpickling.

    The network is built empty (``pnet_rand=True``: torchvision downloads and loads nothing; ``pretrained=False``:
    lpips loads no heads), then the ImageNet trunk from the hub cache (``features.<i>.*`` of torchvision's file
    become ``slice<k>.<i>.*``) and the heads from the wheel are read with ``load_weights_file``. Raises
    ``LPIPSUnavailable`` when the trunk is missing, cannot be downloaded, or is refused.
    """
    path = checkpoint_path(net)
    if not path.exists():
        if not allow_download:
            raise LPIPSUnavailable(f"{path.name} is not in {path.parent}")
        switch = _downloads_disabled()
        if switch:
            raise LPIPSUnavailable(f"{path.name} is not in {path.parent} and downloads are off ({switch} is set)")
        _download_trunk(net, path)
    trunk = load_weights_file(path)
    heads = load_weights_file(heads_path(net))
    import lpips

    with warnings.catch_warnings():
        # torchvision's deprecation notes about lpips' `pretrained=` argument are noise here.
        warnings.simplefilter("ignore", UserWarning)
        model = lpips.LPIPS(pretrained=False, net=net, pnet_rand=True, verbose=False)
    _load_into(model.net, trunk, {k: "features." + k.split(".", 1)[1] for k in model.net.state_dict()}, path)
    _load_into(model, heads, {k: k for k in model.state_dict() if re.match(r"lin\d+\.", k)}, heads_path(net))
    model.eval()
    for param in model.parameters():
        param.requires_grad_(False)
    return model


_RESOLVED: dict[tuple[str, str], LPIPSTrunk] = {}
_MODELS: dict[tuple[str, str, str], torch.nn.Module] = {}  # (net, hub dir, device) -> frozen LPIPS


def resolve_lpips(net: str = "alex") -> LPIPSTrunk:
    """Decide (once per trunk and hub folder) which LPIPS trunk serves a request for ``net``, loading it."""
    _check_net(net)
    hub = hub_dir()
    key = (net, hub)
    if key in _RESOLVED:
        return _RESOLVED[key]
    candidates = [(net, True)] + ([(FALLBACK_NET, False)] if net != FALLBACK_NET else [])
    reasons = []
    trunk = None
    for cand, allow_download in candidates:
        try:
            if (cand, hub, "cpu") not in _MODELS:
                _MODELS[(cand, hub, "cpu")] = _build_lpips(cand, allow_download)
        except LPIPSUnavailable as err:
            reasons.append(str(err))
            continue
        note = "" if cand == net else f"LPIPS-{net} unavailable ({reasons[0]})"
        trunk = LPIPSTrunk(net, cand, trunk_label(cand), checkpoint_path(cand), note)
        break
    if trunk is None:
        trunk = LPIPSTrunk(net, None, None, None, f"LPIPS-{net} unavailable ({'; '.join(reasons)})")
    if trunk.note:
        fallback = f"using {trunk.label} instead" if trunk.net else "no LPIPS will be computed"
        warnings.warn(
            f"{trunk.note}; {fallback}. Put the torchvision ImageNet checkpoint into "
            f"{Path(hub) / 'checkpoints'} (TORCH_HOME) to use the requested trunk.",
            LPIPSFallbackWarning,
            stacklevel=3,
        )
    _RESOLVED[key] = trunk
    return trunk


def lpips_label(net: str = "alex") -> str | None:
    """Label of the trunk that serves LPIPS requests for ``net`` (after any fallback), or None if none does."""
    return resolve_lpips(net).label


def load_lpips(net: str = "alex", device: str | torch.device = "cpu") -> tuple[torch.nn.Module | None, LPIPSTrunk]:
    """Frozen, eval-mode ``lpips.LPIPS`` model for ``net`` (or its fallback) on ``device``; cached.

    Returns ``(model, trunk)``; ``model`` is None when no trunk is available (see ``trunk.note``).
    """
    trunk = resolve_lpips(net)
    if trunk.net is None:
        return None, trunk
    return _model_on(trunk.net, hub_dir(), device), trunk


def _model_on(net: str, hub: str, device: str | torch.device) -> torch.nn.Module:
    key = (net, hub, str(torch.device(device)))
    if (net, hub, "cpu") not in _MODELS:  # after clear_lpips_cache(): reload from the hub cache
        _MODELS[(net, hub, "cpu")] = _build_lpips(net, allow_download=False)
    if key not in _MODELS:
        _MODELS[key] = copy.deepcopy(_MODELS[(net, hub, "cpu")]).to(key[2])
    return _MODELS[key]


def clear_lpips_cache() -> None:
    """Forget resolved trunks and loaded models (the next request warns again if it falls back)."""
    _RESOLVED.clear()
    _MODELS.clear()


class LPIPSLoss:
    """LPIPS distance between RGB batches in [0, 1] (mapped to [-1, 1] inside), mean over the batch.

    The LPIPS network is frozen and cached, not a submodule: it never enters a model's state dict or
    optimiser. Raises ``LPIPSUnavailable`` when no trunk is available. ``label`` names the trunk used.
    """

    def __init__(self, net: str = "alex"):
        self.trunk = resolve_lpips(net)
        if self.trunk.net is None:
            raise LPIPSUnavailable(self.trunk.note)
        self.net = self.trunk.net
        self.label = self.trunk.label
        self._hub = hub_dir()  # the model stays the one resolved now, whatever TORCH_HOME does later

    def per_image(self, pred_rgb: torch.Tensor, target_rgb: torch.Tensor) -> torch.Tensor:
        """LPIPS per image, shape (B,)."""
        model = _model_on(self.net, self._hub, pred_rgb.device)
        return model(pred_rgb * 2 - 1, target_rgb * 2 - 1).flatten()

    def __call__(self, pred_rgb: torch.Tensor, target_rgb: torch.Tensor) -> torch.Tensor:
        return self.per_image(pred_rgb, target_rgb).mean()


# --------------------------------------------------------------------------------------------- composite
class CompositeLoss:
    """Weighted sum of loss terms.

    ``loss(pred_net, target_net, lightness=None, space="rgb") -> (total, terms)``: ``total`` is the weighted
    sum (a tensor with gradient), ``terms`` maps each active term to its *unweighted* value as a float.
    Pixel terms use network space; ``lpips`` maps both sides to RGB with ``color.from_network(lightness, .,
    space)`` (so ``lightness`` is required with it). ``weights`` holds the active terms and their weights;
    ``dropped_terms`` maps a term that was asked for but cannot run to the reason; ``lpips_label`` names the
    LPIPS trunk (None when LPIPS is not in use).
    """

    def __init__(self, weights: Mapping[str, float], huber_delta: float = DEFAULT_HUBER_DELTA,
                 lpips_net: str = "alex"):
        self.weights: dict[str, float] = {}
        self.dropped_terms: dict[str, str] = {}
        self.huber_delta = float(huber_delta)
        self.lpips: LPIPSLoss | None = None
        for name, weight in weights.items():
            if name not in TERMS:
                raise ValueError(f"unknown loss term {name!r}; choose from {TERMS}")
            weight = float(weight)
            if weight < 0:
                raise ValueError(f"loss weight for {name!r} must be >= 0, got {weight}")
            if weight == 0:
                continue
            if name == "lpips":
                try:
                    self.lpips = LPIPSLoss(lpips_net)
                except LPIPSUnavailable as err:  # already announced by resolve_lpips
                    self.dropped_terms[name] = str(err)
                    continue
            self.weights[name] = weight
        if not self.weights:
            raise ValueError(f"loss spec leaves no active term (asked {dict(weights)}, dropped {self.dropped_terms})")
        self._pixel: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
            "mse": mse_loss, "l1": l1_loss, "huber": lambda p, t: huber_loss(p, t, self.huber_delta)}

    @property
    def lpips_label(self) -> str | None:
        return self.lpips.label if self.lpips is not None else None

    def __call__(self, pred_net: torch.Tensor, target_net: torch.Tensor, lightness: torch.Tensor | None = None,
                 space: str = "rgb") -> tuple[torch.Tensor, dict[str, float]]:
        total = pred_net.new_zeros(())
        terms: dict[str, float] = {}
        for name, weight in self.weights.items():
            if name == "lpips":
                if lightness is None:
                    raise ValueError("the lpips term needs `lightness` to map network outputs back to RGB")
                from colorlib import color

                value = self.lpips(color.from_network(lightness, pred_net, space),
                                   color.from_network(lightness, target_net, space))
            else:
                value = self._pixel[name](pred_net, target_net)
            terms[name] = float(value.detach())
            total = total + weight * value
        return total, terms

    def __repr__(self) -> str:
        extra = f", dropped={list(self.dropped_terms)}" if self.dropped_terms else ""
        label = f", lpips={self.lpips_label!r}" if self.lpips is not None else ""
        return f"CompositeLoss({self.weights}{label}{extra})"


def build_loss(spec: Mapping[str, float] | str, lpips_net: str | None = None) -> CompositeLoss:
    """Build a ``CompositeLoss`` from ``{"mse": 1.0, "lpips": 0.1}`` (or a single term name such as "l1").

    Options inside the spec: ``huber_delta`` (Huber's delta), ``lpips_net`` ("alex", "vgg", "squeeze";
    default "alex" as in the study). The ``lpips_net`` argument overrides the spec's.
    """
    spec = {spec: 1.0} if isinstance(spec, str) else dict(spec)
    delta = spec.pop("huber_delta", DEFAULT_HUBER_DELTA)
    net = lpips_net or spec.pop("lpips_net", DEFAULT_NET)
    spec.pop("lpips_net", None)
    return CompositeLoss(spec, huber_delta=delta, lpips_net=net)


# ------------------------------------------------------------------------------------- colour distributions
DISTRIBUTION_DIRECTIONS = 16  # evenly spaced directions of the sliced Wasserstein distance


def _ab(rgb: torch.Tensor) -> torch.Tensor:
    """CIE a*, b* of RGB in [0, 1], divided by 100: (B, 2, H, W), differentiable (kornia)."""
    from colorlib import color

    return color.rgb_to_lab(rgb.clamp(0.0, 1.0))[:, 1:] / 100.0


def lab_moments_distance(pred_rgb: torch.Tensor, style_rgb: torch.Tensor) -> torch.Tensor:
    """Mean squared difference of the per-image mean and standard deviation of a*, b* (in units of 100): the
    statistics Reinhard transfer matches. Differentiable; sizes may differ."""
    p, s = _ab(pred_rgb).flatten(2), _ab(style_rgb).flatten(2)
    return F.mse_loss(p.mean(-1), s.mean(-1)) + F.mse_loss(p.std(-1), s.std(-1))


def sliced_wasserstein_distance(pred_rgb: torch.Tensor, style_rgb: torch.Tensor,
                                n_directions: int = DISTRIBUTION_DIRECTIONS) -> torch.Tensor:
    """Sliced 1-Wasserstein distance between each output's and its style image's (a*, b*) pixel clouds (units of
    100), over evenly spaced directions: sorted projections compared pixel by pixel (equal pixel counts: the
    style crops are the training crops' size). Differentiable (through the sort)."""
    p, s = _ab(pred_rgb).flatten(2), _ab(style_rgb).flatten(2)
    if p.shape != s.shape:
        raise ValueError(f"sliced Wasserstein needs equal pixel counts, got {tuple(p.shape)} and {tuple(s.shape)}")
    angles = torch.arange(n_directions, device=p.device, dtype=p.dtype) * math.pi / n_directions
    dirs = torch.stack([angles.cos(), angles.sin()])  # (2, K)
    proj_p = torch.einsum("bcn,ck->bkn", p, dirs).sort(-1).values
    proj_s = torch.einsum("bcn,ck->bkn", s, dirs).sort(-1).values
    return (proj_p - proj_s).abs().mean()


def colour_distribution_loss(pred_rgb: torch.Tensor, style_rgb: torch.Tensor, metric: str) -> torch.Tensor:
    """``lab_moments_distance`` or ``sliced_wasserstein_distance`` by name (``TrainConfig.style_metric``)."""
    if metric == "lab_moments":
        return lab_moments_distance(pred_rgb, style_rgb)
    if metric == "sliced_wasserstein":
        return sliced_wasserstein_distance(pred_rgb, style_rgb)
    raise ValueError(f"unknown colour-distribution metric {metric!r}; choose 'lab_moments' or 'sliced_wasserstein'")

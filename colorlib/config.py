"""Training configuration: ``TrainConfig`` (everything that defines a training run) and ``GanConfig``.

Build a config from keyword arguments, ``TrainConfig.from_dict``, ``from_yaml``, ``coerce`` (any of those) or
``from_params`` (a profile's parameters, ``colorlib.profiles.resolve``: every field the profile names is taken
from it). The defaults are the ``report`` profile's, so a profile only states what it changes.

Validation is table-driven: every field's type comes from its annotation (one check for all of them) and its
range from ``BOUNDS`` / ``CHOICES``; a bad name, type or value raises ``ConfigError`` naming the field
("epochs must be int, got '3' (str)"). Only the checks that relate two fields are written out by hand.
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from colorlib import losses
from colorlib.models import ModelConfig

MODES = ("baseline", "implicit", "paired", "combined", "dual", "mixed")
STYLE_SOURCES = ("paintings", "photos")
STYLE_MODES = ("paired", "combined", "dual", "mixed")  # modes whose style reference may be another image
STYLE_METRICS = ("lab_moments", "sliced_wasserstein")  # colour-distribution losses of the mixed mode
GAN_LOSSES = ("bce", "lsgan")
LOSS_OPTIONS = ("huber_delta", "lpips_net")  # non-term keys accepted by losses.build_loss
DEVICES = ("auto", "cpu", "cuda", "mps")  # and "cuda:N"
PRECISIONS = ("fp32", "bf16", "fp16")  # fp16 (with a gradient scaler) on CUDA only
# Fields that do not change what a config trains to: kept out of the run key.
NON_KEY_FIELDS = ("device", "compile", "channels_last", "num_workers", "checkpoint_every", "sync_bn", "tag")


class ConfigError(ValueError):
    """A training config field has a bad name, type or value; the message names the field."""


def _finite(v) -> bool:
    return math.isfinite(v)


# field -> (what it must be, test); None values of optional fields are not tested.
BOUNDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "size": (">= 8 pixels", lambda v: v >= 8),
    "limit": (">= 1 or None", lambda v: v >= 1),
    "val_limit": (">= 1 or None", lambda v: v >= 1),
    "style_limit": (">= 1 or None", lambda v: v >= 1),
    "epochs": (">= 1", lambda v: v >= 1),
    "batch_size": (">= 1", lambda v: v >= 1),
    "lr": ("a finite number > 0", lambda v: v > 0 and _finite(v)),
    "style_lr": ("a finite number > 0 or None", lambda v: v > 0 and _finite(v)),
    "weight_decay": (">= 0", lambda v: v >= 0),
    "alpha": ("in [0, 1]", lambda v: 0.0 <= v <= 1.0),
    "num_workers": (">= 0", lambda v: v >= 0),
    "threads": (">= 1 or None", lambda v: v >= 1),
    "val_every": (">= 1", lambda v: v >= 1),
    "checkpoint_every": (">= 0 (0: epoch ends only)", lambda v: v >= 0),
    "crop_scale": (">= 1 or None", lambda v: v >= 1 and _finite(v)),
    "style_dropout": ("in [0, 1]", lambda v: 0.0 <= v <= 1.0),
    "paint_fraction": ("in [0, 1)", lambda v: 0.0 <= v < 1.0),
    "style_weight": ("a finite number >= 0", lambda v: v >= 0 and _finite(v)),
}
GAN_BOUNDS: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "weight": ("a finite number >= 0", lambda v: v >= 0 and _finite(v)),
    "lr": ("> 0", lambda v: v > 0),
    "base": (">= 1", lambda v: v >= 1),
}
CHOICES = {"mode": MODES, "precision": PRECISIONS, "style_metric": STYLE_METRICS}
GAN_CHOICES = {"loss": GAN_LOSSES, "norm": ("batch", "instance")}


# ================================================================================================ checks
def _type_names(hint) -> tuple[tuple[type, ...], bool]:
    """The runtime types an annotation allows, and whether None is allowed."""
    args = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else ()
    members = args or (hint,)
    allowed = tuple(typing.get_origin(m) or m for m in members if m is not type(None))
    if float in allowed and int not in allowed:
        allowed = (int,) + allowed  # an int is a fine float
    return allowed, type(None) in members


def check_types(obj, prefix: str = "", skip: tuple[str, ...] = ()) -> None:
    """Check every dataclass field of ``obj`` against its annotation (bool is not accepted for a number)."""
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        allowed, optional = _type_names(hints[f.name])
        value = getattr(obj, f.name)
        if optional and value is None:
            continue
        # bool is an int subclass: a True where a number belongs is a mistake, not 1.
        if isinstance(value, bool) and bool not in allowed or not isinstance(value, allowed):
            want = " or ".join(t.__name__ for t in allowed) + (" or None" if optional else "")
            raise ConfigError(f"{prefix}{f.name} must be {want}, got {value!r} ({type(value).__name__})")


def check_values(obj, bounds: Mapping, choices: Mapping, prefix: str = "") -> None:
    """Check the fields named in ``bounds`` (ranges) and ``choices`` (allowed values) of ``obj``."""
    for name, (want, ok) in bounds.items():
        value = getattr(obj, name)
        if value is not None and not ok(value):
            raise ConfigError(f"{prefix}{name} must be {want}, got {value!r}")
    for name, allowed in choices.items():
        if getattr(obj, name) not in allowed:
            raise ConfigError(f"{prefix}{name} must be one of {allowed}, got {getattr(obj, name)!r}")


# ================================================================================================ GAN
@dataclass
class GanConfig:
    """Adversarial hook: conditional PatchGAN on (lightness, output in network space).

    weight: factor of the generator's adversarial term; lr/betas: the discriminator's Adam; loss: "bce"
    (pix2pix) or "lsgan"; base/norm: ``models.PatchDiscriminator`` width and norm.
    """

    weight: float = 0.01
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    loss: str = "bce"
    base: int = 64
    norm: str = "batch"

    def __post_init__(self):
        check_types(self, "gan.", skip=("betas",))
        if not (isinstance(self.betas, (list, tuple)) and len(self.betas) == 2
                and all(isinstance(b, (int, float)) and 0 <= b < 1 for b in self.betas)):
            raise ConfigError(f"gan.betas must be two numbers in [0, 1), got {self.betas!r}")
        self.betas = tuple(float(b) for b in self.betas)
        check_values(self, GAN_BOUNDS, GAN_CHOICES, "gan.")

    @classmethod
    def coerce(cls, value) -> "GanConfig | None":
        if value is None or isinstance(value, GanConfig):
            return value
        if isinstance(value, Mapping):
            known = [f.name for f in dataclasses.fields(cls)]
            unknown = sorted(set(value) - set(known))
            if unknown:
                raise ConfigError(f"gan: unknown key(s) {unknown}; known: {known}")
            return cls(**value)
        raise ConfigError(f"gan must be None, a dict or a GanConfig, got {value!r}")


# ================================================================================================ training
@dataclass
class TrainConfig:
    """Everything that defines a training run (defaults: the ``report`` profile's).

    Data: ``source`` (photos: "gcompris", "samples", a folder, a hub name); ``style_source`` "paintings"
    (paintings from ``paintings_source``, default the same source as the photos) or "photos" (another
    training photo); any other ``style_source`` string is taken as the paintings' data source. ``size``:
    training crop side; ``resize``: short side images are pre-resized to (default ``size``); ``limit`` /
    ``val_limit`` / ``style_limit`` cap the number of images (``val_limit=None`` on a streamed hub source:
    a tenth of ``limit``). A source with no validation photos trains without validation (best = last).
    ``batch_size`` is the global batch (split over DDP ranks). ``loss``: spec for ``losses.build_loss``.
    ``crop_scale``: random crops of a side between ``size`` and ``crop_scale * size`` (scaled to ``size``) from
    the images pre-resized to ``resize`` (set it to ``crop_scale * size``: more views of the same photos); None:
    crops at one scale, as the study trained. Mode ``mixed`` (the improved model): each photo is styled by itself,
    or (share ``paint_fraction``) by a random painting, whose colour distribution the output is then pulled to
    (``style_metric``, weight ``style_weight``; no colour loss on those samples), or (share ``style_dropout`` of
    the photo-styled ones) by the model's automatic-mode head (``model.auto_head``), so one model colours with
    and without a reference. ``checkpoint_every``: steps between ``last`` checkpoints (0: only at epoch ends).
    ``val_every``: epochs
    between validations (the last epoch always validates). ``tag``: a free-form label (kept out of the run
    key, like device/compile/num_workers). ``precision``: "fp32", or mixed precision under ``torch.autocast``:
    "bf16" (CPU and CUDA; weights and optimiser stay fp32) or "fp16" (CUDA, with a gradient scaler). It changes
    the numbers, so it enters the run key (except fp32, whose runs keep the keys they had before the switch).
    ``threads``: CPU threads the run trains with (None: torch's default, one per core). It changes the numbers
    (oneDNN splits the convolutions' gradient sums by thread), so it enters the run key (None keeps the keys of
    runs trained before it existed); a fixed count makes a run's numbers independent of the machine's core
    count and lets ``colorlib.parallel`` train several runs side by side without changing them.
    """

    model: ModelConfig = field(default_factory=lambda: ModelConfig.preset("final"))
    source: str = "gcompris"
    style_source: str = "paintings"
    paintings_source: str | None = None
    size: int = 64
    resize: int | None = None
    limit: int | None = None
    val_limit: int | None = None
    style_limit: int | None = None
    epochs: int = 30
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "auto"
    compile: bool = False
    channels_last: bool = False
    precision: str = "fp32"
    threads: int | None = None
    num_workers: int = 0
    mode: str = "implicit"
    loss: dict = field(default_factory=lambda: {"mse": 1.0})
    alpha: float = 0.7
    style_loss_grad: bool = False
    style_lr: float | None = None
    gan: GanConfig | None = None
    crop_scale: float | None = None
    style_dropout: float = 0.0
    paint_fraction: float = 0.0
    style_metric: str = "lab_moments"
    style_weight: float = 1.0
    val_every: int = 1
    checkpoint_every: int = 200
    sync_bn: bool = True
    tag: str = ""

    def __post_init__(self):
        self.model = _model_config(self.model)
        self.gan = GanConfig.coerce(self.gan)
        if isinstance(self.loss, str):
            self.loss = {self.loss: 1.0}
        check_types(self, skip=("model", "gan", "loss"))
        check_values(self, BOUNDS, CHOICES)
        if self.style_source not in STYLE_SOURCES:
            # Shorthand: a data source name means "paintings from that source" (profiles use it this way).
            self.paintings_source = self.style_source
            self.style_source = "paintings"
        if self.resize is not None and self.resize < self.size:
            raise ConfigError(f"resize ({self.resize}) must be >= size ({self.size}) or None")
        if not (self.device in DEVICES or self.device.startswith("cuda:")):
            raise ConfigError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {self.device!r}")
        self.loss = check_loss(self.loss)
        if self.mode == "baseline" and self.model.adain:
            # The baseline is by definition the UNet without AdaIN and style encoder.
            self.model = dataclasses.replace(self.model, adain=False, style_init="default")
        if self.mode != "baseline" and not self.model.adain:
            raise ConfigError(f"mode {self.mode!r} needs a style encoder: model.adain must be True "
                              f"(use mode='baseline' for the UNet without AdaIN)")
        if self.mode != "mixed" and (self.style_dropout or self.paint_fraction):
            raise ConfigError(f"style_dropout and paint_fraction belong to mode 'mixed', not {self.mode!r}")
        if self.style_dropout and not self.model.auto_head:
            raise ConfigError("style_dropout trains the automatic mode: it needs model.auto_head=True")

    # ------------------------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], **overrides) -> "TrainConfig":
        data = {**dict(data), **overrides}
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ConfigError(f"unknown TrainConfig field(s) {unknown}; known fields: {names}")
        return cls(**data)

    @classmethod
    def from_params(cls, params, **fields) -> "TrainConfig":
        """A config from a profile's parameters (a namespace or dict): every TrainConfig field the parameters
        name is taken from them, then ``fields`` on top."""
        values = vars(params) if not isinstance(params, Mapping) else params
        taken = {f.name: values[f.name] for f in dataclasses.fields(cls) if f.name in values}
        return cls.from_dict({**taken, **fields})

    @classmethod
    def from_yaml(cls, path: str | os.PathLike, **overrides) -> "TrainConfig":
        import yaml

        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: not valid YAML: {err}") from err
        except UnicodeDecodeError:
            raise ConfigError(f"{path}: not a YAML text file (not UTF-8)") from None
        except OSError as err:  # missing, a folder, unreadable
            raise ConfigError(f"{path}: cannot read the config ({err.strerror or err})") from None
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ConfigError(f"{path}: expected a mapping of TrainConfig fields, got {type(data).__name__}")
        try:
            return cls.from_dict(data, **overrides)
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}") from err

    @classmethod
    def coerce(cls, cfg: "TrainConfig | Mapping | str | os.PathLike | None" = None, **overrides) -> "TrainConfig":
        """A TrainConfig from a TrainConfig, dict, YAML path or None (defaults), with field overrides."""
        if cfg is None:
            return cls.from_dict({}, **overrides)
        if isinstance(cfg, TrainConfig):
            return cls.from_dict(cfg.to_dict(), **overrides) if overrides else cfg
        if isinstance(cfg, Mapping):
            return cls.from_dict(cfg, **overrides)
        if isinstance(cfg, (str, os.PathLike)):
            return cls.from_yaml(cfg, **overrides)
        raise ConfigError(f"cannot make a TrainConfig from {type(cfg).__name__}")

    def to_dict(self) -> dict:
        """JSON-able dict (tuples become lists); ``from_dict`` inverts it."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    # ------------------------------------------------------------------------------------ the run key
    def key_dict(self) -> dict:
        """The fields that decide what the run trains to, minus those its mode ignores (for the run key)."""
        d = self.to_dict()
        for name in NON_KEY_FIELDS:
            d.pop(name)
        if self.mode not in STYLE_MODES:
            for name in ("style_source", "paintings_source", "style_limit"):
                d.pop(name)
        elif self.style_source == "photos":
            d.pop("paintings_source")
            d.pop("style_limit")
        elif d["paintings_source"] is None:
            d["paintings_source"] = self.source
        if self.mode != "combined":
            d.pop("alpha")
        if self.mode not in ("combined", "dual"):
            d.pop("style_loss_grad")
        if self.mode != "dual":
            d.pop("style_lr")
        else:
            d["style_lr"] = self.effective_style_lr
        if d["resize"] is None:
            d["resize"] = self.size
        # Fields added after runs were trained keep those runs' keys at their defaults.
        d["model"] = self.model.key_dict()
        for name, default in (("precision", "fp32"), ("crop_scale", None), ("style_dropout", 0.0), ("threads", None)):
            if d[name] == default:
                d.pop(name)
        if self.mode != "mixed":
            for name in ("paint_fraction", "style_metric", "style_weight"):
                d.pop(name)
        return d

    @property
    def effective_style_lr(self) -> float:
        return self.style_lr if self.style_lr is not None else self.lr / 10

    @property
    def effective_paintings_source(self) -> str:
        return self.paintings_source or self.source

    @property
    def uses_style_images(self) -> bool:
        """Whether training pairs each photo with another image (a painting or a photo) as its style."""
        return self.mode in STYLE_MODES


def _model_config(value) -> ModelConfig:
    """``TrainConfig.model`` from a ModelConfig, a dict of its fields or a preset name."""
    try:
        if isinstance(value, Mapping):
            value = ModelConfig.from_dict(dict(value))
        elif isinstance(value, str):
            value = ModelConfig.preset(value)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"model: {err}") from err
    if not isinstance(value, ModelConfig):
        raise ConfigError(f"model must be a ModelConfig, a dict of its fields or a preset name, got {value!r}")
    return value


def check_loss(loss) -> dict:
    """A loss spec for ``losses.build_loss``: known terms with finite weights >= 0, at least one > 0."""
    if not isinstance(loss, Mapping) or not loss:
        raise ConfigError(f"loss must be a non-empty dict like {{'mse': 1.0, 'lpips': 0.1}}, got {loss!r}")
    loss = dict(loss)
    for k, v in loss.items():
        if k in LOSS_OPTIONS:
            continue
        if k not in losses.TERMS:
            raise ConfigError(f"loss: unknown term {k!r}; terms: {losses.TERMS}, options: {LOSS_OPTIONS}")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or not math.isfinite(v):
            raise ConfigError(f"loss: weight of {k!r} must be a finite number >= 0, got {v!r}")
    if not any(k in losses.TERMS and loss[k] > 0 for k in loss):
        raise ConfigError(f"loss: no term has a weight > 0 in {loss!r}")
    return loss


def parse_set(items) -> dict:
    """``["limit=8", "seeds=[0]", "compile=false"]`` -> ``{"limit": 8, "seeds": [0], "compile": False}`` (values
    are YAML): the ``--set`` of ``python -m colorlib.train`` and of ``colorlib.report``."""
    import yaml

    out = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--set expects KEY=VALUE, got {item!r}")
        try:
            out[name.strip()] = yaml.safe_load(value)
        except yaml.YAMLError as err:
            raise ValueError(f"--set {item}: the value is not valid YAML ({getattr(err, 'problem', None) or err})") \
                from None
    return out

"""Training engine: typed config, the training loop of every mode, checkpoints, resume, run cache and DDP.

Entry points: ``train(cfg) -> Run``, ``load_run(dir) -> Run``, ``TrainConfig`` and the CLI
``python -m colorlib.train --config cfg.yaml [--retrain]`` (also under ``torchrun --nproc_per_node=N``).

Modes (``TrainConfig.mode``); ``L`` is the network lightness, ``enc`` the style encoder, ``G`` the UNet:

- ``baseline``: the UNet without AdaIN (``model.adain`` is forced to False); loss = colour loss.
- ``implicit`` (the final method): the style reference is the ground-truth colour image itself,
  ``latent = enc(style_input(rgb))``; loss = colour loss.
- ``paired``: the style reference is a random painting (``style_source="paintings"``) or another training
  photo (``"photos"``); loss = colour loss against the photo's own colours.
- ``combined``: as paired, loss = ``alpha * colour + (1 - alpha) * style`` with
  ``style = MSE(enc(style), enc(style_input(produced)))``. The produced image's latent is computed under
  ``no_grad`` as in the original study unless ``style_loss_grad=True`` (then the style loss also trains G).
- ``dual``: as paired, two Adam optimisers per batch: first a colour step (optimiser ``color`` owns *all*
  generator parameters, lr ``lr``), then a style step (optimiser ``style`` owns the style encoder and the
  AdaIN ``to_scale``/``to_shift`` linears, lr ``style_lr``, default ``lr / 10``) on the style loss above,
  recomputed with the updated weights.
- ``gan`` (any mode): a conditional PatchGAN ``D(L, output)`` (pix2pix style) is updated first on
  ``real = (L, target)`` / ``fake = (L, output.detach())``, then ``gan.weight * adversarial`` is added to the
  generator's (colour-step) loss, with D frozen.

Determinism and resume. Nothing depends on how far a global RNG has advanced: the data order of epoch ``e``
comes from ``DistributedSampler(seed, epoch=e)``; the augmentation and the style pick of sample ``i`` in epoch
``e`` run under an RNG seeded from ``(seed, e, i)``; the global torch RNG (dropout) is reseeded from
``(seed, rank, step)`` before every step. A checkpoint after step ``k`` (weights, optimisers, partial-epoch
sums) therefore resumes exactly: on CPU the final weights of a run killed and resumed are bit-identical to
an uninterrupted one (tests/test_train.py). RNG states are still saved in checkpoints for inspection.

DDP. The global batch is ``batch_size``; each of ``N`` ranks takes ``batch_size / N`` samples of the same
sampler order, so one step sees the same samples as a single process. With CUDA, BatchNorm layers become
SyncBatchNorm (``sync_bn``, default on) and the step is the same up to float summation order. On CPU (gloo)
SyncBatchNorm does not exist: BatchNorm normalises with per-replica batch statistics, so losses differ from
a single-process run by a few per cent at tiny batches (tested with a stated tolerance). Only rank 0 writes.

Run cache. ``<cache>/runs/<key>`` with key = sha256 of the canonical config (only fields that change the
result, and only those the mode uses) plus the data manifest (name, split, size and pixel hash of every
training, validation and style image). A finished run (``done.json``) is loaded instead of retrained;
an unfinished one resumes from ``last``.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import hashlib
import io
import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn

from colorlib import checkpoint as ck
from colorlib import color, losses, models, paths
from colorlib.checkpoint import CheckpointError
from colorlib.models import ModelConfig

ENGINE_VERSION = 1  # enters the run key: bump when a change alters what a given config trains to
MODES = ("baseline", "implicit", "paired", "combined", "dual")
STYLE_SOURCES = ("paintings", "photos")
STYLE_MODES = ("paired", "combined", "dual")  # modes whose style reference is another image
GAN_LOSSES = ("bce", "lsgan")
LOSS_OPTIONS = ("huber_delta", "lpips_net")  # non-term keys accepted by losses.build_loss
# Fields that do not change what a config trains to: kept out of the run key.
NON_KEY_FIELDS = ("device", "compile", "channels_last", "num_workers", "checkpoint_every", "sync_bn", "tag")


class ConfigError(ValueError):
    """A training config field has a bad name, type or value; the message names the field."""


# ================================================================================================ config
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
        _check_type(self, "weight", (int, float), "gan.")
        _check_type(self, "lr", (int, float), "gan.")
        _check_type(self, "base", int, "gan.")
        if self.weight < 0 or not math.isfinite(self.weight):
            raise ConfigError(f"gan.weight must be a finite number >= 0, got {self.weight!r}")
        if not self.lr > 0:
            raise ConfigError(f"gan.lr must be > 0, got {self.lr!r}")
        if not (isinstance(self.betas, (list, tuple)) and len(self.betas) == 2
                and all(isinstance(b, (int, float)) and 0 <= b < 1 for b in self.betas)):
            raise ConfigError(f"gan.betas must be two numbers in [0, 1), got {self.betas!r}")
        self.betas = tuple(float(b) for b in self.betas)
        if self.loss not in GAN_LOSSES:
            raise ConfigError(f"gan.loss must be one of {GAN_LOSSES}, got {self.loss!r}")
        if self.norm not in ("batch", "instance"):
            raise ConfigError(f"gan.norm must be 'batch' or 'instance', got {self.norm!r}")
        if self.base < 1:
            raise ConfigError(f"gan.base must be >= 1, got {self.base!r}")


def _check_type(obj, name: str, types, prefix: str = "", optional: bool = False) -> None:
    value = getattr(obj, name)
    if optional and value is None:
        return
    types = types if isinstance(types, tuple) else (types,)
    # bool is an int subclass: a True where a number belongs is a mistake, not 1.
    if isinstance(value, bool) and bool not in types or not isinstance(value, types):
        want = " or ".join(t.__name__ for t in types) + (" or None" if optional else "")
        raise ConfigError(f"{prefix}{name} must be {want}, got {value!r} ({type(value).__name__})")


@dataclass
class TrainConfig:
    """Everything that defines a training run. Build from kwargs, ``from_dict`` or ``from_yaml``.

    Data: ``source`` (photos: "gcompris", "samples", a folder, a hub name); ``style_source`` "paintings"
    (paintings from ``paintings_source``, default the same source as the photos) or "photos" (another
    training photo); any other ``style_source`` string is taken as the paintings' data source. ``size``:
    training crop side; ``resize``: short side images are pre-resized to (default ``size``); ``limit`` /
    ``val_limit`` / ``style_limit`` cap the number of images (``val_limit=None`` on a streamed hub source:
    a tenth of ``limit``). A source with no validation photos trains without validation (best = last).
    ``batch_size`` is the global batch (split over DDP ranks). ``loss``: spec for ``losses.build_loss``.
    ``checkpoint_every``: steps between ``last`` checkpoints (0: only at epoch ends). ``val_every``: epochs
    between validations (the last epoch always validates). ``tag``: a free-form label (kept out of the run
    key, like device/compile/num_workers).
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
    epochs: int = 10
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "auto"
    compile: bool = False
    channels_last: bool = False
    num_workers: int = 0
    mode: str = "implicit"
    loss: dict = field(default_factory=lambda: {"mse": 1.0})
    alpha: float = 0.7
    style_loss_grad: bool = False
    style_lr: float | None = None
    gan: GanConfig | None = None
    val_every: int = 1
    checkpoint_every: int = 200
    sync_bn: bool = True
    tag: str = ""

    def __post_init__(self):
        if isinstance(self.model, Mapping):
            try:
                self.model = ModelConfig.from_dict(dict(self.model))
            except (TypeError, ValueError) as err:
                raise ConfigError(f"model: {err}") from err
        elif isinstance(self.model, str):
            try:
                self.model = ModelConfig.preset(self.model)
            except ValueError as err:
                raise ConfigError(f"model: {err}") from err
        if not isinstance(self.model, ModelConfig):
            raise ConfigError(f"model must be a ModelConfig, a dict of its fields or a preset name, "
                              f"got {self.model!r}")
        if isinstance(self.gan, Mapping):
            unknown = sorted(set(self.gan) - {f.name for f in dataclasses.fields(GanConfig)})
            if unknown:
                raise ConfigError(f"gan: unknown key(s) {unknown}; known: "
                                  f"{[f.name for f in dataclasses.fields(GanConfig)]}")
            self.gan = GanConfig(**self.gan)
        if self.gan is not None and not isinstance(self.gan, GanConfig):
            raise ConfigError(f"gan must be None, a dict or a GanConfig, got {self.gan!r}")

        for name in ("size", "epochs", "batch_size", "seed", "num_workers", "val_every", "checkpoint_every"):
            _check_type(self, name, int)
        for name in ("resize", "limit", "val_limit", "style_limit"):
            _check_type(self, name, int, optional=True)
        for name in ("lr", "weight_decay", "alpha"):
            _check_type(self, name, (int, float))
        _check_type(self, "style_lr", (int, float), optional=True)
        for name in ("compile", "channels_last", "style_loss_grad", "sync_bn"):
            _check_type(self, name, bool)
        for name in ("source", "style_source", "device", "mode", "tag"):
            _check_type(self, name, str)
        _check_type(self, "paintings_source", str, optional=True)

        if self.mode not in MODES:
            raise ConfigError(f"mode must be one of {MODES}, got {self.mode!r}")
        if self.style_source not in STYLE_SOURCES:
            # Shorthand: a data source name means "paintings from that source" (profiles use it this way).
            self.paintings_source = self.style_source
            self.style_source = "paintings"
        if self.size < 8:
            raise ConfigError(f"size must be >= 8 pixels, got {self.size}")
        if self.resize is not None and self.resize < self.size:
            raise ConfigError(f"resize ({self.resize}) must be >= size ({self.size}) or None")
        for name in ("limit", "val_limit", "style_limit"):
            v = getattr(self, name)
            if v is not None and v < 1:
                raise ConfigError(f"{name} must be >= 1 or None, got {v}")
        if self.epochs < 1:
            raise ConfigError(f"epochs must be >= 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ConfigError(f"lr must be a finite number > 0, got {self.lr}")
        if self.style_lr is not None and not (self.style_lr > 0 and math.isfinite(self.style_lr)):
            raise ConfigError(f"style_lr must be a finite number > 0 or None, got {self.style_lr}")
        if self.weight_decay < 0:
            raise ConfigError(f"weight_decay must be >= 0, got {self.weight_decay}")
        if not 0.0 <= self.alpha <= 1.0:
            raise ConfigError(f"alpha must be in [0, 1], got {self.alpha}")
        if self.num_workers < 0:
            raise ConfigError(f"num_workers must be >= 0, got {self.num_workers}")
        if self.val_every < 1:
            raise ConfigError(f"val_every must be >= 1, got {self.val_every}")
        if self.checkpoint_every < 0:
            raise ConfigError(f"checkpoint_every must be >= 0 (0: epoch ends only), got {self.checkpoint_every}")
        if not (self.device in ("auto", "cpu", "cuda", "mps") or self.device.startswith("cuda:")):
            raise ConfigError(f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps', got {self.device!r}")
        self._check_loss()

        if self.mode == "baseline" and self.model.adain:
            # The baseline is by definition the UNet without AdaIN and style encoder.
            self.model = dataclasses.replace(self.model, adain=False)
        if self.mode != "baseline" and not self.model.adain:
            raise ConfigError(f"mode {self.mode!r} needs a style encoder: model.adain must be True "
                              f"(use mode='baseline' for the UNet without AdaIN)")

    def _check_loss(self):
        if isinstance(self.loss, str):
            self.loss = {self.loss: 1.0}
        if not isinstance(self.loss, Mapping) or not self.loss:
            raise ConfigError(f"loss must be a non-empty dict like {{'mse': 1.0, 'lpips': 0.1}}, got {self.loss!r}")
        self.loss = dict(self.loss)
        for k, v in self.loss.items():
            if k in LOSS_OPTIONS:
                continue
            if k not in losses.TERMS:
                raise ConfigError(f"loss: unknown term {k!r}; terms: {losses.TERMS}, options: {LOSS_OPTIONS}")
            if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or not math.isfinite(v):
                raise ConfigError(f"loss: weight of {k!r} must be a finite number >= 0, got {v!r}")
        if not any(k in losses.TERMS and self.loss[k] > 0 for k in self.loss):
            raise ConfigError(f"loss: no term has a weight > 0 in {self.loss!r}")

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
    def from_yaml(cls, path: str | os.PathLike, **overrides) -> "TrainConfig":
        import yaml

        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text())
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: not valid YAML: {err}") from err
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
        return d

    @property
    def effective_style_lr(self) -> float:
        return self.style_lr if self.style_lr is not None else self.lr / 10

    @property
    def effective_paintings_source(self) -> str:
        return self.paintings_source or self.source


# ================================================================================================ data
@dataclass
class TrainData:
    """Image records for a run: ``train`` photos, ``val`` photos (may be empty), ``style`` paintings (may be
    empty). Records follow ``colorlib.data.ImageRecord`` (``image`` PIL RGB, ``name``, ``split``, ...)."""

    train: list
    val: list = field(default_factory=list)
    style: list = field(default_factory=list)


def load_data(cfg: TrainConfig, progress: bool = True) -> TrainData:
    """Load (and pre-resize, cached on disk by colorlib.data) the images a config needs."""
    from colorlib import data

    resize = cfg.resize or cfg.size
    train_recs = data.load_images(cfg.source, "photos", "train", resize, limit=cfg.limit, progress=progress)
    val_limit = cfg.val_limit
    if val_limit is None and cfg.source in getattr(data, "HUB_SOURCES", {}):
        val_limit = max(1, (cfg.limit or 10_000) // 10)  # streamed sources need a cap: a tenth of the training set
    val_recs = data.load_images(cfg.source, "photos", "val", resize, limit=val_limit, progress=progress)
    style_recs = []
    if cfg.mode in STYLE_MODES and cfg.style_source == "paintings":
        style_recs = data.load_images(cfg.effective_paintings_source, "paintings", None, resize,
                                      limit=cfg.style_limit, progress=progress)
        if not style_recs:
            raise ValueError(f"mode {cfg.mode!r} with style_source='paintings' found no paintings in "
                             f"{cfg.effective_paintings_source!r}")
    return TrainData(list(train_recs), list(val_recs), list(style_recs))


def _image_digest(image) -> str:
    h = hashlib.blake2b(digest_size=8)
    h.update(f"{image.mode}{image.size}".encode())
    h.update(image.tobytes())
    return h.hexdigest()


def data_manifest(td: TrainData) -> list[dict]:
    """Name, split, size and pixel hash of every image a run uses (enters the run key)."""
    out = []
    for role, recs in (("train", td.train), ("val", td.val), ("style", td.style)):
        for r in recs:
            out.append({"role": role, "name": str(r.name), "size": list(r.image.size),
                        "pixels": _image_digest(r.image)})
    return out


def lpips_trunk(cfg: TrainConfig) -> str | None:
    """Label of the LPIPS trunk a config's loss would train with here (None: no LPIPS term, or none available).

    It enters the run key: a run trained without LPIPS (no trunk weights found) or with another trunk must not
    be served from the cache as if it had been trained with the one available now."""
    if not cfg.loss.get("lpips"):
        return None
    return losses.lpips_label(cfg.loss.get("lpips_net", losses.DEFAULT_NET))


def run_key(cfg: TrainConfig, manifest: list[dict]) -> str:
    canon = json.dumps({"engine": ENGINE_VERSION, "config": cfg.key_dict(), "data": manifest,
                        "lpips_trunk": lpips_trunk(cfg)}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


def _mix(*parts) -> int:
    """A 63-bit seed from any tuple of ints/strings (stable across processes and Python versions)."""
    return int.from_bytes(hashlib.blake2b(repr(parts).encode(), digest_size=8).digest(), "little") >> 1


@contextlib.contextmanager
def _seeded(seed: int):
    """Run a block under RNGs seeded with ``seed`` (torch CPU, numpy, random), restoring them after."""
    import random

    import numpy as np

    py_state, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed % 2**32)
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


class _SeededPairs(torch.utils.data.Dataset):
    """Wraps ``ColorDataset``s: item ``i`` of epoch ``e`` is augmented under an RNG seeded by (seed, e, i), and
    carries a style image (a painting or another photo) picked and augmented the same way. Independent of
    workers, prefetching and ranks, so a resumed or sharded run sees exactly the same samples."""

    def __init__(self, photos, seed: int, styles=None, style_is_photos: bool = False, fixed_epoch=None):
        self.photos, self.styles, self.seed = photos, styles, seed
        self.style_is_photos = style_is_photos
        self.fixed_epoch = fixed_epoch  # validation: the same crops and pairs every epoch
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self):
        return len(self.photos)

    def __getitem__(self, i):
        e = self.epoch if self.fixed_epoch is None else self.fixed_epoch
        with _seeded(_mix(self.seed, e, "photo", i)):
            item = dict(self.photos[i])
        if self.styles is not None:
            g = torch.Generator().manual_seed(_mix(self.seed, e, "pick", i))
            n = len(self.styles)
            if self.style_is_photos:  # another photo, never the photo itself
                j = (i + 1 + int(torch.randint(max(n - 1, 1), (1,), generator=g))) % n
            else:
                j = int(torch.randint(n, (1,), generator=g))
            with _seeded(_mix(self.seed, e, "style", i)):
                item["style_rgb"] = self.styles[j]["rgb"]
        item["index"] = i
        return item


class _SkipSampler(torch.utils.data.Sampler):
    """A ``DistributedSampler`` whose first ``skip`` indices of the epoch are left out (resume mid-epoch)."""

    def __init__(self, sampler):
        self.sampler, self.skip = sampler, 0

    def set_epoch(self, epoch: int, skip: int = 0) -> None:
        self.sampler.set_epoch(epoch)
        self.skip = skip

    def __iter__(self):
        it = iter(self.sampler)
        for _ in range(self.skip):
            next(it)
        yield from it

    def __len__(self):
        return len(self.sampler) - self.skip


# ================================================================================================ runtime
@dataclass
class _Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    owns_group: bool = False

    @property
    def main(self) -> bool:
        return self.rank == 0

    def barrier(self):
        if self.world > 1:
            dist.barrier()

    def all_sum(self, t: torch.Tensor) -> torch.Tensor:
        if self.world > 1:
            dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t


def _init_distributed(device_pref: str) -> _Dist:
    """Join the process group torchrun describes in the environment (no-op for a single process)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return _Dist()
    rank, local = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if dist.is_initialized():
        return _Dist(dist.get_rank(), dist.get_world_size(), local, False)
    use_cuda = torch.cuda.is_available() and device_pref in ("auto", "cuda") or device_pref.startswith("cuda")
    if use_cuda:
        torch.cuda.set_device(local)
    dist.init_process_group("nccl" if use_cuda else "gloo")
    if "OMP_NUM_THREADS" not in os.environ:  # torchrun sets it; elsewhere, split the cores between ranks
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ.get("LOCAL_WORLD_SIZE", world))))
    return _Dist(rank, world, local, True)


def resolve_device(pref: str, local_rank: int = 0) -> torch.device:
    """"auto" -> CUDA (this rank's GPU), else MPS, else CPU; explicit names are checked."""
    if pref == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda", local_rank)
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if pref.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"device {pref!r} requested but CUDA is not available")
        return torch.device("cuda", local_rank) if pref == "cuda" else torch.device(pref)
    if pref == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("device 'mps' requested but MPS is not available")
    return torch.device(pref)


class _Generator(nn.Module):
    """One module whose forward does everything the generator computes in a step, so that DDP sees a single
    forward per backward: encode the style, colourise, and optionally re-encode the produced image."""

    def __init__(self, model: models.Colorizer):
        super().__init__()
        self.model = model

    def forward(self, lightness, style=None, reencode: bool = False, reencode_grad: bool = False):
        latent = self.model.encode_style(style) if style is not None else None
        pred = self.model(lightness, latent)
        latent_p = None
        if reencode:
            space = self.model.cfg.space
            with contextlib.nullcontext() if reencode_grad else torch.no_grad():
                produced = color.style_input(color.from_network(lightness, pred, space), space)
                latent_p = self.model.encode_style(produced)
        return pred, latent, latent_p


def style_parameters(model: models.Colorizer) -> list[nn.Parameter]:
    """Parameters the ``dual`` mode's style optimiser owns: the style encoder and every AdaIN's linears."""
    params = list(model.style_encoder.parameters()) if model.style_encoder is not None else []
    for m in model.modules():
        if isinstance(m, models.AdaIN):
            params += list(m.to_scale.parameters()) + list(m.to_shift.parameters())
    return params


def _gan_criterion(kind: str):
    if kind == "bce":
        return lambda logits, real: F.binary_cross_entropy_with_logits(
            logits, torch.full_like(logits, 1.0 if real else 0.0))
    return lambda logits, real: F.mse_loss(logits, torch.full_like(logits, 1.0 if real else 0.0))


class _Accum:
    """Sums over an epoch: loss terms (per batch) and latent moments (per sample), reducible over ranks and
    saved in mid-epoch checkpoints so a resumed epoch reports the same numbers."""

    def __init__(self, latent_dim: int | None):
        self.terms: dict[str, float] = {}
        self.batches = 0
        self.dim = latent_dim
        self.reset()

    def reset(self):
        self.terms, self.batches = {}, 0
        d = self.dim or 0
        self.z_sum = torch.zeros(d, dtype=torch.float64)
        self.z_sq = torch.zeros(d, dtype=torch.float64)
        self.z_n = 0

    def add(self, terms: Mapping[str, float], latent: torch.Tensor | None, weight: int = 1):
        for k, v in terms.items():
            self.terms[k] = self.terms.get(k, 0.0) + float(v) * weight
        self.batches += weight
        if latent is not None and self.dim:
            z = latent.detach().to("cpu", torch.float64)
            self.z_sum += z.sum(0)
            self.z_sq += (z * z).sum(0)
            self.z_n += z.shape[0]

    def running(self) -> dict[str, float]:
        return {k: v / max(self.batches, 1) for k, v in self.terms.items()}

    def tensors(self) -> dict[str, torch.Tensor]:
        return {"accum.z_sum": self.z_sum, "accum.z_sq": self.z_sq}

    def state(self) -> dict:
        return {"terms": self.terms, "batches": self.batches, "z_n": self.z_n}

    def load(self, tensors, state):
        self.terms = dict(state["terms"])
        self.batches = int(state["batches"])
        self.z_n = int(state["z_n"])
        if self.dim:
            self.z_sum = tensors["accum.z_sum"].to(torch.float64).clone()
            self.z_sq = tensors["accum.z_sq"].to(torch.float64).clone()

    def summed(self, d: _Dist, keys: list[str]) -> "_Accum":
        """A copy holding the sums over all ranks (itself when there is one rank)."""
        if d.world == 1:
            return self
        out = _Accum(self.dim)
        vec = d.all_sum(torch.tensor([self.terms.get(k, 0.0) for k in keys] + [self.batches, self.z_n],
                                     dtype=torch.float64))
        out.terms = {k: vec[i].item() for i, k in enumerate(keys)}
        out.batches, out.z_n = int(vec[-2].item()), int(vec[-1].item())
        if self.dim:
            out.z_sum, out.z_sq = d.all_sum(self.z_sum.clone()), d.all_sum(self.z_sq.clone())
        return out

    def reduce(self, d: _Dist, prefix: str, keys: list[str]) -> dict[str, float]:
        """Epoch means over all ranks (terms: mean over batches; latents: same definitions as
        ``metrics.latent_stats``: mean/std over all entries, dead = per-unit std < 1e-6)."""
        # ``keys`` is the same on every rank (a rank may have seen no batch, e.g. of a tiny validation set).
        total = self.summed(d, keys)
        out = {f"{prefix}{k}": total.terms.get(k, 0.0) / max(total.batches, 1) for k in keys}
        n = total.z_n
        if self.dim and n > 0:
            s, q = total.z_sum, total.z_sq
            mean_u = s / n
            spread = (q / n - mean_u**2).clamp_min(0).sqrt()
            mean = s.sum().item() / (n * self.dim)
            var = q.sum().item() / (n * self.dim) - mean**2
            out.update({"latent_mean": mean, "latent_std": math.sqrt(max(var, 0.0)),
                        "latent_spread_mean": spread.mean().item(),
                        "latent_dead_frac": (spread < 1e-6).double().mean().item()})
        return out


# ================================================================================================ run
@dataclass
class Run:
    """A trained (or cached) run. ``model`` is in eval mode with the ``weights`` checkpoint ("best" by
    validation loss, "last" when there was no validation) loaded."""

    model: models.Colorizer
    history: list[dict]
    dir: Path
    cached: bool
    config: TrainConfig
    lpips_label: str | None = None
    key: str = ""
    weights: str = "best"
    summary: dict = field(default_factory=dict)

    def load_weights(self, which: str = "last") -> "Run":
        """Swap in the ``best`` or ``last`` weights of this run."""
        load_weights(self.model, self.dir / which)
        self.weights = which
        self.model.eval()
        return self


def load_weights(model: nn.Module, stem: str | os.PathLike, prefix: str = "model.") -> dict:
    """Load a checkpoint's weights into ``model``; refuse a config or architecture mismatch by name.

    Returns the checkpoint's JSON state.
    """
    tensors, state = ck.load_checkpoint(stem)
    saved_cfg = (state.get("config") or {}).get("model")
    own_cfg = getattr(model, "cfg", None)
    if saved_cfg is not None and dataclasses.is_dataclass(own_cfg):
        diffs = ck.compare_configs(saved_cfg, dataclasses.asdict(own_cfg))
        if diffs:
            raise CheckpointError(f"{ck._paths(stem)[0]}: checkpoint was trained with another model config: "
                                  + "; ".join(diffs))
    ck.load_module(model, tensors, prefix, str(ck._paths(stem)[0]))
    return state


def load_run(run_dir: str | os.PathLike, weights: str = "best", device: str | torch.device = "cpu",
             cached: bool = True) -> Run:
    """Load a finished run folder: its config, history and the ``best`` (or ``last``) weights."""
    run_dir = Path(run_dir)
    done = run_dir / "done.json"
    if not done.exists():
        what = "an unfinished run (call train() with its config to resume)" if (run_dir / "last.safetensors"
                                                                              ).exists() else "not a run folder"
        raise FileNotFoundError(f"{run_dir}: no done.json: {what}")
    summary = json.loads(done.read_text())
    cfg = TrainConfig.from_dict(json.loads((run_dir / "config.json").read_text()))
    history = json.loads((run_dir / "history.json").read_text()) if (run_dir / "history.json").exists() else []
    model = models.build_model(cfg.model)
    which = weights if ck.exists(run_dir / weights) else "last"
    load_weights(model, run_dir / which)
    model.to(device).eval()
    return Run(model, history, run_dir, cached, cfg, summary.get("lpips_label"), summary.get("key", run_dir.name),
               which, summary)


def find_run(cfg: TrainConfig | Mapping | str | os.PathLike, *, data: TrainData | Mapping | None = None,
             cache_dir: str | os.PathLike | None = None, weights: str = "best", device: str | torch.device = "cpu",
             progress: bool = False) -> Run | None:
    """The finished run of ``cfg`` from the run cache, or None; never trains.

    The key is computed as ``train`` does (config + data manifest), so the config's images are loaded
    (``load_data``; from the on-disk resize cache after the first time). None when the run has no
    ``done.json`` (never trained, or unfinished).
    """
    cfg = TrainConfig.coerce(cfg)
    if data is None:
        data = load_data(cfg, progress)
    elif isinstance(data, Mapping):
        data = TrainData(**data)
    run_dir, _ = _run_dir(cfg, data, cache_dir)
    if not (run_dir / "done.json").exists():
        return None
    return load_run(run_dir, weights=weights, device=device)


def _run_dir(cfg: TrainConfig, data: TrainData, cache_dir: str | os.PathLike | None) -> tuple[Path, dict]:
    """The run's folder in the run cache (``<cache>/runs/<run_key>``) and the data manifest its key hashes."""
    manifest = data_manifest(data)
    root = Path(cache_dir) if cache_dir is not None else paths.cache_dir()
    return root / "runs" / run_key(cfg, manifest), manifest


def _write_history(run_dir: Path, history: list[dict]) -> None:
    ck.write_json(run_dir / "history.json", history)
    cols: list[str] = []
    for row in history:
        cols += [k for k in row if k not in cols]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, restval="")
    w.writeheader()
    w.writerows(history)
    tmp = run_dir / ".history.csv.tmp"
    tmp.write_text(buf.getvalue())
    os.replace(tmp, run_dir / "history.csv")


@contextlib.contextmanager
def _run_lock(run_dir: Path, d: _Dist):
    """Exclusive lock on a run folder (rank 0) so two processes never train the same run at once; the OS
    drops it if the holder dies (even by SIGKILL)."""
    if not d.main:
        yield
        return
    import fcntl

    fh = open(run_dir / ".lock", "w")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"colorlib.train: waiting for another process training {run_dir} ...", file=sys.stderr)
            fcntl.flock(fh, fcntl.LOCK_EX)
        yield
    finally:
        fh.close()


# ================================================================================================ train
def train(cfg: TrainConfig | Mapping | str | os.PathLike | None = None, *, retrain: bool = False,
          progress: bool = True, data: TrainData | Mapping | None = None, cache_dir: str | os.PathLike | None = None,
          on_step: Callable[[dict], None] | None = None, **overrides) -> Run:
    """Train a run (or load it from the run cache) and return it.

    ``cfg``: a TrainConfig, dict or YAML path; ``overrides``: field values on top. ``retrain`` drops a
    cached or unfinished run of the same key and trains from scratch. ``data``: ready image records
    (``TrainData`` or a dict with keys train/val/style) instead of loading ``cfg.source``. ``cache_dir``:
    root of ``runs/`` (default ``colorlib.paths.cache_dir()``). ``on_step(info)`` is called on every rank after
    every step with epoch, batch, step, the step's loss terms (this rank's), rank, world and the live model.
    Under ``torchrun`` every rank calls this; the process group is set up here if needed.
    """
    cfg = TrainConfig.coerce(cfg, **overrides)
    d = _init_distributed(cfg.device)
    try:
        return _train(cfg, d, retrain, progress, data, cache_dir, on_step)
    finally:
        if d.owns_group:
            dist.destroy_process_group()


def _train(cfg, d: _Dist, retrain, progress, data, cache_dir, on_step) -> Run:
    t_start = time.time()
    device = resolve_device(cfg.device, d.local_rank)
    if data is None:
        # Rank 0 first: it fills the on-disk image cache that the other ranks then only read.
        if d.main:
            data = load_data(cfg, progress and d.main)
        d.barrier()
        if not d.main:
            data = load_data(cfg, progress and d.main)
    elif isinstance(data, Mapping):
        data = TrainData(**data)
    run_dir, manifest = _run_dir(cfg, data, cache_dir)
    key = run_dir.name

    if not retrain and (run_dir / "done.json").exists():
        return load_run(run_dir, device=device)
    if d.main:
        run_dir.mkdir(parents=True, exist_ok=True)
    d.barrier()
    with _run_lock(run_dir, d):
        if d.main:
            if not retrain and (run_dir / "done.json").exists():  # another process finished it meanwhile
                return load_run(run_dir, device=device)
            if retrain:
                for p in run_dir.iterdir():
                    if p.name != ".lock":
                        shutil.rmtree(p) if p.is_dir() else p.unlink()
            ck.clean_temporaries(run_dir)
            ck.write_json(run_dir / "config.json", cfg.to_dict())
            ck.write_json(run_dir / "manifest.json", manifest)
        d.barrier()
        return _train_locked(cfg, d, device, data, run_dir, key, progress, on_step, t_start)


def _train_locked(cfg: TrainConfig, d: _Dist, device, data: TrainData, run_dir: Path, key: str, progress,
                  on_step, t_start) -> Run:
    from tqdm.auto import tqdm

    from colorlib import data as data_mod

    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes (drop_last): pick the fastest kernels once
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    space = cfg.model.space
    per_rank = cfg.batch_size // d.world
    if cfg.batch_size % d.world:
        raise ConfigError(f"batch_size {cfg.batch_size} is the global batch: it must divide by the "
                          f"{d.world} DDP ranks")
    if len(data.train) < cfg.batch_size:
        raise ValueError(f"{len(data.train)} training images: fewer than batch_size={cfg.batch_size}")
    uses_style = cfg.mode in STYLE_MODES

    # ----- data: per-sample seeded augmentation and style pairs; the sampler fixes the order per epoch
    train_photos = data_mod.ColorDataset(data.train, cfg.size, train=True)
    style_train = style_val = None
    if uses_style:
        if cfg.style_source == "photos":
            if len(data.train) < 2:
                raise ValueError("style_source='photos' needs at least 2 training photos")
            style_train = train_photos
        else:
            style_train = data_mod.ColorDataset(data.style, cfg.size, train=True)
            style_val = data_mod.ColorDataset(data.style, cfg.size, train=False)
    train_set = _SeededPairs(train_photos, cfg.seed, style_train, cfg.style_source == "photos")
    sampler = _SkipSampler(torch.utils.data.DistributedSampler(
        train_set, num_replicas=d.world, rank=d.rank, shuffle=True, seed=cfg.seed, drop_last=True))
    loader_kw = dict(num_workers=cfg.num_workers, pin_memory=device.type == "cuda",
                     persistent_workers=False)
    train_loader = torch.utils.data.DataLoader(train_set, batch_size=per_rank, sampler=sampler, drop_last=True,
                                               **loader_kw)
    steps_per_epoch = len(sampler.sampler) // per_rank
    val_loader = None
    if data.val:
        val_photos = data_mod.ColorDataset(data.val, cfg.size, train=False)
        if uses_style and style_val is None:
            style_val = val_photos
        val_set = _SeededPairs(val_photos, cfg.seed, style_val if uses_style else None,
                               cfg.style_source == "photos", fixed_epoch="val")
        # Shard without padding (every val image exactly once); sums are reduced over ranks.
        val_idx = list(range(d.rank, len(val_set), d.world))
        val_loader = torch.utils.data.DataLoader(torch.utils.data.Subset(val_set, val_idx),
                                                 batch_size=per_rank, shuffle=False, **loader_kw)

    # ----- model, optimisers, loss
    torch.manual_seed(cfg.seed)  # identical initial weights on every rank (DDP also broadcasts rank 0's)
    model = models.build_model(cfg.model)
    disc = None
    if cfg.gan is not None:
        disc = models.PatchDiscriminator(1 + cfg.model.out_channels, base=cfg.gan.base, norm=cfg.gan.norm)
    model.to(device)
    if disc is not None:
        disc.to(device)
    if d.world > 1 and device.type == "cuda" and cfg.sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        if disc is not None:
            disc = nn.SyncBatchNorm.convert_sync_batchnorm(disc)
    mem = torch.channels_last if cfg.channels_last else torch.contiguous_format
    if cfg.channels_last:
        model.to(memory_format=torch.channels_last)
    opts: dict[str, torch.optim.Optimizer] = {
        "color": torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)}
    if cfg.mode == "dual":
        opts["style"] = torch.optim.Adam(style_parameters(model), lr=cfg.effective_style_lr,
                                         weight_decay=cfg.weight_decay)
    if disc is not None:
        opts["disc"] = torch.optim.Adam(disc.parameters(), lr=cfg.gan.lr, betas=cfg.gan.betas)
    loss_fn = losses.build_loss(cfg.loss)
    lpips_label = loss_fn.lpips_label
    gan_crit = _gan_criterion(cfg.gan.loss) if cfg.gan is not None else None

    # ----- resume
    epoch, batch_done, step, best_val, best_epoch = 0, 0, 0, None, None
    history: list[dict] = []
    accum = _Accum(cfg.model.latent_dim if cfg.model.adain else None)
    resumed_from = None
    if ck.exists(run_dir / "last"):
        tensors, state = ck.load_checkpoint(run_dir / "last", device="cpu")
        diffs = ck.compare_configs(state.get("key_config", {}), cfg.key_dict())
        if diffs:
            raise CheckpointError(f"{run_dir / 'last.safetensors'}: belongs to another config: " + "; ".join(diffs))
        ck.load_module(model, tensors, "model.", str(run_dir / "last.safetensors"))
        if disc is not None:
            ck.load_module(disc, tensors, "disc.", str(run_dir / "last.safetensors"))
        for name, opt in opts.items():
            ck.load_optimizer_state(opt, tensors, state["optim"][name], str(run_dir / "last.safetensors"))
        epoch, batch_done, step = state["epoch"], state["batch"], state["step"]
        best_val, best_epoch, history = state["best_val"], state["best_epoch"], state["history"]
        if d.main:  # the saved sums cover all ranks: rank 0 carries them, the others start from zero
            accum.load(tensors, state["accum"])
        resumed_from = step
        t_start -= state.get("elapsed_s", 0.0)  # train_seconds counts the interrupted sessions too
        if state.get("world") != d.world and batch_done:
            # Another world size shards the epoch differently: restart the interrupted epoch.
            batch_done = 0
            accum.reset()

    if cfg.compile:
        model.compile()
    gen = _Generator(model)
    if d.world > 1:
        ddp_kw = dict(device_ids=[device.index] if device.type == "cuda" else None,
                      find_unused_parameters=cfg.mode == "dual")  # dual's style step leaves the UNet unused
        gen = nn.parallel.DistributedDataParallel(gen, **ddp_kw)
    disc_ddp = disc
    if disc is not None and d.world > 1:
        disc_ddp = nn.parallel.DistributedDataParallel(disc, **ddp_kw)

    def save_last(tag_epoch, tag_batch):
        # Called on every rank: the partial-epoch sums are summed over ranks (a collective) into rank 0's file.
        acc = accum.summed(d, term_names(True))
        if not d.main:
            return
        tensors = ck.module_tensors(model, "model.")
        if disc is not None:
            tensors.update(ck.module_tensors(disc, "disc."))
        optim_js = {}
        for name, opt in opts.items():
            t, js = ck.optimizer_state(opt, f"optim.{name}.")
            tensors.update(t)
            optim_js[name] = js
        rt, rjs = ck.rng_state()
        tensors.update(rt)
        tensors.update(acc.tensors())
        ck.save_checkpoint(run_dir / "last", tensors, {
            "kind": "last", "config": cfg.to_dict(), "key_config": cfg.key_dict(), "key": key,
            "epoch": tag_epoch, "batch": tag_batch, "step": step, "world": d.world,
            "elapsed_s": time.time() - t_start,
            "best_val": best_val, "best_epoch": best_epoch, "history": history, "optim": optim_js,
            "rng": rjs, "accum": acc.state(), "lpips_label": lpips_label})

    def term_names(training: bool) -> list[str]:
        """Names of the logged terms (fixed by the config, so every rank reduces the same vector)."""
        names = list(loss_fn.weights) + ["color", "loss"]
        if cfg.mode in ("combined", "dual"):
            names.append("style")
        if training and disc is not None:
            names += ["gan_d", "gan_g"]
        return sorted(names)

    def to_dev(t):
        return t.to(device, non_blocking=True)

    def prepare(batch):
        rgb = to_dev(batch["rgb"])
        lightness, target = color.to_network(rgb, space)
        if cfg.mode == "implicit":
            style = color.style_input(rgb, space)
        elif uses_style:
            style = color.style_input(to_dev(batch["style_rgb"]), space)
        else:
            style = None
        lightness = lightness.contiguous(memory_format=mem)
        if style is not None:
            style = style.contiguous(memory_format=mem)
        return lightness, target, style

    def train_step(batch) -> tuple[dict, torch.Tensor | None]:
        lightness, target, style = prepare(batch)
        reencode = cfg.mode == "combined"
        pred, latent, latent_p = gen(lightness, style, reencode=reencode, reencode_grad=cfg.style_loss_grad)
        total, terms = loss_fn(pred, target, lightness, space)
        terms = dict(terms)
        terms["color"] = float(total.detach())
        if cfg.mode == "combined":
            style_loss = F.mse_loss(latent_p, latent)
            terms["style"] = float(style_loss.detach())
            total = cfg.alpha * total + (1 - cfg.alpha) * style_loss
        if disc is not None:
            # pix2pix order: update D on real vs (detached) fake, then G against the updated, frozen D.
            real = torch.cat([lightness, target], 1)
            fake = torch.cat([lightness, pred.detach()], 1)
            logits = disc_ddp(torch.cat([real, fake], 0))  # one forward: DDP wants one per backward
            lr_, lf_ = logits.chunk(2)
            d_loss = 0.5 * (gan_crit(lr_, True) + gan_crit(lf_, False))
            opts["disc"].zero_grad(set_to_none=True)
            d_loss.backward()
            opts["disc"].step()
            disc.requires_grad_(False)
            g_adv = gan_crit(disc(torch.cat([lightness, pred], 1)), True)
            disc.requires_grad_(True)
            total = total + cfg.gan.weight * g_adv
            terms["gan_d"], terms["gan_g"] = float(d_loss.detach()), float(g_adv.detach())
        opts["color"].zero_grad(set_to_none=True)
        total.backward()
        opts["color"].step()
        terms["loss"] = float(total.detach())
        if cfg.mode == "dual":
            _, latent2, latent_p2 = gen(lightness, style, reencode=True, reencode_grad=cfg.style_loss_grad)
            style_loss = F.mse_loss(latent_p2, latent2)
            model.zero_grad(set_to_none=True)
            style_loss.backward()
            opts["style"].step()
            terms["style"] = float(style_loss.detach())
        if not all(math.isfinite(v) for v in terms.values()):
            raise FloatingPointError(f"non-finite loss at step {step}: {terms}")
        return terms, latent

    @torch.no_grad()
    def validate() -> dict:
        model.eval()
        acc = _Accum(None)
        if val_loader is not None:
            for batch in val_loader:
                lightness, target, style = prepare(batch)
                pred, latent, latent_p = _Generator(model)(lightness, style, reencode=cfg.mode in ("combined", "dual"))
                total, terms = loss_fn(pred, target, lightness, space)
                terms = dict(terms)
                terms["color"] = float(total)
                loss = float(total)
                if latent_p is not None:
                    terms["style"] = float(F.mse_loss(latent_p, latent))
                    if cfg.mode == "combined":
                        loss = cfg.alpha * loss + (1 - cfg.alpha) * terms["style"]
                terms["loss"] = loss
                acc.add(terms, None, weight=len(lightness))  # per image: the last batch may be smaller
        model.train()
        if val_loader is None:
            return {}
        return acc.reduce(d, "val_", term_names(False))

    # ----- loop
    model.train()
    if disc is not None:
        disc.train()
    if d.main and resumed_from is not None and progress:
        print(f"colorlib.train: resuming {run_dir.name} at epoch {epoch + 1}, step {step}", file=sys.stderr)
    while epoch < cfg.epochs:
        t_epoch = time.time()
        train_set.set_epoch(epoch)
        sampler.set_epoch(epoch, skip=batch_done * per_rank)
        bar = tqdm(total=steps_per_epoch, initial=batch_done, desc=f"epoch {epoch + 1}/{cfg.epochs}",
                   disable=not (progress and d.main), leave=False, dynamic_ncols=True)
        for batch in train_loader:
            torch.manual_seed(_mix(cfg.seed, "step", d.rank, step))  # dropout: a function of the step
            terms, latent = train_step(batch)
            accum.add(terms, latent)
            step += 1
            batch_done += 1
            bar.update(1)
            bar.set_postfix({k: f"{v:.4g}" for k, v in accum.running().items()}, refresh=False)
            if on_step is not None:
                on_step({"epoch": epoch, "batch": batch_done, "step": step, "terms": terms, "model": model,
                         "rank": d.rank, "world": d.world})
            if cfg.checkpoint_every and step % cfg.checkpoint_every == 0 and batch_done < steps_per_epoch:
                save_last(epoch, batch_done)
        bar.close()
        if d.world > 1:
            # BatchNorm running statistics: each replica updated its own in the last forward. DDP's semantics
            # are rank 0's (it broadcasts them before every forward): make every replica hold those now.
            for buf in list(model.buffers()) + (list(disc.buffers()) if disc is not None else []):
                dist.broadcast(buf, 0)
        row = {"epoch": epoch + 1, "step": step}
        row.update(accum.reduce(d, "train_", term_names(True)))
        if (epoch + 1) % cfg.val_every == 0 or epoch + 1 == cfg.epochs:
            row.update(validate())
        row["time_s"] = round(time.time() - t_epoch, 3)
        if lpips_label is not None:
            row["lpips_label"] = lpips_label
        history.append(row)
        epoch, batch_done = epoch + 1, 0
        accum.reset()
        val = row.get("val_loss")
        if val is not None and (best_val is None or val < best_val):
            best_val, best_epoch = val, epoch
            if d.main:
                ck.save_checkpoint(run_dir / "best", ck.module_tensors(model, "model."), {
                    "kind": "best", "config": cfg.to_dict(), "key": key, "epoch": epoch, "step": step,
                    "val_loss": val, "lpips_label": lpips_label})
        save_last(epoch, 0)
        if d.main:
            _write_history(run_dir, history)
            if progress:
                shown = {k: row[k] for k in ("train_loss", "val_loss", "latent_dead_frac") if k in row}
                print(f"epoch {epoch}/{cfg.epochs} " + " ".join(f"{k}={v:.4g}" for k, v in shown.items()),
                      file=sys.stderr)

    summary = {"key": key, "epochs": cfg.epochs, "steps": step, "best_val": best_val, "best_epoch": best_epoch,
               "lpips_label": lpips_label, "world_size": d.world, "resumed_from_step": resumed_from,
               "train_seconds": round(time.time() - t_start, 2), "device": str(device),
               "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    if d.main:
        ck.write_json(run_dir / "done.json", summary)
    d.barrier()
    which = "best" if ck.exists(run_dir / "best") else "last"
    final = models.build_model(cfg.model)
    load_weights(final, run_dir / which)
    final.to(device).eval()
    return Run(final, history, run_dir, False, cfg, lpips_label, key, which, summary)


# ================================================================================================ CLI
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m colorlib.train", description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="YAML file of TrainConfig fields")
    parser.add_argument("--retrain", action="store_true", help="train again even if the run is cached")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--cache-dir", default=None, help="root of runs/ (default: colorlib.paths.cache_dir())")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=YAML",
                        help="override a field, e.g. --set epochs=3 --set 'loss={mse: 1}'")
    args = parser.parse_args(argv)
    import yaml

    overrides = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--set expects FIELD=VALUE, got {item!r}")
        overrides[name.strip()] = yaml.safe_load(value)
    try:
        cfg = TrainConfig.from_yaml(args.config, **overrides)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    run = train(cfg, retrain=args.retrain, progress=not args.no_progress, cache_dir=args.cache_dir)
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps({"dir": str(run.dir), "cached": run.cached, "weights": run.weights,
                          "lpips_label": run.lpips_label, "summary": run.summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

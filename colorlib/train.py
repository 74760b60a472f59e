"""The training loop: ``train(cfg) -> Run`` trains a run (or loads it from the run cache) for every mode.

    python -m colorlib.train --config cfg.yaml [--retrain] [--set epochs=3]
    torchrun --nproc_per_node=N -m colorlib.train --config cfg.yaml       # DDP (see colorlib.distributed)

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

The config is ``colorlib.config``, the run cache ``colorlib.runs``, ranks and devices ``colorlib.distributed``.
"""
from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import json
import logging
import math
import os
import shutil
import sys
import time
import warnings
from typing import Callable, Mapping

import torch
import torch.nn.functional as F
from torch import nn

from colorlib import checkpoint as ck
from colorlib import color, files, losses, models, runs
from colorlib.checkpoint import CheckpointError
from colorlib.config import ConfigError, TrainConfig, parse_set
from colorlib.distributed import Dist, EpochSums, SkipSampler, init_distributed, resolve_device
from colorlib.runs import Run, TrainData

log = logging.getLogger(__name__)


# ================================================================================================ samples
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


class SeededPairs(torch.utils.data.Dataset):
    """Wraps ``ColorDataset``s: item ``i`` of epoch ``e`` is augmented under an RNG seeded by (seed, e, i), and
    carries a style image (a painting or another photo) picked and augmented the same way. Independent of
    workers, prefetching and ranks, so a resumed or sharded run sees exactly the same samples."""

    def __init__(self, photos, seed: int, styles=None, style_is_photos: bool = False, fixed_epoch=None,
                 mixed: tuple[float, float] | None = None):
        self.photos, self.styles, self.seed = photos, styles, seed
        self.style_is_photos = style_is_photos
        self.mixed = mixed  # mode "mixed": (share styled by a painting, share of the others in automatic mode)
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
        if self.mixed is not None:
            return self._mixed_item(item, e, i)
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

    def _mixed_item(self, item: dict, e, i: int) -> dict:
        """Mode "mixed": the photo styled by itself, by a random painting, or by the automatic-mode head."""
        g = torch.Generator().manual_seed(_mix(self.seed, e, "mix", i))
        by_painting, auto = (float(u) for u in torch.rand(2, generator=g))
        item["painting"] = bool(by_painting < self.mixed[0] and self.styles)
        item["auto"] = bool(not item["painting"] and auto < self.mixed[1])
        item["style_rgb"] = item["rgb"]
        if item["painting"]:
            j = int(torch.randint(len(self.styles), (1,), generator=g))
            with _seeded(_mix(self.seed, e, "style", i)):
                item["style_rgb"] = self.styles[j]["rgb"]
        item["index"] = i
        return item


# ================================================================================================ networks
class Generator(nn.Module):
    """One module whose forward does everything the generator computes in a step, so that DDP sees a single
    forward per backward: encode the style, colourise, and optionally re-encode the produced image."""

    def __init__(self, model: models.Colorizer):
        super().__init__()
        self.model = model

    def forward(self, lightness, style=None, reencode: bool = False, reencode_grad: bool = False, auto=None):
        latent = self.model.encode_style(style) if style is not None else None
        if auto is not None and bool(auto.any()):  # these samples take the automatic mode's latent instead
            latent = torch.where(auto[:, None], self.model.auto_latent(lightness), latent)
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


def gan_criterion(kind: str):
    """``criterion(logits, real: bool)``: pix2pix's BCE on logits, or the least-squares GAN loss."""
    if kind == "bce":
        return lambda logits, real: F.binary_cross_entropy_with_logits(
            logits, torch.full_like(logits, 1.0 if real else 0.0))
    return lambda logits, real: F.mse_loss(logits, torch.full_like(logits, 1.0 if real else 0.0))


COMPILE_BACKEND = "inductor"
"""``torch.compile``'s backend for ``TrainConfig.compile`` (the tests swap in a failing one to check the fallback)."""


class CompileFallbackWarning(RuntimeWarning):
    """torch.compile failed for a run; it trains without compile (the same run ``compile=False`` trains)."""


def cpu_native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX); without, oneDNN emulates it, many times
    slower than fp32."""
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


def native_bf16() -> bool:
    """Whether this machine trains in bfloat16 at full speed: a CUDA GPU with bf16, or (without CUDA) a CPU with
    :func:`cpu_native_bf16`."""
    if torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    return cpu_native_bf16()


def auto_precision() -> str:
    """What ``precision="auto"`` (the report profile's) trains in here: "bf16" where :func:`native_bf16`, else
    "fp32" (benchmarks/bench_precision.py measures what bf16 buys on this CPU)."""
    return "bf16" if native_bf16() else "fp32"


def mixed_precision(precision: str, device: torch.device):
    """(autocast context factory, gradient scaler or None) for ``TrainConfig.precision`` on ``device``."""
    if precision == "fp16" and device.type != "cuda":
        raise ConfigError(f"precision 'fp16' needs CUDA (device here: {device}); use 'bf16' on a CPU")
    if precision == "bf16" and device.type == "cpu" and not cpu_native_bf16():
        # Measured on an AVX2-only CPU (AMD Zen 3): a bf16 convolution ran about 90x slower than fp32.
        warnings.warn("precision 'bf16': this CPU has no native bfloat16 (no AVX512-BF16 or AMX), so training "
                      "will be many times slower than fp32", stacklevel=3)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)

    def autocast():
        return torch.autocast(device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()

    scaler = torch.amp.GradScaler("cuda") if precision == "fp16" else None
    return autocast, scaler


# ================================================================================================ trainer
class Trainer:
    """One run's training: data loaders, networks, optimisers and loss built from the config, resumed from the
    run folder's ``last`` checkpoint when there is one; ``fit()`` runs the remaining epochs."""

    def __init__(self, cfg: TrainConfig, d: Dist, device: torch.device, data: TrainData, folder, key: str,
                 progress: bool = True, on_step: Callable[[dict], None] | None = None, t_start: float | None = None):
        self.cfg, self.d, self.device, self.dir, self.key = cfg, d, device, folder, key
        self.progress, self.on_step = progress, on_step
        self.t_start = time.time() if t_start is None else t_start
        self.space = cfg.model.space
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes (drop_last): pick the fastest kernels once
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        self.autocast, self.scaler = mixed_precision(cfg.precision, device)
        self._build_loaders(data)
        self._build_networks()
        self.epoch, self.batch_done, self.step, self.best_val, self.best_epoch = 0, 0, 0, None, None
        self.history: list[dict] = []
        self.sums = EpochSums(cfg.model.latent_dim if cfg.model.adain else None)
        self.resumed_from = self._resume_or_explain() if ck.exists(folder / "last") else None
        self.first_step = True
        self._wrap()

    # ----------------------------------------------------------------------------------------- set-up
    def _build_loaders(self, data: TrainData) -> None:
        """Per-sample seeded augmentation and style pairs; the sampler fixes the order of each epoch."""
        from colorlib import data as data_mod

        cfg, d = self.cfg, self.d
        if cfg.batch_size % d.world:
            raise ConfigError(f"batch_size {cfg.batch_size} is the global batch: it must divide by the "
                              f"{d.world} DDP ranks")
        if len(data.train) < cfg.batch_size:
            raise ValueError(f"{len(data.train)} training images: fewer than batch_size={cfg.batch_size}")
        self.per_rank = cfg.batch_size // d.world
        photos = data_mod.ColorDataset(data.train, cfg.size, train=True, max_scale=cfg.crop_scale)
        style_train = style_val = None
        if cfg.uses_style_images and cfg.style_source == "photos":
            if len(data.train) < 2:
                raise ValueError("style_source='photos' needs at least 2 training photos")
            style_train = photos
        elif cfg.uses_style_images:
            style_train = data_mod.ColorDataset(data.style, cfg.size, train=True, max_scale=cfg.crop_scale)
            style_val = data_mod.ColorDataset(data.style, cfg.size, train=False, max_scale=cfg.crop_scale)
        mixed = (cfg.paint_fraction, cfg.style_dropout) if cfg.mode == "mixed" else None
        self.train_set = SeededPairs(photos, cfg.seed, style_train, cfg.style_source == "photos", mixed=mixed)
        self.sampler = SkipSampler(torch.utils.data.DistributedSampler(
            self.train_set, num_replicas=d.world, rank=d.rank, shuffle=True, seed=cfg.seed, drop_last=True))
        loader_kw = dict(num_workers=cfg.num_workers, pin_memory=self.device.type == "cuda", persistent_workers=False)
        self.train_loader = torch.utils.data.DataLoader(self.train_set, batch_size=self.per_rank, sampler=self.sampler,
                                                        drop_last=True, **loader_kw)
        self.steps_per_epoch = len(self.sampler.sampler) // self.per_rank
        self.val_loader = None
        if data.val:
            val_photos = data_mod.ColorDataset(data.val, cfg.size, train=False, max_scale=cfg.crop_scale)
            if cfg.uses_style_images and style_val is None:
                style_val = val_photos
            val_set = SeededPairs(val_photos, cfg.seed, style_val if cfg.uses_style_images else None,
                                  cfg.style_source == "photos", fixed_epoch="val", mixed=mixed)
            # Shard without padding (every val image exactly once); sums are reduced over ranks.
            val_idx = list(range(d.rank, len(val_set), d.world))
            self.val_loader = torch.utils.data.DataLoader(torch.utils.data.Subset(val_set, val_idx),
                                                          batch_size=self.per_rank, shuffle=False, **loader_kw)

    def _build_networks(self) -> None:
        """Generator (and discriminator), memory format, optimisers and the loss."""
        cfg = self.cfg
        torch.manual_seed(cfg.seed)  # identical initial weights on every rank (DDP also broadcasts rank 0's)
        self.model = models.build_model(cfg.model)
        self.disc = None
        if cfg.gan is not None:
            self.disc = models.PatchDiscriminator(1 + cfg.model.out_channels, base=cfg.gan.base, norm=cfg.gan.norm)
        self.model.to(self.device)
        if self.disc is not None:
            self.disc.to(self.device)
        if self.d.world > 1 and self.device.type == "cuda" and cfg.sync_bn:
            self.model = nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
            if self.disc is not None:
                self.disc = nn.SyncBatchNorm.convert_sync_batchnorm(self.disc)
        self.memory_format = torch.channels_last if cfg.channels_last else torch.contiguous_format
        if cfg.channels_last:
            self.model.to(memory_format=torch.channels_last)
        self.opts: dict[str, torch.optim.Optimizer] = {
            "color": torch.optim.Adam(self.model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)}
        if cfg.mode == "dual":
            self.opts["style"] = torch.optim.Adam(style_parameters(self.model), lr=cfg.effective_style_lr,
                                                  weight_decay=cfg.weight_decay)
        if self.disc is not None:
            self.opts["disc"] = torch.optim.Adam(self.disc.parameters(), lr=cfg.gan.lr, betas=cfg.gan.betas)
        self.loss_fn = losses.build_loss(cfg.loss)
        self.lpips_label = self.loss_fn.lpips_label
        self.gan_crit = gan_criterion(cfg.gan.loss) if cfg.gan is not None else None

    def _resume_or_explain(self) -> int:
        """``_resume``, with an error that says how to recover when the ``last`` checkpoint is damaged."""
        path = self.dir / "last.safetensors"
        try:
            return self._resume()
        except CheckpointError as err:
            raise CheckpointError(f"{err}. Cannot resume this run: {runs.RETRAIN}") from None
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as err:
            raise CheckpointError(f"{path}: its resumable state does not fit ({type(err).__name__}: {err}). Cannot "
                                  f"resume this run: {runs.RETRAIN}") from None

    def _resume(self) -> int:
        """Continue from the ``last`` checkpoint: weights, optimisers, position, history, partial sums."""
        path = self.dir / "last.safetensors"
        tensors, state = ck.load_checkpoint(self.dir / "last", device="cpu")
        missing = [k for k in ck.LAST_REQUIRED if k not in state]
        if missing:
            raise CheckpointError(f"{path}: not a resumable checkpoint (no {', '.join(missing)} in its header)")
        diffs = ck.compare_configs(state.get("key_config", {}), self.cfg.key_dict())
        if diffs:
            raise CheckpointError(f"{path}: belongs to another config: " + "; ".join(diffs))
        ck.load_module(self.model, tensors, "model.", str(path))
        if self.disc is not None:
            ck.load_module(self.disc, tensors, "disc.", str(path))
        for name, opt in self.opts.items():
            ck.load_optimizer_state(opt, tensors, state["optim"][name], str(path))
        self.epoch, self.batch_done, self.step = state["epoch"], state["batch"], state["step"]
        self.best_val, self.best_epoch, self.history = state["best_val"], state["best_epoch"], state["history"]
        if self.d.main:  # the saved sums cover all ranks: rank 0 carries them, the others start from zero
            self.sums.load(tensors, state["accum"])
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.t_start -= state.get("elapsed_s", 0.0)  # train_seconds counts the interrupted sessions too
        if state.get("world") != self.d.world and self.batch_done:
            # Another world size shards the epoch differently: restart the interrupted epoch.
            self.batch_done = 0
            self.sums.reset()
        return self.step

    def _wrap(self, compiled: bool | None = None) -> None:
        """torch.compile and DDP wrappers (after resuming: they must see the loaded weights). Only the training
        forward is compiled (``torch.compile(model)`` shares the weights; validation and checkpoints use the
        module itself); a failure is caught at the first step (``guarded_step``)."""
        self.compiled = self.cfg.compile if compiled is None else compiled
        net = self.model
        if self.compiled:
            try:
                net = torch.compile(self.model, backend=COMPILE_BACKEND)
            except Exception as err:  # noqa: BLE001 - any failure: train without it, and say so
                self._compile_failed(err)
                net = self.model
        self.gen = Generator(net)
        self.disc_ddp = self.disc
        if self.d.world > 1:
            ddp_kw = dict(device_ids=[self.device.index] if self.device.type == "cuda" else None,
                          # dual's style step leaves the UNet unused; mixed batches may have no automatic sample
                          find_unused_parameters=self.cfg.mode in ("dual", "mixed"))
            self.gen = nn.parallel.DistributedDataParallel(self.gen, **ddp_kw)
            if self.disc is not None:
                self.disc_ddp = nn.parallel.DistributedDataParallel(self.disc, **ddp_kw)

    def _compile_failed(self, err: BaseException) -> None:
        self.compiled = False
        root = err
        while isinstance(getattr(root, "inner_exception", None) or root.__cause__, BaseException):
            root = getattr(root, "inner_exception", None) or root.__cause__  # the compiler's own error, unwrapped
        lines = [line.strip() for line in str(root).splitlines() if line.strip()]
        why = f"{type(root).__name__}: {lines[0][:300] if lines else ''}"
        if root is not err:
            why = f"{type(err).__name__} <- {why}"
        warnings.warn(f"torch.compile failed for run {self.key} ({why}); training it "
                      f"without compile (cfg.compile=False does the same, without the attempt)",
                      CompileFallbackWarning, stacklevel=3)

    # ------------------------------------------------------------------------------------------ steps
    def guarded_step(self, batch) -> tuple[dict, torch.Tensor | None]:
        """``train_step`` under the step's dropout seed. The first compiled step compiles the graphs (forward
        and backward); when that fails (no C compiler, an operator the compiler does not handle, ...), the
        weights and buffers are put back, a ``CompileFallbackWarning`` says why, and the step is redone eagerly
        with the same seed, so the run is the one ``compile=False`` trains. A second failure is a real error."""
        seed = _mix(self.cfg.seed, "step", self.d.rank, self.step)  # dropout: a function of the step
        torch.manual_seed(seed)
        if not (self.compiled and self.first_step):
            self.first_step = False
            return self.train_step(batch)
        modules = [m for m in (self.model, self.disc) if m is not None]
        saved = ([copy.deepcopy(m.state_dict()) for m in modules],  # a step may fail after another one's update
                 {name: copy.deepcopy(opt.state_dict()) for name, opt in self.opts.items()},
                 copy.deepcopy(self.scaler.state_dict()) if self.scaler is not None else None)
        try:
            out = self.train_step(batch)
        except Exception as err:  # noqa: BLE001 - retried eagerly below; a real error fails again there
            self._compile_failed(err)
            for m, state in zip(modules, saved[0]):
                m.load_state_dict(state)
            for name, opt in self.opts.items():
                opt.zero_grad(set_to_none=True)
                opt.load_state_dict(saved[1][name])
            if self.scaler is not None:
                self.scaler.load_state_dict(saved[2])
            self._wrap(compiled=False)
            torch.manual_seed(seed)
            out = self.train_step(batch)
        self.first_step = False
        return out

    def term_names(self, training: bool) -> list[str]:
        """Names of the logged terms (fixed by the config, so every rank reduces the same vector)."""
        names = list(self.loss_fn.weights) + ["color", "loss"]
        if self.cfg.mode in ("combined", "dual", "mixed"):
            names.append("style")
        if training and self.disc is not None:
            names += ["gan_d", "gan_g"]
        return sorted(names)

    def prepare(self, batch) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """(network lightness, target, style input or None) of a batch, on the device."""
        rgb = batch["rgb"].to(self.device, non_blocking=True)
        lightness, target = color.to_network(rgb, self.space)
        if self.cfg.mode == "implicit":
            style = color.style_input(rgb, self.space)
        elif self.cfg.mode == "mixed":  # the photo itself or a painting, per sample
            style = color.style_input(batch["style_rgb"].to(self.device, non_blocking=True), self.space)
        elif self.cfg.uses_style_images:
            style = color.style_input(batch["style_rgb"].to(self.device, non_blocking=True), self.space)
        else:
            style = None
        lightness = lightness.contiguous(memory_format=self.memory_format)
        if style is not None:
            style = style.contiguous(memory_format=self.memory_format)
        return lightness, target, style

    def colour_loss(self, pred, target, lightness) -> tuple[torch.Tensor, dict]:
        total, terms = self.loss_fn(pred, target, lightness, self.space)
        return total, {**terms, "color": float(total.detach())}

    def adversarial(self, lightness, target, pred, terms: dict) -> torch.Tensor:
        """pix2pix order: update D on real vs (detached) fake, then G's adversarial term against the updated,
        frozen D (returned, unweighted)."""
        real = torch.cat([lightness, target], 1)
        fake = torch.cat([lightness, pred.detach()], 1)
        with self.autocast():
            logits = self.disc_ddp(torch.cat([real, fake], 0))  # one forward: DDP wants one per backward
            logits_real, logits_fake = logits.chunk(2)
            d_loss = 0.5 * (self.gan_crit(logits_real, True) + self.gan_crit(logits_fake, False))
        self.optimise("disc", d_loss)
        self.disc.requires_grad_(False)
        with self.autocast():
            g_adv = self.gan_crit(self.disc(torch.cat([lightness, pred], 1)), True)
        self.disc.requires_grad_(True)
        terms["gan_d"], terms["gan_g"] = float(d_loss.detach()), float(g_adv.detach())
        return g_adv

    def optimise(self, name: str, loss: torch.Tensor, zero=None) -> None:
        """Backward ``loss`` and step optimiser ``name`` (through the gradient scaler under fp16); ``zero``: the
        module whose gradients are cleared first (default: the optimiser's own parameters)."""
        (zero or self.opts[name]).zero_grad(set_to_none=True)
        if self.scaler is None:
            loss.backward()
            self.opts[name].step()
        else:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.opts[name])

    def dual_style_step(self, lightness, style) -> float:
        """``dual``: the style optimiser's step on the latent MSE, recomputed with the updated weights."""
        with self.autocast():
            _, latent, latent_p = self.gen(lightness, style, reencode=True, reencode_grad=self.cfg.style_loss_grad)
            style_loss = F.mse_loss(latent_p, latent)
        self.optimise("style", style_loss, zero=self.model)
        return float(style_loss.detach())

    def mixed_loss(self, batch, lightness, target, style) -> tuple[torch.Tensor, dict, torch.Tensor]:
        """Mode "mixed": the colour loss on the photo-styled samples (own colours or automatic mode) plus
        ``style_weight`` x the colour-distribution distance of the painting-styled outputs to their paintings.
        Returns (total, terms, latents)."""
        cfg = self.cfg
        painting = batch["painting"].to(self.device)
        auto = batch["auto"].to(self.device)
        pred, latent, _ = self.gen(lightness, style, auto=auto)
        own = ~painting
        terms = {name: 0.0 for name in self.loss_fn.weights}
        total = pred.new_zeros(())
        if own.any():  # a batch of paintings only has no colour term
            total, terms = self.colour_loss(pred[own], target[own], lightness[own])
        terms["color"] = float(total.detach())
        style_loss = pred.new_zeros(())
        if painting.any():
            produced = color.from_network(lightness[painting], pred[painting], self.space)
            style_loss = losses.colour_distribution_loss(produced, batch["style_rgb"].to(self.device)[painting],
                                                         cfg.style_metric)
        terms["style"] = float(style_loss.detach())
        return total + cfg.style_weight * style_loss, terms, latent

    def train_step(self, batch) -> tuple[dict, torch.Tensor | None]:
        """One optimisation step of the config's mode; returns the step's loss terms and the batch's latents."""
        cfg = self.cfg
        if cfg.mode == "mixed":
            lightness, target, style = self.prepare(batch)
            with self.autocast():
                total, terms, latent = self.mixed_loss(batch, lightness, target, style)
            self.optimise("color", total)
            terms["loss"] = float(total.detach())
            if not all(math.isfinite(v) for v in terms.values()):
                raise FloatingPointError(f"non-finite loss at step {self.step}: {terms}")
            return terms, latent
        lightness, target, style = self.prepare(batch)
        with self.autocast():
            pred, latent, latent_p = self.gen(lightness, style, reencode=cfg.mode == "combined",
                                              reencode_grad=cfg.style_loss_grad)
            total, terms = self.colour_loss(pred, target, lightness)
            if cfg.mode == "combined":
                style_loss = F.mse_loss(latent_p, latent)
                terms["style"] = float(style_loss.detach())
                total = cfg.alpha * total + (1 - cfg.alpha) * style_loss
        if self.disc is not None:
            total = total + cfg.gan.weight * self.adversarial(lightness, target, pred, terms)
        self.optimise("color", total)
        terms["loss"] = float(total.detach())
        if cfg.mode == "dual":
            terms["style"] = self.dual_style_step(lightness, style)
        if self.scaler is not None:
            self.scaler.update()
        if not all(math.isfinite(v) for v in terms.values()):
            raise FloatingPointError(f"non-finite loss at step {self.step}: {terms}")
        return terms, latent

    @torch.no_grad()
    def validate(self) -> dict:
        """Validation means of every term (and the mode's loss) over the validation photos, all ranks."""
        if self.val_loader is None:
            return {}
        self.model.eval()
        sums, gen = EpochSums(None), Generator(self.model)
        for batch in self.val_loader:
            lightness, target, style = self.prepare(batch)
            if self.cfg.mode == "mixed":
                with self.autocast():
                    total, terms, _ = self.mixed_loss(batch, lightness, target, style)
                sums.add({**terms, "loss": float(total)}, None, weight=len(lightness))
                continue
            with self.autocast():
                pred, latent, latent_p = gen(lightness, style, reencode=self.cfg.mode in ("combined", "dual"))
                total, terms = self.colour_loss(pred, target, lightness)
            loss = float(total)
            if latent_p is not None:
                terms["style"] = float(F.mse_loss(latent_p, latent))
                if self.cfg.mode == "combined":
                    loss = self.cfg.alpha * loss + (1 - self.cfg.alpha) * terms["style"]
            terms["loss"] = loss
            sums.add(terms, None, weight=len(lightness))  # per image: the last batch may be smaller
        self.model.train()
        return sums.reduce(self.d, "val_", self.term_names(False))

    # ------------------------------------------------------------------------------------ checkpoints
    def save_last(self, epoch: int, batch: int) -> None:
        """The resumable state after ``batch`` batches of ``epoch``. Called on every rank: the partial-epoch
        sums are summed over ranks (a collective) into rank 0's file."""
        sums = self.sums.summed(self.d, self.term_names(True))
        if not self.d.main:
            return
        tensors = ck.module_tensors(self.model, "model.")
        if self.disc is not None:
            tensors.update(ck.module_tensors(self.disc, "disc."))
        optim_js = {}
        for name, opt in self.opts.items():
            t, js = ck.optimizer_state(opt, f"optim.{name}.")
            tensors.update(t)
            optim_js[name] = js
        rng_tensors, rng_js = ck.rng_state()
        tensors.update(rng_tensors)
        tensors.update(sums.tensors())
        cfg = self.cfg
        ck.save_checkpoint(self.dir / "last", tensors, {
            "kind": "last", "config": cfg.to_dict(), "key_config": cfg.key_dict(), "key": self.key,
            "epoch": epoch, "batch": batch, "step": self.step, "world": self.d.world,
            "elapsed_s": time.time() - self.t_start, "best_val": self.best_val, "best_epoch": self.best_epoch,
            "history": self.history, "optim": optim_js, "rng": rng_js, "accum": sums.state(),
            "lpips_label": self.lpips_label, **({"scaler": self.scaler.state_dict()} if self.scaler else {})})

    def save_best(self, val: float) -> None:
        ck.save_checkpoint(self.dir / "best", ck.module_tensors(self.model, "model."), {
            "kind": "best", "config": self.cfg.to_dict(), "key": self.key, "epoch": self.epoch, "step": self.step,
            "val_loss": val, "lpips_label": self.lpips_label})

    # ------------------------------------------------------------------------------------------ loop
    def run_epoch(self) -> dict:
        """The rest of the current epoch (all of it unless resumed mid-epoch); returns its history row."""
        from tqdm.auto import tqdm

        cfg, d = self.cfg, self.d
        t_epoch = time.time()
        self.train_set.set_epoch(self.epoch)
        self.sampler.set_epoch(self.epoch, skip=self.batch_done * self.per_rank)
        bar = tqdm(total=self.steps_per_epoch, initial=self.batch_done, desc=f"epoch {self.epoch + 1}/{cfg.epochs}",
                   disable=not (self.progress and d.main), leave=False, dynamic_ncols=True)
        for batch in self.train_loader:
            terms, latent = self.guarded_step(batch)
            self.sums.add(terms, latent)
            self.step += 1
            self.batch_done += 1
            bar.update(1)
            bar.set_postfix({k: f"{v:.4g}" for k, v in self.sums.running().items()}, refresh=False)
            if self.on_step is not None:
                self.on_step({"epoch": self.epoch, "batch": self.batch_done, "step": self.step, "terms": terms,
                              "model": self.model, "rank": d.rank, "world": d.world})
            if cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0 and self.batch_done < self.steps_per_epoch:
                self.save_last(self.epoch, self.batch_done)
        bar.close()
        d.broadcast_buffers(self.model, self.disc)
        row = {"epoch": self.epoch + 1, "step": self.step, **self.sums.reduce(d, "train_", self.term_names(True))}
        if (self.epoch + 1) % cfg.val_every == 0 or self.epoch + 1 == cfg.epochs:
            row.update(self.validate())
        row["time_s"] = round(time.time() - t_epoch, 3)
        if self.lpips_label is not None:
            row["lpips_label"] = self.lpips_label
        return row

    def end_epoch(self, row: dict) -> None:
        """Record the epoch: history, best weights when validation improved, the ``last`` checkpoint."""
        self.history.append(row)
        self.epoch, self.batch_done = self.epoch + 1, 0
        self.sums.reset()
        val = row.get("val_loss")
        if val is not None and (self.best_val is None or val < self.best_val):
            self.best_val, self.best_epoch = val, self.epoch
            if self.d.main:
                self.save_best(val)
        self.save_last(self.epoch, 0)
        if self.d.main:
            runs.write_history(self.dir, self.history)
            if self.progress:  # the per-epoch line is progress display, like a bar (progress=False: silent)
                shown = {k: row[k] for k in ("train_loss", "val_loss", "latent_dead_frac") if k in row}
                print(f"epoch {self.epoch}/{self.cfg.epochs} " + " ".join(f"{k}={v:.4g}" for k, v in shown.items()),
                      file=sys.stderr)

    def fit(self) -> Run:
        """Train the remaining epochs and return the finished run with its best (or last) weights loaded."""
        self.model.train()
        if self.disc is not None:
            self.disc.train()
        if self.d.main and self.resumed_from is not None and self.progress:
            log.warning("colorlib.train: resuming %s at epoch %d, step %d", self.dir.name, self.epoch + 1, self.step)
        while self.epoch < self.cfg.epochs:
            self.end_epoch(self.run_epoch())
        return self.finish()

    def finish(self) -> Run:
        summary = {"key": self.key, "epochs": self.cfg.epochs, "steps": self.step, "best_val": self.best_val,
                   "best_epoch": self.best_epoch, "lpips_label": self.lpips_label, "world_size": self.d.world,
                   "resumed_from_step": self.resumed_from, "train_seconds": round(time.time() - self.t_start, 2),
                   "compiled": self.compiled, "precision": self.cfg.precision,
                   "device": str(self.device), "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        if self.d.main:
            ck.write_json(self.dir / "done.json", summary)
        self.d.barrier()
        which = "best" if ck.exists(self.dir / "best") else "last"
        final = models.build_model(self.cfg.model)
        runs.load_weights(final, self.dir / which)
        final.to(self.device).eval()
        return Run(final, self.history, self.dir, False, self.cfg, self.lpips_label, self.key, which, summary)


# ================================================================================================ entry
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
    d = init_distributed(cfg.device)
    try:
        return _train(cfg, d, retrain, progress, data, cache_dir, on_step)
    finally:
        if d.owns_group:
            torch.distributed.destroy_process_group()


def _train(cfg: TrainConfig, d: Dist, retrain, progress, data, cache_dir, on_step) -> Run:
    t_start = time.time()
    device = resolve_device(cfg.device, d.local_rank)
    if data is None:
        # Rank 0 first: it fills the on-disk image cache that the other ranks then only read.
        if d.main:
            data = runs.load_data(cfg, progress)
        d.barrier()
        if not d.main:
            data = runs.load_data(cfg, False)
    data = TrainData.coerce(data)
    folder, manifest = runs.run_dir(cfg, data, cache_dir)
    if not retrain and (folder / "done.json").exists():
        return runs.load_run(folder, device=device)
    if d.main:
        folder.mkdir(parents=True, exist_ok=True)
    d.barrier()
    with runs.run_lock(folder, d.main):
        if d.main:
            if not retrain and (folder / "done.json").exists():  # another process finished it meanwhile
                return runs.load_run(folder, device=device)
            _start_folder(folder, cfg, manifest, retrain)
        d.barrier()
        with cpu_threads(cfg.threads if device.type == "cpu" else None):
            return Trainer(cfg, d, device, data, folder, folder.name, progress, on_step, t_start).fit()


@contextlib.contextmanager
def cpu_threads(n: int | None):
    """Run a block with torch using ``n`` CPU threads (None: as it is), restoring the count after."""
    before = torch.get_num_threads()
    if n is not None:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _start_folder(folder, cfg: TrainConfig, manifest: list, retrain: bool) -> None:
    """Empty the folder for a retrain, drop half-written files, write the config and data manifest."""
    if retrain:
        for p in folder.iterdir():
            if p.name != ".lock":
                shutil.rmtree(p) if p.is_dir() else p.unlink()
    files.clean_temporaries(folder)
    ck.write_json(folder / "config.json", cfg.to_dict())
    ck.write_json(folder / "manifest.json", manifest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m colorlib.train", description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="YAML file of TrainConfig fields")
    parser.add_argument("--retrain", action="store_true", help="train again even if the run is cached")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--cache-dir", default=None, help="root of runs/ (default: colorlib.paths.cache_dir())")
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=YAML",
                        help="override a field, e.g. --set epochs=3 --set 'loss={mse: 1}'")
    args = parser.parse_args(argv)
    try:
        overrides = parse_set(args.set)
    except ValueError as err:
        parser.error(str(err))
    try:
        cfg = TrainConfig.from_yaml(args.config, **overrides)
    except ConfigError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        run = train(cfg, retrain=args.retrain, progress=not args.no_progress, cache_dir=args.cache_dir)
    except CheckpointError as err:  # a damaged run folder: one line that names the file and --retrain
        print(f"error: {err}", file=sys.stderr)
        return 2
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps({"dir": str(run.dir), "cached": run.cached, "weights": run.weights,
                          "lpips_label": run.lpips_label, "summary": run.summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

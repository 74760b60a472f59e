"""Training runs on disk: the data a run uses, its key, the run cache, and loading a finished run.

A run lives in ``<cache>/runs/<key>`` with key = sha256 of the canonical config (``TrainConfig.key_dict``: only
fields that change the result, and only those the mode uses), the data manifest (name, split, size and pixel
hash of every training, validation and style image), the LPIPS trunk it would train with and
``ENGINE_VERSION``. A finished run (``done.json``) is loaded instead of retrained; an unfinished one resumes
from ``last``. Files: ``config.json``, ``manifest.json``, ``last.*`` and ``best.*`` checkpoints, ``history.csv``
/ ``history.json``, ``done.json``; ``.lock`` keeps two processes from training one run at once. Every JSON file of
a run is checked against a schema when it is read (``colorlib.schema``): a damaged one is a ``RunFileError``
naming the file, the field and ``--retrain``.
"""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import torch
from torch import nn

from colorlib import checkpoint as ck
from colorlib import files, losses, models, paths, schema
from colorlib.checkpoint import CheckpointError
from colorlib.config import ConfigError, TrainConfig
from colorlib.schema import Array, Int, Maybe, Num, Object, Str

log = logging.getLogger(__name__)

ENGINE_VERSION = 1  # enters the run key: bump when a change alters what a given config trains to
DONE_SCHEMA = Object({"key": Str(), "epochs": Int(1), "steps": Int(), "best_val": Maybe(Num()),
                      "best_epoch": Maybe(Int()), "lpips_label": Maybe(Str()), "world_size": Int(1),
                      "resumed_from_step": Maybe(Int()), "train_seconds": Num()}, required=("epochs", "steps"))
HISTORY_SCHEMA = Array(Object({"epoch": Int(1), "step": Int()}, required=("epoch",)))
RETRAIN = ("train it again with --retrain (python -m colorlib.train --retrain, colorlib.train.train(cfg, "
           "retrain=True), python -m colorlib.report --retrain) or delete the run folder")


class RunFileError(CheckpointError):
    """A file of a run folder is damaged (unreadable, not JSON, or not of its schema); says how to recover."""


def read_run_json(path: Path, shape=schema.Anything()):
    """A run folder's JSON file, checked against ``shape``; ``RunFileError`` naming the file, field and remedy."""
    try:
        return schema.read(path, shape)
    except schema.SchemaError as err:
        raise RunFileError(f"{err}; {RETRAIN}") from None


def read_config(path: Path) -> TrainConfig:
    """A run folder's ``config.json`` as a ``TrainConfig``; a bad one is a ``RunFileError`` naming the field."""
    try:
        return TrainConfig.from_dict(read_run_json(path, Object()))
    except (ConfigError, TypeError) as err:
        raise RunFileError(f"{path}: {err}; {RETRAIN}") from None


# ================================================================================================ data
@dataclass
class TrainData:
    """Image records for a run: ``train`` photos, ``val`` photos (may be empty), ``style`` paintings (may be
    empty). Records follow ``colorlib.data.ImageRecord`` (``image`` PIL RGB, ``name``, ``split``, ...)."""

    train: list
    val: list = field(default_factory=list)
    style: list = field(default_factory=list)

    @classmethod
    def coerce(cls, value: "TrainData | Mapping") -> "TrainData":
        return value if isinstance(value, TrainData) else cls(**value)


def load_data(cfg: TrainConfig, progress: bool = True) -> TrainData:
    """Load (and pre-resize, cached on disk by colorlib.data) the images a config needs."""
    from colorlib import data

    resize = cfg.resize or cfg.size
    train_recs = data.load_images(cfg.source, "photos", "train", resize, limit=cfg.limit, progress=progress)
    val_limit = cfg.val_limit
    if val_limit is None and cfg.source in data.HUB_SOURCES:
        val_limit = max(1, (cfg.limit or 10_000) // 10)  # streamed sources need a cap: a tenth of the training set
    val_recs = data.load_images(cfg.source, "photos", "val", resize, limit=val_limit, progress=progress)
    style_recs = []
    if cfg.uses_style_images and cfg.style_source == "paintings":
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


# ================================================================================================ key
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


def run_dir(cfg: TrainConfig, data: TrainData, cache_dir: str | os.PathLike | None = None) -> tuple[Path, list]:
    """The run's folder in the run cache (``<cache>/runs/<run_key>``) and the data manifest its key hashes."""
    manifest = data_manifest(data)
    root = Path(cache_dir) if cache_dir is not None else paths.cache_dir()
    return root / "runs" / run_key(cfg, manifest), manifest


# ================================================================================================ runs
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

    def last(self, key: str, default=float("nan")):
        """The last epoch's value of a history column (e.g. "val_loss")."""
        values = [row[key] for row in self.history if row.get(key) is not None]
        return values[-1] if values else default


def load_weights(model: nn.Module, stem: str | os.PathLike, prefix: str = "model.") -> dict:
    """Load a checkpoint's weights into ``model``; refuse a config or architecture mismatch by name.

    Returns the checkpoint's JSON state.
    """
    tensors, state = ck.load_checkpoint(stem)
    saved_cfg = (state.get("config") or {}).get("model")
    own_cfg = getattr(model, "cfg", None)
    if saved_cfg is not None and dataclasses.is_dataclass(own_cfg):
        try:  # fields added since the checkpoint was written take their defaults
            saved_cfg = dataclasses.asdict(type(own_cfg).from_dict(dict(saved_cfg)))
        except (TypeError, ValueError):
            pass  # compared as written: the differences are named below
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
    summary = read_run_json(done, DONE_SCHEMA)
    cfg = read_config(run_dir / "config.json")
    history = read_run_json(run_dir / "history.json", HISTORY_SCHEMA) if (run_dir / "history.json").exists() else []
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
    data = load_data(cfg, progress) if data is None else TrainData.coerce(data)
    folder, _ = run_dir(cfg, data, cache_dir)
    if not (folder / "done.json").exists():
        return None
    return load_run(folder, weights=weights, device=device)


def write_history(folder: Path, history: list[dict]) -> None:
    """``history.json`` and ``history.csv`` (one row per epoch, every column any epoch has)."""
    ck.write_json(folder / "history.json", history)
    cols: list[str] = []
    for row in history:
        cols += [k for k in row if k not in cols]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, restval="")
    w.writeheader()
    w.writerows(history)
    files.write_text(folder / "history.csv", buf.getvalue())


ONE_TRAINING_ENV = "COLORLIB_ONE_TRAINING"  # set: a run also takes the run cache's machine-wide training lock


@contextlib.contextmanager
def run_lock(folder: Path, main: bool = True):
    """Exclusive lock on a run folder (taken by the main rank) so two processes never train the same run at
    once; the OS drops it if the holder dies (even by SIGKILL). ``filelock`` works on Windows too."""
    if not main:
        yield
        return
    from filelock import FileLock, Timeout

    locks = [FileLock(folder / ".lock")]
    if os.environ.get(ONE_TRAINING_ENV):
        # Notebooks run at once (colorlib.report --jobs): one training at a time on the machine, since two
        # sharing the 2 CPU cores trained at 6 img/s each against 30-35 alone (measured, bf16, Intel Xeon).
        locks.append(FileLock(folder.parent / ".training.lock"))
    held = []
    try:
        for lock in locks:
            try:
                lock.acquire(timeout=0)
            except Timeout:
                log.warning("colorlib.train: waiting for another process training %s ...",
                            folder if lock is locks[0] else "(one training at a time)")
                lock.acquire()
            held.append(lock)
        yield
    finally:
        for lock in reversed(held):
            lock.release()

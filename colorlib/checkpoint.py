"""Checkpoint files of the training engine: safetensors for tensors, JSON for everything else, no pickle.

A checkpoint is a pair ``<stem>.safetensors`` + ``<stem>.json``:

- ``<stem>.safetensors`` holds every tensor under a prefix (``model.*``, ``disc.*``, ``optim.<name>.*``,
  ``rng.*``, ``accum.*``) and, in its header metadata, the format tag and the JSON state (config, optimiser
  scalar structure, RNG scalars, epoch, step, best val loss). It is written through ``colorlib.files``
  (a temporary file, fsync, ``os.replace``), so a reader never sees a half-written file, even after SIGKILL.
- ``<stem>.json`` is a readable copy of the same JSON state, written the same way right after. The copy
  inside the safetensors header is the authority: a kill between the two writes leaves a stale ``.json``
  that loading ignores.

Errors are ``CheckpointError`` (a ``ValueError``) and name the file and what is wrong: not a checkpoint,
corrupt, header metadata that does not fit ``STATE_SCHEMA`` (a field of the wrong type, a non-finite number,
JSON nested too deeply: ``colorlib.schema``), a config field that differs ("latent_dim: checkpoint 128, model
32"), a missing, unexpected or differently shaped tensor, or weights that are NaN or infinite. ``torch.load``
is never used.
"""
from __future__ import annotations

import json
import os
import random
import re
import uuid
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from colorlib import files, schema
from colorlib.schema import Anything, Array, Int, Maybe, Num, Object, Str

FORMAT = "colorlib-checkpoint"
VERSION = 1
STATE_SCHEMA = Object({
    "format": Str(), "version": Int(), "kind": Str(), "key": Str(), "save_id": Str(),
    "config": Object({"model": Object()}), "key_config": Object({"model": Object()}),
    "epoch": Int(), "batch": Int(), "step": Int(), "world": Int(1), "elapsed_s": Num(),
    "best_val": Maybe(Num()), "best_epoch": Maybe(Int()), "val_loss": Maybe(Num()), "lpips_label": Maybe(Str()),
    "history": Array(Object({"epoch": Int(1)})), "optim": Object(), "rng": Object(), "accum": Object(),
    "scaler": Anything(),
})
"""What the JSON state in a checkpoint's header may hold (every field optional: a ``best`` checkpoint carries
fewer than a resumable ``last``; ``train`` requires the ones it resumes from, ``LAST_REQUIRED``)."""
LAST_REQUIRED = ("config", "key_config", "epoch", "batch", "step", "best_val", "best_epoch", "history", "optim",
                 "accum")


class CheckpointError(ValueError):
    """A checkpoint file is missing, corrupt, not a colorlib checkpoint, or does not fit the model."""


# ----------------------------------------------------------------------------------------------- files
def _paths(stem: str | os.PathLike) -> tuple[Path, Path]:
    stem = Path(stem)
    if stem.suffix in (".safetensors", ".json"):
        stem = stem.with_suffix("")
    return stem.with_suffix(".safetensors"), stem.with_suffix(".json")


def write_json(path: str | os.PathLike, obj: Any) -> None:
    """Atomically write ``obj`` as indented JSON (the format of every JSON file in a run folder)."""
    files.write_json(path, obj, indent=2, sort_keys=True, allow_nan=True)


def exists(stem: str | os.PathLike) -> bool:
    return _paths(stem)[0].exists()


def save_checkpoint(stem: str | os.PathLike, tensors: Mapping[str, torch.Tensor], state: Mapping) -> None:
    """Write ``<stem>.safetensors`` (tensors + JSON state in the header) and ``<stem>.json``, each atomically."""
    st_path, js_path = _paths(stem)
    st_path.parent.mkdir(parents=True, exist_ok=True)
    state = {**state, "format": FORMAT, "version": VERSION, "save_id": uuid.uuid4().hex}
    # safetensors refuses views and shared storage: store private contiguous CPU copies.
    flat = {k: v.detach().to("cpu", copy=True).contiguous() for k, v in tensors.items()}
    meta = {"format": FORMAT, "version": str(VERSION), "state": json.dumps(state, sort_keys=True)}
    with files.atomic_path(st_path) as tmp:
        save_file(flat, str(tmp), metadata=meta)
    write_json(js_path, state)


def load_checkpoint(stem: str | os.PathLike, device: str | torch.device = "cpu"
                    ) -> tuple[dict[str, torch.Tensor], dict]:
    """Read a checkpoint; returns ``(tensors, state)``. Raises ``CheckpointError`` naming the file."""
    st_path, _ = _paths(stem)
    if not st_path.exists():
        raise CheckpointError(f"{st_path}: no such checkpoint file")
    try:
        with open(st_path, "rb") as fh:
            head = fh.read(8)
        if len(head) < 8:
            raise CheckpointError(f"{st_path}: not a checkpoint (file is {len(head)} bytes, truncated or empty)")
        from safetensors import safe_open
        with safe_open(str(st_path), framework="pt") as f:
            meta = f.metadata() or {}
        tensors = load_file(str(st_path), device=str(device))
    except CheckpointError:
        raise
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise CheckpointError(f"{st_path}: not a readable safetensors checkpoint (corrupt or another format): "
                              f"{err}") from err
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{st_path}: a safetensors file but not a colorlib checkpoint "
                              f"(header metadata format={meta.get('format')!r}, expected {FORMAT!r})")
    version = meta.get("version", "")
    if not re.fullmatch(r"[0-9]{1,6}", version):
        raise CheckpointError(f"{st_path}: header metadata version must be a whole number, got {version!r}")
    if int(version) > VERSION:
        raise CheckpointError(f"{st_path}: checkpoint format version {version} is newer than this "
                              f"colorlib reads ({VERSION})")
    if "state" not in meta:
        raise CheckpointError(f"{st_path}: checkpoint header has no JSON state")
    try:
        state = schema.loads(meta["state"], f"{st_path}: header state", STATE_SCHEMA)
    except schema.SchemaError as err:
        raise CheckpointError(str(err)) from None
    return tensors, state


# --------------------------------------------------------------------------------- module state dicts
def module_tensors(module: torch.nn.Module, prefix: str) -> dict[str, torch.Tensor]:
    return {f"{prefix}{k}": v for k, v in module.state_dict().items()}


def compare_configs(saved: Mapping, current: Mapping, path: str = "") -> list[str]:
    """Field-by-field differences between two (nested) config dicts as ``"field: checkpoint A, model B"``."""
    if not isinstance(saved, Mapping) or not isinstance(current, Mapping):
        return [] if _norm(saved) == _norm(current) else [f"{path.rstrip('.') or 'config'}: checkpoint {saved!r}, "
                                                          f"model {current!r}"]
    out = []
    for key in sorted(set(saved) | set(current)):
        name = f"{path}{key}"
        a, b = saved.get(key, "<absent>"), current.get(key, "<absent>")
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            out += compare_configs(a, b, f"{name}.")
        elif _norm(a) != _norm(b):
            out.append(f"{name}: checkpoint {a!r}, model {b!r}")
    return out


def _norm(v):
    # JSON turns tuples into lists; compare them as equal.
    if isinstance(v, (list, tuple)):
        return [_norm(x) for x in v]
    return v


def load_module(module: torch.nn.Module, tensors: Mapping[str, torch.Tensor], prefix: str, where: str) -> None:
    """Load ``prefix``-ed tensors into ``module``, refusing any missing, unexpected or mis-shaped tensor."""
    own = module.state_dict()
    saved = {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
    shape = [f"{k}: checkpoint shape {tuple(saved[k].shape)}, model {tuple(own[k].shape)}"
             for k in sorted(set(own) & set(saved)) if tuple(own[k].shape) != tuple(saved[k].shape)]
    missing = [f"missing tensor {k!r} (model has shape {tuple(own[k].shape)})" for k in sorted(set(own) - set(saved))]
    unexpected = [f"unexpected tensor {k!r} (checkpoint shape {tuple(saved[k].shape)})"
                  for k in sorted(set(saved) - set(own))]
    if shape or missing or unexpected:
        # A few of each kind, mis-shaped first: they say most about what differs.
        shown = shape[:4] + missing[:3] + unexpected[:3]
        counts = f"{len(shape)} mis-shaped, {len(missing)} missing, {len(unexpected)} unexpected"
        more = f"; ... ({len(shape) + len(missing) + len(unexpected) - len(shown)} more)" if len(
            shape) + len(missing) + len(unexpected) > len(shown) else ""
        raise CheckpointError(f"{where}: checkpoint does not fit the model ({counts}): " + "; ".join(shown) + more)
    check_finite(saved, where, prefix)
    module.load_state_dict(saved, strict=True)


def check_finite(tensors: Mapping[str, torch.Tensor], where: str, prefix: str = "") -> None:
    """Refuse floating-point tensors holding NaN or infinities (such weights colour every pixel black)."""
    bad = []
    for name, t in tensors.items():
        if t.is_floating_point():
            n = int((~torch.isfinite(t)).sum())
            if n:
                bad.append(f"{prefix}{name} ({n} of {t.numel()} values)")
    if bad:
        more = f" and {len(bad) - 3} more tensors" if len(bad) > 3 else ""
        raise CheckpointError(f"{where}: weights are NaN or infinite in {', '.join(bad[:3])}{more}: a diverged or "
                              f"damaged checkpoint")


# ------------------------------------------------------------------------------------------- optimisers
def optimizer_state(opt: torch.optim.Optimizer, prefix: str) -> tuple[dict[str, torch.Tensor], dict]:
    """Split ``opt.state_dict()`` into tensors (``<prefix>state.<param>.<key>``) and a JSON structure."""
    sd = opt.state_dict()
    tensors, state = {}, {}
    for pid, pstate in sd["state"].items():
        entry = {}
        for k, v in pstate.items():
            if torch.is_tensor(v):
                tensors[f"{prefix}state.{pid}.{k}"] = v
                entry[k] = {"tensor": f"{prefix}state.{pid}.{k}"}
            else:
                entry[k] = {"value": v}
        state[str(pid)] = entry
    groups = []
    for g, group in enumerate(sd["param_groups"]):
        out = {}
        for k, v in group.items():
            if torch.is_tensor(v):
                tensors[f"{prefix}group.{g}.{k}"] = v
                out[k] = {"tensor": f"{prefix}group.{g}.{k}"}
            else:
                out[k] = {"value": list(v) if isinstance(v, tuple) else v, "tuple": isinstance(v, tuple)}
        groups.append(out)
    return tensors, {"state": state, "param_groups": groups}


def load_optimizer_state(opt: torch.optim.Optimizer, tensors: Mapping[str, torch.Tensor], struct: Mapping,
                         where: str) -> None:
    def value(spec):
        if "tensor" in spec:
            return tensors[spec["tensor"]]
        v = spec["value"]
        return tuple(v) if spec.get("tuple") else v

    try:
        sd = {"state": {int(pid): {k: value(s) for k, s in entry.items()} for pid, entry in struct["state"].items()},
              "param_groups": [{k: value(s) for k, s in g.items()} for g in struct["param_groups"]]}
        opt.load_state_dict(sd)
    except (KeyError, ValueError, TypeError, AttributeError, IndexError) as err:
        raise CheckpointError(f"{where}: optimiser state does not fit ({type(err).__name__}: {err})") from err


# ------------------------------------------------------------------------------------------------- RNGs
def rng_state() -> tuple[dict[str, torch.Tensor], dict]:
    """Global RNG states (torch CPU/CUDA/MPS, numpy, Python ``random``) as tensors + JSON."""
    tensors = {"rng.torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            tensors[f"rng.cuda.{i}"] = s
    if hasattr(torch, "mps") and torch.backends.mps.is_available():
        tensors["rng.mps"] = torch.mps.get_rng_state()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    tensors["rng.numpy.keys"] = torch.from_numpy(keys.astype(np.int64))
    version, internal, gauss_next = random.getstate()
    js = {"numpy": [name, int(pos), int(has_gauss), float(cached)],
          "python": [version, list(internal), gauss_next]}
    return tensors, js


def set_rng_state(tensors: Mapping[str, torch.Tensor], js: Mapping) -> None:
    torch.set_rng_state(tensors["rng.torch"].cpu())
    cuda = sorted((k for k in tensors if k.startswith("rng.cuda.")), key=lambda k: int(k.rsplit(".", 1)[1]))
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([tensors[k].cpu() for k in cuda][: torch.cuda.device_count()])
    if "rng.mps" in tensors and hasattr(torch, "mps") and torch.backends.mps.is_available():
        torch.mps.set_rng_state(tensors["rng.mps"].cpu())
    name, pos, has_gauss, cached = js["numpy"]
    np.random.set_state((name, tensors["rng.numpy.keys"].numpy().astype(np.uint32), pos, has_gauss, cached))
    version, internal, gauss_next = js["python"]
    random.setstate((version, tuple(internal), gauss_next))

"""Evaluation cache: a model's measurements stored by the content they depend on, so a re-run reads them.

The run cache makes training free on a re-run; the notebooks then spend their time measuring the same
models on the same images again (notebooks 03, 04, 05, 06, 11 and 12 all measure the final model). ``cached``
stores a measurement (a JSON-able dict) under a key that hashes everything it depends on:

- the model's weights and buffers and its config (``fingerprint`` of a module or a ``runs.Run``),
- every input tensor's bytes, dtype and shape, and every other argument's value,
- the source of the modules that compute it (``CODE_FILES``): editing a metric invalidates every entry.

So an entry can only be reused for the identical computation. Entries live in ``<cache>/evals/<code digest>/``
as small JSON files written atomically (a killed run leaves no half entry); a cold run and a warm one return the same JSON
round-tripped values. An entry is ``{"format": ENTRY_FORMAT, "kind": ..., "key": ..., "result": {...}}``; anything
else at an entry's path (``{}``, ``[]``, ``null``, ``NaN``, JSON of the wrong shape, a folder, an unreadable file)
is not trusted: the measurement is computed again and the entry rewritten (or, when the path cannot be a file,
returned without storing it, with a warning). ``COLORLIB_EVAL_CACHE=0`` turns the cache off (every measurement is
computed).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from colorlib import files, paths

CODE_FILES = ("color.py", "data.py", "evalcache.py", "evaluation.py", "files.py", "inference.py", "losses.py",
              "metrics.py", "models.py")
"""Modules whose source takes part in every key: every module whose code computes a measured value (the
measurements, the metrics, the networks, the colour maths, the inference pipeline, image decoding and resizing,
the JSON round trip). ``tests/test_evalcache.py`` checks that nothing the measurements import is missing."""

ENTRY_FORMAT = "colorlib-eval-1"
_code_digest: str | None = None


def enabled() -> bool:
    return os.environ.get("COLORLIB_EVAL_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def cache_root() -> Path:
    return paths.cache_dir() / "evals"


def entries_dir() -> Path:
    """Where entries made with the current code live (one folder per ``code_digest``: after a code change the
    old folder is never read again, and ``clear`` removes it)."""
    return cache_root() / code_digest()


def code_digest() -> str:
    """Hash of the source of ``CODE_FILES`` (computed once per process)."""
    global _code_digest
    if _code_digest is None:
        h = hashlib.blake2b(digest_size=16)
        for name in CODE_FILES:
            h.update(name.encode())
            h.update((paths.PACKAGE_DIR / name).read_bytes())
        _code_digest = h.hexdigest()
    return _code_digest


def _update(h, obj: Any) -> None:
    """Feed ``obj``'s content into hash ``h`` (type-tagged so that e.g. 1 and "1" differ)."""
    from colorlib.runs import Run

    if isinstance(obj, Run):
        obj = obj.model
    if isinstance(obj, torch.nn.Module):
        h.update(b"module:" + type(obj).__name__.encode())
        cfg = getattr(obj, "cfg", None)
        if dataclasses.is_dataclass(cfg):
            _update(h, dataclasses.asdict(cfg))
        for name, tensor in obj.state_dict().items():
            h.update(name.encode())
            _update(h, tensor)
    elif isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        h.update(f"tensor:{t.dtype}:{tuple(t.shape)}:".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    elif isinstance(obj, np.ndarray):
        a = np.ascontiguousarray(obj)
        h.update(f"array:{a.dtype}:{a.shape}:".encode())
        h.update(a.tobytes())
    elif isinstance(obj, dict):
        h.update(b"dict:")
        for k in sorted(obj, key=str):
            _update(h, str(k))
            _update(h, obj[k])
    elif isinstance(obj, (list, tuple)):
        h.update(f"seq:{len(obj)}:".encode())
        for item in obj:
            _update(h, item)
    elif obj is None or isinstance(obj, (str, bool, int, float)):
        h.update(f"{type(obj).__name__}:{obj!r};".encode())
    else:
        raise TypeError(f"cannot fingerprint a {type(obj).__name__} for the evaluation cache")


def fingerprint(*parts: Any) -> str:
    """Content hash of ``parts`` (modules / runs by weights and config, tensors by bytes, plain values by value)."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        _update(h, part)
    return h.hexdigest()


def entry_key(kind: str, *parts: Any) -> str:
    """The cache key of ``kind`` computed from ``parts`` with the current code."""
    return fingerprint(code_digest(), kind, *parts)


def cached(kind: str, compute: Callable[[], dict], *parts: Any, key: str | None = None) -> dict:
    """``compute()``'s JSON-able result, read from the cache when ``kind`` was computed from identical ``parts``
    with identical code before (``key``: a ready ``entry_key(kind, *parts)``, instead of ``parts``). The result is
    always the JSON round trip, so cold and warm runs agree."""
    def result_of() -> dict:
        return json.loads(json.dumps(files.jsonable(compute())))

    if not enabled():
        return result_of()
    key = key or entry_key(kind, *parts)
    path = entries_dir() / f"{kind}-{key}.json"
    stored = _read_entry(path, kind, key)
    if stored is not None:
        return stored
    result = result_of()
    if path.is_dir() or (path.exists() and not path.is_file()):
        warnings.warn(f"evaluation cache: {path} is not a file; the measurement is not stored", stacklevel=2)
        return result
    files.write_json(path, {"format": ENTRY_FORMAT, "kind": kind, "key": key, "result": result}, newline=False)
    return result


def _read_entry(path: Path, kind: str, key: str) -> dict | None:
    """The stored result at ``path``, or None when there is none or it is not an entry of ``kind`` and ``key``."""
    if not path.is_file():
        return None
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError):
        return None
    if not (isinstance(entry, dict) and entry.get("format") == ENTRY_FORMAT and entry.get("kind") == kind
            and entry.get("key") == key and isinstance(entry.get("result"), dict)):
        return None
    return entry["result"]


def clear() -> int:
    """Delete every cached evaluation; returns how many entries were removed."""
    removed = 0
    for p in cache_root().rglob("*.json"):
        p.unlink(missing_ok=True)
        removed += 1
    return removed

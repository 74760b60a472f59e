"""Writing files so that no reader ever sees half of one: the one atomic-write helper every writer uses.

``atomic_path(path)`` yields a temporary path in the same folder (``.<name>.<random>.tmp``); when the block
ends without an error the temporary file is flushed to disk (fsync) and renamed over ``path`` in one step
(``os.replace``), otherwise it is removed. A kill at any moment leaves either the old file or the new one,
never a truncated one; a symlink at ``path`` is replaced, not followed. ``write_bytes`` / ``write_text`` /
``write_json`` are the common cases; ``clean_temporaries`` removes what a killed writer left behind.

``jsonable`` turns numpy and torch values into plain JSON values (the one JSON cleaner).
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

TMP_SUFFIX = ".tmp"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` (after fsync) when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes(path: str | os.PathLike, content: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(content)


def write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)


def write_json(path: str | os.PathLike, obj: Any, newline: bool = True, **dump_kwargs) -> None:
    """``json.dumps(obj, **dump_kwargs)`` (plus a final newline unless ``newline=False``), atomically."""
    write_text(path, json.dumps(obj, **dump_kwargs) + ("\n" if newline else ""))


def clean_temporaries(folder: str | os.PathLike) -> None:
    """Remove temporary files left in ``folder`` by a writer that was killed mid-write."""
    for tmp in Path(folder).glob(f".*{TMP_SUFFIX}"):
        tmp.unlink(missing_ok=True)


def jsonable(value: Any, nonfinite: str = "keep") -> Any:
    """A JSON-safe copy: numpy/torch scalars and arrays to Python values, tuples to lists, other objects to
    ``str``. ``nonfinite``: "keep" (NaN and infinities stay floats; ``json`` writes them as NaN/Infinity) or
    "str" (they become the strings "nan", "inf", "-inf", for strict JSON readers)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v, nonfinite) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v, nonfinite) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value) and nonfinite == "str":
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "tolist"):
        return jsonable(value.tolist(), nonfinite)
    return str(value)

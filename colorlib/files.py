"""Writing files so that no reader ever sees half of one: the one atomic-write helper every writer uses.

``atomic_path(path)`` yields a temporary path in the same folder (``.<name>.<random>.tmp``); when the block
ends without an error the temporary file is flushed to disk (fsync) and renamed over ``path`` in one step
(``os.replace``), otherwise it is removed. A kill at any moment leaves either the old file or the new one,
never a truncated one; a symlink at ``path`` is replaced, not followed. ``write_bytes`` / ``write_text`` /
``write_json`` are the common cases; ``clean_temporaries`` removes what a killed writer left behind.

``write_new(path, write)`` is for outputs a user names (the command line, the picker): the file is written once
to a temporary file, then appears under ``path`` (or ``<stem>-1<suffix>``, ``-2`` ... when that name is taken)
with a hard link, which fails when anything is there already (a file, a folder, a symlink, even a dangling
one) instead of replacing it. Two processes racing for one name therefore never both get it, and a file that
was already there is never replaced unless ``overwrite=True``.

``jsonable`` turns numpy and torch values into plain JSON values (the one JSON cleaner).
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import errno
import tempfile
from pathlib import Path
from typing import Any, Callable, Container, Iterator

TMP_SUFFIX = ".tmp"
# mkstemp makes its file readable by its owner only (0600), and a rename keeps that mode: without a chmod every
# figure, model and coloured photo written here would be private to whoever wrote it. Read once, at import.
_UMASK = os.umask(0)
os.umask(_UMASK)


def _chmod_as_open(tmp: str | os.PathLike, replacing: Path | None = None) -> None:
    """Give ``tmp`` the mode a plain ``open(path, "w")`` would leave: that of the file it replaces
    (``replacing``, where there is one), else 0666 less the umask."""
    mode = 0o666 & ~_UMASK
    if replacing is not None:
        with contextlib.suppress(OSError):  # nothing there yet, or a dangling symlink (replaced, not followed)
            mode = os.stat(replacing).st_mode & 0o7777
    os.chmod(tmp, mode)


def temporary_dir(prefix: str, parent: str | os.PathLike) -> Path:
    """A new empty folder in ``parent`` to fill and then rename into place, with the mode ``os.mkdir`` would give
    (0777 less the umask): mkdtemp's own 0700 would survive the rename and make the finished folder private."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    os.chmod(tmp, 0o777 & ~_UMASK)
    return tmp


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; renamed over ``path`` (after fsync) when the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        _chmod_as_open(tmp, path)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def numbered(path: str | os.PathLike) -> Iterator[Path]:
    """``path``, then ``<stem>-1<suffix>``, ``<stem>-2<suffix>`` ... (``photo.png``, ``photo-1.png``, ...)."""
    path = Path(path)
    yield path
    n = 1
    while True:
        yield path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1


def _link_new(tmp: Path, target: Path) -> None:
    """Give the finished temporary file the name ``target`` only if nothing has that name (FileExistsError)."""
    try:
        os.link(tmp, target, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError as err:  # a file system without hard links: reserve the name exclusively, then replace
        if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        os.replace(tmp, target)


def write_new(path: str | os.PathLike, write: Callable[[Path], None], overwrite: bool = False,
              skip: Container[Path] = (), limit: int = 10_000) -> Path:
    """Write a file the caller names without ever replacing one it did not create; returns the path written.

    ``write(tmp)`` fills a temporary file in the same folder (once); it is flushed to disk and then appears,
    complete, under the first name of ``numbered(path)`` that is free and not in ``skip`` (absolute paths this
    caller already wrote or must not touch, such as its inputs). "Free" means nothing is there, not even a
    symlink: the name is taken with a hard link (``os.link`` fails on an existing name), so two processes never
    both write one name. ``overwrite=True``: replace what is at ``path`` instead (a symlink there is replaced,
    never followed); names in ``skip`` are still avoided. An error or an interruption (``KeyboardInterrupt``,
    ``SystemExit``) leaves no temporary file and nothing under the final name."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        _chmod_as_open(tmp, path if overwrite else None)  # a new name otherwise
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        for i, candidate in enumerate(numbered(path)):
            if i > limit:
                raise FileExistsError(f"{path}: {limit} numbered names are taken")
            if absolute(candidate) in skip:
                continue
            if overwrite:
                os.replace(tmp, candidate)
                return candidate
            try:
                _link_new(tmp, candidate)
            except FileExistsError:
                continue
            return candidate
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def absolute(path: Path) -> Path:
    """``path`` made absolute without following a symlink at its last component."""
    return Path(os.path.abspath(path.parent.resolve() / path.name))


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

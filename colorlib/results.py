"""Measured numbers of each notebook, stored as small JSON files under ``report/results/``.

A notebook calls ``save("03", {...})`` with everything it measured; its closing "what we found" cell prints
from ``load("03")``, and ``colorlib.report`` builds ``report/claims.md`` from the ``claims`` entries, so no
number is ever typed by hand into prose.

A claim entry (see ``claim``) holds the original study's claim id (C1..C9, or S1.. for the further studies),
whether it reproduced here (``True``, ``False`` or ``None`` for "partly / inconclusive"), and a one-line
measurement built from the numbers.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

from colorlib.paths import report_dir


def results_dir() -> Path:
    path = report_dir() / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _clean(value):
    """JSON-safe copy: numpy/torch scalars to floats, NaN/inf to strings, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if hasattr(value, "tolist"):
        return _clean(value.tolist())
    return str(value)


def save(notebook: str, data: dict) -> None:
    """Write ``report/results/<notebook>.json`` atomically."""
    path = results_dir() / f"{notebook}.json"
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(_clean(data), f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def load(notebook: str) -> dict:
    path = results_dir() / f"{notebook}.json"
    if not path.exists():
        raise FileNotFoundError(f"no results for notebook {notebook}: run `python -m colorlib.report --only "
                                f"{notebook}` first ({path} is missing)")
    return json.loads(path.read_text())


def claim(reproduced: bool | None, measured: str, text: str = "", **numbers) -> dict:
    """One claim's verdict: ``reproduced`` must come from a comparison in code, ``measured`` from the numbers.

    ``text`` states the claim or hypothesis itself; needed for ids outside the original study's C1..C9
    (e.g. "S1" for the further studies), which ``report/claims.md`` lists in a second table."""
    if reproduced is not None:
        if not hasattr(reproduced, "__bool__") or isinstance(reproduced, str):
            raise TypeError(f"reproduced must be True, False or None, not {reproduced!r}")
        reproduced = bool(reproduced)  # numpy/torch booleans from comparisons
    return {"reproduced": reproduced, "measured": measured, "text": text, "numbers": numbers}

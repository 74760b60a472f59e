"""Measured numbers of each notebook, stored as small JSON files under ``report/results/``.

A notebook calls ``save("03", {...})`` with everything it measured; its closing "what we found" cell prints
from ``load("03")``, and ``colorlib.claims`` builds ``report/claims.md`` from the ``claims`` entries, so no
number is ever typed by hand into prose. Non-finite numbers are stored as the strings "nan", "inf", "-inf"
(the files stay strict JSON).
"""
from __future__ import annotations

import json
from pathlib import Path

from colorlib import files
from colorlib.paths import report_dir


def results_dir() -> Path:
    path = report_dir() / "results"
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(notebook: str) -> Path:
    return results_dir() / f"{notebook}.json"


def exists(notebook: str) -> bool:
    return path_of(notebook).exists()


def save(notebook: str, data: dict) -> None:
    """Write ``report/results/<notebook>.json`` atomically, with the report-wide overrides (``--set`` /
    ``COLORLIB_OVERRIDES``) when there are any: a result of a profile with changed sizes says so."""
    from colorlib import profiles

    forced = profiles.env_overrides()
    if forced:
        data = {**data, "overrides": forced}
    files.write_json(path_of(notebook), files.jsonable(data, nonfinite="str"), indent=2, sort_keys=True)


def load(notebook: str) -> dict:
    path = path_of(notebook)
    if not path.exists():
        raise FileNotFoundError(f"no results for notebook {notebook}: run `python -m colorlib.report --only "
                                f"{notebook}` first ({path} is missing)")
    return json.loads(path.read_text())

"""Keep the committed notebooks clean, in the spirit of nbdev: no stale outputs, no machine paths, no secrets.

Committed notebooks in ``notebooks/`` store no outputs except for cells marked ``# NBVAL_CHECK_OUTPUT``:
those print deterministic facts (dataset counts, parameter counts) that the smoke run of every notebook
compares with what they print (tests/test_notebooks.py; ``pytest --nbval-lax notebooks`` compares the same), and
their stored output is copied from a fresh report run (``--sync``), so it is known to be regenerated.

    python -m colorlib.notebook_hygiene --check notebooks/*.ipynb
    python -m colorlib.notebook_hygiene --strip notebooks/*.ipynb
    python -m colorlib.notebook_hygiene --sync report notebooks/*.ipynb
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

from colorlib import files

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"
MACHINE_PATH = re.compile(r"(/work/|/home/\w|/root/|/tmp/|/Users/\w|[A-Z]:\\\\Users)")
SECRET = re.compile(r"(hf_[A-Za-z0-9]{20,}|ghp_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}|(?i:api[_-]?key|token)\s*=\s*['\"][^'\"]{8,})")
VOLATILE_METADATA = ("papermill", "execution", "widgets")


def is_checked(cell) -> bool:
    return cell.cell_type == "code" and CHECK_MARK in cell.source


def _output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        parts.append(out.get("text", ""))
        for key, value in out.get("data", {}).items():
            if key.startswith("text/"):
                parts.append(value if isinstance(value, str) else "".join(value))
        parts.extend(out.get("traceback", []))
    return "\n".join(parts)


def check(path: Path) -> list[str]:
    """Problems that make a committed notebook unclean (empty list: clean)."""
    nb = nbformat.read(path, as_version=4)
    problems = []
    code = [c for c in nb.cells if c.cell_type == "code"]
    if not any("parameters" in c.metadata.get("tags", []) for c in code):
        problems.append("no cell tagged 'parameters'")
    for i, cell in enumerate(nb.cells):
        where = f"cell {i}"
        if cell.cell_type == "code":
            if cell.get("outputs") and not is_checked(cell):
                problems.append(f"{where}: stored output (only {CHECK_MARK} cells may keep theirs)")
            if cell.get("execution_count") is not None and not is_checked(cell):
                problems.append(f"{where}: execution count set")
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    problems.append(f"{where}: stored error output")
        text = cell.source + "\n" + (_output_text(cell) if cell.cell_type == "code" else "")
        if MACHINE_PATH.search(text):
            problems.append(f"{where}: machine path {MACHINE_PATH.search(text).group(0)!r}")
        if SECRET.search(text):
            problems.append(f"{where}: something that looks like a secret")
        for key in VOLATILE_METADATA:
            if key in cell.metadata:
                problems.append(f"{where}: volatile metadata {key!r}")
    return problems


def strip(path: Path) -> bool:
    """Remove outputs (except checked cells'), execution counts and volatile metadata; True if changed."""
    nb = nbformat.read(path, as_version=4)
    before = nbformat.writes(nb)
    for cell in nb.cells:
        for key in VOLATILE_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type != "code":
            continue
        if not is_checked(cell):
            cell.outputs = []
            cell.execution_count = None
    for key in VOLATILE_METADATA:
        nb.metadata.pop(key, None)
    after = nbformat.writes(nb)
    if after != before:
        files.write_text(path, after)
    return after != before


def sync(executed_dir: Path, path: Path) -> int:
    """Copy checked cells' outputs from the executed copy in ``executed_dir``; returns cells updated."""
    executed_path = executed_dir / path.name
    if not executed_path.exists():
        return 0
    executed = nbformat.read(executed_path, as_version=4)
    by_source = {c.source: c for c in executed.cells if is_checked(c)}
    nb = nbformat.read(path, as_version=4)
    updated = 0
    for cell in nb.cells:
        if is_checked(cell) and cell.source in by_source:
            source_cell = by_source[cell.source]
            outputs = [o for o in source_cell.outputs if o.get("output_type") in ("stream", "execute_result")]
            for out in outputs:
                if out.get("output_type") == "execute_result":
                    out["execution_count"] = 1
            cell.outputs = outputs
            cell.execution_count = 1 if outputs else None
            updated += 1
    files.write_text(path, nbformat.writes(nb))
    strip(path)
    return updated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m colorlib.notebook_hygiene", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--check", action="store_true")
    group.add_argument("--strip", action="store_true")
    group.add_argument("--sync", metavar="EXECUTED_DIR", type=Path)
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    status = 0
    for path in args.notebooks:
        if args.check:
            for problem in check(path):
                print(f"{path}: {problem}")
                status = 1
        elif args.strip:
            if strip(path):
                print(f"stripped {path}")
        else:
            print(f"{path}: {sync(args.sync, path)} checked cell(s) synced")
    return status


if __name__ == "__main__":
    sys.exit(main())

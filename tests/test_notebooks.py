"""Every numbered notebook is clean, has a parameters cell, and runs under the smoke profile with papermill,
writing only into figures/, report/ and the cache."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from colorlib import notebook_hygiene
from colorlib.claims import CLAIMS
from colorlib.report import notebooks

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = notebooks()
SKIP_DIRS = {".git", ".venv", ".cache", "__pycache__", ".pytest_cache", ".ipynb_checkpoints"}


def tree_snapshot():
    snap = {}
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        for name in filenames:
            path = Path(dirpath, name)
            snap[str(path.relative_to(ROOT))] = path.stat().st_mtime_ns
    return snap


def test_there_are_notebooks():
    assert NOTEBOOKS, "no numbered notebooks in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path):
    assert notebook_hygiene.check(path) == []


def test_hygiene_check_catches_problems(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = '/work/secret'")])
    nb.cells[0].outputs = [nbformat.v4.new_output("stream", text="hi")]
    path = tmp_path / "bad.ipynb"
    nbformat.write(nb, path)
    problems = " ".join(notebook_hygiene.check(path))
    assert "parameters" in problems and "stored output" in problems and "machine path" in problems
    notebook_hygiene.strip(path)
    assert "stored output" not in " ".join(notebook_hygiene.check(path))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_under_smoke(path, tmp_path):
    env = dict(os.environ, COLORLIB_FIGURES=str(tmp_path / "figures"), COLORLIB_REPORT=str(tmp_path / "report"))
    before = tree_snapshot()
    result = subprocess.run([sys.executable, "-m", "colorlib.report", "--profile", "smoke", "--only", path.name[:2]],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert tree_snapshot() == before, "the notebook wrote outside figures/, report/ and the cache"
    assert (tmp_path / "report" / path.name).exists()
    assert (tmp_path / "report" / "results" / f"{path.name[:2]}.json").exists(), "no results JSON written"
    assert not (tmp_path / "report" / "timings.json").exists(), "an --only run is partial: no report timings"
    # Every claim this notebook owns gets a verdict.
    claims = (tmp_path / "report" / "claims.md").read_text()
    for cid, (nb, _) in CLAIMS.items():
        if nb == path.name[:2]:
            assert f"| {cid}:" in claims and "not measured" not in claims.split(f"| {cid}:")[1].split("\n")[0]

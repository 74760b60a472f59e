"""Every numbered notebook is clean, has a parameters cell, and runs under the smoke profile with papermill,
writing only into figures/, report/ and the cache."""
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

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


@pytest.fixture(scope="module")
def smoke_report(tmp_path_factory):
    """Every notebook under the smoke profile, in one ``python -m colorlib.report --profile smoke --jobs 2`` (two
    kernels at a time, as a warm report runs them): each notebook runs once in the suite, here, instead of once
    per notebook process and once more under nbval (which ran them all again, only to compare the cells marked
    NBVAL_CHECK_OUTPUT: ``test_notebook_runs_under_smoke`` compares those). ``--keep-going``: a failing notebook
    fails its own test only, not the tests of the notebooks scheduled after it."""
    tmp = tmp_path_factory.mktemp("smoke")
    env = dict(os.environ, COLORLIB_FIGURES=str(tmp / "figures"), COLORLIB_REPORT=str(tmp / "report"))
    before = tree_snapshot()
    result = subprocess.run([sys.executable, "-m", "colorlib.report", "--profile", "smoke", "--jobs", "2",
                             "--keep-going"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    after = tree_snapshot()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return SimpleNamespace(result=result, report=tmp / "report", changed=changed,
                           tail=result.stdout[-3000:] + result.stderr[-3000:])


@pytest.mark.slow
@pytest.mark.timeout(1800)  # the first test waits for the whole smoke report (a few minutes on 2 cores)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_under_smoke(path, smoke_report):
    report = smoke_report.report
    assert f"FAILED: notebook {path.name}" not in smoke_report.result.stderr, smoke_report.tail
    assert (report / path.name).exists(), f"{path.name} did not run\n{smoke_report.tail}"
    assert not smoke_report.changed, f"the report wrote outside figures/, report/ and the cache: {smoke_report.changed}"
    assert (report / "results" / f"{path.name[:2]}.json").exists(), "no results JSON written"
    # Every claim this notebook owns gets a verdict.
    claims = (report / "claims.md").read_text()
    for cid, (nb, _) in CLAIMS.items():
        if nb == path.name[:2]:
            assert f"| {cid}:" in claims and "not measured" not in claims.split(f"| {cid}:")[1].split("\n")[0]
    # Cells marked NBVAL_CHECK_OUTPUT print facts that no profile changes (counts of the embedded data, parameter
    # counts): what they printed now is what the committed notebook stores (what `pytest --nbval-lax` compares).
    import nbformat

    committed, executed = (nbformat.read(f, as_version=4) for f in (path, report / path.name))
    ran = {cell.source: cell for cell in executed.cells}  # papermill inserts a cell: match cells by their source
    checked = [(cell, ran[cell.source]) for cell in committed.cells if notebook_hygiene.is_checked(cell)]
    lines = lambda cell: [line for line in notebook_hygiene._output_text(cell).splitlines() if line.strip()]
    for stored, now in checked:  # (a stream may come in several pieces: compare the lines)
        assert lines(now) == lines(stored), \
            f"{path.name}: a NBVAL_CHECK_OUTPUT cell printed something else than the committed notebook stores"


def test_a_whole_smoke_report_records_its_timings(smoke_report):
    assert smoke_report.result.returncode == 0, smoke_report.tail
    assert {"cold", "partial", "warm"} & set(json.loads((smoke_report.report / "timings.json").read_text())["smoke"])

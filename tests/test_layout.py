"""The library's layout keeps its shape: no import cycle, one job per module (the command line never imports the
widget app), short functions, the README's layout table matches the tree, and the evaluation cache's code digest
covers every module whose code computes a measurement."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from colorlib import evalcache

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "colorlib"
MODULES = sorted(p.stem for p in PACKAGE.glob("*.py"))
MAX_FUNCTION_LINES = 60
LONG_ALLOWED = {("models.py", "forward")}  # the UNet's forward reads best in one piece

# Modules the measurements import that cannot change a measured value, and why. A module imported by the
# measurements that is in neither this table nor evalcache.CODE_FILES fails the test: decide which it is.
NOT_MEASURING = {
    "__init__": "package start-up (the torchvision shim)",
    "_compat": "the torchvision shim: no maths",
    "paths": "where files live",
    "pretrained": "saving and loading shipped weights; a model enters the key by its weights",
    "schema": "checks metadata read from disk (refuses, never changes a value)",
    "profiles": "parameter sets: which run is measured, not how",
    "hub": "which hub images are read (streaming, local copies); the images enter the key themselves",
    "experiments": "which run is measured; a run enters the key by its weights",
    "train": "makes the runs; a run enters the key by its weights",
    "parallel": "trains runs side by side; a run enters the key by its weights",
    "runs": "loads the runs; a run enters the key by its weights",
    "config": "training configs; a run enters the key by its weights",
    "checkpoint": "reads weights files; the weights enter the key",
    "distributed": "training ranks and devices",
    "gcompris": "the embedded data set; the images enter the key by their pixels",
    "plots": "figures and tables, not numbers",
    "claims": "intervals and verdicts computed from the cached measurements, never inside one",
    "results": "stores the notebooks' numbers",
}


def colorlib_imports(module: str) -> set[str]:
    """The colorlib modules ``module`` imports anywhere in its source (lazy imports inside functions too)."""
    deps = set()
    for node in ast.walk(ast.parse((PACKAGE / f"{module}.py").read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "colorlib":
            deps |= {a.name for a in node.names if a.name in MODULES}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("colorlib."):
            deps.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            deps |= {a.name.split(".")[1] for a in node.names if a.name.startswith("colorlib.")}
    return deps - {module}


def closure(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += sorted(colorlib_imports(m))
    return seen


def test_no_import_cycle():
    graph = {m: colorlib_imports(m) for m in MODULES}
    for start in MODULES:
        for dep in graph[start]:
            assert start not in closure(dep), f"import cycle: {start} -> {dep} -> ... -> {start}"


def _assert_not_imported(statement: str, modules: tuple[str, ...]) -> None:
    """Run ``statement`` in a fresh interpreter; none of ``modules`` may have been imported by it."""
    code = f"import sys; {statement}; bad = [m for m in {modules!r} if m in sys.modules]; print(bad); " \
           "sys.exit(1 if bad else 0)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_command_line_does_not_import_the_widget_app():
    _assert_not_imported("import colorlib.cli", ("ipywidgets", "colorlib.picker"))


def test_a_notebooks_imports_leave_torchmetrics_for_first_use():
    """A warm notebook reads its metrics from the cache; importing torchmetrics (with torchvision) costs about
    3.5 s of each one, so colorlib.metrics imports it when PSNR or SSIM is first computed."""
    _assert_not_imported("from colorlib import claims, evaluation, experiments, metrics, models, plots, profiles, "
                         "results", ("torchmetrics", "torchvision"))


def test_no_function_is_longer_than_a_screen():
    long = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES and (path.name, node.name) not in LONG_ALLOWED:
                    long.append(f"{path.name}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, long


def test_every_module_says_what_it_is():
    for name in MODULES:
        doc = ast.get_docstring(ast.parse((PACKAGE / f"{name}.py").read_text()))
        assert doc and len(doc.split()) >= 5, f"colorlib/{name}.py has no docstring saying what it is"


def test_code_digest_covers_every_measuring_module():
    assert evalcache.CODE_FILES == ("color.py", "data.py", "evalcache.py", "evaluation.py", "files.py",
                                    "inference.py", "losses.py", "metrics.py", "models.py")
    covered = {name[:-3] for name in evalcache.CODE_FILES}
    assert all((PACKAGE / name).exists() for name in evalcache.CODE_FILES)
    for start in ("evaluation", "evalcache"):  # every module calling evalcache.cached
        unclassified = closure(start) - covered - set(NOT_MEASURING)
        assert not unclassified, f"{sorted(unclassified)}: add to evalcache.CODE_FILES or to NOT_MEASURING"
    callers = {m for m in MODULES if "evalcache.cached(" in (PACKAGE / f"{m}.py").read_text()}
    assert callers <= {"evaluation"}, f"measurements outside colorlib.evaluation: {sorted(callers)}"


def test_readme_layout_lists_every_module():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"`colorlib\.(\w+)`", section))
    public = {m for m in MODULES if not m.startswith("_")} - {"__main__"}
    assert listed == public, f"README layout: missing {sorted(public - listed)}, stale {sorted(listed - public)}"


@pytest.mark.parametrize("module", ["cli", "inference", "evaluation", "experiments", "train", "claims"])
def test_modules_import_alone(module):
    proc = subprocess.run([sys.executable, "-c", f"import colorlib.{module}"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]

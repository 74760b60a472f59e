"""Packaging: pyproject's ranges admit constraints.txt's exact pins, environment.yml pins the same versions, the
installed versions are the pins, one version, a LICENSE; the built wheel carries the metadata and the `colorlib`
command, and installed into a fresh venv it runs there without writing into site-packages."""
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from email.parser import Parser
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

import colorlib

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _pins(lines):
    pins = {}
    for line in lines:
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"not an exact pin: {line!r}"
        pins[req.name.lower()] = specs[0].version
    return pins


def constraint_pins():
    lines = (ROOT / "constraints.txt").read_text().splitlines()
    return _pins(line for line in lines if line.strip() and not line.startswith("#"))


def environment_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return _pins(line for line in pip_section if not line.startswith("-e"))


def requirements():
    lines = list(PROJECT["dependencies"])
    for extra in PROJECT["optional-dependencies"].values():
        lines += extra
    return [Requirement(line) for line in lines]


def test_environment_yml_and_constraints_pin_the_same_versions():
    assert environment_pins() == constraint_pins()


def test_every_range_admits_its_pin_and_every_pin_is_a_requirement():
    pins = constraint_pins()
    names = set()
    for req in requirements():
        name = req.name.lower()
        names.add(name)
        assert name in pins, f"{req} has no exact version in constraints.txt"
        assert req.specifier.contains(pins[name]), f"{req} does not admit the tested {name}=={pins[name]}"
        assert not any(s.operator == "==" for s in req.specifier), f"{req}: an exact pin belongs in constraints.txt"
    assert set(pins) == names, f"pinned but not required: {sorted(set(pins) - names)}"


def test_environment_yml_python_matches_requires_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    assert Version(python.split("=", 1)[1]) in Requirement("python" + PROJECT["requires-python"]).specifier


def test_one_version_and_a_license():
    assert "version" not in PROJECT and "version" in PROJECT["dynamic"]
    assert "MIT License" in (ROOT / "LICENSE").read_text() and PROJECT["license"] == "MIT"
    assert "-c constraints.txt" in (ROOT / "Makefile").read_text()


@pytest.mark.parametrize("name,pinned", sorted(constraint_pins().items()))
def test_installed_version_matches_pin(name, pinned):
    installed = Version(metadata.version(name))
    # A local build tag (torch 2.13.0+cpu) is the same release as the pin.
    assert installed.public == Version(pinned).public, f"{name}: installed {installed}, pinned {pinned}"


def _clean_env(**extra) -> dict:
    """This environment without the checkout on PYTHONPATH (pip would count it as colorlib installed)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "COLORLIB_CACHE", "COLORLIB_FIGURES", "COLORLIB_REPORT")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out, src = tmp_path_factory.mktemp("wheel"), tmp_path_factory.mktemp("src")
    # A copy of what the wheel is built from: setuptools writes build/ and *.egg-info next to its source.
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "colorlib", src / "colorlib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "models", src / "models")
    # --no-build-isolation: build with the installed setuptools, offline.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(src)], check=True, capture_output=True, text=True, cwd=out, env=_clean_env())
    return next(out.glob("colorlib-*.whl"))


@pytest.mark.slow
def test_wheel_metadata_entry_point_and_contents(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(info).decode())
        entry = zf.read(info.replace("METADATA", "entry_points.txt")).decode()
    assert meta["Name"] == "colorlib" and meta["Version"] == colorlib.__version__
    requires = [Requirement(r) for r in meta.get_all("Requires-Dist")]
    core = {r.name.lower(): r for r in requires if r.marker is None}
    assert "torch" in core and not any(s.operator == "==" for r in core.values() for s in r.specifier)
    assert {"notebooks", "app", "export", "test"} <= set(meta.get_all("Provides-Extra"))
    assert "colorlib = colorlib.commands:main" in entry
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert not [n for n in names if n.startswith(("tests/", "notebooks/", "benchmarks/", "models/"))]
    # The shipped weights ride along as package data (setup.py), each in the layout colorlib.pretrained loads.
    for folder in sorted(p.name for p in (ROOT / "models").iterdir() if p.is_dir()):
        assert {f"colorlib/_models/{folder}/{f}" for f in ("model.safetensors", "config.json", "README.md")} <= set(names)


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")
            if "__pycache__" not in p.parts}


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_venv_and_runs(wheel, tmp_path):
    """No network: the venv borrows this interpreter's packages through a .pth path line (which runs no code, so
    the checkout's editable install stays out) and the wheel goes in with --no-deps."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next(venv.glob("lib/python*/site-packages"))
    # Install before borrowing: otherwise pip sees the checkout's own colorlib through the .pth and skips.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps",
                    "--no-index", "-q", str(wheel)], check=True, capture_output=True, text=True, env=_clean_env())
    deps = [p for p in map(Path, sys.path) if p.name == "site-packages" and (p / "torch").is_dir()]
    (site / "zz_borrowed.pth").write_text("\n".join(map(str, deps)) + "\n")
    env = _clean_env(HOME=str(tmp_path / "home"), XDG_CACHE_HOME=str(tmp_path / "xdg"))
    before = _tree(site / "colorlib")
    run = lambda *a: subprocess.run([str(venv / "bin" / "colorlib"), *a], capture_output=True, text=True,
                                    env=env, cwd=tmp_path)  # noqa: E731
    assert run("--version").stdout.strip() == f"colorlib {colorlib.__version__}"
    helped = run("--help")
    assert helped.returncode == 0 and "colorize" in helped.stdout and "export" in helped.stdout
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import colorlib.paths as p; "
                            "print(p.__file__, p.cache_dir(), p.figures_dir(), p.IN_CHECKOUT)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, check=True).stdout.split()
    assert where[0].startswith(str(site)) and where[3] == "False"
    assert where[1].startswith(str(tmp_path / "xdg")) and where[2] == str(tmp_path / "figures")
    # Colour a photo and a short video with the weights named by --pretrained, then with those in the wheel.
    from PIL import Image

    from colorlib import video

    photo = Image.new("RGB", (96, 64))
    for x in range(96):
        for y in range(64):
            photo.putpixel((x, y), (x * 2, y * 3, (x + y) % 256))
    photo.save(tmp_path / "photo.png")
    video.write_test_video(tmp_path / "clip.mp4", [photo] * 5, fps=5)
    shipped = str(ROOT / "models" / "colorlib-rgb")
    done = run("colorize", "photo.png", "clip.mp4", "--pretrained", shipped, "--style", "natural", "--out", "out",
               "--no-progress")
    assert done.returncode == 0, done.stderr[-2000:]
    assert Image.open(tmp_path / "out" / "photo.png").size == (96, 64) and (tmp_path / "out" / "clip.mp4").stat().st_size
    assert "coloured 2 of 2" in done.stdout
    packaged = run("colorize", "photo.png", "--out", "packaged", "--no-progress")  # default: --style auto
    assert packaged.returncode == 0, packaged.stderr[-2000:]
    assert Image.open(tmp_path / "packaged" / "photo.png").size == (96, 64)
    assert _tree(site / "colorlib") == before

"""environment.yml and pyproject.toml pin the same packages, and the installed versions match the pins."""
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _pins(lines):
    pins = {}
    for line in lines:
        req = Requirement(line)
        specs = list(req.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", f"not an exact pin: {line!r}"
        pins[req.name.lower()] = specs[0].version
    return pins


def pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines += extra
    return _pins(lines)


def environment_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    return _pins(line for line in pip_section if not line.startswith("-e"))


def test_environment_yml_and_pyproject_pin_the_same_packages():
    assert environment_pins() == pyproject_pins()


def test_environment_yml_python_matches_requires_python():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert Version(python.split("=", 1)[1]) in Requirement("python" + requires).specifier


@pytest.mark.parametrize("name,pinned", sorted(pyproject_pins().items()))
def test_installed_version_matches_pin(name, pinned):
    installed = Version(metadata.version(name))
    # A local build tag (torch 2.13.0+cpu) is the same release as the pin.
    assert installed.public == Version(pinned).public, f"{name}: installed {installed}, pinned {pinned}"

"""Where colorlib reads and writes: the data/run cache, figures and the executed report.

Inside a source checkout the cache is ``<repo>/.cache/colorlib`` (git-ignored), figures and the report are the
checkout's ``figures/`` and ``report/``. An installed package (no checkout around it) uses the platform's user
cache folder (``platformdirs``: ``~/.cache/colorlib`` on Linux) and ``figures/``, ``report/`` below the current
working folder: never the package's own folder, which may be site-packages. ``COLORLIB_CACHE``,
``COLORLIB_FIGURES`` and ``COLORLIB_REPORT`` override them.
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
IN_CHECKOUT = (REPO_DIR / "pyproject.toml").exists() and (REPO_DIR / "notebooks").is_dir()


def _user_cache() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("colorlib", appauthor=False))


def cache_dir() -> Path:
    """Root of every cached artefact (data, pre-resized images, trained runs); created on demand."""
    env = os.environ.get("COLORLIB_CACHE")
    if env:
        root = Path(env).expanduser()
    elif IN_CHECKOUT:
        root = REPO_DIR / ".cache" / "colorlib"
    else:
        root = _user_cache()
    root.mkdir(parents=True, exist_ok=True)
    return root


def _output_dir(variable: str, name: str) -> Path:
    env = os.environ.get(variable)
    root = Path(env).expanduser() if env else (REPO_DIR if IN_CHECKOUT else Path.cwd()) / name
    root.mkdir(parents=True, exist_ok=True)
    return root


def figures_dir() -> Path:
    """Folder the notebooks write their figures into (``COLORLIB_FIGURES`` overrides)."""
    return _output_dir("COLORLIB_FIGURES", "figures")


def report_dir() -> Path:
    """Folder for executed notebooks, per-notebook results JSON and claims.md (``COLORLIB_REPORT`` overrides)."""
    return _output_dir("COLORLIB_REPORT", "report")


def seeded_torch_home() -> Path | None:
    """The checkout's ``.cache/torch`` when ``make`` seeded it with LPIPS trunk weights (offline machines)."""
    home = REPO_DIR / ".cache" / "torch"
    return home if IN_CHECKOUT and (home / "hub" / "checkpoints").is_dir() else None


def models_dir() -> Path:
    """Folder of the shipped models (``models/`` of the checkout; ``COLORLIB_MODELS`` overrides); not created here:
    an absent folder means nothing is shipped."""
    return Path(os.environ.get("COLORLIB_MODELS", REPO_DIR / "models")).expanduser()


def elsewhere_env(folder) -> dict[str, str]:
    """The environment that sends a report run with other seeds wholly into ``folder``: its results, its figures
    and its shipped models (notebook 13 writes ``models_dir()``, which would otherwise overwrite the checkout's
    shipped weights and model cards with another seed set's)."""
    folder = Path(folder)
    return {"COLORLIB_REPORT": str(folder), "COLORLIB_FIGURES": str(folder / "figures"),
            "COLORLIB_MODELS": str(folder / "models")}

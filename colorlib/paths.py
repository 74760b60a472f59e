"""Where colorlib reads and writes: the data/run cache, figures and the executed report.

Inside a source checkout the cache is ``<repo>/.cache/colorlib`` (git-ignored); an installed package uses
``~/.cache/colorlib``. ``COLORLIB_CACHE`` overrides either. Figures and the report live in the checkout.
"""
from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
IN_CHECKOUT = (REPO_DIR / "pyproject.toml").exists()


def cache_dir() -> Path:
    """Root of every cached artefact (data, pre-resized images, trained runs); created on demand."""
    env = os.environ.get("COLORLIB_CACHE")
    if env:
        root = Path(env).expanduser()
    elif IN_CHECKOUT:
        root = REPO_DIR / ".cache" / "colorlib"
    else:
        root = Path.home() / ".cache" / "colorlib"
    root.mkdir(parents=True, exist_ok=True)
    return root


def figures_dir() -> Path:
    """Folder the notebooks write their figures into (``COLORLIB_FIGURES`` overrides)."""
    root = Path(os.environ.get("COLORLIB_FIGURES", REPO_DIR / "figures"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def report_dir() -> Path:
    """Folder for executed notebooks, per-notebook results JSON and claims.md (``COLORLIB_REPORT`` overrides)."""
    root = Path(os.environ.get("COLORLIB_REPORT", REPO_DIR / "report"))
    root.mkdir(parents=True, exist_ok=True)
    return root


def models_dir() -> Path:
    """Folder of the shipped models (``models/`` of the checkout; ``COLORLIB_MODELS`` overrides); not created here:
    an absent folder means nothing is shipped."""
    return Path(os.environ.get("COLORLIB_MODELS", REPO_DIR / "models")).expanduser()

"""colorlib: style-guided colourisation (a UNet whose AdaIN layers take their scale and shift from a style
encoder), with the data, colour spaces, losses, training engine, metrics and plots of the study.

Importing colorlib is cheap and changes no environment variable: it loads no torch and only installs the
torchvision compatibility hook (see ``colorlib._compat``), so that torchvision and lpips import on a CPU-only
torch whenever they are first imported. Settings torch reads once at start (the passive OpenMP wait policy) are
made by the commands (``colorlib.commands``), the Makefile and the notebook runner; see the README for Jupyter.
"""
from colorlib import _compat

__version__ = "0.1.0"  # the one version: pyproject.toml reads it at build time, `colorlib --version` from metadata

_compat.install()


def __getattr__(name: str):
    if name == "TORCHVISION_STATUS":  # "native", "patched" or "unavailable: ..." (imports torchvision)
        return _compat.ensure_torchvision()
    raise AttributeError(f"module 'colorlib' has no attribute {name!r}")

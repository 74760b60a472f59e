"""colorlib: style-guided colourisation (a UNet whose AdaIN layers take their scale and shift from a style
encoder), with the data, colour spaces, losses, training engine, metrics and plots of the study.

Importing colorlib first runs the torchvision compatibility step (see ``colorlib._compat``), so that
torchvision and lpips import on a CPU-only torch.
"""
import os

# OpenMP threads that spin while waiting make torch 5-10x slower whenever another process shares the CPU
# (measured on a 2-core machine: 2857 ms vs 312 ms per training step). Passive waiting costs little when the
# CPU is idle. Only effective if torch has not been imported yet; kernels started by colorlib.report inherit it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# LPIPS trunk weights: `make` seeds <checkout>/.cache/torch from ../shared/weights on machines without a network
# and exports TORCH_HOME for its commands. Use the same folder when colorlib is run outside make (Jupyter, the
# command line) and TORCH_HOME is unset: the run cache's keys name the LPIPS trunk, so a different trunk (or
# none) would not find the report's trained models.
_SEEDED_TORCH_HOME = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".cache", "torch")
if "TORCH_HOME" not in os.environ and os.path.isdir(os.path.join(_SEEDED_TORCH_HOME, "hub", "checkpoints")):
    os.environ["TORCH_HOME"] = _SEEDED_TORCH_HOME

from colorlib._compat import ensure_torchvision as _ensure_torchvision  # noqa: E402

__version__ = "0.1.0"
TORCHVISION_STATUS = _ensure_torchvision()

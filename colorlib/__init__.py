"""colorlib: style-guided colourisation (a UNet whose AdaIN layers take their scale and shift from a style
encoder), with the data, colour spaces, losses, training engine, metrics and plots of the study.

Importing colorlib first runs the torchvision compatibility step (see ``colorlib._compat``), so that
torchvision and lpips import on a CPU-only torch.
"""
from colorlib._compat import ensure_torchvision as _ensure_torchvision

__version__ = "0.1.0"
TORCHVISION_STATUS = _ensure_torchvision()

"""Compatibility step that lets a CPU-only torch import PyPI's CUDA-built torchvision.

PyPI has a single torchvision 0.28.0 wheel, built against CUDA. Beside a CPU torch 2.13.0 its compiled
extension fails to load, and `import torchvision` (hence `import lpips`) dies with
``RuntimeError: operator torchvision::nms does not exist`` while registering fake kernels for ``nms``.
Defining the two operator schemas first lets the pure-Python parts import (transforms, models, utils);
``torchvision.io`` decoders and ``ops.nms`` stay unavailable, so colorlib decodes images with PIL.

`ensure_torchvision()` acts only when the first import fails with exactly that error; on a normal
install it imports torchvision and does nothing else. colorlib calls it from ``colorlib/__init__.py``,
before anything imports torchvision or lpips.
"""
from __future__ import annotations

import sys

_SCHEMAS = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_library = None  # keeps the schema definitions alive once made
status = "not checked"  # "native", "patched" or "unavailable: ..." after ensure_torchvision()


def _is_missing_op_error(err: BaseException) -> bool:
    return isinstance(err, RuntimeError) and "torchvision::" in str(err) and "does not exist" in str(err)


def ensure_torchvision() -> str:
    """Import torchvision, defining its missing operator schemas only if the compiled extension failed.

    Returns the resulting status: ``"native"`` (nothing done), ``"patched"`` or ``"unavailable: <why>"``.
    """
    global _library, status
    if status in ("native", "patched"):
        return status
    try:
        import torchvision  # noqa: F401
        status = "native"
        return status
    except ImportError as err:
        status = f"unavailable: {err}"
        return status
    except RuntimeError as err:
        if not _is_missing_op_error(err):
            raise
    # The failed import left half-initialised modules behind; drop them before retrying.
    for name in [m for m in sys.modules if m == "torchvision" or m.startswith("torchvision.")]:
        del sys.modules[name]
    import torch

    _library = torch.library.Library("torchvision", "DEF")
    for schema in _SCHEMAS:
        _library.define(schema)
    import torchvision  # noqa: F401,F811

    status = "patched"
    return status

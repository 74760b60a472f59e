"""Compatibility step that lets a CPU-only torch import PyPI's CUDA-built torchvision.

PyPI has a single torchvision 0.28.0 wheel, built against CUDA. Beside a CPU torch 2.13.0 its compiled
extension fails to load, and `import torchvision` (hence `import lpips`) dies with
``RuntimeError: operator torchvision::nms does not exist`` while registering fake kernels for ``nms``.
Defining the two operator schemas first lets the pure-Python parts import (transforms, models, utils);
``torchvision.io`` decoders and ``ops.nms`` stay unavailable, so colorlib decodes images with PIL.

`ensure_torchvision()` acts only when the first import fails with exactly that error; on a normal
install it imports torchvision and does nothing else. Importing colorlib installs an import hook
(``install()``) that calls it when torchvision is first imported, by colorlib, lpips or the caller, so that
importing colorlib itself loads no torch.
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


class _Existing:
    """Loader for a module ``ensure_torchvision`` has already imported: hands it over, runs nothing twice."""

    def __init__(self, module):
        self.module, self.spec = module, module.__spec__

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        module.__spec__ = self.spec  # the import system set it to our stand-in spec; restore the real one


class TorchvisionHook:
    """Import hook that runs ``ensure_torchvision()`` when torchvision is first imported (directly or by lpips).

    Importing colorlib installs it instead of importing torch itself, so that importing colorlib is cheap and the
    process can still set what torch reads once at load time (OMP_WAIT_POLICY) before torch starts.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "torchvision":
            return None
        uninstall()  # ensure_torchvision imports torchvision itself
        ensure_torchvision()
        module = sys.modules.get("torchvision")
        if module is None:  # not installed: let the normal machinery raise ModuleNotFoundError
            return None
        import importlib.util

        return importlib.util.spec_from_loader(name, _Existing(module))


def install() -> None:
    """Put the hook first on ``sys.meta_path`` (once), unless torchvision is already imported or checked."""
    if status == "not checked" and "torchvision" not in sys.modules and \
            not any(isinstance(f, TorchvisionHook) for f in sys.meta_path):
        sys.meta_path.insert(0, TorchvisionHook())


def uninstall() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, TorchvisionHook)]

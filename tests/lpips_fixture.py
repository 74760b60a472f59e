"""Pytest fixture giving LPIPS tests a torch.hub cache that holds a trunk checkpoint, whatever the caller set.

``lpips_torch_home`` (session scope) points ``TORCH_HOME`` at a temporary folder seeded with the ``*.pth`` files
of ``<repo>/../shared/weights`` (the offline SqueezeNet trunk; see that folder's README). Without that folder it
keeps the caller's TORCH_HOME if its hub cache already holds the SqueezeNet checkpoint (e.g. a machine with a
network that downloaded the official file), and otherwise skips the test with the reason. The weights are
copied, never committed. Import it into a test module: ``from lpips_fixture import lpips_torch_home``.
"""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_WEIGHTS = REPO.parent / "shared" / "weights"


@pytest.fixture(scope="session")
def lpips_torch_home(tmp_path_factory):
    """Path of a TORCH_HOME whose hub/checkpoints holds the SqueezeNet trunk; TORCH_HOME is set to it."""
    from colorlib import losses

    weights = sorted(SHARED_WEIGHTS.glob("*.pth")) if SHARED_WEIGHTS.is_dir() else []
    if not weights:
        if losses.checkpoint_path("squeeze").exists():
            yield losses.checkpoint_path("squeeze").parents[2]  # <TORCH_HOME>/hub/checkpoints/<file>
            return
        pytest.skip(f"no LPIPS trunk weights: {SHARED_WEIGHTS} is missing and "
                    f"{losses.checkpoint_path('squeeze')} does not exist (needs a network or the shared weights)")
    home = tmp_path_factory.mktemp("torch_home")
    checkpoints = home / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    for path in weights:
        shutil.copyfile(path, checkpoints / path.name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TORCH_HOME", str(home))
        # Only the shared trunk is offered; never start a download of another one from a test.
        mp.setenv("COLORLIB_OFFLINE", "1")
        yield home


OFFICIAL_SQUEEZE_SHA256_PREFIX = "b8a52dc0"  # torchvision's squeezenet1_1-b8a52dc0.pth


@pytest.fixture(scope="session")
def squeeze_label(lpips_torch_home) -> str:
    """The label LPIPS numbers from this session's SqueezeNet trunk must carry, worked out independently of
    colorlib: "(unverified trunk)" unless the file is torchvision's official one (the shared copy is not)."""
    path = lpips_torch_home / "hub" / "checkpoints" / "squeezenet1_1-b8a52dc0.pth"
    official = hashlib.sha256(path.read_bytes()).hexdigest().startswith(OFFICIAL_SQUEEZE_SHA256_PREFIX)
    return "LPIPS-squeeze" if official else "LPIPS-squeeze (unverified trunk)"

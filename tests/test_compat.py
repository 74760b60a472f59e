"""The torchvision compatibility step acts only when the compiled extension fails, and is a no-op otherwise."""
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

NMS_ERROR = "operator torchvision::nms does not exist"


def run_python(code, pythonpath=None):
    env = None
    if pythonpath is not None:
        import os

        env = dict(os.environ, PYTHONPATH=str(pythonpath))
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, env=env)


def test_status_matches_what_the_raw_import_does():
    raw = run_python("import torchvision")
    result = run_python(
        """
        import colorlib, torchvision, lpips
        from torchvision.transforms import v2
        print(colorlib.TORCHVISION_STATUS)
        """
    )
    assert result.returncode == 0, result.stderr
    status = result.stdout.split()[-1]
    if raw.returncode == 0:
        assert status == "native"
    else:
        assert NMS_ERROR in raw.stderr
        assert status == "patched"


def _fake_torchvision(tmp_path, body):
    pkg = tmp_path / "torchvision"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent(body))
    return tmp_path


def test_normal_install_is_left_alone(tmp_path):
    path = _fake_torchvision(tmp_path, "FAKE = True\n")
    result = run_python(
        """
        from colorlib import _compat
        import torchvision
        assert torchvision.FAKE
        print(_compat.status, _compat._library is None)
        """,
        pythonpath=path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["native", "True"]


def test_missing_operator_is_defined_then_import_retried(tmp_path):
    # A stand-in for the broken wheel: its import fails until the nms schema exists.
    path = _fake_torchvision(
        tmp_path,
        f"""
        import torch
        try:
            torch.ops.torchvision.nms.default
        except (AttributeError, RuntimeError):
            raise RuntimeError("{NMS_ERROR}")
        FAKE = True
        """,
    )
    result = run_python(
        """
        from colorlib import _compat
        import torchvision
        print(_compat.status, torchvision.FAKE)
        """,
        pythonpath=path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["patched", "True"]


def test_other_runtime_errors_are_not_swallowed(tmp_path):
    path = _fake_torchvision(tmp_path, 'raise RuntimeError("something else entirely")\n')
    result = run_python("import colorlib, torchvision", pythonpath=path)
    assert result.returncode != 0
    assert "something else entirely" in result.stderr


def test_import_changes_no_environment_variable_and_loads_no_torch():
    code = ("import os, sys; before = dict(os.environ); import colorlib, colorlib.paths; "
            "print(dict(os.environ) == before, 'torch' in sys.modules)")
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("TORCH_HOME", "OMP_WAIT_POLICY")}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "False"]


def test_lpips_uses_the_checkouts_seeded_torch_home(tmp_path):
    """Outside make (Jupyter, the command line) the LPIPS loader finds the weights make seeded, so run-cache keys
    (which name the LPIPS trunk) match the report's; an explicit TORCH_HOME is left alone; TORCH_HOME itself
    is never set."""
    import os

    from colorlib import paths

    seeded = paths.seeded_torch_home()
    code = "import os, colorlib.losses as L; print(L.hub_dir(), os.environ.get('TORCH_HOME'))"
    env = {k: v for k, v in os.environ.items() if k != "TORCH_HOME"}

    def hub(env):
        return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                              check=True).stdout.split()[-2:]

    default = str(seeded / "hub") if seeded else str(Path.home() / ".cache" / "torch" / "hub")
    assert hub(env) == [default, "None"] or seeded is None
    assert hub({**env, "TORCH_HOME": str(tmp_path)}) == [str(tmp_path / "hub"), str(tmp_path)]

"""benchmarks/gpu_check.py refuses clearly where there is no CUDA GPU (exit status 2, nothing written)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_check_refuses_without_a_gpu(tmp_path):
    out = ROOT / "benchmarks" / "gpu_check.json"
    before = out.read_bytes() if out.exists() else None
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="", COLORLIB_CACHE=str(tmp_path))  # no GPU, even on a GPU machine
    result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no CUDA GPU here" in result.stderr and "nothing was run" in result.stderr
    assert (out.read_bytes() if out.exists() else None) == before

"""Test-session set-up shared by tests/ and notebook runs under nbval (``pytest --nbval-lax notebooks``).

- Notebooks run under the smoke profile, and everything a test writes into figures/ or report/ goes to a
  temporary folder: the committed figures come from the report profile and must never be overwritten by tests.
- A full run (no -k/-m selection, no explicit paths) records its duration in report/timings.json so the
  README can quote a measured number, and with it what a test handed to ``record_timing`` (the miniature paper
  run's times, tests/test_paper_mini.py).
"""
import json
import os
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
_tmp = tempfile.mkdtemp(prefix="colorlib-tests-")
os.environ["COLORLIB_PROFILE"] = "smoke"
os.environ["COLORLIB_FIGURES"] = os.path.join(_tmp, "figures")
os.environ["COLORLIB_REPORT"] = os.path.join(_tmp, "report")
_started = time.time()
_RECORDED = pytest.StashKey[dict]()


@pytest.fixture
def record_timing(request):
    """``record_timing(name, record)``: add ``record`` to report/timings.json under ``name`` after a full run."""
    def record(name: str, value: dict) -> None:
        request.config.stash.setdefault(_RECORDED, {})[name] = value
    return record


def pytest_sessionfinish(session, exitstatus):
    opts = session.config.option
    full_run = not opts.keyword and not opts.markexpr and not session.config.args_source.name == "ARGS"
    if not full_run or exitstatus != 0 or os.environ.get("COLORLIB_NO_TIMING"):
        return
    path = ROOT / "report" / "timings.json"
    path.parent.mkdir(exist_ok=True)
    timings = json.loads(path.read_text()) if path.exists() else {}
    from colorlib import files, report

    timings["tests"] = {"seconds": round(time.time() - _started, 1), "collected": session.testscollected,
                        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": report.machine(),
                        "load_average": round(os.getloadavg()[0], 2)}  # other jobs on the CPU inflate the time
    timings.update(session.config.stash.get(_RECORDED, {}))
    files.write_json(path, timings, indent=2, sort_keys=True)

"""A miniature paper run: ``python -m colorlib.report --profile paper`` over every notebook, on CPU, on stand-ins
of imagenet-1k and huggan/wikiart streamed through ``COLORLIB_HUB_MIRROR`` (the hub code path: streaming, the
hubs' columns and ClassLabels, capped reads spread over shards), at the paper's 128 px, model widths, batch-norm,
LPIPS request ("alex", with its fallback where the trunk is absent), loader workers and channels_last.

Only sizes are overridden (``MINI``): images per split and paintings, epochs, seeds (one), and the batch (8:
with 16 training photos the paper's 64 would be no step at all, batches being full-sized). ``compile`` is off
because compiling every run on a CPU takes longer than the whole miniature; its fallback is tested in
tests/test_train.py and the GPU path in benchmarks/gpu_check.py. Every notebook must write its figures, its
results JSON and its verdicts, marked in claims.md as the paper profile with these sizes.

``make test`` runs every notebook of it (a few minutes on 2 cores: the whole run and each notebook's time are
recorded in report/timings.json under ``paper_mini`` after a full test session, and the README quotes them);
``COLORLIB_PAPER_MINI=quick`` runs notebooks 01 and 02 only (the hub path end to end: streaming, ClassLabel
titles, the 128 px decode, one training run and its evaluation).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from colorlib import hub, profiles, standins
from colorlib.claims import CLAIMS
from colorlib.report import notebooks

ROOT = Path(__file__).resolve().parents[1]
MINI = {"limit": 16, "val_limit": 4, "n_eval": 4, "style_limit": 6, "epochs": 1, "batch_size": 8, "seeds": [0],
        "compile": False}
PHOTOS = {"train": 16, "val": 4, "test": 4}
QUICK = ("01", "02")  # COLORLIB_PAPER_MINI=quick; make test runs every notebook
WHICH = QUICK if os.environ.get("COLORLIB_PAPER_MINI") == "quick" else None


def _set_args() -> list[str]:
    return [a for k, v in MINI.items() for a in ("--set", f"{k}={json.dumps(v)}")]


def test_mini_overrides_change_only_sizes():
    """What MINI changes in the paper profile: sizes, the seeds and compile; never a source, the resolution,
    the model or the losses."""
    paper = profiles.resolve("paper")
    assert set(MINI) <= {"limit", "val_limit", "n_eval", "style_limit", "epochs", "batch_size", "seeds", "compile"}
    assert (paper.source, paper.style_source, paper.size, paper.eval_size) == \
        ("imagenet-1k", "huggan/wikiart", 128, 128)


@pytest.mark.slow
@pytest.mark.timeout(1800)  # every notebook: a few minutes alone, longer when other jobs share the 2 cores
def test_paper_profile_runs_every_notebook_on_stand_ins(tmp_path, monkeypatch, record_timing):
    mirror = standins.write(tmp_path / "mirror", photos=PHOTOS, paintings=MINI["style_limit"], max_side=256)
    env = dict(os.environ, COLORLIB_FIGURES=str(tmp_path / "figures"), COLORLIB_REPORT=str(tmp_path / "report"),
               COLORLIB_CACHE=str(tmp_path / "cache"), **{hub.MIRROR_ENV: str(mirror)},
               HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")  # offline: any hub access would be a bug
    env.pop(profiles.OVERRIDES_ENV, None)
    t0 = time.perf_counter()
    only = [a for nb in WHICH or () for a in ("--only", nb)]
    # two notebooks at a time, as a warm report runs them (trainings still one at a time): the miniature's
    # notebooks spend most of their time starting kernels and evaluating, which overlaps on 2 cores
    result = subprocess.run([sys.executable, "-m", "colorlib.report", "--profile", "paper", *_set_args(), *only,
                             "--jobs", "2"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)
    seconds = time.perf_counter() - t0
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"miniature paper run: {seconds:.0f} s")  # shown with -s
    report = tmp_path / "report"
    if WHICH is None:  # a complete run records its times (colorlib.report) for the README
        record = json.loads((report / "timings.json").read_text())["paper"]["cold"]
        record_timing("paper_mini", {**record, "wall": round(seconds, 1), "overrides": MINI})
    manifest = json.loads((tmp_path / "figures" / "manifest.json").read_text())
    for path in notebooks(list(WHICH) if WHICH else None):
        nb = path.name[:2]
        saved = json.loads((report / "results" / f"{nb}.json").read_text())
        assert saved["profile"] == "paper" and saved["overrides"] == MINI, nb
        if nb != "12":  # the picker notebook measures latency and writes no figure
            assert any(entry["notebook"] == path.name for entry in manifest.values()), f"{nb} wrote no figure"
    claims = (report / "claims.md").read_text()
    for cid, (nb, _) in CLAIMS.items():
        if WHICH and nb not in WHICH:
            continue
        row = claims.split(f"| {cid}:")[1].split("\n")[0]
        assert "paper with " in row and "not measured" not in row, row

"""Report-wide overrides (``--set`` / ``COLORLIB_OVERRIDES``) and the paper profile's ``--dry-run`` plan
(``colorlib.plan``): offline, it starts nothing and says what the run would stream, train and need."""
from __future__ import annotations

import json

import pytest

from colorlib import config, hub, plan, profiles, report, results


def test_set_values_are_yaml_and_names_are_checked():
    assert config.parse_set(["limit=8", "seeds=[0, 1]", "compile=false"]) == \
        {"limit": 8, "seeds": [0, 1], "compile": False}
    with pytest.raises(ValueError, match="KEY=VALUE"):
        config.parse_set(["limit"])
    with pytest.raises(ValueError, match="unknown parameter.*limt"):
        profiles.check_overrides("paper", {"limt": 8})


def test_env_overrides_reach_every_notebook_and_its_results(monkeypatch, tmp_path):
    monkeypatch.setenv(profiles.OVERRIDES_ENV, json.dumps({"limit": 16, "full_epochs": 1}))
    monkeypatch.setenv("COLORLIB_REPORT", str(tmp_path))
    P = profiles.resolve("paper", "05")
    assert (P.limit, P.full_epochs, P.size) == (16, 1, 128)
    assert not hasattr(profiles.resolve("paper", "02"), "full_epochs")  # only where the notebook has it
    results.save("02", {"profile": "paper"})
    assert results.load("02")["overrides"] == {"limit": 16, "full_epochs": 1}


def test_report_profile_untouched_without_overrides(monkeypatch):
    monkeypatch.delenv(profiles.OVERRIDES_ENV, raising=False)
    assert profiles.resolve("report", "03").overrides == {}


def test_paper_dry_run_offline_starts_nothing(monkeypatch, tmp_path, capsys, offline_hub):
    monkeypatch.delenv(hub.MIRROR_ENV, raising=False)
    monkeypatch.delenv(profiles.OVERRIDES_ENV, raising=False)
    monkeypatch.setenv("COLORLIB_REPORT", str(tmp_path / "report"))
    monkeypatch.setenv("COLORLIB_FIGURES", str(tmp_path / "figures"))
    monkeypatch.setattr(plan, "GPU_CHECK", tmp_path / "gpu_check.json")  # as before any GPU run
    assert report.main(["--profile", "paper", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "nothing is started" in out and "imagenet-1k: streamed from huggingface.co" in out and "gated" in out
    assert "train photos 50000, validation photos 5000, held-out photos 500, paintings 1000" in out
    assert "79 runs (seeds 0, 1, 2)" in out and "GPU time and memory: not measured" in out
    assert not (tmp_path / "report").exists() and not (tmp_path / "figures").exists()


def test_dry_run_reads_a_gpu_check_and_a_mirror(monkeypatch, tmp_path):
    (tmp_path / "imagenet-1k").mkdir()
    monkeypatch.setenv(hub.MIRROR_ENV, str(tmp_path))
    check = {"device": "Test GPU", "images_per_second": 1000.0, "batch_size": 64, "precision": "bf16",
             "peak_memory_gib": 3.5}
    (tmp_path / "gpu_check.json").write_text(json.dumps(check))
    monkeypatch.setattr(plan, "GPU_CHECK", tmp_path / "gpu_check.json")
    text = plan.describe("paper", report.notebooks(["03"]))
    assert f"local copy {tmp_path / 'imagenet-1k'}" in text and "peak memory 3.5 GiB" in text
    work = plan.training("paper", ["03"])
    assert work["runs"] == 3 and f"{work['images'] / 1000 / 3600:.1f} h" in text


def test_report_dry_run_counts_the_local_photos_of_limit_none(monkeypatch):
    """The report profile trains on all embedded photos (limit None): the plan counts them from the data
    (it used to fail dividing None by the batch size)."""
    from colorlib import data

    monkeypatch.delenv(profiles.OVERRIDES_ENV, raising=False)
    P = profiles.resolve("report")
    assert P.limit is None
    n_train = len(data.load_dataset(P.source, "photos", "train"))
    assert plan.train_photos(P) == n_train
    needs = plan.data_needs(P)["counts"]
    assert needs["validation photos"] == len(data.load_dataset(P.source, "photos", "val"))
    assert needs["paintings"] == len(data.load_dataset(P.style_source, "paintings", "style"))
    work = plan.training("report", ["02"])  # three seeds of the UNet at the profile's epochs
    assert work["runs"] == len(P.seeds)
    assert work["steps"] == len(P.seeds) * (n_train // P.batch_size) * P.epochs
    # 08 trains on two subsets of chroma_fraction of the photos each, as experiments.chroma_split makes them
    P08 = profiles.resolve("report", "08")
    assert plan.runs_of("report", "08")[0][2] == int(n_train * P08.chroma_fraction)


def test_plan_counts_what_the_notebooks_train():
    """04 trains its illustrative combined_grad once (first seed); 13 trains both improved models once per seed
    (the UNet, final and LAB runs it measures are the ones 02, 03 and 06 trained). The README's paper plan is the
    plan's own text."""
    from colorlib import readme

    seeds = len(profiles.resolve("paper").seeds)
    assert plan.training("paper", ["04"])["runs"] == 2 * seeds + 1
    assert plan.training("paper", ["02", "03", "06", "13"])["runs"] == \
        plan.training("paper", ["02", "03", "06"])["runs"] + 2 * seeds
    work = plan.training("paper", [p.name[:2] for p in report.notebooks()])
    assert f"{work['runs']} distinct training runs" in readme.block_paper_plan()


def test_the_dry_run_plans_the_seeds_given_and_refuses_bad_ones(capsys, monkeypatch):
    monkeypatch.delenv(profiles.OVERRIDES_ENV, raising=False)
    assert report.main(["--profile", "smoke", "--only", "02", "--seeds", "1", "4", "--dry-run"]) == 0
    assert "training: 2 runs (seeds 1, 4)" in capsys.readouterr().out
    for bad in (["--seeds", "0", "0"], ["--seeds", "-1"], ["--stability", "3", "3", "--compare-only"]):
        assert report.main(["--profile", "smoke", "--only", "02", *bad, "--dry-run"]) == 2
        assert capsys.readouterr().err.startswith("error: seeds must be distinct integers >= 0")


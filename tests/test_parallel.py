"""Runs trained side by side (colorlib.parallel): the same weights and run folders as one after another on the
same thread count, only where that holds, and a worker's failure reported with its run."""
from __future__ import annotations

import dataclasses

import pytest
import torch
from safetensors.torch import load_file

import colorlib  # noqa: F401  (torchvision shim first)
from colorlib import experiments, parallel, profiles, runs
from colorlib.config import ConfigError, TrainConfig

TINY = {"widths": [4, 8, 8, 8, 8], "latent_dim": 8, "dropout": 0.0}


@pytest.fixture(scope="module")
def smoke():
    return profiles.resolve("smoke", "03", seeds=(0, 1), threads=1)


def _weights(run) -> dict:
    return {k: v for k, v in load_file(str(run.dir / "last.safetensors")).items() if k.startswith("model.")}


def test_the_report_trains_on_a_fixed_thread_count_that_enters_the_run_key():
    P = profiles.resolve("report", "03")
    assert P.threads == 1 and experiments.config("final", P).threads == 1
    one, default = TrainConfig(threads=1), TrainConfig()
    assert one.key_dict()["threads"] == 1 and "threads" not in default.key_dict()  # old runs keep their keys
    with pytest.raises(ConfigError, match="threads"):
        TrainConfig(threads=0)


@pytest.mark.slow
def test_side_by_side_trains_what_one_after_another_would(smoke, tmp_path, monkeypatch):
    cfgs = [experiments.config("final", experiments.with_seed(smoke, s), epochs=2, model=TINY) for s in smoke.seeds]
    monkeypatch.setenv(parallel.PARALLEL_ENV, "1")
    assert parallel.side_by_side(cfgs) == 1
    alone = parallel.train_all(cfgs, progress=False, cache_dir=tmp_path / "alone")
    monkeypatch.setenv(parallel.PARALLEL_ENV, "2")
    if parallel._cores() >= 2:
        assert parallel.side_by_side(cfgs) == 2
    both = parallel.train_all(cfgs, progress=False, cache_dir=tmp_path / "both")
    assert [r.dir.name for r in alone] == [r.dir.name for r in both]
    assert len({r.dir.name for r in both}) == 2
    for a, b in zip(alone, both):
        wa, wb = _weights(a), _weights(b)
        assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    again = parallel.train_all(cfgs, progress=False, cache_dir=tmp_path / "both")  # the cache serves both
    assert all(r.cached for r in again)


def test_only_runs_with_a_fixed_thread_count_train_side_by_side(monkeypatch):
    one = TrainConfig(threads=1, device="cpu")
    monkeypatch.delenv(parallel.PARALLEL_ENV, raising=False)
    monkeypatch.delenv(runs.ONE_TRAINING_ENV, raising=False)
    monkeypatch.setattr(parallel, "_cores", lambda: 2)
    assert parallel.side_by_side([one] * 3) == 3  # one thread each: one more run than cores
    assert parallel.side_by_side([one] * 5) == 3
    assert parallel.side_by_side([one]) == 1
    assert parallel.side_by_side([TrainConfig(device="cpu")] * 3) == 1  # torch's default threads: would change them
    assert parallel.side_by_side([dataclasses.replace(one, threads=2)] * 3) == 1  # 2 x 2 threads on 2 cores: no
    assert parallel.side_by_side([one, dataclasses.replace(one, threads=2)]) == 1
    monkeypatch.setenv(runs.ONE_TRAINING_ENV, "1")  # colorlib.report --jobs: notebooks share the cores already
    assert parallel.side_by_side([one] * 3) == 1
    monkeypatch.delenv(runs.ONE_TRAINING_ENV)
    monkeypatch.setenv(parallel.PARALLEL_ENV, "two")
    with pytest.raises(ValueError, match="COLORLIB_PARALLEL_RUNS='two'"):
        parallel.side_by_side([one] * 3)


@pytest.mark.slow
def test_a_failing_worker_names_its_run_and_shows_its_log(smoke, tmp_path, monkeypatch):
    cfgs = [experiments.config("final", experiments.with_seed(smoke, s), epochs=1, model=TINY) for s in smoke.seeds]
    folders = [runs.run_dir(c, runs.load_data(c, progress=False), tmp_path)[0] for c in cfgs]
    jobs = [parallel._job(c, False, None, None, tmp_path) for c in cfgs]
    jobs[1]["config"]["epochs"] = 0  # invalid in the worker only
    with pytest.raises(RuntimeError, match=r"(?s)training run .*failed in its worker process.*epochs"):
        parallel._train_side_by_side(jobs, folders, 2, progress=False)


def test_a_subset_of_the_training_photos_goes_to_a_worker_by_name():
    from types import SimpleNamespace as Rec

    own = runs.TrainData([Rec(name=n) for n in "abcd"], [Rec(name="v")], [Rec(name="s")])
    cfg = TrainConfig(threads=1)
    job = parallel._job(cfg, False, runs.TrainData([own.train[2], own.train[0]], [Rec(name="v")], [Rec(name="s")]),
                        own, None)
    assert job["train_names"] == ["c", "a"] and job["config"]["threads"] == 1
    assert parallel._job(cfg, False, None, own, None)["train_names"] is None  # the config's own photos
    other_val = runs.TrainData(own.train[:2], [Rec(name="w")], own.style)
    assert parallel._job(cfg, False, other_val, own, None) is None  # not a subset of its photos: trained in-process
    assert parallel._job(cfg, False, runs.TrainData([Rec(name="z")], own.val, own.style), own, None) is None

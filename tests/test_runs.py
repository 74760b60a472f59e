"""colorlib.runs: the run key (what enters it and what does not), the run cache (hit, retrain, history files),
and loading a run's checkpoints (mismatches and corrupt files are named)."""
from __future__ import annotations

import json
import time

import pytest
import torch

import colorlib  # noqa: F401  (torchvision shim first)
from colorlib import checkpoint as ck
from colorlib import models, runs
from colorlib import train as T
from colorlib.config import TrainConfig
from _train_worker import TINY, one_thread, param_hash, td, tiny  # noqa: F401  (fixtures)


def test_run_key_ignores_fields_that_do_not_change_the_result():
    base = TrainConfig(mode="implicit")
    same = TrainConfig(mode="implicit", num_workers=4, tag="x", device="cpu", checkpoint_every=7,
                         alpha=0.1, style_source="photos", style_lr=1e-5, compile=True)
    assert runs.run_key(base, []) == runs.run_key(same, [])
    assert runs.run_key(base, []) != runs.run_key(TrainConfig(mode="implicit", lr=2e-3), [])
    assert runs.run_key(base, []) != runs.run_key(base, [{"role": "train", "name": "a", "size": [1, 1], "pixels": "0"}])
    combined = TrainConfig(mode="combined")
    assert runs.run_key(combined, []) != runs.run_key(TrainConfig(mode="combined", alpha=0.5), [])


def test_run_cache_hit_retrain_and_history_files(tmp_path, td):
    cfg = tiny(mode="implicit", epochs=2)
    t0 = time.perf_counter()
    first = T.train(cfg, data=td, cache_dir=tmp_path, progress=False)
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = T.train({**cfg, "num_workers": 0, "tag": "a label"}, data=td, cache_dir=tmp_path, progress=False)
    t_again = time.perf_counter() - t0
    assert again.cached and again.dir == first.dir and t_again < t_first
    assert param_hash(again.model) == param_hash(first.model)
    assert again.history == first.history
    assert first.dir.parent == tmp_path / "runs" and first.dir.name == first.key

    files = {p.name for p in first.dir.iterdir()}
    assert {"last.safetensors", "last.json", "best.safetensors", "best.json", "history.csv", "history.json",
            "done.json", "config.json", "manifest.json"} <= files
    assert not [f for f in files if f.endswith(".tmp")]
    header = (first.dir / "history.csv").read_text().splitlines()[0].split(",")
    assert {"epoch", "train_loss", "val_loss", "latent_mean", "latent_std", "latent_dead_frac"} <= set(header)
    assert json.loads((first.dir / "history.json").read_text()) == first.history
    assert runs.load_run(first.dir).history == first.history

    redo = T.train(cfg, data=td, cache_dir=tmp_path, progress=False, retrain=True)
    assert not redo.cached and param_hash(redo.model) == param_hash(first.model)  # deterministic on CPU
    other = T.train({**cfg, "lr": 1e-3}, data=td, cache_dir=tmp_path, progress=False)
    assert not other.cached and other.dir != first.dir


def test_checkpoint_mismatch_names_the_field(tmp_path, td):
    run = T.train(tiny(), data=td, cache_dir=tmp_path, progress=False)
    wrong = models.build_model({**TINY, "latent_dim": 16})
    with pytest.raises(ck.CheckpointError, match=r"latent_dim: checkpoint 8, model 16"):
        runs.load_weights(wrong, run.dir / "last")
    # Without a config to compare (a plain module), the tensors themselves are checked by name and shape.
    with pytest.raises(ck.CheckpointError, match=r"best.safetensors: checkpoint does not fit the model "
                       r"\(0 mis-shaped, 2 missing, \d+ unexpected\): missing tensor 'bias'.*unexpected tensor"):
        runs.load_weights(torch.nn.Linear(2, 2), run.dir / "best")


def test_corrupt_checkpoint_is_reported_with_its_file(tmp_path, td):
    run = T.train(tiny(epochs=2), data=td, cache_dir=tmp_path, progress=False)
    (run.dir / "done.json").unlink()  # now an unfinished run: train() resumes from last
    (run.dir / "last.safetensors").write_bytes(b"\x00" * 100)
    with pytest.raises(ck.CheckpointError, match=r"last.safetensors"):
        T.train(tiny(epochs=2), data=td, cache_dir=tmp_path, progress=False)
    with pytest.raises(FileNotFoundError, match="unfinished run"):
        runs.load_run(run.dir)
    # retrain starts over and replaces the bad file
    assert not T.train(tiny(epochs=2), data=td, cache_dir=tmp_path, progress=False, retrain=True).cached


def test_run_key_names_the_lpips_trunk(monkeypatch):
    """A run trained without LPIPS (no trunk weights) must not be served as one trained with it, and back."""
    from colorlib import losses

    cfg = TrainConfig(loss={"mse": 1.0, "lpips": 0.1, "lpips_net": "squeeze"})
    manifest = [{"role": "train", "name": "x", "size": [1, 1], "pixels": "0"}]
    monkeypatch.setattr(losses, "lpips_label", lambda net: "LPIPS-squeeze (unverified trunk)")
    with_trunk = runs.run_key(cfg, manifest)
    monkeypatch.setattr(losses, "lpips_label", lambda net: None)
    without = runs.run_key(cfg, manifest)
    assert with_trunk != without
    plain = TrainConfig(loss={"mse": 1.0})
    assert runs.lpips_trunk(plain) is None  # no LPIPS term: the trunk never enters the key


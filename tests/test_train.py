"""Training engine: config validation, every mode, run cache, history, checkpoints, resume after SIGKILL, DDP.

Everything trains on a synthetic in-memory set (``_train_worker.synthetic_data``) with a tiny UNet at 32 px,
except the CLI test, which goes through ``colorlib.data`` with the in-wheel ``samples`` photos.
"""
from __future__ import annotations

import glob
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from safetensors.torch import load_file

import colorlib  # noqa: F401  (torchvision shim first)
from colorlib import checkpoint as ck
from colorlib import models
from colorlib import train as T
from _train_worker import param_hash, synthetic_data

REPO = Path(__file__).resolve().parents[1]
WORKER = str(REPO / "tests" / "_train_worker.py")
TINY = {"widths": [4, 8, 8, 8, 8], "latent_dim": 8, "dropout": 0.0}


def tiny(**kw) -> dict:
    cfg = {"size": 32, "epochs": 1, "batch_size": 4, "lr": 3e-3, "model": dict(TINY), "checkpoint_every": 0}
    cfg.update(kw)
    return cfg


@pytest.fixture(autouse=True)
def one_thread():
    # Two cores shared with other tests: one intra-op thread is both faster and deterministic here.
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def td():
    return synthetic_data(n_train=8, n_val=3, n_style=3)


def _model_tensors(path):
    return {k: v for k, v in load_file(path).items() if k.startswith("model.")}


# ------------------------------------------------------------------------------------------------ config
@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -1.0}, r"lr must be a finite number > 0, got -1.0"),
    ({"mode": "magic"}, r"mode must be one of .*got 'magic'"),
    ({"batch_size": 0}, r"batch_size must be >= 1, got 0"),
    ({"batchsize": 4}, r"unknown TrainConfig field\(s\) \['batchsize'\]"),
    ({"epochs": "3"}, r"epochs must be int, got '3' \(str\)"),
    ({"compile": 1}, r"compile must be bool, got 1"),
    ({"alpha": 1.5}, r"alpha must be in \[0, 1\], got 1.5"),
    ({"loss": {"mse": 1.0, "ssim": 0.5}}, r"loss: unknown term 'ssim'"),
    ({"loss": {"mse": 0.0}}, r"loss: no term has a weight > 0"),
    ({"gan": {"wieght": 0.1}}, r"gan: unknown key\(s\) \['wieght'\]"),
    ({"gan": {"loss": "wgan"}}, r"gan.loss must be one of"),
    ({"device": "tpu"}, r"device must be 'auto'"),
    ({"model": {"latent_dim": 0}}, r"model: latent_dim must be positive"),
    ({"model": {"adain": False}, "mode": "implicit"}, r"mode 'implicit' needs a style encoder"),
    ({"style_lr": -1e-4}, r"style_lr must be a finite number > 0 or None"),
])
def test_config_errors_name_the_field(kwargs, message):
    with pytest.raises(T.ConfigError, match=message):
        T.TrainConfig.from_dict(kwargs)


def test_config_round_trip_yaml_and_shorthands(tmp_path):
    cfg = T.TrainConfig(mode="dual", model={"latent_dim": 16, "widths": "quarter"}, gan={"weight": 0.05},
                        loss={"mse": 1.0, "lpips": 0.1})
    assert isinstance(cfg.model, models.ModelConfig) and isinstance(cfg.gan, T.GanConfig)
    assert T.TrainConfig.from_dict(cfg.to_dict()) == cfg
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg.to_dict()))
    assert T.TrainConfig.from_yaml(path) == cfg
    path.write_text("mode: implicit\nlearning_rate: 0.1\n")
    with pytest.raises(T.ConfigError, match=r"cfg.yaml: unknown TrainConfig field\(s\) \['learning_rate'\]"):
        T.TrainConfig.from_yaml(path)
    # baseline means "no AdaIN"; a data source name as style_source means "paintings from there"
    assert T.TrainConfig(mode="baseline").model.adain is False
    c = T.TrainConfig(mode="paired", style_source="huggan/wikiart")
    assert (c.style_source, c.paintings_source) == ("paintings", "huggan/wikiart")
    assert T.TrainConfig(mode="dual", lr=1e-3).effective_style_lr == pytest.approx(1e-4)


def test_run_key_ignores_fields_that_do_not_change_the_result():
    base = T.TrainConfig(mode="implicit")
    same = T.TrainConfig(mode="implicit", num_workers=4, tag="x", device="cpu", checkpoint_every=7,
                         alpha=0.1, style_source="photos", style_lr=1e-5, compile=True)
    assert T.run_key(base, []) == T.run_key(same, [])
    assert T.run_key(base, []) != T.run_key(T.TrainConfig(mode="implicit", lr=2e-3), [])
    assert T.run_key(base, []) != T.run_key(base, [{"role": "train", "name": "a", "size": [1, 1], "pixels": "0"}])
    combined = T.TrainConfig(mode="combined")
    assert T.run_key(combined, []) != T.run_key(T.TrainConfig(mode="combined", alpha=0.5), [])


# ------------------------------------------------------------------------------------------------ modes
@pytest.mark.parametrize("kw", [
    {"mode": "baseline"},
    {"mode": "implicit"},
    {"mode": "paired", "style_source": "paintings"},
    {"mode": "paired", "style_source": "photos"},
    {"mode": "combined", "style_loss_grad": False},
    {"mode": "combined", "style_loss_grad": True, "alpha": 0.5},
    {"mode": "dual", "style_lr": 1e-4},
    {"mode": "implicit", "gan": {"weight": 0.1, "base": 8}},
    {"mode": "paired", "gan": {"weight": 0.1, "base": 8, "loss": "lsgan", "norm": "instance"}, "channels_last": True},
], ids=lambda kw: "-".join(f"{v}" for v in kw.values() if not isinstance(v, dict)) + ("-gan" if "gan" in kw else ""))
def test_each_mode_trains_with_finite_losses(tmp_path, td, kw):
    run = T.train(tiny(epochs=2, **kw), data=td, cache_dir=tmp_path, progress=False)
    assert not run.cached and not run.model.training
    assert [r["epoch"] for r in run.history] == [1, 2]
    for row in run.history:
        nums = {k: v for k, v in row.items() if isinstance(v, float)}
        assert all(map(lambda v: v == v and abs(v) < 1e6, nums.values())), row
        assert "val_loss" in row and "train_loss" in row
    row = run.history[-1]
    if kw["mode"] in ("combined", "dual"):
        assert "train_style" in row and "val_style" in row
    if "gan" in kw:
        assert {"train_gan_d", "train_gan_g"} <= set(row)
        assert any(k.startswith("disc.") for k in load_file(run.dir / "last.safetensors"))
    if kw["mode"] == "baseline":
        assert run.model.style_encoder is None and "latent_mean" not in row
    else:
        assert {"latent_mean", "latent_std", "latent_dead_frac"} <= set(row)
        assert 0.0 <= row["latent_dead_frac"] <= 1.0


def test_dual_style_optimizer_owns_encoder_and_adain_linears():
    model = models.build_model(TINY)
    owned = {id(p) for p in T.style_parameters(model)}
    names = {n for n, p in model.named_parameters() if id(p) in owned}
    assert names and all(n.startswith("style_encoder.") or ".to_scale." in n or ".to_shift." in n for n in names)
    assert {n for n in names if n.startswith("style_encoder.")} == {
        f"style_encoder.{n}" for n, _ in model.style_encoder.named_parameters()}


def test_data_workers_do_not_change_the_result(tmp_path, td):
    # Augmentation and style picks are seeded per (seed, epoch, index): worker processes see the same samples.
    cfg = tiny(mode="paired", epochs=2)
    inline = T.train(cfg, data=td, cache_dir=tmp_path, progress=False)
    workers = T.train({**cfg, "num_workers": 2}, data=td, cache_dir=tmp_path, progress=False, retrain=True)
    assert workers.dir == inline.dir and param_hash(workers.model) == param_hash(inline.model)


def test_implicit_loss_decreases(tmp_path):
    small = synthetic_data(n_train=4, n_val=0, n_style=0)
    run = T.train(tiny(epochs=16, batch_size=4, lr=1e-2), data=small, cache_dir=tmp_path, progress=False)
    losses = [r["train_loss"] for r in run.history]  # one step per epoch; random crops make it noisy
    assert sum(losses[-4:]) / 4 < 0.8 * sum(losses[:2]) / 2, losses
    assert run.weights == "last"  # no validation images: the final weights


# ------------------------------------------------------------------------------------------------ cache
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
    assert T.load_run(first.dir).history == first.history

    redo = T.train(cfg, data=td, cache_dir=tmp_path, progress=False, retrain=True)
    assert not redo.cached and param_hash(redo.model) == param_hash(first.model)  # deterministic on CPU
    other = T.train({**cfg, "lr": 1e-3}, data=td, cache_dir=tmp_path, progress=False)
    assert not other.cached and other.dir != first.dir


def test_lpips_label_is_logged(tmp_path, td, lpips_torch_home):
    run = T.train(tiny(loss={"mse": 1.0, "lpips": 0.1, "lpips_net": "squeeze"}), data=td, cache_dir=tmp_path,
                  progress=False)
    assert run.lpips_label and run.lpips_label.startswith("LPIPS-squeeze")
    assert run.history[-1]["lpips_label"] == run.lpips_label and "train_lpips" in run.history[-1]
    assert json.loads((run.dir / "done.json").read_text())["lpips_label"] == run.lpips_label


from lpips_fixture import lpips_torch_home  # noqa: E402,F401  (fixture)


# ------------------------------------------------------------------------------------------------ checkpoints
def test_checkpoint_mismatch_names_the_field(tmp_path, td):
    run = T.train(tiny(), data=td, cache_dir=tmp_path, progress=False)
    wrong = models.build_model({**TINY, "latent_dim": 16})
    with pytest.raises(ck.CheckpointError, match=r"latent_dim: checkpoint 8, model 16"):
        T.load_weights(wrong, run.dir / "last")
    # Without a config to compare (a plain module), the tensors themselves are checked by name and shape.
    with pytest.raises(ck.CheckpointError, match=r"best.safetensors: checkpoint does not fit the model "
                       r"\(0 mis-shaped, 2 missing, \d+ unexpected\): missing tensor 'bias'.*unexpected tensor"):
        T.load_weights(torch.nn.Linear(2, 2), run.dir / "best")


def test_corrupt_checkpoint_is_reported_with_its_file(tmp_path, td):
    run = T.train(tiny(epochs=2), data=td, cache_dir=tmp_path, progress=False)
    (run.dir / "done.json").unlink()  # now an unfinished run: train() resumes from last
    (run.dir / "last.safetensors").write_bytes(b"\x00" * 100)
    with pytest.raises(ck.CheckpointError, match=r"last.safetensors"):
        T.train(tiny(epochs=2), data=td, cache_dir=tmp_path, progress=False)
    with pytest.raises(FileNotFoundError, match="unfinished run"):
        T.load_run(run.dir)
    # retrain starts over and replaces the bad file
    assert not T.train(tiny(epochs=2), data=td, cache_dir=tmp_path, progress=False, retrain=True).cached


# ------------------------------------------------------------------------------------------------ subprocesses
def _worker_args(tmp_path, name, config, **extra) -> str:
    args = {"config": config, "cache_dir": str(tmp_path / f"cache_{name}"), "out": str(tmp_path / f"out_{name}"),
            **extra}
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(args))
    return str(path)


def _env():
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}


def test_resume_after_sigkill_equals_uninterrupted_run(tmp_path):
    """8 images, batch 2: 4 steps per epoch, 3 epochs, a checkpoint after every step. The run is SIGKILLed
    once a mid-run checkpoint exists, restarted, and must end bit-identical to an uninterrupted run."""
    cfg = tiny(epochs=3, batch_size=2, checkpoint_every=1, model={**TINY, "dropout": 0.2})
    data = {"n_train": 8, "n_val": 2, "n_style": 0}
    ref = subprocess.Popen([sys.executable, WORKER, _worker_args(tmp_path, "ref", cfg, data=data)], env=_env())
    killed = subprocess.Popen([sys.executable, WORKER, _worker_args(tmp_path, "a", cfg, data=data, delay=0.3)],
                              env=_env())
    deadline = time.time() + 90
    state = {}
    while time.time() < deadline and killed.poll() is None:
        found = glob.glob(str(tmp_path / "cache_a" / "runs" / "*" / "last.json"))
        if found:
            try:
                state = json.loads(Path(found[0]).read_text())
            except (OSError, ValueError):
                state = {}
            if state.get("step", 0) >= 5:
                break
        time.sleep(0.05)
    assert killed.poll() is None, "the run finished before it could be killed"
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert killed.returncode == -signal.SIGKILL and 5 <= state["step"] < 12
    run_dir = Path(found[0]).parent
    assert not (run_dir / "done.json").exists()

    resumed = subprocess.run([sys.executable, WORKER, _worker_args(tmp_path, "a", cfg, data=data)], env=_env(),
                             timeout=120)
    assert resumed.returncode == 0 and ref.wait(timeout=120) == 0
    done = json.loads((run_dir / "done.json").read_text())
    assert done["resumed_from_step"] >= 5 and done["steps"] == 12
    ref_dir = Path(glob.glob(str(tmp_path / "cache_ref" / "runs" / "*"))[0])
    assert ref_dir.name == run_dir.name  # same config and data -> same key
    a, b = _model_tensors(run_dir / "last.safetensors"), _model_tensors(ref_dir / "last.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), f"{k}: max diff {(a[k].double() - b[k].double()).abs().max()}"

    def strip(history):
        return [{k: v for k, v in row.items() if k != "time_s"} for row in history]

    assert strip(json.loads((run_dir / "history.json").read_text())) == strip(
        json.loads((ref_dir / "history.json").read_text()))


def test_ddp_two_processes_match_single_process(tmp_path):
    """torchrun, 2 CPU ranks (gloo), global batch 4 (2 per rank), 4 steps. The replicas must hold identical
    parameters; per-step losses (mean over ranks) match a single process with the same global batch within
    5% relative (1e-3 on the first step): BatchNorm uses per-replica batch statistics on CPU."""
    cfg = tiny(epochs=1, batch_size=4)
    data = {"n_train": 16, "n_val": 1, "n_style": 0}  # one validation image: rank 1 validates none
    torchrun = str(Path(sys.executable).parent / "torchrun")
    ddp = subprocess.Popen([torchrun, "--standalone", "--nproc_per_node=2", WORKER,
                            _worker_args(tmp_path, "ddp", cfg, data=data)], env=_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    single = subprocess.run([sys.executable, WORKER, _worker_args(tmp_path, "one", cfg, data=data)], env=_env(),
                            timeout=120)
    out, _ = ddp.communicate(timeout=120)
    assert ddp.returncode == 0, out[-3000:]
    assert single.returncode == 0
    r0, r1 = (json.loads((tmp_path / "out_ddp" / f"rank{r}.json").read_text()) for r in (0, 1))
    one = json.loads((tmp_path / "out_one" / "rank0.json").read_text())
    assert r0["world"] == r1["world"] == 2 and r0["step"] == r1["step"] == one["step"] == 4
    assert r0["hash"] == r1["hash"]
    for s0, s1, s in zip(r0["steps"], r1["steps"], one["steps"]):
        mean = (s0["loss"] + s1["loss"]) / 2
        tol = 1e-3 if s["step"] == 1 else 5e-2
        assert abs(mean - s["loss"]) <= tol * s["loss"], (s["step"], mean, s["loss"])
    # only rank 0 wrote; the run folder is complete and loads
    run = T.load_run(r0["dir"])
    assert run.summary["world_size"] == 2 and len(run.history) == 1


def test_cli_trains_samples_then_hits_cache(tmp_path, monkeypatch):
    cfg = tiny(source="samples", batch_size=2, epochs=1)
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg))
    env = {**_env(), "COLORLIB_CACHE": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "colorlib.train", "--config", str(path), "--no-progress"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first = json.loads(proc.stdout[proc.stdout.index("{"):])
    assert first["cached"] is False and Path(first["dir"], "done.json").exists()
    monkeypatch.setenv("COLORLIB_CACHE", str(tmp_path / "cache"))
    assert T.main(["--config", str(path), "--no-progress", "--set", "num_workers=0"]) == 0
    path.write_text("mode: implicit\nepochs: -1\n")
    assert T.main(["--config", str(path)]) == 2


def test_run_key_names_the_lpips_trunk(monkeypatch):
    """A run trained without LPIPS (no trunk weights) must not be served as one trained with it, and back."""
    from colorlib import losses, train as tr

    cfg = tr.TrainConfig(loss={"mse": 1.0, "lpips": 0.1, "lpips_net": "squeeze"})
    manifest = [{"role": "train", "name": "x", "size": [1, 1], "pixels": "0"}]
    monkeypatch.setattr(losses, "lpips_label", lambda net: "LPIPS-squeeze (unverified trunk)")
    with_trunk = tr.run_key(cfg, manifest)
    monkeypatch.setattr(losses, "lpips_label", lambda net: None)
    without = tr.run_key(cfg, manifest)
    assert with_trunk != without
    plain = tr.TrainConfig(loss={"mse": 1.0})
    assert tr.lpips_trunk(plain) is None  # no LPIPS term: the trunk never enters the key

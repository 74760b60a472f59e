"""The training loop (colorlib.train): every mode, the dual optimiser's parameters, data workers, resume after
SIGKILL, DDP, the command line.

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
from colorlib import models, runs
from colorlib import train as T
from _train_worker import TINY, one_thread, param_hash, synthetic_data, td, tiny  # noqa: F401  (fixtures)

REPO = Path(__file__).resolve().parents[1]
WORKER = str(REPO / "tests" / "_train_worker.py")


def _model_tensors(path):
    return {k: v for k, v in load_file(path).items() if k.startswith("model.")}


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


def test_lpips_label_is_logged(tmp_path, td, lpips_torch_home):
    run = T.train(tiny(loss={"mse": 1.0, "lpips": 0.1, "lpips_net": "squeeze"}), data=td, cache_dir=tmp_path,
                  progress=False)
    assert run.lpips_label and run.lpips_label.startswith("LPIPS-squeeze")
    assert run.history[-1]["lpips_label"] == run.lpips_label and "train_lpips" in run.history[-1]
    assert json.loads((run.dir / "done.json").read_text())["lpips_label"] == run.lpips_label


from lpips_fixture import lpips_torch_home  # noqa: E402,F401  (fixture)


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
    run = runs.load_run(r0["dir"])
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

def test_mixed_precision_switch(tmp_path, td):
    """bf16 trains under autocast with finite losses and a run key of its own; fp32 keeps the keys runs had before
    the switch existed (tests/test_pins.py); fp16 needs CUDA."""
    import warnings

    from colorlib.config import TrainConfig

    assert "precision" not in TrainConfig(precision="fp32").key_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no native bf16 on some CPUs: slower, still correct
        run = T.train(tiny(precision="bf16", epochs=1), data=td, cache_dir=tmp_path, progress=False)
    assert run.config.precision == "bf16" and all(v == v for v in run.history[0].values() if isinstance(v, float))
    fp32 = T.train(tiny(epochs=1), data=td, cache_dir=tmp_path, progress=False)
    assert fp32.key != run.key
    if not torch.cuda.is_available():
        with pytest.raises(T.ConfigError, match="precision 'fp16' needs CUDA"):
            T.train(tiny(precision="fp16"), data=td, cache_dir=tmp_path, progress=False)
    with pytest.raises(T.ConfigError, match=r"precision must be one of \('fp32', 'bf16', 'fp16'\), got 'fp8'"):
        T.train(tiny(precision="fp8"), data=td, cache_dir=tmp_path, progress=False)


def test_compile_failure_falls_back_to_the_eager_run(tmp_path, td, monkeypatch):
    """A torch.compile that fails (here: a backend that raises, as a missing C compiler does) warns and trains the
    run eagerly: the same weights as compile=False, the step redone with the same seed; a GAN run's discriminator
    step (made before the failing backward) is undone too."""
    def broken_backend(graph_module, example_inputs):
        raise RuntimeError("no C compiler here (test backend)")

    monkeypatch.setattr(T, "COMPILE_BACKEND", broken_backend)
    for kw in ({"mode": "implicit"}, {"mode": "implicit", "gan": {"weight": 0.1, "base": 8}}):
        eager = T.train(tiny(epochs=2, **kw), data=td, cache_dir=tmp_path / "eager", progress=False)
        with pytest.warns(T.CompileFallbackWarning, match="torch.compile failed .*no C compiler here"):
            fallback = T.train(tiny(epochs=2, compile=True, **kw), data=td, cache_dir=tmp_path / "compiled",
                               progress=False)
        assert fallback.key == eager.key  # compile is not part of the run key
        assert fallback.summary["compiled"] is False and eager.summary["compiled"] is False
        assert param_hash(fallback.model) == param_hash(eager.model)
        assert [r["train_loss"] for r in fallback.history] == [r["train_loss"] for r in eager.history]

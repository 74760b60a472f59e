"""Checkpoint files: round trip of weights, optimiser and RNG state; atomic writes; clear errors."""
from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import colorlib  # noqa: F401  (torchvision shim first)
from colorlib import checkpoint as ck


def _net(width=4):
    return torch.nn.Sequential(torch.nn.Conv2d(1, width, 3), torch.nn.BatchNorm2d(width), torch.nn.Conv2d(width, 2, 1))


def _train_a_bit(net, opt, steps=3):
    for _ in range(steps):
        opt.zero_grad()
        net(torch.randn(2, 1, 8, 8)).square().mean().backward()
        opt.step()


def test_round_trip_weights_optimizer_rng(tmp_path):
    torch.manual_seed(0)
    net = _net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, betas=(0.5, 0.9), weight_decay=1e-4)
    _train_a_bit(net, opt)
    tensors = ck.module_tensors(net, "model.")
    ot, ojs = ck.optimizer_state(opt, "optim.color.")
    rt, rjs = ck.rng_state()
    ck.save_checkpoint(tmp_path / "last", {**tensors, **ot, **rt},
                       {"epoch": 2, "step": 7, "best_val": None, "optim": {"color": ojs}, "rng": rjs,
                        "config": {"model": {"latent_dim": 32}}})
    expected_next = (torch.rand(3), np.random.rand(3), random.random())
    # Both files, no temporaries left behind; the JSON mirror equals the header state.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.json", "last.safetensors"]
    loaded, state = ck.load_checkpoint(tmp_path / "last")
    assert state == json.loads((tmp_path / "last.json").read_text())
    assert state["epoch"] == 2 and state["step"] == 7

    torch.manual_seed(1)
    net2 = _net()
    opt2 = torch.optim.Adam(net2.parameters(), lr=5.0)
    ck.load_module(net2, loaded, "model.", "test")
    ck.load_optimizer_state(opt2, loaded, state["optim"]["color"], "test")
    ck.set_rng_state(loaded, state["rng"])
    assert torch.equal(torch.rand(3), expected_next[0])
    assert np.array_equal(np.random.rand(3), expected_next[1])
    assert random.random() == expected_next[2]
    assert opt2.param_groups[0]["betas"] == (0.5, 0.9) and opt2.param_groups[0]["lr"] == 1e-3
    # Continuing from the restored state gives exactly the same weights as continuing the original.
    torch.manual_seed(5)
    _train_a_bit(net, opt)
    torch.manual_seed(5)
    _train_a_bit(net2, opt2)
    for (k, a), b in zip(net.state_dict().items(), net2.state_dict().values()):
        assert torch.equal(a, b), k


def test_shape_and_name_mismatch_is_named(tmp_path):
    ck.save_checkpoint(tmp_path / "c", ck.module_tensors(_net(4), "model."), {})
    tensors, _ = ck.load_checkpoint(tmp_path / "c")
    with pytest.raises(ck.CheckpointError, match=r"0\.weight: checkpoint shape \(4, 1, 3, 3\), model \(8, 1, 3, 3\)"):
        ck.load_module(_net(8), tensors, "model.", "c")
    other = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3))
    with pytest.raises(ck.CheckpointError, match=r"0 missing, 7 unexpected\): unexpected tensor '1\.bias'"):
        ck.load_module(other, tensors, "model.", "c")
    bigger = torch.nn.Sequential(*_net(4), torch.nn.Conv2d(2, 2, 1))
    with pytest.raises(ck.CheckpointError, match=r"missing tensor '3\.weight'"):
        ck.load_module(bigger, tensors, "model.", "c")


def test_compare_configs_names_field():
    diffs = ck.compare_configs({"model": {"latent_dim": 128, "widths": [1, 2]}},
                               {"model": {"latent_dim": 32, "widths": (1, 2)}})
    assert diffs == ["model.latent_dim: checkpoint 128, model 32"]


@pytest.mark.parametrize("content", [b"", b"garbage that is not a safetensors file at all", b"\xff" * 64])
def test_corrupt_file_names_the_file(tmp_path, content):
    bad = tmp_path / "last.safetensors"
    bad.write_bytes(content)
    with pytest.raises(ck.CheckpointError, match="last.safetensors"):
        ck.load_checkpoint(tmp_path / "last")


def test_truncated_checkpoint(tmp_path):
    ck.save_checkpoint(tmp_path / "c", ck.module_tensors(_net(), "model."), {"epoch": 1})
    data = (tmp_path / "c.safetensors").read_bytes()
    (tmp_path / "c.safetensors").write_bytes(data[: len(data) - 40])
    with pytest.raises(ck.CheckpointError, match="c.safetensors.*corrupt"):
        ck.load_checkpoint(tmp_path / "c")


def test_foreign_safetensors_and_missing_file(tmp_path):
    save_file({"w": torch.zeros(2)}, tmp_path / "other.safetensors")
    with pytest.raises(ck.CheckpointError, match="other.safetensors.*not a colorlib checkpoint"):
        ck.load_checkpoint(tmp_path / "other.safetensors")
    with pytest.raises(ck.CheckpointError, match="nope.safetensors: no such checkpoint"):
        ck.load_checkpoint(tmp_path / "nope")


def test_stale_json_mirror_is_ignored(tmp_path):
    ck.save_checkpoint(tmp_path / "c", {"x": torch.ones(1)}, {"step": 5})
    (tmp_path / "c.json").write_text('{"step": 3}')  # as if killed between the two writes of a later save
    _, state = ck.load_checkpoint(tmp_path / "c")
    assert state["step"] == 5

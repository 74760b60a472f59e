"""Subprocess helper for tests/test_train.py: trains on a synthetic in-memory image set. Also the training tests'
shared helpers: the tiny config (``tiny``), the synthetic data (``synthetic_data``, fixture ``td``), one torch
thread per test (fixture ``one_thread``) and ``param_hash``.

Run as ``python tests/_train_worker.py ARGS.json`` (or under ``torchrun``). ARGS.json holds ``config`` (a
TrainConfig dict), ``cache_dir``, ``out`` (folder for this worker's results), ``delay`` (seconds to sleep
after each step, so a test can kill it mid-run) and ``data`` (kwargs of ``synthetic_data``). Each rank
writes ``out/rank<r>.json``: the hash of its live parameters after the last step and its per-step losses.
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

TINY = {"widths": [4, 8, 8, 8, 8], "latent_dim": 8, "dropout": 0.0}


def tiny(**kw) -> dict:
    """A training config of a tiny UNet at 32 px (1 epoch, batch 4), with ``kw`` on top."""
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


def synthetic_data(n_train: int = 8, n_val: int = 4, n_style: int = 3, size: int = 40, seed: int = 0):
    """Smooth random colour fields (3x3 colours upsampled): learnable colour from structure, decodes nothing."""
    from PIL import Image

    from colorlib import data, runs

    def make(n, split, salt):
        rng = np.random.default_rng([seed, salt])
        out = []
        for i in range(n):
            small = (rng.random((3, 3, 3)) * 255).astype(np.uint8)
            im = Image.fromarray(small).resize((size + 8 * (i % 2), size), Image.BILINEAR)
            out.append(data.ImageRecord(image=im, name=f"{split}{i}", split=split, licence="test",
                                        source_path=f"synthetic/{split}{i}"))
        return out

    return runs.TrainData(make(n_train, "train", 1), make(n_val, "val", 2), make(n_style, "style", 3))


def param_hash(model: torch.nn.Module) -> str:
    """Hash of the parameters (not buffers: BatchNorm running statistics of DDP replicas differ until the
    epoch-end broadcast, by DDP's design)."""
    h = hashlib.sha256()
    for name, t in sorted(model.named_parameters()):
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def main(args_file: str) -> None:
    torch.set_num_threads(1)  # two cores, possibly two ranks: never oversubscribe
    import colorlib  # noqa: F401
    from colorlib import train

    args = json.loads(Path(args_file).read_text())
    out = Path(args["out"])
    out.mkdir(parents=True, exist_ok=True)
    steps: list[dict] = []
    final: dict = {}

    def on_step(info):
        steps.append({"step": info["step"], **info["terms"]})
        final.update(rank=info["rank"], world=info["world"], hash=param_hash(info["model"]), step=info["step"])
        if args.get("delay"):
            time.sleep(args["delay"])

    run = train.train(args["config"], data=synthetic_data(**args.get("data", {})), cache_dir=args["cache_dir"],
                      progress=False, on_step=on_step)
    rank = final.get("rank", 0)
    (out / f"rank{rank}.json").write_text(json.dumps({**final, "steps": steps, "dir": str(run.dir),
                                                      "cached": run.cached}))


if __name__ == "__main__":
    main(sys.argv[1])

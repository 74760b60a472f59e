"""GPU check of the paper profile, offline: the paper configuration ("final" model, 128 px, batch 64, lr 1e-4,
torch.compile, channels_last, loader workers, mixed precision) on stand-in data, for a bounded number of steps,
stopped after its first epoch and resumed once from the checkpoint; prints img/s, peak GPU memory and the loss, and
writes them to benchmarks/gpu_check.json (which ``python -m colorlib.report --profile paper --dry-run`` reads).

    python benchmarks/gpu_check.py [--precision bf16|fp16|fp32] [--photos 1024] [--epochs 2]

It needs a CUDA GPU and refuses clearly (exit status 2, nothing run) without one. No network: the stand-ins are
written from the in-wheel ``samples`` photos (cycled), or from ``gcompris`` where it is prepared; the LPIPS trunk
is whatever TORCH_HOME holds (a fallback is printed). Sized to finish in well under 5 minutes on one modern GPU.
Under torchrun (``torchrun --nproc_per_node=N benchmarks/gpu_check.py``) the same run trains with DDP over NCCL.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

OUT = Path(__file__).with_name("gpu_check.json")


class Stop(Exception):
    """Raised from on_step to interrupt the run after its first epoch (its checkpoint is written)."""


def refuse_without_gpu() -> None:
    if not torch.cuda.is_available():
        print("gpu_check: no CUDA GPU here (torch.cuda.is_available() is False; "
              f"torch {torch.__version__}, CUDA build {torch.version.cuda}). This check trains on a GPU only; "
              "nothing was run and benchmarks/gpu_check.json was not written.", file=sys.stderr)
        sys.exit(2)


def stand_ins(root: Path, photos: int) -> None:
    """Stand-ins of imagenet-1k / huggan/wikiart under ``root`` (COLORLIB_HUB_MIRROR), from local images only."""
    from colorlib import data, standins

    try:
        data.prepare("gcompris", progress=False)
        source = "gcompris"
    except Exception as err:  # noqa: BLE001 - no Debian package here: the in-wheel samples do
        print(f"gcompris not available ({type(err).__name__}); stand-ins from the in-wheel samples")
        source = "samples"
    standins.write(root, source, photos={"train": photos, "val": 64, "test": 8}, paintings=16, repeat=True,
                   max_side=256)


def config(args):
    from colorlib import experiments, profiles

    P = profiles.resolve("paper", limit=args.photos, val_limit=64, style_limit=16, epochs=args.epochs)
    return experiments.config("final", P, device="cuda", precision=args.precision, checkpoint_every=0)


def timed_train(cfg, stop_at_epoch: int | None, log: list) -> object:
    """Train (or resume) ``cfg``; ``log`` gets (time, step, loss) per step; Stop at the start of an epoch."""
    from colorlib import train

    def on_step(info):
        if stop_at_epoch is not None and info["epoch"] >= stop_at_epoch:
            raise Stop
        if torch.cuda.is_available():  # step times, not launch times
            torch.cuda.synchronize()
        log.append((time.perf_counter(), info["step"], float(info["terms"].get("loss", float("nan")))))

    try:
        return train.train(cfg, progress=False, on_step=on_step)
    except Stop:
        return None


def throughput(log: list, batch: int, warmup: int = 3) -> float:
    """Images per second over the logged steps after the first ``warmup`` (compilation, cudnn autotuning)."""
    steady = log[warmup:]
    if len(steady) < 2:
        return float("nan")
    return (steady[-1][1] - steady[0][1]) * batch / (steady[-1][0] - steady[0][0])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precision", default="bf16", choices=["bf16", "fp16", "fp32"])
    parser.add_argument("--photos", type=int, default=1024, help="stand-in training photos (16 steps an epoch)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs; the run is stopped after the first one")
    args = parser.parse_args(argv)
    refuse_without_gpu()
    root = Path(tempfile.mkdtemp(prefix="gpu_check_"))
    os.environ.setdefault("COLORLIB_CACHE", str(root / "cache"))
    os.environ["COLORLIB_HUB_MIRROR"] = str(root / "mirror")
    t0 = time.perf_counter()
    stand_ins(root / "mirror", args.photos)
    cfg = config(args)
    torch.cuda.reset_peak_memory_stats()
    first, second = [], []
    timed_train(cfg, stop_at_epoch=1, log=first)  # stopped at the start of epoch 2: the "last" checkpoint
    run = timed_train(cfg, stop_at_epoch=None, log=second)  # resumes from it
    done = run.summary
    result = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "precision": args.precision,
              "batch_size": cfg.batch_size, "size": cfg.size, "compiled": done.get("compiled"),
              "steps": done["steps"], "resumed_from_step": done.get("resumed_from_step"),
              "images_per_second": throughput(first, cfg.batch_size),
              "images_per_second_after_resume": throughput(second, cfg.batch_size, warmup=1),
              "peak_memory_gib": torch.cuda.max_memory_allocated() / 2**30,
              "first_loss": first[0][2] if first else None, "last_loss": second[-1][2] if second else None,
              "wall_seconds": round(time.perf_counter() - t0, 1), "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    for k, v in result.items():
        print(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}")
    if done.get("resumed_from_step") is None:
        print("gpu_check: the second session did not resume from the checkpoint", file=sys.stderr)
        return 1
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
    sys.exit(main())

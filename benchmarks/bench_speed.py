"""Speed benchmark of the study's final model (``ModelConfig.preset("final")``) on this machine's CPU.

Prints one table, every row measured in the same run (side by side, so a busy machine slows all alike):

* the physical limit: a 2048x2048 matrix multiply in fp32 and in bf16 (GFLOP/s, median of 10);
* training throughput (img/s) at 64 and 128 px, batch 16, Adam, MSE, style latent from the style encoder on a
  style batch of the same size; variants: eager, channels_last, and torch.compile (the compile time is the wall
  time of the first compiled step; shapes are fixed, as with drop_last, so nothing recompiles), each in fp32 and
  under ``torch.autocast(dtype=bfloat16)`` (``TrainConfig.precision="bf16"``). FLOPs per image come from
  ``torch.utils.flop_counter`` (forward and backward of one step); achieved GFLOP/s = img/s x FLOPs per image,
  shown as a fraction of the measured fp32 and bf16 matrix-multiply throughput;
* the real training loop (``colorlib.train.Trainer``: the final experiment's config with its MSE + LPIPS loss,
  the per-sample seeded data pipeline, logging) on synthetic photos at 64 px, fp32 vs bf16 (img/s over a
  number of steps after the first);
* inference latency (ms) of ``Colorizer.colorize`` on one 256x256 image with a 256x256 style painting:
  style encoding + colour conversion + UNet, eval mode, no_grad, median of N runs; eager, and with the UNet
  and style encoder compiled in place (``nn.Module.compile``);
* peak memory: the resident set size high-water mark (``resource.getrusage(...).ru_maxrss``). By default each
  measurement runs in its own subprocess, so the number is that measurement's own peak (including Python,
  torch and, for torch.compile, the compiler); with ``--inprocess`` it is the running peak of one process.

Goals printed beside the numbers: training >= 150 img/s at 64 px (issue 11; it was 100); inference <= 50 ms per
256x256 image.
Inputs are random tensors: data loading and decoding are not measured.

    python benchmarks/bench_speed.py                 # full run (a few minutes, torch.compile included)
    python benchmarks/bench_speed.py --quick         # smoke run: seconds, no torch.compile
    python benchmarks/bench_speed.py --json out.json # also write the results
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import colorlib  # noqa: E402,F401  (torchvision shim first)
import numpy as np  # noqa: E402
import torch  # noqa: E402

from colorlib import files, train  # noqa: E402
from colorlib.models import ModelConfig, build_model, count_parameters  # noqa: E402
from colorlib.report import machine  # noqa: E402

BATCH = 16
TRAIN_GOAL_IMG_S = 150.0  # at 64 px (raised from 100 by issue 11, before measuring)
INFER_GOAL_MS = 50.0  # one 256x256 image, style encoding included


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def bench_matmul(precision: str, n: int = 2048, reps: int = 10) -> dict:
    """GFLOP/s of an n x n matrix multiply (2 n^3 FLOPs), the physical limit the training steps are compared to."""
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    gen = torch.Generator().manual_seed(0)
    a, b = (torch.rand(n, n, generator=gen).to(dtype) for _ in range(2))
    for _ in range(3):
        a @ b
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - t0)
    return {"kind": "matmul", "precision": precision, "size": n, "gflop_s": 2 * n**3 / statistics.median(times) / 1e9,
            "peak_rss_mib": peak_rss_mib()}


def _autocast(precision: str):
    import contextlib

    return torch.autocast("cpu", dtype=torch.bfloat16) if precision == "bf16" else contextlib.nullcontext()


def train_flops_per_image(size: int, precision: str) -> float:
    """FLOPs of one training step (forward + backward) of the final model, per image (torch.utils.flop_counter)."""
    from torch.utils.flop_counter import FlopCounterMode

    torch.manual_seed(0)
    model = build_model(ModelConfig.preset("final")).train()
    x, s, t = torch.rand(BATCH, 1, size, size), torch.rand(BATCH, 3, size, size), torch.rand(BATCH, 3, size, size)
    with FlopCounterMode(display=False) as counter:
        with _autocast(precision):
            loss = torch.nn.functional.mse_loss(model(x, model.encode_style(s)), t)
        loss.backward()
    return counter.get_total_flops() / BATCH


def bench_train(variant: str, size: int, steps: int, warmup: int, precision: str = "fp32") -> dict:
    torch.manual_seed(0)
    model = build_model(ModelConfig.preset("final")).train()
    fmt = torch.channels_last if variant == "channels_last" else torch.contiguous_format
    model = model.to(memory_format=fmt)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    lightness = torch.rand(BATCH, 1, size, size, generator=gen).contiguous(memory_format=fmt)
    style = torch.rand(BATCH, 3, size, size, generator=gen).contiguous(memory_format=fmt)
    target = torch.rand(BATCH, 3, size, size, generator=gen).contiguous(memory_format=fmt)

    def forward(x, s):
        return model(x, model.encode_style(s))

    if variant == "compile":
        forward = torch.compile(forward)

    def step():
        opt.zero_grad(set_to_none=True)
        with _autocast(precision):
            loss = torch.nn.functional.mse_loss(forward(lightness, style), target)
        loss.backward()
        opt.step()

    t0 = time.perf_counter()
    step()
    first_s = time.perf_counter() - t0
    for _ in range(max(0, warmup - 1)):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    elapsed = time.perf_counter() - t0
    return {
        "kind": "train", "variant": variant, "precision": precision, "size": size, "batch": BATCH, "steps": steps,
        "img_per_s": BATCH * steps / elapsed, "first_step_s": first_s,
        "compile_s": first_s if variant == "compile" else None,
        "flops_per_image": train_flops_per_image(size, precision), "peak_rss_mib": peak_rss_mib(),
    }


def bench_trainer(precision: str, steps: int, size: int = 64) -> dict:
    """The real training loop (colorlib.train.Trainer) of the final experiment on synthetic photos: img/s over
    ``steps`` steps after the first (which builds oneDNN's kernels)."""
    import tempfile as tf

    from PIL import Image

    from colorlib import data, experiments, profiles, runs, train

    P = profiles.resolve("report", "03")
    cfg = experiments.config("final", P, epochs=1, precision=precision, checkpoint_every=0)
    gen = np.random.default_rng(0)

    def photos(n, split):
        return [data.ImageRecord(image=Image.fromarray(gen.integers(0, 256, (6, 6, 3), dtype=np.uint8)).resize(
            (size + 16, size), Image.Resampling.BICUBIC), name=f"{split}{i}", split=split, licence="-",
            source_path=f"synthetic/{split}{i}") for i in range(n)]

    times = []
    with tf.TemporaryDirectory() as cache:
        td = runs.TrainData(photos(BATCH * (steps + 1), "train"), [], [])
        train.train(cfg, data=td, cache_dir=cache, progress=False,
                    on_step=lambda info: times.append(time.perf_counter()))
    elapsed = times[-1] - times[0]
    return {"kind": "trainer", "variant": "Trainer", "precision": precision, "size": size, "batch": BATCH,
            "steps": steps, "img_per_s": BATCH * steps / elapsed, "loss": cfg.loss, "peak_rss_mib": peak_rss_mib()}


def bench_infer(reps: int, size: int = 256, variant: str = "eager") -> dict:
    torch.manual_seed(0)
    model = build_model(ModelConfig.preset("final")).eval()
    if variant == "compile":  # compiles in place: colorize's calls to the UNet and the style encoder use it
        model.compile()
        model.style_encoder.compile()
    gen = torch.Generator().manual_seed(0)
    image = torch.rand(1, 3, size, size, generator=gen)
    style = torch.rand(1, 3, size, size, generator=gen)
    t0 = time.perf_counter()
    model.colorize(image, style_rgb=style)  # warm-up (allocator, oneDNN kernels; compilation)
    first_s = time.perf_counter() - t0
    for _ in range(2):
        model.colorize(image, style_rgb=style)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        model.colorize(image, style_rgb=style)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "kind": "infer",
        "variant": variant,
        "size": size,
        "reps": reps,
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "max_ms": max(times),
        "compile_s": first_s if variant == "compile" else None,
        "peak_rss_mib": peak_rss_mib(),
    }


NATIVE_BF16 = train.cpu_native_bf16()
"""Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX). Without it, oneDNN emulates bf16: a 2048x2048
bf16 matrix multiply took 63 s here against 0.2 s in fp32 (AMD Zen 3, AVX2 only), so bf16 rows are skipped."""


def run_job(job: dict) -> dict:
    if job.get("precision") == "bf16" and not NATIVE_BF16 and not job.get("force"):
        return {**job, "skipped": "no native bfloat16 on this CPU (no AVX512-BF16 or AMX): emulated, ~100x slower"}
    try:
        if job["kind"] == "matmul":
            return bench_matmul(job["precision"])
        if job["kind"] == "train":
            return bench_train(job["variant"], job["size"], job["steps"], job["warmup"], job["precision"])
        if job["kind"] == "trainer":
            return bench_trainer(job["precision"], job["steps"], job["size"])
        return bench_infer(job["reps"], job["size"], job["variant"])
    except Exception as err:  # a failing variant (e.g. no C++ compiler for torch.compile) must not hide the rest
        return {**job, "error": f"{type(err).__name__}: {err}".splitlines()[0][:200]}


def run_in_subprocess(job: dict) -> dict:
    # A fresh, empty inductor cache per measurement, so the compile time is a cold compile (a second run
    # would otherwise reuse the on-disk cache of the first and report a few seconds).
    with tempfile.TemporaryDirectory(prefix="bench_inductor_") as cache:
        env = {**os.environ, "TORCHINDUCTOR_CACHE_DIR": cache}
        proc = subprocess.run(
            [sys.executable, __file__, "--_job", json.dumps(job)], capture_output=True, text=True, check=False, env=env
        )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {**job, "error": f"subprocess exit {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}"}
    return json.loads(lines[-1])


def goal_text(row: dict) -> str:
    if "skipped" in row:
        return "skipped: " + row["skipped"]
    if "error" in row:
        return "ERROR: " + row["error"]
    if row["kind"] == "infer":
        if row["size"] != 256:
            return ""
        return f"goal <= {INFER_GOAL_MS:.0f} ms: {'met' if row['median_ms'] <= INFER_GOAL_MS else 'NOT met'}"
    if row["kind"] in ("train", "trainer") and row["size"] == 64:
        return f"goal >= {TRAIN_GOAL_IMG_S:.0f} img/s: {'met' if row['img_per_s'] >= TRAIN_GOAL_IMG_S else 'NOT met'}"
    return ""


def add_efficiency(rows: list[dict]) -> None:
    """Achieved GFLOP/s of each training row, as a fraction of the fp32 and bf16 matmul throughput measured."""
    peak = {r["precision"]: r["gflop_s"] for r in rows if r["kind"] == "matmul" and "gflop_s" in r}
    for r in rows:
        if r["kind"] == "train" and "img_per_s" in r:
            r["gflop_s"] = r["img_per_s"] * r["flops_per_image"] / 1e9
            r["of_fp32_peak"] = r["gflop_s"] / peak["fp32"] if "fp32" in peak else None
            r["of_bf16_peak"] = r["gflop_s"] / peak["bf16"] if "bf16" in peak else None


def _row_text(r: dict) -> tuple[str, str, str]:
    """(name, result, efficiency) columns of a row."""
    if r["kind"] == "matmul":
        return (f"matmul 2048x2048, {r['precision']}", f"{r['gflop_s']:.0f} GFLOP/s" if "gflop_s" in r else "-", "")
    if r["kind"] in ("train", "trainer"):
        what = "Trainer (MSE+LPIPS, data)" if r["kind"] == "trainer" else r["variant"]
        name = f"train {r['size']} px, {what}, {r['precision']}"
        result = f"{r['img_per_s']:.1f} img/s" if "img_per_s" in r else "-"
        eff = ""
        if r.get("of_fp32_peak") is not None:
            eff = f"{r['flops_per_image'] / 1e9:.2f} GFLOP/img, {r['gflop_s']:.0f} GFLOP/s = {r['of_fp32_peak']:.0%} of fp32"
            eff += f" / {r['of_bf16_peak']:.0%} of bf16 peak" if r.get("of_bf16_peak") is not None else " peak"
        return name, result, eff
    name = f"infer {r['size']}x{r['size']} + style, {r['variant']}"
    return name, f"{r['median_ms']:.1f} ms" if "median_ms" in r else "-", ""


def format_table(rows: list[dict], env: dict) -> str:
    out = [
        f"Final model ({env['parameters']:,} parameters), torch {env['torch']}, {env['threads']} threads, "
        f"{env['cpu']} ({env['cpus']} CPUs); batch {BATCH}, Adam; memory = peak RSS "
        f"({'per measurement, own subprocess' if not env['inprocess'] else 'running peak of one process'})",
        f"{'measurement':<46}{'result':>15}{'compile s':>10}{'peak MiB':>9}  goal / efficiency",
    ]
    for r in rows:
        comp = f"{r['compile_s']:.1f}" if r.get("compile_s") is not None else ""
        name, result, eff = _row_text(r)
        mem = f"{r['peak_rss_mib']:.0f}" if "peak_rss_mib" in r else ""
        note = "  ".join(x for x in (goal_text(r), eff) if x)
        out.append(f"{name:<46}{result:>15}{comp:>10}{mem:>9}  {note}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 64 px, 2 steps, no torch.compile, in-process")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--sizes", type=int, nargs="+", help="training image sides (default 64 128)")
    parser.add_argument("--variants", nargs="+", choices=("eager", "channels_last", "compile"))
    parser.add_argument("--precisions", nargs="+", choices=("fp32", "bf16"), help="default: both")
    parser.add_argument("--trainer-steps", type=int, help="steps of the real training loop (0: skip it)")
    parser.add_argument("--force-bf16", action="store_true", help="measure bf16 even without native support")
    parser.add_argument("--steps", type=int, help="timed training steps per measurement")
    parser.add_argument("--warmup", type=int, help="untimed steps before timing (the first includes compilation)")
    parser.add_argument("--reps", type=int, help="inference repetitions (median reported)")
    parser.add_argument("--infer-size", type=int, default=256, help="inference image side (default 256)")
    parser.add_argument("--inprocess", action="store_true", help="run every measurement in this process")
    parser.add_argument("--_job", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args._job:  # worker: one measurement, result as one JSON line
        print(json.dumps(run_job(json.loads(args._job))))
        return {}

    quick = args.quick
    sizes = args.sizes or ([64] if quick else [64, 128])
    variants = args.variants or (["eager", "channels_last"] if quick else ["eager", "channels_last", "compile"])
    # oneDNN builds its kernels during the first steps: time only after a few.
    warmup = args.warmup if args.warmup is not None else (2 if quick else 5)
    reps = args.reps or (3 if quick else 30)
    inprocess = args.inprocess or quick

    precisions = args.precisions or ["fp32", "bf16"]
    trainer_steps = args.trainer_steps if args.trainer_steps is not None else (2 if quick else 24)
    jobs = [dict(kind="matmul", precision=p) for p in ("fp32", "bf16")]
    for size in sizes:
        steps = args.steps or (2 if quick else (30 if size <= 64 else 10))
        jobs += [dict(kind="train", variant=v, size=size, steps=steps, warmup=warmup, precision=p)
                 for v in variants for p in precisions]
    if trainer_steps:
        jobs += [dict(kind="trainer", precision=p, steps=trainer_steps, size=64) for p in precisions]
    jobs += [
        dict(kind="infer", variant=v, reps=reps, size=args.infer_size) for v in variants if v != "channels_last"
    ]

    for job in jobs:
        job["force"] = args.force_bf16
    env = {
        "native_bf16": NATIVE_BF16,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "cpu": machine()["cpu"],  # the model name from /proc/cpuinfo (platform.processor() says only "x86_64")
        "parameters": count_parameters(build_model(ModelConfig.preset("final"))),
        "inprocess": inprocess,
        "memory_measure": "resource.getrusage ru_maxrss (peak RSS)",
        "quick": quick,
        "loadavg_1min_start": os.getloadavg()[0],
    }
    rows = []
    for job in jobs:
        rows.append(run_job(job) if inprocess else run_in_subprocess(job))
        print(f"  done: {job['kind']} {job.get('variant', '')} {job.get('size', '')} {job.get('precision', '')}",
              file=sys.stderr, flush=True)
    env["loadavg_1min_end"] = os.getloadavg()[0]
    add_efficiency(rows)
    table = format_table(rows, env)
    print(table)
    # The end value includes this benchmark's own threads; the start value is other processes only.
    busy = env["loadavg_1min_start"]
    print(f"load average (1 min) at start/end: {env['loadavg_1min_start']:.2f} / {env['loadavg_1min_end']:.2f}"
          + (f"  WARNING: other processes were using the CPU ({env['cpus']} CPUs): numbers are pessimistic"
             if busy > 0.5 * (env["cpus"] or 1) else ""))
    result = {"env": env, "rows": rows, "table": table}
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        files.write_json(args.json, result, indent=2, newline=False)
    return result


if __name__ == "__main__":
    main()

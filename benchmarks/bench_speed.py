"""Speed benchmark of the study's final model (``ModelConfig.preset("final")``) on this machine's CPU.

Prints one table:

* training throughput (img/s) at 64 and 128 px, batch 16, Adam, MSE, style latent from the style encoder on a
  style batch of the same size; variants: eager, channels_last, and torch.compile (the compile time is the wall
  time of the first compiled step; shapes are fixed, as with drop_last, so nothing recompiles);
* inference latency (ms) of ``Colorizer.colorize`` on one 256x256 image with a 256x256 style painting:
  style encoding + colour conversion + UNet, eval mode, no_grad, median of N runs; eager, and with the UNet
  and style encoder compiled in place (``nn.Module.compile``);
* peak memory: the resident set size high-water mark (``resource.getrusage(...).ru_maxrss``). By default each
  measurement runs in its own subprocess, so the number is that measurement's own peak (including Python,
  torch and, for torch.compile, the compiler); with ``--inprocess`` it is the running peak of one process.

Goals printed beside the numbers: training >= 100 img/s at 64 px; inference <= 50 ms per 256x256 image.
Inputs are random tensors: data loading and decoding are not measured.

    python benchmarks/bench_speed.py                 # full run (a few minutes, torch.compile included)
    python benchmarks/bench_speed.py --quick         # smoke run: seconds, no torch.compile
    python benchmarks/bench_speed.py --json out.json # also write the results
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import colorlib  # noqa: E402,F401  (torchvision shim first)
import torch  # noqa: E402

from colorlib import files  # noqa: E402
from colorlib.models import ModelConfig, build_model, count_parameters  # noqa: E402

BATCH = 16
TRAIN_GOAL_IMG_S = 100.0  # at 64 px
INFER_GOAL_MS = 50.0  # one 256x256 image, style encoding included


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def bench_train(variant: str, size: int, steps: int, warmup: int) -> dict:
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
        "kind": "train",
        "variant": variant,
        "size": size,
        "batch": BATCH,
        "steps": steps,
        "img_per_s": BATCH * steps / elapsed,
        "first_step_s": first_s,
        "compile_s": first_s if variant == "compile" else None,
        "peak_rss_mib": peak_rss_mib(),
    }


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


def run_job(job: dict) -> dict:
    try:
        if job["kind"] == "train":
            return bench_train(job["variant"], job["size"], job["steps"], job["warmup"])
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
    if "error" in row:
        return "ERROR: " + row["error"]
    if row["kind"] == "infer":
        if row["size"] != 256:
            return ""
        return f"goal <= {INFER_GOAL_MS:.0f} ms: {'met' if row['median_ms'] <= INFER_GOAL_MS else 'NOT met'}"
    if row["size"] == 64:
        return f"goal >= {TRAIN_GOAL_IMG_S:.0f} img/s: {'met' if row['img_per_s'] >= TRAIN_GOAL_IMG_S else 'NOT met'}"
    return ""


def format_table(rows: list[dict], env: dict) -> str:
    out = [
        f"Final model ({env['parameters']:,} parameters), torch {env['torch']}, {env['threads']} threads, "
        f"{env['cpu']} ({env['cpus']} CPUs); batch {BATCH}, Adam; memory = peak RSS "
        f"({'per measurement, own subprocess' if not env['inprocess'] else 'running peak of one process'})",
        f"{'measurement':<34}{'result':>14}{'compile s':>11}{'peak MiB':>10}  goal",
    ]
    for r in rows:
        comp = f"{r['compile_s']:.1f}" if r.get("compile_s") is not None else ""
        if r["kind"] == "train":
            name = f"train {r['size']} px, {r['variant']}"
            result = "-" if "error" in r else f"{r['img_per_s']:.1f} img/s"
        else:
            name = f"infer {r['size']}x{r['size']} + style, {r['variant']}"
            result = "-" if "error" in r else f"{r['median_ms']:.1f} ms"
        mem = f"{r['peak_rss_mib']:.0f}" if "peak_rss_mib" in r else ""
        out.append(f"{name:<34}{result:>14}{comp:>11}{mem:>10}  {goal_text(r)}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 64 px, 2 steps, no torch.compile, in-process")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--sizes", type=int, nargs="+", help="training image sides (default 64 128)")
    parser.add_argument("--variants", nargs="+", choices=("eager", "channels_last", "compile"))
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

    jobs = []
    for size in sizes:
        steps = args.steps or (2 if quick else (30 if size <= 64 else 10))
        jobs += [dict(kind="train", variant=v, size=size, steps=steps, warmup=warmup) for v in variants]
    jobs += [
        dict(kind="infer", variant=v, reps=reps, size=args.infer_size) for v in variants if v != "channels_last"
    ]

    env = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        "cpu": platform.processor() or platform.machine(),
        "parameters": count_parameters(build_model(ModelConfig.preset("final"))),
        "inprocess": inprocess,
        "memory_measure": "resource.getrusage ru_maxrss (peak RSS)",
        "quick": quick,
        "loadavg_1min_start": os.getloadavg()[0],
    }
    rows = []
    for job in jobs:
        rows.append(run_job(job) if inprocess else run_in_subprocess(job))
        print(f"  done: {job['kind']} {job.get('variant', '')} {job.get('size', '')}", file=sys.stderr, flush=True)
    env["loadavg_1min_end"] = os.getloadavg()[0]
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

"""How long a fresh clone takes to colour its first photo: ``colorlib colorize`` with the shipped models in
``models/``, as a new process each time, with an empty data cache (no prepared data, no report run).

A one-megapixel grayscale photo and a colourful "painting" are drawn here (the cost does not depend on what
they show), so nothing is downloaded. Each command is timed from process start to exit: importing torch,
loading the safetensors weights, colouring, writing the PNG. Goal (issue 11, "seconds after install"),
written down before the first measurement: at most ``GOAL_S`` per command. Wall-clock times vary with other
load on the CPU; the median of ``--reps`` runs is the number that counts.

    python benchmarks/bench_first_colour.py [--reps 3] [--json benchmarks/first_colour.json]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run from a checkout without installing

GOAL_S = 10.0
PHOTO_SIZE = (1152, 864)  # width, height: about one megapixel
COMMANDS = {"automatic colours": [], "in a painting's style": ["--style", "{painting}"]}


def draw_inputs(folder: Path, size: tuple[int, int] = PHOTO_SIZE) -> tuple[Path, Path]:
    """A grayscale photo of about one megapixel (smooth shapes and noise) and a colourful painting."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:size[1], 0:size[0]] / max(size)
    gray = 128 + 60 * np.sin(9 * x) * np.cos(7 * y) + rng.normal(0, 12, (size[1], size[0]))
    photo, painting = folder / "photo.jpg", folder / "painting.png"
    Image.fromarray(gray.clip(0, 255).astype(np.uint8), "L").save(photo, quality=90)
    colours = np.stack([128 + 120 * np.sin(5 * x + k) for k in (0, 2, 4)], -1)[:256, :256]
    Image.fromarray(colours.clip(0, 255).astype(np.uint8), "RGB").save(painting)
    return photo, painting


def time_command(args: list[str], env: dict) -> float:
    """Seconds from starting ``python -m colorlib colorize ...`` to its exit (it must succeed)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "colorlib", "colorize", *args, "--no-progress"], cwd=REPO, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"colorize failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.reps < 1:
        parser.error(f"--reps must be 1 or more, not {args.reps}")
    from colorlib import files

    if not any((REPO / "models").glob("*/model.safetensors")):
        raise SystemExit(f"no shipped models in {REPO / 'models'}: nothing to time")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        photo, painting = draw_inputs(tmp)
        # an empty cache: no prepared data, no trained runs, so only the shipped models can colour
        env = {**os.environ, "COLORLIB_CACHE": str(tmp / "empty-cache")}
        for label, extra in COMMANDS.items():
            cmd = [str(photo), *[a.format(painting=painting) for a in extra], "--out", str(tmp / "out"), "--overwrite"]
            times = [time_command(cmd, env) for _ in range(args.reps)]
            rows.append({"command": label, "seconds": [round(t, 2) for t in times],
                         "median_s": round(statistics.median(times), 2)})
    megapixels = round(PHOTO_SIZE[0] * PHOTO_SIZE[1] / 1e6, 2)
    print(f"first colour from a fresh clone: `colorlib colorize`, shipped models, {megapixels} MP photo, new process "
          f"each time, empty data cache; goal <= {GOAL_S:.0f} s")
    for r in rows:
        print(f"  {r['command']:24} median {r['median_s']:6.2f} s  (runs: {', '.join(map(str, r['seconds']))})  "
              + ("ok" if r["median_s"] <= GOAL_S else "MISSED"))
    if args.json:
        from colorlib.report import machine

        files.write_json(args.json, {"goal_s": GOAL_S, "megapixels": megapixels, "reps": args.reps,
                                     "machine": machine(), "load_average": round(os.getloadavg()[0], 2),
                                     "rows": rows}, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

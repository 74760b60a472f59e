"""Video colouring: frames per second at 480p and flicker, one style latent for every frame vs per-frame guesses.

A static shot: one photo (a held-out test photo of the embedded data when prepared, else scikit-image's
in-wheel ``coffee``) as 640x480 grayscale, repeated for ``--frames`` frames with fresh sensor-like noise (Gaussian,
sigma 2/255) in each, encoded with H.264. It is coloured twice through ``colorlib.video.colorize_video``:

* one latent: a painting's style latent (the first embedded painting, else scikit-image's ``astronaut``) for
  every frame, as ``colorlib colorize clip.mp4 --style painting.jpg`` does;
* per frame: each frame's own latent (the frame as its own style reference), i.e. an independent guess per frame.

Flicker = mean over consecutive frame pairs of the mean per-pixel CIELAB chroma change sqrt(da*^2 + db*^2) of the
coloured frames (before re-encoding). fps = frames / wall-clock seconds of the whole decode-colour-encode pass.

    python benchmarks/bench_video.py [--frames 48] [--profile report] [--json benchmarks/video.json]

``make benchmark`` writes ``benchmarks/video.json``, which the README quotes (``colorlib.readme``).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

from colorlib import color, data, files, inference, models, video  # noqa: E402
from colorlib.report import machine  # noqa: E402


def _model(profile: str) -> tuple[inference.ColorModel, str]:
    """The shipped RGB model (what ``colorlib colorize`` uses), else the profile's trained final model, else an
    untrained one (the speed is the same; the flicker is not meaningful then)."""
    try:
        return inference.load_shipped("rgb"), "the shipped RGB model (models/)"
    except inference.ModelNotFound:
        pass
    try:
        cm = next(iter(inference.load_models(profile, only=["final"]).values()))
        return cm, f"the {profile} profile's trained final model"
    except inference.ModelNotFound:
        torch.manual_seed(0)
        return inference.ColorModel(models.build_model("final").eval(), "RGB", 64, 64), "untrained final model"


def _images() -> tuple[Image.Image, Image.Image, str]:
    try:
        photo = data.load_images("gcompris", "photos", "test", 480, limit=1, progress=False)[0].image
        style = data.load_images("gcompris", "paintings", None, 64, limit=1, progress=False)[0].image
        return photo, style, "gcompris test photo / painting"
    except Exception:  # noqa: BLE001 - data not prepared: the in-wheel images
        from skimage import data as skd

        return Image.fromarray(skd.coffee()), Image.fromarray(skd.astronaut()), "scikit-image coffee / astronaut"


def static_clip(path: Path, photo: Image.Image, frames: int, seed: int = 0) -> Path:
    gray = np.asarray(photo.convert("L").resize((640, 480), Image.Resampling.LANCZOS), dtype=np.float32)
    rng = np.random.default_rng(seed)
    noisy = [np.clip(gray + rng.normal(0, 2, gray.shape), 0, 255).astype(np.uint8) for _ in range(frames)]
    return video.write_test_video(path, [Image.fromarray(f).convert("RGB") for f in noisy], fps=24, audio=True)


def flicker(frames: list[np.ndarray]) -> tuple[float, float]:
    """Mean a*b* change per pixel from one frame to the next, and the mean chroma C*ab of the frames: a more
    colourful output moves more in absolute terms, so the two modes are compared by their ratio too."""
    lab = [color.rgb_to_lab(f.astype(np.float64) / 255) for f in frames]
    steps = [np.sqrt(((b[..., 1:] - a[..., 1:]) ** 2).sum(-1)).mean() for a, b in zip(lab, lab[1:])]
    chroma = [np.sqrt((f[..., 1:] ** 2).sum(-1)).mean() for f in lab]
    return float(np.mean(steps)), float(np.mean(chroma))


def measure(cm, clip: Path, out: Path, latent_of) -> dict:
    """Colour ``clip`` with ``latent_of(frame)`` per frame; fps of the whole pass and the flicker."""
    kept = []

    def colour(image):
        result = inference.colorize_full(cm, image, latent_of(image))
        kept.append(np.asarray(result))
        return result

    start = time.perf_counter()
    info = video.colorize_video(cm, clip, out, None, progress=False, colour=colour)
    seconds = time.perf_counter() - start
    moved, chroma = flicker(kept)
    return {"frames": info["frames"], "fps": info["frames"] / seconds, "flicker": moved, "chroma": chroma}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--profile", default="report")
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    cm, origin = _model(args.profile)
    photo, style, images = _images()
    one = cm.style_latent(style)
    with tempfile.TemporaryDirectory() as tmp:
        clip = static_clip(Path(tmp) / "static.mp4", photo, args.frames)
        rows = {"one latent (painting)": measure(cm, clip, Path(tmp) / "one.mp4", lambda im: one),
                "per frame (own latent)": measure(cm, clip, Path(tmp) / "per.mp4", cm.style_latent)}
    print(f"{origin}, working size {cm.work_size} px, torch {torch.__version__}, {torch.get_num_threads()} "
          f"threads; static 640x480 shot, {args.frames} frames, noise sigma 2/255; {images}")
    print(f"{'mode':<26}{'fps':>8}{'flicker (dE ab / frame)':>26}{'mean chroma':>13}{'flicker / chroma':>18}")
    for name, row in rows.items():
        print(f"{name:<26}{row['fps']:>8.1f}{row['flicker']:>26.4f}{row['chroma']:>13.2f}"
              f"{row['flicker'] / row['chroma']:>18.5f}")
    if args.json:
        env = {"cpu": machine()["cpu"], "threads": torch.get_num_threads(), "torch": torch.__version__,
               "loadavg_1min": round(os.getloadavg()[0], 2), "frames": args.frames,
               "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        files.write_json(args.json, {"origin": origin, "images": images, "env": env, "rows": rows}, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``colorlib colorize INPUT... --style IMAGE --out DIR`` (also ``python -m colorlib colorize``).

    colorlib colorize photo.jpg --out coloured/
    colorlib colorize photo.jpg scans/ clip.mp4 --style painting.jpg --out coloured/
    colorlib colorize photo.jpg --style a.jpg:0.7 --style b.jpg:0.3 --strength 0.8 --saturation 1.2 --out coloured/
    colorlib colorize photo.jpg --style a.jpg --blend b.jpg --alpha 0.3 --out coloured/
    colorlib colorize photo.jpg --style natural --model lab --device auto --format jpeg --quality 90 --out coloured/
    colorlib colorize photo.jpg --style a.jpg --checkpoint .cache/colorlib/runs/<key> --out coloured/

INPUT: image files and folders (every file below a folder, hidden ones left out; a progress bar when there is
more than one). Any size and any mode ``colorlib.data.open_rgb`` reads (CMYK, palette, 16-bit, alpha, grey,
EXIF-rotated ...). Each output is ``DIR/<name>.png`` (lossless, folder structure kept) with the input's
resolution and the input's own lightness: the network runs at its working size and its chroma is up-sampled
and recombined with the full-resolution lightness (``colorlib.inference.colorize_full``).

``--style``: ``auto`` (the default: colours without any reference, by the shipped automatic model, the winner
of notebook 13), an image (a painting), or ``natural`` (the mean style latent of the model's training photos; for
a ``--checkpoint`` only when it was trained on colorlib's own ``gcompris`` or ``samples``: a folder recorded in a
checkpoint is never read, ``--natural-from DIR`` names the photos instead). Repeated, with ``:WEIGHT`` suffixes, the weighted mean of
their latents (``inference.mix``). ``--blend IMAGE2 --alpha A``: the latent ``(1 - A) style + A blend``.
``--strength S``: from the automatic (natural) colours (0) to the style's (1); ``--saturation G``: chroma gain,
gamut-safe. ``--device``: where the network runs. Videos (``colorlib.video``) are coloured frame by frame with one
latent, keeping the frame timing and the audio. Models: by default the ones shipped in ``models/`` (no data set or training
needed; ``--model lab`` for the LAB one); ``--profile report`` takes the report's trained models from the run
cache instead, ``--checkpoint`` a run folder or checkpoint stem, and ``--pretrained`` a folder in the shipped
layout or a Hugging Face hub id.

Outputs never replace a file this run did not create: when ``DIR/<name>.png`` exists (a file, a folder, a
symlink) or another input of the run already wrote it, the output is ``<name>-1.png`` (``-2`` ...) and the
``wrote`` line says so; ``--overwrite`` replaces an existing file instead (a symlink is replaced, never
followed). Each output is written to a temporary file and appears complete under its name in one step
(``colorlib.files.write_new``), so a full disk, Ctrl-C or SIGTERM leaves the old file (if any) and no partial
one; two runs into one folder never both claim a name.

Bad inputs get one line each (``skipping PATH: reason``) and the rest carries on. Exit status: 0 when at least
one image was coloured, 1 when none was, 2 for a usage error (no model, bad checkpoint or style image), 130 /
143 when interrupted by SIGINT / SIGTERM.
"""
from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from pathlib import Path
from typing import Sequence

from colorlib import data, distributed, files, inference, video

NATURAL_WORDS = ("natural", "natural-colours", "natural-colors")
AUTO = "auto"


def _rel(path: Path, suffix: str) -> Path:
    """Output path of an input (relative): a video keeps its container kind, an image gets ``suffix``."""
    return path.with_name(video.output_name(path)) if video.is_video(path) else path.with_suffix(suffix)


def _inputs(paths: Sequence[str], suffix: str = ".png") -> list[tuple[Path, Path | None, str | None]]:
    """(file, output path relative to --out, or None; why it cannot be read, or None) for each input file."""
    items: list[tuple[Path, Path | None, str | None]] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            files = data._folder_files(path)
            if not files:
                items.append((path, None, "empty folder"))
            items += [(f, _rel(f.relative_to(path), suffix), None) for f in files]
        elif path.is_file():
            items.append((path, _rel(Path(path.name), suffix), None))
        else:
            items.append((path, None, "no such file or folder"))
    return items


def _model(args) -> inference.ColorModel:
    cm = _load_model(args)
    cm.model.to(distributed.resolve_device(args.device))  # ConfigError (a ValueError) for a missing device
    return cm


def _load_model(args) -> inference.ColorModel:
    names = [_spec(s)[0].lower() for s in args.style] + ([args.blend.lower()] if args.blend else [])
    # the natural latent is also the start of --strength
    natural = args.strength != 1.0 or any(n in NATURAL_WORDS for n in names)
    if args.natural_from is not None and natural:
        natural = args.natural_from  # a folder the user names, never one recorded in the checkpoint
    automatic = names[0] == AUTO
    if args.pretrained or not (args.checkpoint or args.profile):
        purpose = AUTO if automatic and not args.pretrained else (args.model or "rgb")
        return inference.load_shipped(purpose, args.pretrained, work_size=args.work_size)
    if args.checkpoint:
        cm = inference.load_checkpoint(args.checkpoint, natural=natural, work_size=args.work_size)
        if args.model and args.model != cm.space:
            print(f"note: --model {args.model} ignored: the checkpoint's model is {cm.name}", file=sys.stderr)
        return cm
    natural = natural or automatic  # a trained final model colours without a reference by its natural latent
    exp = "lab" if args.model == "lab" else "final"
    return next(iter(inference.load_models(args.profile, natural=natural, work_size=args.work_size,
                                        only=[exp]).values()))


@contextlib.contextmanager
def _interruptible():
    """SIGTERM raises ``KeyboardInterrupt`` like Ctrl-C, so a write in progress cleans up after itself."""
    def stop(signum, _frame):
        raise KeyboardInterrupt(signum)

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _spec(spec: str) -> tuple[str, float]:
    """``IMAGE[:WEIGHT]`` -> (IMAGE, weight); a tail that is not a number belongs to the name."""
    name, sep, tail = spec.rpartition(":")
    try:
        return (name, float(tail)) if sep and name else (spec, 1.0)
    except ValueError:
        return spec, 1.0


def _style(cm: inference.ColorModel, specs: Sequence[str]):
    """The latent of one or several ``--style IMAGE[:WEIGHT]`` (weighted mean)."""
    parsed = [_spec(s) for s in specs]
    if len(parsed) == 1 and parsed[0][1] > 0:
        return _latent(cm, parsed[0][0], "--style")  # one style, or 'auto' (which is not a latent to mix)
    if any(name.lower() == AUTO for name, _ in parsed):
        raise ValueError("--style auto colours without a reference: it cannot be mixed with other styles")
    if any(w < 0 for _, w in parsed) or sum(w for _, w in parsed) <= 0:
        raise ValueError(f"--style weights must be >= 0 with a positive sum: {' '.join(specs)}")
    return inference.mix([_latent(cm, name, "--style") for name, _ in parsed], [w for _, w in parsed])


def _latent(cm: inference.ColorModel, spec: str, option: str):
    if spec.lower() == AUTO:
        return cm.auto_latent()
    if spec.lower() in NATURAL_WORDS:
        if cm.natural is None:
            print(f"note: {option} natural: the mean latent of the training photos is not available; using no "
                  f"style", file=sys.stderr)
        return cm.natural
    path = Path(spec).expanduser()
    if not path.is_file():
        raise data.BadImage(f"{option} {spec}: no such file (give an image, or 'natural')")
    try:
        return cm.style_latent(data.open_rgb(path, min_side=1))
    except data.BadImage as err:
        raise data.BadImage(f"{option} {spec}: {err}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="colorlib colorize",
        description="Colour grayscale (or colour) photos and videos, automatically or in the style of a painting; "
                    "outputs keep the input's resolution and lightness.")
    parser.add_argument("inputs", nargs="+", metavar="INPUT", help="image or video files, or folders")
    parser.add_argument("--style", action="append", default=None, metavar="IMAGE[:WEIGHT]",
                        help="'auto' (default: colours without a reference), a style image (a painting), or "
                             "'natural' for the mean latent of the training photos; repeat with :WEIGHT to mix "
                             "several images (weights are normalised)")
    parser.add_argument("--blend", metavar="IMAGE2", help="a second style image (or 'natural') to blend in")
    parser.add_argument("--alpha", type=float, default=0.5,
                        help="weight of --blend in the latent interpolation, 0..1 (default 0.5)")
    where = parser.add_mutually_exclusive_group()  # one source of weights: never one silently over another
    where.add_argument("--checkpoint", metavar="PATH",
                       help="a run folder or checkpoint (default: the shipped models in models/)")
    where.add_argument("--pretrained", metavar="PATH_OR_ID",
                       help="a model folder in the shipped layout, or a Hugging Face hub id")
    parser.add_argument("--model", choices=("rgb", "lab"), default=None,
                        help="with a style image: the RGB (default) or LAB model")
    where.add_argument("--profile", default=None,
                       help="the trained models of this profile from the run cache (e.g. report) instead of the "
                            "shipped ones")
    parser.add_argument("--work-size", type=int, default=None, metavar="PX",
                        help="short side the network runs at (default: the size it was trained at; at most "
                             f"{inference.MAX_WORK_SIZE})")
    parser.add_argument("--natural-from", default=None, metavar="DIR",
                        help="with --checkpoint: photos whose mean style latent is 'natural' (default: the "
                             "checkpoint's training set only when it is colorlib's gcompris or samples; a folder "
                             "recorded in a checkpoint is never read)")
    parser.add_argument("--strength", type=float, default=1.0,
                        help="0: the automatic (natural) colours .. 1: the style's (default 1)")
    parser.add_argument("--saturation", type=float, default=1.0, help="chroma gain, gamut-safe (default 1)")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda", "mps"), default="cpu",
                        help="where the network runs (default cpu; auto: CUDA, else MPS, else CPU)")
    parser.add_argument("--format", choices=("png", "jpeg"), default="png", help="image output format")
    parser.add_argument("--quality", type=int, default=95, help="JPEG quality 1..95 (default 95)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing files in DIR (default: write <name>-1.png next to them)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _colour_one(cm: inference.ColorModel, latent, path: Path, target: Path, args, taken: set[Path]
                ) -> tuple[Path, str]:
    """Colour one image or video to ``target`` or the first free numbered name (``files.write_new``, never a name
    in ``taken``); returns the path written and its size for the report line."""
    info: dict = {}
    if video.is_video(path):
        def write(tmp):
            info.update(video.colorize_video(cm, path, tmp, latent, progress=not args.no_progress,
                                             colour=lambda im: inference.colorize_full(cm, im, latent, args.strength,
                                                                                       args.saturation),
                                             container=video.container_format(target)))
    else:
        result = inference.colorize_full(cm, data.open_rgb(path, min_side=1), latent, args.strength, args.saturation)
        info.update(width=result.width, height=result.height)

        def write(tmp):
            if args.format == "jpeg":
                result.save(tmp, format="JPEG", quality=args.quality)
            else:
                result.save(tmp, format="PNG")
    written = files.write_new(target, write, overwrite=args.overwrite, skip=taken)
    taken.add(files.absolute(written))
    frames = f", {info['frames']} frames" if "frames" in info else ""
    return written, f"{info['width']}x{info['height']}{frames}"


def _colour_all(cm: inference.ColorModel, latent, items, out_dir: Path, args) -> tuple[list, list]:
    """Colour every input into ``out_dir``; a bad one is reported and skipped. Returns (written, failed)."""
    from tqdm.auto import tqdm

    taken = {files.absolute(p) for p, _, _ in items if p.is_file()}  # never write over an input
    bar = tqdm(items, unit="file", desc="colorize", disable=args.no_progress or len(items) < 2, file=sys.stderr)
    done, failed = [], []
    for path, rel, problem in bar:
        try:
            if problem:
                raise data.BadImage(problem)
            target = out_dir / rel
            written, size = _colour_one(cm, latent, path, target, args, taken)
            done.append(written)
            note = f"; {target.name} exists, kept" if written != target else ""
            bar.write(f"wrote {written} ({size}{note})", file=sys.stdout)
        except (data.BadImage, OSError, ValueError, MemoryError, RuntimeError) as err:
            failed.append(path)
            reason = str(err).removeprefix(f"{path}: ")  # video errors name the file themselves
            bar.write(f"skipping {path}: {reason}", file=sys.stderr)
    bar.close()
    return done, failed


def colorize(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.style is None:
        args.style = [AUTO]
    if args.work_size is not None and not 8 <= args.work_size <= inference.MAX_WORK_SIZE:
        parser.error(f"--work-size must be in [8, {inference.MAX_WORK_SIZE}], got {args.work_size} (the network's "
                     f"memory grows with its square)")
    for flag, value, low, high in (("--alpha", args.alpha, 0, 1), ("--strength", args.strength, 0, 1),
                                   ("--saturation", args.saturation, 0, 4), ("--quality", args.quality, 1, 95)):
        if not low <= value <= high:  # NaN fails too
            parser.error(f"{flag} must be in [{low}, {high}], got {value:g}")
    if args.blend and args.style == [AUTO]:
        parser.error("--blend mixes two styles: give --style IMAGE (or natural) too")
    if (out := Path(args.out).expanduser()).exists() and not out.is_dir():
        parser.error(f"--out {args.out}: a file, not a folder (outputs keep their input's name inside it)")
    with _interruptible():
        try:
            return _colorize(args)
        except KeyboardInterrupt as stop:
            signum = stop.args[0] if stop.args else signal.SIGINT
            print(f"interrupted ({signal.Signals(signum).name}): outputs written so far are complete; nothing "
                  f"half-written is left", file=sys.stderr)
            return 128 + int(signum)


def _colorize(args) -> int:
    """``colorize`` after its arguments are checked: load the model and the style, colour every input."""
    try:
        cm = _model(args)
        latent = _style(cm, args.style)
        if args.blend:
            latent = inference.blend(latent, _latent(cm, args.blend, "--blend"), args.alpha)
    except (FileNotFoundError, ValueError) as err:  # ModelNotFound, CheckpointError and BadImage among them
        print(f"error: {err}", file=sys.stderr)
        return 2

    out_dir = Path(args.out).expanduser()
    items = _inputs(args.inputs, ".jpg" if args.format == "jpeg" else ".png")
    done, failed = _colour_all(cm, latent, items, out_dir, args)
    summary = (f"coloured {len(done)} of {len(items)} file(s) into {out_dir} with the {cm.name} model "
               f"({cm.origin}), working size {cm.work_size} px")
    if failed:
        summary += f"; {len(failed)} skipped (see above)"
    print(summary, file=sys.stderr if not done else sys.stdout)
    return 0 if done else 1


def main(argv: Sequence[str] | None = None) -> int:
    """The ``colorlib`` command (kept here for callers of ``colorlib.cli.main``; see ``colorlib.commands``)."""
    from colorlib import commands

    return commands.main(argv)

"""Colouring a video: every frame with one style latent, the frame timing and the audio track kept.

``colorize_video(cm, src, dst, latent)`` decodes ``src`` with PyAV (FFmpeg), colours each frame like a photo
(``inference.colorize_full``: the input's resolution and its own lightness) with the *same* latent, so colours
do not flicker from frame to frame the way per-frame guesses do, and encodes H.264 (MPEG-4 part 2 in AVI) at
the input's frame timing (each frame keeps its timestamp, so the frame rate, constant or not, is the input's).
The audio stream is copied packet for packet (no re-encoding), into a container of the input's kind (WebM,
whose VP8/VP9 encoders are often missing, becomes Matroska). A file FFmpeg cannot read raises ``BadVideo``
naming it; the output is written atomically, so a failure leaves no half-written video.
"""
from __future__ import annotations

import logging
import os
from fractions import Fraction
from pathlib import Path
from typing import Callable

from PIL import Image

from colorlib import files

log = logging.getLogger(__name__)

SUFFIXES = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "matroska",
            ".avi": "avi"}  # input suffix -> output container (FFmpeg muxer name)
OUT_SUFFIX = {".webm": ".mkv"}


class BadVideo(ValueError):
    """A video FFmpeg cannot open or decode, or without a video stream; the message names the file."""


def is_video(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in SUFFIXES


def output_name(path: str | os.PathLike) -> str:
    """File name of the coloured video of ``path`` (the same container kind)."""
    path = Path(path)
    return path.stem + OUT_SUFFIX.get(path.suffix.lower(), path.suffix.lower())


def _open(src: Path):
    import av

    try:
        container = av.open(str(src))
    except (av.FFmpegError, UnicodeDecodeError) as err:
        raise BadVideo(f"{src}: not a readable video ({err})") from None
    if not container.streams.video:
        container.close()
        raise BadVideo(f"{src}: no video stream")
    return container


def _video_stream(out, src_stream, fmt: str):
    codec = "mpeg4" if fmt == "avi" else "libx264"
    rate = src_stream.average_rate or src_stream.guessed_rate or Fraction(25)
    stream = out.add_stream(codec, rate=rate)
    # yuv420p (what players expect) needs even sizes: the last odd row/column is dropped.
    stream.width, stream.height = src_stream.width // 2 * 2, src_stream.height // 2 * 2
    stream.pix_fmt = "yuv420p"
    stream.time_base = src_stream.time_base
    if codec == "libx264":
        stream.options = {"crf": "18", "preset": "veryfast"}
    return stream


def _encode(out, stream, image: Image.Image, frame) -> None:
    import av

    if image.size != (stream.width, stream.height):
        image = image.crop((0, 0, stream.width, stream.height))
    new = av.VideoFrame.from_image(image)
    new.pts, new.time_base = frame.pts, frame.time_base
    for packet in stream.encode(new):
        out.mux(packet)


def _transcode(inp, out, colour: Callable[[Image.Image], Image.Image], fmt: str, bar) -> int:
    """Decode ``inp``'s first video stream, colour and encode each frame into ``out``; copy its first audio
    stream. Returns the number of frames."""
    import av

    src_v = inp.streams.video[0]
    src_a = inp.streams.audio[0] if inp.streams.audio else None
    out_v = _video_stream(out, src_v, fmt)
    out_a = out.add_stream_from_template(src_a) if src_a is not None else None
    n = 0
    for packet in inp.demux(*[s for s in (src_v, src_a) if s is not None]):
        if packet.stream is src_a:
            if packet.dts is not None:  # the demuxer's final flush packet carries no data
                packet.stream = out_a
                out.mux(packet)
            continue
        for frame in packet.decode():
            _encode(out, out_v, colour(frame.to_image()), frame)
            n += 1
            bar.update(1)
    for packet in out_v.encode(None):  # flush the encoder
        out.mux(packet)
    return n


def container_format(path: str | os.PathLike) -> str:
    """The container format PyAV writes for an output path, from its suffix (mp4 for anything unknown)."""
    return SUFFIXES.get(Path(path).suffix.lower(), "mp4")


def colorize_video(cm, src: str | os.PathLike, dst: str | os.PathLike, latent, progress: bool = True,
                   colour: Callable[[Image.Image], Image.Image] | None = None, container: str | None = None) -> dict:
    """Colour every frame of ``src`` with style ``latent`` (one latent for all frames) into ``dst``.

    ``colour``: frame (PIL RGB) -> coloured frame, default ``inference.colorize_full(cm, frame, latent)`` (the
    benchmark passes a per-frame colouring to compare); ``container``: the output format when ``dst`` is a
    temporary name without the final suffix. Returns ``{"frames", "fps", "width", "height",
    "audio"}``. Raises ``BadVideo`` naming ``src`` when it cannot be read.
    """
    import av
    from tqdm.auto import tqdm

    from colorlib import inference

    src, dst = Path(src), Path(dst)
    colour = colour or (lambda image: inference.colorize_full(cm, image, latent))
    fmt = container or container_format(dst)  # the caller names it when dst is a temporary file
    inp = _open(src)
    try:
        stream = inp.streams.video[0]
        info = {"fps": float(stream.average_rate or 0), "width": stream.width, "height": stream.height,
                "audio": bool(inp.streams.audio)}
        bar = tqdm(total=stream.frames or None, unit="frame", desc=src.name, disable=not progress, leave=False)
        with files.atomic_path(dst) as tmp, av.open(str(tmp), "w", format=fmt) as out:
            info["frames"] = _transcode(inp, out, colour, fmt, bar)
        bar.close()
    except (av.FFmpegError, EOFError) as err:
        raise BadVideo(f"{src}: cannot decode ({err})") from None
    finally:
        inp.close()
    if info["frames"] == 0:
        dst.unlink(missing_ok=True)
        raise BadVideo(f"{src}: no decodable video frame")
    log.info("%s: %d frames at %.3g fps -> %s", src, info["frames"], info["fps"], dst)
    return info


def read_frames(path: str | os.PathLike) -> tuple[list[Image.Image], dict]:
    """Every frame of a video as PIL RGB, and ``{"fps", "audio", "pts"}`` (for tests and the benchmark)."""
    container = _open(Path(path))
    with container:
        stream = container.streams.video[0]
        frames, pts = [], []
        for frame in container.decode(stream):
            frames.append(frame.to_image())
            pts.append(float(frame.pts * frame.time_base) if frame.pts is not None else None)
        return frames, {"fps": float(stream.average_rate or 0), "audio": bool(container.streams.audio),
                        "pts": pts}


def write_test_video(path: str | os.PathLike, frames: list[Image.Image], fps: int = 10, audio: bool = True,
                     codec: str = "libx264") -> Path:
    """A small video of ``frames`` (PIL images of one even size) with a 440 Hz AAC tone when ``audio``."""
    import av
    import numpy as np

    path = Path(path)
    with av.open(str(path), "w") as out:
        v = out.add_stream(codec, rate=fps)
        v.width, v.height = frames[0].size
        v.pix_fmt = "yuv420p"
        a = out.add_stream("aac", rate=44100) if audio else None
        for image in frames:
            for packet in v.encode(av.VideoFrame.from_image(image.convert("RGB"))):
                out.mux(packet)
        for packet in v.encode(None):
            out.mux(packet)
        if a is not None:
            seconds = len(frames) / fps
            t = np.arange(int(44100 * seconds)) / 44100
            tone = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            for i in range(0, tone.shape[1], 1024):
                frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(tone[:, i:i + 1024]), format="fltp",
                                                   layout="mono")
                frame.sample_rate = 44100
                for packet in a.encode(frame):
                    out.mux(packet)
            for packet in a.encode(None):
                out.mux(packet)
    return path

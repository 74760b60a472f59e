"""``colorlib colorize clip.mp4``: every frame coloured (one latent), frame count, timing and audio kept, the
lightness kept up to the codec's loss; a corrupt or truncated video gets one line naming it and the rest of the
batch carries on."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from colorlib import cli, color, video
from picker_fixture import checkpoint_env, make_photos, painting


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with checkpoint_env(tmp_path_factory.mktemp("video")) as base_env:
        root = base_env["root"]
        painting(0).save(root / "style0.png")
        make_photos(root / "frames", n=3, size=48)
        photo = Image.open(root / "frames" / "photo00.png").convert("L").resize((96, 64)).convert("RGB")
        # A slow pan over a real-looking photo: 10 frames, 10 fps, with a tone as the audio track.
        frames = [photo.transform(photo.size, Image.Transform.AFFINE, (1, 0, i, 0, 1, 0)) for i in range(10)]
        clip = video.write_test_video(root / "clip.mp4", frames, fps=10)
        good = clip.read_bytes()
        (root / "truncated.mp4").write_bytes(good[: len(good) // 3])
        (root / "corrupt.mp4").write_bytes(b"\x00not a video" * 200)
        yield {**base_env, "frames": frames, "clip": clip}


def _colorize(env, *inputs, out):
    return cli.main(["colorize", *map(str, inputs), "--style", str(env["root"] / "style0.png"), "--checkpoint",
                     str(env["stems"]["rgb"].parent), "--out", str(out), "--no-progress"])


def test_video_keeps_frames_timing_audio_and_lightness(env, tmp_path):
    assert _colorize(env, env["clip"], out=tmp_path) == 0
    frames, info = video.read_frames(tmp_path / "clip.mp4")
    source, source_info = video.read_frames(env["clip"])
    assert len(frames) == len(source) == 10 and info["fps"] == source_info["fps"] == 10
    assert info["audio"] and info["pts"] == source_info["pts"]
    assert frames[0].size == source[0].size
    for got, src in zip(frames, source):
        y_got = color.luma_bt601(np.asarray(got, dtype=np.float64) / 255)
        y_src = color.luma_bt601(np.asarray(src, dtype=np.float64) / 255)
        assert np.abs(y_got - y_src).mean() < 3 / 255  # H.264 at crf 18, twice: a few levels at most


@pytest.mark.parametrize("bad", ["corrupt.mp4", "truncated.mp4"])
def test_bad_video_gets_one_line_and_the_batch_carries_on(env, tmp_path, capsys, bad):
    code = _colorize(env, env["root"] / bad, env["root"] / "style0.png", out=tmp_path)
    err = capsys.readouterr().err
    if bad == "corrupt.mp4":
        assert code == 0 and f"skipping {env['root'] / bad}: not a readable video" in err  # named once
        assert not (tmp_path / bad).exists()
    else:  # FFmpeg decodes what is there of a truncated file, or says which file it cannot read
        assert code == 0 and ((tmp_path / bad).exists() or f"skipping {env['root'] / bad}" in err)
    assert (tmp_path / "style0.png").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no half-written video left


def test_one_latent_for_every_frame(env, tmp_path, monkeypatch):
    from colorlib import inference

    seen = []
    real = inference.colorize_full
    monkeypatch.setattr(inference, "colorize_full", lambda cm, im, z, *a: seen.append(z) or real(cm, im, z, *a))
    assert _colorize(env, env["clip"], out=tmp_path) == 0
    assert len(seen) == 10 and all(z is seen[0] for z in seen)

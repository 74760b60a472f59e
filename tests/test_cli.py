"""``python -m colorlib colorize``: any size and mode of input, folders, output resolution and exact lightness,
blending, and one clear line per bad input while the rest carries on.

Lightness is the model space's: BT.601 luma Y' for the RGB model, CIE L* for the LAB model. The tolerance is
the 8-bit rounding of the output (0.5/255 in Y'; about 0.26 L* at worst, see colorlib.picker)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from colorlib import cli, color, data, inference, runs
from colorlib.config import TrainConfig
from picker_fixture import checkpoint_env, make_photos, painting

ROOT = Path(__file__).resolve().parents[1]
TOL = {"rgb": 0.5 / 255 + 1e-6, "lab": 0.27}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with checkpoint_env(tmp_path_factory.mktemp("cli")) as base_env:
        root = base_env["root"]
        painting(0).save(root / "style0.png")
        painting(1).save(root / "style1.jpg")
        inputs = root / "inputs"
        (inputs / "sub").mkdir(parents=True)
        make_photos(root / "base", n=1, size=40)
        base = Image.open(root / "base" / "photo00.png").convert("RGB").resize((333, 177), Image.Resampling.BICUBIC)
        base.convert("L").save(inputs / "gray.jpg", quality=90)
        base.convert("CMYK").save(inputs / "cmyk.jpg")
        base.convert("P").save(inputs / "sub" / "palette.png")
        rgba = base.convert("RGBA")
        rgba.putalpha(128)
        rgba.save(inputs / "sub" / "alpha.png")
        Image.fromarray((np.asarray(base.convert("L")).astype(np.uint16) * 257)).save(inputs / "sub" / "grey16.png")
        base.save(inputs / "big.webp")
        yield {**base_env, "inputs": inputs}


def _light(image, space):
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64) / 255
    return color.luma_bt601(rgb) if space == "rgb" else color.rgb_to_lab(rgb)[..., 0]


def _run(env, *args, checkpoint="rgb"):
    argv = ["colorize", *map(str, args)]
    if checkpoint:
        argv += ["--checkpoint", str(env["stems"][checkpoint].parent), "--natural-from", str(env["photos"])]
    return cli.main(argv)


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_folder_of_any_modes_keeps_resolution_and_lightness(env, space, tmp_path, capsys):
    out = tmp_path / "out"
    assert _run(env, env["inputs"], "--style", env["root"] / "style0.png", "--out", out, checkpoint=space) == 0
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.png"))
    assert written == ["big.png", "cmyk.png", "gray.png", "sub/alpha.png", "sub/grey16.png", "sub/palette.png"]
    for src in env["inputs"].rglob("*.*"):
        result = Image.open(out / src.relative_to(env["inputs"]).with_suffix(".png"))
        decoded = data.open_rgb(src)  # what the input is, once decoded (CMYK, palette, alpha, 16-bit converted)
        assert result.size == decoded.size == (333, 177) and result.mode == "RGB"
        err = np.abs(_light(result, space) - _light(decoded, space)).max()
        assert err <= TOL[space], f"{src.name}: lightness differs by {err}"
        assert np.asarray(result, dtype=float).std(-1).mean() > 1, f"{src.name}: result is grey"
    assert "coloured 6 of 6 file(s)" in capsys.readouterr().out


def test_large_image_is_processed_at_working_size_and_kept_full_size(env, tmp_path):
    big = Image.open(env["inputs"] / "big.webp").resize((2400, 1600), Image.Resampling.BICUBIC)
    big.save(tmp_path / "large.png")
    assert _run(env, tmp_path / "large.png", "--style", "natural", "--out", tmp_path / "out") == 0
    result = Image.open(tmp_path / "out" / "large.png")
    assert result.size == (2400, 1600)
    assert np.abs(_light(result, "rgb") - _light(big, "rgb")).max() <= TOL["rgb"]


def test_bad_inputs_are_reported_one_line_each_and_the_rest_continues(env, tmp_path, capsys):
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    Image.open(env["inputs"] / "gray.jpg").save(mixed / "good.jpg")
    raw = (env["inputs"] / "cmyk.jpg").read_bytes()
    (mixed / "truncated.jpg").write_bytes(raw[: len(raw) // 3])
    (mixed / "notes.txt").write_text("not an image")
    Image.new("RGB", (10, 10)).save(mixed / "tiny.png")
    code = _run(env, mixed, tmp_path / "missing.jpg", "--style", env["root"] / "style0.png", "--out", tmp_path / "o")
    assert code == 0
    captured = capsys.readouterr()
    err = captured.err
    for name, reason in (("truncated.jpg", "truncated"), ("notes.txt", "not an image"),
                         ("missing.jpg", "no such file")):
        line = next(line for line in err.splitlines() if line.startswith("skipping") and name in line)
        assert reason in line
    assert (tmp_path / "o" / "good.png").exists()
    assert Image.open(tmp_path / "o" / "tiny.png").size == (10, 10)  # small images are up-sampled for the network
    assert "coloured 2 of 5 file(s)" in captured.out and "3 skipped" in captured.out


def test_nothing_coloured_exits_non_zero(env, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("x")
    assert _run(env, tmp_path / "notes.txt", "--style", env["root"] / "style0.png", "--out", tmp_path / "o") == 1
    assert "coloured 0 of 1" in capsys.readouterr().err


def test_usage_errors_are_clear(env, tmp_path, capsys):
    style = env["root"] / "style0.png"
    src = env["inputs"] / "gray.jpg"
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0 nope")
    assert _run(env, src, "--style", tmp_path / "bad.jpg", "--out", tmp_path / "o") == 2
    assert "error: --style" in capsys.readouterr().err
    assert _run(env, src, "--style", tmp_path / "absent.png", "--out", tmp_path / "o") == 2
    assert "no such file" in capsys.readouterr().err
    assert cli.main(["colorize", str(src), "--style", str(style), "--checkpoint", str(style),
                     "--out", str(tmp_path / "o")]) == 2
    assert "not a checkpoint" in capsys.readouterr().err
    assert cli.main(["frobnicate"]) == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_checkpoint_of_another_model_gives_the_mismatch_error(env, tmp_path, capsys):
    from colorlib import checkpoint as ck
    from colorlib import models

    other = models.build_model(models.ModelConfig.preset("final", widths="full"))
    ck.save_checkpoint(tmp_path / "other", ck.module_tensors(other, "model."),
                       {"config": TrainConfig(size=32).to_dict()})  # says "quarter", holds "full"
    code = cli.main(["colorize", str(env["inputs"] / "gray.jpg"), "--style", "natural", "--checkpoint",
                     str(tmp_path / "other.safetensors"), "--out", str(tmp_path / "o")])
    assert code == 2
    err = capsys.readouterr().err
    assert "does not fit the model" in err and "mis-shaped" in err


def test_with_profile_it_finds_the_report_model_or_names_the_command(env, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(runs, "find_run", lambda cfg, **kw: None)
    code = cli.main(["colorize", str(env["inputs"] / "gray.jpg"), "--style", "natural", "--profile", "report",
                     "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "make report" in err and "--checkpoint" in err
    # With a finished run in the cache, it is used (here: the fixture's model stands in for the report's).
    run = inference.load_checkpoint(env["stems"]["lab"], natural=False).run
    monkeypatch.setattr(inference, "load_models", lambda profile, **kw: {"LAB": inference.from_run(run, natural=False)})
    code = cli.main(["colorize", str(env["inputs"] / "gray.jpg"), "--style", str(env["root"] / "style0.png"),
                     "--model", "lab", "--profile", "report", "--out", str(tmp_path / "o")])
    assert code == 0 and (tmp_path / "o" / "gray.png").exists()


def test_blend_alpha_interpolates_between_the_two_styles(env, tmp_path):
    src, a, b = env["inputs"] / "gray.jpg", env["root"] / "style0.png", env["root"] / "style1.jpg"
    outs = {}
    for name, extra in (("a", []), ("b", ["--style", b]), ("a0", ["--blend", b, "--alpha", 0]),
                        ("a1", ["--blend", b, "--alpha", 1]), ("mid", ["--blend", b, "--alpha", 0.3])):
        style = [] if name == "b" else ["--style", a]
        assert _run(env, src, *style, *extra, "--out", tmp_path / name) == 0
        outs[name] = np.asarray(Image.open(tmp_path / name / "gray.png"), dtype=float)
    assert np.array_equal(outs["a0"], outs["a"]) and np.array_equal(outs["a1"], outs["b"])
    assert np.abs(outs["a"] - outs["b"]).mean() > 1
    assert 0 < np.abs(outs["mid"] - outs["a"]).mean() < np.abs(outs["b"] - outs["a"]).mean()


def test_same_names_do_not_overwrite_each_other_or_the_input(env, tmp_path):
    folder = tmp_path / "same"
    folder.mkdir()
    Image.open(env["inputs"] / "gray.jpg").save(folder / "a.jpg")
    Image.open(env["inputs"] / "gray.jpg").save(folder / "a.png")
    original = (folder / "a.png").read_bytes()
    assert _run(env, folder, "--style", "natural", "--out", folder) == 0
    assert (folder / "a.png").read_bytes() == original  # the input is never overwritten
    assert sorted(p.name for p in folder.iterdir()) == ["a-1.png", "a-2.png", "a.jpg", "a.png"]


@pytest.mark.slow
def test_python_dash_m_entry_point(env, tmp_path):
    env_vars = dict(os.environ, COLORLIB_CACHE=str(env["root"] / "cache"))
    result = subprocess.run([sys.executable, "-m", "colorlib", "colorize", str(env["inputs"] / "gray.jpg"),
                             "--style", str(env["root"] / "style0.png"), "--checkpoint",
                             str(env["stems"]["rgb"]), "--out", str(tmp_path)],
                            cwd=ROOT, env=env_vars, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "wrote" in result.stdout and (tmp_path / "gray.png").exists()
    help_ = subprocess.run([sys.executable, "-m", "colorlib", "--help"], cwd=ROOT, capture_output=True, text=True,
                           timeout=120)
    assert help_.returncode == 0 and "colorize" in help_.stdout

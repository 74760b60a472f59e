"""``colorlib colorize`` knobs on a real image: weighted styles, strength, saturation, device, JPEG output; a bad
weight, a missing style and an unknown or absent device get one line and exit 2."""
import numpy as np
import pytest
import torch
from PIL import Image

from colorlib import cli, inference
from picker_fixture import checkpoint_env, make_photos, painting


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with checkpoint_env(tmp_path_factory.mktemp("knobs")) as base:
        root = base["root"]
        painting(0).save(root / "a.png")
        painting(1).save(root / "b.png")
        make_photos(root / "in", n=1, size=40)
        yield {**base, "photo": root / "in" / "photo00.png"}


def _run(env, out, *extra):
    return cli.main(["colorize", str(env["photo"]), "--checkpoint", str(env["stems"]["rgb"].parent),
                     "--out", str(out), "--no-progress", *map(str, extra)])


def _arr(path):
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.int16)


def test_weighted_styles_are_the_mixed_latent(env, tmp_path):
    a, b = env["root"] / "a.png", env["root"] / "b.png"
    assert _run(env, tmp_path / "w", "--style", f"{a}:0.7", "--style", f"{b}:0.3") == 0
    cm = inference.load_checkpoint(env["stems"]["rgb"].parent, natural=False)
    z = 0.7 * cm.style_latent(Image.open(a)) + 0.3 * cm.style_latent(Image.open(b))
    expected = np.asarray(inference.colorize_full(cm, Image.open(env["photo"]), z), dtype=np.int16)
    assert np.abs(_arr(tmp_path / "w" / "photo00.png") - expected).max() <= 1


def test_saturation_zero_is_grey_and_strength_zero_is_natural(env, tmp_path):
    a = env["root"] / "a.png"
    assert _run(env, tmp_path / "s", "--style", a, "--saturation", 0) == 0
    grey = _arr(tmp_path / "s" / "photo00.png")
    assert np.abs(grey - grey[..., :1]).max() <= 1
    # the tiny model was trained on a temporary folder, so its "natural" style is "no style", with a warning
    with pytest.warns(UserWarning, match="natural colours: .* so the default style is 'no style'"):
        assert _run(env, tmp_path / "n", "--style", "natural") == 0
    with pytest.warns(UserWarning, match="natural colours"):
        assert _run(env, tmp_path / "z", "--style", a, "--strength", 0) == 0
    assert np.abs(_arr(tmp_path / "z" / "photo00.png") - _arr(tmp_path / "n" / "photo00.png")).max() <= 1


def test_jpeg_output_and_auto_device(env, tmp_path):
    assert _run(env, tmp_path, "--style", env["root"] / "a.png", "--format", "jpeg", "--quality", 80,
                "--device", "auto") == 0
    assert Image.open(tmp_path / "photo00.jpg").format == "JPEG"


@pytest.mark.parametrize("extra,message", [
    (["--style", "a.png:-1"], "weights must be >= 0"),
    (["--style", "absent.png"], "no such file"),
    (["--style", "a.png", "--device", "tpu"], "invalid choice"),
] + ([] if torch.cuda.is_available() else [(["--style", "a.png", "--device", "cuda"], "CUDA is not available")]))
def test_bad_options_get_one_line_and_exit_2(env, tmp_path, capsys, extra, message, monkeypatch):
    monkeypatch.chdir(env["root"])
    assert _run(env, tmp_path, *extra) == 2
    assert message in capsys.readouterr().err

"""colorlib.picker: lightness-keeping recombination, full-resolution colourisation, model lookup, and the
StylePicker's callbacks called directly (no browser, no kernel).

Models are built by tests/picker_fixture.py (the final architecture with random, style-sensitive AdaIN) and a
tiny folder of synthetic photos in a temporary cache; nothing here depends on the report's trained models.
"""
from __future__ import annotations

import datetime as dt
import io
import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from colorlib import color, picker, train
from colorlib.checkpoint import CheckpointError
from picker_fixture import checkpoint_env, painting

# 8-bit rounding of each channel moves Y' by at most 0.5/255, and L* by at most ~0.26 (first-order bound over
# the 8-bit sRGB cube, reached for dark saturated colours); a little float slack on top.
TOL = {"rgb": 0.5 / 255 + 1e-6, "lab": 0.27}
SHARED_CACHE = os.environ.get("COLORLIB_CACHE")  # the module fixture points COLORLIB_CACHE at a temporary one


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with checkpoint_env(tmp_path_factory.mktemp("picker")) as base_env:
        stems = base_env["stems"]
        models = {cm.name: cm for cm in (picker.load_checkpoint(stems[s]) for s in ("rgb", "lab"))}
        yield {**base_env, "models": models}


def _paintings(n=3):
    return [(f"painting {i}", painting(i)) for i in range(n)]


def _photo(size=(96, 64), seed=0):
    gen = np.random.default_rng(seed)
    small = gen.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    return Image.fromarray(small).resize(size, Image.Resampling.BICUBIC)


def _light(image, space):
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64) / 255
    return color.luma_bt601(rgb) if space == "rgb" else color.rgb_to_lab(rgb)[..., 0]


# ----------------------------------------------------------------------------------------- image maths
@pytest.mark.parametrize("space", ["rgb", "lab", "luv"])
def test_combine_keeps_lightness_exactly_and_stays_in_gamut(space):
    gen = torch.Generator().manual_seed(0)
    top = 1.0 if space == "rgb" else 100.0
    light = torch.rand(1, 1, 40, 40, generator=gen) * top
    chroma = (torch.rand(1, 2, 40, 40, generator=gen) - 0.5) * (2.0 if space == "rgb" else 300.0)  # far out of gamut
    rgb = picker.combine(light, chroma, space)
    assert rgb.min() >= 0 and rgb.max() <= 1
    err = (picker.lightness(rgb, space) - light).abs().max().item()
    assert err < (1e-5 if space == "rgb" else 2e-3), err


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_combine_leaves_in_gamut_colours_alone(space):
    rgb = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    light = picker.lightness(rgb, space)
    if space == "rgb":
        chroma = torch.cat([rgb[:, :1] - light, rgb[:, 2:] - light], 1)
    else:
        chroma = color.rgb_to_lab(rgb)[:, 1:]
    assert torch.allclose(picker.combine(light, chroma, space), rgb, atol=1e-4)


def test_strip_upsampling_equals_whole_image_interpolation():
    chroma = torch.randn(1, 2, 7, 9)
    full = F.interpolate(chroma, size=(61, 50), mode="bilinear", align_corners=False)
    wide = picker._upsample_width(chroma, 50)
    strips = torch.cat([picker._rows_bilinear(wide, torch.arange(r, min(61, r + 13)), 61) for r in range(0, 61, 13)], -2)
    assert torch.allclose(strips, full, atol=1e-6)


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_colorize_full_keeps_size_and_lightness(env, space, monkeypatch):
    cm = env["models"][space.upper()]
    image = _photo((257, 131)).convert("L")  # odd size, grey input
    latent = cm.style_latent(painting(0))
    whole = picker.colorize_full(cm, image, latent)
    monkeypatch.setattr(picker, "STRIP_PIXELS", 257 * 10)  # many strips
    stripped = picker.colorize_full(cm, image, latent)
    assert whole.size == image.size == stripped.size and whole.mode == "RGB"
    assert np.array_equal(np.asarray(whole), np.asarray(stripped))
    assert np.abs(_light(whole, space) - _light(image, space)).max() <= TOL[space]
    chroma = np.asarray(whole, dtype=float).std(-1).mean()
    assert chroma > 1, "the result should not be grey"


# ------------------------------------------------------------------------------------------- models
def test_natural_latent_is_the_mean_training_latent(env):
    from colorlib import data

    cm = env["models"]["RGB"]
    cfg = cm.run.config
    records = data.load_images(cfg.source, "photos", "train", cfg.size, progress=False)
    ds = data.ColorDataset(records, crop=cfg.size, train=False)
    rgb = torch.stack([ds[i]["rgb"] for i in range(len(ds))])
    with torch.no_grad():
        expected = cm.model.encode_style(rgb).mean(0, keepdim=True)
    assert cm.natural is not None and torch.allclose(cm.natural, expected, atol=1e-5)


def test_load_models_says_which_command_makes_the_missing_model(monkeypatch):
    monkeypatch.setattr(train, "find_run", lambda cfg, **kw: None)
    with pytest.raises(picker.ModelNotFound) as err:
        picker.load_models("report")
    msg = str(err.value)
    assert "make report" in msg and "python -m colorlib.report --only 03" in msg and "--checkpoint" in msg


def test_load_checkpoint_accepts_folder_stem_and_file(env):
    stem = env["stems"]["rgb"]
    for path in (stem.parent, stem, stem.with_suffix(".safetensors"), stem.with_suffix(".json")):
        cm = picker.load_checkpoint(path, natural=False)
        assert cm.name == "RGB" and cm.work_size == 32


def test_load_checkpoint_refuses_what_it_cannot_use(env, tmp_path):
    from colorlib import checkpoint as ck
    from colorlib import models

    bad = tmp_path / "photo.png"
    painting(0).save(bad)
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        picker.load_checkpoint(bad)
    # A checkpoint whose tensors are of another model than its config says: the mismatch is named.
    cfg = train.TrainConfig(size=32)
    other = models.build_model(models.ModelConfig.preset("final", latent_dim=16))
    ck.save_checkpoint(tmp_path / "other", ck.module_tensors(other, "model."), {"config": cfg.to_dict()})
    with pytest.raises(CheckpointError, match="does not fit"):
        picker.load_checkpoint(tmp_path / "other", natural=False)
    # The UNet baseline takes no style.
    base = train.TrainConfig(mode="baseline", size=32)
    unet = models.build_model(base.model)
    ck.save_checkpoint(tmp_path / "unet", ck.module_tensors(unet, "model."), {"config": base.to_dict()})
    with pytest.raises(ValueError, match="takes no style"):
        picker.load_checkpoint(tmp_path / "unet", natural=False)
    with pytest.raises(FileNotFoundError):
        picker.load_checkpoint(tmp_path / "nothing")


def test_blend_interpolates_and_handles_no_style():
    a, b = torch.zeros(1, 4), torch.ones(1, 4)
    assert torch.equal(picker.blend(a, b, 0.0), a) and torch.equal(picker.blend(a, b, 1.0), b)
    assert torch.allclose(picker.blend(a, b, 0.3), torch.full((1, 4), 0.3))
    assert picker.blend(None, b, 0.2) is None and torch.equal(picker.blend(None, b, 0.7), b)


# ----------------------------------------------------------------------------------------- the app
@pytest.fixture
def app(env, tmp_path):
    return picker.StylePicker(env["models"], [("photo A", _photo()), ("photo B", _photo(seed=1))], _paintings(),
                              out_dir=tmp_path / "saved")


def _arr(image):
    return np.asarray(image, dtype=float)


def test_default_style_is_natural_colours(app):
    assert app.style_key == "natural" and app.style_title() == picker.NATURAL
    assert app.result is not None and app.result_png.startswith(b"\x89PNG")
    assert torch.equal(app.current_latent(), app.model.natural)
    for key in ("gray", "style", "result"):
        assert bytes(app.w[key].value).startswith(b"\x89PNG")
    assert "natural colours" in app.status and "ms" in app.status


def test_picking_paintings_changes_the_result(app):
    natural = _arr(app.result)
    app.pick_style(0)
    first = _arr(app.result)
    app.pick_style(1)
    second = _arr(app.result)
    assert np.abs(first - natural).mean() > 1 and np.abs(second - first).mean() > 1
    assert app.w["style_buttons"]["painting:1"].button_style == "info"
    assert app.w["style_buttons"]["painting:0"].button_style == ""


def test_style_panel_follows_style_and_blend(app):
    app.pick_style(0)
    single = bytes(app.w["style"].value)
    app.set_blend("painting:1")
    app.set_alpha(0.5)
    blended = bytes(app.w["style"].value)
    app.set_alpha(0.7)  # a slider move: the same panel
    assert bytes(app.w["style"].value) == blended != single
    wide, narrow = (Image.open(io.BytesIO(b)) for b in (blended, single))
    assert wide.width > narrow.width  # two tiles side by side
    app.set_alpha(0.0)
    assert bytes(app.w["style"].value) == single
    app.pick_style(1)
    assert bytes(app.w["style"].value) != single


def test_button_clicks_and_slider_drive_the_callbacks(app):
    app.w["style_buttons"]["painting:2"].click()
    assert app.style_key == "painting:2"
    app.w["content_buttons"][1].click()
    assert app.content_index == 1 and "photo B" in app.status
    app.w["blend"].value = "painting:0"
    before = _arr(app.result)
    app.w["alpha"].value = 0.6  # what dragging the slider does
    assert app.alpha == 0.6 and np.abs(_arr(app.result) - before).mean() > 0.1
    app.w["model"].value = "LAB"
    assert app.model_name == "LAB" and "LAB model" in app.status


def test_blend_endpoints_match_the_single_styles(app):
    app.pick_style(0)
    only_a = _arr(app.result)
    app.pick_style(1)
    only_b = _arr(app.result)
    app.pick_style(0)
    app.set_blend(1)
    app.set_alpha(0.0)
    assert np.array_equal(_arr(app.result), only_a)
    app.set_alpha(1.0)
    assert np.array_equal(_arr(app.result), only_b)
    app.set_alpha(0.5)
    mid = _arr(app.result)
    assert not np.array_equal(mid, only_a) and not np.array_equal(mid, only_b)
    assert "blended with painting 1 (0.50)" in app.status


def test_style_latents_are_cached(app, monkeypatch):
    calls = []
    for cm in app.models.values():
        original = cm.style_latent
        monkeypatch.setattr(cm, "style_latent", lambda im, f=original: calls.append(1) or f(im))
    app.pick_style(0)
    app.pick_style(1)
    app.set_blend(0)
    for a in (0.1, 0.4, 0.9):
        app.set_alpha(a)
    assert len(calls) == 2


def _upload(image, name="up.jpg", fmt="JPEG"):
    buf = io.BytesIO()
    image.save(buf, format=fmt)
    # ipywidgets 8 FileUpload value: a tuple of dicts whose content is a memoryview
    return ({"name": name, "type": f"image/{fmt.lower()}", "size": buf.tell(), "content": memoryview(buf.getvalue()),
             "last_modified": dt.datetime.now(dt.timezone.utc)},)


def test_upload_content_any_mode_and_save_full_resolution(app, tmp_path):
    big = _photo((600, 410), seed=3).convert("CMYK")
    app.w["content_upload"].value = _upload(big, "holiday.jpg")  # as the browser sets it
    assert app.content_index == 2 and app.contents[2].name == "holiday.jpg"
    assert max(app.result.size) == picker.DISPLAY_SIZE
    app.pick_style(1)
    path = app.save()
    assert path.parent == tmp_path / "saved" and path.suffix == ".png"
    saved = Image.open(path)
    assert saved.size == (600, 410)
    decoded = app.contents[2].full
    assert np.abs(_light(saved, "rgb") - _light(decoded, "rgb")).max() <= TOL["rgb"]
    assert "download" in app.w["saved"].value


def test_bad_upload_gives_a_message_not_an_exception(app):
    before = (app.content_index, len(app.contents))
    app.w["content_upload"].value = ({"name": "notes.txt", "type": "text/plain", "size": 19,
                                      "content": memoryview(b"not an image at all"),
                                      "last_modified": dt.datetime.now(dt.timezone.utc)},)
    assert "could not read the uploaded photo" in app.status and "not an image" in app.status
    assert (app.content_index, len(app.contents)) == before
    assert app.upload_style(("broken.jpg", b"\xff\xd8\xff\xe0 truncated")) is False
    assert "could not read the uploaded style image" in app.status


def test_upload_style_becomes_the_style_and_a_blend_option(app):
    assert app.upload_style(("mine.png", _upload(painting(7), fmt="PNG")[0]["content"].tobytes()))
    assert app.style_key.startswith("upload:") and "upload mine.png" in app.status
    assert app.style_key in [v for _, v in app.w["blend"].options]


def test_picker_without_content_asks_for_one(env):
    app = picker.StylePicker(env["models"], [], _paintings(1))
    assert app.result is None and "upload a photo" in app.status
    assert app.upload_content(("p.png", _upload(_photo(), fmt="PNG")[0]["content"].tobytes()))
    assert app.result is not None


def test_benchmark_update_reports_latency(env):
    out = picker.benchmark_update(models=env["models"], size=64, reps=2)
    assert set(out["models"]) == {"RGB", "LAB"}
    assert all(m["median_ms"] > 0 for m in out["models"].values())  # the number itself is never asserted


@pytest.fixture
def shared_cache(monkeypatch):
    """Undo the module fixture's temporary COLORLIB_CACHE: the smoke profile's data and runs live in the shared
    cache (`make test` prepares the data)."""
    if SHARED_CACHE:
        monkeypatch.setenv("COLORLIB_CACHE", SHARED_CACHE)
    else:
        monkeypatch.delenv("COLORLIB_CACHE", raising=False)


def test_bench_picker_script_runs(tmp_path, capsys, shared_cache):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_picker.py"
    spec = importlib.util.spec_from_file_location("bench_picker", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--reps", "1", "--size", "32", "--profile", "smoke", "--json", str(tmp_path / "b.json")]) == 0
    assert "median ms" in capsys.readouterr().out and (tmp_path / "b.json").exists()


@pytest.mark.slow
def test_load_models_smoke_profile_finds_or_trains_both(shared_cache):
    models = picker.load_models("smoke", train_missing=True)
    assert set(models) == {"RGB", "LAB"}
    assert all(m.natural is not None and m.work_size == 32 for m in models.values())

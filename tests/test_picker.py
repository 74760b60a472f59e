"""colorlib.picker: the StylePicker's callbacks called directly (no browser, no kernel), its widgets, and its
latency benchmark.

Models are built by tests/picker_fixture.py (the final architecture with random, style-sensitive AdaIN) and a
tiny folder of synthetic photos in a temporary cache; nothing here depends on the report's trained models.
"""
from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
import torch
from PIL import Image

from colorlib import inference, picker
from picker_fixture import TOL, light, model_env, painting, photo, shared_cache  # noqa: F401  (fixtures)


def _paintings(n=3):
    return [(f"painting {i}", painting(i)) for i in range(n)]


# ----------------------------------------------------------------------------------------- the app
@pytest.fixture
def app(model_env, tmp_path):
    return picker.StylePicker(model_env["models"], [("photo A", photo()), ("photo B", photo(seed=1))], _paintings(),
                              out_dir=tmp_path / "saved")


def _arr(image):
    return np.asarray(image, dtype=float)


def test_default_style_is_natural_colours(app):
    assert app.style_key == "natural" and app.style_title() == inference.NATURAL
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
    big = photo((600, 410), seed=3).convert("CMYK")
    app.w["content_upload"].value = _upload(big, "holiday.jpg")  # as the browser sets it
    assert app.content_index == 2 and app.contents[2].name == "holiday.jpg"
    assert max(app.result.size) == picker.DISPLAY_SIZE
    app.pick_style(1)
    path = app.save()
    assert path.parent == tmp_path / "saved" and path.suffix == ".png"
    saved = Image.open(path)
    assert saved.size == (600, 410)
    decoded = app.contents[2].full
    assert np.abs(light(saved, "rgb") - light(decoded, "rgb")).max() <= TOL["rgb"]
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


def test_picker_without_content_asks_for_one(model_env):
    app = picker.StylePicker(model_env["models"], [], _paintings(1))
    assert app.result is None and "upload a photo" in app.status
    assert app.upload_content(("p.png", _upload(photo(), fmt="PNG")[0]["content"].tobytes()))
    assert app.result is not None


def test_benchmark_update_reports_latency(model_env):
    out = picker.benchmark_update(models=model_env["models"], size=64, reps=2)
    assert set(out["models"]) == {"RGB", "LAB"}
    assert all(m["median_ms"] > 0 for m in out["models"].values())  # the number itself is never asserted


def test_bench_picker_script_runs(tmp_path, capsys, shared_cache):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_picker.py"
    spec = importlib.util.spec_from_file_location("bench_picker", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--reps", "1", "--size", "32", "--profile", "smoke", "--json", str(tmp_path / "b.json")]) == 0
    assert "median ms" in capsys.readouterr().out and (tmp_path / "b.json").exists()


def test_bench_picker_falls_back_to_the_shipped_models(tmp_path, capsys, monkeypatch):
    """A fresh clone has no trained report models: the benchmark times what its picker colours with, the shipped
    models, not an untrained network."""
    import importlib.util
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_picker.py"
    spec = importlib.util.spec_from_file_location("bench_picker", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)

    def nothing_trained(*args, **kwargs):
        raise inference.ModelNotFound("no trained model")

    monkeypatch.setattr(bench.inference, "load_models", nothing_trained)
    assert bench.main(["--reps", "1", "--size", "32", "--json", str(tmp_path / "b.json")]) == 0
    written = json.loads((tmp_path / "b.json").read_text())
    assert written["origin"].startswith("the shipped models (RGB, LAB, automatic")
    assert {r["model"] for r in written["rows"]} == {"RGB", "LAB", "automatic"}

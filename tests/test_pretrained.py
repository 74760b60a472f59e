"""Shipped models (``colorlib.pretrained``): the Hugging Face layout in half precision, loaded without pickles,
data sets or run keys; the command line's and the picker's default models; the automatic mode."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file

from colorlib import cli, inference, models, picker, pretrained
from colorlib.config import TrainConfig
from colorlib.runs import Run
from picker_fixture import checkpoint_env, make_photos, painting

ROOT = Path(__file__).resolve().parents[1]


def _unet_run(folder: Path) -> Run:
    torch.manual_seed(1)
    cfg = TrainConfig(mode="baseline", model=models.ModelConfig.preset("final", adain=False), size=32, epochs=1)
    return Run(models.build_model(cfg.model).eval(), [], folder, True, cfg, None, "unet-key", "best", {})


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """An RGB, a LAB and an automatic (UNet) model exported in the shipped layout to a private models folder."""
    with checkpoint_env(tmp_path_factory.mktemp("pretrained")) as env:
        root = env["root"]
        out = root / "models"
        for purpose, stem in (("rgb", env["stems"]["rgb"]), ("lab", env["stems"]["lab"])):
            run = inference.load_checkpoint(stem, natural=False).run
            model = pretrained.from_run(run, torch.randn(run.config.model.latent_dim), {"source": "test"})
            pretrained.export(model, out / pretrained.SHIPPED[purpose],
                              pretrained.model_card(pretrained.SHIPPED[purpose], "test.", model,
                                                    [{"mode": "x", "PSNR": "1 dB"}], {"CC-BY-4.0": 3}, "none"))
        unet = pretrained.from_run(_unet_run(root), None, auto="none")
        pretrained.export(unet, out / "colorlib-auto", "card")
        painting(0).save(root / "style0.png")
        make_photos(root / "in", n=1, size=40)
        yield {**env, "models": out}


def test_layout_half_precision_and_card(shipped):
    folder = shipped["models"] / "colorlib-lab"
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    tensors = load_file(str(folder / "model.safetensors"))
    assert {t.dtype for t in tensors.values() if t.is_floating_point()} == {torch.float16}
    config = json.loads((folder / "config.json").read_text())
    assert config["model"]["space"] == "lab" and config["train_size"] == 32 and config["auto"] == "natural"
    assert len(config["natural"]) == config["model"]["latent_dim"]
    card = (folder / "README.md").read_text()
    assert card.startswith("---\nlibrary_name: colorlib") and "CC-BY-4.0 (3)" in card and "| x | 1 dB |" in card


def test_exporting_the_same_model_again_writes_the_same_bytes(shipped, tmp_path):
    """A warm report re-run exports the shipped models again: the files must not change (they did when the
    safetensors metadata had two keys, written in random order)."""
    model = pretrained.load(shipped["models"] / "colorlib-lab")
    files = set()
    for i in range(12):  # two keys in random order: 12 equal writes by chance had odds 1 in 2048
        pretrained.export(model, tmp_path / str(i), "card")
        files.add((tmp_path / str(i) / "model.safetensors").read_bytes())
    assert len(files) == 1


def test_round_trip_matches_the_fp32_model_within_half_precision(shipped):
    run = inference.load_checkpoint(shipped["stems"]["rgb"], natural=False).run
    back = pretrained.load(shipped["models"] / "colorlib-rgb")
    x = torch.rand(2, 1, 32, 32)
    z = back.natural.expand(2, -1)
    with torch.no_grad():
        diff = (back.colorizer(x, z) - run.model(x, z)).abs().max().item()
    assert back.colorizer.training is False and 0 < diff < 5e-3  # fp16 weights: close, not identical


def test_pickled_weights_are_refused(tmp_path, shipped):
    folder = tmp_path / "pickled"
    folder.mkdir()
    (folder / "config.json").write_text((shipped["models"] / "colorlib-rgb" / "config.json").read_text())
    torch.save({"x": torch.zeros(1)}, folder / "pytorch_model.bin")
    with pytest.raises(FileNotFoundError, match="never loads pickled"):
        pretrained.load(folder)


def test_a_hub_id_downloads_the_same_files(shipped, monkeypatch):
    """``load("user/repo")`` asks huggingface_hub for model.safetensors (here a local stand-in for the hub)."""
    asked = []

    def fake_download(repo_id, filename, **kw):
        asked.append((repo_id, filename))
        return str(shipped["models"] / "colorlib-rgb" / filename)

    monkeypatch.setattr(pretrained, "hf_hub_download", fake_download)
    import huggingface_hub.hub_mixin as mixin

    monkeypatch.setattr(mixin, "hf_hub_download", fake_download)
    model = pretrained.load("someone/colorlib-rgb")
    assert ("someone/colorlib-rgb", "model.safetensors") in asked and model.colorizer.cfg.space == "rgb"


def test_a_missing_folder_or_an_unreachable_hub_id_is_named(tmp_path, monkeypatch):
    """A folder that is not there is not sent to the hub as an id; an id the hub does not give (here a stand-in
    for a machine without a network) is named with the hub's reason."""
    for folder in (tmp_path / "missing", "./missing/model", "~/no-such-colorlib-model"):
        with pytest.raises(FileNotFoundError, match=f"^{re.escape(str(folder))}: no such model folder$"):
            pretrained.load(folder)
    from huggingface_hub.errors import LocalEntryNotFoundError
    import huggingface_hub.hub_mixin as mixin

    def offline(repo_id, filename, **kw):
        raise LocalEntryNotFoundError("cannot find the requested files in the local cache")

    monkeypatch.setattr(pretrained, "hf_hub_download", offline)
    monkeypatch.setattr(mixin, "hf_hub_download", offline)
    with pytest.raises(FileNotFoundError, match="^someone/colorlib-rgb: not a model folder here, and the Hugging Face "
                                                r"hub did not give it \(cannot find the requested files"):
        pretrained.load("someone/colorlib-rgb")


def test_wrong_auto_and_purpose_are_refused():
    with pytest.raises(ValueError, match="auto must be one of"):
        pretrained.PretrainedColorizer(models.ModelConfig.preset("final").__dict__, auto="magic")
    with pytest.raises(ValueError, match="no shipped model for 'grey'"):
        pretrained.default_path("grey")


@pytest.mark.parametrize("style", ["auto", "style0.png", "natural"])
def test_command_line_colours_with_shipped_models_and_an_empty_cache(shipped, tmp_path, style):
    """A fresh install: no data set, no run cache, no training; the default style is the automatic model."""
    cache = tmp_path / "empty-cache"
    env = dict(os.environ, COLORLIB_CACHE=str(cache), COLORLIB_MODELS=str(shipped["models"]),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    args = [sys.executable, "-m", "colorlib", "colorize", str(shipped["root"] / "in" / "photo00.png"),
            "--out", str(tmp_path / "out")]
    if style != "auto":
        args += ["--style", str(shipped["root"] / style) if style.endswith(".png") else style]
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    out = Image.open(tmp_path / "out" / "photo00.png")
    assert out.size == (40, 40)
    expected = "automatic model" if style == "auto" else "RGB model"
    assert expected in result.stdout and "colorlib-" in result.stdout
    assert not (cache / "data").exists() and not (cache / "runs").exists()


def test_without_shipped_models_the_error_names_notebook_13(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COLORLIB_MODELS", str(tmp_path / "nothing"))
    monkeypatch.setattr(pretrained, "__file__", str(tmp_path / "pkg" / "pretrained.py"))
    code = cli.main(["colorize", str(tmp_path / "x.png"), "--out", str(tmp_path / "o")])
    assert code == 2 and "--only 13" in capsys.readouterr().err


def test_the_unet_automatic_model_ignores_styles_in_the_picker(shipped, monkeypatch):
    monkeypatch.setenv("COLORLIB_MODELS", str(shipped["models"]))
    found = inference.shipped_models()
    assert set(found) == {"RGB", "LAB", "automatic"}
    auto = found["automatic"]
    assert not auto.takes_style and auto.auto_latent() is None
    with pytest.raises(ValueError, match="takes no style image"):
        auto.style_latent(painting(0))
    photo = Image.open(shipped["root"] / "in" / "photo00.png")
    app = picker.StylePicker(found, [("p", photo)], [("a", painting(0)), ("b", painting(1))], build_widgets=False)
    app.set_model("automatic")
    first = np.asarray(app.render())
    app.pick_style(1)
    assert np.array_equal(first, np.asarray(app.render()))  # one colouring whatever the style
    app.set_model("RGB")
    assert not np.array_equal(first, np.asarray(app.render()))


def test_non_finite_shipped_weights_are_refused(shipped, tmp_path):
    import shutil

    from safetensors.torch import save_file

    folder = tmp_path / "nan"
    shutil.copytree(shipped["models"] / "colorlib-rgb", folder)
    tensors = load_file(str(folder / "model.safetensors"))
    first = next(k for k, v in tensors.items() if v.is_floating_point())
    tensors[first][...] = float("nan")
    save_file(tensors, str(folder / "model.safetensors"))
    with pytest.raises(ValueError, match="non-finite weights"):
        pretrained.load(folder)


def test_a_tensor_beyond_half_precision_stays_fp32(tmp_path):
    """A LAB model's batch-norm running variance can exceed fp16's 65504: it must not become infinity."""
    cfg = TrainConfig(mode="baseline", model=models.ModelConfig.preset("final", adain=False, space="lab"), size=32)
    run = Run(models.build_model(cfg.model).eval(), [], tmp_path, True, cfg, None, "k", "best", {})
    bn = next(m for m in run.model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    bn.running_var.fill_(1e6)
    pretrained.export(pretrained.from_run(run, None, auto="none"), tmp_path / "m", "card")
    tensors = load_file(str(tmp_path / "m" / "model.safetensors"))
    big = [v for v in tensors.values() if v.is_floating_point() and v.dtype == torch.float32]
    assert big and all(torch.isfinite(v).all() for v in tensors.values() if v.is_floating_point())
    assert pretrained.load(tmp_path / "m").colorizer is not None


def test_the_committed_models_colour_a_photo_with_an_empty_cache(tmp_path):
    """What a fresh clone gets: models/ as committed, no data set, no run cache, no training."""
    photo = tmp_path / "photo.png"
    make_photos(tmp_path / "in", n=1, size=48)
    (tmp_path / "in" / "photo00.png").rename(photo)
    env = {k: v for k, v in os.environ.items() if k != "COLORLIB_MODELS"}
    env.update(COLORLIB_CACHE=str(tmp_path / "cache"), PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    for style, model in (("auto", "automatic model"), ("natural", "RGB model")):
        result = subprocess.run([sys.executable, "-m", "colorlib", "colorize", str(photo), "--style", style,
                                 "--out", str(tmp_path / style)], env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        assert model in result.stdout and Image.open(tmp_path / style / "photo.png").size == (48, 48)
    assert not (tmp_path / "cache" / "runs").exists() and not (tmp_path / "cache" / "datasets").exists()

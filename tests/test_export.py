"""``colorlib export --onnx``: both graphs run in onnxruntime and match PyTorch within ``export.TOLERANCE`` on the
same inputs, at an odd size too; a bad checkpoint is one line and exit 2."""
import pytest

from colorlib import cli, export, inference
from picker_fixture import checkpoint_env

ort = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module")
def cm(tmp_path_factory):
    with checkpoint_env(tmp_path_factory.mktemp("export")) as env:
        yield inference.load_checkpoint(env["stems"]["rgb"], natural=False)


@pytest.mark.parametrize("height,width", [(32, 32), (37, 53)])
def test_onnx_graphs_match_pytorch(cm, tmp_path, height, width):
    paths = export.export_onnx(cm, tmp_path, height, width, 45)
    diff = export.check(cm, paths, height, width, 45)
    assert diff["colorizer"] <= export.TOLERANCE and diff["style_encoder"] <= export.TOLERANCE, diff
    assert (tmp_path / "colorlib.json").exists()


def test_export_command(cm, tmp_path, capsys):
    ckpt = cm.origin
    with pytest.warns(UserWarning, match="natural colours"):  # trained on a temporary folder: no natural style
        assert cli.main(["export", "--onnx", "--checkpoint", ckpt, "--height", "33", "--width", "47",
                         "--out", str(tmp_path)]) == 0
    assert "onnxruntime vs PyTorch" in capsys.readouterr().out
    (tmp_path / "bad.safetensors").write_bytes(b"nope")
    assert cli.main(["export", "--onnx", "--checkpoint", str(tmp_path / "bad.safetensors"),
                     "--out", str(tmp_path / "o")]) == 2
    assert capsys.readouterr().err.startswith("error:")


def test_export_defaults_to_a_shipped_model_and_checks_it(tmp_path, capsys, monkeypatch):
    """A fresh clone exports the shipped models (no run cache), the automatic one too. The shipped LAB model's style latents reach 1e5, so
    the check is relative there (0.06 apart absolutely, 5e-7 relatively); a graph outside the tolerance exits 1."""
    for model in ("rgb", "lab"):
        assert cli.main(["export", "--onnx", "--model", model, "--out", str(tmp_path / model)]) == 0
        out = capsys.readouterr().out
        assert "onnxruntime vs PyTorch" in out and (tmp_path / model / "style_encoder.onnx").exists()
    meta = (tmp_path / "lab" / "colorlib.json").read_text()
    assert '"space": "lab"' in meta and "colorlib-lab" in meta
    # the automatic model (a UNet without AdaIN): one graph, lightness in, checked alone
    assert cli.main(["export", "--onnx", "--model", "auto", "--out", str(tmp_path / "auto")]) == 0
    assert "colorizer" in capsys.readouterr().out and not (tmp_path / "auto" / "style_encoder.onnx").exists()
    cm = inference.load_shipped("auto")
    session = ort.InferenceSession(str(tmp_path / "auto" / "colorizer.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["lightness"]
    light = export.example_inputs(cm, cm.work_size, cm.work_size, cm.style_size)["lightness"]
    got = export.run_colorizer(session, light.numpy())
    assert abs(got - cm.model(light).detach().numpy()).max() <= export.TOLERANCE
    monkeypatch.setattr(export, "check", lambda *a: {"colorizer": 1e-7, "style_encoder": 0.5})
    assert cli.main(["export", "--onnx", "--out", str(tmp_path / "off")]) == 1
    assert "style_encoder graph(s) differ from PyTorch by more than" in capsys.readouterr().err


"""colorlib.config: every bad field is named in its error, configs round-trip through dicts and YAML, and the
shorthands (baseline = no AdaIN, a data source as style_source) hold."""
from __future__ import annotations

import re

import pytest
import yaml

from colorlib import models
from colorlib.config import ConfigError, GanConfig, TrainConfig


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -1.0}, r"lr must be a finite number > 0, got -1.0"),
    ({"mode": "magic"}, r"mode must be one of .*got 'magic'"),
    ({"batch_size": 0}, r"batch_size must be >= 1, got 0"),
    ({"batchsize": 4}, r"unknown TrainConfig field\(s\) \['batchsize'\]"),
    ({"epochs": "3"}, r"epochs must be int, got '3' \(str\)"),
    ({"compile": 1}, r"compile must be bool, got 1"),
    ({"alpha": 1.5}, r"alpha must be in \[0, 1\], got 1.5"),
    ({"loss": {"mse": 1.0, "ssim": 0.5}}, r"loss: unknown term 'ssim'"),
    ({"loss": {"mse": 0.0}}, r"loss: no term has a weight > 0"),
    ({"gan": {"wieght": 0.1}}, r"gan: unknown key\(s\) \['wieght'\]"),
    ({"gan": {"loss": "wgan"}}, r"gan.loss must be one of"),
    ({"device": "tpu"}, r"device must be 'auto'"),
    ({"model": {"latent_dim": 0}}, r"model: latent_dim must be positive"),
    ({"model": {"adain": False}, "mode": "implicit"}, r"mode 'implicit' needs a style encoder"),
    ({"style_lr": -1e-4}, r"style_lr must be a finite number > 0 or None"),
])
def test_config_errors_name_the_field(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig.from_dict(kwargs)


def test_a_config_file_that_cannot_be_read_is_named(tmp_path):
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0 not text")
    for path, why in [(tmp_path / "missing.yaml", "cannot read the config"), (tmp_path, "cannot read the config"),
                      (binary, "not a YAML text file")]:
        with pytest.raises(ConfigError, match=f"^{re.escape(str(path))}: {why}"):
            TrainConfig.from_yaml(path)


def test_train_command_names_a_bad_file_or_set_value_in_one_line(tmp_path, capsys):
    from colorlib import train

    assert train.main(["--config", str(tmp_path / "missing.yaml")]) == 2
    said = f"error: {tmp_path / 'missing.yaml'}: cannot read the config (No such file or directory)\n"
    assert capsys.readouterr().err == said
    (tmp_path / "cfg.yaml").write_text("epochs: 1\n")
    for bad, said in [("loss={mse: 1", "--set loss={mse: 1: the value is not valid YAML"),
                      ("loss", "--set expects KEY=VALUE")]:
        with pytest.raises(SystemExit) as stop:
            train.main(["--config", str(tmp_path / "cfg.yaml"), "--set", bad])
        assert stop.value.code == 2 and said in capsys.readouterr().err


def test_config_round_trip_yaml_and_shorthands(tmp_path):
    cfg = TrainConfig(mode="dual", model={"latent_dim": 16, "widths": "quarter"}, gan={"weight": 0.05},
                        loss={"mse": 1.0, "lpips": 0.1})
    assert isinstance(cfg.model, models.ModelConfig) and isinstance(cfg.gan, GanConfig)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    path = tmp_path / "cfg.yaml"
    path.write_text(yaml.safe_dump(cfg.to_dict()))
    assert TrainConfig.from_yaml(path) == cfg
    path.write_text("mode: implicit\nlearning_rate: 0.1\n")
    with pytest.raises(ConfigError, match=r"cfg.yaml: unknown TrainConfig field\(s\) \['learning_rate'\]"):
        TrainConfig.from_yaml(path)
    # baseline means "no AdaIN"; a data source name as style_source means "paintings from there"
    assert TrainConfig(mode="baseline").model.adain is False
    c = TrainConfig(mode="paired", style_source="huggan/wikiart")
    assert (c.style_source, c.paintings_source) == ("paintings", "huggan/wikiart")
    assert TrainConfig(mode="dual", lr=1e-3).effective_style_lr == pytest.approx(1e-4)

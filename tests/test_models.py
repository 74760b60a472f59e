"""Tests of colorlib.models: shapes, gradients, dropout, AdaIN identity at init, the original defects, PatchGAN."""
import dataclasses
import json

import pytest
import torch
from torch import nn

import colorlib  # noqa: F401  (patches torchvision before anything else imports it)
from colorlib import color
from colorlib.models import (
    AdaIN,
    Colorizer,
    ModelConfig,
    PatchDiscriminator,
    build_model,
    count_parameters,
)


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def make(seed: int = 0, **kwargs) -> Colorizer:
    torch.manual_seed(seed)
    return build_model(ModelConfig(**kwargs))


def test_parameter_counts(capsys):
    counts = {
        "final (quarter, AdaIN, latent 32)": count_parameters(build_model("final")),
        "quarter UNet without AdaIN": count_parameters(build_model("unet")),
        "full width, latent 128": count_parameters(build_model("full")),
    }
    with capsys.disabled():
        print()
        for name, n in counts.items():
            print(f"  parameters, {name}: {n:,}")
    final = counts["final (quarter, AdaIN, latent 32)"]
    assert 2.5e6 < final < 4e6  # the study reports about 3.5 M
    assert counts["quarter UNet without AdaIN"] < final < counts["full width, latent 128"]
    assert build_model("unet").style_encoder is None


@pytest.mark.parametrize("space", color.SPACES)
@pytest.mark.parametrize("widths", ["quarter", "full"])
def test_output_shapes_and_ranges(widths, space):
    model = make(widths=widths, space=space, latent_dim=16).eval()
    rgb = torch.rand(2, 3, 32, 32, generator=seeded())
    lightness, target = color.to_network(rgb, space)
    latent = model.encode_style(color.style_input(rgb, space))
    assert latent.shape == (2, 16)
    out = model(lightness, latent)
    assert out.shape == target.shape
    if space == "rgb":
        assert out.min() >= 0 and out.max() <= 1
    else:
        assert out.abs().max() <= 1


@pytest.mark.parametrize("space", ["rgb", "lab"])
def test_every_parameter_gets_a_gradient(space):
    """One Adam step, then every parameter (style encoder included) has a non-zero gradient.

    On the very first step the style encoder's gradient is exactly zero by construction (the AdaIN projections
    start at zero), so the check is made on the second step.
    """
    model = make(space=space).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    rgb = torch.rand(4, 3, 32, 32, generator=seeded(1))
    style = torch.rand(4, 3, 64, 64, generator=seeded(2))
    lightness, target = color.to_network(rgb, space)

    def step():
        opt.zero_grad()
        out = model(lightness, model.encode_style(color.style_input(style, space)))
        torch.nn.functional.mse_loss(out, target).backward()

    step()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        if name.startswith("style_encoder."):
            assert p.grad.abs().sum() == 0, name
        else:
            assert p.grad.abs().sum() > 0, name
    opt.step()
    step()
    dead = [name for name, p in model.named_parameters() if p.grad.abs().sum() == 0]
    assert not dead, dead


def test_dropout_is_a_module_and_off_in_eval():
    model = make()
    drops = [m for m in model.modules() if isinstance(m, nn.Dropout2d)]
    assert len(drops) == 9 and all(m.p == 0.2 for m in drops)  # after each of the 5 + 4 conv blocks
    model.eval()
    x = torch.rand(2, 1, 32, 32, generator=seeded())
    z = torch.rand(2, 32, generator=seeded(1))
    with torch.no_grad():
        assert torch.equal(model(x, z), model(x, z))


def test_train_mode_dropout_makes_passes_differ():
    model = make().train()
    x = torch.rand(2, 1, 32, 32, generator=seeded())
    with torch.no_grad():
        assert not torch.allclose(model(x), model(x))
    model0 = make(dropout=0.0).train()
    with torch.no_grad():
        assert torch.equal(model0(x), model0(x))


def test_adain_is_identity_at_init():
    model = make().eval()
    x = torch.rand(2, 1, 32, 32, generator=seeded())
    z = model.encode_style(torch.rand(2, 3, 32, 32, generator=seeded(1))) + 1.0
    with torch.no_grad():
        assert torch.equal(model(x, z), model(x, None))
    adain = AdaIN(8, 4)
    h = torch.randn(3, 8, 5, 5, generator=seeded())
    assert torch.allclose(adain(h, torch.randn(3, 4)), nn.functional.instance_norm(h), atol=1e-6)
    with torch.no_grad():  # scale and shift really act once learned
        adain.to_shift.bias.fill_(2.0)
    assert torch.allclose(adain(h, torch.randn(3, 4)).mean(dim=(2, 3)), torch.full((3, 8), 2.0), atol=1e-5)


def test_first_adain_receives_first_encoder_block_output():
    """Regression: the original applied the first AdaIN to the raw input and discarded block 1's output."""
    model = make().eval()
    seen = {}
    model.enc_blocks[0].register_forward_hook(lambda m, args, out: seen.__setitem__("block", out.clone()))
    model.enc_adain[0].register_forward_pre_hook(lambda m, args: seen.__setitem__("adain", args[0].clone()))
    with torch.no_grad():
        model(torch.rand(1, 1, 32, 32, generator=seeded()), torch.rand(1, 32))
    assert seen["adain"].shape[1] == model.cfg.channels[0]
    assert torch.equal(seen["adain"], seen["block"])


def test_adain_positions_and_baseline():
    n_adain = lambda m: sum(isinstance(x, AdaIN) for x in m.modules())  # noqa: E731
    assert n_adain(make()) == 9
    assert n_adain(make(adain_decoder=False)) == 5
    assert n_adain(make(adain_encoder=False)) == 4
    base = make(adain=False)
    assert n_adain(base) == 0 and base.style_encoder is None
    with pytest.raises(ValueError, match="adain=False"):
        base(torch.rand(1, 1, 32, 32), torch.rand(1, 32))
    with pytest.raises(ValueError, match="adain=False"):
        base.encode_style(torch.rand(1, 3, 32, 32))


def test_latent_shapes():
    model = make(latent_dim=16).eval()
    x = torch.rand(3, 1, 32, 32)
    with torch.no_grad():
        one = model(x, torch.rand(1, 16))  # one style broadcast over the batch
    assert one.shape == (3, 3, 32, 32)
    with pytest.raises(ValueError, match=r"latent must have shape \(3 or 1, 16\)"):
        model(x, torch.rand(2, 16))
    with pytest.raises(ValueError, match=r"\(B, 2, H, W\)"):
        make(space="luv").encode_style(torch.rand(1, 3, 32, 32))
    z = make(space="luv", latent_dim=64).encode_style(torch.rand(2, 2, 40, 56))
    assert z.shape == (2, 64) and (z >= 0).all()  # ReLU on the last conv: latents are non-negative


@pytest.mark.parametrize("size", [(33, 47), (20, 20), (1, 5), (48, 80)])
def test_any_input_size_is_padded_and_cropped(size):
    model = make().eval()
    with torch.no_grad():
        out = model(torch.rand(2, 1, *size), torch.rand(2, 32))
    assert out.shape == (2, 3, *size)
    model.train()
    assert model(torch.rand(2, 1, *size)).shape == (2, 3, *size)


def test_bad_input_shapes_fail_clearly():
    model = make()
    with pytest.raises(ValueError, match=r"\(B, 1, H, W\), got \(2, 3, 32, 32\)"):
        model(torch.rand(2, 3, 32, 32))


def test_colorize():
    model = make(space="lab").train()
    rgb = torch.rand(2, 3, 40, 40, generator=seeded())
    out = model.colorize(rgb, style_rgb=torch.rand(1, 3, 50, 60))
    assert out.shape == rgb.shape and out.min() >= 0 and out.max() <= 1 and not out.requires_grad
    assert model.training  # mode restored
    gray = color.luma_bt601(rgb)
    assert model.colorize(gray[0]).shape == (3, 40, 40)
    assert torch.equal(model.colorize(rgb), model.colorize(rgb, latent=torch.zeros(32)))  # identity at init
    with pytest.raises(ValueError, match="not both"):
        model.colorize(rgb, style_rgb=rgb, latent=torch.zeros(1, 32))
    with pytest.raises(ValueError, match="adain=False"):
        make(adain=False).colorize(rgb, style_rgb=rgb)


def test_config_round_trip_and_presets():
    cfg = ModelConfig.preset("final")
    assert (cfg.widths, cfg.latent_dim, cfg.dropout, cfg.space, cfg.adain) == ("quarter", 32, 0.2, "rgb", True)
    assert cfg.channels == (16, 32, 64, 128, 128)
    custom = ModelConfig(widths=[8, 16, 16, 32, 32], space="luv")
    again = ModelConfig.from_dict(json.loads(json.dumps(dataclasses.asdict(custom))))
    assert again == custom
    assert build_model(dataclasses.asdict(custom)).cfg == custom
    assert ModelConfig.preset("final", space="lab").space == "lab"
    with pytest.raises(ValueError, match="widths"):
        ModelConfig(widths="half")
    with pytest.raises(ValueError, match="colour space"):
        ModelConfig(space="hsv")


@pytest.mark.parametrize("norm", ["batch", "instance"])
def test_patch_discriminator(norm):
    disc = PatchDiscriminator(4, norm=norm)
    assert disc(torch.rand(2, 4, 64, 64)).shape == (2, 1, 6, 6)
    assert disc(torch.rand(1, 4, 256, 256)).shape == (1, 1, 30, 30)


def test_patch_discriminator_receptive_field_is_70():
    disc = PatchDiscriminator(3).eval()  # eval: BatchNorm uses running stats, so pixels do not mix
    x = torch.rand(1, 3, 128, 128, requires_grad=True)
    out = disc(x)
    out[0, 0, 5, 5].backward()
    rows = x.grad[0].abs().sum(dim=(0, 2)).nonzero()
    cols = x.grad[0].abs().sum(dim=(0, 1)).nonzero()
    assert rows.max() - rows.min() + 1 == 70 and cols.max() - cols.min() + 1 == 70


def test_he_style_init_starts_the_latents_of_order_one_and_keeps_run_keys():
    photos = torch.rand(8, 3, 64, 64)
    latents = {}
    for init in ("default", "he"):
        torch.manual_seed(0)
        model = build_model(ModelConfig.preset("final", style_init=init)).eval()
        with torch.no_grad():
            latents[init] = model.style_encoder(photos)
    assert latents["default"].mean() < 0.05 < latents["he"].mean()  # PyTorch's default init shrinks them ~100x
    # the default is the study's and leaves every existing run key as it was; "he" is a field of the key
    assert "style_init" not in ModelConfig.preset("final").key_dict()
    assert ModelConfig.preset("final", style_init="he").key_dict()["style_init"] == "he"
    with pytest.raises(ValueError, match="style_init"):
        ModelConfig(style_init="xavier")

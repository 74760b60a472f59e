"""Tests of colorlib.color: round trips, tensor/array agreement, normalisation ranges, gradients, uint8 safety."""
import numpy as np
import pytest
import torch

import colorlib  # noqa: F401  (patches torchvision before anything else imports it)
from colorlib import color

SPECIAL = torch.tensor(
    [
        [1.0, 1.0, 1.0],  # white
        [0.0, 0.0, 0.0],  # black
        [1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [0.0, 0.0, 1.0],
        [1.0, 1.0, 0.0],
        [0.0, 1.0, 1.0],
        [1.0, 0.0, 1.0],
        [0.5, 0.5, 0.5],
    ]
)


def special_image() -> torch.Tensor:
    """(1, 3, 3, 3) image whose pixels are white, black, the primaries, secondaries and mid-grey."""
    return SPECIAL.T.reshape(1, 3, 3, 3)


def random_image(seed: int = 0, size: int = 16, batch: int = 2) -> torch.Tensor:
    return torch.rand(batch, 3, size, size, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("image", [random_image(), special_image()], ids=["random", "special"])
@pytest.mark.parametrize(
    "fwd,inv", [(color.rgb_to_lab, color.lab_to_rgb), (color.rgb_to_luv, color.luv_to_rgb)], ids=["lab", "luv"]
)
def test_tensor_round_trip(image, fwd, inv):
    assert torch.allclose(inv(fwd(image)), image, atol=1e-4)


@pytest.mark.parametrize(
    "fwd,inv", [(color.rgb_to_lab, color.lab_to_rgb), (color.rgb_to_luv, color.luv_to_rgb)], ids=["lab", "luv"]
)
def test_array_round_trip(fwd, inv):
    for img in (random_image(batch=1), special_image()):
        arr = img[0].permute(1, 2, 0).numpy().astype(np.float64)
        np.testing.assert_allclose(inv(fwd(arr)), arr, atol=1e-6)


@pytest.mark.parametrize("fwd", [color.rgb_to_lab, color.rgb_to_luv], ids=["lab", "luv"])
def test_array_and_tensor_conversions_agree(fwd):
    img = torch.cat([random_image(size=9, batch=1), special_image().repeat(1, 1, 3, 3)], dim=0)
    from_tensor = fwd(img).permute(0, 2, 3, 1).numpy()
    from_array = fwd(img.permute(0, 2, 3, 1).numpy().astype(np.float64))
    np.testing.assert_allclose(from_tensor, from_array, atol=2e-3)  # in L*/a*/b* (u*/v*) units


def test_known_values():
    lab = color.rgb_to_lab(special_image())[0].reshape(3, -1).T
    assert lab[0].tolist() == pytest.approx([100.0, 0.0, 0.0], abs=1e-2)  # white (float32)
    assert lab[1].tolist() == pytest.approx([0.0, 0.0, 0.0], abs=1e-3)  # black
    assert lab[2].tolist() == pytest.approx([53.24, 80.09, 67.20], abs=0.05)  # sRGB red


def test_luma_bt601_tensor_and_array():
    img = special_image()
    y = color.luma_bt601(img)
    assert y.shape == (1, 1, 3, 3)
    assert y[0, 0].flatten()[:5].tolist() == pytest.approx([1.0, 0.0, 0.299, 0.587, 0.114], abs=1e-6)
    arr = img[0].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(color.luma_bt601(arr), y[0, 0].numpy(), atol=1e-6)


@pytest.mark.parametrize("space", color.SPACES)
def test_network_round_trip_and_shapes(space):
    for img in (random_image(), special_image()):
        lightness, target = color.to_network(img, space)
        assert lightness.shape == (img.shape[0], 1, *img.shape[-2:])
        assert target.shape == (img.shape[0], color.OUT_CHANNELS[space], *img.shape[-2:])
        assert torch.allclose(color.from_network(lightness, target, space), img, atol=1e-4)


@pytest.mark.parametrize("space", color.SPACES)
def test_normalisation_ranges(space):
    # The whole sRGB cube on a 17^3 grid.
    g = torch.linspace(0, 1, 17)
    cube = torch.stack(torch.meshgrid(g, g, g, indexing="ij")).reshape(1, 3, 17 * 17, 17)
    lightness, target = color.to_network(cube, space)
    assert lightness.min() >= -1e-6 and lightness.max() <= 1 + 1e-6
    if space == "rgb":
        assert torch.equal(target, cube)
    else:
        assert target.abs().max() <= 1.0
        assert target.abs().amax(dim=(0, 2, 3)).min() > 0.7  # the range is used, not squashed
        grey = color.to_network(torch.full((1, 3, 2, 2), 0.5), space)[1]
        assert grey.abs().max() < 1e-3  # neutral grey is 0


def test_from_network_clamps_and_never_wraps_white():
    """Regression: the original LAB->RGB * 256 -> uint8 turned white into black."""
    white = torch.ones(1, 3, 4, 4)
    for space in color.SPACES:
        lightness, target = color.to_network(white, space)
        rgb = color.from_network(lightness, target, space)
        assert rgb.min() > 0.999 and rgb.max() <= 1.0
        assert (color.to_uint8(rgb) == 255).all()
    # LAB L* = 100 with out-of-gamut chroma must clamp, not wrap.
    rgb = color.from_network(torch.ones(1, 1, 2, 2), torch.full((1, 2, 2, 2), 0.9), "lab")
    assert rgb.min() >= 0.0 and rgb.max() <= 1.0
    for space in ("lab", "luv"):  # extreme network outputs, lightness outside [0, 1] included
        rgb = color.from_network(torch.tensor([-0.5, 0.0, 1.0, 1.5]).view(1, 1, 2, 2), torch.full((1, 2, 2, 2), -1.0), space)
        assert torch.isfinite(rgb).all() and rgb.min() >= 0.0 and rgb.max() <= 1.0


def test_to_uint8_rounds_and_clips():
    values = [-0.5, 0.0, 0.6 / 255, 0.499, 1.0, 1.7]
    expected = [0, 0, 1, 127, 255, 255]
    assert color.to_uint8(torch.tensor(values)).tolist() == expected
    out = color.to_uint8(np.array(values))
    assert out.dtype == np.uint8 and out.tolist() == expected


@pytest.mark.parametrize("space", color.SPACES)
def test_gradients_flow(space):
    img = torch.cat([random_image(batch=1, size=3), special_image()]).requires_grad_()
    lightness, target = color.to_network(img, space)
    (lightness.sum() + target.sum()).backward()
    assert torch.isfinite(img.grad).all() and img.grad.abs().sum() > 0

    lightness = torch.rand(2, 1, 4, 4, requires_grad=True)
    output = (torch.rand(2, color.OUT_CHANNELS[space], 4, 4) * 1.6 - 0.8).requires_grad_()
    color.from_network(lightness, output, space).sum().backward()
    assert torch.isfinite(output.grad).all() and output.grad.abs().sum() > 0
    if space != "rgb":
        assert torch.isfinite(lightness.grad).all() and lightness.grad.abs().sum() > 0


@pytest.mark.parametrize("space", color.SPACES)
def test_style_input(space):
    img = random_image()
    style = color.style_input(img, space)
    assert style.shape[1] == (3 if space == "rgb" else 2)


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown colour space"):
        color.to_network(random_image(), "hsv")
    with pytest.raises(ValueError, match="3, H, W"):
        color.to_network(torch.rand(1, 1, 4, 4), "lab")
    with pytest.raises(ValueError, match="2 channels"):
        color.from_network(torch.rand(1, 1, 4, 4), torch.rand(1, 3, 4, 4), "lab")

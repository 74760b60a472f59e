"""Tests of colorlib.losses: pixel terms, weighted sums, gradients, LPIPS input scaling, trunk labels and the
offline fallback (no trunk -> one warning, term dropped)."""
from __future__ import annotations

import hashlib
import shutil
import time
import warnings

import pytest
import torch

import colorlib  # noqa: F401  (torchvision shim before lpips)
from colorlib import color, losses
from lpips_fixture import SHARED_WEIGHTS, lpips_torch_home, squeeze_label  # noqa: F401  (session fixtures)


def _known():
    pred = torch.zeros(1, 1, 2, 2)
    target = torch.tensor([0.0, 1.0, 2.0, 3.0]).view(1, 1, 2, 2)
    return pred, target


def test_pixel_losses_known_values():
    pred, target = _known()
    assert losses.mse_loss(pred, target).item() == pytest.approx((0 + 1 + 4 + 9) / 4)
    assert losses.l1_loss(pred, target).item() == pytest.approx((0 + 1 + 2 + 3) / 4)
    # Huber, delta 1: 0.5 d^2 below 1, d - 0.5 above -> 0, 0.5, 1.5, 2.5
    assert losses.huber_loss(pred, target).item() == pytest.approx(4.5 / 4)
    # delta 2: 0, 0.5, 2, 2 * (3 - 1) = 4
    assert losses.huber_loss(pred, target, delta=2.0).item() == pytest.approx(6.5 / 4)


def test_weighted_sum_and_per_term_floats():
    pred, target = _known()
    loss = losses.build_loss({"mse": 1.0, "l1": 0.5, "huber": 2.0, "huber_delta": 2.0})
    total, terms = loss(pred, target)
    assert terms == pytest.approx({"mse": 3.5, "l1": 1.5, "huber": 1.625})
    assert all(isinstance(v, float) for v in terms.values())
    assert total.item() == pytest.approx(3.5 + 0.5 * 1.5 + 2.0 * 1.625)
    assert loss.lpips_label is None and loss.dropped_terms == {}


def test_spec_forms_and_errors():
    assert losses.build_loss("l1").weights == {"l1": 1.0}
    assert losses.build_loss({"mse": 1.0, "l1": 0.0}).weights == {"mse": 1.0}  # zero weight: term off
    with pytest.raises(ValueError, match="unknown loss term"):
        losses.build_loss({"ssim": 1.0})
    with pytest.raises(ValueError, match=">= 0"):
        losses.build_loss({"mse": -1.0})
    with pytest.raises(ValueError, match="no active term"):
        losses.build_loss({"mse": 0.0})


def test_gradients_flow_through_pixel_terms():
    pred = torch.rand(2, 3, 8, 8, requires_grad=True)
    total, _ = losses.build_loss({"mse": 1.0, "l1": 1.0, "huber": 1.0})(pred, torch.rand(2, 3, 8, 8))
    total.backward()
    assert pred.grad is not None and pred.grad.abs().sum() > 0


# ------------------------------------------------------------------------------------------------- LPIPS
def test_lpips_scales_inputs_to_minus_one_one(lpips_torch_home):
    import lpips

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        raw = lpips.LPIPS(net="squeeze", verbose=False).eval()
    torch.manual_seed(0)
    x, y = torch.rand(2, 3, 32, 32), torch.rand(2, 3, 32, 32)
    ours = losses.LPIPSLoss("squeeze")(x, y)
    with torch.no_grad():
        assert ours.item() == pytest.approx(raw(2 * x - 1, 2 * y - 1).mean().item(), rel=1e-5)
        assert abs(ours.item() - raw(x, y).mean().item()) > 1e-3  # the original's [0, 1] input differs


def test_lpips_model_is_real_frozen_cached_trunk(lpips_torch_home):
    model, trunk = losses.load_lpips("squeeze")
    assert trunk.net == "squeeze" and trunk.note == ""
    assert not model.training
    assert not any(p.requires_grad for p in model.parameters())
    assert losses.load_lpips("squeeze")[0] is model  # built once
    # The trunk holds the checkpoint's ImageNet weights, not a random initialisation (pnet_rand).
    state = torch.load(losses.checkpoint_path("squeeze"), map_location="cpu")
    assert torch.equal(model.net.slice1[0].weight, state["features.0.weight"])


def test_lpips_label_marks_unverified_shared_trunk(lpips_torch_home, squeeze_label, tmp_path):
    assert losses.lpips_label("squeeze") == squeeze_label
    assert losses.checkpoint_verified(losses.checkpoint_path("squeeze")) is (squeeze_label == "LPIPS-squeeze")
    shared = SHARED_WEIGHTS / "squeezenet1_1-b8a52dc0.pth"
    if shared.exists():  # the offline copy's hash is not torchvision's (see its README)
        assert losses.checkpoint_verified(shared) is False
        assert losses.trunk_label("squeeze", shared) == "LPIPS-squeeze (unverified trunk)"
    # A file whose sha256 does start with the prefix in its name is verified and labelled plainly.
    blob = b"not really a trunk"
    good = tmp_path / f"squeezenet1_1-{hashlib.sha256(blob).hexdigest()[:8]}.pth"
    good.write_bytes(blob)
    assert losses.checkpoint_verified(good) is True
    assert losses.trunk_label("squeeze", good) == "LPIPS-squeeze"


def test_composite_lpips_term_in_lab_space_has_gradient(squeeze_label):
    torch.manual_seed(0)
    rgb = torch.rand(2, 3, 32, 32)
    lightness, target = color.to_network(rgb, "lab")
    pred = (target + 0.1 * torch.randn_like(target)).requires_grad_(True)
    loss = losses.build_loss({"mse": 1.0, "lpips": 0.5}, lpips_net="squeeze")
    assert loss.lpips_label == squeeze_label
    total, terms = loss(pred, target, lightness, "lab")
    assert set(terms) == {"mse", "lpips"} and terms["lpips"] > 0
    assert total.item() == pytest.approx(terms["mse"] + 0.5 * terms["lpips"], rel=1e-5)
    total.backward()
    assert pred.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="lightness"):
        loss(pred, target)


def _record(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [w for w in caught if issubclass(w.category, losses.LPIPSFallbackWarning)]


def test_unavailable_trunk_drops_term_with_one_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # empty hub cache
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.perf_counter()
    loss, caught = _record(lambda: losses.build_loss({"mse": 1.0, "lpips": 0.1}))
    assert time.perf_counter() - start < 2.0  # no download attempt, no retries
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "LPIPS-alex unavailable" in message and "no LPIPS" in message
    assert set(loss.dropped_terms) == {"lpips"} and loss.weights == {"mse": 1.0}
    assert loss.lpips_label is None
    total, terms = loss(torch.zeros(1, 3, 4, 4), torch.ones(1, 3, 4, 4))
    assert terms == {"mse": 1.0}
    # Said once: a second request in the same setting is silent.
    loss2, caught2 = _record(lambda: losses.build_loss({"lpips": 1.0, "l1": 1.0}))
    assert caught2 == [] and "lpips" in loss2.dropped_terms
    assert losses.lpips_label("alex") is None
    with pytest.raises(losses.LPIPSUnavailable):
        losses.LPIPSLoss("alex")


def test_missing_alex_falls_back_to_cached_squeeze(lpips_torch_home, squeeze_label, tmp_path, monkeypatch):
    checkpoints = tmp_path / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    shutil.copyfile(lpips_torch_home / "hub" / "checkpoints" / losses.checkpoint_path("squeeze").name,
                    checkpoints / losses.checkpoint_path("squeeze").name)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    loss, caught = _record(lambda: losses.build_loss({"mse": 1.0, "lpips": 0.1}))  # asks for alex
    assert len(caught) == 1 and f"using {squeeze_label} instead" in str(caught[0].message)
    assert loss.lpips_label == squeeze_label and loss.dropped_terms == {}
    assert losses.lpips_label("alex") == squeeze_label

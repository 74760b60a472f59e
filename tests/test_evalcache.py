"""The evaluation cache: an entry is reused only for identical weights, inputs and code, and a warm result
equals the cold one."""
from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import torch

from colorlib import evalcache, evaluation, models

NO_LPIPS = SimpleNamespace(lpips_net=None)


@pytest.fixture
def counter():
    calls = []

    def compute(value=1.5):
        calls.append(value)
        return {"value": value, "nested": [torch.tensor(2.0), {"x": float("nan")}]}

    compute.calls = calls
    return compute


def test_second_call_reads_the_entry(isolated_cache, counter):
    x = torch.rand(2, 3, 8, 8)
    first = evalcache.cached("demo", counter, x, "truth")
    second = evalcache.cached("demo", counter, x.clone(), "truth")
    assert len(counter.calls) == 1
    assert first["value"] == second["value"] == 1.5 and first["nested"][0] == 2.0
    assert list((isolated_cache / "evals" / evalcache.code_digest()).glob("demo-*.json"))


@pytest.mark.parametrize("change", ["tensor", "style", "kind"])
def test_any_changed_part_computes_again(isolated_cache, counter, change):
    x = torch.rand(2, 3, 8, 8)
    evalcache.cached("demo", counter, x, "truth")
    y = x.clone()
    if change == "tensor":
        y[0, 0, 0, 0] += 1e-6
    evalcache.cached("other" if change == "kind" else "demo", counter, y, "none" if change == "style" else "truth")
    assert len(counter.calls) == 2


def test_changed_weights_compute_again(isolated_cache):
    model = models.build_model(models.ModelConfig.preset("final", widths=(4, 8, 8, 8, 8), latent_dim=4))
    before = evalcache.fingerprint(model)
    with torch.no_grad():
        next(model.parameters()).add_(1e-3)
    assert evalcache.fingerprint(model) != before
    assert evalcache.fingerprint(1) != evalcache.fingerprint("1") != evalcache.fingerprint(1.0)


def test_switched_off_and_corrupt_entries(isolated_cache, counter, monkeypatch):
    x = torch.rand(1, 3, 4, 4)
    evalcache.cached("demo", counter, x)
    (entry,) = (isolated_cache / "evals").rglob("demo-*.json")
    entry.write_text("{not json")
    assert evalcache.cached("demo", counter, x)["value"] == 1.5  # unreadable entry: computed and rewritten
    assert json.loads(entry.read_text())["result"]["value"] == 1.5
    monkeypatch.setenv("COLORLIB_EVAL_CACHE", "0")
    evalcache.cached("demo", counter, x)
    assert len(counter.calls) == 3
    assert evalcache.clear() == 1 and not list((isolated_cache / "evals").rglob("*.json"))


def test_unhashable_part_is_refused(isolated_cache, counter):
    with pytest.raises(TypeError, match="cannot fingerprint a object"):
        evalcache.cached("demo", counter, object())


def test_style_transfer_warm_equals_cold(isolated_cache):
    torch.manual_seed(0)
    model = models.build_model(models.ModelConfig.preset("final", widths=(4, 8, 8, 8, 8), latent_dim=4)).eval()
    photos, styles = torch.rand(3, 3, 32, 32), torch.rand(2, 3, 32, 32)
    cold = evaluation.style_transfer(model, photos, styles, ["a", "b"])
    cold_outputs = cold.outputs.clone()
    warm = evaluation.style_transfer(model, photos, styles, ["a", "b"])
    assert warm.summary == cold.summary and warm.per_painting == cold.per_painting
    assert warm._outputs is None  # measurements read from the cache: no images made yet
    assert torch.equal(warm.outputs, cold_outputs)  # ... and made on demand, identical
    assert warm.key == cold.key
    assert evaluation.styled_metrics(warm, photos, NO_LPIPS) == evaluation.styled_metrics(cold, photos, NO_LPIPS)
    assert evaluation.evaluate(model, photos, NO_LPIPS) == evaluation.evaluate(model, photos, NO_LPIPS)


def test_reinhard_style_transfer_warm_equals_cold(isolated_cache, monkeypatch):
    torch.manual_seed(0)
    base, photos, styles = torch.rand(3, 3, 32, 32), torch.rand(3, 3, 32, 32), torch.rand(2, 3, 32, 32)
    cold = evaluation.reinhard_style_transfer(base, photos, styles, ["a", "b"])
    cold_outputs, cold_oracle = cold.outputs.clone(), cold.oracle.clone()
    measured = []
    real = evaluation.summarise_transfer
    monkeypatch.setattr(evaluation, "summarise_transfer", lambda *a, **k: measured.append(1) or real(*a, **k))
    warm = evaluation.reinhard_style_transfer(base, photos, styles, ["a", "b"])
    assert warm.summary == cold.summary and warm.per_painting == cold.per_painting and not measured
    assert warm._outputs is None  # read from the cache: no images made yet
    assert torch.equal(warm.outputs, cold_outputs) and torch.equal(warm.oracle, cold_oracle)
    assert warm.key == cold.key
    assert evaluation.styled_metrics(warm, photos, NO_LPIPS) == evaluation.styled_metrics(cold, photos, NO_LPIPS)
    other = evaluation.reinhard_style_transfer(base.flip(0), photos, styles, ["a", "b"])
    assert measured == [1] and other.key != cold.key and other.summary != cold.summary  # another measurement

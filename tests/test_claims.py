"""colorlib.claims: intervals over seeds and photos, the one verdict rule (parts, combination, named winners), its
one wording and the claims table (the stability table: test_agreement.py)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import stats

from claims_fixture import claim_entry
from colorlib import agreement, claims, results
from colorlib.paths import REPO_DIR


def test_interval_adds_the_seed_and_the_photo_spread():
    rng = np.random.default_rng(0)
    seed_effect = np.array([0.4, 1.1, 0.7])
    d = seed_effect[:, None] + rng.normal(0, 1.0, (3, 25))
    iv = claims.interval(d)
    t = stats.t.ppf(0.975, 2) * d.mean(axis=1).std(ddof=1) / math.sqrt(3)
    z = stats.norm.ppf(0.975) * d.mean(axis=0).std(ddof=1) / math.sqrt(25)
    assert iv.estimate == pytest.approx(d.mean()) and iv.half_width == pytest.approx(math.hypot(t, z))
    assert (iv.seeds, iv.units) == (3, 25)
    # a paired difference against a deterministic baseline (one value per photo) broadcasts over the seeds
    base = rng.normal(0, 1, 25)
    assert claims.interval(d + base, base).estimate == pytest.approx(iv.estimate)


def test_per_seed_values_use_student_t_and_one_seed_is_unbounded():
    iv = claims.interval([1.0, 2.0, 3.0])
    assert iv.estimate == 2.0 and iv.units is None
    assert iv.half_width == pytest.approx(stats.t.ppf(0.975, 2) * 1.0 / math.sqrt(3))
    one = claims.interval([5.0])
    assert math.isinf(one.half_width) and claims.test_interval(one, ">", 0.0) == "inconclusive"
    # one seed measured on photos: only the photo spread is known
    assert math.isfinite(claims.interval(np.array([[1.0, 2.0, 3.0]])).half_width)


def test_log_and_relative_transforms():
    iv = claims.interval([1e5, 4e5, 2e10], transform="log10")
    assert iv.estimate == pytest.approx(np.mean(np.log10([1e5, 4e5, 2e10])))
    rel = claims.interval([11.0, 22.0], [10.0, 20.0], transform="relative")
    assert rel.estimate == pytest.approx(0.1) and rel.half_width == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="transform"):
        claims.interval([1.0], transform="sqrt")


@pytest.mark.parametrize("low, high, test, margin, verdict", [
    (0.3, 0.9, ">", 0.1, "reproduced"),
    (-0.9, -0.3, ">", 0.1, "not reproduced"),  # the other side
    (-0.2, 0.5, ">", 0.1, "inconclusive"),
    (0.02, 0.08, ">", 0.1, "not reproduced"),  # excludes zero, but too small to matter
    (-0.05, 0.05, ">", None, "inconclusive"),  # no margin stated: cannot show "no effect"
    (-0.9, -0.3, "<", None, "reproduced"),
    (-0.05, 0.07, "within", 0.1, "reproduced"),
    (0.2, 0.4, "within", 0.1, "not reproduced"),
    (0.05, 0.2, "within", 0.1, "inconclusive"),
])
def test_the_rule(low, high, test, margin, verdict):
    iv = claims.Interval((low + high) / 2, low, high, 3, 25)
    assert claims.test_interval(iv, test, 0.0, margin) == verdict


def test_thresholds_other_than_zero():
    iv = claims.Interval(-1.4, -1.8, -1.1, 3)
    assert claims.test_interval(iv, "<", -1.0) == "reproduced"
    assert claims.test_interval(iv, ">", -1.0) == "not reproduced"
    with pytest.raises(ValueError, match="margin"):
        claims.test_interval(iv, "within", 0.0)
    with pytest.raises(ValueError, match="test must be"):
        claims.test_interval(iv, ">=", 0.0)


def test_a_reversal_is_reproduced_against_not_reproduced_only():
    assert claims.reverses("reproduced", "not reproduced") and claims.reverses("not reproduced", "reproduced")
    for a, b in [("reproduced", "reproduced"), ("reproduced", "inconclusive"), ("partly", "not reproduced"),
                 ("not reproduced", None)]:
        assert not claims.reverses(a, b) and not claims.reverses(b, a)


def test_combining_parts():
    assert claims.combine(["reproduced", "reproduced"]) == "reproduced"
    assert claims.combine(["reproduced", "not reproduced"]) == "partly"
    assert claims.combine(["reproduced", "not reproduced", "inconclusive"]) == "partly"
    assert claims.combine(["not reproduced", "inconclusive"]) == "not reproduced"
    assert claims.combine(["reproduced", "inconclusive"]) == "inconclusive"
    with pytest.raises(ValueError):
        claims.combine([])
    either = claims.either("collapsed", [claims.part("a", claims.Interval(-2, -3, -1.5, 3), "<", -1.0),
                                         claims.part("b", claims.Interval(0.4, 0.3, 0.5, 3), ">", 0.9)])
    assert either["verdict"] == "reproduced"
    entry = claims.claim([claims.part("x", claims.Interval(1, 0.5, 1.5, 3), ">"), either], "measured", "text")
    assert entry["verdict"] == "reproduced" and entry["parts"][0]["text"] == "1.0 [0.5, 1.5]"


def test_a_named_winner_must_beat_every_other_option():
    rng = np.random.default_rng(1)
    base = rng.normal(0, 0.5, (3, 25))
    clear = claims.best({"a": base + 1.0, "b": base, "c": base - 1.0}, higher_is_better=True, margin=0.1)
    assert clear["winner"] == "a" and clear["verdicts"] == {"a": "reproduced", "b": "not reproduced",
                                                            "c": "not reproduced"}
    tie = claims.best({"a": base + 0.01, "b": base, "c": base - 1.0}, higher_is_better=True, margin=0.1)
    assert tie["winner"] is None and tie["verdicts"]["a"] == "not reproduced"  # a tie within the margin
    lower = claims.best({"a": base + 1.0, "b": base}, higher_is_better=False)
    assert lower["winner"] == "b"
    part = claims.best_part("b best", lower, "b")
    assert part["verdict"] == "reproduced" and part["winner"] == "b" and "- a:" in part["text"]


def test_one_loss_among_several_comparisons_refutes_the_best_only_at_the_corrected_confidence():
    """"a is the best of 4" is refuted by one loss at 1 - 5 %/3 (Bonferroni), not by a loss at 95 % that the
    stricter interval does not confirm; with two options there is nothing to correct."""
    base = np.array([20.0, 21.0, 22.0])
    loses_to_b = base + np.array([0.2, 0.3, 0.4])  # a - b = -0.3 +- 0.1 over 3 seeds
    assert claims.interval(base, loses_to_b).high < 0 < claims.interval(base, loses_to_b, confidence=1 - 0.05 / 3).high
    four = claims.best({"a": base, "b": loses_to_b, "c": base - 5, "d": base - 6}, higher_is_better=True)
    assert four["refuting_confidence"] == pytest.approx(1 - 0.05 / 3)
    assert four["verdicts"]["a"] == "inconclusive" and four["verdicts_uncorrected"]["a"] == "not reproduced"
    assert four["verdicts"]["d"] == "not reproduced"  # clear losses stay refuted
    two = claims.best({"a": base, "b": loses_to_b}, higher_is_better=True)
    assert two["refuting_confidence"] == pytest.approx(0.95) and two["verdicts"]["a"] == "not reproduced"
    part = claims.best_part("a best", four, "a")
    assert part["verdict"] == "inconclusive" and part["verdict_uncorrected"] == "not reproduced"
    entry = claims.claim([part], "measured")
    assert entry["verdict"] == "inconclusive" and agreement.uncorrected_verdict(entry) == "not reproduced"


def test_digits_follow_the_spread():
    assert claims.digits_for(0.56) == 1 and claims.digits_for(0.12) == 2 and claims.digits_for(3.4) == 0
    assert claims.Interval(1.134, 0.57, 1.69, 3).text(" dB") == "1.1 dB [0.6, 1.7]"
    assert claims.mean_sd([21.1, 21.5, 21.3], " dB") == "21.30 +- 0.20 dB"
    assert claims.mean_sd([3.0]) == "3 (1 seed)"
    assert claims.cell({"psnr": 21.3, "psnr_sd": 0.2}, "psnr") == "21.30 +- 0.20"
    assert claims.cell({"psnr": 20.7, "psnr_sd": None, "deterministic": True}, "psnr") == "20.7"
    assert claims.cell({"x": "nan", "x_sd": "nan"}, "x") == "n/a"
    assert claims.cell({"x": 2.0, "x_sd": "nan"}, "x") == "2 (1 seed)"


def test_one_wording_everywhere():
    assert [claims.wording(v) for v in claims.VERDICTS] == list(claims.VERDICTS)
    assert claims.wording("not reproduced", markdown=True) == "**not reproduced**"
    with pytest.raises(ValueError, match="unknown verdict"):
        claims.wording("partly / inconclusive")


def test_claims_table_says_what_was_not_measured(tmp_path, monkeypatch):
    monkeypatch.setenv("COLORLIB_REPORT", str(tmp_path))
    results.save("02", {"profile": "smoke", "seeds": [0], "claims": {"C1": claim_entry("partly")}})
    results.save("05", {"profile": "smoke", "claims": {}})
    results.save("08", {"profile": "smoke", "seeds": [0], "claims": {"S3": claim_entry("not reproduced", "dull in, dull out")}})
    text = (claims.write_claims("smoke")).read_text()
    assert "| C1: The UNet alone colourises" in text and "| 02 | smoke (0) | partly | PSNR 1 \\| 2 |" in text
    assert "| C2:" in text and "| 03 | - | not measured | notebook 03 has not run |" in text
    assert "| 05 | smoke | not measured | notebook 05 recorded no verdict |" in text
    assert "## Further studies" in text and "| S3: dull in, dull out | 08 | smoke (0) | **not reproduced** | x |" not in text
    assert "| S3: dull in, dull out | 08 | smoke (0) | **not reproduced** | PSNR 1 \\| 2 |" in text
    assert claims.RULE in text
    assert "Whether a verdict survives" not in text  # no stability or seed-pool table beside it
    (tmp_path / "seed_pool.md").write_text("# pool\n")
    assert "Whether a verdict survives other training seeds: [seed_pool.md](seed_pool.md) (every claim over many " \
           "other seed sets" in claims.write_claims("smoke").read_text()


def test_profile_label_names_overrides_and_a_precision_other_than_fp32():
    runs_fp32 = {"A": [{"key": "k1"}, {"key": "k2", "precision": "fp32"}]}
    assert claims.profile_label({"profile": "report", "runs": runs_fp32}) == "report"
    runs_bf16 = {"A": [{"key": "k1", "precision": "bf16"}], "B": {"key": "k2", "precision": "bf16"}}
    assert claims.profile_label({"profile": "report", "runs": runs_bf16}) == "report, bf16"
    assert claims.profile_label({"profile": "paper", "overrides": {"limit": 8}, "runs": [{"key": "k"}]}) \
        == "paper with limit=8"


def test_profile_label_names_an_init_other_than_the_default_of_adain_runs_only():
    runs = {"A": [{"key": "k1", "model": {"adain": True, "style_init": "he"}}],
            "B": {"key": "k2", "model": {"adain": False, "style_init": "he"}}}
    assert claims.profile_label({"profile": "report", "runs": runs}) == "report, he-init"
    runs = {"B": {"key": "k2", "model": {"adain": False, "style_init": "he"}},
            "C": {"key": "k3", "model": {"adain": True}}}
    assert claims.profile_label({"profile": "report", "runs": runs}) == "report"


def test_same_way_compares_precision_only_where_both_recorded_their_runs():
    """An fp32 report (a CPU without native bf16, precision "auto") ran otherwise than a bf16 one; a results
    file from before its notebook recorded runs is not told apart by precision (the AMD EPYC report's 05)."""
    bf16 = {"profile": "report", "runs": [{"key": "a", "precision": "bf16"}]}
    fp32 = {"profile": "report", "runs": {"final": [{"key": "b", "precision": "fp32"}]}}
    assert claims.same_way(bf16, dict(bf16)) and not claims.same_way(bf16, fp32)
    assert claims.same_way(bf16, {"profile": "report"}) and claims.same_way({"profile": "report", "runs": []}, fp32)
    assert not claims.same_way(bf16, {**bf16, "overrides": {"limit": 8}})
    assert not claims.same_way(bf16, {**bf16, "profile": "smoke"})


def test_no_claim_compares_with_a_model_averaged_over_its_seeds():
    """Every comparison pairs the seeds, so its interval holds both models' seed spread (notebook 13's S8 once took
    the compared model's mean over seeds, which left that spread out: found by colorlib.strictness)."""
    import ast

    for path in sorted((REPO_DIR / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        tree = ast.parse("\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code"))
        for call in ast.walk(tree):
            if isinstance(call, ast.Call) and ast.unparse(call.func) == "claims.interval":
                averaged = [ast.unparse(a) for a in call.args if "mean(axis=0)" in ast.unparse(a)]
                assert not averaged, f"{path.name}: claims.interval compares with {averaged} (pair the seeds)"

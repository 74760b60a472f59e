"""The stricter-level study (``colorlib.strictness``): an interval re-made at another level from its seeds' and
photos' parts, the self-check, the counts over disjoint pairs, and the committed study regenerated."""
from __future__ import annotations

import json

import numpy as np
import pytest

from colorlib import claims, seedpool, strictness
from colorlib.paths import REPO_DIR

REPORT = REPO_DIR / "report"


@pytest.mark.parametrize("confidence", [0.95, 0.99, 0.999])
def test_an_interval_is_remade_at_another_level_exactly(confidence):
    rng = np.random.default_rng(3)
    d = rng.normal(0.3, 1.0, (3, 40)) + rng.normal(0, 0.5, (3, 1))  # three seeds' effects on 40 photos
    made = claims.interval(d)
    at = strictness.interval_at({"estimate": made.estimate, "low": made.low, "high": made.high},
                                list(d.mean(axis=1)), confidence)
    truth = claims.interval(d, confidence=confidence)
    assert at.low == pytest.approx(truth.low, rel=1e-12) and at.high == pytest.approx(truth.high, rel=1e-12)


def test_an_interval_narrower_than_its_seeds_part_is_not_split_and_is_widened_either_way():
    effects = [0.0, 1.0, 2.0]
    iv = {"estimate": 1.0, "low": 0.9, "high": 1.1}  # the seeds alone give a half-width of about 2.5
    assert strictness.split(iv, effects) is None
    widest = strictness.interval_at(iv, effects, 0.99, "seeds")
    narrowest = strictness.interval_at(iv, effects, 0.99, "photos")
    t_ratio = claims._t_quantile(2, 0.99) / claims._t_quantile(2)
    assert widest.high - 1.0 == pytest.approx(0.1 * t_ratio) and 0.1 < narrowest.high - 1.0 < widest.high - 1.0


def _judged(verdicts: dict[tuple[int, ...], str]) -> dict:
    return {seedpool.name_of(s): {"seeds": list(s), "claims": {"C1": {"verdict": v, "parts": {"a": v}}}}
            for s, v in verdicts.items()}


def test_observed_counts_disjoint_pairs_decided_claims_and_reversals():
    judged = _judged({(0, 1, 2): "reproduced", (3, 4, 5): "not reproduced", (6, 7, 8): "reproduced",
                      (0, 3, 6): "inconclusive", (0, 1, 2, 3, 4): "partly"})
    seen = strictness.observed(judged, 3)
    # disjoint pairs: 012-345 (reversed), 012-678 (agree), 345-678 (reversed); 036 overlaps all three
    assert (seen["pairs"], seen["agree"], seen["reversed"]) == (3, 1, 2)
    assert seen["decided"] == 3 / 4 and seen["partly"] == 0
    assert strictness.observed(judged, 5)["pairs"] == 0 and strictness.observed(judged, 5)["partly"] == 1


def test_would_do_needs_both_the_projection_and_the_observed_pairs():
    entry = {"projected": {3: 0.96}, "observed": {3: {"pairs": 12, "agree": 11}}}
    assert strictness.would_do(entry) == (True, True)
    assert strictness.would_do({**entry, "projected": {3: 0.9}}) == (False, True)
    assert strictness.would_do({**entry, "observed": {3: {"pairs": 12, "agree": 10}}}) == (True, False)


def test_the_self_check_refuses_a_verdict_that_the_rule_did_not_give():
    pool = {"sets": {"0-1-2": {"seeds": [0, 1, 2], "claims": {"C1": {
        "verdict": "reproduced", "parts": [{"name": "a", "verdict": "reproduced"}]}}}}}
    strictness.self_check(pool, _judged({(0, 1, 2): "reproduced"}))
    with pytest.raises(ValueError, match="C1 in seed set 0-1-2"):
        strictness.self_check(pool, _judged({(0, 1, 2): "inconclusive"}))


def test_the_committed_study_is_regenerated_from_the_committed_pool(tmp_path):
    pool = json.loads(seedpool.POOL_JSON.read_text())
    result = strictness.studied(pool, REPORT)  # at the rule's level it self-checks against every recorded verdict
    assert (REPORT / "strictness.md").read_text() == strictness.markdown(result), \
        "report/strictness.md is stale: run `python -m colorlib.strictness`"
    assert strictness.summary(result) in (REPO_DIR / "README.md").read_text(), \
        "the README's strictness block is stale: run `python -m colorlib.readme`"
    assert list(result["levels"]) == list(strictness.LEVELS) and len(result["claims"]) >= 10
    assert all(e["observed"][3]["pairs"] == 12 for e in result["levels"].values())
    path = strictness.write_figure(result, tmp_path / "strictness.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_the_left_out_seed_spread_gives_the_verdicts_either_end_allows():
    test = {"test": ">", "threshold": -0.1, "margin": None}
    iv = {"estimate": -1.2, "low": -1.95, "high": -0.45}  # recorded without the compared model's seed spread
    assert strictness.with_left_out_spread(iv, [-1.2, -1.2, -1.2], test) == ["not reproduced"]  # no seed spread
    assert strictness.with_left_out_spread(iv, [-2.0, -1.2, -0.4], test) == ["inconclusive"]
    # a seed spread that only the photos' unknown part pushes across the threshold: both verdicts are possible
    both = strictness.with_left_out_spread(iv, [-1.6, -1.2, -0.8], test)
    assert both == ["not reproduced", "inconclusive"]
    result = {"left_out": {"S8": {"recorded": "not reproduced", "with": ["not reproduced"], "seeds": [0, 1, 2],
                                  "parts": {"a": ("not reproduced", ["not reproduced"]),
                                            "b": ("not reproduced", ["inconclusive"])}}}}
    text = strictness.left_out_text(result)
    assert "seeds 0, 1, 2" in text and "b not reproduced (with it: inconclusive)" in text
    assert "no committed claim verdict changes, though a part's does" in text


def _best_of_three_pool(tmp_path):
    """A pool of every seed set of the design with two claims, "A is the best of A, B, C" and "B is" (higher is
    better), each set's parts made by claims.best on synthetic per-seed, per-photo values, kept as the pool keeps
    them."""
    rng = np.random.default_rng(7)
    seeds, photos = 11, 30
    values = {name: mean + rng.normal(0, 0.4, (seeds, 1)) + rng.normal(0, 1.0, (seeds, photos))
              for name, mean in (("A", 0.55), ("B", 0.0), ("C", -2.0))}
    sets = {}
    for chosen in seedpool.seed_sets():
        result = claims.best({k: v[list(chosen)] for k, v in values.items()}, True, 0.05)
        parts = {cid: seedpool._part(claims.best_part(f"{option} best", result, option))
                 for cid, option in (("C7", "A"), ("C9", "B"))}  # B loses to A in some sets: the refuting path
        sets[seedpool.name_of(chosen)] = {"seeds": list(chosen), "claims": {
            cid: {"verdict": claims.combine([p["verdict"]]), "parts": [p]} for cid, p in parts.items()}}
    return {"seeds": list(seedpool.SEEDS), "sets": sets}


def test_best_of_k_parts_are_rejudged_exactly_and_projected(tmp_path):
    from colorlib import seedbudget

    pool = _best_of_three_pool(tmp_path)
    for cid, expected in (("C7", {"reproduced", "inconclusive"}), ("C9", {"not reproduced", "inconclusive"})):
        assert {s["claims"][cid]["verdict"] for s in pool["sets"].values()} == expected  # near the threshold
    fitted = seedbudget.fitted_parts(pool, tmp_path)  # no threshold parts: the report has no results
    fit = fitted[("C7", "A best")]
    assert sorted(fit["versus"]) == ["B", "C"] and fit["residual"] < 1e-9
    assert fit["strict"] == pytest.approx(claims.refuting_confidence(3))
    assert seedbudget.strict_at(claims.CONFIDENCE, fit["strict"]) == pytest.approx(fit["strict"])
    # at the rule's level the re-judgment gives every seed set its recorded verdict, won and lost comparisons alike
    judged = strictness.rejudge(pool, fitted, ["C7", "C9"], claims.CONFIDENCE)
    strictness.self_check(pool, judged)
    stricter = strictness.rejudge(pool, fitted, ["C7", "C9"], 0.999)
    assert sum(s["claims"]["C7"]["verdict"] == "inconclusive" for s in stricter.values()) >= \
        sum(s["claims"]["C7"]["verdict"] == "inconclusive" for s in judged.values())
    result = seedbudget.project(pool, tmp_path, grid=(3, 5), draws=300)
    assert list(result["claims"]) == ["C7", "C9"] and not seedbudget.unprojected(pool, result)
    assert all(0.0 <= v <= 1.0 for v in result["claims"]["C7"]["curve"].values())
    assert "best of 3 (>), refuted at 97.5 %" in seedbudget.markdown(result, pool, tmp_path)

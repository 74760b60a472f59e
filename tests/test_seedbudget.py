"""The seed budget (``colorlib.seedbudget``): per-seed effects recovered from the pool, the photo part, the simulated
agreement of two disjoint reports, and the committed projection regenerated from the committed pool."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest

from colorlib import claims, seedbudget, seedpool
from colorlib.paths import REPO_DIR

REPORT = REPO_DIR / "report"
SPREAD = np.array([-1.5, -1.2, -0.9, -0.6, -0.3, 0.0, 0.3, 0.6, 0.9, 1.2, 1.5])  # eleven seeds, mean 0


def _sets(effects: np.ndarray, photo: tuple[float, float] = (0.0, 0.0)) -> list[tuple[list[int], dict]]:
    """The pool's seed sets with intervals made by the rule's formula from known per-seed effects."""
    out = []
    for chosen in seedpool.seed_sets():
        x = effects[list(chosen)]
        half = math.hypot(claims._t_quantile(len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)),
                          math.sqrt(photo[0] + photo[1] / len(x)))
        out.append((list(chosen), {"estimate": float(x.mean()), "low": x.mean() - half, "high": x.mean() + half}))
    return out


def test_per_seed_effects_and_photo_part_are_recovered_from_the_sets():
    effects = 0.3 + 0.1 * SPREAD[::-1] ** 3
    recovered, residual = seedbudget.per_seed_effects(_sets(effects, (0.04, 0.09)))
    assert residual < 1e-12
    assert np.allclose([recovered[s] for s in range(11)], effects, atol=1e-12)
    p, i = seedbudget.photo_part(_sets(effects, (0.04, 0.09)), recovered)
    assert p == pytest.approx(0.04, abs=1e-9) and i == pytest.approx(0.09, abs=1e-9)
    assert seedbudget.photo_part(_sets(effects), recovered) == pytest.approx((0.0, 0.0), abs=1e-9)


def _curve(effects, test, photo=(0.0, 0.0), grid=(3, 25, 400), draws=2000) -> dict[int, float]:
    rng = np.random.default_rng(0)
    curve = {}
    for s in grid:
        a, b = (seedbudget.part_verdicts(effects, photo, test, rng.integers(0, len(effects), (draws, s)))
                for _ in range(2))
        curve[s] = float(np.mean(a == b))
    return curve


def test_agreement_is_one_far_from_the_threshold_and_dips_near_it():
    far = _curve(5 + 0.1 * SPREAD, {"test": ">", "threshold": 0.0, "margin": None})
    assert all(v == 1.0 for v in far.values()) and seedbudget.seeds_needed(far) == 3
    # mean 0.4, spread about 1: three seeds leave it inconclusive (two reports agree), 25 decide it about half the
    # time (they disagree), 400 decide it every time (they agree again)
    near = _curve(0.4 + SPREAD, {"test": ">", "threshold": 0.0, "margin": None})
    assert near[25] < 0.75 and near[3] > near[25] + 0.2 and near[400] > near[25] + 0.2, near
    # an equivalence test: effects well inside +- margin give "reproduced" once the interval is narrow
    within = seedbudget.part_verdicts(0.01 * SPREAD, (0.0, 0.0), {"test": "within", "threshold": 0.0, "margin": 0.1},
                                      np.random.default_rng(1).integers(0, 11, (200, 9)))
    assert set(within) == {"reproduced"}


def test_claim_verdicts_use_the_one_rule_and_seeds_needed_takes_the_first_that_reaches_agree():
    parts = [np.array(["reproduced", "reproduced", "not reproduced"], dtype=object),
             np.array(["reproduced", "inconclusive", "reproduced"], dtype=object)]
    assert list(seedbudget.claim_verdicts(parts)) == ["reproduced", "inconclusive", "partly"]
    assert seedbudget.seeds_needed({3: 0.5, 5: 0.96, 9: 0.99}) == 5
    assert seedbudget.seeds_needed({3: 0.96, 5: 0.5, 9: 0.99}) == 3
    assert seedbudget.seeds_needed({3: 0.5, 5: 0.9}) is None


def test_observed_agreement_counts_the_disjoint_triple_pairs():
    # the part is reproduced in every triple that holds seed 0, inconclusive elsewhere: in each of the four splits
    # of the nine seeds, one of its three pairs leaves seed 0 out of both triples and agrees
    sets = {}
    for chosen in seedpool.seed_sets(extra=()):
        v = "reproduced" if 0 in chosen else "inconclusive"
        sets[seedpool.name_of(chosen)] = {"seeds": list(chosen), "claims": {"C1": {
            "verdict": v, "parts": [{"name": "a", "verdict": v}]}}}
    pool = {"seeds": list(range(9)), "sets": sets}
    assert seedbudget.observed_agreement(pool, ("C1", "a"), 3) == (4, 12)
    assert seedbudget.observed_agreement(pool, ["C1"], 3, claim_level=True) == (4, 12)
    assert seedbudget.observed_agreement(pool, ("C1", "missing"), 3) == (0, 0)


def test_the_committed_projection_is_regenerated_from_the_committed_pool():
    pool = json.loads(seedpool.POOL_JSON.read_text())
    result = seedbudget.project(pool, REPORT)
    assert (REPORT / "seed_budget.md").read_text() == seedbudget.markdown(result, pool, REPORT), \
        "report/seed_budget.md is stale: run `python -m colorlib.seedbudget`"
    assert seedbudget.summary(result, pool, REPORT) in (REPO_DIR / "README.md").read_text(), \
        "the README's seed_budget block is stale: run `python -m colorlib.readme`"
    assert max(r["residual"] for r in result["parts"].values()) < 1e-9  # the estimates are means of seed effects
    # every claim with all its parts projected is in the claim table; the others are named as not projected
    missing = {cid for cid, _ in seedbudget.unprojected(pool, result)}
    assert not missing & set(result["claims"]) and {"C7", "C9", "S2"} <= missing
    assert all(0.0 <= v <= 1.0 for r in [*result["parts"].values(), *result["claims"].values()]
               for v in r["curve"].values())


def test_the_figure_is_written(tmp_path):
    pool = json.loads(seedpool.POOL_JSON.read_text())
    result = seedbudget.project(pool, REPORT, grid=(3, 5, 9), draws=200)
    path = seedbudget.write_figure(result, tmp_path / "seed_budget.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_one_projection_serves_the_markdown_and_the_readme_block(monkeypatch):
    calls = []
    monkeypatch.setattr(seedbudget, "project", lambda pool, report: calls.append(pool) or {"made": len(calls)})
    monkeypatch.setattr(seedbudget, "_PROJECTED", {})
    pool = json.loads(seedpool.POOL_JSON.read_text())
    first = seedbudget.projection(pool, REPORT)
    assert seedbudget.projection(json.loads(seedpool.POOL_JSON.read_text()), REPORT) is first and len(calls) == 1
    changed = {**pool, "commit": "another"}
    assert seedbudget.projection(changed, REPORT) == {"made": 2}  # another pool: projected again


def _either_pool(report, tiny: np.ndarray, dead: np.ndarray, keep_alternatives: bool = True) -> dict:
    """A pool of one claim with one "either" part (its alternatives made by the rule's formula from known
    per-seed effects, as notebook 05 makes C3's), and ``report``'s results recording its tests."""
    sets, alternatives = {}, {"tiny": ("<", -1.0, tiny), "dead": (">", 0.9, dead)}
    by_name = {name: _sets(effects) for name, (*_, effects) in alternatives.items()}
    for i, chosen in enumerate(seedpool.seed_sets()):
        made = [claims.part(name, claims.Interval(**by_name[name][i][1], seeds=len(chosen)), test, threshold)
                for name, (test, threshold, _) in alternatives.items()]
        part = seedpool._part(claims.either("collapsed", made))
        if not keep_alternatives:
            del part["any_of"]
        sets[seedpool.name_of(chosen)] = {"seeds": list(chosen), "claims": {"C3": {
            "verdict": claims.combine([part["verdict"]]), "parts": [part]}}}
    (report / "results").mkdir(parents=True, exist_ok=True)
    (report / "results" / "05.json").write_text(json.dumps({"claims": {"C3": {"parts": [claims.either(
        "collapsed", [claims.part(n, claims.Interval(0.0, -1.0, 1.0, 3), t, thr) for n, (t, thr, _) in
                      alternatives.items()])]}}}))
    return {"seeds": list(range(11)), "sets": sets}


def test_an_either_part_is_projected_from_its_alternatives_by_the_one_rule(tmp_path):
    from colorlib import strictness

    # "tiny" is never below -1; "dead" sits on its threshold 0.9, so reports differ on it
    pool = _either_pool(tmp_path, -0.3 + 0.05 * SPREAD, 0.9 + 0.2 * SPREAD)
    fit = seedbudget.fitted_parts(pool, tmp_path)[("C3", "collapsed")]
    assert set(fit["any_of"]) == {"tiny", "dead"} and fit["residual"] < 1e-12
    assert fit["any_of"]["dead"]["test"] == ">" and fit["any_of"]["dead"]["threshold"] == 0.9
    drawn = np.random.default_rng(0).integers(0, 11, (500, 3))
    effects = {name: np.array([a["effects"][s] for s in range(11)]) for name, a in fit["any_of"].items()}
    got = seedbudget.simulated(fit, effects, drawn)
    each = [seedbudget.part_verdicts(effects[n], a["photo"], a, drawn) for n, a in fit["any_of"].items()]
    assert list(got) == [claims.either_verdict(v) for v in zip(*each)]
    assert {"reproduced", "not reproduced"} <= set(got)  # both ways, so the either rule is exercised
    result = seedbudget.project(pool, tmp_path, grid=(3, 9), draws=300)
    assert "C3" in result["claims"] and not seedbudget.unprojected(pool, result)
    # re-judged at the rule's level, every seed set's either part gets its recorded verdict (self_check raises)
    judged = strictness.rejudge(pool, seedbudget.fitted_parts(pool, tmp_path), ["C3"], claims.CONFIDENCE)
    strictness.self_check(pool, judged)
    assert {s["claims"]["C3"]["parts"]["collapsed"] for s in judged.values()} >= {"reproduced", "not reproduced"}
    # a pool collected before the alternatives were kept: the part is listed as not projected
    old = _either_pool(tmp_path, -0.3 + 0.05 * SPREAD, 0.9 + 0.2 * SPREAD, keep_alternatives=False)
    assert ("C3", "collapsed") not in seedbudget.fitted_parts(old, tmp_path)
    assert seedbudget.unprojected(old, {"parts": {}}) == [("C3", "collapsed")]

"""The seed pool on a second machine: the warm-against-cold check, reversals, the predictions and the page."""
import json
import math
import shutil
from collections import Counter

import pytest

from colorlib import poolreplica, seedpool
from colorlib.paths import REPO_DIR


def _snap(intervals: dict[str, dict[str, float] | None], verdict: str = "reproduced") -> dict:
    """A snapshot with one part per claim (claim id -> its interval, or None for a part without one)."""
    return {"claims": {cid: {"verdict": verdict, "parts": [{"name": "a", "verdict": verdict,
                                                            **({"interval": iv} if iv else {})}]}
                       for cid, iv in intervals.items()}}


def test_interval_gap_is_relative_skips_the_claims_changed_on_purpose_and_flags_missing_parts():
    iv = {"estimate": 1.0, "low": 0.5, "high": math.inf}
    assert poolreplica.interval_gap(_snap({"C1": iv}), _snap({"C1": dict(iv)})) == 0.0
    assert poolreplica.interval_gap(_snap({"C1": iv}), _snap({"C1": {**iv, "low": 0.5 * (1 + 1e-3)}})) \
        == pytest.approx(1e-3 / (1 + 1e-3))
    assert poolreplica.interval_gap(_snap({"C1": iv}), _snap({"C1": {**iv, "high": 2.0}})) == math.inf
    moved = {"estimate": 9.0, "low": 8.0, "high": 10.0}
    assert poolreplica.interval_gap(_snap({"C1": iv, "S8": iv}), _snap({"C1": iv, "S8": moved})) == 0.0
    assert poolreplica.interval_gap(_snap({"C1": iv}), _snap({"C1": None})) == math.inf
    assert poolreplica.interval_gap(_snap({"C1": iv}), _snap({"C1": iv, "C2": iv})) == math.inf


def test_reversed_between_names_only_reproduced_against_not_reproduced():
    a = {"C1": "reproduced", "C2": "inconclusive", "C3": "not reproduced", "C4": "partly"}
    b = {"C1": "not reproduced", "C2": "reproduced", "C3": "not reproduced", "C4": "not reproduced"}
    assert poolreplica.reversed_between(a, b) == ["C1"]
    assert poolreplica.reversed_between(a, {}) == []


def test_determinism_names_a_claim_whose_kept_verdict_differs(tmp_path):
    kept = poolreplica.TESTS_FROM
    folder = tmp_path / kept.name
    shutil.copytree(kept / "results", folder / "results")
    snap = seedpool.snapshot(folder)
    pool = {"sets": {"0-1-2": snap}}
    assert poolreplica.determinism(pool, tmp_path) == [{
        "name": "0-1-2", "claims": len(snap["claims"]), "cold": None, "warm": snap["seconds"], "differ": [],
        "gap": 0.0, "on_purpose": {"S8": (snap["claims"]["S8"]["verdict"],) * 2 + ([],)}}]
    data = json.loads((folder / "results" / "02.json").read_text())
    c1 = data["claims"]["C1"]
    c1["verdict"] = "reproduced" if c1["verdict"] != "reproduced" else "inconclusive"
    c1["parts"][0]["interval"]["low"] += 0.5
    (folder / "results" / "02.json").write_text(json.dumps(data))
    row = poolreplica.determinism(pool, tmp_path)[0]
    assert row["differ"] == ["C1"] and row["gap"] > 0.1
    s8 = snap["claims"]["S8"]["parts"][1]
    moved = {**snap, "claims": {**snap["claims"], "S8": {**snap["claims"]["S8"], "parts": [
        snap["claims"]["S8"]["parts"][0], {**s8, "verdict": "inconclusive"}]}}}
    assert poolreplica.parts_moved(snap, moved, "S8") == [(s8["name"], s8["verdict"], "inconclusive")]


@pytest.fixture(scope="module")
def committed():
    pool = json.loads(poolreplica.REPLICA_JSON.read_text())
    return pool, poolreplica.studied(pool, json.loads(seedpool.POOL_JSON.read_text()))


def test_the_committed_page_is_regenerated_from_the_committed_pool(committed, tmp_path):
    pool, result = committed  # strictness.study self-checks every recorded verdict, best-of-K parts included
    assert poolreplica.REPLICA_MD.read_text() == poolreplica.markdown(result, pool), \
        "report/seed_pool_amd-epyc-avx2.md is stale: run `python -m colorlib.poolreplica`"
    assert poolreplica.summary(result) in (REPO_DIR / "README.md").read_text(), \
        "the README's pool_replica block is stale: run `python -m colorlib.readme`"
    # what the page says the pool is: one commit, twelve triples, nine windows of four and all nine seeds
    assert sorted(Counter(len(s["seeds"]) for s in pool["sets"].values()).items()) == [(3, 12), (4, 9), (9, 1)]
    assert len({s["commit"] for s in pool["sets"].values()}) == 1 and pool["extra_seeds"] == []
    kept = sorted(p.name for p in poolreplica.KEPT.glob(f"{poolreplica.KEPT_PREFIX}*"))
    assert [poolreplica.KEPT_PREFIX + r["name"] for r in result["determinism"]] == kept and len(kept) == 3
    assert {poolreplica.EITHER, *poolreplica.BEST_OF_K} <= set(result["budget"]["claims"])  # projected at last
    assert poolreplica.REPLICA_MD.with_name(poolreplica.FIGURE.name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_goals_table_asks_issue_15s_questions_of_this_pool_too(committed):
    from colorlib import readme

    pool, result = committed
    three = next(r for r in result["sizes"] if r["size"] == 3)
    block = readme.block_goals()
    assert (f"| pairs of disjoint 3-seed reports of the AMD EPYC's seed pool (fp32) | - | every verdict identical in "
            f"every pair (issue 15) | {three['agree']} of 12 pairs identical, {three['differ']:.2f} claims differ per "
            "pair, 0 flips (report/seed_pool_amd-epyc-avx2.md) | **NOT met** |") in block
    assert (f"against the committed report | - | every verdict identical (issue 15) | {len(result['as_committed'])} "
            "of 12 triples identical (report/seed_pool_amd-epyc-avx2.md) |") in block
    assert f"({len(result['as_committed'])} of 12)" in poolreplica.markdown(result, pool)


def test_a_prediction_that_fails_is_reported_as_not_held(committed):
    _, result = committed
    broken = {**result, "determinism": [{**r, "gap": 1.0} for r in result["determinism"]],
              "flips": {3: [("C1", "0-1-2", "3-4-5")], 4: []}}
    lines = poolreplica.predictions(broken)
    (first, _), (third, _) = lines[0], lines[2]
    assert "**did not hold**" in first and "C1: 0-1-2 / 3-4-5" in third and "**did not hold**" in third
    assert lines[0][1] is False and lines[2][1] is False
    assert lines[1] == poolreplica.predictions(result)[1]  # the others as measured
    assert "7 of 7 held" in poolreplica.summary(result) and "5 of 7 held" in poolreplica.summary(broken)


def test_the_readme_block_is_cached_under_everything_it_is_made_from(committed, tmp_path):
    _, result = committed
    assert poolreplica.cached_summary() == poolreplica.summary(result)
    pool_json, kept = tmp_path / "pool.json", tmp_path / "stability"
    shutil.copy(poolreplica.REPLICA_JSON, pool_json)
    for folder in poolreplica.KEPT.glob(f"{poolreplica.KEPT_PREFIX}*"):
        shutil.copytree(folder / "results", kept / folder.name / "results")
        shutil.copy(folder / "timings.json", kept / folder.name / "timings.json")
    digest = poolreplica.inputs_digest(pool_json, kept_dir=kept)
    assert digest == poolreplica.inputs_digest()  # the same bytes elsewhere
    pool_json.write_text(pool_json.read_text().replace('"inconclusive"', '"reproduced"', 1))
    assert poolreplica.inputs_digest(pool_json, kept_dir=kept) != digest
    shutil.copy(poolreplica.REPLICA_JSON, pool_json)
    (kept / f"{poolreplica.KEPT_PREFIX}0-1-2" / "timings.json").write_text("{}")
    assert poolreplica.inputs_digest(pool_json, kept_dir=kept) != digest

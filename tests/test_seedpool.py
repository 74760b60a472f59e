"""The seed pool (``colorlib.seedpool``): its design, the counts over seed sets, and the committed pool's files."""
from __future__ import annotations

import itertools
import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from colorlib import agreement, claims, seedpool
from colorlib.paths import REPO_DIR

REPORT = REPO_DIR / "report"


def test_design_splits_nine_seeds_four_ways_and_every_pair_shares_one_triple():
    groups = seedpool.design(range(10, 19))
    assert len(groups) == 4 and all(len(g) == 3 for g in groups)
    for group in groups:  # each way is a split of the nine seeds into three disjoint triples
        assert sorted(s for t in group for s in t) == list(range(10, 19))
    triples = [set(t) for g in groups for t in g]
    assert len({frozenset(t) for t in triples}) == 12
    for a, b in itertools.combinations(range(10, 19), 2):
        assert sum({a, b} <= t for t in triples) == 1, (a, b)
    assert groups[0] == [(10, 11, 12), (13, 14, 15), (16, 17, 18)]  # the three one-thread seed sets come first
    assert seedpool.seed_sets(extra=())[-1] == tuple(range(9)) and len(seedpool.seed_sets(extra=())) == 12 + 9 + 1
    assert seedpool.seed_sets()[22:] == seedpool.windows(range(11), 5) and len(seedpool.seed_sets()) == 22 + 11
    fives = seedpool.windows(range(11), 5)
    assert fives[0] == (0, 1, 2, 3, 4) and fives[10] == (10, 0, 1, 2, 3)
    assert all(sum(not set(a) & set(b) for b in fives) == 2 for a in fives)  # 11 disjoint pairs in all
    assert seedpool.run_sets()[22] == (9, 10) and seedpool.run_sets()[23:] == fives  # trained before the windows
    quads = seedpool.windows(range(9), 4)
    assert quads[0] == (0, 1, 2, 3) and quads[8] == (8, 0, 1, 2)
    assert all(sum(not set(a) & set(b) for b in quads) == 2 for a in quads)  # disjoint from two windows each
    with pytest.raises(ValueError, match="nine different seeds"):
        seedpool.design([0, 1, 2, 3, 4, 5, 6, 7, 7])


def _pool(verdicts: dict[str, dict[str, str]], nine: dict[str, str] | None = None, extra=()) -> dict:
    """A pool whose triple ``name`` gives ``verdicts[name]`` (triples not named: the first one's); with ``extra``
    seeds, windows of five too."""
    first = next(iter(verdicts.values()))
    entry = lambda v: {"notebook": "02", "verdict": v, "parts": [{"name": "a", "verdict": v, "text": "1 [0, 2]"}]}
    sets = {}
    for t in seedpool.seed_sets(extra=extra):
        name = seedpool.name_of(t)
        chosen = nine if len(t) == 9 else verdicts.get(name, first)
        if chosen is not None:
            sets[name] = {"seeds": list(t), "commit": "abc1234", "machine": "a CPU",
                          "claims": {cid: entry(v) for cid, v in chosen.items()}}
    return {"seeds": list(range(9)), "extra_seeds": list(extra), "commit": "abc1234", "sets": sets}


def test_counts_pairs_and_flips_over_the_triples():
    main = {"C1": "reproduced", "S2": "not reproduced"}
    pool = _pool({"0-1-2": main, "3-4-5": {"C1": "reproduced", "S2": "inconclusive"},
                  "0-3-6": {"C1": "not reproduced", "S2": "not reproduced"}}, nine={"C1": "reproduced", "S2": "inconclusive"})
    counts = seedpool.verdict_counts(pool)
    assert counts["C1"] == {"reproduced": 11, "not reproduced": 1}
    assert counts["S2"] == {"not reproduced": 11, "inconclusive": 1}
    pairs = seedpool.disjoint_pairs(pool)
    assert len(pairs) == 12
    differ = {(a, b): d for a, b, _, d in pairs}
    assert differ[("0-1-2", "3-4-5")] == ["S2"] and differ[("0-1-2", "6-7-8")] == []
    assert differ[("0-3-6", "1-4-7")] == ["C1"]
    # C1 flips between 0-3-6 and each of the other eleven triples (disjoint or not)
    assert {(c, a, b) for c, a, b in seedpool.flips(pool)} == {
        ("C1", a, b) for a, b in itertools.combinations(seedpool.triples_of(pool), 2) if "0-3-6" in (a, b)}
    assert len(seedpool.same_as(pool, main)) == 10  # all but 3-4-5 and 0-3-6
    assert "0-1-2" not in seedpool.same_as(pool, main, but="0-1-2") and len(seedpool.same_as(pool, main, "0-1-2")) == 9
    text = seedpool.markdown(pool, main, stable=["C1"])
    assert "Other triples with every verdict identical to the committed report's (0, 1, 2): **9 of 11**" in text
    assert "| C1 | reproduced | reproduced 11, **not reproduced** 1 | 11 of 12 | reproduced |" in text
    assert "| 1 | 0-1-2 | 3-4-5 | 1 of 2 | S2 |" in text
    assert "1. The 1 claims whose verdict was the same in every kept report (when this was predicted) keep the " \
           "committed verdict in every triple: **did not hold**: C1 (reproduced 11, **not reproduced** 1; committed reproduced)." in text
    assert "2. The claims that differed between kept reports (S2) differ between triples too, and no claim goes from " \
           "reproduced to not reproduced or back in any pair of triples: **did not hold**: 11 flips." in text
    assert "- S2: **not reproduced** with seeds 0, 1, 2, inconclusive with all 9" in text
    assert seedpool.claim_cell(pool, "S2", "not reproduced") == "11 of 12 triples; 9 seeds: inconclusive"
    assert seedpool.claim_cell(pool, "C9", "reproduced") == "not in the seed pool"
    line = seedpool.summary(pool, main)
    assert "**9 of the 11** triples other than the committed one give every verdict" in line
    assert "on average two disjoint triples differ on 0.3 claims" in line  # S2 in two pairs, C1 in two: 4 / 12 and "C1 (reproduced 11, **not reproduced** 1)" in line
    assert "With all 9 seeds, the verdicts that differ from the committed report's: S2 inconclusive." in line


def test_prediction_holds_only_when_every_part_of_it_does():
    main = {"C1": "reproduced", "C2": "inconclusive"}
    decided = {"C1": "reproduced", "C2": "reproduced"}  # C2 decided in one triple of each split: 4 pairs agree
    steady = _pool({"0-1-2": main, **{name: decided for name in ("3-4-5", "1-4-7", "0-4-8", "0-5-7", "0-1-2-3")}},
                   nine=decided)  # and in one window of four: 7 of its 9 pairs agree
    lines = seedpool.prediction(steady, main, ["C1"])
    assert all("**held**" in line for line in lines), lines
    assert "agree on every verdict: 4 did, **held**" in lines[2]
    unchanged = _pool({"0-1-2": main}, nine=main)  # all twelve identical: prediction 3 (2 to 6) fails, 4 too
    lines = seedpool.prediction(unchanged, main, ["C1"])
    assert "12 did, **did not hold**" in lines[2] and "**did not hold** (none became decided)" in lines[3]
    assert "**did not hold**: one verdict in every triple for C2 (inconclusive 12)." in lines[1]  # C2 varied before
    turned = _pool({"0-1-2": main}, nine={"C1": "not reproduced", "C2": "inconclusive"})
    assert "(turned: C1)" in seedpool.prediction(turned, main, ["C1"])[3]


def _copy_report(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds-0-1-2"
    shutil.copytree(REPORT / "results", folder / "results")
    return folder


def test_snapshot_keeps_every_claim_and_refuses_mixed_seeds_or_a_dirty_tree(tmp_path):
    folder = _copy_report(tmp_path)
    snap = seedpool.snapshot(folder)
    recorded = agreement.recorded_claims(REPORT)
    assert {cid: e["verdict"] for cid, e in snap["claims"].items()} == {cid: e["verdict"] for cid, e in recorded.items()}
    assert snap["seeds"] == recorded["C1"]["seeds"]
    assert snap["claims"]["C1"]["text"] == claims.CLAIMS["C1"][1]
    assert all(e["text"] for cid, e in snap["claims"].items() if cid.startswith("S"))  # the further studies' own
    part = next(p for p in snap["claims"]["C1"]["parts"] if "interval" in p)
    assert set(part["interval"]) == {"estimate", "low", "high"}
    (folder / "figures").mkdir()
    (folder / "figures" / "manifest.json").write_text(json.dumps({"a.png": {"dirty": True, "changed": ["x.py"],
                                                                             "git_commit": "abc"}}))
    with pytest.raises(ValueError, match=r"dirty tree \(changed: x.py\)"):
        seedpool.snapshot(folder)
    (folder / "figures" / "manifest.json").unlink()
    data = json.loads((folder / "results" / "02.json").read_text())
    data["seeds"] = [7, 8, 9]
    (folder / "results" / "02.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="ran with different seeds"):
        seedpool.snapshot(folder)


def test_collect_names_the_missing_seed_set(tmp_path):
    _copy_report(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"seed set 3-4-5 has no results in .*seeds-3-4-5"):
        seedpool.collect(tmp_path, path=tmp_path / "pool.json")


def test_run_skips_finished_sets_and_writes_each_into_its_own_folder(tmp_path, monkeypatch):
    calls = []

    def fake_call(cmd, env, stdout, stderr):
        calls.append((cmd[cmd.index("--seeds") + 1:], env["COLORLIB_REPORT"]))
        assert env["COLORLIB_MODELS"] == str(Path(env["COLORLIB_REPORT"]) / "models")  # never the checkout's
        (Path(env["COLORLIB_REPORT"])).mkdir(parents=True, exist_ok=True)
        (Path(env["COLORLIB_REPORT"]) / "timings.json").write_text("{}")
        return 0

    monkeypatch.setattr(seedpool.subprocess, "call", fake_call)
    (tmp_path / "seeds-0-1-2").mkdir()
    (tmp_path / "seeds-0-1-2" / "timings.json").write_text("{}")
    assert seedpool.run(tmp_path) == 0
    assert len(calls) == 12 + 9 + 1 + 11 and ["0", "1", "2"] not in [c for c, _ in calls]
    assert calls[0] == (["3", "4", "5"], str(tmp_path / "seeds-3-4-5"))
    assert calls[20][0] == [str(s) for s in range(9)] and calls[21][0] == ["9", "10"]
    assert calls[-1][0] == ["10", "0", "1", "2", "3"]
    calls.clear()
    assert seedpool.main(["run", str(tmp_path / "again"), "--size", "5"]) == 0
    assert [c for c, _ in calls] == [list(map(str, w)) for w in seedpool.windows(range(11), 5)]


@pytest.mark.skipif(not seedpool.POOL_JSON.exists(), reason="no seed pool committed")
def test_committed_pool_is_in_sync_with_the_report():
    """The committed pool's triple 0, 1, 2 gives the committed report's verdicts (same code and runs), and
    report/seed_pool.md and the README's block are what ``write`` and ``readme`` make of the JSON."""
    pool = json.loads(seedpool.POOL_JSON.read_text())
    main = seedpool.main_verdicts()
    committed = seedpool.committed_set()
    rerun = subprocess.run(["git", "status", "--porcelain", "report/results"], cwd=REPO_DIR, capture_output=True,
                           text=True).stdout.strip()
    if not rerun:  # after a `make report` here the report is this machine's, not the one the pool was made with
        assert {cid: e["verdict"] for cid, e in pool["sets"][committed]["claims"].items()} == main
    cold = seedpool.cold_seconds()
    assert seedpool.POOL_MD.read_text() == seedpool.markdown(pool, main, seedpool.PREDICTED_STEADY, committed, cold)
    readme_text = (REPO_DIR / "README.md").read_text()
    assert seedpool.summary(pool, main, committed, cold) in readme_text  # the README's blocks too
    assert f"| {seedpool.claim_cell(pool, 'C3', main['C3'])} |" in readme_text
    for r in seedpool.sizes(pool):  # the goals table asks the stability run's question of every disjoint pair
        assert (f"| pairs of disjoint {r['size']}-seed reports of the seed pool | - | every verdict identical in every "
                f"pair (issue 15) | {r['agree']} of {r['pairs']} pairs identical, {r['differ']:.2f} claims differ per "
                f"pair, {r['flips']} flips (report/seed_pool.md) | {'met' if r['agree'] == r['pairs'] else '**NOT met**'} |"
                in readme_text)
    for name, run in pool.get("cold_runs", {}).items():  # a measured cold run has its goals row
        assert (f"| `make report` from empty caches with {len(run['seeds'])} seeds (the seed pool's, not the committed "
                f"report) | - | <= 90.0 min (issue 15) | {run['seconds'] / 60:.1f} min (seeds {name.replace('-', ', ')}, "
                f"an empty run cache, commit {run['commit'][:7]}") in readme_text
        assert f"{'**NOT met**' if run['seconds'] > 90 * 60 else 'met'} |" in readme_text.split(f"{run['seconds'] / 60:.1f} min (seeds")[1].splitlines()[0]


def test_expected_coverage_matches_a_simulation_of_nested_seed_sets():
    """``expected_coverage``: 3-seed t intervals containing the mean over 9 seeds they are part of, simulated."""
    import numpy as np
    from scipy.stats import t

    rng = np.random.default_rng(0)
    values = rng.normal(size=(40000, 9))
    triple = values[:, :3]
    half = t.ppf(0.975, 2) * triple.std(axis=1, ddof=1) / np.sqrt(3)
    simulated = np.mean(np.abs(triple.mean(axis=1) - values.mean(axis=1)) <= half)
    assert abs(seedpool.expected_coverage(3, 9) - simulated) < 0.005
    assert seedpool.expected_coverage(3, 10 ** 9) == pytest.approx(0.95, abs=1e-6)  # a huge pool: the true mean


def test_coverage_counts_triples_whose_interval_holds_the_nine_seed_estimate():
    pool = _pool({"0-1-2": {"C1": "reproduced"}}, nine={"C1": "reproduced"})
    for name, snap in pool["sets"].items():
        low = 0.5 if name == "0-3-6" else -1.0  # only 0-3-6 misses the nine-seed estimate 0.0
        estimate = 0.0 if len(snap["seeds"]) == 9 else 1.0
        snap["claims"]["C1"]["parts"] = [{"name": "a", "verdict": "reproduced", "text": "",
                                          "interval": {"estimate": estimate, "low": low, "high": 2.0}},
                                         {"name": "b", "verdict": "inconclusive", "text": "",  # unbounded: left out
                                          "interval": {"estimate": 1.0, "low": -math.inf, "high": math.inf}}]
    assert seedpool.coverage(pool) == (11, 12, ["C1 a (0-3-6)"])
    assert "fewer than 95 %, so the intervals claim too much" in seedpool.summary(pool, {"C1": "reproduced"})
    assert "contains the nine-seed estimate of that part in **11 of 12** cases (91.7 %)" in seedpool.markdown(
        pool, {"C1": "reproduced"})
    pool["sets"]["0-3-6"]["claims"]["C1"]["parts"][0]["interval"]["low"] = -1.0
    assert "not from intervals that claim too much" in seedpool.summary(pool, {"C1": "reproduced"})


def test_stability_table_points_to_the_seed_pool_when_there_is_one(tmp_path):
    main = tmp_path / "report"
    shutil.copytree(REPORT / "results", main / "results")
    shutil.copytree(REPORT / "stability" / "seeds-3-4-5" / "results", main / "stability" / "seeds-3-4-5" / "results")
    other = main / "stability" / "seeds-3-4-5"
    assert "seed_pool.md" not in agreement.stability_markdown(main, other)
    (main / "seed_pool.md").write_text("# pool\n")
    assert "[seed_pool.md](seed_pool.md) (`colorlib.seedpool`)" in agreement.stability_markdown(main, other)


def test_more_seeds_per_report_are_compared_pair_by_pair_too():
    main = {"C1": "reproduced", "C2": "inconclusive"}
    other = {"C1": "reproduced", "C2": "reproduced"}
    pool = _pool({"0-1-2": main, "3-4-5": other, "0-1-2-3": other}, nine=other)
    rows = {r["size"]: r for r in seedpool.sizes(pool)}
    assert set(rows) == {3, 4}  # nine seeds: one report, no pair
    assert rows[3] == {"size": 3, "sets": 12, "pairs": 12, "agree": 10, "differ": 2 / 12, "flips": 0, "as_all": 1}
    assert rows[4] == {"size": 4, "sets": 9, "pairs": 9, "agree": 7, "differ": 2 / 9, "flips": 0, "as_all": 1}
    text = seedpool.markdown(pool, main)
    assert "| 4 | 9 | 9 | 7 of 9 | 0.22 | 0 | 1 of 9 |" in text
    assert "With more seeds per report: 4 seeds, 7 of 9 pairs of disjoint reports agree on every verdict (0.2 claims " \
           "differ per pair)." in seedpool.summary(pool, main)
    lines = seedpool.prediction(pool, main, ["C1"])
    assert "7 of 9 against 10 of 12, **did not hold**." in lines[4]  # 78 % is not more than 83 %
    assert "0.22 against 0.17, 0 flips, **did not hold**." in lines[5]


def test_five_seed_windows_are_compared_and_predictions_7_to_9_checked():
    main = {"C1": "reproduced", "C2": "inconclusive", "S2": "inconclusive"}
    other = {"C1": "reproduced", "C2": "reproduced", "S2": "inconclusive"}
    five = {"C1": "reproduced", "C2": "reproduced", "S2": "not reproduced"}
    pool = _pool({"3-4-5": other, "0-1-2": main, "0-1-2-3": main, "0-1-2-3-4": five}, nine=other,
                 extra=(9, 10))  # the sets not named: other
    rows = {r["size"]: r for r in seedpool.sizes(pool)}
    # window 0-1-2-3-4 differs (on S2) from its two disjoint windows 5-6-7-8-9 and 6-7-8-9-10: 9 of 11 agree
    assert rows[5] == {"size": 5, "sets": 11, "pairs": 11, "agree": 9, "differ": 2 / 11, "flips": 0, "as_all": 10}
    text = seedpool.markdown(pool, main)
    assert "five: the cyclic windows of five consecutive seeds of the 11 seeds 0-10, seeds 9, 10 trained later" in text
    assert "then, with seeds 9, 10 trained later into the same cache, with each window of five consecutive seeds of " \
           "the 11; machine: a CPU." in text
    assert "| 5 | 11 | 11 | 9 of 11 | 0.18 | 0 | 10 of 11 |" in text
    assert "| all 9 seeds | the 11 five-seed windows |" in text
    assert "| S2 | inconclusive | inconclusive 12 | 12 of 12 | inconclusive | inconclusive 10, **not reproduced** 1 |" in text
    assert seedpool.verdict_counts(pool, 5)["S2"] == {"inconclusive": 10, "not reproduced": 1}
    assert seedpool.claim_cell(pool, "S2", "inconclusive") == ("12 of 12 triples; 10 of 11 five-seed windows; "
                                                               "9 seeds: inconclusive")
    lines = seedpool.prediction(pool, main, ["C1"])
    assert lines[6].startswith("7. With five seeds per report") and "9 of 11 against 7 of 9, **held**." in lines[6]
    assert "0.18 against 0.22, 0 flips, **held**." in lines[7]
    assert lines[8] == "9. Every claim that differs between two disjoint five-seed reports is one of C2, C4, C8, S2, " \
                       "S7, S10: S2 differ, **held**."
    pool["sets"]["5-6-7-8-9"]["claims"]["C1"]["verdict"] = "not reproduced"  # a flip, on a claim not named
    lines = seedpool.prediction(pool, main, ["C1"])
    assert "**did not hold**." in lines[7] and lines[8].endswith("**did not hold** (C1).")
    assert "5 seeds" in seedpool.summary(pool, main)


def test_the_extra_seeds_cost_is_read_from_their_runs_timings(tmp_path):
    assert seedpool.training_cost(tmp_path / "seeds-9-10") is None
    folder = tmp_path / "seeds-9-10"
    folder.mkdir()
    machine = {"cpu": "a CPU", "cpu_capability": "AVX512", "cpus": 2, "torch": "2.13.0+cpu"}
    (folder / "timings.json").write_text(json.dumps({"report": {"partial": {
        "total": 2961.4, "seeds": [9, 10], "jobs": 2, "precision": "bf16", "threads": 1, "machine": machine}}}))
    cost = seedpool.training_cost(folder)
    assert cost == {"seeds": [9, 10], "seconds": 2961.4, "jobs": 2, "cache": "partial",
                    "machine": "a CPU (AVX512, 2 cores, torch 2.13.0+cpu; training in bf16, 1 thread per run)"}
    pool = _pool({"0-1-2": {"C1": "reproduced"}}, nine={"C1": "reproduced"}, extra=(9, 10))
    assert seedpool.five_seed_cost(pool, 2815.5) is None  # no record of the extra seeds' training
    pool["extra_training"] = cost
    assert seedpool.five_seed_cost(pool, 2815.5) == pytest.approx((49.36, 96.28, 78.21), abs=0.01)
    text = seedpool.markdown(pool, {"C1": "reproduced"}, cold_seconds=2815.5)
    assert "took **49.4 min** on a CPU" in text and "would take about **96 min** as the sum" in text
    assert "or about **78 min** by scaling" in text
    assert "a cold five-seed report would take about 96 min (the committed cold run plus that one) or 78 min" in \
        seedpool.summary(pool, {"C1": "reproduced"}, "0-1-2", 2815.5)


def test_the_figure_shows_only_claims_that_vary_and_is_written_beside_the_markdown(tmp_path):
    main = {"C1": "reproduced", "C2": "inconclusive"}
    other = {"C1": "reproduced", "C2": "reproduced"}
    pool = _pool({"0-1-2": main, "3-4-5": other}, nine=other)
    cells, agree = seedpool.figure_data(pool)
    assert list(cells) == ["C2"]  # C1 is reproduced in every report
    assert cells["C2"]["3 seeds, 12 reports"] == {"inconclusive": 11, "reproduced": 1}
    assert cells["C2"]["9 seeds, 1 report"] == {"reproduced": 1}
    assert agree == {"3 seeds": (10, 12), "4 seeds": (9, 9)}
    (tmp_path / "pool.json").write_text(json.dumps(pool))
    (tmp_path / "report" / "results").mkdir(parents=True)
    for nb in ("02", "03"):  # the committed report's verdicts that the tables compare with
        (tmp_path / "report" / "results" / f"{nb}.json").write_text(json.dumps(
            {"seeds": [0, 1, 2], "claims": {f"C{int(nb) - 1}": {"verdict": main[f"C{int(nb) - 1}"]}}}))
    md = seedpool.write(tmp_path / "out" / "seed_pool.md", tmp_path / "pool.json", tmp_path / "report")
    assert (md.parent / "seed_pool.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "with 3, 4 and 9 seeds per report, and the share of disjoint pairs agreeing on every verdict](seed_pool.png)" \
        in md.read_text()
    steady = _pool({"0-1-2": main}, nine=main)
    assert seedpool.figure_data(steady)[0] == {} and "seed_pool.png" not in seedpool.markdown(steady, main)
    assert seedpool.write_figure(steady, tmp_path / "none.png") is None and not (tmp_path / "none.png").exists()


def test_the_committed_figure_is_there_when_seed_pool_md_links_it():
    if not seedpool.POOL_MD.exists() or "(seed_pool.png)" not in seedpool.POOL_MD.read_text():
        pytest.skip("report/seed_pool.md links no figure")
    assert seedpool.FIGURE.exists() and seedpool.FIGURE.stat().st_size > 10_000
    assert "(report/seed_pool.png)" in (REPO_DIR / "README.md").read_text()  # the README shows it too


def test_a_cold_run_is_recorded_with_its_time_and_checked_against_the_warm_run_of_its_seeds(tmp_path):
    folder = tmp_path / f"{seedpool.COLD}0-1-2"
    shutil.copytree(REPORT / "results", folder / "results")
    warm = seedpool.snapshot(folder)
    assert seedpool.cold_run(folder, warm) is None  # no finished run recorded
    machine = {"cpu": "a CPU", "cpu_capability": "AVX512", "cpus": 2, "torch": "2.13.0+cpu"}
    record = {"total": 4700.0, "seeds": [0, 1, 2], "jobs": 1, "precision": "bf16", "threads": 1, "machine": machine}
    (folder / "timings.json").write_text(json.dumps({"report": {"warm": record}}))
    assert seedpool.cold_run(folder, warm) is None  # warm: it says nothing about what a cold report costs
    (folder / "timings.json").write_text(json.dumps({"report": {"cold": record}}))
    run = seedpool.cold_run(folder, warm)
    assert run["seconds"] == 4700.0 and run["cache"] == "cold" and run["differ_from_warm"] == []
    assert seedpool.cold_run(folder, None)["differ_from_warm"] is None  # no warm run of those seeds to compare
    data = json.loads((folder / "results" / "02.json").read_text())
    part = next(p for p in data["claims"]["C1"]["parts"] if "interval" in p)
    part["interval"]["low"] -= 1e-9  # one interval a hair wider is a difference too
    (folder / "results" / "02.json").write_text(json.dumps(data))
    assert seedpool.cold_run(folder, warm)["differ_from_warm"] == ["C1"]

    pool = _pool({"0-1-2": {"C1": "reproduced"}}, nine={"C1": "reproduced"}, extra=(9, 10))
    pool["extra_training"] = {"seeds": [9, 10], "seconds": 2961.4, "jobs": 2, "cache": "partial", "machine": "a CPU"}
    assert seedpool.measured_cold(pool, 5) is None
    pool["cold_runs"] = {"0-1-2-3-4": {**run, "seeds": [0, 1, 2, 3, 4], "seconds": 5580.0, "commit": "1b95abd0",
                                       "machine": "a CPU", "differ_from_warm": ["S2"]}}
    assert seedpool.measured_cold(pool, 5)[0] == "0-1-2-3-4"
    text = seedpool.markdown(pool, {"C1": "reproduced"}, cold_seconds=2815.5)
    assert "A cold report with seeds 0, 1, 2, 3, 4 (from an empty run cache, 1 notebook at a time, commit " \
           "1b95abd) took **93.0 min**, measured on a CPU: over the 90-minute goal" in text
    assert "differ from the warm re-run's of the same seeds in: S2." in text
    assert "would take about **96 min** as the sum" in text  # the estimates made before stay beside it
    summary = seedpool.summary(pool, {"C1": "reproduced"}, "0-1-2", 2815.5)
    assert "took 93.0 min, measured" in summary and "not measured as one run" not in summary
    pool["cold_runs"]["0-1-2-3-4"].update(seconds=4000.0, differ_from_warm=[])
    assert "within the 90-minute goal" in seedpool.summary(pool, {"C1": "reproduced"}, "0-1-2", 2815.5)
    assert "part for part and interval for interval" in seedpool.summary(pool, {"C1": "reproduced"}, "0-1-2", 2815.5)
    # the estimates scale from the committed report's own number of seeds
    assert seedpool.five_seed_cost(pool, 2815.5, committed_seeds=4)[2] == pytest.approx(2815.5 * 6 / 4 / 60)


def test_the_five_seed_decision_needs_every_pair_to_agree_and_a_measured_cold_run_within_the_goal():
    pool = _pool({"0-1-2": {"C1": "reproduced"}}, nine={"C1": "reproduced"}, extra=(9, 10))
    decide = lambda: seedpool.five_seed_decision(pool)
    assert "11 of 11: yes" in decide() and "(not measured)" in decide() and decide().endswith("keeps three seeds.")
    cold = {"seeds": [0, 1, 2, 3, 4], "seconds": 4159.9, "jobs": 1, "cache": "cold", "machine": "a CPU",
            "commit": "abc1234", "differ_from_warm": []}
    pool["cold_runs"] = {"0-1-2-3-4": cold}
    assert "(69.3 min, yes)" in decide() and decide().endswith("moves to five seeds.")
    cold["seconds"] = 91 * 60
    assert "(91.0 min, no)" in decide() and decide().endswith("keeps three seeds.")
    cold["seconds"] = 4159.9
    pool["sets"]["5-6-7-8-9"]["claims"]["C1"]["verdict"] = "inconclusive"  # one pair of disjoint windows differs
    assert ": no)" in decide() and decide().endswith("keeps three seeds.")
    assert seedpool.five_seed_decision(_pool({"0-1-2": {"C1": "reproduced"}})) is None  # no five-seed windows


def test_the_pool_keeps_what_re_judging_a_part_needs():
    iv = claims.Interval(0.5, 0.1, 0.9, 3, 20)
    threshold = claims.part("a", iv, ">", 0.0, 0.1)
    kept = seedpool._part(claims.either("collapsed", [threshold, claims.part("b", iv, "<", 1.0)]))
    assert [q["interval"] for q in kept["any_of"]] == [{"estimate": 0.5, "low": 0.1, "high": 0.9}] * 2
    result = claims.best({"x": np.ones((3, 4)), "y": np.zeros((3, 4))}, True, 0.05)
    best = seedpool._part(claims.best_part("x best", result, "x"))
    assert (best["direction"], best["margin"], sorted(best["versus"])) == (">", 0.05, ["y"])
    assert set(best["versus"]["y"]) == {"estimate", "low", "high"}
    older = {k: v for k, v in claims.best_part("x best", result, "x").items() if k != "direction"}
    assert "versus" not in seedpool._part(older)  # recorded before the direction was kept: not re-judgeable


def test_collect_can_write_another_machines_pool_without_extra_seeds(tmp_path, monkeypatch):
    calls, written = [], []
    monkeypatch.setattr(seedpool, "collect", lambda out, path, extra: calls.append((out, path, extra)) or path)
    monkeypatch.setattr(seedpool, "write", lambda: written.append(True) or seedpool.POOL_MD)
    assert seedpool.main(["collect", str(tmp_path), "--extra", "--to", str(tmp_path / "other.json")]) == 0
    assert calls == [(tmp_path, tmp_path / "other.json", ())] and not written  # seed_pool.md is the Xeon's pool
    assert seedpool.main(["collect", str(tmp_path)]) == 0
    assert calls[-1] == (tmp_path, seedpool.POOL_JSON, seedpool.EXTRA_SEEDS) and written == [True]

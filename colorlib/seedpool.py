"""The seed pool: how often another set of three training seeds gives each verdict, measured by regrouping nine.

With three seeds per report a verdict near its threshold can differ from one seed set to the next
(``report/stability.md``), and two or three seed sets say little about how often. The three one-thread seed
sets 0-2, 3-5 and 6-8 trained every run of the report with nine seeds under the same code on one CPU, and
training there is deterministic (a run trained again has bit-identical weights), so the report can be re-run
*warm* with any other three of the nine from their pooled run caches: minutes per seed set instead of 47.

The triples are the twelve lines of the 3 x 3 grid of the nine seeds (the affine plane of order 3, ``design``):
rows, columns, diagonals and anti-diagonals. Every pair of seeds lies in exactly one triple, and the twelve fall
into four ways of splitting the nine seeds into three disjoint triples, so there are twelve pairs of disjoint
seed sets, each one like the stability run of issue 15. One more report uses all nine seeds together, and the
nine windows of four consecutive seeds (mod 9) ask whether a fourth seed helps. Two more seeds, 9 and 10, make
eleven, whose eleven windows of five consecutive seeds (mod 11) give eleven pairs of disjoint five-seed reports.

    make report                                  # seeds 0, 1, 2 into the run cache (.cache/colorlib)
    python -m colorlib.report --stability 3 4 5  # seeds 3-5 and 6-8 into the same cache (about 47 min each)
    python -m colorlib.report --stability 6 7 8
    python -m colorlib.seedpool run OUT          # the warm re-runs into OUT/seeds-.../ (about a minute each; the
                                                 # set seeds-9-10 trains seeds 9 and 10 first, about 35 min)
    python -m colorlib.seedpool collect OUT      # report/seed_pool.json: each seed set's claims, parts, verdicts
                                                 # (and OUT/cold-seeds-.../: a cold run with those seeds, if any)
    python -m colorlib.seedpool write            # report/seed_pool.md from it (python -m colorlib.readme: README)

Another machine's pool is collected beside this one, not over it: ``collect OUT --extra --to PATH`` (no extra seeds,
another file; ``colorlib.poolreplica`` writes it up).

A cold report with five seeds is measured, not estimated, by running it from a fresh clone with empty caches
(``make install data weights``, then ``python -m colorlib.report --seeds 0 1 2 3 4`` with ``elsewhere_env`` of
``OUT/cold-seeds-0-1-2-3-4``): ``collect`` records its time beside the pool and whether its claims are the warm
window's, part for part.

Nothing here changes a verdict: every seed set's claims come from the notebooks and the one rule
(``colorlib.claims``); this module only counts them.
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Sequence

from colorlib import agreement, claims, files
from colorlib.claims import VERDICTS, wording
from colorlib.paths import REPO_DIR, elsewhere_env
from colorlib.profiles import REPORT_GOALS

POOL_JSON = REPO_DIR / "report" / "seed_pool.json"
POOL_MD = REPO_DIR / "report" / "seed_pool.md"
FIGURE = REPO_DIR / "report" / "seed_pool.png"  # beside seed_pool.md, which links it by name
SEEDS = tuple(range(9))
COLD = "cold-seeds-"  # OUT/cold-seeds-<name>/: a report with those seeds run cold (empty caches), timed
GOAL_MINUTES = REPORT_GOALS["cold"] // 60  # issue 15: the report's cold run on this 2-core machine
# Two more seeds, trained later (a report run with seeds 9 and 10 into the same run cache), so that eleven seeds
# give eleven cyclic windows of five and eleven pairs of disjoint five-seed reports (predictions 7-9).
EXTRA_SEEDS = (9, 10)
# The claims whose verdict was the same in all six kept reports when the pool's first prediction was committed
# (595f296): the prediction is checked against this list, not against whatever the kept reports say later.
PREDICTED_STEADY = ("C1", "C2", "C3", "C4", "C5", "C6", "C9", "S1", "S3", "S4", "S5", "S6", "S8", "S9", "S10")
# The claims that varied between triples or changed with nine seeds, named by prediction 9 (75588b8) as the only
# ones that may differ between two disjoint five-seed reports.
PREDICTED_NEAR = ("C2", "C4", "C8", "S2", "S7", "S10")


# ================================================================================================ the design
def design(seeds: Sequence[int] = SEEDS) -> list[list[tuple[int, ...]]]:
    """The four ways ("parallel classes") of splitting nine seeds into three disjoint triples such that every
    pair of seeds shares exactly one of the twelve triples: seed ``seeds[3 r + c]`` sits at row r, column c of a
    3 x 3 grid, and the lines are its rows and c = m r + k mod 3 (m = 0: the columns; 1, 2: the two diagonals)."""
    if len(seeds) != 9 or len(set(seeds)) != 9:
        raise ValueError(f"the design needs nine different seeds, got {list(seeds)}")
    at = lambda r, c: seeds[3 * r + c]
    rows = [tuple(at(k, c) for c in range(3)) for k in range(3)]
    sloped = [[tuple(at(r, (m * r + k) % 3) for r in range(3)) for k in range(3)] for m in range(3)]
    return [rows, *sloped]  # m = 0: the columns


def windows(seeds: Sequence[int] = SEEDS, size: int = 4) -> list[tuple[int, ...]]:
    """The ``len(seeds)`` cyclic windows of ``size`` consecutive seeds (0-1-2-3, 1-2-3-4, ..., 8-0-1-2): with nine
    seeds and four per window, each window is disjoint from the two that start four and five seeds later."""
    n = len(seeds)
    return [tuple(seeds[(i + j) % n] for j in range(size)) for i in range(n)]


def seed_sets(seeds: Sequence[int] = SEEDS, extra: Sequence[int] = EXTRA_SEEDS) -> list[tuple[int, ...]]:
    """Every seed set of the pool: the twelve triples of ``design``, the nine windows of four seeds (``windows``),
    all nine seeds, then (with ``extra`` seeds) the windows of five of ``seeds + extra``."""
    sets = [t for group in design(seeds) for t in group] + windows(seeds, 4) + [tuple(seeds)]
    return sets + (windows(tuple(seeds) + tuple(extra), 5) if extra else [])


def run_sets(seeds: Sequence[int] = SEEDS, extra: Sequence[int] = EXTRA_SEEDS) -> list[tuple[int, ...]]:
    """What ``run`` runs, in order: the sets of the nine seeds (warm once their three seed sets are in the cache),
    the ``extra`` seeds together (a cold run: it trains them, both side by side), then the windows of five."""
    nine = seed_sets(seeds, ())
    return nine + ([tuple(extra)] if extra else []) + seed_sets(seeds, extra)[len(nine):]


def name_of(seeds: Sequence[int]) -> str:
    """"0-3-6": a seed set's name (its folder is ``seeds-0-3-6``)."""
    return "-".join(map(str, seeds))


# ================================================================================================ running
def run(out: Path, seeds: Sequence[int] = SEEDS, jobs: int = 2, profile: str = "report",
        extra: Sequence[int] = EXTRA_SEEDS, size: int | None = None) -> int:
    """Run the report once per seed set of ``run_sets`` into ``out/seeds-<name>/`` (results, figures and shipped
    models there: ``colorlib.paths.elsewhere_env``; the committed report is not touched), skipping a set whose
    results are complete (so a killed run resumes). A set whose training runs are all in the run cache
    (``COLORLIB_CACHE``) takes about a minute; a missing run is trained (the ``extra`` seeds: about 35 min).
    ``size``: only the sets of that many seeds (the rest can follow in a second call)."""
    out = Path(out)
    sets = [t for t in run_sets(seeds, extra) if size is None or len(t) == size]
    for i, chosen in enumerate(sets, 1):
        folder = out / f"seeds-{name_of(chosen)}"
        if (folder / "timings.json").exists():
            print(f"[{i}/{len(sets)}] seeds {name_of(chosen)}: already run, skipped", flush=True)
            continue
        env = {**os.environ, **elsewhere_env(folder)}
        started = time.perf_counter()
        with open(out / f"seeds-{name_of(chosen)}.log", "w") as log:
            status = subprocess.call([sys.executable, "-m", "colorlib.report", "--profile", profile, "--jobs", str(jobs),
                                      "--seeds", *map(str, chosen)], env=env, stdout=log, stderr=subprocess.STDOUT)
        print(f"[{i}/{len(sets)}] seeds {name_of(chosen)}: {'done' if status == 0 else f'FAILED ({status})'} in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        if status:
            return status
    return 0


# ================================================================================================ collecting
def snapshot(folder) -> dict:
    """One seed set's report folder reduced to what the counts need: its seeds, commit and machine, and every
    claim's verdict with its parts (``_part``: name, verdict, text and the intervals that can be re-judged)."""
    folder = Path(folder)
    report = agreement.read_results(folder)
    found = agreement.recorded_claims(report)
    if not found:
        raise ValueError(f"no claims recorded under {folder / 'results'}")
    seeds = {tuple(e["seeds"] or ()) for e in found.values()}
    if len(seeds) != 1:
        raise ValueError(f"{folder}: its notebooks ran with different seeds ({sorted(seeds)}); run it again")
    manifest = folder / "figures" / "manifest.json"
    made = next(iter(json.loads(manifest.read_text()).values()), {}) if manifest.exists() else {}
    if made.get("dirty"):
        raise ValueError(f"{folder} was made from a dirty tree (changed: {', '.join(made.get('changed', []))}): "
                         "run it again from a clean one")
    state, run = timed_run(folder) or (None, {})
    return {"seeds": list(seeds.pop()), "commit": made.get("git_commit"), "seconds": run.get("total"), "cache": state,
            "machine": agreement.machines(agreement.report_manifest(folder)),
            "claims": {cid: {"notebook": e["notebook"], "verdict": e["verdict"],
                             "text": claims.CLAIMS[cid][1] if cid in claims.CLAIMS else e.get("text", ""),
                             "parts": [_part(p) for p in e.get("parts", [])]}
                       for cid, e in sorted(found.items(), key=lambda kv: claims.claim_order(kv[0]))}}


def _bounds(iv: dict) -> dict:
    return {k: iv[k] for k in ("estimate", "low", "high")}


def _part(p: dict) -> dict:
    """A part as the pool keeps it: name, verdict, text and, where there is one, its interval, or for "best of K"
    its interval against each other option with how they were tested, or for "either" its alternatives."""
    out = {"name": p["name"], "verdict": p["verdict"], "text": p.get("text", "")}
    if "interval" in p:
        out["interval"] = _bounds(p["interval"])
    if "versus" in p and p.get("direction"):  # parts recorded before the direction was kept cannot be re-judged
        out.update(versus={o: _bounds(iv) for o, iv in p["versus"].items()}, direction=p["direction"],
                   margin=p.get("margin"), refuting_confidence=p["refuting_confidence"])
    if "any_of" in p:
        out["any_of"] = [_part(q) for q in p["any_of"]]
    return out


def collect(out: Path, seeds: Sequence[int] = SEEDS, path: Path = POOL_JSON, extra: Sequence[int] = EXTRA_SEEDS) -> Path:
    """``report/seed_pool.json`` from the seed sets' folders under ``out`` (every set of ``seed_sets`` must be
    there, all from one commit; the run that trained the ``extra`` seeds is not one of them)."""
    sets = {}
    for chosen in seed_sets(seeds, extra):
        folder = Path(out) / f"seeds-{name_of(chosen)}"
        if not (folder / "results").is_dir():
            raise FileNotFoundError(f"seed set {name_of(chosen)} has no results in {folder}: run "
                                    f"`python -m colorlib.seedpool run {out}` first")
        sets[name_of(chosen)] = snapshot(folder)
        if sets[name_of(chosen)]["seeds"] != list(chosen):
            raise ValueError(f"{folder} ran with seeds {sets[name_of(chosen)]['seeds']}, not {list(chosen)}")
    commits = {s["commit"] for s in sets.values()}
    if len(commits) != 1:
        raise ValueError(f"the seed sets ran at different commits ({sorted(map(str, commits))}): run them again at one")
    trained = training_cost(Path(out) / f"seeds-{name_of(extra)}") if extra else None
    cold = {name: run for folder in sorted(Path(out).glob(f"{COLD}*"))
            if (run := cold_run(folder, sets.get(name := folder.name[len(COLD):]))) is not None}
    files.write_text(path, json.dumps({"seeds": list(seeds), "extra_seeds": list(extra), "commit": commits.pop(),
                                       **({"extra_training": trained} if trained else {}),
                                       **({"cold_runs": cold} if cold else {}), "sets": sets}, indent=1) + "\n")
    return path


def cold_run(folder, warm: dict | None) -> dict | None:
    """A report run cold with some seeds (``OUT/cold-seeds-<name>/``): what it cost (``training_cost``), its
    commit, and the claims whose verdict or parts (verdicts, texts, intervals) are not those of the pool's warm run
    of the same seeds (``warm``, its snapshot; None: no such set in the pool). None when it did not finish cold."""
    cost = training_cost(folder)
    if cost is None or cost["cache"] != "cold":
        return None
    snap = snapshot(folder)
    differ = None if warm is None else [cid for cid in sorted(set(snap["claims"]) | set(warm["claims"]),
                                                              key=claims.claim_order)
                                        if snap["claims"].get(cid) != warm["claims"].get(cid)]
    return {**cost, "commit": snap["commit"], "differ_from_warm": differ}


def timed_run(folder) -> tuple[str, dict] | None:
    """The complete run a report folder's ``timings.json`` records: (the run cache's state, its record with the
    wall seconds as "total"), or None when no run finished there."""
    path = Path(folder) / "timings.json"
    timings = json.loads(path.read_text()) if path.exists() else {}
    return next(((state, r) for runs in timings.values() for state, r in runs.items()
                 if isinstance(r, dict) and "total" in r), None)


def training_cost(folder) -> dict | None:
    """What the run that trained the extra seeds cost (``timed_run``): its seeds, wall seconds, notebooks at a
    time, the run cache's state and the machine (None when it did not finish or is not there)."""
    if (found := timed_run(folder)) is None:
        return None
    state, r = found
    return {"seeds": r.get("seeds"), "seconds": r["total"], "jobs": r.get("jobs"), "cache": state,
            "machine": agreement.machines(Path(folder) / "timings.json")}


# ================================================================================================ counting
def sets_of_size(pool: dict, size: int) -> dict[str, dict]:
    """The pool's seed sets of ``size`` seeds (name -> snapshot), in the order they were run."""
    return {name: s for name, s in pool["sets"].items() if len(s["seeds"]) == size}


def triples_of(pool: dict) -> dict[str, dict]:
    """The pool's three-seed sets (name -> snapshot), in the design's order."""
    return sets_of_size(pool, 3)


def all_seeds(pool: dict) -> dict | None:
    """The snapshot of the report with every seed of the pool together (None when it is missing)."""
    return next((s for s in pool["sets"].values() if len(s["seeds"]) == len(pool["seeds"])), None)


def verdict_counts(pool: dict, size: int = 3) -> dict[str, Counter]:
    """Claim -> how many of the seed sets of ``size`` seeds (triples unless told) gave each verdict."""
    out = {}
    for snap in sets_of_size(pool, size).values():
        for cid, entry in snap["claims"].items():
            out.setdefault(cid, Counter())[entry["verdict"]] += 1
    return out


def disjoint_pairs(pool: dict, size: int = 3) -> list[tuple[str, str, list[str], list[str]]]:
    """Every pair of disjoint seed sets of ``size`` seeds (triples unless told): (name, name, the claims both
    measured, those whose verdict differs)."""
    sets = sets_of_size(pool, size)
    out = []
    for a, b in itertools.combinations(sets, 2):
        if set(sets[a]["seeds"]) & set(sets[b]["seeds"]):
            continue
        ids = [cid for cid in sets[a]["claims"] if cid in sets[b]["claims"]]
        out.append((a, b, ids, [c for c in ids if sets[a]["claims"][c]["verdict"] != sets[b]["claims"][c]["verdict"]]))
    return out


def flips(pool: dict, size: int = 3) -> list[tuple[str, str, str]]:
    """(claim, set, set) for every pair of seed sets of ``size`` seeds, disjoint or not, in which a claim is
    reproduced in one and not reproduced in the other: what the rule must never produce."""
    sets = sets_of_size(pool, size)
    return [(cid, a, b) for a, b in itertools.combinations(sets, 2) for cid in sets[a]["claims"]
            if cid in sets[b]["claims"]
            and claims.reverses(sets[a]["claims"][cid]["verdict"], sets[b]["claims"][cid]["verdict"])]


def same_as(pool: dict, main: dict, but: str | None = None) -> list[str]:
    """The triples (``but`` left out: the committed report's own seeds) whose every verdict equals ``main``'s
    (claim id -> verdict)."""
    return [name for name, snap in triples_of(pool).items()
            if name != but and set(snap["claims"]) == set(main)
            and all(main[cid] == e["verdict"] for cid, e in snap["claims"].items())]


def others_agreeing(pool: dict, main: dict, committed: str) -> tuple[list[str], list[str]]:
    """(the triples other than the committed one that give every verdict of ``main``, all triples other than it)."""
    return same_as(pool, main, but=committed), [name for name in triples_of(pool) if name != committed]


def main_verdicts(report=REPO_DIR / "report") -> dict[str, str]:
    """The committed report's verdicts (claim id -> verdict)."""
    return {cid: e["verdict"] for cid, e in agreement.recorded_claims(report).items()}


def committed_set(report=REPO_DIR / "report") -> str:
    """The name of the committed report's seed set ("0-1-2")."""
    return name_of(agreement.seeds_of(report).split(", "))


def claim_cell(pool: dict, cid: str, verdict: str) -> str:
    """One claim's robustness for a table: "11 of 12 triples; 10 of 11 five-seed windows; 9 seeds: inconclusive"
    (how many triples, and five-seed windows where the pool has them, give ``verdict``, and the verdict over all
    nine seeds)."""
    count, five, nine = verdict_counts(pool).get(cid), verdict_counts(pool, 5).get(cid), all_seeds(pool)
    if not count:
        return "not in the seed pool"
    nine_v = nine["claims"].get(cid, {}).get("verdict") if nine else None
    return (f"{_share(count, verdict)} triples" + (f"; {_share(five, verdict)} five-seed windows" if five else "")
            + (f"; {len(nine['seeds'])} seeds: {wording(nine_v, True)}" if nine_v else ""))


def coverage(pool: dict) -> tuple[int, int, list[str]]:
    """How often a triple's 95 % interval of a part contains the nine-seed estimate of the same part: (covered,
    parts x triples compared, "C8 transfer, LAB - RGB (1-4-7)" for each miss). Parts without a bounded interval
    are left out."""
    nine = all_seeds(pool)
    if nine is None:
        return 0, 0, []
    covered, total, misses = 0, 0, []
    for name, snap in triples_of(pool).items():
        for cid, entry in snap["claims"].items():
            ref = {p["name"]: p for p in nine["claims"].get(cid, {}).get("parts", []) if "interval" in p}
            for part in entry["parts"]:
                iv = part.get("interval")
                if not iv or part["name"] not in ref or not all(map(math.isfinite, (iv["low"], iv["high"]))):
                    continue
                total += 1
                if iv["low"] <= ref[part["name"]]["interval"]["estimate"] <= iv["high"]:
                    covered += 1
                else:
                    misses.append(f"{cid} {part['name']} ({name})")
    return covered, total, misses


def expected_coverage(k: int = 3, n: int = 9, confidence: float = claims.CONFIDENCE) -> float:
    """The share of ``k``-seed intervals (Student's t, k - 1 degrees of freedom) that contain the mean over ``n``
    seeds of which they are ``k``, for a quantity measured once per seed with normal seed-to-seed noise: the triple's
    mean minus the pool's has variance (1/k - 1/n) sigma^2, not sigma^2/k, and is independent of the triple's sd."""
    from scipy.stats import t

    q = float(t.ppf(0.5 + confidence / 2, k - 1))
    return float(2 * t.cdf(q / math.sqrt(1 - k / n), k - 1) - 1)


# ================================================================================================ writing
def _and(items: Sequence) -> str:
    """"3, 4, 5 and 9"."""
    return claims.listing([str(i) for i in items])


def _share(count: Counter, verdict: str) -> str:
    return f"{count.get(verdict, 0)} of {sum(count.values())}"


def _counts_cell(count: Counter) -> str:
    return ", ".join(f"{wording(v, True)} {count[v]}" for v in VERDICTS if count.get(v))


def prediction(pool: dict, main: dict[str, str], stable: Sequence[str]) -> list[str]:
    """The four predictions committed before the pool's runs finished (README, commit 595f296), each checked
    against the counts: held or not, and where not, what broke it."""
    counts, pairs, nine = verdict_counts(pool), disjoint_pairs(pool), all_seeds(pool)
    moved = [cid for cid in stable if counts.get(cid, Counter()).get(main.get(cid), 0) != sum(counts.get(cid, {}).values())]
    agree = sum(1 for *_, differ in pairs if not differ)
    lines = [f"1. The {len(stable)} claims whose verdict was the same in every kept report (when this was predicted) "
             f"keep the committed verdict in every triple: " + ("**held**." if not moved else "**did not hold**: " + "; ".join(
                 f"{cid} ({_counts_cell(counts[cid])}; committed {wording(main[cid], True)})" for cid in moved) + "."),
             _prediction_two(pool, main, stable),
             f"3. Between 2 and 6 of the {len(pairs)} pairs of disjoint triples agree on every verdict: {agree} did, "
             + ("**held**." if 2 <= agree <= 6 else "**did not hold**.")]
    if nine:
        turned = [cid for cid, e in nine["claims"].items() if claims.reverses(main.get(cid), e["verdict"])]
        decided = [cid for cid, e in nine["claims"].items()
                   if main.get(cid) == "inconclusive" and e["verdict"] != "inconclusive"]
        lines.append(f"4. With all {len(nine['seeds'])} seeds no verdict the committed report decided turns into its "
                     "opposite, and some inconclusive ones become decided: "
                     + ("**held**" if not turned and decided else "**did not hold**")
                     + (f" (turned: {', '.join(turned)})" if turned else "")
                     + (f" (decided now: {', '.join(decided)})" if decided else " (none became decided)") + ".")
    return lines + _prediction_more_seeds(pool)


def _prediction_two(pool: dict, main: dict[str, str], stable: Sequence[str]) -> str:
    """Prediction 2: the claims that differed between kept reports (all but ``stable``) differ between triples too,
    and no claim is reproduced in one triple and not reproduced in another. Both halves must hold."""
    counts, flipped = verdict_counts(pool), flips(pool)
    varied = sorted((cid for cid in main if cid not in stable), key=claims.claim_order)
    steady = [cid for cid in varied if len(counts.get(cid, {})) < 2]
    found = ["one verdict in every triple for " + ", ".join(f"{c} ({_counts_cell(counts[c])})" for c in steady)
             if steady else "", f"{len(flipped)} flips" if flipped else ""]
    return (f"2. The claims that differed between kept reports ({', '.join(varied) or 'none'}) differ between triples "
            "too, and no claim goes from reproduced to not reproduced or back in any pair of triples: "
            + ("**held**." if not steady and not flipped else "**did not hold**: " + "; ".join(f for f in found if f) + "."))


def sizes(pool: dict) -> list[dict]:
    """For each number of seeds per report with at least two disjoint sets in the pool: how many sets and pairs
    of disjoint sets, the pairs with every verdict identical, the mean number of claims that differ per pair, the
    flips (``flips``), and the sets with every verdict of the report over all seeds."""
    nine, out = all_seeds(pool), []
    for size in sorted({len(s["seeds"]) for s in pool["sets"].values()}):
        pairs = disjoint_pairs(pool, size)
        if not pairs:
            continue
        sets = sets_of_size(pool, size)
        as_nine = [n for n, snap in sets.items() if nine and all(nine["claims"].get(c, {}).get("verdict") == e["verdict"]
                                                                  for c, e in snap["claims"].items())]
        out.append({"size": size, "sets": len(sets), "pairs": len(pairs), "agree": sum(1 for *_, d in pairs if not d),
                    "differ": sum(len(d) for *_, d in pairs) / len(pairs), "flips": len(flips(pool, size)),
                    "as_all": len(as_nine)})
    return out


def sizes_table(rows: list[dict], n: int) -> list[str]:
    """The table of ``sizes``' rows (``n``: the seeds of the report over all of them)."""
    return ["| seeds per report | reports | pairs of disjoint reports | pairs with every verdict identical | claims that "
            f"differ per pair (mean) | flips | reports with every verdict of the {n}-seed report |",
            "|---|---|---|---|---|---|---|",
            *(f"| {r['size']} | {r['sets']} | {r['pairs']} | {r['agree']} of {r['pairs']} | {r['differ']:.2f} | "
              f"{r['flips']} | {r['as_all']} of {r['sets']} |" for r in rows)]


def _sizes_section(pool: dict) -> list[str]:
    """The table of ``sizes``: does a report with more seeds give the same verdicts as one with other seeds?"""
    rows = sizes(pool)
    if len(rows) < 2:
        return []
    n, extra = len(pool["seeds"]), pool.get("extra_seeds", [])
    every = [*pool["seeds"], *extra]
    five = (f"; five: the cyclic windows of five consecutive seeds of the {len(every)} seeds "
            f"{every[0]}-{every[-1]}, seeds {', '.join(map(str, extra))} trained later for them, each window disjoint "
            "from the one that starts five seeds later" if any(r["size"] == 5 for r in rows) else "")
    return ["", "## More seeds per report", "",
            "The same comparison with other numbers of seeds per report (four: the cyclic windows of four consecutive "
            f"seeds of the {n}{five}):", "", *sizes_table(rows, n),
            "", *(f"- {r['size']} seeds, the claims that differ in each pair of disjoint reports: " + "; ".join(
                f"{a} / {b}: {', '.join(d) or 'none'}" for a, b, _, d in disjoint_pairs(pool, r["size"])) + "."
                  for r in rows if r["size"] != 3)]


def _word(n: int) -> str:
    """A small count in words (3 -> "three"), larger ones in digits."""
    return {3: "three", 4: "four", 5: "five", 6: "six", 9: "nine"}.get(n, str(n))


def _more_seeds_than(more: dict, fewer: dict, first: int) -> list[str]:
    """Two predictions comparing ``more`` seeds per report with ``fewer`` (rows of ``sizes``), numbered from
    ``first``: a larger share of disjoint pairs agree on every verdict, but not all; fewer claims differ per pair,
    and no flip."""
    n, m = _word(more["size"]), _word(fewer["size"])
    share = lambda r: r["agree"] / r["pairs"]
    held_share = share(more) > share(fewer) and more["agree"] < more["pairs"]
    held_differ = more["differ"] < fewer["differ"] and more["flips"] == 0
    return [f"{first}. With {n} seeds per report a larger share of disjoint pairs agree on every verdict than with "
            f"{m}, but not all: {more['agree']} of {more['pairs']} against {fewer['agree']} of {fewer['pairs']}, "
            + ("**held**." if held_share else "**did not hold**."),
            f"{first + 1}. Fewer claims differ per disjoint pair with {n} seeds than with {m}, and no flip: "
            f"{more['differ']:.2f} against {fewer['differ']:.2f}, {more['flips']} flips, "
            + ("**held**." if held_differ else "**did not hold**.")]


def five_seed_cost(pool: dict, cold_seconds: float | None, committed_seeds: int = 3) -> tuple[float, float, float] | None:
    """(minutes the extra seeds' run took; two estimates of a cold report with the committed report's seeds
    (``committed_seeds`` of them, its cold run ``cold_seconds``) plus the extra ones: that run added to the cold
    run, and the cold run scaled by the seeds). Neither is a measured run (``measured_cold``): the first counts the
    data preparation twice and an extra run's own overheads, the second assumes training time grows with the seeds
    alone."""
    trained = pool.get("extra_training")
    if not trained or cold_seconds is None:
        return None
    seeds = committed_seeds + len(trained.get("seeds") or [])
    return (trained["seconds"] / 60, (trained["seconds"] + cold_seconds) / 60,
            cold_seconds * seeds / committed_seeds / 60)


def with_extra(pool: dict, committed_seeds: int) -> int:
    """Seeds per report with the pool's extra seeds added to the committed report's (3 + 2 = 5)."""
    return committed_seeds + len(pool.get("extra_seeds", []))


def measured_cold(pool: dict, size: int) -> tuple[str, dict] | None:
    """The pool's cold run with ``size`` seeds, measured (``cold_run``): (its seed set's name, its record), or
    None when there is none."""
    return next(((name, r) for name, r in pool.get("cold_runs", {}).items() if len(r.get("seeds") or ()) == size), None)


def five_seed_decision(pool: dict, committed_seeds: int = 3) -> str | None:
    """The rule written before the five-seed runs (README, 75588b8), applied: the report moves to five seeds only
    if every pair of disjoint five-seed reports agrees on every verdict and a cold five-seed report is measured
    within ``GOAL_MINUTES``; otherwise it keeps its seeds. None until the pool has extra seeds and pairs of them."""
    more = with_extra(pool, committed_seeds)
    row = next((r for r in sizes(pool) if r["size"] == more), None)
    if row is None or more == committed_seeds:
        return None
    measured = measured_cold(pool, more)
    agree = row["agree"] == row["pairs"]
    fits = measured is not None and measured[1]["seconds"] / 60 <= GOAL_MINUTES
    cold = (f"{measured[1]['seconds'] / 60:.1f} min, {'yes' if fits else 'no'}" if measured else "not measured")
    return (f"Decided before the {_word(more)}-seed runs: the report moves to {_word(more)} seeds only if every pair "
            f"of disjoint {_word(more)}-seed reports agrees on every verdict ({row['agree']} of {row['pairs']}: "
            f"{'yes' if agree else 'no'}) and a cold {_word(more)}-seed report is measured within {GOAL_MINUTES} min "
            f"({cold}). So the report {'moves to ' + _word(more) if agree and fits else 'keeps ' + _word(committed_seeds)} "
            "seeds.")


def _cold_text(name: str, run: dict, markdown: bool = True) -> str:
    """One sentence: a measured cold run's time against the 90-minute goal, and whether its claims are the
    warm window's."""
    minutes = run["seconds"] / 60
    same = run.get("differ_from_warm")
    text = (f"A cold report with seeds {', '.join(map(str, run['seeds']))} (from an empty run cache, "
            f"{run['jobs']} notebook{'s' if run['jobs'] != 1 else ''} at a time, commit {str(run['commit'])[:7]}) "
            f"took {'**' if markdown else ''}{minutes:.1f} min{'**' if markdown else ''}, measured on "
            f"{run['machine']}: {'within' if minutes <= GOAL_MINUTES else 'over'} the {GOAL_MINUTES}-minute goal of issue 15.")
    if same is not None:
        text += (f" Its claims are the warm re-run's of seeds {name.replace('-', ', ')}, part for part and interval "
                 "for interval." if not same else
                 f" Its claims differ from the warm re-run's of the same seeds in: {', '.join(same)}.")
    return text


def _cost_section(pool: dict, cold_seconds: float | None, committed_seeds: int = 3) -> list[str]:
    """What the extra seeds cost to train, against the committed report's cold run and the 90-minute goal, and
    a cold five-seed report where one was measured."""
    trained, cost = pool.get("extra_training"), five_seed_cost(pool, cold_seconds, committed_seeds)
    if not trained:
        return []
    seeds = ", ".join(map(str, trained["seeds"] or []))
    text = (f"Training seeds {seeds} (side by side, {trained['jobs']} notebooks at a time, with the data and the other "
            f"seeds already in the run cache; cache state as recorded: {trained['cache']}) took "
            f"**{trained['seconds'] / 60:.1f} min** on {trained['machine']}.")
    if cost:
        text += (f" With the committed report's cold run of {_word(committed_seeds)} seeds ({cold_seconds / 60:.1f} "
                 f"min), a cold report with {_word(with_extra(pool, committed_seeds))} seeds would take about "
                 f"**{cost[1]:.0f} min** as the sum of the two runs, or about **{cost[2]:.0f} min** by scaling the "
                 f"committed run by the seeds (estimates). The goal of issue 15 is {GOAL_MINUTES} min.")
    measured = measured_cold(pool, with_extra(pool, committed_seeds))
    decision = five_seed_decision(pool, committed_seeds)
    return ["", "### What the extra seeds cost", "", text] + (["", _cold_text(*measured)] if measured else []) \
        + (["", decision] if decision else [])


def _prediction_more_seeds(pool: dict) -> list[str]:
    """Predictions 5 and 6 (README, commit e54a3f5): four seeds per report against three; 7 and 8 (75588b8): five
    against four, in the same words; 9: the claims that differ between disjoint five-seed reports are all among
    ``PREDICTED_NEAR``."""
    rows = {r["size"]: r for r in sizes(pool)}
    if 3 not in rows or 4 not in rows:
        return []
    lines = _more_seeds_than(rows[4], rows[3], 5)
    if 5 in rows:
        lines += _more_seeds_than(rows[5], rows[4], 7)
        differ = sorted({c for *_, d in disjoint_pairs(pool, 5) for c in d}, key=claims.claim_order)
        others = [c for c in differ if c not in PREDICTED_NEAR]
        lines.append(f"9. Every claim that differs between two disjoint five-seed reports is one of "
                     f"{', '.join(PREDICTED_NEAR)}: {', '.join(differ) or 'none'} differ, "
                     + ("**held**." if not others else f"**did not hold** ({', '.join(others)})."))
    return lines


def _nine_section(pool: dict, main: dict[str, str], committed: str) -> list[str]:
    """The verdicts of the report with every seed of the pool that differ from the committed report's."""
    nine, n = all_seeds(pool), len(pool["seeds"])
    if nine is None:
        return []
    changed = [cid for cid, e in nine["claims"].items() if e["verdict"] != main.get(cid)]
    return ["", f"## All {n} seeds together", "",
            f"Intervals over {n} seeds use Student's t with {n - 1} degrees of freedom instead of 2, so they are "
            "narrower for two reasons: more seeds, and a better-known spread. Claims whose verdict differs from the "
            f"committed report's: {', '.join(changed) or 'none'}.", "",
            *(f"- {cid}: {wording(main.get(cid, '-'), True)} with seeds {committed.replace('-', ', ')}, "
              f"{wording(nine['claims'][cid]['verdict'], True)} with all {n}: "
              + "; ".join(f"{p['name']} {wording(p['verdict'], True)}, {p['text']}" for p in nine["claims"][cid]["parts"])
              for cid in changed)]


def _coverage_section(pool: dict) -> list[str]:
    """Whether the triples' intervals hold the nine-seed estimates (``coverage``) as often as they should."""
    covered, total, misses = coverage(pool)
    if not total:
        return []
    return ["", "## Do three seeds' intervals hold?", "",
            f"A triple's 95 % interval of a part contains the nine-seed estimate of that part in **{covered} of "
            f"{total}** cases ({100 * covered / total:.1f} %). If the intervals are right, about "
            f"{100 * expected_coverage(3, len(pool['seeds'])):.1f} % is expected for a part measured once per seed "
            "(above 95 %: a triple shares a third of its seeds with the nine); intervals too narrow would show as a "
            "share well below 95 %. (The nine-seed estimate is not the truth, so this checks consistency, not "
            "calibration against a known value.)" + (" Missed: " + "; ".join(misses) + "." if misses else "")]


def _figure_lines(pool: dict) -> list[str]:
    """The link to ``write_figure``'s figure and its caption (nothing when there is no figure to draw)."""
    if not all(figure_data(pool)):
        return []
    return ["", f"![The claims whose verdict varies: the share of reports giving each verdict with "
                f"{_and(sorted({len(x['seeds']) for x in pool['sets'].values()}))} seeds per report, and the share "
                f"of disjoint pairs agreeing on every verdict]({FIGURE.name})",
            "", "The claims whose verdict is not the same in every report of the pool, by the number of seeds per "
                "report (left), and how often two disjoint reports agree on every verdict (right)."]


def markdown(pool: dict, main: dict[str, str], stable: Sequence[str] = (), committed: str = "0-1-2",
             cold_seconds: float | None = None) -> str:
    """``report/seed_pool.md``: each claim's verdicts over the twelve triples and with all nine seeds, the pairs of
    disjoint triples, more seeds per report and what they cost (``cold_seconds``: the committed report's cold
    run), and the predictions' outcomes."""
    sets, counts, pairs, nine = triples_of(pool), verdict_counts(pool), disjoint_pairs(pool), all_seeds(pool)
    seeds, extra = ", ".join(map(str, pool["seeds"])), pool.get("extra_seeds", [])
    fives, counts5 = sets_of_size(pool, 5), verdict_counts(pool, 5)
    identical, others = others_agreeing(pool, main, committed)
    agree = [(a, b) for a, b, _, differ in pairs if not differ]
    machines = sorted({s["machine"] for s in pool["sets"].values()})
    seconds = [s["seconds"] for s in pool["sets"].values() if s.get("seconds") is not None]
    states = Counter(s["cache"] for s in pool["sets"].values() if s.get("cache"))
    lines = ["# The seed pool: the verdicts of other seed sets, from nine seeds regrouped", "",
             "Generated by `python -m colorlib.seedpool write` from `report/seed_pool.json` (`python -m "
             "colorlib.seedpool run` and `collect`); edit the notebooks, not this file.", "",
             f"The report re-run warm, at commit {pool['commit']}, from the run caches of the three one-thread seed sets "
             f"(seeds {seeds}) with each triple of a balanced design (every pair of seeds in exactly one triple), "
             f"with each window of four consecutive seeds, and once with all {len(pool['seeds'])} seeds"
             + (f"; then, with seeds {', '.join(map(str, extra))} trained later into the same cache, with each window "
                f"of five consecutive seeds of the {len(pool['seeds']) + len(extra)}" if extra else "")
             + f"; machine: {'; '.join(machines)}. Same code, data, photos, paintings and rule as the committed report "
             "(`colorlib.claims`); only the seeds differ."
             + (f" Each re-run took {min(seconds):.0f}-{max(seconds):.0f} s (the run cache's state, as the "
                f"timings record it: {', '.join(f'{k} {n}' for k, n in sorted(states.items())) or 'not recorded'}"
                + ("; partial: some measurements were made anew" if states.get("partial") else "") + ")."
                if seconds else ""), "",
             f"- Other triples with every verdict identical to the committed report's ({committed.replace('-', ', ')}): "
             f"**{len(identical)} of {len(others)}**"
             + (f" ({', '.join(identical)})" if identical else "") + ".",
             f"- Pairs of disjoint triples (like the stability run) with every verdict identical: **{len(agree)} of "
             f"{len(pairs)}**" + (f" ({'; '.join(f'{a} and {b}' for a, b in agree)})" if agree else "") + ".",
             f"- Claims reproduced in one triple and not reproduced in another: **{len({c for c, *_ in flips(pool)})}**.",
             *_figure_lines(pool),
             "", "## Each claim over the twelve triples", "",
             f"| claim | committed ({committed.replace('-', ', ')}) | the twelve triples | triples giving the committed verdict | "
             f"all {len(pool['seeds'])} seeds |" + (f" the {len(fives)} five-seed windows |" if fives else ""),
             "|---|---|---|---|---|" + ("---|" if fives else "")]
    texts = {cid: e.get("text", "") for snap in sets.values() for cid, e in snap["claims"].items()}
    for cid in sorted(counts, key=claims.claim_order):
        nine_v = wording(nine["claims"][cid]["verdict"], True) if nine and cid in nine["claims"] else "-"
        lines.append(f"| {cid}{': ' + texts[cid].replace('|', '/') if texts.get(cid) else ''} | {wording(main[cid], True) if cid in main else '-'} | {_counts_cell(counts[cid])} | "
                     f"{_share(counts[cid], main.get(cid, '-'))} | {nine_v} |"
                     + (f" {_counts_cell(counts5.get(cid, Counter())) or '-'} |" if fives else ""))
    lines += ["", "## Pairs of disjoint triples", "",
              "| split | triple | triple | identical verdicts | different |", "|---|---|---|---|---|"]
    for k, group in enumerate(design(pool["seeds"]), 1):
        names = {name_of(t) for t in group}
        for a, b, ids, differ in pairs:
            if {a, b} <= names:
                lines.append(f"| {k} | {a} | {b} | {len(ids) - len(differ)} of {len(ids)} | {', '.join(differ) or '-'} |")
    lines += _sizes_section(pool) + _cost_section(pool, cold_seconds, len(committed.split("-"))) \
        + _nine_section(pool, main, committed) \
        + _coverage_section(pool)
    if stable:
        lines += ["", "## The predictions committed before the runs finished", "", *prediction(pool, main, stable)]
    return "\n".join(lines) + "\n"


def summary(pool: dict, main: dict[str, str], committed: str = "0-1-2", cold_seconds: float | None = None) -> str:
    """The README's lines: how many triples and disjoint pairs agree, flips, and the nine-seed verdicts' changes."""
    sets, pairs, nine = triples_of(pool), disjoint_pairs(pool), all_seeds(pool)
    counts, (identical, others) = verdict_counts(pool), others_agreeing(pool, main, committed)
    agree = sum(1 for *_, differ in pairs if not differ)
    varied = [f"{cid} ({_counts_cell(counts[cid])})" for cid in sorted(counts, key=claims.claim_order) if len(counts[cid]) > 1]
    text = (f"Seed pool ([report/seed_pool.md](report/seed_pool.md)): the nine seeds regrouped into {len(sets)} triples; "
            f"**{len(identical)} of the {len(others)}** triples other "
            f"than the committed one give every verdict of the committed report, and **{agree} of {len(pairs)}** pairs "
            f"of disjoint triples agree on every verdict (on average two disjoint triples differ on "
            f"{sum(len(d) for *_, d in pairs) / max(1, len(pairs)):.1f} claims). Claims whose verdict "
            f"varies between triples: {'; '.join(varied) or 'none'}. Reproduced in one triple and not reproduced in "
            f"another: {len({c for c, *_ in flips(pool)})} claims.")
    more = [r for r in sizes(pool) if r["size"] > 3]
    if more:
        text += " With more seeds per report: " + "; ".join(
            f"{r['size']} seeds, {r['agree']} of {r['pairs']} pairs of disjoint reports agree on every verdict "
            f"({r['differ']:.1f} claims differ per pair)" for r in more) + "."
        seeds = len(committed.split("-"))
        measured = measured_cold(pool, with_extra(pool, seeds))
        if measured:
            text += " " + _cold_text(*measured, markdown=False)
        elif cost := five_seed_cost(pool, cold_seconds, seeds):
            text += (f" Training the two extra seeds took {cost[0]:.0f} min, so a cold five-seed report would take "
                     f"about {cost[1]:.0f} min (the committed cold run plus that one) or {cost[2]:.0f} min (the cold "
                     "run scaled by the seeds); not measured as one run.")
        if decision := five_seed_decision(pool, seeds):
            text += " " + decision
    covered, total, _ = coverage(pool)
    if total:
        text += (f" A triple's 95 % interval holds the nine-seed estimate in {covered} of {total} parts x triples "
                 f"({100 * covered / total:.1f} %; about {100 * expected_coverage(3, len(pool['seeds'])):.1f} % expected "
                 "if the intervals are right)" + (": the differences come from verdicts near their thresholds, not "
                                                  "from intervals that claim too much." if covered / total >= 0.95
                                                  else ": fewer than 95 %, so the intervals claim too much."))
    if nine:
        changed = [f"{cid} {wording(e['verdict'], True)}" for cid, e in nine["claims"].items() if e["verdict"] != main.get(cid)]
        text += (f" With all {len(nine['seeds'])} seeds, the verdicts that differ from the committed report's: "
                 + ("; ".join(changed) or "none") + ".")
    return text


def cold_seconds(report=REPO_DIR / "report") -> float | None:
    """The committed report's cold run under the report profile, in seconds (``timings.json``; None if absent)."""
    path = Path(report) / "timings.json"
    cold = json.loads(path.read_text()).get("report", {}).get("cold") if path.exists() else None
    return cold.get("total") if cold else None


def figure_data(pool: dict) -> tuple[dict, dict]:
    """What ``plots.verdict_shares`` draws: for every claim whose verdict is not the same in all the pool's
    reports, the verdict counts per number of seeds per report; and per number of seeds with disjoint pairs, the
    pairs agreeing on every verdict."""
    sizes_ = sorted({len(s["seeds"]) for s in pool["sets"].values()})
    label = lambda n: f"{n} seeds, {len(sets_of_size(pool, n))} report{'s' if len(sets_of_size(pool, n)) != 1 else ''}"
    counts = {n: verdict_counts(pool, n) for n in sizes_}
    varied = sorted({cid for n in sizes_ for cid in counts[n]
                     if len({v for m in sizes_ for v in counts[m].get(cid, {})}) > 1}, key=claims.claim_order)
    cells = {cid: {label(n): dict(counts[n].get(cid, {})) for n in sizes_} for cid in varied}
    agree = {f"{r['size']} seeds": (r["agree"], r["pairs"]) for r in sizes(pool)}
    return cells, agree


def write_figure(pool: dict, path: Path) -> Path | None:
    """``report/seed_pool.png``: ``figure_data`` drawn (None, and nothing written, when no claim varies)."""
    from colorlib import plots

    cells, agree = figure_data(pool)
    if not cells or not agree:
        return None
    fig = plots.verdict_shares(cells, agree)
    with files.atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png", metadata={"Software": None})
    plots.plt.close(fig)
    return Path(path)


def write(path: Path = POOL_MD, pool_json: Path = POOL_JSON, report=REPO_DIR / "report") -> Path:
    """Write ``report/seed_pool.md`` and its figure (``write_figure``) from ``report/seed_pool.json``."""
    pool = json.loads(Path(pool_json).read_text())
    write_figure(pool, Path(path).with_name(FIGURE.name))
    files.write_text(path, markdown(pool, main_verdicts(report), PREDICTED_STEADY, committed_set(report),
                                    cold_seconds(report)))
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m colorlib.seedpool", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="re-run the report with every seed set of the pool into OUT/seeds-.../")
    r.add_argument("out", type=Path)
    r.add_argument("--jobs", type=int, default=2, help="notebooks at a time (default 2: the runs are warm)")
    r.add_argument("--size", type=int, default=None, help="only the seed sets of this many seeds (default: all)")
    c = sub.add_parser("collect", help="write report/seed_pool.json from OUT/seeds-.../")
    c.add_argument("out", type=Path)
    c.add_argument("--extra", type=int, nargs="*", default=list(EXTRA_SEEDS),
                   help="the seeds trained later for the windows of five (default 9 10; none: `--extra` alone)")
    c.add_argument("--to", type=Path, default=POOL_JSON,
                   help="where to write the pool (default report/seed_pool.json, then seed_pool.md from it)")
    sub.add_parser("write", help="write report/seed_pool.md from report/seed_pool.json")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "run":
            args.out.mkdir(parents=True, exist_ok=True)
            return run(args.out, jobs=args.jobs, size=args.size)
        if args.command == "collect":
            print(f"wrote {collect(args.out, path=args.to, extra=tuple(args.extra))}")
            if args.to.resolve() != POOL_JSON.resolve():  # another machine's pool: colorlib.poolreplica writes it up
                return 0
        print(f"wrote {write()}")
    except (FileNotFoundError, ValueError) as err:
        print(f"seedpool: {err}", file=sys.stderr)
        return 2
    print("README.md's seed-pool block: `python -m colorlib.readme` (colorlib.readme reads the pool, not the reverse)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

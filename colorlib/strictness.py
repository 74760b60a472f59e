"""What a stricter interval would buy instead of more seeds: the seed pool's verdicts re-judged at higher levels.

Issue 15 asks for identical verdicts under two disjoint seed sets, "where one would differ, the rule must make it
inconclusive rather than flip". With the rule's 95 % intervals two disjoint three-seed reports differ on about one
claim (``report/seed_pool.md``), and more seeds do not settle them within 100 (``report/seed_budget.md``). A wider
interval is the other lever: fewer claims decided, and perhaps the same ones in both reports. This module measures
that trade-off; it does not change the rule, and no committed verdict changes with it.

How: a part's interval is half-width^2 = (t(S-1) * sd / sqrt(S))^2 + u^2 (``claims._two_level``: seeds with t,
photos with z). The pool's per-seed effects are known exactly (``seedbudget.per_seed_effects``), so each seed set's
seed part and photo part u are too, and its interval at another level is the same two parts with that level's
quantiles. Re-judged by ``claims.test_interval`` and ``claims.combine`` (the one rule), the pool's 33 reports give
observed agreement of its disjoint pairs at each level; ``seedbudget.project`` at each level gives the projection.

Fixed before the first re-judgment (2026-12-07, committed before any number at another level was computed):
- ``LEVELS``: the rule's 0.95 and two stricter levels, 0.99 and 0.999.
- Observed at the pool's disjoint pairs of 3 and 5 seeds (``seedbudget.CHECKED``); projected over
  ``seedbudget.GRID``; the claims are the 15 whose parts all have an interval in the pool (as in seed_budget.md).
- A level "would do" when, at 3 seeds (the report's budget), all those claims agree (a) with projected probability
  >= ``seedbudget.AGREE`` (0.95) and (b) in at least ``OBSERVED_GOAL`` (11) of the pool's 12 disjoint pairs.
- Its price, printed beside it with no threshold: how many of those claims a 3-seed report decides on average
  (reproduced or not reproduced), at 0.95 and at that level, in the pool's reports.
- Self-check: at 0.95 the re-judgment must give every part of every pool report its recorded verdict, or nothing
  is reported.
- Prediction: 0.99 will not do ((a) fails); 0.999 may, but then 3-seed reports decide at most half as many of the
  claims as at 0.95.

Added after looking (the levels, goal and prediction stayed): S8's two intervals cannot be split (``split``: they
compare with a model averaged over its seeds, so its seed spread is not in them); they are widened the widest way
and the narrowest way's numbers printed beside, and ``left_out`` says what the committed S8 verdicts could be with
that spread put in (found here; notebook 13 now pairs the seeds, for the next report).
"""
from __future__ import annotations

import itertools
import json
import math
import sys
from collections import Counter
from pathlib import Path

import numpy as np

from colorlib import claims, files, seedbudget, seedpool
from colorlib.paths import REPO_DIR

LEVELS = (0.95, 0.99, 0.999)  # the rule's interval level, then two stricter ones
OBSERVED_GOAL = 11  # of the pool's 12 disjoint pairs of three-seed reports that must agree on every claim
STRICTNESS_MD = REPO_DIR / "report" / "strictness.md"
FIGURE = REPO_DIR / "report" / "strictness.png"  # beside strictness.md, which links it by name
DECIDED = ("reproduced", "not reproduced")  # the verdicts that count as deciding a claim (the price)


def split(iv: dict, effects: list[float]) -> tuple[float, float] | None:
    """(seeds' part, photos' part) of a part's half-width at the rule's level, from its seeds' effects (the
    interval made by ``claims._two_level``); None when the seeds' part alone is wider than the interval, as in a
    comparison with a model averaged over its seeds (S8 in the committed report and the pool: that model's seed
    spread is left out of the interval, so the per-seed effects overstate the seeds' part)."""
    half = (iv["high"] - iv["low"]) / 2
    seeds_half = seedbudget.seeds_half(effects)
    photos2 = half ** 2 - seeds_half ** 2
    if photos2 < -1e-9 * max(half ** 2, 1e-300):
        return None
    return seeds_half, math.sqrt(max(photos2, 0.0))


def with_left_out_spread(iv: dict, effects: list[float], test: dict) -> list[str]:
    """The verdicts an unsplit interval (``split``) could have with the compared model's seed spread put in, seeds
    paired as in every other claim: its seeds' part from the per-seed effects, its photos' part (unchanged by the
    pairing, but unknown) anywhere from none to the whole recorded half-width. One verdict when both ends agree."""
    seeds_half = seedbudget.seeds_half(effects)
    out = []
    for half in (seeds_half, math.hypot(seeds_half, (iv["high"] - iv["low"]) / 2)):
        v = claims.test_interval(seedbudget._Bounds(iv["estimate"] - half, iv["estimate"] + half), test["test"],
                                 test["threshold"] or 0.0, test["margin"])
        out += [v] if v not in out else []
    return out


def left_out(pool: dict, fitted: dict, unsplit: list[tuple[str, str]], report=REPO_DIR / "report") -> dict:
    """For the committed report's seed set in the pool: each claim with an unsplit part, its recorded verdict and
    the verdicts it could have with the compared models' seed spread put in (``with_left_out_spread``)."""
    snap = pool["sets"].get(seedpool.committed_set(report))
    out = {}
    for cid in sorted({c for c, _ in unsplit}, key=claims.claim_order):
        if snap is None or cid not in snap["claims"]:
            continue
        parts = {}
        for p in snap["claims"][cid]["parts"]:
            parts[p["name"]] = (p["verdict"], [p["verdict"]])
            if (cid, p["name"]) in unsplit:  # a threshold part (``unsplit_parts``); the claim's others stay as recorded
                f = fitted[(cid, p["name"])]
                effects = [f["effects"][s] for s in snap["seeds"]]
                parts[p["name"]] = (p["verdict"], with_left_out_spread(p["interval"], effects, f))
        options = sorted({claims.combine(list(c)) for c in itertools.product(*(v for _, v in parts.values()))})
        out[cid] = {"recorded": snap["claims"][cid]["verdict"], "with": options, "parts": parts,
                    "seeds": snap["seeds"]}
    return out


def interval_at(iv: dict, effects: list[float], confidence: float, unsplit: str = "seeds") -> seedbudget._Bounds:
    """A part's interval at ``confidence``: its seeds' part with t(S-1) and its photos' part with z at that level.
    An interval that cannot be split (``split``) is widened as if it were all ``unsplit`` ("seeds": t, the
    widest; "photos": z, the narrowest)."""
    seeds = len(effects)
    t_ratio = claims._t_quantile(seeds - 1, confidence) / claims._t_quantile(seeds - 1)
    parts = split(iv, effects)
    if parts is None:
        half = (iv["high"] - iv["low"]) / 2 * (t_ratio if unsplit == "seeds" else seedbudget.photo_scale(confidence))
    else:
        half = math.hypot(parts[0] * t_ratio, parts[1] * seedbudget.photo_scale(confidence))
    return seedbudget._Bounds(iv["estimate"] - half, iv["estimate"] + half)


def unsplit_parts(pool: dict, fitted: dict) -> list[tuple[str, str]]:
    """(claim, part) of every fitted threshold part with a seed set whose interval cannot be split (``split``). An
    "either" part's alternatives are not listed: one that cannot be split is widened the widest way (``interval_at``),
    unreported (none in the AVX2 pool, the only one that kept them)."""
    return sorted({(cid, p["name"]) for snap in pool["sets"].values() for cid, e in snap["claims"].items()
                   for p in e["parts"] if (cid, p["name"]) in fitted and "interval" in p
                   and split(p["interval"], [fitted[(cid, p["name"])]["effects"][s] for s in snap["seeds"]]) is None})


def rejudge(pool: dict, fitted: dict, whole_claims: list[str], confidence: float,
            unsplit: str = "seeds") -> dict[str, dict]:
    """Every seed set of the pool re-judged at ``confidence``: name -> {"seeds", "claims": {claim: {"verdict",
    "parts": {part: verdict}}}} for the claims of ``whole_claims`` (those whose parts all have an interval);
    ``unsplit``: how intervals that cannot be split are widened (``interval_at``)."""
    out = {}
    for name, snap in pool["sets"].items():
        judged = {}
        for cid in whole_claims:
            parts = {}
            for p in snap["claims"].get(cid, {}).get("parts", []):
                parts[p["name"]] = rejudged_part(p, fitted[(cid, p["name"])], snap["seeds"], confidence, unsplit)
            if parts:
                judged[cid] = {"verdict": claims.combine(list(parts.values())), "parts": parts}
        out[name] = {"seeds": list(snap["seeds"]), "claims": judged}
    return out


def rejudged_part(part: dict, fit: dict, seeds: list[int], confidence: float, unsplit: str = "seeds") -> str:
    """One part of one seed set at ``confidence``: a threshold part's interval re-made at that level, each
    alternative of an "either" part's, or each comparison of a "best of K" part at that level (won) and at its
    refuting confidence there (lost)."""
    if "any_of" in fit:  # an "either" part: each alternative re-judged, then the one rule for "either"
        kept = {q["name"]: q for q in part["any_of"]}
        return claims.either_verdict([_rejudged_threshold(kept[name]["interval"], a, seeds, confidence, unsplit)
                                      for name, a in fit["any_of"].items()])
    if "versus" not in fit:
        return _rejudged_threshold(part["interval"], fit, seeds, confidence, unsplit)
    won, lost = [], []
    for other, comparison in fit["versus"].items():
        effects = [comparison["effects"][s] for s in seeds]
        for level, out, verdict in ((confidence, won, "reproduced"),
                                    (seedbudget.strict_at(confidence, fit["strict"]), lost, "not reproduced")):
            iv = interval_at(part["versus"][other], effects, level, unsplit)
            out.append(claims.test_interval(iv, fit["direction"], 0.0, fit["margin"]) == verdict)
    return "not reproduced" if any(lost) else "reproduced" if all(won) else "inconclusive"


def _rejudged_threshold(iv: dict, fit: dict, seeds: list[int], confidence: float, unsplit: str) -> str:
    bounds = interval_at(iv, [fit["effects"][s] for s in seeds], confidence, unsplit)
    return claims.test_interval(bounds, fit["test"], fit["threshold"] or 0.0, fit["margin"])


def self_check(pool: dict, judged: dict[str, dict]) -> None:
    """At the rule's own level the re-judgment must give every part and claim its recorded verdict."""
    for name, snap in judged.items():
        for cid, entry in snap["claims"].items():
            recorded = pool["sets"][name]["claims"][cid]
            parts = {p["name"]: p["verdict"] for p in recorded["parts"]}
            if entry["verdict"] != recorded["verdict"] or entry["parts"] != parts:
                raise ValueError(f"re-judged at the rule's level, {cid} in seed set {name} is {entry}, "
                                 f"recorded {recorded['verdict']} {parts}: the decomposition is wrong")


def observed(judged: dict[str, dict], size: int) -> dict:
    """Over the pool's reports of ``size`` seeds re-judged at one level: the disjoint pairs agreeing on every
    claim, the claims that differ per pair and reversals (reproduced in one, not reproduced in the other), and
    the claims each report decides (``DECIDED``) or calls partly, on average."""
    sets = seedpool.sets_of_size({"sets": judged}, size)
    pairs = seedpool.disjoint_pairs({"sets": judged}, size)  # (set, set, claims in both, claims that differ)
    reversed_ = sum(claims.reverses(sets[a]["claims"][c]["verdict"], sets[b]["claims"][c]["verdict"])
                    for a, b, _, differ in pairs for c in differ)
    verdicts = [e["verdict"] for s in sets.values() for e in s["claims"].values()]
    return {"pairs": len(pairs), "agree": sum(not differ for *_, differ in pairs), "reversed": reversed_,
            "differ": float(np.mean([len(differ) for *_, differ in pairs])) if pairs else math.nan,
            "decided": sum(v in DECIDED for v in verdicts) / max(len(sets), 1),
            "partly": verdicts.count("partly") / max(len(sets), 1), "reports": len(sets)}


def study(pool: dict, report=REPO_DIR / "report", levels=LEVELS, grid=seedbudget.GRID,
          draws: int = seedbudget.DRAWS) -> dict:
    """Each level of ``levels``: the pool's reports re-judged (observed at ``seedbudget.CHECKED`` seeds, again with
    unsplit intervals widened the narrowest way, and each claim's verdicts over the three-seed reports) and the
    projection at that level over ``grid``."""
    fitted = seedbudget.fitted_parts(pool, report)
    whole_claims = seedbudget.claims_projected(pool, fitted)
    unsplit = unsplit_parts(pool, fitted)
    out = {}
    for level in levels:
        judged = rejudge(pool, fitted, whole_claims, level)
        if level == claims.CONFIDENCE:
            self_check(pool, judged)
        narrow = rejudge(pool, fitted, whole_claims, level, "photos") if unsplit else judged
        default = level == claims.CONFIDENCE and (tuple(grid), draws) == (seedbudget.GRID, seedbudget.DRAWS)
        projected = (seedbudget.projection(pool, report) if default  # seed_budget.md's, made once
                     else seedbudget.project(pool, report, grid, draws, confidence=level))
        triples = seedpool.sets_of_size({"sets": judged}, 3).values()
        out[level] = {"observed": {n: observed(judged, n) for n in seedbudget.CHECKED},
                      "observed_narrow": {n: observed(narrow, n) for n in seedbudget.CHECKED},
                      "projected": projected["every"]["curve"],
                      "reversal": max(projected["reversal"].values()),
                      "verdicts": {cid: [s["claims"][cid]["verdict"] for s in triples] for cid in whole_claims}}
    return {"levels": out, "claims": whole_claims, "unsplit": unsplit,
            "left_out": left_out(pool, fitted, unsplit, report)}


_STUDIED: dict[str, dict] = {}  # the last study, by what it was made from (see ``studied``)


def studied(pool: dict, report=REPO_DIR / "report") -> dict:
    """``study`` at the defaults, made once per process for the same pool and tests (``make report`` writes
    strictness.md and then the README's block from one)."""
    return seedbudget.made_once(_STUDIED, pool, report, study)


def would_do(entry: dict) -> tuple[bool, bool]:
    """The two conditions fixed before looking, at 3 seeds: (projected agreement on every claim >= AGREE,
    at least ``OBSERVED_GOAL`` of the pool's disjoint pairs agreeing on every claim)."""
    seen = entry["observed"][3]
    return entry["projected"][3] >= seedbudget.AGREE, seen["pairs"] > 0 and seen["agree"] >= OBSERVED_GOAL


def _pct(level: float) -> str:
    return f"{100 * level:g} %"


def _verdict_counts(verdicts: list[str]) -> str:
    counts = Counter(verdicts)
    return ", ".join(f"{counts[v]} {v}" for v in claims.VERDICTS if counts[v]) or "-"


def prediction_lines(result: dict) -> list[str]:
    """The prediction fixed before looking, checked against the result."""
    levels = result["levels"]
    base = levels[claims.CONFIDENCE]["observed"][3]["decided"]
    lines = []
    if 0.99 in levels:
        held = not would_do(levels[0.99])[0]
        lines.append(f"0.99 will not do (projected agreement below {seedbudget.AGREE} at 3 seeds): "
                     f"{'held' if held else 'failed'} ({levels[0.99]['projected'][3]:.2f}).")
    if 0.999 in levels:
        e = levels[0.999]
        passes, decided = all(would_do(e)), e["observed"][3]["decided"]
        held = not passes or decided <= base / 2
        lines.append(f"0.999 may do, but then a 3-seed report decides at most half as many claims as at "
                     f"{claims.CONFIDENCE}: {'held' if held else 'failed'} (it "
                     f"{'does' if passes else 'does not do'}; {decided:.1f} decided against {base:.1f}).")
    return lines


def markdown(result: dict) -> str:
    """``report/strictness.md``."""
    levels, n = result["levels"], len(result["claims"])
    grid = sorted(next(iter(levels.values()))["projected"])
    lines = ["# What a stricter interval would buy instead of more seeds: the seed pool re-judged", "",
             "Generated by `python -m colorlib.strictness` from `report/seed_pool.json` and the committed results. "
             "The method, what was fixed before any number at another level was computed, and the prediction are in "
             "the module's docstring. The rule itself stays at its level; no committed verdict changes.", "",
             f"Each of the pool's reports re-judged at a stricter level: the same seeds' and photos' spread, wider "
             f"quantiles. Observed: the pool's disjoint pairs of reports that give all {n} claims (those whose parts "
             f"all have an interval, as in seed_budget.md) the same verdict. Projected: as in seed_budget.md, at that "
             f"level. Decided: claims reproduced or not reproduced per report, on average (partly in brackets). "
             f"Would do (fixed before looking): at 3 seeds, projected agreement >= {seedbudget.AGREE} and at least "
             f"{OBSERVED_GOAL} observed pairs agreeing.", "",
             f"![Agreement of two disjoint seed sets and claims decided, against the interval's level]({FIGURE.name})",
             "", *level_table(result),
             "", "Projected agreement on all the claims at once, by seeds per report:", "",
             "| level | " + " | ".join(f"{s} seeds" for s in grid) + " | a claim reversed, at most |",
             "|---|" + "---|" * len(grid) + "---|"]
    lines += [f"| {_pct(level)} | " + " | ".join(f"{e['projected'][s]:.2f}" for s in grid)
              + f" | {e['reversal']:.3f} |" for level, e in levels.items()]
    lines += ["", "Each claim's verdicts over the pool's three-seed reports, by level:", "", *claim_table(result),
              "", "The prediction: " + " ".join(prediction_lines(result))]
    if result["unsplit"]:
        narrow = "; ".join(f"{_pct(level)}: {e['observed_narrow'][3]['agree']} of {e['observed_narrow'][3]['pairs']} "
                           f"pairs, {e['observed_narrow'][3]['decided']:.1f} decided" for level, e in levels.items())
        lines += ["", "Not split exactly (flagged after looking: the seeds' part alone is wider than the interval, "
                  "because notebook 13 compared with a model averaged over its seeds, whose seed spread is then left "
                  "out of the interval): " + "; ".join(f"{cid} {name}" for cid, name in result["unsplit"])
                  + ". Above they are widened the widest way (all seeds, t); widened the narrowest way (all photos, "
                  f"z) instead, at 3 seeds: {narrow}.", "", left_out_text(result)]
    return "\n".join(lines) + "\n"


def _either(verdicts: list[str]) -> str:
    return " or ".join(verdicts)


def left_out_text(result: dict) -> str:
    """What the committed verdicts of claims with unsplit parts could be with the compared models' seed spread."""
    rows = result["left_out"]
    if not rows:
        return ""
    seeds = ", ".join(map(str, next(iter(rows.values()))["seeds"]))
    texts = [f"{cid}: " + "; ".join(f"{name} {recorded} (with it: {_either(options)})"
                                    for name, (recorded, options) in e["parts"].items())
             + f"; the claim {e['recorded']} (with it: {_either(e['with'])})" for cid, e in rows.items()]
    changed = [cid for cid, e in rows.items() if e["with"] != [e["recorded"]]]
    return (f"Found on the way: those intervals leave out the compared model's seed spread (notebook 13 compared "
            f"with its mean over seeds, where every other claim pairs the seeds). With it put in, seeds "
            f"paired, at the committed seeds {seeds} (the photos' part, unknown, anywhere from none to the recorded "
            f"half-width): " + " ".join(texts) + ". "
            + (f"So the committed verdict of {claims.listing(changed)} may not stand. " if changed else
               "So no committed claim verdict changes" + (", though a part's does. " if any(
                   options != [recorded] for e in rows.values() for recorded, options in e["parts"].values())
                   else ". "))
            + "Mended in notebook 13 after the committed report was made (it pairs the seeds now); the committed "
              "report and the seed pool keep the old intervals until they are made again on their machine.")


def level_table(result: dict) -> list[str]:
    """At each level and each seed count the pool has disjoint pairs of: pairs agreeing on every claim (observed),
    projected, claims differing per pair, decided per report, reversals and whether the level would do."""
    lines = ["| level | seeds | pairs agreeing on all (observed) | projected | claims differing per pair | "
             "decided per report | reversed | would do |", "|---|---|---|---|---|---|---|---|"]
    for level, e in result["levels"].items():
        for size, o in e["observed"].items():
            if not o["pairs"]:
                continue
            do = ", ".join(f"{what} {'yes' if ok else 'no'}"
                           for what, ok in zip(("projected", "observed"), would_do(e)))
            lines.append(f"| {_pct(level)} | {size} | {o['agree']} of {o['pairs']} | {e['projected'][size]:.2f} | "
                         f"{o['differ']:.2f} | {o['decided']:.1f} ({o['partly']:.1f}) | {o['reversed']} | "
                         f"{do if size == 3 else '-'} |")
    return lines


def claim_table(result: dict) -> list[str]:
    """Each claim's verdicts over the pool's three-seed reports, by level."""
    levels = result["levels"]
    return (["| claim | " + " | ".join(_pct(level) for level in levels) + " |", "|---|" + "---|" * len(levels)]
            + [f"| {cid} | " + " | ".join(_verdict_counts(e["verdicts"][cid]) for e in levels.values()) + " |"
               for cid in result["claims"]])


def wavering(result: dict) -> list[str]:
    """Claims the rule's level decides the same way in every three-seed report of the pool whose verdicts differ
    between those reports at some stricter level."""
    levels = result["levels"]
    base = levels[claims.CONFIDENCE]["verdicts"]
    return [cid for cid in result["claims"] if len(set(base[cid])) == 1 and base[cid][0] != "inconclusive"
            and any(len(set(e["verdicts"][cid])) > 1 for level, e in levels.items() if level > claims.CONFIDENCE)]


def summary(result: dict) -> str:
    """The README's lines: agreement and claims decided at 3 seeds by level, whether any level would do."""
    levels, n = result["levels"], len(result["claims"])
    three = {level: e["observed"][3] for level, e in levels.items()}
    doing = [_pct(level) for level, e in levels.items() if all(would_do(e))]
    names = claims.listing([_pct(level) for level in levels])
    moved = wavering(result)
    return (f"Re-judged at stricter interval levels instead ([report/strictness.md](report/strictness.md); the "
            f"levels, the goal and a prediction fixed before looking): with 3 seeds, two disjoint seed sets give all "
            f"{n} claims the same verdict in {claims.listing([str(o['agree']) for o in three.values()])} of the "
            f"pool's {next(iter(three.values()))['pairs']} pairs at {names} (projected "
            + ", ".join(f"{levels[level]['projected'][3]:.2f}" for level in levels) + "), while a report decides "
            + claims.listing([f"{o['decided']:.1f}" for o in three.values()]) + " claims on average. "
            + (f"A stricter level would do: {', '.join(doing)}. " if doing else "No level would do. ")
            + (f"{claims.listing(moved)}, decided the same way in every three-seed report at {_pct(claims.CONFIDENCE)}"
               ", waver between reports at a stricter level: a wider interval moves the boundary claims sit near, "
               "it does not remove it. " if moved else "")
            + f"Claims reversed in the pool's pairs, at any level: {sum(o['reversed'] for o in three.values())}."
            + (" " + _left_out_sentence(result) if result["left_out"] else ""))


def _left_out_sentence(result: dict) -> str:
    parts = [(cid, name) for cid, e in result["left_out"].items() for name, (recorded, options) in e["parts"].items()
             if options != [recorded]]
    claims_changed = [cid for cid, e in result["left_out"].items() if e["with"] != [e["recorded"]]]
    return ("Found on the way (see strictness.md): " + claims.listing(list(result["left_out"]))
            + "'s committed intervals leave out the compared model's seed spread (notebook 13 pairs the seeds now, "
              "for the next report); with it, "
            + (claims.listing([f"{c}'s part \"{n}\"" for c, n in parts]) + " would not keep its committed verdict"
               if parts else "every part keeps its committed verdict")
            + (", and " + claims.listing(claims_changed) + " may change as a claim." if claims_changed
               else ", but no claim's verdict changes."))


def write_figure(result: dict, path: Path) -> Path:
    """``report/strictness.png``: agreement on every claim (observed and projected) and claims decided per report,
    against the interval's level, at each seed count observed."""
    from colorlib import plots

    levels = list(result["levels"])
    by_size = {size: {"observed": [e["observed"][size]["agree"] / e["observed"][size]["pairs"]
                                   for e in result["levels"].values()],
                      "projected": [e["projected"][size] for e in result["levels"].values()],
                      "decided": [e["observed"][size]["decided"] for e in result["levels"].values()]}
               for size in seedbudget.CHECKED}
    fig = plots.strictness_tradeoff([_pct(level) for level in levels], by_size, seedbudget.AGREE,
                                    f"all {len(result['claims'])} claims, the seed pool re-judged")
    with files.atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png", metadata={"Software": None})
    plots.plt.close(fig)
    return Path(path)


def write(path: Path = STRICTNESS_MD, pool_json: Path = seedpool.POOL_JSON, report=REPO_DIR / "report") -> Path:
    """Write ``report/strictness.md`` and its figure from ``report/seed_pool.json`` and the report's results."""
    result = studied(json.loads(Path(pool_json).read_text()), report)
    write_figure(result, Path(path).with_name(FIGURE.name))
    files.write_text(path, markdown(result))
    return path


if __name__ == "__main__":
    print(f"written {write()}")
    sys.exit(0)

"""How many seeds per report would make two disjoint seed sets agree: a projection from the seed pool.

Issue 15 asks for identical verdicts under two disjoint seed sets; with three seeds per report they differ on about
one claim in a pair (``report/seed_pool.md``). This module asks what a larger budget would buy, part by part, from
what the pool measured (``report/seed_pool.json``: reports of 3, 4, 5 and 9 of eleven seeds).

A part's estimate is the mean of its per-seed effects, so the pool's estimates determine the eleven seeds' effects
exactly (``per_seed_effects``: least squares, the residual printed). The rule's interval (``claims._two_level``)
is half-width^2 = (t(S-1) * sd / sqrt(S))^2 + u^2; with the seeds' effects known, each report's photo part u is
what is left of its half-width, and ``photo_part`` fits u^2 = P + I / S (the photos' own spread and the seeds'
disagreement photo by photo, which more seeds average away). Then, for S seeds per report (``project``):

1. Two reports are simulated ``DRAWS`` times by drawing S of the eleven seeds with replacement (a bootstrap of the
   seeds: no normality assumed; outlying seeds, which the pool has, are drawn as often as they occur), the same
   seeds for every part, so the parts of a claim and the claims keep their correlations.
2. Each part is judged by ``claims.test_interval`` and each claim by ``claims.combine``: the one verdict rule.
   Agreement is the share of draws in which the two reports give the same verdict (per part, per claim, and for
   every projected claim at once); a reversal is reproduced in one and not reproduced in the other.
3. ``seeds_needed``: the fewest seeds in ``GRID`` with agreement >= ``AGREE``.

Fixed before the first projection ran (2026-12-07): ``AGREE`` = 0.95, ``GRID``, ``DRAWS``. Changed after looking:
the first projection drew per-seed effects from a normal fitted to the pool's half-widths, with a fixed photo part,
and parts independently; its check at three seeds failed (C8's val-loss part: agreement 1.00 projected, 4 of 12
pairs observed), so the model became the bootstrap above; ``AGREE``, ``GRID`` and the check stayed. The check
(``CHECKED``): at 3 and 5 seeds, the projection beside the share of the pool's disjoint pairs of reports that agreed
(in-sample: the projection draws from those same seeds). It is an estimate, not a measurement: eleven seeds stand
for the seeds' distribution and the photos are the report's. A "best of K" part is projected from its interval
against each other option (``best_verdicts``: won at the level, lost at the refuting confidence, as ``claims.best``
judges it) where the pool kept those (pools collected since 2026-12-07; the committed one was collected before);
an "either" part is projected from each alternative's interval (judged by ``claims.either_verdict``) where the
pool kept those (the same pools); parts without an interval (those two kinds in an older pool) are listed as not
projected, and their claims left out. Cost: the cold report's minutes linear in the
seeds, through the committed 3-seed and the pool's measured 5-seed cold runs. In the committed pool S8's two parts
compared with a model averaged over its seeds, so their per-seed effects carry a seed spread their intervals leave
out (found later by ``colorlib.strictness``): their projected intervals are wider than the rule's would be.

    python -m colorlib.seedbudget      # report/seed_budget.md (and the README's block, via colorlib.readme)
"""
from __future__ import annotations

import json
import math
import sys
from collections import Counter, namedtuple
from pathlib import Path

import numpy as np

from colorlib import agreement, claims, files, seedpool
from colorlib.paths import REPO_DIR

AGREE = 0.95  # the chance two disjoint seed sets give a part the same verdict that counts as "agrees"
GRID = (3, 5, 9, 15, 25, 50, 100)  # seeds per report tried
DRAWS = 4000  # simulated reports per part and seed count
CHECKED = (3, 5)  # seeds per report of the pool's disjoint pairs: the projection's check
BUDGET_MD = REPO_DIR / "report" / "seed_budget.md"
FIGURE = REPO_DIR / "report" / "seed_budget.png"  # beside seed_budget.md, which links it by name
_Bounds = namedtuple("_Bounds", "low high")  # what claims.test_interval reads of an interval


def tests_of(report=REPO_DIR / "report") -> dict[tuple[str, str], dict]:
    """(claim, part) -> the part's test, threshold and margin, from a report's results (the committed one); for an
    "either" part whose alternatives all have one, {"any_of": {alternative: its test, threshold and margin}}."""
    out = {}
    for cid, entry in agreement.recorded_claims(report).items():
        for part in entry.get("parts", []):
            if _test_of(part):
                out[(cid, part["name"])] = _test_of(part)
            elif part.get("any_of") and all(map(_test_of, part["any_of"])):
                out[(cid, part["name"])] = {"any_of": {q["name"]: _test_of(q) for q in part["any_of"]}}
    return out


def _test_of(part: dict) -> dict | None:
    """A threshold part's test, threshold and margin (None for other parts)."""
    if part.get("test") not in (">", "<", "within"):
        return None
    return {k: part.get(k) for k in ("test", "threshold", "margin")}


def _sets_with(pool: dict, key: tuple[str, str], interval_of=lambda part: part.get("interval")
               ) -> list[tuple[list[int], dict]]:
    """(seeds, interval) of every seed set of the pool with a finite interval for the part ``key`` (``interval_of``
    picks it from the part: for a "best of K" part its interval against an option, for "either" an alternative's)."""
    out = []
    for snap in pool["sets"].values():
        for part in snap["claims"].get(key[0], {}).get("parts", []):
            iv = interval_of(part) if part["name"] == key[1] else None
            if iv and all(map(math.isfinite, (iv["low"], iv["high"]))):
                out.append((list(snap["seeds"]), iv))
    return out


def _alternative(part: dict, name: str) -> dict | None:
    """An "either" part's alternative ``name``'s interval as the pool kept it (None in a pool collected before)."""
    return next((q.get("interval") for q in part.get("any_of", []) if q["name"] == name), None)


def parts_measured(pool: dict) -> list[tuple[str, str]]:
    """(claim, part) of every part with an interval in some seed set of the pool."""
    return sorted({(cid, p["name"]) for snap in pool["sets"].values() for cid, e in snap["claims"].items()
                   for p in e["parts"] if "interval" in p})


def best_parts(pool: dict) -> dict[tuple[str, str], dict]:
    """(claim, part) -> how a "best of K" part was tested (direction, margin, refuting confidence, the other
    options), for every such part the pool kept with its intervals against each other option."""
    out = {}
    for snap in pool["sets"].values():
        for cid, e in snap["claims"].items():
            for p in e["parts"]:
                if "versus" in p and p.get("direction"):
                    out[(cid, p["name"])] = {"direction": p["direction"], "margin": p.get("margin"),
                                             "strict": p["refuting_confidence"], "others": sorted(p["versus"])}
    return out


def per_seed_effects(sets: list[tuple[list[int], dict]]) -> tuple[dict[int, float], float]:
    """({seed: its effect}, the largest residual): the per-seed effects whose means are the sets' estimates."""
    seeds = sorted({s for chosen, _ in sets for s in chosen})
    a = np.array([[1 / len(chosen) if s in chosen else 0.0 for s in seeds] for chosen, _ in sets])
    b = np.array([iv["estimate"] for _, iv in sets])
    x = np.linalg.lstsq(a, b, rcond=None)[0]
    return dict(zip(seeds, map(float, x))), float(np.abs(a @ x - b).max())


def seeds_half(effects) -> float:
    """The seeds' part of a half-width at the rule's level (``claims._two_level``) from the per-seed effects."""
    x = np.asarray(effects, dtype=float)
    return claims._t_quantile(len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))


def photo_part(sets: list[tuple[list[int], dict]], effects: dict[int, float]) -> tuple[float, float]:
    """(P, I) of u^2 = P + I / S, both >= 0, from each set's half-width less its seeds' part."""
    size, u2 = [], []
    for chosen, iv in sets:
        seed_half = seeds_half([effects[s] for s in chosen])
        size.append(len(chosen))
        u2.append(max(0.0, ((iv["high"] - iv["low"]) / 2) ** 2 - seed_half ** 2))
    inv, u2 = 1 / np.array(size, dtype=float), np.array(u2)
    p, i = np.linalg.lstsq(np.column_stack([np.ones_like(inv), inv]), u2, rcond=None)[0]
    if i < 0:
        p, i = float(u2.mean()), 0.0
    elif p < 0:
        p, i = 0.0, float(inv @ u2 / (inv @ inv))
    return float(p), float(i)


def photo_scale(confidence: float = claims.CONFIDENCE) -> float:
    """The photo part's factor at ``confidence`` against the rule's level (the photos' spread is taken with z)."""
    return claims._z_quantile(confidence) / claims._z_quantile()


def part_verdicts(effects: np.ndarray, photo: tuple[float, float], test: dict, drawn: np.ndarray,
                  confidence: float = claims.CONFIDENCE) -> np.ndarray:
    """The verdict of each simulated report (a row of ``drawn``: indices into ``effects``, one per seed), its
    interval at ``confidence`` (the rule's level unless told; ``photo`` was fitted at the rule's level)."""
    # claims._two_level's half-width, vectorised over the draws: one call per draw would cost a scipy quantile each
    x = np.asarray(effects, dtype=float)[drawn]
    seeds = drawn.shape[1]
    est = x.mean(axis=1)
    half = np.hypot(claims._t_quantile(seeds - 1, confidence) * x.std(axis=1, ddof=1) / math.sqrt(seeds),
                    math.sqrt(photo[0] + photo[1] / seeds) * photo_scale(confidence))
    return np.array([claims.test_interval(_Bounds(e - h, e + h), test["test"], test["threshold"] or 0.0,
                                          test["margin"]) for e, h in zip(est, half)], dtype=object)


def strict_at(confidence: float, strict: float) -> float:
    """A "best of K" part's refuting confidence (``strict``, Bonferroni at the rule's level) at ``confidence``."""
    return 1 - (1 - confidence) * (1 - strict) / (1 - claims.CONFIDENCE)


def best_verdicts(fit: dict, effects: dict[str, np.ndarray], drawn: np.ndarray,
                  confidence: float = claims.CONFIDENCE) -> np.ndarray:
    """Each simulated report's verdict of "X is the best of K" (``claims.best``): reproduced when it wins every
    comparison at ``confidence``, not reproduced when it loses or ties one at the refuting confidence."""
    test = {"test": fit["direction"], "threshold": 0.0, "margin": fit["margin"]}
    won, lost = [], []
    for other, comparison in fit["versus"].items():
        won.append(part_verdicts(effects[other], comparison["photo"], test, drawn, confidence) == "reproduced")
        lost.append(part_verdicts(effects[other], comparison["photo"], test, drawn,
                                  strict_at(confidence, fit["strict"])) == "not reproduced")
    return np.where(np.any(lost, axis=0), "not reproduced",
                    np.where(np.all(won, axis=0), "reproduced", "inconclusive")).astype(object)


def claim_verdicts(parts: list[np.ndarray]) -> np.ndarray:
    """Each simulated report's claim verdict from its parts' (``claims.combine``, the one rule)."""
    return np.array([claims.combine(list(v)) for v in zip(*parts)], dtype=object)


def seeds_needed(curve: dict[int, float]) -> int | None:
    """The fewest seeds in the curve whose agreement reaches ``AGREE`` (None: not within ``GRID``)."""
    return next((s for s in sorted(curve) if curve[s] >= AGREE), None)


def _part_verdict(snap: dict, key: tuple[str, str]) -> str | None:
    return next((p["verdict"] for p in snap["claims"].get(key[0], {}).get("parts", []) if p["name"] == key[1]), None)


def observed_agreement(pool: dict, keys, size: int = 3, claim_level: bool = False) -> tuple[int, int]:
    """(pairs agreeing, pairs measuring them all) over the pool's disjoint seed sets of ``size`` seeds: on every
    part of ``keys`` (one (claim, part) or a list), or with ``claim_level`` on every claim of ``keys`` (claim ids)."""
    keys = [keys] if isinstance(keys, (tuple, str)) else list(keys)
    get = ((lambda snap, cid: snap["claims"].get(cid, {}).get("verdict")) if claim_level else _part_verdict)
    sets, agree, pairs = seedpool.sets_of_size(pool, size), 0, 0
    for a, b, _, _ in seedpool.disjoint_pairs(pool, size):
        va, vb = ([get(sets[n], k) for k in keys] for n in (a, b))
        if None in va or None in vb:
            continue
        pairs += 1
        agree += va == vb
    return agree, pairs


def _observed(pool: dict, keys, claim_level: bool = False) -> dict[int, tuple[int, int]]:
    """``observed_agreement`` at each seed count of ``CHECKED``: the projection's check."""
    return {n: observed_agreement(pool, keys, n, claim_level) for n in CHECKED}


def fitted_parts(pool: dict, report=REPO_DIR / "report") -> dict[tuple[str, str], dict]:
    """Every part the pool measured with an interval that the report tests against a threshold: (claim, part) ->
    its test, per-seed effects (on the pool's seeds, in order), photo part and the recovery's residual."""
    tests, out = tests_of(report), {}
    for key in parts_measured(pool):
        if key in tests and "any_of" not in tests[key]:
            out[key] = {**tests[key], **_fit(_sets_with(pool, key))}
    for key, how in best_parts(pool).items():  # "best of K": each comparison fitted like a part
        versus = {other: _fit(_sets_with(pool, key, lambda p, o=other: p.get("versus", {}).get(o)))
                  for other in how["others"]}
        out[key] = {**how, "versus": versus, "residual": max(v["residual"] for v in versus.values())}
    for key, test in tests.items():  # "either": each alternative fitted like a threshold part
        sets = {name: _sets_with(pool, key, lambda p, n=name: _alternative(p, n)) for name in test.get("any_of", {})}
        if sets and all(sets.values()):
            any_of = {name: {**test["any_of"][name], **_fit(found)} for name, found in sets.items()}
            out[key] = {"any_of": any_of, "residual": max(a["residual"] for a in any_of.values())}
    return out


def _fit(sets: list[tuple[list[int], dict]]) -> dict:
    """One interval's per-seed effects, photo part and the recovery's residual, from the pool's seed sets."""
    effects, residual = per_seed_effects(sets)
    return {"effects": effects, "photo": photo_part(sets, effects), "residual": residual}


def comparisons(fit: dict) -> dict[str | None, dict]:
    """A fitted part's intervals: itself (key None), a "best of K" part's against each other option, or an
    "either" part's alternatives (by name)."""
    return fit["versus"] if "versus" in fit else fit["any_of"] if "any_of" in fit else {None: fit}


def simulated(fit: dict, effects: dict, drawn: np.ndarray, confidence: float = claims.CONFIDENCE) -> np.ndarray:
    """The verdicts of a fitted part in simulated reports (``drawn``): a threshold part, a "best of K" one or an
    "either" one."""
    if "versus" in fit:
        return best_verdicts(fit, effects, drawn, confidence)
    if "any_of" in fit:
        each = [part_verdicts(effects[name], a["photo"], a, drawn, confidence) for name, a in fit["any_of"].items()]
        return np.array([claims.either_verdict(v) for v in zip(*each)], dtype=object)
    return part_verdicts(effects[None], fit["photo"], fit, drawn, confidence)


def project(pool: dict, report=REPO_DIR / "report", grid=GRID, draws: int = DRAWS,
            confidence: float = claims.CONFIDENCE) -> dict:
    """Two independent reports of S seeds each, simulated ``draws`` times for each S of ``grid`` with the same
    seeds for every part (so parts of one claim, and claims, keep their correlations): the agreement of each
    part, of each claim whose parts are all projected, and of all those claims at once (intervals at
    ``confidence``: the rule's level unless told; ``colorlib.strictness`` asks about others)."""
    fitted = fitted_parts(pool, report)
    seeds = sorted({s for f in fitted.values() for c in comparisons(f).values() for s in c["effects"]})
    if any(sorted(c["effects"]) != seeds for f in fitted.values() for c in comparisons(f).values()):
        raise ValueError("the pool's parts were measured on different seeds; run the pool again")
    whole_claims = claims_projected(pool, fitted)
    effects = {k: {o: np.array([c["effects"][x] for x in seeds]) for o, c in comparisons(f).items()}
               for k, f in fitted.items()}  # in the order of seeds
    rng = np.random.default_rng(0)
    parts = {k: {**f, "curve": {}, "observed": _observed(pool, k)} for k, f in fitted.items()}
    by_claim = {cid: {"curve": {}, "observed": _observed(pool, cid, True)} for cid in whole_claims}
    every, flips = {}, {}
    for s in grid:
        twin = [rng.integers(0, len(seeds), size=(draws, s)) for _ in range(2)]
        verdicts = {k: [simulated(f, effects[k], d, confidence) for d in twin] for k, f in fitted.items()}
        for k, (va, vb) in verdicts.items():
            parts[k]["curve"][s] = float(np.mean(va == vb))
        agree_all, flip_any = np.ones(draws, dtype=bool), np.zeros(draws, dtype=bool)
        for cid in whole_claims:
            ca, cb = (claim_verdicts([verdicts[k][i] for k in fitted if k[0] == cid]) for i in (0, 1))
            by_claim[cid]["curve"][s] = float(np.mean(ca == cb))
            agree_all &= ca == cb
            flip_any |= np.array([claims.reverses(a, b) for a, b in zip(ca, cb)])
        every[s], flips[s] = float(agree_all.mean()), float(flip_any.mean())
    for entry in [*parts.values(), *by_claim.values()]:
        entry["needed"] = seeds_needed(entry["curve"])
    return {"parts": dict(sorted(parts.items(), key=lambda kv: (claims.claim_order(kv[0][0]), kv[0][1]))),
            "claims": by_claim, "reversal": flips, "seeds": seeds,
            "every": {"curve": every, "needed": seeds_needed(every), "observed": _observed(pool, whole_claims, True)}}


_PROJECTED: dict[str, dict] = {}  # the last projection, by what it was made from (see ``projection``)


def projection(pool: dict, report=REPO_DIR / "report") -> dict:
    """``project`` at the defaults, made once per process for the same pool and tests: ``make report`` writes
    seed_budget.md and then the README's block from one projection instead of two (about 7 s each)."""
    return made_once(_PROJECTED, pool, report, project)


def made_once(store: dict, pool: dict, report, make):
    """``make(pool, report)``, or its last result when ``store`` holds one made from the same pool and the same
    tests of ``report``'s claims (one result kept: a process writes a page and then its README block)."""
    key = json.dumps([pool, sorted([list(k), v] for k, v in tests_of(report).items())], sort_keys=True)
    if key not in store:
        store.clear()
        store[key] = make(pool, report)
    return store[key]


def _reference(pool: dict) -> dict:
    """The pool's report with every seed (else its first): the claims and parts there are to project."""
    return seedpool.all_seeds(pool) or next(iter(pool["sets"].values()))


def claims_projected(pool: dict, fitted: dict) -> list[str]:
    """The claims whose every part (in the pool's report with all seeds) is projected, in the claims' order."""
    return [cid for cid, e in sorted(_reference(pool)["claims"].items(), key=lambda kv: claims.claim_order(kv[0]))
            if e["parts"] and all((cid, p["name"]) in fitted for p in e["parts"])]


def unprojected(pool: dict, result: dict) -> list[tuple[str, str]]:
    """(claim, part) of every part of the pool's all-seeds report without a projection (no interval or test)."""
    return [(cid, p["name"]) for cid, e in _reference(pool)["claims"].items() for p in e["parts"]
            if (cid, p["name"]) not in result["parts"]]


def cost_minutes(seeds: int, pool: dict, report=REPO_DIR / "report") -> float | None:
    """A cold report's minutes with ``seeds`` seeds, linear through the committed 3-seed cold run and the pool's
    measured 5-seed one (None when either is missing)."""
    three, five = seedpool.cold_seconds(report), seedpool.measured_cold(pool, 5)
    if three is None or five is None:
        return None
    per_seed = (five[1]["seconds"] - three) / 2
    return (three + (seeds - 3) * per_seed) / 60


def _needed_text(needed: int | None, grid=GRID) -> str:
    return f"{needed}" if needed is not None else f"more than {max(grid)}"


def _fmt(value: float) -> str:
    return claims.fmt(value, 2)


def _curve_cells(entry: dict, grid) -> str:
    return " | ".join(f"{entry['curve'][s]:.2f}" for s in grid) + f" | {_needed_text(entry['needed'], grid)}"


def _part_cells(fit: dict) -> str:
    """Test, effect, sd and photo part of a fitted part; a "best of K" part's of its closest comparison (the one
    whose mean effect is smallest in the claimed direction)."""
    if "versus" in fit:
        sign = 1 if fit["direction"] == ">" else -1
        other, c = min(fit["versus"].items(), key=lambda kv: sign * np.mean(list(kv[1]["effects"].values())))
        test = f"best of {len(fit['versus']) + 1} ({fit['direction']}), refuted at {100 * fit['strict']:.4g} %"
        return test + " | " + _effect_cells(c, f" vs {other}")
    if "any_of" in fit:  # each column's cells of the alternatives, in order, joined by "or"
        cells = zip(*(_effect_cells(a).split(" | ") for a in fit["any_of"].values()))
        tests = " or ".join(f"{claims.table_cell(name)} {agreement._part_test(a)}" for name, a in fit["any_of"].items())
        return tests + " | " + " | ".join(" or ".join(column) for column in cells)
    return agreement._part_test(fit) + " | " + _effect_cells(fit)


def _effect_cells(fit: dict, label: str = "") -> str:
    x = np.array(list(fit["effects"].values()))
    u3, u_inf = math.sqrt(fit["photo"][0] + fit["photo"][1] / 3), math.sqrt(fit["photo"][0])
    return f"{_fmt(x.mean())}{label} | {_fmt(x.std(ddof=1))} | {_fmt(u3)} -> {_fmt(u_inf)}"


def _check_cell(entry: dict) -> str:
    """At each seed count checked: the pool's disjoint pairs agreeing, beside the projection."""
    cells = [f"{n}: {ok} of {m} ({entry['curve'][n]:.2f})" for n, (ok, m) in entry["observed"].items()
             if m and n in entry["curve"]]
    return "; ".join(cells) or "-"


def markdown(result: dict, pool: dict, report=REPO_DIR / "report") -> str:
    """``report/seed_budget.md``."""
    grid = sorted(result["every"]["curve"])
    lines = ["# How many seeds would make two seed sets agree: a projection from the seed pool", "",
             "Generated by `python -m colorlib.seedbudget` from `report/seed_pool.json` and the committed results; "
             "the model, what was fixed before it first ran and what was changed after looking are in the module's "
             "docstring. An estimate, not a measurement.", "",
             f"Agreement: the chance that two reports with disjoint seed sets of that size give the same verdict "
             f"({DRAWS} simulated pairs of reports per cell, seeds drawn from the pool's {len(result['seeds'])} "
             f"seeds' effects, the same seeds for every part). Needed: the fewest seeds with agreement >= {AGREE}. "
             "Effect and sd: the mean and spread of the part's per-seed effects. u: the photos' share of the "
             "half-width at 3 seeds and with many (what no number of seeds removes). Check: the pool's disjoint "
             "pairs of reports that agreed, at 3 and 5 seeds, with the projection in brackets (in-sample: the "
             "projection draws from those same seeds).", "",
             f"![Agreement of two disjoint seed sets against the seeds per report, claim by claim]({FIGURE.name})",
             "", "## Each part", "", *part_table(result),
             "", "## Each claim whose parts are all projected, and all of them at once", "", *claim_table(result, pool),
             "", _check_line(result), *_cost_lines(pool, report, grid)]
    missing = unprojected(pool, result)
    if missing:
        lines += ["", "Not projected (no interval in the pool, or no threshold test), so their claims are left out "
                  "of the claim table: " + "; ".join(f"{cid} {name}" for cid, name in missing) + "."]
    return "\n".join(lines) + "\n"


def part_table(result: dict, keys=None) -> list[str]:
    """The table of each projected part (of ``keys`` only, when given): its test, effect, spread, photo part,
    agreement at each seed count, the seeds needed and the check against the pool."""
    grid = sorted(result["every"]["curve"])
    lines = [f"| claim | part | test | effect | sd | u (3 seeds -> many) | {_grid_head(grid)} | needed | check |",
             "|---|---|---|---|---|---|" + "---|" * len(grid) + "---|---|"]
    return lines + [f"| {cid} | {claims.table_cell(name)} | {_part_cells(r)} | {_curve_cells(r, grid)} | "
                    f"{_check_cell(r)} |"
                    for (cid, name), r in result["parts"].items() if keys is None or (cid, name) in keys]


def claim_table(result: dict, pool: dict) -> list[str]:
    """The table of each claim whose parts are all projected, all of them at once, and a reversal."""
    grid = sorted(result["every"]["curve"])
    lines = [f"| claim | {_grid_head(grid)} | needed | check |", "|---|" + "---|" * len(grid) + "---|---|"]
    lines += [f"| {cid} | {_curve_cells(r, grid)} | {_check_cell(r)} |" for cid, r in result["claims"].items()]
    lines.append(f"| all {len(result['claims'])} at once | {_curve_cells(result['every'], grid)} | "
                 f"{_check_cell(result['every'])} |")
    lines.append("| some claim reversed (reproduced in one report, not reproduced in the other) | "
                 + " | ".join(f"{result['reversal'][s]:.3f}" for s in grid) + " | - | "
                 + "; ".join(f"{n}: {len(seedpool.flips(pool, n))} in the pool's "
                             f"{math.comb(len(seedpool.sets_of_size(pool, n)), 2)} pairs" for n in CHECKED
                             if seedpool.sets_of_size(pool, n)) + " |")
    return lines


def _grid_head(grid) -> str:
    return " | ".join(f"{s} seeds" for s in grid)


def _check_line(result: dict) -> str:
    """The model against the pool over every part, at each seed count checked."""
    out, every = [], result["every"]
    for n in CHECKED:
        pairs = [(r["curve"][n], r["observed"][n][0] / r["observed"][n][1]) for r in result["parts"].values()
                 if r["observed"][n][1] and n in r["curve"]]
        if pairs:
            proj, obs = np.array(pairs).T
            out.append(f"at {n} seeds, over the {len(pairs)} parts, projected agreement {proj.mean():.2f} on average "
                       f"and observed {obs.mean():.2f} (mean gap {np.abs(proj - obs).mean():.2f}, largest "
                       f"{np.abs(proj - obs).max():.2f})")
        ok, m = every["observed"][n]
        if m and n in every["curve"]:
            out.append(f"all {len(result['claims'])} claims at once, projected {every['curve'][n]:.2f} and "
                       f"observed {ok} of {m} pairs ({ok / m:.2f})" + _leaning(every["curve"][n], ok / m))
    residual = max(r["residual"] for r in result["parts"].values())
    return (("The check: " + "; ".join(out) + ". " if out else "No check: the pool has no disjoint pairs. ")
            + f"Largest residual of the per-seed effects: {residual:.1g}.")


def _leaning(projected: float, observed: float, tolerance: float = 0.1) -> str:
    """Which way the projection leans against what was observed (nothing within ``tolerance``)."""
    if abs(projected - observed) <= tolerance:
        return ""
    return ": the projection is pessimistic here" if projected < observed else ": the projection is optimistic here"


def _cost_lines(pool: dict, report, grid) -> list[str]:
    costs = [(s, cost_minutes(s, pool, report)) for s in grid]
    if any(c is None for _, c in costs):
        return []
    return ["", "A cold report with that many seeds (Intel Xeon, bf16; linear through the committed 3-seed and the "
                "pool's measured 5-seed cold runs): " + ", ".join(f"{s} seeds {c:.0f} min" for s, c in costs) + "."]


def summary(result: dict, pool: dict, report=REPO_DIR / "report") -> str:
    """The README's lines: how many parts and claims settle by how many seeds, what all the claims need, how the
    projection fared against the pool, and how likely a reversal is."""
    grid = sorted(result["every"]["curve"])
    count = lambda rows: ", ".join(f"{n} need{'s' if n == 1 else ''} {_needed_text(s, grid)}" for s, n in sorted(
        Counter(r["needed"] for r in rows).items(), key=lambda kv: math.inf if kv[0] is None else kv[0]))
    every, n_claims = result["every"], len(result["claims"])
    cost = cost_minutes(every["needed"], pool, report) if every["needed"] else None
    checks = [f"{n} seeds: {every['curve'][n]:.2f} projected, {ok} of {m} pairs observed"
              for n, (ok, m) in every["observed"].items() if m and n in every["curve"]]
    return (f"Projected from the seed pool ([report/seed_budget.md](report/seed_budget.md); an estimate): the seeds "
            f"per report at which two disjoint seed sets give the same verdict with probability >= {AGREE}, for the "
            f"{len(result['parts'])} parts with an interval ({count(result['parts'].values())}) and the {n_claims} "
            f"claims whose parts all have one ({count(result['claims'].values())}). All {n_claims} claims at once: "
            + ", ".join(f"{every['curve'][s]:.2f} with {s} seeds" for s in grid) + "; "
            + (f"{every['needed']} seeds would do" + (f", a cold report of about {cost:.0f} min on the Xeon in bf16"
                                                      if cost else "")
               if every["needed"] else f"not reached within {max(grid)} seeds")
            + (f" (against the pool's own pairs: {'; '.join(checks)})" if checks else "")
            + f". A claim reversed between the two reports: at most {max(result['reversal'].values()):.3f} at any "
              "seed count.")


def write_figure(result: dict, path: Path, title: str = "Projected from the seed pool (an estimate)") -> Path:
    """``report/seed_budget.png``: the agreement curve of every claim that falls below ``AGREE`` somewhere, and of
    all the projected claims at once beside the pool's observed pairs."""
    from colorlib import plots

    curves = {cid: r["curve"] for cid, r in result["claims"].items() if min(r["curve"].values()) < AGREE}
    fig = plots.agreement_curves(curves, (f"all {len(result['claims'])} claims at once", result["every"]["curve"]),
                                 result["every"]["observed"], AGREE, title)
    with files.atomic_path(Path(path)) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png", metadata={"Software": None})
    plots.plt.close(fig)
    return Path(path)


def write(path: Path = BUDGET_MD, pool_json: Path = seedpool.POOL_JSON, report=REPO_DIR / "report") -> Path:
    """Write ``report/seed_budget.md`` and its figure from ``report/seed_pool.json`` and the report's results."""
    pool = json.loads(Path(pool_json).read_text())
    result = projection(pool, report)
    write_figure(result, Path(path).with_name(FIGURE.name))
    files.write_text(path, markdown(result, pool, report))
    return path


if __name__ == "__main__":
    print(f"written {write()}")
    sys.exit(0)

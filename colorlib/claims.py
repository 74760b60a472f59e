"""The claims: what the original study claimed (C1-C9) and our further hypotheses (S1-), how a verdict is
reached from measurements with their uncertainty, how it is worded, and the claims table of ``report/claims.md``.

A claim is a conjunction of parts. Each part is an effect measured over several training seeds (and, where
there are any, over the held-out photos or the paintings) with a 95 % interval (``interval``), tested against
a threshold written down before looking (``part``):

- ``test=">"`` (or ``"<"``): the claim says the effect lies above (below) the threshold. *not reproduced* when an
  equivalence margin stated in advance contains the whole interval (the effect is too small to matter, even if
  it excludes zero); else *reproduced* when the whole interval lies on the claimed side, *not reproduced* when
  it lies on the other side, *inconclusive* otherwise.
- ``test="within"``: the claim says there is no effect: *reproduced* when the interval lies inside
  ``threshold +- margin``, *not reproduced* when it lies wholly outside, *inconclusive* otherwise.

The parts combine into the claim's verdict (``combine``): *reproduced* when every part is; *not reproduced*
when some part is not and none is reproduced; *partly* when some parts are reproduced and some are not;
*inconclusive* when nothing was refuted but something was undecided. A named winner ("the best loss") comes
from the same rule (``best``): the option whose interval against every other excludes a tie in its favour;
"X is the best of K" is refuted by one loss or tie, at the Bonferroni-corrected confidence 1 - 5 %/(K - 1)
(added after looking at the first stability table: see ``best``).

The interval (``interval``) of an effect ``d[s, i]`` (seed ``s``, photo or painting ``i``) adds two spreads in
quadrature: the seed-to-seed spread of the per-seed means with Student's t (``S - 1`` degrees of freedom: a
retrained model is a new draw, and with 3 seeds that spread is uncertain itself), and the photo-to-photo spread
of the seed-averaged effect with the normal quantile. With one seed (the smoke profile) only the second spread
is known: such intervals are marked, and a per-seed quantity without photos is then always inconclusive.
Ratios that can blow up (a loss ratio of 1e5 or 1e10) are tested on a log10 scale.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from typing import Mapping, Sequence

import numpy as np

from colorlib import files, results
from colorlib.paths import report_dir

# The original study's claims, checked by the notebooks named beside them.
CLAIMS = {
    "C1": ("02", "The UNet alone colourises: it beats the gray baseline on held-out images."),
    "C2": ("03", "AdaIN with the ground truth as style improves colour quality over the UNet baseline."),
    "C3": ("05", "With the full-width UNet and latent 128 the style latent collapses to about zero and styles "
                 "have no effect."),
    "C4": ("05", "The quarter-width UNet with latent 32 and dropout keeps varied, non-zero latents and transfers "
                 "style visibly."),
    "C5": ("04", "In the combined loss the style loss is orders of magnitude smaller than the colour loss and "
                 "does not help."),
    "C6": ("04", "The dual optimiser's style loss does not converge and the latents are pushed to zero."),
    "C7": ("05", "Latent 32 works better than 16, 64 and 128."),
    "C8": ("06", "LAB is more stable but greyish and loses colour transfer."),
    "C9": ("06", "LPIPS alone gives grid-like artefacts; MSE + LPIPS is best."),
}


def claim_order(cid: str) -> tuple:
    """Sort key of claim ids: C1..C9 first, then S1, S2, ..., S10 by number."""
    return (cid[0] != "C", int(cid[1:]) if cid[1:].isdigit() else 0, cid)


VERDICTS = ("reproduced", "partly", "inconclusive", "not reproduced")
CONFIDENCE = 0.95

MARGINS = {
    # Equivalence margins, fixed before the multi-seed runs (issue 15): an effect whose whole interval lies
    # within +- margin of zero is "no effect". Units are the metric's own.
    "psnr": 0.1,  # dB
    "ssim": 0.005,
    "ciede2000": 0.2,  # a tenth of a just-noticeable difference (about 2.3)
    "lpips": 0.005,
    "colourfulness": 1.0,  # Hasler-Suesstrunk, 0 for gray, about 49 for the held-out truth
    "transfer": 0.02,  # transfer strength, 0 = no pull towards the painting, 1 = all the way
    "val_instability": 0.01,  # relative epoch-to-epoch change of the validation loss
    "grid": 5e-5,  # share of spectral energy at Nyquist (the truth's is about 1e-3)
}


# ================================================================================================ intervals
def _t_quantile(df: int, confidence: float = CONFIDENCE) -> float:
    from scipy.stats import t

    return float(t.ppf(0.5 + confidence / 2, df))


def _z_quantile(confidence: float = CONFIDENCE) -> float:
    from scipy.stats import norm

    return float(norm.ppf(0.5 + confidence / 2))


@dataclass(frozen=True)
class Interval:
    """An effect's estimate and its 95 % interval; ``seeds`` trained models, each measured on ``units`` photos
    or paintings (None: one number per seed). ``low``/``high`` are infinite when nothing bounds them."""

    estimate: float
    low: float
    high: float
    seeds: int
    units: int | None = None

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def text(self, unit: str = "") -> str:
        """``estimate [low, high]`` with digits matched to the interval's width."""
        if not math.isfinite(self.half_width):
            return f"{fmt(self.estimate, 3)}{unit} [unbounded: {self.seeds} seed]"
        d = digits_for(self.half_width)
        return f"{self.estimate:.{d}f}{unit} [{self.low:.{d}f}, {self.high:.{d}f}]"


def digits_for(spread: float) -> int:
    """Decimals that show ``spread`` to two significant digits when its leading digit is 1 or 2 and to one
    otherwise (0.56 -> 1 decimal, 0.12 -> 2, 3.4 -> 0), never fewer than 0."""
    if not math.isfinite(spread) or spread <= 0:
        return 3
    exponent = math.floor(math.log10(spread))
    leading = spread / 10 ** exponent
    return max(0, -exponent + (1 if leading < 3 else 0))


def fmt(value: float, digits: int = 3) -> str:
    """A number with ``digits`` significant digits (for values without a spread)."""
    return f"{value:.{digits}g}"


def interval(a, b=None, transform: str | None = None, confidence: float = CONFIDENCE) -> Interval:
    """The ``confidence`` interval (95 % unless told) of the effect ``a - b`` (``b`` None: of ``a`` itself).

    ``a``, ``b``: one value per seed (S,), or one per seed and photo/painting (S, N); ``b`` may also be (N,), a
    deterministic baseline such as gray. ``transform="log10"``: the effect is ``log10(a / b)`` (or ``log10 a``),
    for ratios spanning orders of magnitude; ``"relative"``: ``(a - b) / b`` of each seed's means, for claims
    stated in per cent."""
    a = np.asarray(a, dtype=np.float64)
    b = None if b is None else np.asarray(b, dtype=np.float64)
    if transform == "relative":
        a_m, b_m = (x.mean(axis=-1) if x.ndim == 2 else x for x in (a, b))
        return _two_level(((a_m - b_m) / b_m)[:, None], True, confidence)
    if transform == "log10":
        d = np.log10(a) - (np.log10(b) if b is not None else 0.0)
    elif transform is None:
        d = a - b if b is not None else a
    else:
        raise ValueError(f"transform must be None, 'log10' or 'relative', got {transform!r}")
    return _two_level(d[:, None], True, confidence) if d.ndim == 1 else _two_level(d, False, confidence)


def _two_level(d: np.ndarray, per_seed: bool, confidence: float = CONFIDENCE) -> Interval:
    """Interval of mean(d) for d (S, N): the seed spread with t(S-1) and the unit spread with z, in quadrature
    (``per_seed``: one value per seed, N = 1; with one seed nothing bounds it)."""
    seeds, units = d.shape
    estimate = float(d.mean())
    if seeds > 1:
        seed_half = _t_quantile(seeds - 1, confidence) * d.mean(axis=1).std(ddof=1) / math.sqrt(seeds)
    else:
        seed_half = math.inf if per_seed else 0.0
    unit_half = _z_quantile(confidence) * d.mean(axis=0).std(ddof=1) / math.sqrt(units) if units > 1 else 0.0
    half = math.hypot(seed_half, unit_half)
    return Interval(estimate, estimate - half, estimate + half, seeds, None if per_seed else units)


def spread(values) -> tuple[float, float, int]:
    """(mean, standard deviation over seeds, number of seeds) of one value per seed (sd is NaN for one seed)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    return float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else float("nan"), len(v)


def mean_sd(values, unit: str = "") -> str:
    """``mean +- sd`` over seeds with digits matched to the sd (one seed: the value and "1 seed")."""
    mean, sd, n = spread(values)
    if n == 1 or not math.isfinite(sd):
        return f"{fmt(mean, 4)}{unit} (1 seed)"
    d = digits_for(sd)
    return f"{mean:.{d}f} +- {sd:.{d}f}{unit}"


def cell(summary: Mapping, key: str, unit: str = "", note_one_seed: bool = True) -> str:
    """``mean +- sd`` of ``key`` from a results summary (``evaluation.Measured.summary``: ``key`` and ``key_sd``);
    a value without a spread is shown alone (with "(1 seed)" when one seed is why, unless ``note_one_seed`` is
    False)."""
    mean, sd = summary[key], summary.get(f"{key}_sd")
    mean = float(mean) if isinstance(mean, str) else mean  # results store NaN as "nan"
    if mean is None or not math.isfinite(mean):
        return "n/a"
    if summary.get("deterministic") or sd is None:
        return f"{fmt(mean, 4)}{unit}"
    if not isinstance(sd, (int, float)) or not math.isfinite(sd):  # one seed (stored as "nan")
        return f"{fmt(mean, 4)}{unit}" + (" (1 seed)" if note_one_seed else "")
    d = digits_for(sd)
    return f"{mean:.{d}f} +- {sd:.{d}f}{unit}"


# ================================================================================================ verdicts
def test_interval(iv: Interval, test: str, threshold: float = 0.0, margin: float | None = None) -> str:
    """One part's verdict (see the module docstring)."""
    lo, hi = iv.low, iv.high
    if test == "within":
        if margin is None:
            raise ValueError("a 'within' test needs a margin")
        if threshold - margin < lo and hi < threshold + margin:
            return "reproduced"
        return "not reproduced" if lo > threshold + margin or hi < threshold - margin else "inconclusive"
    if test not in (">", "<"):
        raise ValueError(f"test must be '>', '<' or 'within', got {test!r}")
    if margin is not None and threshold - margin < lo and hi < threshold + margin:
        return "not reproduced"  # too small to matter, even where the interval excludes zero
    above, below = lo > threshold, hi < threshold
    claimed, opposite = (above, below) if test == ">" else (below, above)
    if claimed:
        return "reproduced"
    return "not reproduced" if opposite else "inconclusive"


def part(name: str, iv: Interval, test: str = ">", threshold: float = 0.0, margin: float | None = None,
         unit: str = "") -> dict:
    """A claim's part: what was measured, its interval, the test and its verdict (for the results JSON)."""
    return {"name": name, "interval": asdict(iv), "text": iv.text(unit), "test": test, "threshold": threshold,
            "margin": margin, "verdict": test_interval(iv, test, threshold, margin)}


def either(name: str, parts: Sequence[dict]) -> dict:
    """A part that holds when any of ``parts`` does ("collapsed: tiny latents *or* dead units"): reproduced when
    one is, not reproduced when all are not, inconclusive otherwise."""
    return {"name": name, "text": " or ".join(f"{p['name']} {p['text']}" for p in parts), "any_of": list(parts),
            "verdict": either_verdict([p["verdict"] for p in parts])}


def either_verdict(verdicts: Sequence[str]) -> str:
    """An "either" part's verdict from its alternatives' (``either``; ``colorlib.seedbudget`` re-judges with it)."""
    if "reproduced" in verdicts:
        return "reproduced"
    return "not reproduced" if all(v == "not reproduced" for v in verdicts) else "inconclusive"


def best_part(name: str, result: dict, option: str, unit: str = "") -> dict:
    """The part "``option`` is the best" from ``best``'s result: its 95 % intervals against every other option,
    its verdict and, for the stability table, its verdict under the rule as first written (no correction)."""
    texts = [f"- {other}: {Interval(**iv).text(unit)}" for other, iv in result["intervals"][option].items()]
    return {"name": name, "text": f"{option} " + ", ".join(texts), "versus": result["intervals"][option],
            "winner": result["winner"], "verdict": result["verdicts"][option],
            "verdict_uncorrected": result["verdicts_uncorrected"][option],
            "refuting_confidence": result["refuting_confidence"],
            # how each comparison was tested, so that its verdict can be re-judged (colorlib.seedbudget, strictness)
            "direction": result.get("direction"), "margin": result.get("margin")}


def reverses(a: str | None, b: str | None) -> bool:
    """Whether two verdicts of one claim reverse it: reproduced in one report, not reproduced in the other (what the
    rule must never produce between seed sets; "inconclusive" against either is not a reversal)."""
    return {a, b} == {"reproduced", "not reproduced"}


def combine(verdicts: Sequence[str]) -> str:
    """A claim's verdict from its parts' (see the module docstring)."""
    if not verdicts:
        raise ValueError("a claim needs at least one part")
    if all(v == "reproduced" for v in verdicts):
        return "reproduced"
    if "not reproduced" in verdicts:
        return "partly" if "reproduced" in verdicts else "not reproduced"
    return "inconclusive"


def claim(parts: Sequence[dict], measured: str, text: str = "", **numbers) -> dict:
    """One claim's entry for the results JSON: its parts (``part``), the combined verdict, a one-line summary of
    the numbers (``measured``) and, for ids outside C1..C9 (the further studies' S1..), the hypothesis ``text``."""
    parts = list(parts)
    return {"verdict": combine([p["verdict"] for p in parts]), "parts": parts, "measured": measured, "text": text,
            "numbers": numbers}


def refuting_confidence(options: int) -> float:
    """The confidence of the intervals that refute "this option is the best of ``options``": Bonferroni over its
    ``options - 1`` comparisons (95 % for two options, 98.3 % for four), since one loss among several refutes it."""
    return 1 - (1 - CONFIDENCE) / max(1, options - 1)


def best(options: Mapping[str, np.ndarray], higher_is_better: bool, margin: float | None = None) -> dict:
    """Which option beats every other on one metric: for each option, its paired intervals against all others
    (``options``: name -> (S, N) or (S,) values, the same seeds and photos for all). ``winner`` is the option
    whose every interval excludes a tie in its favour, else None ("no clear winner"); ``verdicts[name]`` is the
    verdict of "name is the best": reproduced when it wins every comparison (95 % intervals: all must hold, so
    no correction is needed), not reproduced when it loses or ties one at ``refuting_confidence`` (any one of
    several would do, so each needs the stricter interval), inconclusive otherwise.

    The correction was added after looking (issue 15): under the first rule, a loss at 95 % in any of the K - 1
    comparisons refuted the claim, which made C7, C9 and S2 "not reproduced" under one seed set and
    "inconclusive" under the other. ``verdicts_uncorrected`` keeps that first rule's verdicts, for the stability
    table."""
    test = ">" if higher_is_better else "<"
    strict = refuting_confidence(len(options))
    verdicts, uncorrected, intervals = {}, {}, {}
    for name, values in options.items():
        others = {other: v for other, v in options.items() if other != name}
        ivs = {other: interval(values, v) for other, v in others.items()}
        intervals[name] = {other: asdict(iv) for other, iv in ivs.items()}
        won = [test_interval(iv, test, 0.0, margin) for iv in ivs.values()]
        lost = [test_interval(interval(values, v, confidence=strict), test, 0.0, margin) == "not reproduced"
                for v in others.values()]
        # the best must win every comparison; one lost (or tied within the margin) refutes it
        verdicts[name] = "not reproduced" if any(lost) else (
            "reproduced" if all(v == "reproduced" for v in won) else "inconclusive")
        uncorrected[name] = "not reproduced" if "not reproduced" in won else (
            "reproduced" if all(v == "reproduced" for v in won) else "inconclusive")
    winners = [n for n, v in verdicts.items() if v == "reproduced"]
    return {"winner": winners[0] if len(winners) == 1 else None, "verdicts": verdicts,
            "verdicts_uncorrected": uncorrected, "refuting_confidence": strict, "intervals": intervals,
            "direction": test, "margin": margin}


def wording(verdict: str, markdown: bool = False) -> str:
    """The one wording of a verdict ("not reproduced" in bold in Markdown tables)."""
    if verdict not in VERDICTS:
        raise ValueError(f"unknown verdict {verdict!r}; expected one of {VERDICTS}")
    return f"**{verdict}**" if markdown and verdict == "not reproduced" else verdict


RULE = ("Verdicts come from 95 % intervals over training seeds and held-out photos (or paintings): a part is "
        "*reproduced* when its whole interval lies on the claimed side of its threshold, *not reproduced* when it "
        "lies on the other side or inside the equivalence margin stated in advance, *inconclusive* otherwise; a "
        "claim is reproduced when all its parts are, partly when some are and some are not, inconclusive when "
        "nothing was refuted but something was undecided (`colorlib.claims`). \"X is the best of K\" is refuted "
        "only by a loss or tie at 1 - 5 %/(K - 1) confidence (Bonferroni: any one of K - 1 comparisons would do); "
        "this correction was added after looking at the first stability table (issue 15).")


DEVIATION = ("Deviation from the study's recipe: the style encoder of the study's AdaIN models is He-initialised "
             "(`colorlib.experiments.STYLE_INIT`; \"he-init\" in the profile column), not PyTorch's default. Decided "
             "after looking at the seed-by-seed tables of `report/stability.md`, before the report was run with it: "
             "under the default init whether the style path learns within 30 epochs was a lottery of seed and CPU. "
             "The rule and every threshold are as first written.")


# ====================================================================================== reading them back
def recorded(notebook: str) -> dict:
    """The claims notebook ``notebook`` recorded in its last run, with its profile ({} when it has not run)."""
    try:
        data = results.load(notebook)
    except FileNotFoundError:
        return {}
    return {cid: {**entry, "profile": profile_label(data), "seeds": data.get("seeds")}
            for cid, entry in data.get("claims", {}).items()}


def profile_label(data: dict) -> str:
    """A notebook's profile as the tables show it: with its overrides (a profile with sizes changed by --set is
    not that profile) and, where its runs did not train in fp32, their precision (results from before precision
    was recorded are fp32)."""
    profile = data.get("profile", "?")
    if data.get("overrides"):
        profile += " with " + ", ".join(f"{k}={v}" for k, v in sorted(data["overrides"].items()))
    runs = list(find_records(data.get("runs"), "key"))
    precisions = sorted({r.get("precision", "fp32") for r in runs} - {"fp32"})
    inits = sorted({init for r in runs if (init := style_init_of(r))} - {"default"})
    return profile + "".join(f", {p}" for p in precisions) + "".join(f", {i}-init" for i in inits)


def same_way(a: dict, b: dict) -> bool:
    """Whether two results of one notebook ran the same way: profile, overrides and, where both recorded their
    runs, training precision (a CPU without native bf16 trains in fp32 under "auto", with no override)."""
    precision = lambda data: {r.get("precision", "fp32") for r in find_records(data.get("runs"), "key")}
    way = lambda data: (data.get("profile"), data.get("overrides") or {})
    return way(a) == way(b) and (not precision(a) or not precision(b) or precision(a) == precision(b))


def style_init_of(run: dict) -> str | None:
    """The style encoder's init of a recorded run (``experiments.describe``), None without a style encoder; runs
    recorded before ``ModelConfig.style_init`` existed started with the default."""
    model = run.get("model")
    return model.get("style_init", "default") if isinstance(model, dict) and model.get("adain") else None


def find_records(node, field: str):
    """Every dict that has ``field`` in a JSON tree of dicts and lists (not looking inside those dicts): the runs
    (``"key"``) of a results file's ``runs``, the machine records of a manifest or a timings file."""
    if isinstance(node, dict) and field in node:
        yield node
    elif isinstance(node, (dict, list)):
        for item in node.values() if isinstance(node, dict) else node:
            yield from find_records(item, field)


def further() -> list[tuple[str, str, dict]]:
    """(claim id, notebook, entry) of every recorded claim outside the original study's, by notebook."""
    out = []
    for path in sorted(results.results_dir().glob("*.json")):
        data = json.loads(path.read_text())
        for cid, entry in sorted(data.get("claims", {}).items()):
            if cid not in CLAIMS:
                out.append((cid, path.stem, {**entry, "profile": profile_label(data), "seeds": data.get("seeds")}))
    return out


def table_cell(text: str) -> str:
    """``text`` as one cell of a markdown table: its "|" escaped, its line breaks spaces."""
    return text.replace("|", "\\|").replace("\n", " ")


def _seeds(entry: dict) -> str:
    seeds = entry.get("seeds")
    return ", ".join(map(str, seeds)) if seeds else "?"


# The tables that say how the verdicts fare under other seeds (written by --stability and colorlib.seedpool, not by
# every run), with what each holds.
ROBUSTNESS_TABLES = {"stability.md": "every verdict under a disjoint seed set, and over every report kept",
                     "seed_pool.md": "every claim over many other seed sets regrouped from the same runs",
                     "seed_budget.md": "how many seeds per report would make two seed sets agree, projected from the "
                                       "seed pool",
                     "strictness.md": "what a stricter interval level would buy instead of more seeds: the seed "
                                      "pool re-judged",
                     "seed_pool_amd-epyc-avx2.md": "the seed pool, the seed budget and the stricter levels on a "
                                                   "second machine (AMD EPYC, fp32), the best-of-K claims projected"}


def robustness_tables() -> list[str]:
    """The names of ``ROBUSTNESS_TABLES`` that exist in the report folder (the main report has them; a stability
    or seed-pool run's folder does not)."""
    return [name for name in ROBUSTNESS_TABLES if (report_dir() / name).exists()]


def listing(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]


def _robustness_links() -> list[str]:
    """A paragraph of claims.md pointing to ``robustness_tables``, each with what it holds."""
    found = [f"[{name}]({name}) ({ROBUSTNESS_TABLES[name]})" for name in robustness_tables()]
    return [f"Whether a verdict survives other training seeds: {listing(found)}.", ""] if found else []


def claims_markdown(profile: str) -> str:
    """``report/claims.md``: every claim with its notebook, profile, seeds, verdict and measurement; a claim
    whose notebook has not run (or recorded no verdict) says so."""
    lines = [
        "# The original study's claims, measured here",
        "",
        f"Generated by `python -m colorlib.report` (profile and seeds of each notebook's last run shown; this run: "
        f"`{profile}`). Numbers come from `report/results/NN.json`; edit the notebooks, not this file.",
        "",
        RULE,
        "",
        *_robustness_links(),
        DEVIATION,
        "",
        "| claim | notebook | profile (seeds) | verdict | measured here (estimate [95 % interval]) |",
        "|---|---|---|---|---|",
    ]
    for cid, (nb, text) in CLAIMS.items():
        entry = recorded(nb).get(cid)
        if entry is None:
            ran = results.exists(nb)
            profile_of = results.load(nb).get("profile", "?") if ran else "-"
            lines.append(f"| {cid}: {text} | {nb} | {profile_of} | not measured | notebook {nb} "
                         f"{'recorded no verdict' if ran else 'has not run'} |")
            continue
        lines.append(f"| {cid}: {text} | {nb} | {entry['profile']} ({_seeds(entry)}) | "
                     f"{wording(entry['verdict'], True)} | {table_cell(entry['measured'])} |")
    extra = [f"| {cid}: {e.get('text', '')} | {nb} | {e['profile']} ({_seeds(e)}) | {wording(e['verdict'], True)} | "
             f"{table_cell(e['measured'])} |" for cid, nb, e in further()]
    if extra:
        lines += ["", "## Further studies", "", "| finding | notebook | profile (seeds) | verdict | measured here |",
                  "|---|---|---|---|---|", *extra]
    return "\n".join(lines) + "\n"


def write_claims(profile: str):
    """Write ``report/claims.md``; returns its path."""
    path = report_dir() / "claims.md"
    files.write_text(path, claims_markdown(profile))
    return path


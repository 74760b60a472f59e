"""The claims: what the original study claimed (C1-C9) and our further hypotheses (S1-), how a verdict is
reached, how it is worded, and the claims table of ``report/claims.md``.

A notebook measures, then records each claim it owns with ``claim(verdict(...), measured, text)`` in its
results (``colorlib.results.save``); the report runner and the README generator read those entries back. So
every verdict comes from ``verdict`` and every printed verdict from ``wording``:

- ``verdict(conditions)``: the claim's parts, each a comparison made in code with a threshold written down
  before looking; ``True`` (reproduced) when all hold, ``False`` (not reproduced) when none does, ``None``
  (partly) otherwise. A claim with one part is reproduced or not.
- ``paired(a, b)``: the per-image comparison behind the significance parts (one-sided Wilcoxon);
  ``mean_ranks``: the ranking behind "best of" claims.
"""
from __future__ import annotations

import json
from typing import Iterable, Mapping

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
WORDS = {True: "reproduced", None: "partly", False: "not reproduced"}


def verdict(conditions: Mapping[str, bool] | Iterable[bool]) -> bool | None:
    """True when every condition holds, False when none does, None ("partly") when some do."""
    values = [bool(v) for v in (conditions.values() if isinstance(conditions, Mapping) else conditions)]
    if not values:
        raise ValueError("a verdict needs at least one condition")
    return True if all(values) else (None if any(values) else False)


def wording(value: bool | None, markdown: bool = False) -> str:
    """The one wording of a verdict: "reproduced", "partly" or "not reproduced" (bold in Markdown tables)."""
    word = WORDS[value]
    return f"**{word}**" if markdown and value is False else word


def claim(reproduced: bool | None, measured: str, text: str = "", **numbers) -> dict:
    """One claim's entry for the results JSON: ``reproduced`` must come from ``verdict``, ``measured`` from the
    numbers. ``text`` states the claim or hypothesis itself; needed for ids outside the original study's C1..C9
    (e.g. "S1" for the further studies), which ``report/claims.md`` lists in a second table."""
    if reproduced is not None:
        if not hasattr(reproduced, "__bool__") or isinstance(reproduced, str):
            raise TypeError(f"reproduced must be True, False or None, not {reproduced!r}")
        reproduced = bool(reproduced)  # numpy/torch booleans from comparisons
    return {"reproduced": reproduced, "measured": measured, "text": text, "numbers": numbers}


def mean_ranks(rows: Mapping[str, Mapping], directions: Mapping[str, str]) -> dict[str, float]:
    """Each row's mean rank (0 = best) over the metrics in ``directions`` ("max": higher is better, "min": lower
    is better). Ties keep the rows' order; a missing value (None: no LPIPS trunk) counts as 0."""
    def order(key, sign):
        return sorted(rows, key=lambda name: sign * (rows[name][key] if rows[name][key] is not None else 0))

    orders = [order(key, -1 if d == "max" else 1) for key, d in directions.items()]
    return {name: float(np.mean([o.index(name) for o in orders])) for name in rows}


def paired(a, b) -> dict:
    """Per-image paired comparison of two measurements of the same images: means, mean difference a - b, the
    share of images where a > b, and the one-sided Wilcoxon signed-rank p-value for "a > b" (NaN when every
    difference is zero)."""
    from scipy.stats import wilcoxon

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"expected two equal-length 1-D arrays, got {a.shape} and {b.shape}")
    diff = a - b
    p = float(wilcoxon(a, b, alternative="greater").pvalue) if np.any(diff != 0) else float("nan")
    return {"mean_a": float(a.mean()), "mean_b": float(b.mean()), "mean_diff": float(diff.mean()),
            "share_a_greater": float((diff > 0).mean()), "p_a_greater": p, "n": int(len(a))}


# ====================================================================================== reading them back
def recorded(notebook: str) -> dict:
    """The claims notebook ``notebook`` recorded in its last run, with its profile ({} when it has not run)."""
    try:
        data = results.load(notebook)
    except FileNotFoundError:
        return {}
    return {cid: {**entry, "profile": data.get("profile", "?")} for cid, entry in data.get("claims", {}).items()}


def further() -> list[tuple[str, str, dict]]:
    """(claim id, notebook, entry) of every recorded claim outside the original study's, by notebook."""
    out = []
    for path in sorted(results.results_dir().glob("*.json")):
        profile = json.loads(path.read_text()).get("profile", "?")
        for cid, entry in sorted(json.loads(path.read_text()).get("claims", {}).items()):
            if cid not in CLAIMS:
                out.append((cid, path.stem, {**entry, "profile": profile}))
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def claims_markdown(profile: str) -> str:
    """``report/claims.md``: every claim with its notebook, profile, verdict and measurement; a claim whose
    notebook has not run (or recorded no verdict) says so."""
    lines = [
        "# The original study's claims, measured here",
        "",
        f"Generated by `python -m colorlib.report` (profile of each notebook's last run shown; this run: `{profile}`).",
        "Numbers come from `report/results/NN.json`; edit the notebooks, not this file.",
        "",
        "| claim | notebook | profile | verdict | measured here |",
        "|---|---|---|---|---|",
    ]
    for cid, (nb, text) in CLAIMS.items():
        found = recorded(nb)
        entry = found.get(cid)
        if entry is None:
            ran = results.exists(nb)
            profile_of = results.load(nb).get("profile", "?") if ran else "-"
            lines.append(f"| {cid}: {text} | {nb} | {profile_of} | not measured | notebook {nb} "
                         f"{'recorded no verdict' if ran else 'has not run'} |")
            continue
        lines.append(f"| {cid}: {text} | {nb} | {entry['profile']} | {wording(entry['reproduced'], True)} "
                     f"| {_cell(entry['measured'])} |")
    extra = [f"| {cid}: {e.get('text', '')} | {nb} | {e['profile']} | {wording(e['reproduced'], True)} | "
             f"{_cell(e['measured'])} |" for cid, nb, e in further()]
    if extra:
        lines += ["", "## Further studies", "", "| finding | notebook | profile | verdict | measured here |",
                  "|---|---|---|---|---|", *extra]
    return "\n".join(lines) + "\n"


def write_claims(profile: str):
    """Write ``report/claims.md``; returns its path."""
    path = report_dir() / "claims.md"
    files.write_text(path, claims_markdown(profile))
    return path

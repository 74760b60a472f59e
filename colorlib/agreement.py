"""Whether the verdicts hold across report folders: a report's results read back (``read_results``), two
reports' verdicts compared claim by claim (``compare_verdicts``), one verdict over every report kept (``agreed``,
the rule in ``AGREEMENT``), and ``report/stability.md``, which sets a second seed set's report, and every report
kept under ``report/stability/``, beside the main one. The rule for one report is ``colorlib.claims``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from colorlib import files
from colorlib.claims import (CONFIDENCE, RULE, cell, claim_order, combine, find_records, fmt, interval, part,
                             same_way, style_init_of, table_cell, wording)


@dataclass(frozen=True, eq=False)  # eq=False: compared and hashed by identity (it holds dicts)
class ReportResults:
    """A report folder's ``results/*.json``, read once (``read_results``): the comparisons below look at the same
    files from several sides, and each takes a folder or this snapshot of it."""

    folder: Path
    notebooks: dict  # notebook ("05") -> its results JSON


def read_results(report) -> ReportResults:
    """The snapshot of a report folder's results (a snapshot is returned as it is)."""
    if isinstance(report, ReportResults):
        return report
    folder = Path(report)
    return ReportResults(folder, {path.stem: json.loads(path.read_text())
                                  for path in sorted((folder / "results").glob("*.json"))})


def recorded_claims(report) -> dict[str, dict]:
    """Every claim recorded under ``<report folder>/results`` (id -> entry, with its notebook and seeds)."""
    return {cid: {**entry, "notebook": nb, "seeds": data.get("seeds")}
            for nb, data in read_results(report).notebooks.items() for cid, entry in data.get("claims", {}).items()}




class DifferentCode(ValueError):
    """Two seed sets' reports trained their models differently: their verdicts say nothing about seeds."""


def style_inits(report) -> dict[str, str]:
    """Experiment -> the style encoder's init (``ModelConfig.style_init``) of the AdaIN runs recorded under
    ``<report folder>/results`` (runs recorded before the field existed started with the default)."""
    out = {}
    for data in read_results(report).notebooks.values():
        for run in find_records(data.get("runs"), "key"):
            if (init := style_init_of(run)) and run.get("tag"):
                out[run["tag"]] = init
    return out


def check_same_code(main_folder, other_folder) -> None:
    """DifferentCode when an experiment's AdaIN runs started with another init in one report than in the other."""
    main_folder, other_folder = read_results(main_folder), read_results(other_folder)
    a, b = style_inits(main_folder), style_inits(other_folder)
    if differ := sorted(t for t in a.keys() & b.keys() if a[t] != b[t]):
        inits = lambda d: "/".join(sorted({d[t] for t in differ}))
        raise DifferentCode(f"the style encoder of {', '.join(differ)} started with init {inits(a)} in "
                            f"{main_folder.folder.name}/ and {inits(b)} in {other_folder.folder.name}/ "
                            f"(colorlib.experiments.STYLE_INIT): run that seed set's report again")


def runs_recorded(report) -> dict[str, dict[str, int]]:
    """Notebook -> {experiment: how many training runs its results record} under ``<report folder>/results``."""
    out = {}
    for nb, data in read_results(report).notebooks.items():
        counts = {}
        for run in find_records(data.get("runs"), "key"):
            if run.get("tag"):
                counts[run["tag"]] = counts.get(run["tag"], 0) + 1
        out[nb] = counts
    return out


def trained_differently(main_folder, other_folder) -> dict[str, str]:
    """Claim id -> why it is not compared: its notebook trained an experiment a different number of times in the
    two reports (notebook 13 once trained its improved models for the first seed only): the two verdicts would
    compare designs, not seeds."""
    main_folder, other_folder = read_results(main_folder), read_results(other_folder)
    a, b = runs_recorded(main_folder), runs_recorded(other_folder)
    main, other = recorded_claims(main_folder), recorded_claims(other_folder)
    claims_of = lambda nb: [cid for cid, e in main.items() if e["notebook"] == nb] or \
        [cid for cid, e in other.items() if e["notebook"] == nb]
    out = {}
    for nb in sorted(a.keys() & b.keys()):
        if differ := sorted(t for t in a[nb].keys() & b[nb].keys() if a[nb][t] != b[nb][t]):
            why = (f"notebook {nb} trained " + ", ".join(f"{t} {a[nb][t]} time(s) in {main_folder.folder.name}/ and "
                                                          f"{b[nb][t]} in {other_folder.folder.name}/" for t in differ))
            out.update({cid: why for cid in claims_of(nb)})
    return out


def compare_verdicts(main_folder, other_folder, first_rule: bool = False) -> tuple[list[str], list[str]]:
    """(every claim id measured in both reports, the ids whose verdict is the same in both; ``measured_in_one``
    gives the rest); ``first_rule``: the
    verdicts under the rule as first written (``uncorrected_verdict``). Raises ValueError when either report
    holds a claim that ``best``'s correction could change (see ``_stale``), DifferentCode when the two trained
    their AdaIN models from another init (``check_same_code``)."""
    main_folder, other_folder = read_results(main_folder), read_results(other_folder)
    check_same_code(main_folder, other_folder)
    main, other = recorded_claims(main_folder), recorded_claims(other_folder)
    for folder, entries in ((main_folder, main), (other_folder, other)):
        if stale := sorted((cid for cid, e in entries.items() if _stale(e)), key=claim_order):
            raise ValueError(f"claims {', '.join(stale)} in {folder.folder.name}/ were recorded before the correction "
                             f"of 'best' and could change under it: run that seed set's report again")
    for cid in trained_differently(main_folder, other_folder):  # designs, not seeds: see stability_markdown
        main.pop(cid, None), other.pop(cid, None)
    return _compare(main, other, uncorrected_verdict if first_rule else lambda entry: entry["verdict"])


def _compare(main: dict, other: dict, verdict=lambda entry: entry["verdict"]) -> tuple[list[str], list[str]]:
    """(the ids measured in both, those whose verdict is the same in both)."""
    ids = sorted(set(main) & set(other), key=claim_order)
    return ids, [cid for cid in ids if verdict(main[cid]) == verdict(other[cid])]


def measured_in_one(main_folder, other_folder) -> list[str]:
    """The claim ids that only one of two reports measured (a run that stopped before its last notebooks)."""
    main_folder, other_folder = read_results(main_folder), read_results(other_folder)
    main, other = recorded_claims(main_folder), recorded_claims(other_folder)
    return sorted((set(main) ^ set(other)) - set(trained_differently(main_folder, other_folder)), key=claim_order)


def uncorrected_verdict(entry: dict) -> str:
    """A claim's verdict under the rule as first written, without ``best``'s correction (results from before
    the correction recorded only that verdict)."""
    parts = entry.get("parts", [])
    if all(p.get("verdict_uncorrected", p["verdict"]) == p["verdict"] for p in parts):
        return entry["verdict"]
    return combine([p.get("verdict_uncorrected", p["verdict"]) for p in parts])


def _stale(entry: dict) -> bool:
    """Whether a claim was recorded before ``best``'s correction with a "best" part it could change: one refuted
    under the first rule. (The correction only turns such parts into "inconclusive", so an older result
    without one has the verdict the corrected rule gives.)"""
    return any("versus" in p and "verdict_uncorrected" not in p and p["verdict"] == "not reproduced"
               for p in entry.get("parts", []))


def machines(manifest_path) -> str:
    """The machines (CPU, its vector capability, torch build, training precision) that made the figures of a
    figures manifest, or the runs of a ``timings.json`` (a stability folder keeps that one: its figures are not
    committed)."""
    path = Path(manifest_path)
    if not path.exists():
        return "not recorded"

    # Records from before the report profile's precision="auto" have no "precision": those runs trained in fp32.
    # Records from before the thread count was recorded have no "threads": nothing is said about it (not guessed).
    def threads(e: dict) -> str:
        if "threads" not in e:
            return ""
        return ", torch's default threads per run" if e["threads"] is None else \
            f", {e['threads']} thread{'s' if e['threads'] != 1 else ''} per run"

    seen = sorted({f"{m.get('cpu', '?')} ({m.get('cpu_capability', '?')}, {m.get('cpus', '?')} cores, torch "
                   f"{m.get('torch', '?')}{', ' + m['cuda'] if m.get('cuda') else ''}; training in "
                   f"{e.get('precision', 'fp32')}{threads(e)})"
                   for e in find_records(json.loads(path.read_text()), "machine") if (m := e["machine"])})
    return "; ".join(seen) or "not recorded"


def stability_markdown(main_folder, other_folder, main_manifest=None, other_manifest=None, kept: Sequence = ()) -> str:
    """Every verdict of the main report next to the same claim's verdict from the run with other seeds; with the
    figures manifests, which machine produced each seed set; ``kept``: further (report folder, manifest) pairs set
    beside the main report (``kept_reports``). Reports of different code (``DifferentCode``) are not compared: the
    file says why, and keeps the seed-by-seed records."""
    title = "# Stability of the verdicts under two disjoint sets of training seeds"
    main_results, other_results = read_results(main_folder), read_results(other_folder)
    kept = [(read_results(folder), manifest) for folder, manifest in kept]  # each report read once
    try:
        ids, same = compare_verdicts(main_results, other_results)
    except DifferentCode as err:
        earlier = main_results.folder / "stability" / "default-init.md"
        return "\n".join([title, "", "Generated by `python -m colorlib.report --stability ...`; edit the notebooks, "
                          "not this file.", "", f"**Not compared**: {err}."
                          + (" The comparison made under the study's init (both seed sets with PyTorch's default) is "
                             "kept in [stability/default-init.md](stability/default-init.md)."
                             if earlier.exists() else "")]
                         + _kept_section(main_results, kept) + _transfer_by_seed(main_results, other_results)) + "\n"
    _, same_first = compare_verdicts(main_results, other_results, first_rule=True)
    main, other = recorded_claims(main_results), recorded_claims(other_results)
    one, apart = measured_in_one(main_results, other_results), trained_differently(main_results, other_results)
    main_seeds, other_seeds = seeds_of(main_results), seeds_of(other_results)
    lines = [title, "",
             "Generated by `python -m colorlib.report --stability ...`: the whole report was run again with other "
             "training seeds (same code, data, photos, paintings and rule); edit the notebooks, not this file.", "",
             RULE, "",
             f"**{len(same)} of {len(ids)} verdicts are identical** (seeds {main_seeds} vs {other_seeds}); "
             f"{len(same_first)} of {len(ids)} under the rule as first written, without the correction of \"best "
             f"of K\" added after looking." + (f" Measured under one seed set only: {', '.join(one)}." if one else "")
             + "".join(f" Not compared, trained differently: {', '.join(_apart_for(apart, why))} ({why})."
                       for why in dict.fromkeys(apart.values())),
             "",
             *([f"Machines: seeds {main_seeds} on {machines(main_manifest)}; seeds {other_seeds} on "
                f"{machines(other_manifest)}.", ""] if main_manifest or other_manifest else []),
             AGREEMENT, "",
             f"| claim | verdict, seeds {main_seeds} | verdict, seeds {other_seeds} | same | over every report kept "
             f"| parts (seeds {main_seeds} / {other_seeds}) |", "|---|---|---|---|---|---|"]
    across = verdicts_across(main_results, [other_results, *(folder for folder, _ in kept)])
    if across["left_out"]:
        lines.insert(-2, "Left out of the verdict over every report: " + "; ".join(
            f"`{label}/` ({why})" for label, why in across["left_out"].items()) + ".\n")
    for cid in sorted(set(main) | set(other), key=claim_order):
        a, b = main.get(cid), other.get(cid)
        va, vb = (wording(x["verdict"], True) if x else "not measured" for x in (a, b))
        parts = "; ".join(f"{p['name']}: {p['verdict']} / {q['verdict']}" for p, q in
                          zip((a or {}).get("parts", []), (b or {}).get("parts", [])))
        agree = across_text(cid, across) if cid in across["claims"] else "-"
        same_here = "yes" if cid in same else "**no**" if a and b and cid not in apart else "-"
        lines.append(f"| {cid} | {va} | {vb} | {same_here} | {agree} | {table_cell(parts)} |")
    pool = ["", "How often another three seeds give each verdict, over twelve triples of the nine seeds of the "
                "one-thread seed sets: [seed_pool.md](seed_pool.md) (`colorlib.seedpool`)."] \
        if (main_results.folder / "seed_pool.md").exists() else []
    return "\n".join(lines + _differences_section(across) + _kept_section(main_results, kept)
                     + _pairs_section([main_results, other_results, *(folder for folder, _ in kept)]) + pool
                     + _transfer_by_seed(main_results, other_results)) + "\n"


def _apart_for(apart: dict[str, str], why: str) -> list[str]:
    """The claims left out of the comparison for the same reason ``why`` (``trained_differently``), in order."""
    return sorted((cid for cid in apart if apart[cid] == why), key=claim_order)


def pair_counts(reports: Sequence) -> dict[tuple[int, int], tuple[int, int] | None]:
    """For every pair (i < j) of ``reports`` (folders or ``read_results`` snapshots): (identical verdicts, claims
    both measured the same way) under the one rule (``comparison``), or None where they cannot be compared."""
    reports = [read_results(r) for r in reports]
    out = {}
    for i in range(len(reports)):
        for j in range(i + 1, len(reports)):
            found = comparison(reports[i], reports[j])
            out[i, j] = None if "error" in found else (len(found["same"]), len(found["ids"]))
    return out


def _pairs_section(reports: Sequence) -> list[str]:
    """Identical verdicts in every pair of the reports compared (``read_results`` snapshots, the main one first),
    not only against the main one: "18 / 19" is 18 identical of the 19 claims both measured the same way; a pair
    that cannot be compared says so."""
    if len(reports) < 3:
        return []
    counts = pair_counts(reports)
    label = lambda i: "main" if i == 0 else f"`{reports[i].folder.name}/`"
    pair = lambda i, j: "" if j <= i else "not compared" if counts[i, j] is None else "%d / %d" % counts[i, j]
    return ["", "## Every pair of reports", "",
            "Identical verdicts of the claims both measured the same way, same rule (row against column):", "",
            "| | " + " | ".join(label(j) for j in range(1, len(reports))) + " |",
            "|---|" + "---|" * (len(reports) - 1),
            *(f"| {label(i)} | " + " | ".join(pair(i, j) for j in range(1, len(reports))) + " |"
              for i in range(len(reports) - 1))]


def _part_test(part: dict) -> str:
    """What a part's interval was tested against: "> 0", "within 0 +- 0.1" ("best of K" parts: their correction)."""
    if "versus" in part:
        return f"refuted at {100 * part.get('refuting_confidence', CONFIDENCE):.4g} %"
    if "test" not in part:  # "either" parts: the test of each alternative is in its text
        return "either"
    if part["test"] == "within":
        return f"within {fmt(part['threshold'])} +- {fmt(part['margin'])}"
    margin = f", margin {fmt(part['margin'])}" if part.get("margin") else ""
    return f"{part['test']} {fmt(part['threshold'])}{margin}"


def _parts_by_name(found: dict) -> dict[str, dict]:
    """One claim's parts across reports (``verdicts_across``'s ``{label: entry}``): ``{part name: {label: part}}``."""
    by_name = {}
    for label, entry in found.items():
        for p in entry.get("parts", []):
            by_name.setdefault(p["name"], {})[label] = p
    return by_name


def _estimates_and_widths(across: dict) -> list[str]:
    """What moves between reports, over every part with an interval measured in at least three of them: its
    estimates (their standard deviation over reports, as a share of the mean half-width of the intervals) or the
    widths of its intervals (the widest half-width over the narrowest); medians over the parts."""
    moved, widths = [], []
    for found in across["claims"].values():
        for parts in _parts_by_name(found).values():
            ivs = [p["interval"] for p in parts.values() if "interval" in p]
            half = np.array([(iv["high"] - iv["low"]) / 2 for iv in ivs])
            if len(ivs) < 3 or not np.all(np.isfinite(half)) or half.min() <= 0:
                continue
            moved.append(np.std([iv["estimate"] for iv in ivs], ddof=1) / half.mean())
            widths.append(half.max() / half.min())
    if not moved:
        return []
    text = (f"Over the {len(moved)} parts with an interval in at least three reports: the median standard deviation "
            f"of a part's estimates over reports is {np.median(moved):.2f} of its intervals' mean half-width, and the "
            f"median ratio of its widest to its narrowest half-width is {np.median(widths):.1f} (largest "
            f"{max(widths):.3g}).")
    if np.median(moved) < 0.5 and np.median(widths) > 1.5:  # say what the numbers show only when they show it
        text += (" So the centres move little and the widths a lot: the spread over a few seeds is itself "
                 "estimated from few degrees of freedom (two, for three seeds), and a part near its threshold falls "
                 "on either side of it with the width of its interval.")
    return [text, ""]


def _differences_section(across: dict) -> list[str]:
    """For every claim whose verdict differs between the reports compared (``verdicts_across``): each part whose
    verdict differs, with its interval in every report, so a reader sees how near its threshold each one was."""
    lines = []
    for cid in sorted(across["claims"], key=claim_order):
        found = across["claims"][cid]
        if len(found) < 2 or len({json.dumps([p["verdict"] for p in e.get("parts", [])]) for e in found.values()}) < 2:
            continue
        for name, parts in _parts_by_name(found).items():
            if len({p["verdict"] for p in parts.values()}) > 1:
                test = _part_test(next(iter(parts.values())))
                lines.append(f"- {cid}, {name} ({test}): " + "; ".join(
                    f"{label} {wording(p['verdict'], True)}, {p['text']}" for label, p in parts.items()))
    if not lines:
        return []
    return ["", "## Where the verdicts differ: the parts, report by report", "", *_estimates_and_widths(across),
            "Each part whose verdict is not the same in every report, with its 95 % interval in each (for \"X is the "
            "best of K\", its intervals against the others; a loss refutes it only at the stricter confidence given "
            "in parentheses).", "", *lines]


BY_SEED_GLOB = "transfer_by_seed*.json"  # benchmarks/transfer_by_seed.py's records, one file per machine or budget


def results_of(folder, notebook: str) -> dict:
    """``<folder>/results/<notebook>.json`` (a report folder's, not necessarily the current one, or its
    ``read_results``), {} when absent."""
    return read_results(folder).notebooks.get(notebook, {})


def experiment_of(record: dict) -> str:
    """The experiment a transfer_by_seed record measured (records written before the flag: the final model)."""
    return record.get("experiment", "final")


def by_seed_records(main_folder) -> list[tuple[str, dict]]:
    """(file name, record) of every ``<main_folder>/stability/transfer_by_seed*.json``, the first one written
    (``transfer_by_seed.json``) first."""
    found = sorted((Path(main_folder) / "stability").glob(BY_SEED_GLOB),
                   key=lambda f: (f.stem != "transfer_by_seed", f.name))
    return [(f.name, json.loads(f.read_text())) for f in found]


def record_label(record: dict) -> str:
    """"<CPU>, <precision>, <epochs> epochs" of a transfer_by_seed record, with its experiment where it is not the
    final model and the style encoder's init where it is not the default (``ModelConfig.style_init``)."""
    precisions = "/".join(sorted({str(r.get("precision", "?")) for r in record["rows"]}))
    epochs = "/".join(str(e) for e in sorted({r["epochs"] for r in record["rows"] if r.get("epochs")})) or "?"
    inits = sorted({r["style_init"] for r in record["rows"] if r.get("style_init", "default") != "default"})
    experiment = experiment_of(record)
    return ((f"{experiment}, " if experiment != "final" else "")
            + f"{record.get('machine', {}).get('cpu', '?')}, {precisions}, {epochs} epochs"
            + (f", style encoder init {'/'.join(inits)}" if inits else ""))


def c4_transfer_test(results05: dict) -> dict | None:
    """The test notebook 05 applied to the final model's transfer (C4's part "transfer (final)"), from its results
    (``results_of(folder, "05")``): its name, direction, threshold and margin; None before notebook 05 has run."""
    parts = results05.get("claims", {}).get("C4", {}).get("parts", [])
    return next((p for p in parts if p.get("name") == "transfer (final)"), None)


def by_seed_verdict(record: dict, seeds: Sequence[int], test: dict) -> dict | None:
    """C4's transfer part as notebook 05 would test it with these training seeds, from a transfer_by_seed record:
    the interval over seeds and paintings where the record has per-painting values, over seeds alone otherwise
    (the painting-to-painting spread is then left out). None when a seed is missing or the record is of another
    experiment than the final model (C4 is about that one)."""
    rows = {r["seed"]: r for r in record["rows"]}
    if experiment_of(record) != "final" or any(s not in rows for s in seeds):
        return None
    chosen = [rows[s] for s in seeds]
    per_painting = all(r.get("transfer_per_painting") for r in chosen)
    iv = interval([r["transfer_per_painting"] if per_painting else r["transfer"] for r in chosen])
    found = part(test["name"], iv, test["test"], test["threshold"], test.get("margin"))
    if not per_painting:
        found["text"] += " (over seeds only)"
    return found


def _by_seed_table(name: str, found: dict) -> list[str]:
    """One transfer_by_seed record: what it measured, and a row per seed."""
    values = [r["transfer"] for r in found["rows"]]
    lines = ["", f"`{name}`, written by `benchmarks/transfer_by_seed.py` on {found['machine']['cpu']} (torch "
                  f"{found['machine'].get('torch', '?')}): "
                  + ("notebook 03's final experiment" if experiment_of(found) == "final" else
                     f"notebook 05's {experiment_of(found)} experiment") + ", every one of "
                  f"{found['n_photos']} held-out photos in each of {found['n_paintings']} paintings' styles. "
                  f"Median {float(np.median(values)):.3f}, range {min(values):.3f} to {max(values):.3f} over "
                  f"{len(values)} seeds.",
              "",
              "| seed | precision | run | transfer | lightness SSIM | style effect | best validation loss (epoch) |",
              "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['seed']} | {r['precision']} | {r['key']} | {r['transfer']:.3f} | {r['ssim_l']:.3f} | "
              f"{r['style_effect']:.3f} | " + (f"{r['best_val']:.4f} ({r['best_epoch']} of {r['epochs']})"
                                              if r.get("best_val") is not None else "-") + " |"
              for r in found["rows"]]
    if found.get("unet"):
        lines.append("\nUNet baseline without any style input (notebook 02), best validation loss: " + ", ".join(
            f"seed {u['seed']} {u['best_val']:.4f}" for u in found["unet"]) + ".")
    return lines


def _side_by_side(records: list[tuple[str, dict]]) -> list[str]:
    """The records' transfer strengths seed by seed, one column per record."""
    seeds = sorted({r["seed"] for _, found in records for r in found["rows"]})
    lines = ["", "The same seeds side by side (a run key names the code, data, seed and settings; the same key "
                  "on two CPUs is the same training, apart from the CPU's floating-point kernels):", "",
              "| seed | " + " | ".join(record_label(found) for _, found in records) + " |",
              "|---|" + "---|" * len(records)]
    for seed in seeds:
        cells = []
        for _, found in records:
            row = next((r for r in found["rows"] if r["seed"] == seed), None)
            cells.append(f"{row['transfer']:.3f} ({row['key'][:8]})" if row else "-")
        lines.append(f"| {seed} | " + " | ".join(cells) + " |")
    return lines


def _transfer_by_seed(main_folder, other_folder) -> list[str]:
    """Lines for the ``<main_folder>/stability/transfer_by_seed*.json`` records (benchmarks/transfer_by_seed.py),
    if any: the final model's transfer strength per training seed, which the differing verdicts of C4 and S7 rest
    on, one table per record; with two or more, the seeds side by side and C4's transfer part as each record's
    seed sets would give it; and what both seed sets' notebook 03 measured."""
    main_folder = read_results(main_folder)
    records = by_seed_records(main_folder.folder)
    if not records:
        return []
    lines = ["", "## The final model's transfer strength, seed by seed"]
    for name, found in records:
        lines += _by_seed_table(name, found)
    if len(records) > 1:
        lines += _side_by_side(records)
    main05 = results_of(main_folder, "05")
    test = c4_transfer_test(main05)
    seed_sets = [list(r.get("seeds", [])) for r in (main05, results_of(other_folder, "05"))]
    if test and any(seed_sets):
        lines += ["", f"C4's part \"{test['name']}\" (above {test['threshold']:g}, the test notebook 05 applies) as "
                      "each record's runs would give it, for the seed sets of the committed report and the stability "
                      "run:", ""]
        for name, found in records:
            verdicts = [f"seeds {', '.join(map(str, ss))}: {v['text']}, {v['verdict']}"
                        for ss in seed_sets if ss and (v := by_seed_verdict(found, ss, test))]
            if verdicts:
                lines.append(f"- {record_label(found)}: " + "; ".join(verdicts))
    for folder in (main_folder, other_folder):
        r = results_of(folder, "03")
        s = r.get("style_transfer", {}).get("summary", {})
        if "transfer" in s:
            precision = sorted({str(i.get("precision", "fp32")) for i in r.get("runs", [])}) or ["?"]
            lines.append(f"\nNotebook 03 with seeds {', '.join(map(str, r.get('seeds', [])))} "
                         f"({'/'.join(precision)}): transfer {cell(s, 'transfer')}.")
    return lines


AGREEMENT = ("Over every report kept (the main one, the other seed sets, the same seeds on another machine or "
             "thread count): a claim keeps its verdict only where every report that measured it the same way gives "
             "that verdict, and is *inconclusive* where two disagree (`colorlib.agreement.agreed`; reports run under "
             "another profile or precision, or trained otherwise, are left out; precision named here on 2026-12-07, "
             "before a fresh clone's fp32 report on a CPU without native bf16 finished). Added after the first He-init "
             "stability table (C7 and C8 differed between seeds 0, 1, 2 on an AMD EPYC and seeds 3, 4, 5 on an Intel "
             "Xeon) and before the Xeon's run of seeds 0, 1, 2 finished; the rule for one report is unchanged. "
             "Part by part: two reports that agree on a claim's verdict but not on its parts are inconclusive too.")


def agreed(entries: Sequence[dict]) -> str:
    """The verdict every report supports (``AGREEMENT``), from their claim entries: part by part (matched by
    name), a part keeps its verdict only where every report gives it, else it is inconclusive; the parts then
    combine as in one report (``combine``). So two "partly" verdicts resting on different parts, or "reproduced"
    against "partly", give "inconclusive": a reader is told no more than every seed set and machine supports.
    Entries whose parts do not match by name are compared by their whole verdicts."""
    if not entries:
        raise ValueError("agreed() needs at least one claim entry")
    verdicts = [e["verdict"] for e in entries]
    names = [[p.get("name") for p in e.get("parts", [])] for e in entries]
    if not names[0] or any(n != names[0] for n in names):
        return verdicts[0] if len(set(verdicts)) == 1 else "inconclusive"
    by_part = zip(*([p["verdict"] for p in e["parts"]] for e in entries))
    return combine([vs[0] if len(set(vs)) == 1 else "inconclusive" for vs in by_part])


MAIN = "main"  # the main report's label among the reports compared (kept ones are "stability/<folder>")


def verdicts_across(main_folder, others: Sequence = ()) -> dict:
    """The claims of the main report and of each of ``others`` (report folders or ``read_results`` snapshots;
    ``kept_reports``) measured the same way: ``{"claims": {id: {label: entry}}, "left_out": {label: why}}``,
    labels ``MAIN`` and ``stability/<folder>``. A report that cannot be compared with the main one
    (``comparison``: another init, a stale claim) is left out whole; a claim whose notebook trained otherwise
    in it (``trained_differently``) or ran another way (``same_way``) is left out for that report."""
    main = read_results(main_folder)
    mine = {cid: e for cid, e in recorded_claims(main).items() if "verdict" in e}
    out = {"claims": {cid: {MAIN: e} for cid, e in mine.items()}, "left_out": {}}
    for folder in others:
        other = read_results(folder)
        label = f"stability/{other.folder.name}"
        found = comparison(main, other)
        if "error" in found:
            out["left_out"][label] = found["error"]
            continue
        otherwise = set()  # notebooks run under another profile, overrides or precision in this report
        for cid, entry in recorded_claims(other).items():
            if cid not in mine or "verdict" not in entry:
                continue
            if cid in found["apart"]:
                out["left_out"].setdefault(label, f"for {', '.join(found['apart'])}: their notebook trained otherwise")
            elif not same_way(other.notebooks[entry["notebook"]], main.notebooks[mine[cid]["notebook"]]):
                otherwise.add(entry["notebook"])
            else:
                out["claims"][cid][label] = entry
        if otherwise:
            why = (f"for the claims of notebook{'s' if len(otherwise) > 1 else ''} {', '.join(sorted(otherwise))}: "
                   "another profile, overrides or precision")
            out["left_out"][label] = f"{out['left_out'][label]}; {why}" if label in out["left_out"] else why
    return out


def across_text(cid: str, across: dict, markdown: bool = True) -> str:
    """One claim's verdict over every report kept (``agreed``), with each report's where they differ: "reproduced
    (3 of 3 reports agree)", "inconclusive (they differ: main reproduced; stability/seeds-3-4-5 inconclusive)"."""
    found = across["claims"].get(cid, {})
    if len(found) < 2:
        return "not measured the same way in another report"
    verdict = agreed(list(found.values()))
    if all(e["verdict"] == verdict for e in found.values()):
        return f"{wording(verdict, markdown)} ({len(found)} of {len(found)} reports agree)"
    return f"{wording(verdict, markdown)} (they differ: " + "; ".join(f"{label} {wording(e['verdict'], markdown)}"
                                                    for label, e in found.items()) + ")"


def kept_reports(main_folder, but=None) -> list:
    """The reports kept under ``<main_folder>/stability/`` (a folder with ``results/``): other seed sets
    (``--stability``: ``seeds-3-4-5``) and reports kept from another machine, sorted by name; ``but`` left out."""
    root = Path(main_folder) / "stability"
    skip = Path(but).resolve() if but is not None else None
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob("*") if (p / "results").is_dir() and p.resolve() != skip)


def report_manifest(folder):
    """Where a kept report's machine is recorded: its figures manifest on the machine that ran it (never
    committed), else its ``timings.json``."""
    manifest = Path(folder) / "figures" / "manifest.json"
    return manifest if manifest.exists() else Path(folder) / "timings.json"


def seeds_of(folder) -> str:
    """"0, 1, 2": the training seeds a report's notebooks recorded ("?" when none did); a folder or its
    ``read_results``."""
    entries = recorded_claims(folder)
    return ", ".join(map(str, next((e["seeds"] for e in entries.values() if e.get("seeds")), []))) or "?"


def comparison(main_folder, other_folder) -> dict:
    """One report against the main one: ``{"seeds", "ids", "same", "same_first"}`` (``compare_verdicts`` under the
    rule and under the rule as first written), or ``{"seeds", "error"}`` saying why they were not compared."""
    main_folder, other_folder = read_results(main_folder), read_results(other_folder)  # each read once
    found = {"seeds": seeds_of(other_folder)}
    try:
        ids, same = compare_verdicts(main_folder, other_folder)
        return {**found, "ids": ids, "same": same, "same_first": compare_verdicts(main_folder, other_folder, True)[1],
                "one": measured_in_one(main_folder, other_folder),
                "apart": sorted(trained_differently(main_folder, other_folder), key=claim_order)}
    except ValueError as err:
        return {**found, "error": str(err)}


def _kept_section(main_folder, kept: Sequence) -> list[str]:
    """For each further report kept beside the stability run (another machine's run, another seed set): its
    verdicts against the main report's, and the claims whose verdict is the same in every report compared.
    ``kept``: (report folder or ``read_results`` snapshot, manifest) pairs."""
    if not kept:
        return []
    main_folder = read_results(main_folder)
    main = recorded_claims(main_folder)
    lines = ["", "## Further reports kept beside it", "",
             "Each against the main report (seeds " + seeds_of(main_folder) + "), same rule:"]
    compared = []
    for folder, manifest in kept:
        folder = read_results(folder)
        found = comparison(main_folder, folder)
        where = f"`stability/{folder.folder.name}/`"
        if "error" in found:
            lines += ["", f"- {where}, seeds {found['seeds']}: not compared ({found['error']})."]
            continue
        differ = [cid for cid in found["ids"] if cid not in found["same"]]
        lines += ["", f"- {where}, seeds {found['seeds']} on {machines(manifest)}: **{len(found['same'])} of "
                      f"{len(found['ids'])} verdicts identical**"
                  + (f"; different: {', '.join(differ)}" if differ else "")
                  + (f"; measured in one of the two only: {', '.join(found['one'])}" if found["one"] else "")
                  + (f"; not compared, trained differently: {', '.join(found['apart'])}" if found["apart"] else "")]
        compared.append((where, recorded_claims(folder)))
    if compared:
        lines += ["", "| claim | main report | " + " | ".join(w for w, _ in compared) + " |",
                  "|---|---|" + "---|" * len(compared)]
        for cid in sorted(set(main).union(*(set(c) for _, c in compared)), key=claim_order):
            cells = [wording(c[cid]["verdict"], True) if cid in c else "not measured"
                     for c in (main, *(c for _, c in compared))]
            lines.append(f"| {cid} | " + " | ".join(cells) + " |")
    return lines


def write_stability(main_folder, other_folder, main_manifest=None, other_manifest=None, kept: Sequence = ()):
    """Write ``<main_folder>/stability.md``; returns its path. ``kept``: further (report folder, manifest) pairs
    to set beside the main one (``kept_reports``)."""
    path = Path(main_folder) / "stability.md"
    files.write_text(path, stability_markdown(main_folder, other_folder, main_manifest, other_manifest, kept))
    return path

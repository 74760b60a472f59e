"""Did the report just made on this machine give the committed verdicts? The check of a fresh clone elsewhere.

After ``make report`` in a fresh clone, ``python -m colorlib.recheck`` compares the verdicts of that run (the
working tree's ``report/results/*.json``) with those committed at a git revision (``HEAD`` unless named), claim by
claim and part by part, and says of each difference what kind it is:

* *to or from inconclusive*: one run decided a part and the other left it undecided. Expected for a part near its
  threshold: another CPU's floating-point kernels act like other training seeds, and the seed pool
  (``report/seed_pool.md``) measured how often two disjoint seed sets differ this way;
* *reversed*: one run reproduced a part and the other refuted it. The rule (``colorlib.claims``) is built so
  that this should not happen, and no pair of the pool's reports did it: a reversal is a finding.

Exit status: 0 when every claim's verdict is the committed one (a part may still differ: it is printed), 1 when
some differ only to or from inconclusive, 3 when a claim or a part reverses, 2 when nothing can be compared (no
report run here, another seed set, another revision's code). A notebook whose results are still the committed
ones (``make report`` stopped before it) is named and left out, so a partial run checks what it ran.

    python -m colorlib.recheck            # against HEAD
    python -m colorlib.recheck abc1234    # against another commit
"""
from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from colorlib import agreement, claims
from colorlib.paths import REPO_DIR

SAME, UNDECIDED, REVERSED = "same", "to or from inconclusive", "reversed"
EXIT = {SAME: 0, UNDECIDED: 1, REVERSED: 3}
COMMITTED = ("report/results", "figures/manifest.json")  # what a revision's verdicts and machine are read from


def committed_report(rev: str, into: Path, repo: Path = REPO_DIR) -> Path:
    """Unpack ``rev``'s report results and figures manifest into ``into`` (a report folder, as
    ``agreement.read_results`` reads one); ValueError naming the revision when git cannot give them."""
    proc = subprocess.run(["git", "archive", "--format=tar", rev, *COMMITTED], cwd=repo, capture_output=True)
    if proc.returncode != 0:
        raise ValueError(f"git cannot give {', '.join(COMMITTED)} at {rev!r}: "
                         f"{proc.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "report"


def manifest_of(report_folder) -> Path:
    """Where a report's machine is recorded: the figures manifest beside it (``<repo>/figures/manifest.json``),
    or, for a report kept under ``report/stability/``, what ``agreement.report_manifest`` finds."""
    beside = Path(report_folder).parent / "figures" / "manifest.json"
    return beside if beside.exists() else agreement.report_manifest(report_folder)


def kind(a: str, b: str) -> str:
    """How two verdicts of one part (or of one claim whose parts do not match) differ."""
    if a == b:
        return SAME
    return UNDECIDED if "inconclusive" in (a, b) else REVERSED


def part_differences(committed: dict, here: dict) -> list[tuple[str, str, str, str]]:
    """(part name, committed verdict, this run's, kind) for each part of one claim, matched by name; empty when
    the claim has no parts or they do not match (then only its whole verdict is compared)."""
    parts_a = {p.get("name"): p["verdict"] for p in committed.get("parts", [])}
    parts_b = {p.get("name"): p["verdict"] for p in here.get("parts", [])}
    if not parts_a or parts_a.keys() != parts_b.keys():
        return []
    return [(name, parts_a[name], parts_b[name], kind(parts_a[name], parts_b[name])) for name in parts_a]


def compare(committed_folder, here_folder, across_seeds: bool = False) -> dict:
    """Claim id -> {"committed", "here", "kind", "parts"} for every claim measured in both reports ("kind" of the
    claim's verdict, "parts" as ``part_differences``); ValueError (``agreement.compare_verdicts``'s) when they cannot
    be compared, and when they ran other seeds unless ``across_seeds`` (two seed sets on one machine)."""
    committed_folder, here_folder = agreement.read_results(committed_folder), agreement.read_results(here_folder)
    profile = lambda report: sorted({str(data.get("profile")) for data in report.notebooks.values()})
    if (theirs := profile(committed_folder)) != (mine := profile(here_folder)):
        raise ValueError(f"the committed report ran under profile {'/'.join(theirs)} and this one under "
                         f"{'/'.join(mine)}: run `make report` (PROFILE=report)")
    ids, _ = agreement.compare_verdicts(committed_folder, here_folder)
    if not across_seeds and (seeds := agreement.seeds_of(committed_folder)) != (mine := agreement.seeds_of(here_folder)):
        raise ValueError(f"the committed report trained seeds {seeds} and this one seeds {mine}: that compares seed "
                         "sets (python -m colorlib.report --stability), not machines; run `make report`")
    a, b = agreement.recorded_claims(committed_folder), agreement.recorded_claims(here_folder)
    return {cid: {"committed": a[cid]["verdict"], "here": b[cid]["verdict"],
                  "kind": kind(a[cid]["verdict"], b[cid]["verdict"]), "parts": part_differences(a[cid], b[cid])}
            for cid in ids}


def status(found: dict) -> int:
    """The exit status: 3 when a claim or a part reversed, else 1 when a claim's verdict differs, else 0."""
    d = differing(found)
    return EXIT[REVERSED] if d[REVERSED] or d["parts reversed"] else EXIT[UNDECIDED] if d[UNDECIDED] else EXIT[SAME]


def _pool() -> dict | None:
    """The seed pool's record (``report/seed_pool.json``), if this checkout has one."""
    import json

    from colorlib import seedpool

    return json.loads(seedpool.POOL_JSON.read_text()) if seedpool.POOL_JSON.exists() else None


def pool_note(cid: str, verdict: str, pool: dict | None) -> str:
    """How many of the seed pool's triples gave this run's verdict of a claim: a difference on a claim that no
    triple gave is less expected than one that several did."""
    from colorlib import seedpool

    counts = seedpool.verdict_counts(pool).get(cid) if pool else None
    if not counts:
        return ""
    return f"{counts.get(verdict, 0)} of {sum(counts.values())} seed-pool triples gave {verdict}"


def pool_expectation(pool: dict | None, size: int) -> str:
    """What the seed pool measured for two disjoint sets of ``size`` seeds (the committed report's), as a
    yardstick."""
    from colorlib import seedpool

    if pool is None:
        return ""
    row = next((r for r in seedpool.sizes(pool) if r["size"] == size), None)
    return "" if row is None else (
        f"For scale: on the machine that made the committed report, two disjoint sets of {size} seeds differed on "
        f"{row['differ']:.2f} claims on average ({row['agree']} of {row['pairs']} pairs identical) and reversed "
        f"{row['flips']} (report/seed_pool.md).")


def differing(found: dict) -> dict[str, list[str]]:
    """The claim ids by kind of difference of their verdict (``compare``'s result), and "parts reversed": the
    claims with a part that reversed whatever their verdict did."""
    out = {k: [cid for cid, f in found.items() if f["kind"] == k] for k in (UNDECIDED, REVERSED)}
    out["parts reversed"] = [cid for cid, f in found.items() if any(p[3] == REVERSED for p in f["parts"])]
    return out


def as_committed(committed_folder, here_folder) -> list[str]:
    """The notebooks with claims whose results here are the committed ones, byte for byte in content: not run
    here (a ``make report`` stopped early, or ``--only``), or run to the very same numbers (on the machine
    that made them). Their claims say nothing about this machine."""
    committed, here = agreement.read_results(committed_folder), agreement.read_results(here_folder)
    return [nb for nb, data in here.notebooks.items() if data.get("claims") and committed.notebooks.get(nb) == data]


def without(report, notebooks) -> agreement.ReportResults:
    """A report's snapshot less some notebooks."""
    report = agreement.read_results(report)
    return agreement.ReportResults(report.folder, {nb: d for nb, d in report.notebooks.items() if nb not in notebooks})


def render(found: dict, rev: str, committed_folder, here_folder, skipped: dict | None = None) -> str:
    """The check as text: machines, a line per claim, the summary. The folders may be ``agreement.read_results``
    snapshots (``main`` passes them, so each report's files are read once); ``skipped``: notebook -> its claim
    ids, the notebooks left out because their results here are the committed ones (``as_committed``)."""
    committed_folder, here_folder = agreement.read_results(committed_folder), agreement.read_results(here_folder)
    seeds = agreement.seeds_of(committed_folder)
    lines = [f"Committed report ({rev}): seeds {seeds}; {agreement.machines(manifest_of(committed_folder.folder))}",
             f"This run: seeds {agreement.seeds_of(here_folder)}; {agreement.machines(manifest_of(here_folder.folder))}",
             ""]
    pool = _pool()
    for cid, f in found.items():
        moved = [p for p in f["parts"] if p[3] != SAME]
        seen = pool_note(cid, f["here"], pool) if f["kind"] != SAME else ""
        note = " (a part differs)" if f["kind"] == SAME and moved else f" ({seen})" if seen else ""
        lines.append(f"{cid:4} {f['committed']:>15} -> {f['here']:<15} {f['kind']}{note}")
        lines += [f"       {name}: {a} -> {b} ({k})" for name, a, b, k in moved]
    d = differing(found)
    parts = [p[3] for f in found.values() for p in f["parts"]]
    lines += ["", f"Claims: {len(found) - len(d[UNDECIDED]) - len(d[REVERSED])} of {len(found)} verdicts identical; "
                  f"{len(d[UNDECIDED])} differ to or from inconclusive; {len(d[REVERSED])} reversed.",
              f"Their parts: {parts.count(SAME)} of {len(parts)} identical; {parts.count(UNDECIDED)} differ to or "
              f"from inconclusive; {parts.count(REVERSED)} reversed."]
    if apart := agreement.trained_differently(committed_folder, here_folder):
        lines.append(f"Not compared, their notebook trained otherwise: {', '.join(sorted(apart, key=claims.claim_order))}.")
    if one := agreement.measured_in_one(committed_folder, here_folder):
        lines.append(f"Measured in one report only (not compared): {', '.join(one)}.")
    if skipped:
        lines.append("Not compared, their results here are the committed ones (not run here, or run to the same "
                     "numbers): " + "; ".join(f"notebook {nb} ({', '.join(ids)})" for nb, ids in skipped.items())
                     + ". Run `make report` to the end to compare them.")
    if expected := pool_expectation(pool, len(seeds.split(", "))):
        lines.append(expected)
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", nargs="?", default="HEAD", help="the commit whose verdicts to compare with")
    parser.add_argument("--report", type=Path, default=REPO_DIR / "report", help="the report made here")
    args = parser.parse_args(argv)
    here = args.report
    if not any((here / "results").glob("*.json")):
        print(f"no report results in {here}/results: run `make report` first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        try:
            committed = agreement.read_results(committed_report(args.rev, Path(tmp)))
            here = agreement.read_results(here)
            if committed.notebooks == here.notebooks:
                raise ValueError(f"{here.folder}/results is what {args.rev} committed: nothing ran here "
                                 "(run `make report` first)")
            same = as_committed(committed, here)
            if len(same) == sum(1 for data in here.notebooks.values() if data.get("claims")):
                raise ValueError(f"no notebook with claims ran here: their results in {here.folder}/results are "
                                 f"what {args.rev} committed (run `make report` first)")
            skipped = {nb: sorted(here.notebooks[nb]["claims"], key=claims.claim_order) for nb in same}
            committed, here = without(committed, same), without(here, same)
            found = compare(committed, here)
        except ValueError as err:
            print(f"cannot compare: {err}", file=sys.stderr)
            return 2
        print(render(found, args.rev, committed, here, skipped), end="")
    return status(found)


if __name__ == "__main__":
    sys.exit(main())

"""Fill the generated blocks of README.md from measured files, so no number in it is typed by hand.

A block sits between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->``; its content is rebuilt from
``report/timings.json`` (report and test durations), ``report/results/*.json`` (data counts, claims, the
model comparison of notebook 11) and
``benchmarks/results.json`` (speed). ``python -m colorlib.report`` calls ``update()`` after a full report-profile
run; ``python -m colorlib.readme`` does it by hand.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from colorlib import agreement, claims, files
from colorlib.paths import REPO_DIR
from colorlib.profiles import REPORT_GOALS  # the report's time goals: one home, read by seedpool too

README = REPO_DIR / "README.md"
REPORT = REPO_DIR / "report"
BENCHMARK = REPO_DIR / "benchmarks" / "results.json"
VIDEO_BENCHMARK = REPO_DIR / "benchmarks" / "video.json"
PRECISION_BENCHMARK = REPO_DIR / "benchmarks" / "precision.json"
FIRST_COLOUR_BENCHMARK = REPO_DIR / "benchmarks" / "first_colour.json"
FRESH_CLONE_ROW = "colour with a fresh clone, no data"  # notebook 13's goals row that the benchmark measures
PARALLEL_BENCHMARK = REPO_DIR / "benchmarks" / "parallel.json"


def _json(path: Path):
    return json.loads(path.read_text()) if path.exists() else None


def _minutes(seconds) -> str:
    if seconds is None:
        return "not measured yet"
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


TEST_GOAL = 15 * 60
"""The test suite's time goal, in seconds (the developers' guide: CI runs `.ci/run` in at most 15 minutes)."""


def _goal(seconds, goal: float) -> str:
    if seconds is None:
        return f"goal <= {_minutes(goal)}"
    return f"goal <= {_minutes(goal)}: {'met' if seconds <= goal else '**NOT met**'}"


def _run_label(record: dict) -> str:
    """Which seeds and machine a timings record comes from, and when (older records lack some of it)."""
    seeds = record.get("seeds")
    parts = [f"seeds {', '.join(map(str, seeds))}" if seeds else "seeds not recorded (one seed, older code)"]
    if record.get("machine"):
        parts.append(record["machine"].get("cpu", "?"))
        parts.append(record.get("precision", "fp32"))  # records from before precision="auto" trained in fp32
    if record.get("date"):
        parts.append(str(record["date"])[:10])
    if record.get("shared"):  # what else ran on the machine meanwhile (written down by whoever ran it)
        parts.append(record["shared"])
    return "; ".join(parts)


def _cold_goal(record: dict) -> str:
    """The cold-run goal holds for the report profile's seed set; a record with other seeds cannot meet it."""
    from colorlib import profiles

    wanted = len(profiles.resolve("report").seeds)
    if record.get("total") is not None and len(record.get("seeds") or [0]) != wanted:
        return f"goal <= {_minutes(REPORT_GOALS['cold'])} for {wanted} seeds: not measured with {wanted} seeds"
    return _goal(record.get("total"), REPORT_GOALS["cold"])


def stability_timings(state: str = "cold") -> dict[str, dict]:
    """``{"seeds-3-4-5": record}`` for every report kept under report/stability/ (a ``--stability`` run, or a
    main report kept from another machine) that recorded a run in ``state`` (cold, warm)."""
    out = {}
    for path in sorted((REPORT / "stability").glob("*/timings.json")):
        record = (_json(path) or {}).get("report", {}).get(state)
        if record:
            out[path.parent.name] = record
    return out


def _seed_set(name: str) -> bool:
    """Whether a folder under report/stability/ is a ``--stability`` seed set (named after its seeds:
    ``seeds-3-4-5``), not a main report kept from an earlier run."""
    return re.fullmatch(r"seeds(-\d+)+", name) is not None


def _stability_run(name: str, record: dict | None = None) -> bool:
    """Whether a kept report came from ``--stability``: a seed set's folder, or a folder renamed when a later run
    of the same seeds took its name (its record's source names the command)."""
    return _seed_set(name) or "--stability" in str((record or {}).get("source", ""))


def _kept_command(name: str, state: str, record: dict | None = None) -> str:
    """How a kept report was run: ``--stability 3 4 5`` for a seed set (kept under its own name or another),
    ``make report`` for a main report kept from an earlier run."""
    again = "(again, caches warm)" if state == "warm" else "(first run)"
    if _seed_set(name):
        return f"`python -m colorlib.report --stability {' '.join(name.split('-')[1:])}` {again}"
    if _stability_run(name, record):
        seeds = " ".join(map(str, record.get("seeds") or [])) or "..."
        return f"`python -m colorlib.report --stability {seeds}` {again}, kept in `stability/{name}/`"
    return f"`make report` {again}, kept in `stability/{name}/`"


def block_timings() -> str:
    t = _json(REPORT / "timings.json") or {}
    cold, warm = t.get("report", {}).get("cold", {}), t.get("report", {}).get("warm", {})
    tests = t.get("tests", {})
    per_nb = {k: v for k, v in cold.items() if k[:2].isdigit()}
    lines = ["| command | what it does | measured on a 2-core CPU | run | goal |", "|---|---|---|---|---|",
             f"| `make report` (first run, empty caches) | trains every model for every seed, runs every notebook | "
             f"{_minutes(cold.get('total'))} | {_run_label(cold) if cold else '-'} | {_cold_goal(cold)} |"]
    for name, record in stability_timings().items():
        lines.append(f"| {_kept_command(name, 'cold', record)} | "
                     + ("the whole report again with another seed set (report/stability.md)"
                        if _stability_run(name, record) else "the main report from an earlier run (machine in "
                        "the run column)") + " | "
                     f"{_minutes(record.get('total'))} | {_run_label(record)} | {_cold_goal(record)} |")
    for name, record in stability_timings("warm").items():
        lines.append(f"| {_kept_command(name, 'warm', record)} | "
                     f"re-runs every notebook of that report from the caches | {_minutes(record.get('total'))} | "
                     f"{_run_label(record)}; load average {record.get('load_average', '?')} | "
                     f"{_goal(record.get('total'), REPORT_GOALS['warm'])} |")
    jobs = warm.get("jobs") or 1
    lines += [f"| `make report{f' JOBS={jobs}' if jobs > 1 else ''}` (again, caches warm) | re-runs every notebook"
              f"{f', {jobs} at a time' if jobs > 1 else ''}; loads the trained runs and the cached "
              f"measurements | {_minutes(warm.get('total'))} | {_run_label(warm) if warm else '-'} | "
              f"{_goal(warm.get('total'), REPORT_GOALS['warm'])} |",
              f"| `make test` | {tests.get('collected', '?')} tests, every notebook under `smoke` included | "
              f"{_minutes(tests.get('seconds'))} | "
              f"{tests['machine'].get('cpu', '?') + '; ' if tests.get('machine') else ''}"
              f"{str(tests.get('date', '-'))[:10]}"
              f"{'; load average ' + str(tests['load_average']) if 'load_average' in tests else ''} | "
              f"{_goal(tests.get('seconds'), TEST_GOAL)} |"]
    per_set = {**({"First run": per_nb} if per_nb else {}),
               **{f"First run, {name}": {k: v for k, v in r.items() if k[:2].isdigit()}
                  for name, r in stability_timings().items()},
               ("Re-run" + (f" ({jobs} at a time, so these overlap)" if jobs > 1 else "")):
                   {k: v for k, v in warm.items() if k[:2].isdigit()}}
    for label, times in per_set.items():
        if times:
            lines += ["", f"{label}, per notebook: " +
                      ", ".join(f"{k[:2]} {_minutes(v)}" for k, v in sorted(times.items())) + "."]
    return "\n".join(lines)


def stability_comparisons() -> dict:
    """Every report kept under report/stability/, by its label ("3, 4, 5", or "0, 1, 2 (`folder/`)" for a report
    kept from an earlier run) -> (its folder, (claim ids, ids with the same verdict as the main report's, the same
    under the rule as first written, ...) or the ValueError that says why it was not compared)."""
    out = {}
    for other in agreement.kept_reports(REPORT):
        found = agreement.comparison(REPORT, other)
        seeds_run = _seed_set(other.name)
        name = other.name[len("seeds-"):].replace("-", ", ") if seeds_run else f"{found['seeds']} (`{other.name}/`)"
        out[name] = (other, ValueError(found["error"]) if "error" in found else
                     (found["ids"], found["same"], found["same_first"], found["one"], found["apart"]))
    return out


def block_stability() -> str:
    """How many verdicts a second seed set kept (``--stability``; the table is report/stability.md)."""
    comparisons = stability_comparisons()
    if not comparisons:
        return "Not run yet: `python -m colorlib.report --stability 3 4 5` writes report/stability.md."
    lines = []
    for name, (_, compared) in comparisons.items():
        if isinstance(compared, ValueError):
            lines.append(f"Seeds {name}: not compared ({compared}).")
            continue
        ids, same, same_first, one, apart = compared
        differ = [cid for cid in ids if cid not in same]
        lines.append(f"Seeds {name} against the committed report: "
                     f"**{len(same)} of {len(ids)} verdicts identical**"
                     + (f"; different: {', '.join(differ)}" if differ else "")
                     + (f"; measured in one of the two only: {', '.join(one)}" if one else "")
                     + (f"; not compared, trained differently: {', '.join(apart)}" if apart else "")
                     + f"; {len(same_first)} of {len(ids)} under the rule as first written, before the correction "
                       "of \"best of K\" made after looking ([report/stability.md](report/stability.md)).")
    reports = [REPORT, *agreement.kept_reports(REPORT)]
    if len(reports) > 2:
        counts = agreement.pair_counts(reports)
        name_of = lambda i: "the committed report" if i == 0 else f"`{reports[i].name}/`"
        compared = {pair: c for pair, c in counts.items() if c is not None}
        all_same = [f"{name_of(i)} and {name_of(j)} ({c[0]} of {c[1]})" for (i, j), c in compared.items() if c[0] == c[1]]
        lines.append(f"Every pair of the {len(reports)} reports, not only against the committed one: every verdict "
                     f"identical in {len(all_same)} of {len(compared)} pairs" + (": " + "; ".join(all_same) if all_same else "")
                     + " (the table of pairs is in [report/stability.md](report/stability.md)).")
    records = agreement.by_seed_records(REPORT)
    for name, record in records:
        per_seed = ", ".join(f"{r['seed']}: {r['transfer']:.2f}" for r in record["rows"])
        model = ("The final model's transfer strength, which C4 and S7 rest on," if agreement.experiment_of(record) == "final"
                 else f"The {agreement.experiment_of(record)} model's transfer strength")
        lines.append(f"\n{model} per training seed ({agreement.record_label(record)}, "
                     f"`benchmarks/transfer_by_seed.py`): {per_seed}.")
    results05 = agreement.results_of(REPORT, "05")
    test, committed = agreement.c4_transfer_test(results05), results05.get("seeds")
    if records and test and committed:
        found = [(agreement.record_label(r), v) for _, r in records if (v := agreement.by_seed_verdict(r, committed, test))]
        if found:
            lines.append(f"\nC4's transfer part with the committed seeds {', '.join(map(str, committed))}, from these "
                         "runs: " + "; ".join(f"{label}: {v['verdict']}, {v['text']}" for label, v in found) + ".")
    return "\n".join(lines)


def block_seed_budget() -> str:
    """How many seeds per report would make two disjoint seed sets agree (``colorlib.seedbudget``, from the pool)."""
    from colorlib import seedbudget

    pool = _json(REPORT / "seed_pool.json")
    if pool is None:
        return "Not projected: the seed pool has not been run (`colorlib.seedpool`)."
    return seedbudget.summary(seedbudget.projection(pool, REPORT), pool, REPORT)


def block_strictness() -> str:
    """What a stricter interval level would buy instead of more seeds (``colorlib.strictness``, from the pool)."""
    from colorlib import strictness

    pool = _json(REPORT / "seed_pool.json")
    if pool is None:
        return "Not re-judged: the seed pool has not been run (`colorlib.seedpool`)."
    return strictness.summary(strictness.studied(pool, REPORT))


def block_pool_replica() -> str:
    """The seed pool on a second machine (``colorlib.poolreplica``, from its collected pool)."""
    from colorlib import poolreplica

    if not (poolreplica.REPLICA_JSON.exists() and (REPORT / "seed_pool.json").exists()):
        return "Not run: no second machine's seed pool has been collected (`colorlib.poolreplica`)."
    return poolreplica.cached_summary(other_json=REPORT / "seed_pool.json")


def block_seed_pool() -> str:
    """The seed pool's counts (``colorlib.seedpool``: the nine seeds regrouped into twelve triples)."""
    from colorlib import seedpool

    pool = _json(REPORT / "seed_pool.json")
    if pool is None:
        return "Not run yet: `python -m colorlib.seedpool run OUT`, then `collect OUT` (see `colorlib.seedpool`)."
    main = seedpool.main_verdicts(REPORT)
    return "\n".join([seedpool.summary(pool, main, seedpool.committed_set(REPORT), seedpool.cold_seconds(REPORT)), "",
                      "The predictions above, checked by `colorlib.seedpool.prediction`:", "",
                      *seedpool.prediction(pool, main, seedpool.PREDICTED_STEADY)])


def block_video() -> str:
    """benchmarks/bench_video.py's last recorded run (``make benchmark``)."""
    v = _json(VIDEO_BENCHMARK)
    if not v:
        return "Not measured yet (`make benchmark` runs `benchmarks/bench_video.py`)."
    one, per = v["rows"]["one latent (painting)"], v["rows"]["per frame (own latent)"]
    env = v.get("env", {})
    return (f"Measured with {v['origin']} on {env.get('cpu', '?')} ({env.get('threads', '?')} threads, load average "
            f"{env.get('loadavg_1min', '?')}, {str(env.get('date', '?'))[:10]}; {one['frames']} frames): "
            f"{one['fps']:.1f} frames/s with one latent and {per['fps']:.1f} with a latent per frame (decode, "
            f"colour, encode); flicker (mean CIELAB a*b* change per frame) {one['flicker']:.4f} with one latent vs "
            f"{per['flicker']:.4f} with each frame's own latent" + _relative_flicker(one, per) + ".")


def _relative_flicker(one: dict, per: dict) -> str:
    """The two modes colour differently (a painting's colours against each frame's own guess), and a more colourful
    output moves more in absolute terms: their flicker per unit of mean chroma, where the run recorded it."""
    if "chroma" not in one or "chroma" not in per:
        return ""
    a, b = one["flicker"] / one["chroma"], per["flicker"] / per["chroma"]
    return (f", at a mean chroma of {one['chroma']:.1f} vs {per['chroma']:.1f}: {a:.5f} vs {b:.5f} per unit of "
            f"chroma, {'less' if a < b else 'more'} with one latent")


def block_precision() -> str:
    """benchmarks/bench_precision.py's last recorded run: what bf16 and channels_last buy the report's training."""
    b = _json(PRECISION_BENCHMARK)
    if not b:
        return "Not measured yet (`.venv/bin/python benchmarks/bench_precision.py --json benchmarks/precision.json`)."
    m = b.get("machine", {})
    when = f", {str(b['date'])[:10]}" if b.get("date") else ""
    rows = ", ".join(f"{name} {s['median_s']:.1f} s ({s['speedup_vs_fp32']:.2f}x)"
                     for name, s in b["summary"].items())
    return (f"Measured side by side by `benchmarks/bench_precision.py` on {m.get('cpu', '?')} "
            f"({m.get('cpu_capability', '?')}, {m.get('cpus', '?')} cores{when}; "
            f"native bf16: {'yes' if b.get('native_bf16') else 'no'}): the final "
            f"model under the report profile, {b['epochs']} epochs on the embedded photos, OpenMP waiting "
            f"{b['omp_wait_policy'].lower()}, median of {len(b['rounds'])} alternating rounds (speed-up over fp32 in "
            f"the same round): {rows}.")


def block_parallel() -> str:
    """benchmarks/bench_parallel.py's last recorded run: what training a notebook's seeds side by side buys."""
    b = _json(PARALLEL_BENCHMARK)
    if not b:
        return "Not measured yet (`.venv/bin/python benchmarks/bench_parallel.py --json benchmarks/parallel.json`)."
    m = b.get("machine", {})
    rows = ", ".join(f"{name} {s['median_s']:.0f} s ({s['vs_side_by_side']:.2f}x the time)"
                     for name, s in b["summary"].items())
    same = "the same" if b.get("identical_weights") else "**not** the same"
    return (f"Measured by `benchmarks/bench_parallel.py` on {m.get('cpu', '?')} ({b.get('cores', '?')} cores): the "
            f"final model under the report profile, {b['seeds']} seeds of {b['epochs']} epochs each, OpenMP waiting "
            f"{b['omp_wait_policy'].lower()}, median of {len(b['rounds'])} alternating round(s): {rows}. Side by side "
            f"trained {same} weights, bit for bit, as one after another on one thread.")


def block_paper_mini() -> str:
    """The miniature paper run's times (tests/test_paper_mini.py), as the last full test session recorded them."""
    mini = (_json(REPORT / "timings.json") or {}).get("paper_mini")
    if not mini:
        return "Its times: not recorded yet (a full `make test` records them in report/timings.json)."
    per_nb = {k: v for k, v in mini.items() if k[:2].isdigit()}
    where = "; ".join(x for x in ((mini.get("machine") or {}).get("cpu"), str(mini.get("date", ""))[:10]) if x)
    return (f"In the last full test session ({where}; load average {mini.get('load_average', '?')} at the end: "
            f"other jobs on the CPU inflate it) the miniature took {_minutes(mini.get('wall'))} for {len(per_nb)} notebooks"
            + (f", {mini['jobs']} at a time (so their own times overlap)" if (mini.get("jobs") or 1) > 1 else "") + ": "
            + ", ".join(f"{k[:2]} {_minutes(v)}" for k, v in sorted(per_nb.items())) + ".")


def block_paper_plan() -> str:
    """What ``--profile paper --dry-run`` counts (``colorlib.plan``) over every notebook, so that the README's
    numbers are the plan's."""
    from colorlib import plan, profiles

    P = profiles.resolve("paper")
    work = plan.training("paper", list(plan.NOTEBOOK_RUNS))  # the notebooks that train
    needs = plan.data_needs(P)
    c = needs["counts"]
    return (f"It prints (counted from the profile, not measured on ImageNet): {c['train photos']:,} training, "
            f"{c['validation photos']:,} validation and {c['held-out photos']:,} held-out photos, "
            f"{c['paintings']:,} paintings; {work['runs']} distinct training runs, about "
            f"{work['steps'] / 1e6:.2f} million steps and {work['images'] / 1e6:.1f} million images at {P.size} px; "
            f"about {needs['cache_bytes'] / 1e9:.2f} GB of disk for the pre-resize cache ({P.size} px PNGs, "
            f"{plan.PNG_BYTES_PER_PIXEL * 128 * 190 / 1e3:.1f} kB each as measured on the stand-ins), plus the run "
            f"checkpoints.")


def block_data() -> str:
    r = _json(REPORT / "results" / "01.json")
    if not r or not r.get("counts"):
        return "_(run `make report` to fill this in)_"
    c = r["counts"]
    p = c["photos"]
    return (f"{c['photos_found']} photographs found; {c['duplicates_removed']} near-duplicates removed "
            f"(perceptual hash), {c['grayscale_excluded']} grayscale photo excluded; split "
            f"train {p['train']} / val {p['val']} / test {p['test']}; {c['paintings']} paintings.")


def block_claims() -> str:
    from colorlib import seedpool

    across = agreement.verdicts_across(REPORT, agreement.kept_reports(REPORT))
    pool = _json(REPORT / "seed_pool.json")
    robust = (lambda cid, v: f" | {seedpool.claim_cell(pool, cid, v)}") if pool else (lambda cid, v: "")
    lines = ["| claim | verdict here (profile, seeds) | over every report kept | "
             + ("seed-pool reports giving this verdict (three seeds; five); all nine seeds | " if pool else "")
             + "measured: mean +- sd over seeds; effect [95 % interval] |", "|---|---|---|---|" + ("---|" if pool else "")]
    for cid, (nb, text) in claims.CLAIMS.items():
        r = _json(REPORT / "results" / f"{nb}.json") or {}
        entry = r.get("claims", {}).get(cid)
        if entry is None or "verdict" not in entry:
            lines.append(f"| {cid}: {text} | not measured | |{' |' if pool else ''} |")
        else:
            seeds = ", ".join(map(str, r.get("seeds") or [])) or "?"
            lines.append(f"| {cid}: {text} | {claims.wording(entry['verdict'], markdown=True)} ({r.get('profile')}, "
                         f"seeds {seeds}) | {agreement.across_text(cid, across)}{robust(cid, entry['verdict'])} | "
                         f"{entry['measured'].replace('|', '/')} |")
    left_out = [f"`{label}/` ({why})" for label, why in across["left_out"].items()]
    return "\n".join(lines + ["", agreement.AGREEMENT + (" Left out here: " + "; ".join(left_out) + "." if left_out else "")])


def block_benchmark() -> str:
    b = _json(BENCHMARK)
    if not b:
        return "_(run `make benchmark` to fill this in)_"
    env = b.get("env", {})
    load = env.get("loadavg_1min_start")
    note = (f"Measured with torch {env.get('torch')} on {env.get('cpu')} ({env.get('cpus')} CPUs), 1-min load average "
            f"{load if load is None else round(load, 2)} at the start (`benchmarks/results.json`).")
    return "```\n" + b.get("table", json.dumps(b.get("rows", b), indent=1)) + "\n```\n" + note


def block_comparison() -> str:
    """Summary of notebook 11's table (every model on the same held-out photos); the full table is in
    report/comparison.md."""
    r = _json(REPORT / "results" / "11.json")
    if not r or not r.get("rows"):
        return "_(run `make report` to fill this in)_"
    from colorlib.evaluation import comparison_cell

    seeds = ", ".join(map(str, r.get("seeds") or [])) or "?"
    lines = [f"{r['n_test']} held-out photos at {r['size']} px (profile `{r['profile']}`, seeds {seeds}: every cell is "
             f"the mean +- sd over them); `paintings` rows average every photo in the style of each of "
             f"{r['n_paintings']} paintings; truth's colourfulness {r['colourfulness_true']:.1f}; "
             f"{r['lpips_label'] or 'no LPIPS trunk'}. Every column and more in "
             "[report/comparison.md](report/comparison.md) (notebook 11).", "",
             "| model | style | epochs | PSNR (dB) | CIEDE2000 | LPIPS | colourfulness | lightness SSIM | transfer |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in r["rows"]:
        cells = " | ".join(comparison_cell(row, c) for c in ("psnr", "ciede2000", "lpips", "colourfulness", "ssim_l",
                                                              "transfer"))
        lines.append(f"| {row['model']} | {row['style']} | {row['epochs']} | {cells} |")
    if r.get("best"):
        lines += ["", "Highest mean on the held-out photos (painting-styled rows left out): " +
                  "; ".join(f"{k}: {v}" for k, v in r["best"].items()) + ". Without the ground truth as the style: " +
                  "; ".join(f"{k}: {v}" for k, v in r.get("best_without_truth", {}).items()) + "."]
    return "\n".join(lines)


def block_profiles() -> str:
    """The profiles table, read from colorlib.profiles (so it cannot drift from what runs)."""
    from colorlib import profiles

    uses = {"smoke": "the tests: every notebook in well under a minute",
            "report": "the committed figures and claims, on CPU (default)",
            "paper": "a GPU with a network: the original study's scale"}
    lines = ["| profile | photos / paintings | training | seeds | per-notebook overrides | for |",
             "|---|---|---|---|---|---|"]
    for name in ("smoke", "report", "paper"):
        p = profiles.resolve(name)
        limit = "all" if p.limit is None else f"{p.limit:,}"
        extra = "; ".join(f"{nb}: " + ", ".join(f"{k} {v}" for k, v in sec.items())
                          for nb, sec in profiles.PROFILES[name].items() if nb != "common")
        # The profile's own precision, not resolve()'s: "auto" resolves differently from one machine to the next.
        common = {**profiles.COMMON, **profiles.PROFILES[name].get("common", {})}
        precision = {"fp32": "", "auto": ", bf16 (and channels_last) where the CPU has bf16 natively, else fp32"}.get(
            common["precision"], f", {common['precision']}")
        lines.append(f"| `{name}` | `{p.source}` ({limit} training photos) / `{p.style_source}` | {p.size} px, "
                     f"{p.epochs} epochs, batch {p.batch_size}, lr {p.lr:g}, LPIPS `{p.lpips_net}`"
                     f"{', torch.compile' if p.compile else ''}{precision} | {', '.join(map(str, p.seeds))} | "
                     f"{extra or '-'} | "
                     f"{uses[name]} |")
    return "\n".join(lines)


TRAIN_SPEED_GOAL = 150.0  # img/s, the final model at 64 px (issue 11)


def _speed_row() -> dict:
    """The training-speed goal from ``benchmarks/results.json``. Issue 11's "today" (61-76 img/s) timed the model's
    training step alone, so the goal is judged on the fastest step measured; the real training loop (the report's
    Trainer: MSE + LPIPS loss and the data pipeline) is printed beside it, with its own verdict, because that is
    what a report run gets."""
    rows = (_json(BENCHMARK) or {}).get("rows", [])
    speeds = {f"{r.get('variant')}, {r.get('precision', 'fp32')}": r["img_per_s"] for r in rows
              if r.get("kind") == "train" and r.get("size") == 64 and "img_per_s" in r}
    loops = {r.get("precision", "fp32"): r["img_per_s"] for r in rows
             if r.get("kind") == "trainer" and r.get("size") == 64 and "img_per_s" in r}
    if not speeds:
        return {"measured": "not measured yet (`make benchmark`)", "met": None}
    best = max(speeds, key=speeds.get)
    met = speeds[best] >= TRAIN_SPEED_GOAL
    measured = f"{speeds[best]:.0f} img/s (training step, {best}; `make benchmark`)"
    if not loops:
        return {"measured": measured, "met": met}
    loop = max(loops, key=loops.get)
    measured += f"; the real training loop (Trainer: MSE + LPIPS, data): {loops[loop]:.0f} img/s ({loop})"
    if met and loops[loop] < TRAIN_SPEED_GOAL:  # a split verdict, said as such
        met = "met for the training step; **NOT met** for the training loop"
    return {"measured": measured, "met": met}


def _first_colour(row: dict) -> dict:
    """Notebook 13's "colour with a fresh clone" row, measured by ``benchmarks/bench_first_colour.py`` where it
    ran: the median seconds of each command from process start to the coloured file, against its goal."""
    b = _json(FIRST_COLOUR_BENCHMARK)
    if row.get("what") != FRESH_CLONE_ROW or not b:
        return row
    worst = max(r["median_s"] for r in b["rows"])
    timed = "; ".join(f"{r['command']} {r['median_s']:.1f} s" for r in b["rows"])
    return {**row, "goal": f"{row['goal']} (<= {b['goal_s']:.0f} s per photo)", "met": worst <= b["goal_s"],
            "measured": f"{row['measured']}; `colorlib colorize`, {b['megapixels']} MP photo, empty data cache, "
                        f"median of {b['reps']} new processes: {timed} ({b['machine']['cpu']}; "
                        "benchmarks/bench_first_colour.py)"}


def _kept_machine(folder: Path) -> str:
    """", on AMD EPYC (AVX2, ...; training in fp32)": the machine a kept report ran on, so the goals table says
    which CPU and precision differ from the committed report's ("" when not recorded)."""
    machine = agreement.machines(agreement.report_manifest(folder))
    return "" if machine == "not recorded" else f", on {machine}"


def block_goals() -> str:
    """The model issue's goals (issue 11) and issue 15's, each with what was measured: notebook 13's results, the
    benchmark, the report's timings and the stability runs' verdicts."""
    r = _json(REPORT / "results" / "13.json") or {}
    cold_run = (_json(REPORT / "timings.json") or {}).get("report", {}).get("cold", {})
    cold = cold_run.get("total")
    rows = [{"what": "training, final model, 64 px, this CPU", "today": "61-76 img/s (measured on another CPU)",
             "goal": f">= {TRAIN_SPEED_GOAL:.0f} img/s", **_speed_row()}]
    rows += [_first_colour(g) for g in r.get("goals") or []] or [
        {"what": "automatic mode, styles, shipped models", "today": "", "goal": "",
         "measured": "notebook 13 has not run yet", "met": None}]
    goal = _cold_goal(cold_run)
    rows.append({"what": "`make report` from empty caches", "today": "43 min (one seed)",
                 "goal": f"<= {_minutes(REPORT_GOALS['cold'])} for three seeds (issue 15; 60 min for one in issue 11)",
                 "measured": f"{_minutes(cold)} (the last cold run in report/timings.json: "
                             f"{_run_label(cold_run) if cold_run else '-'})",
                 "met": None if cold is None or "not measured" in goal else cold <= REPORT_GOALS["cold"]})
    for name, (folder, compared) in stability_comparisons().items():
        kept_run = not _seed_set(folder.name)  # a report kept from an earlier run, not a --stability seed set
        row = {"what": (f"verdicts of a report kept from an earlier run, seeds {name}{_kept_machine(folder)}, "
                        "against the committed report"
                        if kept_run else f"verdicts under seeds {name} against the committed seeds"), "today": "-",
               "goal": "every verdict identical (issue 15)"}
        if isinstance(compared, ValueError):
            rows.append({**row, "met": None, "measured": f"not compared: {compared}"})
            continue
        ids, same, _, one, apart = compared
        # a difference fails the goal; with none, claims not compared leave it undecided
        rows.append({**row, "met": False if len(same) < len(ids) else None if one or apart else True,
                     "measured": f"{len(same)} of {len(ids)} identical (report/stability.md)"
                                 + (f"; measured in one only: {', '.join(one)}" if one else "")
                                 + (f"; trained differently: {', '.join(apart)}" if apart else "")})
    if (pool := _json(REPORT / "seed_pool.json")) is not None:
        from colorlib import seedpool

        committed = seedpool.committed_set(REPORT)
        same, others = seedpool.others_agreeing(pool, seedpool.main_verdicts(REPORT), committed)
        rows.append({"what": "verdicts of every other triple of the nine pooled seeds, against the committed report",
                     "today": "-", "goal": "every verdict identical (issue 15)", "met": len(same) == len(others),
                     "measured": f"{len(same)} of {len(others)} triples identical (report/seed_pool.md)"})
        rows += _pair_rows(pool, "the seed pool", "report/seed_pool.md")
        for name, run in pool.get("cold_runs", {}).items():  # a cold report with more seeds, measured, not estimated
            rows.append({"what": f"`make report` from empty caches with {len(run['seeds'])} seeds (the seed pool's, "
                                 "not the committed report)", "today": "-",
                         "goal": f"<= {_minutes(REPORT_GOALS['cold'])} (issue 15)",
                         "met": run["seconds"] <= REPORT_GOALS["cold"],
                         "measured": f"{_minutes(run['seconds'])} (seeds {name.replace('-', ', ')}, an empty run cache, commit "
                                     f"{str(run['commit'])[:7]}, {run['jobs']} notebook(s) at a time; report/seed_pool.md)"})
    rows += _replica_rows()
    lines = ["| what | before (issue 11) | goal | measured here | met? |", "|---|---|---|---|---|"]
    for g in rows:
        met = ("not measured" if g.get("met") is None else g["met"] if isinstance(g["met"], str)
               else "met" if g["met"] else "**NOT met**")
        lines.append(f"| {g['what']} | {g['today']} | {g['goal']} | {str(g['measured']).replace('|', '/')} | {met} |")
    return "\n".join(lines)


def _pair_rows(pool: dict, where: str, page: str) -> list[dict]:
    """The stability run's question asked of every disjoint pair of a seed pool's reports, a row per seeds per
    report."""
    from colorlib import seedpool

    return [{"what": f"pairs of disjoint {r['size']}-seed reports of {where}", "today": "-",
             "goal": "every verdict identical in every pair (issue 15)", "met": r["agree"] == r["pairs"],
             "measured": f"{r['agree']} of {r['pairs']} pairs identical, {r['differ']:.2f} claims differ per pair, "
                         f"{r['flips']} flips ({page})"} for r in seedpool.sizes(pool)]


def _replica_rows() -> list[dict]:
    """Issue 15's goals asked of a second machine's seed pool (``colorlib.poolreplica``): its triples against the
    committed report (a clone elsewhere), and its disjoint pairs."""
    from colorlib import poolreplica, seedpool

    if (pool := _json(poolreplica.REPLICA_JSON)) is None:
        return []
    page, triples = f"report/{poolreplica.REPLICA_MD.name}", seedpool.triples_of(pool)
    same = seedpool.same_as(pool, seedpool.main_verdicts(REPORT))
    where = "the AMD EPYC's seed pool (fp32)"
    return [{"what": f"verdicts of each triple of {where}, against the committed report", "today": "-",
             "goal": "every verdict identical (issue 15)", "met": len(same) == len(triples),
             "measured": f"{len(same)} of {len(triples)} triples identical ({page})"},
            *_pair_rows(pool, where, page)]


# Predictions written in the README before a kept report of the committed seeds finished, checked here once it is
# kept: (1) no claim or part reverses, (2) at most "most_differ" claims differ, (3) all of them among "among",
# (4) where "minutes" is given, its cold run takes that long (the fp32 one's (4) is read off the timings table).
PREDICTIONS = (
    {"name": "fp32", "folder": "xeon-fp32-seeds-0-1-2", "most_differ": 4,  # commit d350da8
     "among": ("C2", "C4", "C7", "C8", "S2", "S7", "S10")},
    {"name": "AVX2", "folder": "amd-epyc-avx2-seeds-0-1-2", "most_differ": 4, "minutes": (75, 105),  # 2026-12-07
     "among": ("C2", "C4", "C7", "C8", "S2", "S4", "S7", "S10")},
    # another seed set on the same machine and precision, against that machine's report (not the committed one)
    {"name": "AVX2 seeds 3, 4, 5", "folder": "amd-epyc-avx2-seeds-3-4-5", "against": "amd-epyc-avx2-seeds-0-1-2",
     "most_differ": 3, "minutes": (100, 130), "among": ("C2", "C4", "C7", "C8", "C9", "S2", "S4", "S7", "S10")},
    # a third seed set there (2026-12-07, committed while its run was in notebook 02), against each of the other two
    *({"name": f"AVX2 seeds 6, 7, 8 (against {against})", "folder": "amd-epyc-avx2-seeds-6-7-8",
       "against": f"amd-epyc-avx2-seeds-{against}", "most_differ": 3, "minutes": (105, 140),
       "among": ("C2", "C4", "C7", "C8", "C9", "S2", "S4", "S7", "S10")} for against in ("0-1-2", "3-4-5")),
)


def block_recheck() -> str:
    """``colorlib.recheck`` run on every kept report with the committed seeds (the same seeds on another machine,
    thread count or precision), and each prediction checked against its report."""
    from colorlib import recheck

    lines, found_by = [], {}
    for folder in agreement.kept_reports(REPORT):
        if agreement.seeds_of(folder) != agreement.seeds_of(REPORT):
            continue
        try:
            found = found_by[folder.name] = recheck.compare(REPORT, folder)
        except ValueError as err:
            lines.append(f"- `{folder.name}/`: not compared ({err})")
            continue
        d = recheck.differing(found)
        same = len(found) - len(d[recheck.UNDECIDED]) - len(d[recheck.REVERSED])
        lines.append(f"- `{folder.name}/` ({agreement.machines(recheck.manifest_of(folder))}): {same} of {len(found)} "
                     f"claims identical; to or from inconclusive: {', '.join(d[recheck.UNDECIDED]) or 'none'}; "
                     f"reversed: {', '.join(d[recheck.REVERSED]) or 'none'} (parts reversed: "
                     f"{', '.join(d['parts reversed']) or 'none'})")
    for prediction in PREDICTIONS:
        found = found_by.get(prediction["folder"])
        if "against" in prediction:  # two seed sets of one machine: compared with each other
            pair = [REPORT / "stability" / prediction[k] for k in ("against", "folder")]
            found = recheck.compare(*pair, across_seeds=True) if all((p / "results").is_dir() for p in pair) else None
        lines += [""] + _prediction_outcome(prediction, found)
    return "\n".join(lines).strip()


def _cold_minutes(folder: str) -> float | None:
    """The cold run's minutes recorded in a kept report's timings.json (None when it has none)."""
    path = REPORT / "stability" / folder / "timings.json"
    cold = json.loads(path.read_text()).get("report", {}).get("cold", {}) if path.exists() else {}
    return cold["total"] / 60 if "total" in cold else None


def _prediction_outcome(prediction: dict, found: dict | None) -> list[str]:
    """A prediction's parts (1)-(4), held or not, once its report is kept."""
    from colorlib import recheck

    name, folder = prediction["name"], prediction["folder"]
    if found is None:
        return [f"The {name} prediction: `{folder}/` is not kept yet."]
    d = recheck.differing(found)
    differ = d[recheck.UNDECIDED] + d[recheck.REVERSED]
    outside = [cid for cid in differ if cid not in prediction["among"]]
    held = lambda ok: "**held**" if ok else "**did not hold**"
    time = "the timings table above"
    if "minutes" in prediction:
        lo, hi = prediction["minutes"]
        took = _cold_minutes(folder)
        time = (f"between {lo} and {hi} min: " + ("not recorded" if took is None else
                                                  f"{took:.1f} min, {held(lo <= took <= hi)}"))
    against = f" (against `{prediction['against']}/`)" if "against" in prediction else ""
    return [f"The {name} prediction{against}, checked:",
            f"(1) no claim or part reverses: {held(not d[recheck.REVERSED] and not d['parts reversed'])}; "
            f"(2) at most {prediction['most_differ']} claims differ: {len(differ)} "
            f"({', '.join(differ) or 'none'}), {held(len(differ) <= prediction['most_differ'])}; "
            f"(3) all among {', '.join(prediction['among'])}: "
            f"{held(not outside)}{' (outside: ' + ', '.join(outside) + ')' if outside else ''}; "
            f"(4) its time: {time}."]


BLOCKS = {"profiles": block_profiles, "timings": block_timings, "paper_mini": block_paper_mini,
          "paper_plan": block_paper_plan,
          "stability": block_stability, "seed_pool": block_seed_pool, "seed_budget": block_seed_budget, "strictness": block_strictness,
          "pool_replica": block_pool_replica, "video": block_video, "precision": block_precision,
          "parallel": block_parallel,
          "data": block_data, "claims": block_claims, "goals": block_goals, "benchmark": block_benchmark,
          "comparison": block_comparison, "recheck": block_recheck}


def update(path: Path = README) -> bool:
    """Rewrite every generated block of ``path``; True if the file changed."""
    text = path.read_text()
    new = text
    for name, build in BLOCKS.items():
        pattern = re.compile(rf"(<!-- generated:{name} -->).*?(<!-- /generated:{name} -->)", re.S)
        new = pattern.sub(lambda m, b=build: m.group(1) + "\n" + b() + "\n" + m.group(2), new)
    if new != text:
        files.write_text(path, new)
    return new != text


if __name__ == "__main__":
    print("README.md updated" if update() else "README.md already up to date")
    sys.exit(0)

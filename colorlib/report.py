"""Regenerate the report: run the numbered notebooks in order with papermill under a profile.

    python -m colorlib.report [--profile report] [--only 03 [--only 05]] [--retrain] [--list]

Executed copies go to ``report/NN_name.ipynb`` (kept, partial output included, when a notebook fails), every
figure a notebook writes is recorded in ``figures/manifest.json`` (notebook, profile, parameters, git commit,
date), and ``report/claims.md`` tabulates the original study's claims against our measurements, read from the
notebooks' ``report/results/NN.json`` (``colorlib.claims``). Training goes through the run cache, so a re-run is fast.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from colorlib import claims, files, profiles
from colorlib.paths import REPO_DIR, cache_dir, figures_dir, report_dir

NOTEBOOKS_DIR = REPO_DIR / "notebooks"


def notebooks(only: list[str] | None = None) -> list[Path]:
    found = sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))
    if only:
        wanted = {o.zfill(2) for o in only}
        unknown = wanted - {p.name[:2] for p in found}
        if unknown:
            raise SystemExit(f"no notebook numbered {', '.join(sorted(unknown))} in {NOTEBOOKS_DIR}")
        found = [p for p in found if p.name[:2] in wanted]
    return found


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_DIR, capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "colorlib", "notebooks"], cwd=REPO_DIR,
                               capture_output=True, text=True).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _snapshot(folder: Path) -> dict[str, float]:
    return {p.name: p.stat().st_mtime for p in folder.glob("*") if p.suffix in (".png", ".svg", ".pdf")}


def run_notebook(path: Path, params: dict, out_dir: Path) -> Path:
    """Execute one notebook with papermill; raises papermill's error after saving the partial output."""
    import papermill

    output = out_dir / path.name
    papermill.execute_notebook(str(path), str(output), parameters=params, cwd=str(path.parent),
                               progress_bar=sys.stderr.isatty(), log_output=False, kernel_name="python3")
    return output


def write_manifest(entries: dict[str, dict]) -> Path:
    path = figures_dir() / "manifest.json"
    manifest = json.loads(path.read_text()) if path.exists() else {}
    manifest.update(entries)
    # Forget figures that no longer exist.
    manifest = {k: v for k, v in sorted(manifest.items()) if (figures_dir() / k).exists()}
    files.write_json(path, manifest, indent=2, sort_keys=True)
    return path


def cache_snapshot() -> dict[str, set]:
    """The finished training runs and the cached measurements (of the current code) present now."""
    from colorlib import evalcache

    return {"runs": {p.parent.name for p in (cache_dir() / "runs").glob("*/done.json")},
            "evals": {p.name for p in evalcache.entries_dir().glob("*.json")}}


def cache_state(before: dict[str, set], after: dict[str, set], retrain: bool = False) -> str:
    """How a run's time is recorded in ``timings.json``, judged by what the run added to the caches: "cold" (it
    started from an empty run cache, or ``--retrain``), "warm" (it trained nothing and measured nothing anew:
    everything came from the caches) or "partial" (anything in between, or the evaluation cache off)."""
    from colorlib import evalcache

    if retrain or not before["runs"]:
        return "cold"
    if after["runs"] - before["runs"] or after["evals"] - before["evals"] or not evalcache.enabled():
        return "partial"
    return "warm"


def _run_all(todo: list[Path], params: dict, commit: str) -> tuple[int, dict, dict]:
    """Run the notebooks in order (stopping at the first failure); returns (exit status, seconds per notebook,
    manifest entries of the figures each one wrote)."""
    out_dir = report_dir()
    times: dict = {}
    entries: dict[str, dict] = {}
    for i, path in enumerate(todo, 1):
        print(f"[{i}/{len(todo)}] {path.name} (profile {params['profile']}) ...", flush=True)
        before = _snapshot(figures_dir())
        t0 = time.perf_counter()
        try:
            run_notebook(path, params, out_dir)
        except Exception as err:  # papermill raises PapermillExecutionError with the cell's traceback
            print(f"\nFAILED: notebook {path.name} stopped with {type(err).__name__}: "
                  f"{str(err).strip().splitlines()[-1] if str(err).strip() else ''}\n"
                  f"partial output kept in {out_dir / path.name}", file=sys.stderr)
            return 1, times, entries
        seconds = time.perf_counter() - t0
        times[path.stem] = round(seconds, 1)
        now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        for name, mtime in _snapshot(figures_dir()).items():
            if before.get(name) != mtime:
                entries[name] = {"notebook": path.name, "profile": params["profile"], "parameters": params,
                                 "git_commit": commit, "date": now}
        print(f"    done in {seconds:.0f} s", flush=True)
    return 0, times, entries


def record_timings(profile: str, state: str, times: dict, total: float) -> None:
    """Add a complete run's times to ``report/timings.json`` under its profile and cache state."""
    path = report_dir() / "timings.json"
    timings = json.loads(path.read_text()) if path.exists() else {}
    times = {**times, "total": round(total, 1),
             "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
             "load_average": round(os.getloadavg()[0], 2)}  # other processes sharing the CPU inflate times
    timings.setdefault(profile, {})[state] = times
    files.write_json(path, timings, indent=2, sort_keys=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m colorlib.report", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="report", choices=profiles.names())
    parser.add_argument("--only", action="append", metavar="NN", help="run only this notebook (repeatable)")
    parser.add_argument("--retrain", action="store_true", help="ignore the run cache and train again")
    parser.add_argument("--list", action="store_true", help="list the notebooks and exit")
    args = parser.parse_args(argv)

    todo = notebooks(args.only)
    if args.list:
        print("\n".join(p.name for p in todo))
        return 0
    if not todo:
        print(f"no notebooks found in {NOTEBOOKS_DIR}")
        return 0
    params = {"profile": args.profile, "retrain": bool(args.retrain)}
    caches_before = cache_snapshot()
    started = time.perf_counter()
    status, times, entries = _run_all(todo, params, git_commit())
    total = time.perf_counter() - started
    if status == 0 and not args.only:  # only complete runs are timed (--only runs are partial)
        record_timings(args.profile, cache_state(caches_before, cache_snapshot(), args.retrain), times, total)
    write_manifest(entries)
    claims_path = claims.write_claims(args.profile)
    if args.profile == "report" and report_dir().resolve() == (REPO_DIR / "report").resolve():
        from colorlib import readme

        if readme.update():
            print("README.md's generated blocks updated")
    print(f"{len(entries)} figure(s) recorded in {figures_dir() / 'manifest.json'}; claims in {claims_path}; "
          f"total {total:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())

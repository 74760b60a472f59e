"""colorlib.agreement: two reports' verdicts compared, the one verdict over every report kept, and the stability
table (report/stability.md) that sets them side by side."""
from __future__ import annotations

import json

import numpy as np
import pytest

from claims_fixture import claim_entry
from colorlib import agreement, claims, results


def test_stability_refuses_a_result_the_correction_could_change(tmp_path, monkeypatch):
    """A claim recorded before the correction with a refuted "best" part may read differently under it: the
    stability table asks for a re-run instead of comparing. Without such a part the old verdict stands."""
    old_best = {"name": "x best", "versus": {}, "verdict": "not reproduced"}
    main, other = tmp_path / "main", tmp_path / "other"
    for folder, seeds in ((main, [0, 1, 2]), (other, [3, 4, 5])):
        monkeypatch.setenv("COLORLIB_REPORT", str(folder))
        results.save("05", {"seeds": seeds, "claims": {"C7": {"verdict": "not reproduced", "parts": [old_best]}}})
    with pytest.raises(ValueError, match="C7 in main/ were recorded before the correction"):
        agreement.write_stability(main, other)
    for folder in (main, other):
        monkeypatch.setenv("COLORLIB_REPORT", str(folder))
        results.save("05", {"seeds": [0], "claims": {"C7": {"verdict": "inconclusive",
                                                             "parts": [{**old_best, "verdict": "inconclusive"}]}}})
    assert "**1 of 1 verdicts are identical**" in agreement.write_stability(main, other).read_text()


def test_stability_table_counts_identical_verdicts(tmp_path, monkeypatch):
    main, other = tmp_path / "main", tmp_path / "other"
    for folder, c2 in ((main, "reproduced"), (other, "inconclusive")):
        monkeypatch.setenv("COLORLIB_REPORT", str(folder))
        results.save("02", {"seeds": [0, 1, 2] if folder == main else [3, 4, 5], "claims": {"C1": claim_entry("reproduced")}})
        results.save("03", {"seeds": [0, 1, 2] if folder == main else [3, 4, 5], "claims": {"C2": claim_entry(c2)}})
    text = agreement.write_stability(main, other).read_text()
    assert "**1 of 2 verdicts are identical** (seeds 0, 1, 2 vs 3, 4, 5)" in text
    assert "| C1 | reproduced | reproduced | yes |" in text and "| C2 | reproduced | inconclusive | **no** |" in text
    # With the figures manifests, the table says which machine produced each seed set.
    zen3 = {"cpu": "AMD EPYC", "cpu_capability": "AVX2", "cpus": 2, "torch": "2.13.0+cpu", "cuda": None}
    (tmp_path / "m.json").write_text(json.dumps({"a.png": {"machine": zen3}, "b.png": {"machine": zen3}}))
    text = agreement.write_stability(main, other, tmp_path / "m.json", tmp_path / "absent.json").read_text()
    assert ("Machines: seeds 0, 1, 2 on AMD EPYC (AVX2, 2 cores, torch 2.13.0+cpu; training in fp32); "
            "seeds 3, 4, 5 on not recorded.") in text
    zen4 = {**zen3, "cpu_capability": "AVX512"}
    (tmp_path / "m4.json").write_text(json.dumps({"a.png": {"machine": zen4, "precision": "bf16"}}))
    text = agreement.write_stability(main, other, tmp_path / "m4.json", tmp_path / "m.json").read_text()
    assert "seeds 0, 1, 2 on AMD EPYC (AVX512, 2 cores, torch 2.13.0+cpu; training in bf16); seeds 3, 4, 5" in text


def test_machines_reads_a_stability_folders_timings(tmp_path):
    """A stability folder commits timings.json, not its figures manifest: the machine line comes from it."""
    zen4 = {"cpu": "AMD EPYC", "cpu_capability": "AVX512", "cpus": 2, "torch": "2.13.0+cpu", "cuda": None}
    path = tmp_path / "timings.json"
    path.write_text(json.dumps({"report": {"cold": {"total": 1.0, "machine": zen4},
                                           "warm": {"total": 1.0, "machine": zen4, "precision": "bf16"}}}))
    assert agreement.machines(path) == ("AMD EPYC (AVX512, 2 cores, torch 2.13.0+cpu; training in bf16); "
                                     "AMD EPYC (AVX512, 2 cores, torch 2.13.0+cpu; training in fp32)")
    assert agreement.machines(tmp_path / "absent.json") == "not recorded"
    path.write_text(json.dumps({"report": {"cold": {"total": 1.0, "machine": zen4, "precision": "bf16", "threads": 1},
                                           "warm": {"total": 1.0, "machine": zen4, "threads": None}}}))
    assert agreement.machines(path) == ("AMD EPYC (AVX512, 2 cores, torch 2.13.0+cpu; training in bf16, 1 thread per run); "
                                     "AMD EPYC (AVX512, 2 cores, torch 2.13.0+cpu; training in fp32, torch's default "
                                     "threads per run)")


def test_stability_table_shows_the_transfer_of_each_seed_when_measured(tmp_path, monkeypatch):
    main, other = tmp_path / "main", tmp_path / "other"
    for folder in (main, other):
        monkeypatch.setenv("COLORLIB_REPORT", str(folder))
        results.save("02", {"seeds": [0], "claims": {"C1": claim_entry("reproduced")}})
    assert "seed by seed" not in agreement.write_stability(main, other).read_text()
    rows = [{"seed": s, "precision": "bf16", "key": f"k{s}", "transfer": t, "ssim_l": 0.85, "style_effect": 0.1}
            for s, t in ((0, 0.43), (1, 0.41), (5, 0.14))]
    (main / "stability").mkdir()
    (main / "stability" / "transfer_by_seed.json").write_text(json.dumps(
        {"machine": {"cpu": "Some CPU", "torch": "2.13.0+cpu"}, "n_photos": 25, "n_paintings": 29, "rows": rows}))
    text = agreement.write_stability(main, other).read_text()
    assert "## The final model's transfer strength, seed by seed" in text and "on Some CPU (torch 2.13.0+cpu)" in text
    assert "Median 0.410, range 0.140 to 0.430 over 3 seeds." in text and "| 5 | bf16 | k5 | 0.140 | 0.850 | 0.100 | - |" in text
    rows[0].update(best_val=0.0209, best_epoch=27, epochs=30)
    (main / "stability" / "transfer_by_seed.json").write_text(json.dumps(
        {"machine": {"cpu": "Some CPU", "torch": "2.13.0+cpu"}, "n_photos": 25, "n_paintings": 29, "rows": rows}))
    assert "| 0 | bf16 | k0 | 0.430 | 0.850 | 0.100 | 0.0209 (27 of 30) |" in agreement.write_stability(main, other).read_text()
    assert "UNet baseline without" not in agreement.write_stability(main, other).read_text()
    (main / "stability" / "transfer_by_seed.json").write_text(json.dumps(
        {"machine": {"cpu": "Some CPU", "torch": "2.13.0+cpu"}, "n_photos": 25, "n_paintings": 29, "rows": rows,
         "unet": [{"seed": 0, "key": "u0", "best_val": 0.0309, "best_epoch": 30}]}))
    assert ("UNet baseline without any style input (notebook 02), best validation loss: seed 0 0.0309."
            in agreement.write_stability(main, other).read_text())


def _by_seed(folder, name, cpu, transfers, per_painting=None):
    rows = [{"seed": s, "precision": "bf16", "key": f"{cpu[:3].lower()}{s:013d}", "transfer": t, "ssim_l": 0.85,
             "style_effect": 0.1, "epochs": 30, **({"transfer_per_painting": per_painting[s]} if per_painting else {})}
            for s, t in transfers.items()]
    (folder / "stability").mkdir(exist_ok=True)
    (folder / "stability" / name).write_text(json.dumps(
        {"machine": {"cpu": cpu, "torch": "2.13.0+cpu"}, "n_photos": 25, "n_paintings": 3, "rows": rows}))


def test_stability_table_sets_machines_side_by_side_and_gives_c4_transfer_per_seed_set(tmp_path, monkeypatch):
    main, other = tmp_path / "main", tmp_path / "other"
    c4 = lambda seeds: {"seeds": seeds, "claims": {"C4": {**claim_entry("reproduced"), "parts": [
        claims.part("transfer (final)", claims.Interval(0.4, 0.3, 0.5, 3, 29), ">", 0.05)]}}}
    for folder, seeds in ((main, [0, 1, 2]), (other, [3, 4, 5])):
        monkeypatch.setenv("COLORLIB_REPORT", str(folder))
        results.save("05", c4(seeds))
    _by_seed(main, "transfer_by_seed.json", "Intel CPU", {0: 0.43, 1: 0.44, 2: 0.41, 3: 0.41, 4: 0.42, 5: 0.14})
    # the same runs elsewhere: seed 2 never learned; per-painting values give the notebook's interval
    amd = {0: 0.40, 1: 0.26, 2: 0.04, 3: 0.35, 4: 0.27, 5: 0.38}
    rng = np.random.default_rng(0)
    per = {s: (t + rng.normal(0, 0.01, 3)).tolist() for s, t in amd.items()}
    _by_seed(main, "transfer_by_seed_amd.json", "AMD CPU", amd, per)
    text = agreement.write_stability(main, other).read_text()
    # the first record first, each record with its own table, then the seeds side by side
    assert text.index("`transfer_by_seed.json`") < text.index("`transfer_by_seed_amd.json`")
    assert "| seed | Intel CPU, bf16, 30 epochs | AMD CPU, bf16, 30 epochs |" in text
    assert "| 2 | 0.410 (int00000) | 0.040 (amd00000) |" in text
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    intel, amd_line = lines
    # Intel's seeds 0-2 agree closely (reproduced); its 3-5 include the weak seed 5; AMD's 0-2 include seed 2
    assert intel.startswith("- Intel CPU, bf16, 30 epochs: seeds 0, 1, 2: ") and "(over seeds only), reproduced;" in intel
    assert intel.endswith("inconclusive")
    assert "seeds 0, 1, 2: " in amd_line and "over seeds only" not in amd_line
    expected = claims.part("transfer (final)", claims.interval([per[s] for s in (0, 1, 2)]), ">", 0.05)
    assert f"seeds 0, 1, 2: {expected['text']}, {expected['verdict']}" in amd_line
    assert expected["verdict"] == "inconclusive"
    # a seed a record lacks gives no verdict for that seed set
    _by_seed(main, "transfer_by_seed_amd.json", "AMD CPU", {0: 0.4, 1: 0.26, 2: 0.04})
    amd_line = next(line for line in agreement.write_stability(main, other).read_text().splitlines()
                    if line.startswith("- AMD CPU"))
    assert "seeds 0, 1, 2: " in amd_line and "seeds 3, 4, 5" not in amd_line
    # a record of another initialisation says so in its label
    record = {"machine": {"cpu": "AMD CPU"}, "rows": [{"precision": "bf16", "epochs": 30, "style_init": "he"}]}
    assert agreement.record_label(record) == "AMD CPU, bf16, 30 epochs, style encoder init he"
    assert agreement.record_label({**record, "rows": [{"precision": "bf16", "epochs": 60}]}) == "AMD CPU, bf16, 60 epochs"
    # a record of another configuration is named, and C4 (about the final model) is not computed from it
    other_model = {**record, "experiment": "latent128", "rows": [{"seed": s, "transfer": 0.3, "precision": "bf16",
                                                                  "epochs": 30} for s in (0, 1, 2)]}
    assert agreement.record_label(other_model) == "latent128, AMD CPU, bf16, 30 epochs"
    test = {"name": "transfer (final)", "test": ">", "threshold": 0.05}
    assert agreement.by_seed_verdict(other_model, [0, 1, 2], test) is None
    assert agreement.by_seed_verdict({**other_model, "experiment": "final"}, [0, 1, 2], test)["verdict"] == "reproduced"


def test_stability_does_not_compare_seed_sets_whose_adain_runs_started_otherwise(tmp_path, monkeypatch):
    """Seed sets trained with different inits of the style encoder (experiments.STYLE_INIT) differ in code, not
    seeds: the table says so instead of counting verdicts, and the README's line says "not compared"."""
    main, other = tmp_path / "main", tmp_path / "other"
    unet = {"key": "u", "tag": "unet", "model": {"adain": False, "style_init": "default"}}
    for folder, seeds, final in ((main, [0, 1, 2], {"adain": True, "style_init": "he"}), (other, [3, 4, 5], {"adain": True})):
        monkeypatch.setenv("COLORLIB_REPORT", str(folder))
        results.save("03", {"seeds": seeds, "claims": {"C2": claim_entry("inconclusive")},
                            "runs": {"final": [{"key": f"f{seeds[0]}", "tag": "final", "model": final}], "unet": [unet]}})
    assert agreement.style_inits(main) == {"final": "he"} and agreement.style_inits(other) == {"final": "default"}
    with pytest.raises(agreement.DifferentCode, match="final started with init he in main/ and default in other/"):
        agreement.compare_verdicts(main, other)
    text = agreement.write_stability(main, other).read_text()
    assert "**Not compared**" in text and "verdicts are identical" not in text and "default-init.md" not in text
    (main / "stability").mkdir()
    (main / "stability" / "default-init.md").write_text("# the earlier comparison\n")
    assert "[stability/default-init.md](stability/default-init.md)" in agreement.write_stability(main, other).read_text()
    monkeypatch.setenv("COLORLIB_REPORT", str(other))  # the same init in both: compared as before
    results.save("03", {"seeds": [3, 4, 5], "claims": {"C2": claim_entry("inconclusive")},
                        "runs": {"final": [{"key": "f3", "tag": "final", "model": {"adain": True, "style_init": "he"}}]}})
    assert "**1 of 1 verdicts are identical**" in agreement.write_stability(main, other).read_text()


def test_stability_table_sets_a_report_kept_from_another_machine_beside_the_main_one(tmp_path, monkeypatch):
    """A report kept under report/stability/ (the same seeds from another CPU, say) gets its own count of
    identical verdicts against the main report's and a column of its verdicts; the README names it by its folder."""
    from colorlib import readme

    main = tmp_path / "report"
    other, kept = main / "stability" / "seeds-3-4-5", main / "stability" / "amd-seeds-0-1-2"
    for folder, seeds, c2 in ((main, [0, 1, 2], "reproduced"), (other, [3, 4, 5], "reproduced"),
                              (kept, [0, 1, 2], "inconclusive")):
        monkeypatch.setenv("COLORLIB_REPORT", str(folder))
        results.save("02", {"seeds": seeds, "claims": {"C1": claim_entry("reproduced")}})
        results.save("03", {"seeds": seeds, "claims": {"C2": claim_entry(c2)}})
    zen4 = {"cpu": "AMD EPYC", "cpu_capability": "AVX512", "cpus": 2, "torch": "2.13.0+cpu", "cuda": None}
    (kept / "timings.json").write_text(json.dumps({"report": {"cold": {"total": 1.0, "machine": zen4,
                                                                       "precision": "bf16"}}}))
    assert agreement.kept_reports(main) == [kept, other] and agreement.kept_reports(main, but=other) == [kept]
    assert agreement.report_manifest(kept) == kept / "timings.json"
    text = agreement.write_stability(main, other, kept=[(k, agreement.report_manifest(k))
                                                     for k in agreement.kept_reports(main, but=other)]).read_text()
    assert "**2 of 2 verdicts are identical** (seeds 0, 1, 2 vs 3, 4, 5)" in text
    assert ("- `stability/amd-seeds-0-1-2/`, seeds 0, 1, 2 on AMD EPYC (AVX512, 2 cores, torch 2.13.0+cpu; training "
            "in bf16): **1 of 2 verdicts identical**; different: C2") in text
    assert "| claim | main report | `stability/amd-seeds-0-1-2/` |" in text
    assert "| C2 | reproduced | inconclusive |" in text
    assert "## Further reports kept beside it" not in agreement.write_stability(main, other).read_text()
    monkeypatch.setattr(readme, "REPORT", main)
    block = readme.block_stability()
    assert "Seeds 0, 1, 2 (`amd-seeds-0-1-2/`) against the committed report: **1 of 2 verdicts identical**" in block
    assert ("| verdicts of a report kept from an earlier run, seeds 0, 1, 2 (`amd-seeds-0-1-2/`), on AMD EPYC (AVX512, "
            "2 cores, torch 2.13.0+cpu; training in bf16), against the committed report | - | every verdict identical "
            "(issue 15) | 1 of 2 identical") in readme.block_goals()
    assert "Seeds 3, 4, 5 against the committed report: **2 of 2 verdicts identical**" in block


def test_stability_counts_only_claims_both_seed_sets_measured(tmp_path, monkeypatch):
    """A stability run stopped before its last notebooks: the claims it did not reach are named, not counted as
    differing; the README's goal row leaves the goal undecided until they are measured, and fails it on a
    difference."""
    from colorlib import readme

    main = tmp_path / "report"
    other = main / "stability" / "seeds-3-4-5"
    for folder, seeds in ((main, [0, 1, 2]), (other, [3, 4, 5])):
        monkeypatch.setenv("COLORLIB_REPORT", str(folder))
        results.save("02", {"seeds": seeds, "claims": {"C1": claim_entry("reproduced")}})
    monkeypatch.setenv("COLORLIB_REPORT", str(main))
    results.save("13", {"seeds": [0, 1, 2], "claims": {"S10": claim_entry("reproduced")}})
    assert agreement.compare_verdicts(main, other) == (["C1"], ["C1"]) and agreement.measured_in_one(main, other) == ["S10"]
    text = agreement.write_stability(main, other).read_text()
    assert "**1 of 1 verdicts are identical** (seeds 0, 1, 2 vs 3, 4, 5)" in text
    assert "Measured under one seed set only: S10." in text and "| S10 | reproduced | not measured | - |" in text
    monkeypatch.setattr(readme, "REPORT", main)
    assert "1 of 1 identical (report/stability.md); measured in one only: S10 | not measured |" in readme.block_goals()
    assert "; measured in one of the two only: S10" in readme.block_stability()
    monkeypatch.setenv("COLORLIB_REPORT", str(other))
    results.save("02", {"seeds": [3, 4, 5], "claims": {"C1": claim_entry("inconclusive")}})
    assert "0 of 1 identical (report/stability.md); measured in one only: S10 | **NOT met** |" in readme.block_goals()


def test_stability_does_not_count_claims_whose_notebook_trained_otherwise(tmp_path, monkeypatch):
    """Notebook 13 once trained its improved models for the first seed only: against a report that trains them
    for every seed, its verdicts compare designs, not seeds. They are named and left out of the count."""
    from colorlib import readme

    main = tmp_path / "report"
    other = main / "stability" / "seeds-3-4-5"
    run = lambda tag, seed: {"key": f"{tag}{seed}", "tag": tag}
    for folder, seeds, improved in ((main, [0, 1, 2], [0]), (other, [3, 4, 5], [3, 4, 5])):
        monkeypatch.setenv("COLORLIB_REPORT", str(folder))
        results.save("02", {"seeds": seeds, "claims": {"C1": claim_entry("reproduced")},
                            "runs": {"unet": [run("unet", s) for s in seeds]}})
        results.save("13", {"seeds": seeds, "claims": {"S10": claim_entry("reproduced"), "S8": claim_entry("reproduced")},
                            "runs": {"unet": [run("unet", s) for s in seeds],
                                     "improved_lab": [run("improved_lab", s) for s in improved]}})
    assert agreement.runs_recorded(main)["13"] == {"unet": 3, "improved_lab": 1}
    why = "notebook 13 trained improved_lab 1 time(s) in report/ and 3 in seeds-3-4-5/"
    assert agreement.trained_differently(main, other) == {"S8": why, "S10": why}
    assert agreement.compare_verdicts(main, other) == (["C1"], ["C1"]) and agreement.measured_in_one(main, other) == []
    text = agreement.write_stability(main, other).read_text()
    assert "**1 of 1 verdicts are identical**" in text and f"Not compared, trained differently: S8, S10 ({why})." in text
    assert "| S10 | reproduced | reproduced | - |" in text
    monkeypatch.setattr(readme, "REPORT", main)
    assert "1 of 1 identical (report/stability.md); trained differently: S8, S10 | not measured |" in readme.block_goals()
    assert "; not compared, trained differently: S8, S10" in readme.block_stability()


def test_comparison_reads_each_report_once(tmp_path, monkeypatch):
    """``agreement.comparison`` looks at two reports from several sides (verdicts, runs, seeds): it reads each
    results file once, and gives the same answer from snapshots (``read_results``) as from the folders."""
    from pathlib import Path

    main = tmp_path / "report"
    other = main / "stability" / "seeds-3-4-5"
    for folder, seeds, verdict in ((main, [0, 1, 2], "reproduced"), (other, [3, 4, 5], "inconclusive")):
        monkeypatch.setenv("COLORLIB_REPORT", str(folder))
        results.save("02", {"seeds": seeds, "claims": {"C1": claim_entry(verdict), "C2": claim_entry("reproduced")}})
    reads = []
    real = Path.read_text
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: reads.append(self.name) or real(self, *a, **k))
    found = agreement.comparison(main, other)
    assert found == {"seeds": "3, 4, 5", "ids": ["C1", "C2"], "same": ["C2"], "same_first": ["C2"], "one": [],
                     "apart": []}
    assert reads == ["02.json", "02.json"]  # one file in each of the two reports
    snapshots = agreement.read_results(main), agreement.read_results(other)
    reads.clear()
    assert agreement.comparison(*snapshots) == found and reads == []


def _claim_of(*part_verdicts: str) -> dict:
    """A claim entry whose parts "a", "b", ... have these verdicts."""
    tests = {"reproduced": ">", "not reproduced": "<", "inconclusive": "<"}
    ivs = {"reproduced": claims.Interval(1.0, 0.5, 1.5, 3), "not reproduced": claims.Interval(1.0, 0.5, 1.5, 3),
           "inconclusive": claims.Interval(0.0, -1.0, 1.0, 3)}
    parts = [claims.part(name, ivs[v], tests[v]) for name, v in zip("abcd", part_verdicts)]
    assert [p["verdict"] for p in parts] == list(part_verdicts)
    return claims.claim(parts, "x")


def test_agreement_is_part_by_part():
    """``agreement.agreed``: the verdict every report supports, part by part; two "partly" verdicts that rest on
    different parts are inconclusive, and so is "reproduced" against "partly"."""
    r, n = "reproduced", "not reproduced"
    assert agreement.agreed([_claim_of(r, r), _claim_of(r, r)]) == "reproduced"
    assert agreement.agreed([_claim_of(r, n), _claim_of(r, n)]) == "partly"
    assert agreement.agreed([_claim_of(r, n), _claim_of(n, r)]) == "inconclusive"
    assert agreement.agreed([_claim_of(r, r), _claim_of(r, n)]) == "inconclusive"
    assert agreement.agreed([_claim_of(n, n), _claim_of(n, "inconclusive")]) == "not reproduced"  # b: undecided
    assert agreement.agreed([_claim_of(r), {"verdict": "reproduced", "parts": []}]) == "reproduced"
    with pytest.raises(ValueError):
        agreement.agreed([])


def test_a_claim_keeps_its_verdict_across_reports_only_where_all_agree(tmp_path, monkeypatch):
    """``verdicts_across`` leaves out a report for the claims its notebook trained otherwise or ran under another
    profile, and a whole report that cannot be compared (another init), saying why; a kept folder named like
    the main one does not hide the main report's verdict; the README's claims table and stability.md show it."""
    from colorlib import readme

    main = tmp_path / "report"
    stab = main / "stability"
    other, amd, same_name, smoke = (stab / n for n in ("seeds-3-4-5", "amd-epyc-seeds-0-1-2", "report", "smoke-run"))
    run = lambda tag, seed, init="he": {"key": f"{tag}{seed}", "tag": tag, "model": {"adain": True, "style_init": init}}
    for folder, seeds, c7, improved, profile, init in (
            (main, [0, 1, 2], "inconclusive", [0, 1, 2], "report", "he"),
            (other, [3, 4, 5], "not reproduced", [3, 4, 5], "report", "he"),
            (amd, [0, 1, 2], "inconclusive", [0], "report", "he"),
            (same_name, [0, 1, 2], "not reproduced", [0, 1, 2], "report", "default"),
            (smoke, [0], "not reproduced", [0], "smoke", "he")):
        monkeypatch.setenv("COLORLIB_REPORT", str(folder))
        results.save("05", {"seeds": seeds, "profile": profile, "runs": {"final": [run("final", 0, init)]},
                            "claims": {"C7": _claim_of(c7), "C3": _claim_of("not reproduced")}})
        results.save("13", {"seeds": seeds, "profile": profile, "claims": {"S10": _claim_of("reproduced")},
                            "runs": {"improved_lab": [run("improved_lab", s) for s in improved]}})
    across = agreement.verdicts_across(main, agreement.kept_reports(main))
    verdicts = {cid: {label: e["verdict"] for label, e in found.items()} for cid, found in across["claims"].items()}
    assert verdicts["C7"] == {"main": "inconclusive", "stability/amd-epyc-seeds-0-1-2": "inconclusive",
                              "stability/seeds-3-4-5": "not reproduced"}
    assert verdicts["S10"] == {"main": "reproduced", "stability/seeds-3-4-5": "reproduced"}  # the AMD one trained once
    assert set(across["left_out"]) == {"stability/amd-epyc-seeds-0-1-2", "stability/report", "stability/smoke-run"}
    assert "another profile" in across["left_out"]["stability/smoke-run"]
    assert "init" in across["left_out"]["stability/report"]
    assert agreement.across_text("C3", across) == "**not reproduced** (3 of 3 reports agree)"
    assert agreement.across_text("C7", across) == ("inconclusive (they differ: main inconclusive; "
                                                "stability/amd-epyc-seeds-0-1-2 inconclusive; stability/seeds-3-4-5 "
                                                "**not reproduced**)")
    main_only = agreement.verdicts_across(main)
    assert agreement.across_text("C3", main_only) == "not measured the same way in another report"
    monkeypatch.setattr(readme, "REPORT", main)
    block = readme.block_claims()
    assert "| **not reproduced** (3 of 3 reports agree) |" in block and "Left out here: " in block
    assert "`stability/report/` (the style encoder of final started with init he in report/ and default" in block
    text = agreement.write_stability(main, other, kept=[(amd, agreement.report_manifest(amd))]).read_text()
    assert "| C7 | inconclusive | **not reproduced** | **no** | inconclusive (they differ: " in text
    assert "| C3 | **not reproduced** | **not reproduced** | yes | **not reproduced** (3 of 3 reports agree) |" in text
    # the parts behind a difference, report by report; none for claims every report agrees on
    differ = text.split("## Where the verdicts differ: the parts, report by report")[1].split("##")[0]
    assert "- C7, a (< 0): main inconclusive, 0.0 [-1.0, 1.0]; stability/seeds-3-4-5 **not reproduced**, " \
           "1.0 [0.5, 1.5]; stability/amd-epyc-seeds-0-1-2 inconclusive, 0.0 [-1.0, 1.0]" in differ
    assert "C3" not in differ and "S10" not in differ
    # every pair, not only against the main report: S10 is left out against the AMD folder (trained otherwise)
    assert "| | `seeds-3-4-5/` | `amd-epyc-seeds-0-1-2/` |\n|---|---|---|\n| main | 2 / 3 | 2 / 2 |\n" \
           "| `seeds-3-4-5/` |  | 1 / 2 |" in text
    assert agreement.pair_counts([main, other, same_name])[0, 2] is None  # another init: not compared
    line = next(x for x in readme.block_stability().splitlines() if x.startswith("Every pair of the"))
    assert line.startswith("Every pair of the 5 reports, not only against the committed one: every verdict identical "
                           "in ") and "the committed report and `amd-epyc-seeds-0-1-2/` (2 of 2)" in line


def test_stability_says_whether_centres_or_widths_move_only_from_the_numbers():
    """``_estimates_and_widths``: the medians over parts, and the reading "centres move little, widths a lot"
    only when they show it."""
    def across(intervals):
        entries = {f"r{i}": {"verdict": "inconclusive", "parts": [claims.part("a", iv, ">")]}
                   for i, iv in enumerate(intervals)}
        return {"claims": {"C1": entries}, "left_out": {}}

    widths_move = across([claims.Interval(1.0, 0.0, 2.0, 3), claims.Interval(1.0, 0.5, 1.5, 3),
                          claims.Interval(1.1, -1.9, 4.1, 3)])
    text = " ".join(agreement._estimates_and_widths(widths_move))
    assert "median ratio of its widest to its narrowest half-width is 6.0" in text and "the widths a lot" in text
    centres_move = across([claims.Interval(1.0, 0.5, 1.5, 3), claims.Interval(5.0, 4.5, 5.5, 3),
                           claims.Interval(-3.0, -3.5, -2.5, 3)])
    text = " ".join(agreement._estimates_and_widths(centres_move))
    assert "widest to its narrowest half-width is 1.0" in text and "the widths a lot" not in text
    assert agreement._estimates_and_widths(across([claims.Interval(1.0, 0.5, 1.5, 3)] * 2)) == []  # two reports only

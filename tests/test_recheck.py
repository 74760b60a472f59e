"""colorlib.recheck: a report made on another machine against the committed verdicts (issue 15's fresh clone)."""
import json
import shutil
from pathlib import Path

import pytest

from colorlib import recheck

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def rerun(tmp_path):
    """A copy of the committed report's results (HEAD's, whatever the working tree holds) to edit as if
    another machine had made it, and a function that edits one claim."""
    committed = recheck.committed_report("HEAD", tmp_path / "head")
    here = tmp_path / "rerun" / "report"
    shutil.copytree(committed / "results", here / "results")

    def edit(change, every=False):
        """Apply ``change`` to the first notebook's results it accepts (returns True), or to ``every`` one."""
        for path in sorted((here / "results").glob("*.json")):
            data = json.loads(path.read_text())
            if change(data) or every:
                path.write_text(json.dumps(data))
                if not every:
                    return
        assert every, "no claim to edit"

    return here, edit


def _decided(data: dict, flip: bool) -> bool:
    """Edit the first claim with a decided verdict and a decided part: the part (and the claim) to inconclusive,
    or (``flip``) the part to its opposite and the claim with it."""
    opposite = {"reproduced": "not reproduced", "not reproduced": "reproduced"}
    for entry in data.get("claims", {}).values():
        part = next((p for p in entry.get("parts", []) if p["verdict"] in opposite), None)
        if part is None or entry["verdict"] not in opposite:
            continue
        part["verdict"] = opposite[part["verdict"]] if flip else "inconclusive"
        entry["verdict"] = opposite[entry["verdict"]] if flip else "inconclusive"
        return True
    return False


def test_kinds_of_difference():
    assert recheck.kind("reproduced", "reproduced") == recheck.SAME
    assert recheck.kind("reproduced", "inconclusive") == recheck.kind("inconclusive", "partly") == recheck.UNDECIDED
    assert recheck.kind("reproduced", "not reproduced") == recheck.kind("partly", "reproduced") == recheck.REVERSED


def test_an_unchanged_copy_is_not_a_rerun(rerun, capsys):
    here, _ = rerun
    assert recheck.main(["--report", str(here)]) == 2
    assert "nothing ran here" in capsys.readouterr().err


def test_a_verdict_gone_inconclusive_is_told_apart_from_a_reversal(rerun, capsys):
    here, edit = rerun
    edit(lambda data: _decided(data, flip=False))
    assert recheck.main(["--report", str(here)]) == 1
    out = capsys.readouterr().out
    assert "-> inconclusive    to or from inconclusive (" in out and "1 differ to or from inconclusive; 0 reversed" in out
    assert "seed-pool triples gave inconclusive)" in out  # how often the pool's triples did the same


def test_a_reversal_exits_3(rerun, capsys):
    here, edit = rerun
    edit(lambda data: _decided(data, flip=True))
    assert recheck.main(["--report", str(here)]) == 3
    assert "0 differ to or from inconclusive; 1 reversed" in capsys.readouterr().out


def test_a_part_that_differs_under_the_same_claim_verdict_is_printed(rerun, capsys):
    here, edit = rerun

    def one_part(data):
        for entry in data.get("claims", {}).values():
            if entry["verdict"] == "inconclusive" and any(p["verdict"] == "reproduced" for p in entry.get("parts", [])):
                next(p for p in entry["parts"] if p["verdict"] == "reproduced")["verdict"] = "inconclusive"
                return True
        return False

    edit(one_part)
    assert recheck.main(["--report", str(here)]) == 0  # every claim's verdict is the committed one
    out = capsys.readouterr().out
    assert "same (a part differs)" in out and ": reproduced -> inconclusive (to or from inconclusive)" in out


def test_other_seeds_and_unknown_revisions_are_refused_by_name(rerun, capsys):
    here, edit = rerun
    assert recheck.main(["no-such-revision", "--report", str(here)]) == 2
    assert "'no-such-revision'" in capsys.readouterr().err

    edit(lambda data: data.update(seeds=[3, 4, 5]), every=True)
    assert recheck.main(["--report", str(here)]) == 2
    assert "--stability" in capsys.readouterr().err
    edit(lambda data: data.update(profile="smoke", seeds=[0]), every=True)
    assert recheck.main(["--report", str(here)]) == 2
    assert "under profile report and this one under smoke" in capsys.readouterr().err
    assert recheck.main(["--report", str(here.parent / "nothing")]) == 2
    assert "run `make report` first" in capsys.readouterr().err


def test_against_a_kept_report_it_counts_what_the_stability_table_counts(capsys):
    """The README points at the kept reports with the committed seeds: recheck's claim counts must be the
    stability comparison's (``agreement.compare_verdicts``) for each of them."""
    from colorlib import agreement

    committed = ROOT / "report"
    kept = [k for k in agreement.kept_reports(committed) if agreement.seeds_of(k) == agreement.seeds_of(committed)]
    assert kept, "no kept report with the committed seeds"
    for folder in kept:
        ids, same = agreement.compare_verdicts(committed, folder)
        status = recheck.main(["--report", str(folder)])
        out = capsys.readouterr().out
        assert f"Claims: {len(same)} of {len(ids)} verdicts identical" in out
        assert status == (0 if len(same) == len(ids) else 1)  # no kept report reversed a verdict


def test_the_readme_checks_each_prediction_against_its_kept_report(tmp_path, monkeypatch):
    """readme.block_recheck: every kept report with the committed seeds, rechecked, and each prediction (written
    before its report finished) judged by code, held or not, its time included where it predicted one."""
    from colorlib import readme

    report = recheck.committed_report("HEAD", tmp_path / "head")
    monkeypatch.setattr(readme, "REPORT", report)  # HEAD's results only: no report kept beside them yet
    fp32, avx2, seeds345, *third = readme.PREDICTIONS
    assert [p["against"] for p in third] == [avx2["folder"], seeds345["folder"]]  # the third set, against each
    assert "The fp32 prediction: `xeon-fp32-seeds-0-1-2/` is not kept yet." in readme.block_recheck()
    kept = report / "stability" / fp32["folder"]
    shutil.copytree(report / "results", kept / "results")
    block = readme.block_recheck()
    assert f"`{kept.name}/`" in block and "to or from inconclusive: none; reversed: none" in block
    assert block.count("**held**") == 3 and "(2) at most 4 claims differ: 0 (none)" in block
    assert f"The AVX2 prediction: `{avx2['folder']}/` is not kept yet." in block

    for path in sorted((kept / "results").glob("*.json")):
        data = json.loads(path.read_text())
        if _decided(data, flip=True):
            path.write_text(json.dumps(data))
            break
    block = readme.block_recheck()
    assert "(1) no claim or part reverses: **did not hold**" in block

    other = report / "stability" / avx2["folder"]
    shutil.copytree(report / "results", other / "results")
    lo, hi = avx2["minutes"]
    for minutes, outcome in ((hi + 1, "**did not hold**"), ((lo + hi) / 2, "**held**")):
        (other / "timings.json").write_text(json.dumps({"report": {"cold": {"total": minutes * 60}}}))
        block = readme.block_recheck().split("The AVX2 prediction, checked:")[1]
        assert f"(4) its time: between {lo} and {hi} min: {minutes:.1f} min, {outcome}." in block

    # another seed set of the same machine: judged against that machine's report, not the committed one
    head = f"The {seeds345['name']} prediction (against `{seeds345['against']}/`)"
    assert f"The {seeds345['name']} prediction: `{seeds345['folder']}/` is not kept yet." in readme.block_recheck()
    assert seeds345["against"] == avx2["folder"]
    disjoint = report / "stability" / seeds345["folder"]
    shutil.copytree(report / "results", disjoint / "results")
    for path in sorted((disjoint / "results").glob("*.json")):
        data = json.loads(path.read_text())
        if "seeds" in data:
            path.write_text(json.dumps({**data, "seeds": [s + 3 for s in data["seeds"]]}))
    with pytest.raises(ValueError, match="seed sets"):
        recheck.compare(other, disjoint)
    block = readme.block_recheck()
    assert f"- `{seeds345['folder']}/`" not in block  # not rechecked against the committed seeds
    block = block.split(f"{head}, checked:")[1]
    assert f"(2) at most {seeds345['most_differ']} claims differ: 0 (none), **held**" in block
    assert "(4) its time: between 100 and 130 min: not recorded." in block


def test_a_kept_report_under_overrides_is_left_out_for_every_notebook_that_ran_so(tmp_path):
    """agreement.verdicts_across names every notebook whose claims it leaves out of the verdict over every report
    (it once named only the last one, so an fp32 report read as if only notebook 13 ran otherwise)."""
    from colorlib import agreement

    report = recheck.committed_report("HEAD", tmp_path / "head")
    kept = report / "stability" / "fp32"
    shutil.copytree(report / "results", kept / "results")
    for nb in ("02", "03"):
        path = kept / "results" / f"{nb}.json"
        data = json.loads(path.read_text())
        path.write_text(json.dumps({**data, "overrides": {"precision": "fp32"}}))
    across = agreement.verdicts_across(report, [kept])
    assert across["left_out"]["stability/fp32"] == \
        "for the claims of notebooks 02, 03: another profile, overrides or precision"
    assert "stability/fp32" not in across["claims"]["C1"] and "stability/fp32" in across["claims"]["C3"]


def test_a_kept_report_trained_in_another_precision_is_left_out_without_overrides(tmp_path):
    """A fresh clone on a CPU without native bf16 trains in fp32 under precision "auto", with no override: its
    notebooks trained another way, so they stay out of the verdict over every report, as an fp32 report run with
    ``--set precision=fp32`` does; recheck still compares it with the committed report."""
    from colorlib import agreement

    report = recheck.committed_report("HEAD", tmp_path / "head")
    kept = report / "stability" / "avx2"
    shutil.copytree(report / "results", kept / "results")
    path = kept / "results" / "02.json"
    data = json.loads(path.read_text())
    data["runs"] = [{**run, "precision": "fp32"} for run in data["runs"]]
    path.write_text(json.dumps(data))
    across = agreement.verdicts_across(report, [kept])
    assert across["left_out"]["stability/avx2"] == "for the claims of notebook 02: another profile, overrides or precision"
    assert "stability/avx2" not in across["claims"]["C1"] and "stability/avx2" in across["claims"]["C3"]
    assert recheck.status(recheck.compare(report, kept)) == 0


def test_a_partial_run_compares_only_the_notebooks_it_ran(rerun, capsys):
    """After a ``make report`` stopped early the later notebooks' results are still the committed files: they
    are named and left out, not counted as identical verdicts."""
    here, edit = rerun
    edit(lambda data: _decided(data, flip=False))
    assert recheck.main(["--report", str(here)]) == 1
    out = capsys.readouterr().out
    ran = [line for line in out.splitlines() if line[:1] in "CS" and "->" in line]
    skipped = out.split("Not compared, their results here are the committed ones")[1]
    assert len(ran) >= 1 and "notebook 13 (S8, S9, S10)" in skipped and f"Claims: 0 of {len(ran)}" not in out
    assert all(f" {line.split()[0]}," not in skipped and f"({line.split()[0]}," not in skipped for line in ran)

    edit(lambda data: data.update(notes="ran again"), every=True)  # every notebook ran (the same verdicts)
    assert recheck.main(["--report", str(here)]) == 1
    assert "Not compared, their results" not in capsys.readouterr().out


def test_a_run_that_stopped_before_any_claim_is_refused(rerun, capsys):
    here, _ = rerun
    path = here / "results" / "01.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "notes": "ran again"}))
    assert json.loads(path.read_text()).get("claims") in (None, {})  # notebook 01 (data) states no claim
    assert recheck.main(["--report", str(here)]) == 2
    assert "no notebook with claims ran here" in capsys.readouterr().err

"""The report runner and the README generator: how warm the caches were, the timing goals, the comparison block."""
from __future__ import annotations

import json
import os

import pytest
import torch

from colorlib import evalcache, evaluation, readme, report


@pytest.fixture
def counter():
    calls = []

    def compute(value=1.5):
        calls.append(value)
        return {"value": value, "nested": [torch.tensor(2.0), {"x": float("nan")}]}

    compute.calls = calls
    return compute


def test_report_records_how_warm_the_caches_were(isolated_cache, counter, monkeypatch):
    empty = report.cache_snapshot()
    (isolated_cache / "runs" / "abc").mkdir(parents=True)
    (isolated_cache / "runs" / "abc" / "done.json").write_text("{}")
    trained = report.cache_snapshot()
    assert report.cache_state(empty, trained) == "cold"
    evalcache.cached("demo", counter, 1)
    measured = report.cache_snapshot()
    assert report.cache_state(trained, measured) == "partial"  # runs reused, but something was measured anew
    assert report.cache_state(measured, report.cache_snapshot()) == "warm"
    assert report.cache_state(measured, measured, retrain=True) == "cold"
    (isolated_cache / "runs" / "def").mkdir()
    (isolated_cache / "runs" / "def" / "done.json").write_text("{}")
    assert report.cache_state(measured, report.cache_snapshot()) == "partial"  # one run trained now
    monkeypatch.setenv("COLORLIB_EVAL_CACHE", "off")
    assert report.cache_state(measured, measured) == "partial"


def test_readme_timings_say_whether_goals_are_met(tmp_path, monkeypatch):
    nbs = {f"{i:02d}_x": 400.0 for i in range(1, 14)}  # 13 notebooks: 86.7 min
    machine = {"cpu": "AMD EPYC", "torch": "2.x"}
    timings = {"report": {"cold": {**nbs, "total": 13 * 400.0, "seeds": [0, 1, 2], "machine": machine,
                                   "date": "2026-12-02T10:00:00+00:00"},
                          "warm": {**{k: 10.0 for k in nbs}, "total": 200.0, "seeds": [0, 1, 2]}},
               "tests": {"seconds": 600.0, "collected": 9, "date": "2026-12-02T11:00:00+0000", "machine": machine,
                         "load_average": 1.0}}
    (tmp_path / "timings.json").write_text(json.dumps(timings))
    monkeypatch.setattr(readme, "REPORT", tmp_path)
    block = readme.block_timings()
    assert "| `make test` | 9 tests, every notebook under `smoke` included | 10.0 min | AMD EPYC; 2026-12-02; " \
           "load average 1.0 | goal <= 15.0 min: met |" in block
    assert "| 86.7 min | seeds 0, 1, 2; AMD EPYC; fp32; 2026-12-02 | goal <= 90.0 min: met |" in block
    assert "| 3.3 min | seeds 0, 1, 2 | goal <= 3.0 min: **NOT met** |" in block
    assert "Re-run, per notebook: 01 10 s" in block
    # A cold run with one seed (older records carry no seeds) cannot meet the three-seed goal.
    timings["report"]["cold"] = {**nbs, "total": 600.0}
    (tmp_path / "timings.json").write_text(json.dumps(timings))
    block = readme.block_timings()
    assert "| 10.0 min | seeds not recorded (one seed, older code) | goal <= 90.0 min for 3 seeds: not measured " \
           "with 3 seeds |" in block
    # A stability run's first run is shown beside the main one: what another seed set costs.
    (tmp_path / "stability" / "seeds-3-4-5").mkdir(parents=True)
    (tmp_path / "stability" / "seeds-3-4-5" / "timings.json").write_text(json.dumps(
        {"report": {"cold": {**nbs, "total": 100 * 60.0, "seeds": [3, 4, 5], "machine": machine}}}))
    block = readme.block_timings()
    assert "`python -m colorlib.report --stability 3 4 5` (first run)" in block
    assert "| 100.0 min | seeds 3, 4, 5; AMD EPYC; fp32 | goal <= 90.0 min: **NOT met** |" in block
    assert "First run, seeds-3-4-5, per notebook: 01 6.7 min" in block
    # A main report kept from another machine is shown as the `make report` it was, with where it is kept.
    (tmp_path / "stability" / "amd-epyc-seeds-0-1-2").mkdir()
    (tmp_path / "stability" / "amd-epyc-seeds-0-1-2" / "timings.json").write_text(json.dumps(
        {"report": {"cold": {**nbs, "total": 89 * 60.0, "seeds": [0, 1, 2], "machine": machine},
                    "warm": {**nbs, "total": 81.0, "seeds": [0, 1, 2], "machine": machine, "load_average": 1.2}}}))
    block = readme.block_timings()
    assert "| `make report` (first run), kept in `stability/amd-epyc-seeds-0-1-2/` | the main report from an earlier " \
           "run (machine in the run column) | 89.0 min | seeds 0, 1, 2; AMD EPYC; fp32 | goal <= 90.0 min: met |" in block
    assert "| `make report` (again, caches warm), kept in `stability/amd-epyc-seeds-0-1-2/` | re-runs every notebook " \
           "of that report from the caches | 81 s | seeds 0, 1, 2; AMD EPYC; fp32; load average 1.2 | " \
           "goal <= 3.0 min: met |" in block
    assert "First run, amd-epyc-seeds-0-1-2, per notebook: 01 6.7 min" in block
    (tmp_path / "stability" / "amd-epyc-seeds-0-1-2" / "timings.json").unlink()
    # A --stability run kept under another name (a later run of the same seeds took its folder) keeps its command.
    (tmp_path / "stability" / "two-threads-seeds-3-4-5").mkdir()
    (tmp_path / "stability" / "two-threads-seeds-3-4-5" / "timings.json").write_text(json.dumps(
        {"report": {"cold": {**nbs, "total": 140 * 60.0, "seeds": [3, 4, 5], "machine": machine,
                             "source": "a clone, `python -m colorlib.report --stability 3 4 5` (JOBS=1)"}}}))
    assert "| `python -m colorlib.report --stability 3 4 5` (first run), kept in `stability/two-threads-seeds-3-4-5/` " \
           "| the whole report again with another seed set (report/stability.md) | 140.0 min |" in readme.block_timings()
    (tmp_path / "stability" / "two-threads-seeds-3-4-5" / "timings.json").unlink()
    # A note of what shared the machine during a run is shown with it.
    (tmp_path / "stability" / "seeds-3-4-5" / "timings.json").write_text(json.dumps(
        {"report": {"cold": {**nbs, "total": 100 * 60.0, "seeds": [3, 4, 5], "shared": "CI beside it for 18 min"}}}))
    assert "| 100.0 min | seeds 3, 4, 5; CI beside it for 18 min | goal <= 90.0 min: **NOT met** |" \
        in readme.block_timings()
    # A re-run with notebooks two at a time names the command that does it, and says its times overlap.
    timings["report"]["warm"] = {**timings["report"]["warm"], "total": 170.0, "jobs": 2}
    (tmp_path / "timings.json").write_text(json.dumps(timings))
    block = readme.block_timings()
    assert "| `make report JOBS=2` (again, caches warm) | re-runs every notebook, 2 at a time;" in block
    assert "| 2.8 min | seeds 0, 1, 2 | goal <= 3.0 min: met |" in block
    assert "Re-run (2 at a time, so these overlap), per notebook: 01 10 s" in block


def _fake_comparison():
    row = {c: 1.0 for c in evaluation.COMPARISON_COLUMNS}
    row.update({f"{c}_sd": 0.1 for c in ("psnr", "ssim", "ciede2000", "lpips", "colourfulness", "ssim_l", "transfer",
                                          "style_effect")}, seeds=3)
    return {"rows": [{**row, "model": "gray", "notebook": "02", "space": "-", "style": "-", "epochs": 0, "seeds": 1,
                      "transfer": None, "style_effect": None, "lpips": None, "psnr_sd": None, "ciede2000_sd": None},
                     {**row, "model": "AdaIN RGB", "notebook": "03", "space": "rgb", "style": "paintings", "epochs": 30,
                      "transfer": 0.25, "transfer_sd": 0.012}],
            "runs": {}, "n_test": 25, "n_paintings": 29, "colourfulness_true": 40.0, "lpips_label": "LPIPS-x",
            "profile": "report", "seeds": [0, 1, 2], "size": 64, "best": {"PSNR": "gray"},
            "best_without_truth": {"PSNR": "gray"}}


def test_comparison_markdown_and_readme_block(tmp_path, monkeypatch):
    result = _fake_comparison()
    text = evaluation.comparison_markdown(result)
    assert "| model | notebook | space | style | epochs | seeds |" in text and "seeds 0, 1, 2" in text
    assert "| gray | 02 | - | - | 0 | 1 | 1 |" in text and "| n/a |" in text and "| 0.250 +- 0.012 |" in text
    monkeypatch.setattr(readme, "REPORT", tmp_path)
    assert "make report" in readme.block_comparison()
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "11.json").write_text(json.dumps(result))
    block = readme.block_comparison()
    assert "| AdaIN RGB | paintings | 30 | 1.00 +- 0.10 | 1.00 +- 0.10 | 1.00 +- 0.10 | 1.00 +- 0.10 | 1.00 +- 0.10 | " \
           "0.250 +- 0.012 |" in block
    assert "| gray | - | 0 | 1 | 1 |" in block and "Highest mean on the held-out photos" in block
    assert "seeds 0, 1, 2" in block
    page = tmp_path / "README.md"
    page.write_text("a\n<!-- generated:comparison -->\nold\n<!-- /generated:comparison -->\nb\n")
    monkeypatch.setattr(readme, "BLOCKS", {"comparison": readme.block_comparison})
    assert readme.update(page) and "AdaIN RGB" in page.read_text() and "old" not in page.read_text()


def test_readme_goals_come_from_notebook_13_and_the_benchmark(tmp_path, monkeypatch):
    (tmp_path / "results").mkdir()
    goals = [{"what": "photos where the automatic mode beats gray on CIEDE2000", "today": "under half",
              "measured": "56 %", "goal": ">= 75 %", "met": False},
             {"what": "colourfulness", "today": "0.3", "measured": "0.6", "goal": ">= 0.5", "met": True}]
    (tmp_path / "results" / "13.json").write_text(json.dumps({"goals": goals}))
    bench = tmp_path / "bench.json"
    loop = {"kind": "trainer", "variant": "Trainer", "precision": "bf16", "size": 64, "img_per_s": 89.0}
    bench.write_text(json.dumps({"rows": [loop, {"kind": "train", "variant": "eager", "size": 128, "img_per_s": 999.0},
                                          {"kind": "train", "variant": "eager", "size": 64, "img_per_s": 120.0}]}))
    monkeypatch.setattr(readme, "REPORT", tmp_path)
    monkeypatch.setattr(readme, "BENCHMARK", bench)
    block = readme.block_goals()
    assert ("| 120 img/s (training step, eager, fp32; `make benchmark`); the real training loop (Trainer: MSE + LPIPS, "
            "data): 89 img/s (bf16) | **NOT met** |") in block  # 128 px rows do not count
    # the step meets the goal and the loop does not: both verdicts are printed, not the step's alone
    bench.write_text(json.dumps({"rows": [loop, {"kind": "train", "variant": "compile", "precision": "bf16", "size": 64,
                                                 "img_per_s": 216.0}]}))
    assert ("216 img/s (training step, compile, bf16; `make benchmark`); the real training loop (Trainer: MSE + LPIPS, "
            "data): 89 img/s (bf16) | met for the training step; **NOT met** for the training loop |") in readme.block_goals()
    bench.write_text(json.dumps({"rows": [{**loop, "img_per_s": 151.0}, {"kind": "train", "variant": "compile",
                                                                          "precision": "bf16", "size": 64,
                                                                          "img_per_s": 216.0}]}))
    assert "data): 151 img/s (bf16) | met |" in readme.block_goals()
    assert "| 56 % | **NOT met** |" in block and "| 0.6 | met |" in block
    assert "| not measured yet (the last cold run in report/timings.json: -) | not measured |" in block


def test_readme_quotes_the_recorded_paper_miniature(tmp_path, monkeypatch):
    monkeypatch.setattr(readme, "REPORT", tmp_path)
    assert "not recorded yet" in readme.block_paper_mini()
    mini = {"01_data": 11.0, "13_automatic_and_shipped": 95.0, "total": 106.0, "wall": 130.0, "seeds": [0],
            "machine": {"cpu": "AMD EPYC"}, "date": "2026-12-02T14:00:00+00:00", "load_average": 1.5}
    (tmp_path / "timings.json").write_text(json.dumps({"paper_mini": mini}))
    block = readme.block_paper_mini()
    assert "(AMD EPYC; 2026-12-02; load average 1.5" in block
    assert "took 2.2 min for 2 notebooks: 01 11 s, 13 1.6 min." in block
    (tmp_path / "timings.json").write_text(json.dumps({"paper_mini": {**mini, "jobs": 2}}))
    assert "took 2.2 min for 2 notebooks, 2 at a time (so their own times overlap): 01 11 s" in readme.block_paper_mini()


def test_readme_counts_the_verdicts_a_second_seed_set_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(readme, "REPORT", tmp_path)
    assert "Not run yet" in readme.block_stability()
    other = tmp_path / "stability" / "seeds-3-4-5"
    for folder, c2 in ((tmp_path, "reproduced"), (other, "inconclusive")):
        (folder / "results").mkdir(parents=True)
        (folder / "results" / "02.json").write_text(json.dumps({"seeds": [0], "claims": {
            "C1": {"verdict": "inconclusive"}, "C2": {"verdict": c2}}}))
    assert "**1 of 2 verdicts identical**; different: C2" in readme.block_stability()
    assert "per training seed" not in readme.block_stability()
    (tmp_path / "stability" / "transfer_by_seed.json").write_text(json.dumps({"machine": {"cpu": "CPU A"}, "rows": [
        {"seed": 0, "precision": "bf16", "transfer": 0.429, "epochs": 30},
        {"seed": 5, "precision": "bf16", "transfer": 0.142, "epochs": 30}]}))
    assert ("per training seed (CPU A, bf16, 30 epochs, `benchmarks/transfer_by_seed.py`): 0: 0.43, 5: 0.14."
            in readme.block_stability())
    assert "C4's transfer part" not in readme.block_stability()  # notebook 05 has not run: no test to apply
    # with notebook 05's C4 test and a second machine's record of the committed seeds: each record's verdict
    c4 = {"name": "transfer (final)", "test": ">", "threshold": 0.05, "margin": None, "verdict": "reproduced"}
    (tmp_path / "results" / "05.json").write_text(json.dumps({"seeds": [0, 1, 2], "claims": {"C4": {"parts": [c4]}}}))
    (tmp_path / "stability" / "transfer_by_seed_b.json").write_text(json.dumps({"machine": {"cpu": "CPU B"}, "rows": [
        {"seed": s, "precision": "bf16", "transfer": t, "epochs": 30} for s, t in ((0, 0.40), (1, 0.26), (2, 0.04))]}))
    text = readme.block_stability()
    assert "per training seed (CPU B, bf16, 30 epochs, `benchmarks/transfer_by_seed.py`): 0: 0.40, 1: 0.26, 2: 0.04." in text
    assert "C4's transfer part with the committed seeds 0, 1, 2, from these runs: CPU B, bf16, 30 epochs: inconclusive" in text
    # a record of another configuration is named as such and gives no C4 line of its own
    (tmp_path / "stability" / "transfer_by_seed_c.json").write_text(json.dumps({"machine": {"cpu": "CPU C"},
        "experiment": "latent128", "rows": [{"seed": s, "precision": "bf16", "transfer": 0.4, "epochs": 30}
                                            for s in (0, 1, 2)]}))
    text = readme.block_stability()
    assert "The latent128 model's transfer strength per training seed (latent128, CPU C, bf16, 30 epochs" in text
    assert "latent128, CPU C, bf16, 30 epochs: reproduced" not in text


def test_stability_compare_only_runs_nothing_and_reads_the_folders_timings(tmp_path, monkeypatch, capsys):
    """After the main report ran again, ``--stability 3 4 5 --compare-only`` rewrites stability.md from the
    committed seed-set folder (whose figures are not committed: its machine line comes from its timings.json)."""
    monkeypatch.setenv("COLORLIB_REPORT", str(tmp_path / "report"))
    monkeypatch.setenv("COLORLIB_FIGURES", str(tmp_path / "figures"))
    monkeypatch.setattr(report, "run_report", lambda *a, **k: pytest.fail("--compare-only must not run notebooks"))
    assert report.main(["--stability", "3", "4", "5", "--compare-only"]) == 2
    assert "run --stability 3 4 5 first" in capsys.readouterr().err
    other = tmp_path / "report" / "stability" / "seeds-3-4-5"
    for folder, seeds in ((tmp_path / "report", [0, 1, 2]), (other, [3, 4, 5])):
        (folder / "results").mkdir(parents=True)
        (folder / "results" / "02.json").write_text(json.dumps({"seeds": seeds, "claims": {
            "C1": {"verdict": "inconclusive"}}}))
    machine = {"cpu": "AMD EPYC", "cpu_capability": "AVX512", "cpus": 2, "torch": "2.13.0+cpu"}
    (other / "timings.json").write_text(json.dumps({"report": {"cold": {"total": 1.0, "machine": machine}}}))
    assert report.main(["--stability", "3", "4", "5", "--compare-only"]) == 0
    text = (tmp_path / "report" / "stability.md").read_text()
    assert "**1 of 1 verdicts are identical**" in text
    assert "seeds 3, 4, 5 on AMD EPYC (AVX512, 2 cores, torch 2.13.0+cpu; training in fp32)" in text
    assert report.main(["--compare-only"]) == 2


def test_stability_run_writes_results_figures_and_shipped_models_into_its_own_folder(tmp_path, monkeypatch):
    """Notebook 13 ships models into ``models/``: a run with other seeds must not overwrite the checkout's."""
    monkeypatch.setenv("COLORLIB_REPORT", str(tmp_path / "report"))
    monkeypatch.setenv("COLORLIB_MODELS", str(tmp_path / "models"))
    seen = {}

    def fake_run(todo, params, timed, jobs=1):
        seen.update({k: os.environ.get(k) for k in ("COLORLIB_REPORT", "COLORLIB_FIGURES", "COLORLIB_MODELS")})
        return 1, 0.0, {}

    monkeypatch.setattr(report, "run_report", fake_run)
    report.stability("report", [3, 4, 5], [])
    alt = tmp_path / "report" / "stability" / "seeds-3-4-5"
    assert seen == {"COLORLIB_REPORT": str(alt), "COLORLIB_FIGURES": str(alt / "figures"),
                    "COLORLIB_MODELS": str(alt / "models")}
    assert os.environ["COLORLIB_MODELS"] == str(tmp_path / "models")  # restored after


def test_readme_precision_block_quotes_the_benchmark(tmp_path, monkeypatch):
    monkeypatch.setattr(readme, "PRECISION_BENCHMARK", tmp_path / "precision.json")
    assert "Not measured yet" in readme.block_precision()
    (tmp_path / "precision.json").write_text(json.dumps({
        "machine": {"cpu": "AMD EPYC", "cpu_capability": "AVX512", "cpus": 2}, "native_bf16": True, "epochs": 3,
        "omp_wait_policy": "PASSIVE", "rounds": [{}, {}], "date": "2026-12-02T20:00:00+00:00",
        "summary": {"fp32": {"median_s": 23.24, "speedup_vs_fp32": 1.0},
                    "bf16, channels_last": {"median_s": 15.8, "speedup_vs_fp32": 1.384}}}))
    block = readme.block_precision()
    assert "AMD EPYC (AVX512, 2 cores, 2026-12-02; native bf16: yes)" in block
    assert "median of 2 alternating rounds" in block and "fp32 23.2 s (1.00x), bf16, channels_last 15.8 s (1.38x)" \
        in block


def test_schedule_runs_the_timing_notebook_alone_and_the_longest_first(tmp_path):
    todo = [tmp_path / f"{n}.ipynb" for n in ("01_data", "12_style_picker", "13_automatic_and_shipped", "05_x")]
    assert report.schedule(todo, 1) == (todo, [])  # one job: the notebooks' own order
    pooled, alone = report.schedule(todo, 2, {"01_data": 10, "13_automatic_and_shipped": 60, "05_x": 20})
    assert [p.stem for p in pooled] == ["13_automatic_and_shipped", "05_x", "01_data"]
    assert [p.stem for p in alone] == ["12_style_picker"]


def _notebook(path, source: str) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("profile = 'smoke'\nretrain = False\nseeds = [0]", metadata={
        "tags": ["parameters"]}), nbformat.v4.new_code_cell(source)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_notebooks_run_two_at_a_time_and_each_figure_keeps_its_notebook(tmp_path, monkeypatch):
    monkeypatch.setenv("COLORLIB_REPORT", str(tmp_path / "report"))
    monkeypatch.setenv("COLORLIB_FIGURES", str(tmp_path / "figures"))
    (tmp_path / "report").mkdir()
    (tmp_path / "figures").mkdir()
    figure = ("import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\nfrom colorlib import plots\n"
              "plots.save_figure(plt.figure(), {name!r})\nimport time\ntime.sleep(1)\nimport os, pathlib\n"
              "pathlib.Path({name!r} + '.seen').write_text(os.getcwd() + ' ' + os.environ.get('COLORLIB_ONE_TRAINING', '-'))")
    todo = []
    for stem in ("01_a", "02_b", "12_style_picker"):
        (tmp_path / stem).mkdir()  # each notebook in a folder of its own: its kernel starts there
        _notebook(tmp_path / stem / f"{stem}.ipynb", figure.format(name=f"fig_{stem}"))
        todo.append(tmp_path / stem / f"{stem}.ipynb")
    cwd, env = os.getcwd(), dict(os.environ)
    status, times, entries = report._run_all(todo, {"profile": "smoke", "retrain": False, "seeds": [0]}, {}, jobs=2)
    assert status == 0 and set(times) == {"01_a", "02_b", "12_style_picker"}
    assert {k: v["notebook"] for k, v in entries.items()} == {f"fig_{s}.png": f"{s}.ipynb" for s in times}
    assert all((tmp_path / "report" / p.name).exists() for p in todo)
    # The two pooled kernels held the one-training lock flag, the one run alone did not; nothing process-wide moved.
    seen = {p.stem: (p.parent / f"fig_{p.stem}.seen").read_text() for p in todo}
    assert seen == {"01_a": f"{tmp_path / '01_a'} 1", "02_b": f"{tmp_path / '02_b'} 1",
                    "12_style_picker": f"{tmp_path / '12_style_picker'} -"}
    assert os.getcwd() == cwd and dict(os.environ) == env

    _notebook(tmp_path / "03_fails.ipynb", "raise ValueError('broken on purpose')")
    status, times, _ = report._run_all([todo[0], tmp_path / "03_fails.ipynb"], {"profile": "smoke", "retrain": False,
                                                                               "seeds": [0]}, {}, jobs=2)
    assert status == 1 and "03_fails" not in times
    # It stops at the first failure; with keep_going every notebook runs and the status still says one failed.
    for jobs in (1, 2):
        later = [tmp_path / "03_fails.ipynb", todo[1], todo[2]]
        status, times, _ = report._run_all(later, {"profile": "smoke", "retrain": False, "seeds": [0]}, {}, jobs=jobs)
        assert status == 1 and "12_style_picker" not in times  # (with 2 jobs 02_b started beside the failure)
        status, times, _ = report._run_all(later, {"profile": "smoke", "retrain": False, "seeds": [0]}, {}, jobs=jobs,
                                           keep_going=True)
        assert status == 1 and set(times) == {"02_b", "12_style_picker"}


def test_one_training_at_a_time_when_notebooks_share_the_machine(tmp_path, monkeypatch):
    from filelock import FileLock, Timeout

    from colorlib import runs

    (tmp_path / "a").mkdir()
    machine_wide = FileLock(tmp_path / ".training.lock")
    with runs.run_lock(tmp_path / "a"):
        machine_wide.acquire(timeout=0)  # nobody holds it when notebooks run one at a time
        machine_wide.release()
    monkeypatch.setenv(runs.ONE_TRAINING_ENV, "1")
    with runs.run_lock(tmp_path / "a"):
        with pytest.raises(Timeout):
            machine_wide.acquire(timeout=0)
    machine_wide.acquire(timeout=0)  # released with the run's lock
    machine_wide.release()


def test_only_a_complete_run_records_timings(tmp_path, monkeypatch):
    """``--only`` runs part of the report: its times are not the report's and are not recorded (the smoke tests
    run every notebook at once, tests/test_notebooks.py, so this is where the partial case is held)."""
    monkeypatch.setenv("COLORLIB_REPORT", str(tmp_path / "report"))
    monkeypatch.setenv("COLORLIB_FIGURES", str(tmp_path / "figures"))
    monkeypatch.setattr(report, "_run_all", lambda todo, params, provenance, jobs, keep_going=False: (0, {p.stem: 1.0 for p in todo}, {}))
    todo = report.notebooks(["01"])
    params = {"profile": "smoke", "retrain": False, "seeds": [0]}
    report.run_report(todo, params, timed=False)
    assert not (tmp_path / "report" / "timings.json").exists()
    report.run_report(todo, params, timed=True)
    recorded = json.loads((tmp_path / "report" / "timings.json").read_text())["smoke"]
    assert [state["01_data"] for state in recorded.values()] == [1.0]  # under cold, partial or warm
    assert [state["threads"] for state in recorded.values()] == [report.training_threads("smoke")]  # the machine line


def test_readme_goals_give_the_stability_runs_verdicts_met_or_not(tmp_path, monkeypatch):
    from colorlib import results

    monkeypatch.setattr(readme, "REPORT", tmp_path)
    other = tmp_path / "stability" / "seeds-3-4-5"
    entry = lambda verdict: {"verdict": verdict, "parts": [{"name": "x", "verdict": verdict}]}
    for folder, c2 in ((tmp_path, "reproduced"), (other, "inconclusive")):
        monkeypatch.setenv("COLORLIB_REPORT", str(folder))
        results.save("03", {"seeds": [0], "claims": {"C1": entry("reproduced"), "C2": entry(c2)}})
    assert "| verdicts under seeds 3, 4, 5 against the committed seeds | - | every verdict identical (issue 15) | " \
           "1 of 2 identical (report/stability.md) | **NOT met** |" in readme.block_goals()
    results.save("03", {"seeds": [3], "claims": {"C1": entry("reproduced"), "C2": entry("reproduced")}})
    assert "| 2 of 2 identical (report/stability.md) | met |" in readme.block_goals()
    results.save("03", {"seeds": [3], "claims": {"C1": entry("reproduced"), "C2": entry("reproduced")},
                        "runs": {"final": [{"key": "f", "tag": "final", "model": {"adain": True, "style_init": "he"}}]}})
    monkeypatch.setenv("COLORLIB_REPORT", str(tmp_path))
    results.save("03", {"seeds": [0], "claims": {"C1": entry("reproduced"), "C2": entry("reproduced")},
                        "runs": {"final": [{"key": "g", "tag": "final", "model": {"adain": True}}]}})
    block = readme.block_goals()
    assert "| not compared: the style encoder of final started with init default in" in block
    assert block.split("not compared:")[1].split("\n")[0].endswith("| not measured |")


@pytest.mark.skipif(os.name != "posix", reason="Unix sockets: POSIX only (elsewhere kernels use TCP on 127.0.0.1)")
def test_notebook_kernels_talk_over_unix_sockets_in_a_private_folder(tmp_path, monkeypatch, capfd):
    import tempfile

    import nbformat

    folder, sockets = tmp_path / "notebooks", tmp_path / "tmp"
    folder.mkdir(), sockets.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(sockets))
    code = "import os\nopen('ran.txt', 'w').write(os.getcwd() + ' ' + os.environ['COLORLIB_TEST_MARK'])"
    path = folder / "00_tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]), path)
    seconds = report.run_notebook(path, {}, tmp_path, env={"COLORLIB_TEST_MARK": "marked"})
    assert seconds > 0 and (folder / "ran.txt").read_text() == f"{folder} marked"  # its folder, its environment
    assert "without encryption" not in capfd.readouterr().err  # ipykernel 7's warning for TCP
    assert not list(sockets.iterdir())  # the socket folder is gone with the kernel


def test_every_committed_markdown_table_row_has_its_headers_cells():
    """An unescaped "|" in a cell (a part named "mean |latent|") splits it into extra columns on GitHub."""
    import re

    from colorlib.paths import REPO_DIR

    def bars(line: str) -> int:
        return len(re.findall(r"(?<!\\)\|", line))

    broken = []
    for path in [REPO_DIR / "README.md", *sorted((REPO_DIR / "report").rglob("*.md"))]:
        header = None
        for number, line in enumerate(path.read_text().splitlines(), 1):
            header = None if not line.startswith("|") else header if header is not None else bars(line)
            if header is not None and bars(line) != header:
                broken.append(f"{path.relative_to(REPO_DIR)}:{number}: {bars(line)} bars, header {header}")
    assert not broken, "\n".join(broken)

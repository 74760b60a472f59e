"""The report as Markdown (colorlib.chapters): an executed notebook becomes a chapter with its prose, code, printed
outputs, tables and links to the saved figures; widgets become a sentence; no machine path or secret gets in;
the front page has every notebook's question, key figure and verdicts; the runner writes both after a run."""
from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from PIL import Image

from colorlib import chapters, claims
from colorlib.notebook_hygiene import MACHINE_PATH

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def report(tmp_path, monkeypatch):
    """A private report/ and figures/ folder (the paths colorlib writes to)."""
    monkeypatch.setenv("COLORLIB_REPORT", str(tmp_path / "report"))
    monkeypatch.setenv("COLORLIB_FIGURES", str(tmp_path / "figures"))
    (tmp_path / "figures").mkdir()
    return tmp_path / "report"


def png(width: int, height: int, colour=(200, 30, 30)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, format="PNG")
    return buf.getvalue()


def image_output(data: bytes):
    return new_output("display_data", data={"image/png": base64.b64encode(data).decode(),
                                            "text/plain": "<Figure size 400x200 with 1 Axes>"})


def progress_bar(model_id: str):
    return new_output("display_data", data={
        "application/vnd.jupyter.widget-view+json": {"model_id": model_id, "version_major": 2, "version_minor": 0},
        "text/plain": "epoch 2/2:   0%|          | 0/12 [00:00<?, ?it/s]"})


def executed_fixture(report: Path, name: str = "99_fixture", extra_outputs=()) -> Path:
    """A small executed notebook: a question, printed output with a progress bar, a Markdown table, a saved
    figure shown inline, an image that is no saved figure, a widget, and machine paths in outputs."""
    (report.parent / "figures" / "99_saved.png").write_bytes(png(440, 220))  # saved at 110 dpi ...
    cells = [
        new_markdown_cell("# 99 · A fixture\n\n**Question.** Does the chapter read well?\n\nMore prose."),
        new_code_cell("print('hello')", outputs=[
            new_output("stream", name="stdout", text="hello\n"),
            new_output("stream", name="stderr", text="training:  50%\rtraining: 100%\n")]),
        new_code_cell("display(Markdown(table))", outputs=[
            new_output("display_data", data={"text/markdown": "| a | b |\n|---|---|\n| 1 | 2 |",
                                             "text/plain": "<IPython.core.display.Markdown object>"})]),
        new_code_cell('fig = plot()\nplots.save_figure(fig, "99_saved")\nshow_something_else()', outputs=[
            image_output(png(400, 200)),  # ... and shown inline at 100 dpi: the same figure
            image_output(png(30, 90, (0, 0, 255)))]),  # no saved figure has this shape
        new_code_cell("app", outputs=[new_output("display_data", data={
            "application/vnd.jupyter.widget-view+json": {"model_id": "abc", "version_major": 2, "version_minor": 0},
            "text/plain": "VBox(children=(HTML(value='<h3>Photo</h3>'),))"})]),
        new_code_cell("where()", outputs=[
            new_output("execute_result", data={"text/plain": f"PosixPath('{report}/data_attribution.md')"},
                       execution_count=5),
            new_output("stream", name="stdout", text="wrote /tmp/elsewhere/thing.txt and /Users/ann/y.bin\n"),
            *extra_outputs]),
        new_code_cell("train()", outputs=[  # tqdm's notebook progress bars between the lines a run prints
            new_output("stream", name="stdout", text="epoch 1 loss=1\n"), progress_bar("bar1"),
            new_output("stream", name="stdout", text="epoch 2 loss=0.5\n"), progress_bar("bar2")]),
    ]
    state = {"bar1": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_p1"]}},
             "p1": {"model_name": "FloatProgressModel", "state": {"value": 12.0}}}  # bar2's state was not saved
    nb = new_notebook(cells=cells, metadata={"papermill": {"parameters": {"profile": "smoke", "seeds": [0]}},
                                             "language_info": {"name": "python"},
                                             "widgets": {"application/vnd.jupyter.widget-state+json": {"state": state}}})
    path = report / f"{name}.ipynb"
    report.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    (report / "README.md").write_text("the front page, which chapters link back to\n")
    return path


def test_chapter_of_an_executed_notebook(report):
    path = chapters.export(executed_fixture(report))
    text = path.read_text()
    assert path == report / "chapters" / "99_fixture.md"
    assert "# 99 · A fixture" in text and "**Question.** Does the chapter read well?" in text
    assert "```python\nprint('hello')\n```" in text and "    hello" in text
    assert "training: 100%" in text and "50%" not in text  # a progress bar as the terminal ends up showing it
    assert "| a | b |\n|---|---|\n| 1 | 2 |" in text  # a Markdown table output stays a table
    # The saved figure is a link to figures/, the inline copy is not stored again ...
    assert "![99_saved](../../figures/99_saved.png)" in text and "data:image" not in text
    # ... and the image that is no saved figure goes to the one folder beside the chapters.
    images = sorted((report / "chapters" / "images").iterdir())
    assert [p.name for p in images] == ["99_fixture_3_1.png"] and "(images/99_fixture_3_1.png)" in text
    assert Image.open(images[0]).size == (30, 90)
    assert "*Interactive: here a live notebook shows" in text and "VBox(children" not in text
    assert "`.venv/bin/jupyter lab notebooks/99_fixture.ipynb`" in text
    assert "`.venv/bin/voila notebooks/99_fixture.ipynb`" in text
    assert text.count("*Interactive:") == 1 and "it/s" not in text  # progress bars are no interactive part
    assert "    epoch 1 loss=1\n    epoch 2 loss=0.5\n" in text  # and the lines around them read as one block
    # Machine paths are rewritten: the report's own folder by name, others by their last part.
    assert not MACHINE_PATH.search(text), MACHINE_PATH.search(text)
    assert "PosixPath('report/data_attribution.md')" in text and ".../thing.txt" in text and ".../y.bin" in text
    assert "profile `smoke`, seeds 0" in text
    assert chapters.check(report, require_all=False) == []


def test_reexport_is_identical_and_drops_stale_images(report):
    path = chapters.export(executed_fixture(report))
    first = path.read_text()
    assert chapters.export(report / "99_fixture.ipynb").read_text() == first
    nb = nbformat.read(report / "99_fixture.ipynb", as_version=4)
    nb.cells[3].outputs = nb.cells[3].outputs[:1]  # the unsaved image is gone from the new run
    nbformat.write(nb, report / "99_fixture.ipynb")
    chapters.export(report / "99_fixture.ipynb")
    assert list((report / "chapters" / "images").iterdir()) == []
    assert "images/" not in path.read_text()


def test_an_image_without_its_saved_file_is_kept_beside_the_chapter(report):
    executed = executed_fixture(report)
    (report.parent / "figures" / "99_saved.png").unlink()
    text = chapters.export(executed).read_text()
    assert "figures/99_saved.png" not in text and "(images/99_fixture_3_0.png)" in text
    assert chapters.check(report, require_all=False) == []


def test_a_secret_refuses_the_chapter(report):
    leak = new_output("stream", name="stdout", text="token = 'abcdefghijklmnop'\n")
    executed = executed_fixture(report, extra_outputs=[leak])
    with pytest.raises(ValueError, match=r"99_fixture\.ipynb.*secret"):
        chapters.export(executed)
    assert not (report / "chapters" / "99_fixture.md").exists()


def test_saved_figures_are_read_from_the_cell_source():
    source = ('%matplotlib inline\nfig = f()\nplots.save_figure(fig, "a")\n'
              'save_figure(picker.demo(x, y), "b.svg")\nplots.save_figure(fig, name=f"c{i}")\n'
              'plots.save_figure(fig, name="d")')
    assert chapters.saved_figures(source) == ["a.png", "b.svg", "d.png"]
    assert chapters.saved_figures("def broken(:") == []


def test_links_are_rebased_from_the_notebooks_folder():
    text = "See [claims](../report/claims.md), [a site](https://example.org), [here](#top) and ![x](../figures/x.png)."
    rebased = chapters.rebase_links(text, ROOT / "notebooks", ROOT / "report" / "chapters")
    assert rebased == ("See [claims](../claims.md), [a site](https://example.org), [here](#top) and "
                       "![x](../../figures/x.png).")


def test_scrub_names_known_folders(report):
    site = chapters.sysconfig.get_paths()["purelib"]
    text = f"{site}/torch/nn.py:3: UserWarning\n{chapters.REPO_DIR}/colorlib/data.py\n{Path.home()}/notes.txt"
    assert chapters.scrub(text) == "site-packages/torch/nn.py:3: UserWarning\ncolorlib/data.py\n~/notes.txt"


def test_check_finds_what_is_wrong(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "README.md").write_text("![f](../figures/none.png) [ok](chapters/01_data.md) [web](https://x.org)")
    (tmp_path / "chapters" / "01_data.md").write_text("ran in /work/here, [back](../README.md)")
    problems = "\n".join(chapters.check(tmp_path))
    assert "links to ../figures/none.png, which does not exist" in problems
    assert "01_data.md: machine path '/work/'" in problems
    assert "02_unet_baseline.md: missing" in problems and "01_data.md: missing" not in problems
    assert "links to chapters/01_data.md" not in problems and "links to ../README.md" not in problems
    assert chapters.check(tmp_path, require_all=False) == [p for p in chapters.check(tmp_path) if "missing" not in p]


def test_front_page(report):
    report.mkdir()
    (report.parent / "figures" / "02_examples.png").write_bytes(png(10, 10))
    (report / "chapters").mkdir()
    (report / "chapters" / "02_unet_baseline.md").write_text("# 02\n")
    (report / "results").mkdir()
    entry = claims.claim([{"name": "psnr", "verdict": "not reproduced", "text": "-1 [-2, 0]"}], "PSNR 1 vs 2")
    further = claims.claim([{"name": "x", "verdict": "reproduced", "text": "1 [0.5, 1.5]"}], "x 1", "A further claim.")
    (report / "results" / "02.json").write_text(json.dumps(
        {"profile": "smoke", "seeds": [0, 1], "claims": {"C1": entry, "S9": further}}))
    (report.parent / "figures" / "manifest.json").write_text(json.dumps({"02_examples.png": {
        "notebook": "02_unet_baseline.ipynb", "profile": "smoke", "git_commit": "abc1234", "dirty": True,
        "seeds": [0, 1], "date": "2026-01-02T03:04:05+00:00", "parameters": {"profile": "smoke"},
        "machine": {"cpu": "Test CPU", "cpus": 2, "cpu_capability": "AVX2", "torch": "2.13.0", "python": "3.11"}}}))
    page = chapters.front_page()
    titles = [line for line in page.splitlines() if line.startswith("## ")]
    assert titles[:2] == ["## 01 · Data: photos to colourise, paintings to borrow colours from",
                          "## 02 · The UNet baseline: does the UNet alone colourise?"]
    assert len(titles) == len(chapters.source_notebooks()) + 1 and titles[-1] == "## How it was produced"
    part = page.split("## 02 ·")[1].split("\n## ")[0]
    assert "**Question (claim C1).** Trained to predict RGB" in part and "![02_examples](../figures/02_examples.png)" in part
    assert f"| C1: {claims.CLAIMS['C1'][1]} | {claims.wording('not reproduced', True)} | PSNR 1 vs 2 |" in part
    assert "| S9: A further claim. | reproduced | x 1 |" in part
    assert "(chapters/02_unet_baseline.md)" in part
    assert "seed_pool.md" not in page and "stability.md" not in page
    (report / "seed_pool.md").write_text("# pool\n")
    assert "on other machines: [seed_pool.md](seed_pool.md)." in chapters.front_page()
    assert "| C2: " in page.split("## 03 ·")[1] and "| not measured |" in page.split("## 03 ·")[1]
    assert "No chapter yet: `python -m colorlib.report --only 03`" in page
    assert "| 02_unet_baseline | `smoke` | 0, 1 | `abc1234` (uncommitted changes) | 2026-01-02T03:04:05+00:00 |" in page
    assert "Machine (02): Test CPU (2 CPUs, AVX2), torch 2.13.0, Python 3.11." in page


def test_results_without_verdicts_say_so(report):
    (report / "results").mkdir(parents=True)
    (report / "results" / "02.json").write_text(json.dumps({"profile": "report", "claims": {
        "C1": {"measured": "old", "reproduced": None}}}))
    assert "| no verdict recorded (results from older code) | old |" in chapters.claim_rows("02")[0]


def test_every_key_figure_is_saved_by_its_notebook():
    for path in chapters.source_notebooks():
        nb = nbformat.read(path, as_version=4)
        saved = [name for c in nb.cells if c.cell_type == "code" for name in chapters.saved_figures(c.source)]
        assert saved, f"{path.name} saves no figure"
        assert chapters.KEY_FIGURES.get(path.name[:2]) in saved, f"{path.name}: key figure not among {saved}"


def test_committed_report_is_complete_and_clean():
    """The committed front page and chapters: one per notebook, links that resolve, no machine path or secret."""
    if not (ROOT / "report" / "README.md").exists():
        pytest.skip("report/README.md is not committed yet: `make report` writes it with the chapters")
    assert chapters.check(ROOT / "report") == []


@pytest.mark.slow
def test_report_run_writes_chapter_and_front_page(tmp_path, monkeypatch):
    env = dict(os.environ, COLORLIB_FIGURES=str(tmp_path / "figures"), COLORLIB_REPORT=str(tmp_path / "report"))
    result = subprocess.run([sys.executable, "-m", "colorlib.report", "--profile", "smoke", "--only", "02"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = tmp_path / "report"
    chapter = (report / "chapters" / "02_unet_baseline.md").read_text()
    assert "![02_loss_curves](../../figures/02_loss_curves.png)" in chapter
    assert "![02_examples](../../figures/02_examples.png)" in chapter and "What we found" in chapter
    page = (report / "README.md").read_text()
    part = page.split("## 02 ·")[1].split("\n## ")[0]
    assert "| C1: " in part and "not measured" not in part and "(chapters/02_unet_baseline.md)" in part
    assert "| 02_unet_baseline | `smoke` | 0 |" in page
    assert chapters.check(report, require_all=False) == []
    assert not (report / "chapters" / "images").exists(), "every image of notebook 02 is a saved figure"
    size = (report / "chapters" / "02_unet_baseline.md").stat().st_size
    assert size < 0.1 * (report / "02_unet_baseline.ipynb").stat().st_size
    # --export-only gives the same chapter (it is a function of the executed notebook and the figures).
    monkeypatch.setenv("COLORLIB_FIGURES", str(tmp_path / "figures"))
    monkeypatch.setenv("COLORLIB_REPORT", str(report))
    chapters.export_all()
    assert (report / "chapters" / "02_unet_baseline.md").read_text() == chapter
    # One HTML page of the same content: the chapter's figures linked from report/, chapters as anchors.
    html = (report / "report.html").read_text()
    assert 'id="chapter-02_unet_baseline"' in html and 'src="../figures/02_examples.png"' in html

"""The report as a reader sees it on GitHub: every executed notebook as a light Markdown chapter, and a front page.

``export(report/NN_name.ipynb)`` writes ``report/chapters/NN_name.md`` with nbconvert's ``MarkdownExporter``:
prose, code, printed outputs and tables as text. A figure the cell saved with ``plots.save_figure(fig, "name")``
becomes a relative link to ``figures/name.png`` (matplotlib also shows it inline; that copy is dropped); an image
that is no saved figure is written to ``report/chapters/images/``; a widget becomes a sentence saying how to open
the interactive notebook. Machine paths are rewritten (``report/...``, ``site-packages/...``, ``~/...``) and a
chapter with something that looks like a secret is refused (``colorlib.notebook_hygiene``'s patterns).

``front_page()`` is ``report/README.md``: in notebook order each question, its key figure, the verdicts of the
claims it owns (``report/results/NN.json`` via ``colorlib.claims``) and a link to the chapter; then how the
numbers were produced (profile, seeds, commit, date and machine, from the results and ``figures/manifest.json``).
``export_all()`` does both, and ``report/report.html``, the same as one page (git-ignored: GitHub shows the
Markdown); the report runner calls it after every run, and ``python -m colorlib.report
--export-only`` without running anything. ``check()`` lists what is wrong with a written report (a missing
chapter, a broken link, a machine path, a secret).
"""
from __future__ import annotations

import ast
import base64
import io
import json
import os
import re
import sys
import sysconfig
from pathlib import Path

import nbformat

from colorlib import claims, files, results
from colorlib.notebook_hygiene import MACHINE_PATH, SECRET
from colorlib.paths import REPO_DIR, cache_dir, figures_dir, report_dir

NOTEBOOKS_DIR = REPO_DIR / "notebooks"
IMAGES = "images"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml")
WIDGET = "application/vnd.jupyter.widget-view+json"
# Text before HTML: a DataFrame's text table diffs line by line; HTML is kept only where nothing else is given.
PRIORITY = ["text/markdown", "image/svg+xml", "image/png", "image/jpeg", "text/latex", "text/plain", "text/html"]
PATH_TOKEN = re.compile(MACHINE_PATH.pattern + r"[^\s'\"`<>()\[\]{},;|]*")
LINK = re.compile(r"(!?\[[^\]]*\]\()([^)\s]+)(\))")
# The one figure a notebook's section on the front page shows (else the first figure it saves).
KEY_FIGURES = {"01": "01_samples.png", "02": "02_examples.png", "03": "03_style_transfer.png",
               "04": "04_loss_magnitudes.png", "05": "05_latent_histograms.png", "06": "06_examples.png",
               "07": "07_examples.png", "08": "08_pred_vs_true.png", "09": "09_examples.png",
               "10": "10_style_transfer.png", "11": "11_comparison.png", "12": "12_picker_demo.png",
               "13": "13_automatic.png"}


def chapters_dir() -> Path:
    return report_dir() / "chapters"


def _rel(target: Path, start: Path) -> str:
    return Path(os.path.relpath(target, start)).as_posix()


# ============================================================================================ one chapter
def saved_figures(source: str) -> list[str]:
    """The file names (``name.png`` unless the name has a suffix) of the figures a cell's source saves with
    ``save_figure(fig, "name")``, in call order; names that are not string literals are skipped."""
    try:
        tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    except SyntaxError:
        return []
    names = []
    for node in ast.walk(tree):
        func = getattr(node, "func", None)
        if isinstance(node, ast.Call) and getattr(func, "attr", getattr(func, "id", None)) == "save_figure":
            arg = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "name"), None)
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names.append((node.lineno, node.col_offset, arg.value if Path(arg.value).suffix else arg.value + ".png"))
    return [name for *_, name in sorted(names)]


def _aspect(data: bytes) -> float | None:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.width / im.height
    except Exception:  # not a raster image (SVG) or unreadable: nothing to compare
        return None


def _is_figure(output, path: Path) -> bool:
    """Whether an inline image output shows the figure saved at ``path`` (the file exists and, for raster
    images, has the same aspect ratio within 5 %: inline and saved copies differ only in dpi)."""
    if not path.exists():
        return False
    kind = next(t for t in IMAGE_TYPES if t in output.data)
    if kind == "image/svg+xml":
        return path.suffix == ".svg"
    shown, saved = _aspect(base64.b64decode(output.data[kind])), _aspect(path.read_bytes())
    return shown is not None and saved is not None and abs(shown / saved - 1) < 0.05


def _markdown_output(text: str):
    return nbformat.v4.new_output("display_data", data={"text/markdown": text})


def widget_sentence(output, notebook: str, title: str = "") -> str:
    """What stands in a chapter for a widget output: what it is and how to open it."""
    kind = output.data.get("text/plain", "").split("(", 1)[0].strip()
    kind = f" (`{kind}`)" if re.fullmatch(r"[A-Z]\w*", kind) else ""
    name = re.sub(r"^(the|a|an)\s+", "", title.split(":")[0].split("·")[-1].strip(), flags=re.I)
    what = f"the {name[:1].lower() + name[1:] if name[1:2].islower() else name}" if name else "an interactive app"
    path = f"notebooks/{notebook}.ipynb"
    return (f"*Interactive: here a live notebook shows {what} (ipywidgets{kind}), which needs a running Python "
            f"kernel, so this page cannot show it. Open it with `.venv/bin/jupyter lab {path}` (run all cells) or "
            f"`.venv/bin/voila {path}` (the app alone, in a browser tab).*")


def is_progress_bar(output, widget_state: dict) -> bool:
    """Whether a widget output is a progress bar (tqdm's in a notebook): a model with a progress-bar child in the
    notebook's saved widget state or, without that state, tqdm's text (``0/12 [00:00<?, ?it/s]``)."""
    model = widget_state.get(output.data[WIDGET].get("model_id"), {})
    if model:
        children = [c.replace("IPY_MODEL_", "") for c in model.get("state", {}).get("children", [])]
        names = [model.get("model_name", "")] + [widget_state.get(c, {}).get("model_name", "") for c in children]
        return any(n.endswith("ProgressModel") for n in names)
    return bool(re.search(r"\d+/\S*\s*\[\d+:\d+<", output.data.get("text/plain", "")))


def _rewrite_outputs(cell, notebook: str, title: str, link_prefix: str, widget_state: dict) -> None:
    """Replace a code cell's saved-figure images by links, its widgets by a sentence (progress bars by nothing:
    the lines a run prints say the same without the timings)."""
    names, outputs = saved_figures(cell.source), []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if WIDGET in data and is_progress_bar(output, widget_state):
            continue
        elif WIDGET in data:
            output = _markdown_output(widget_sentence(output, notebook, title))
        elif any(t in data for t in IMAGE_TYPES) and names and _is_figure(output, figures_dir() / names[0]):
            name = names.pop(0)
            output = _markdown_output(f"![{Path(name).stem}]({link_prefix}/{name})")
        outputs.append(output)
    cell.outputs = outputs


def rebase_links(markdown: str, old_dir: Path, new_dir: Path) -> str:
    """Markdown with every relative link written for a file in ``old_dir`` rewritten for one in ``new_dir``."""
    def fix(m: re.Match) -> str:
        target = m.group(2)
        if re.match(r"^([a-z][a-z0-9+.-]*:|#|/)", target, re.I):
            return m.group(0)  # a URL, an anchor or an absolute path
        return m.group(1) + _rel(old_dir / target, new_dir) + m.group(3)
    return LINK.sub(fix, markdown)


def _known_paths() -> list[tuple[str, str]]:
    """(machine path, what a reader sees instead), most specific first."""
    pairs = [(figures_dir(), "figures"), (report_dir(), "report"), (cache_dir(), "$COLORLIB_CACHE"),
             (REPO_DIR, "."), (Path(sysconfig.get_paths()["purelib"]), "site-packages"), (Path(sys.prefix), ".venv"),
             (Path.home(), "~")]
    out = []
    for path, label in pairs:
        for variant in {str(path), str(path.resolve())}:
            out.append((variant, label))
    return sorted(out, key=lambda pair: -len(pair[0]))


def scrub(text: str) -> str:
    """``text`` without machine paths: known folders become their names (``report/...``, ``site-packages/...``,
    ``~/...``), any other machine path its last component (``.../name``)."""
    for path, label in _known_paths():
        if len(path) > 1:
            text = re.sub(re.escape(path) + r"(?![\w.-])", lambda _: label, text)
    text = re.sub(r"(?<![\w.])\./", "", text)  # "./colorlib/x.py" (the checkout's own files) -> "colorlib/x.py"
    return PATH_TOKEN.sub(lambda m: ".../" + m.group(0).rstrip("/").rsplit("/", 1)[-1], text)


def _render(nb, stem: str) -> tuple[str, dict]:
    """nbconvert's Markdown of a prepared notebook, and the images it extracted (``images/<stem>_<cell>_<n>.png``).
    Consecutive stream outputs are merged and a line rewritten with carriage returns (a progress bar) keeps its
    last state, as a terminal shows it."""
    from nbconvert import MarkdownExporter
    from traitlets.config import Config

    config = Config()
    config.NbConvertBase.display_data_priority = PRIORITY
    config.CoalesceStreamsPreprocessor.enabled = True
    body, resources = MarkdownExporter(config=config).from_notebook_node(
        nb, resources={"unique_key": stem, "output_files_dir": IMAGES})
    return body, resources.get("outputs", {})


def _write_images(images: dict[str, bytes], stem: str) -> None:
    """Write a chapter's own images atomically beside it and remove the ones its last export wrote and this one
    did not."""
    folder = chapters_dir() / IMAGES
    for name, content in images.items():
        if Path(name).parent != Path(IMAGES):
            raise ValueError(f"nbconvert extracted {name!r} outside {IMAGES}/ for {stem}")
        files.write_bytes(chapters_dir() / name, content)
    kept = {Path(name).name for name in images}
    for old in folder.glob(f"{stem}_*"):
        if old.name not in kept and re.fullmatch(re.escape(stem) + r"_\d+_\d+\.\w+", old.name):
            old.unlink()


def chapter_markdown(executed: Path) -> tuple[str, dict[str, bytes]]:
    """The chapter of an executed notebook and the images that go beside it (see the module docstring)."""
    nb = nbformat.read(executed, as_version=4)
    stem = executed.stem
    link_prefix = _rel(figures_dir(), chapters_dir())
    title = title_and_question(nb)[0]
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    for cell in nb.cells:
        if cell.cell_type == "code":
            _rewrite_outputs(cell, stem, title, link_prefix, state)
        elif cell.cell_type == "markdown":
            cell.source = rebase_links(cell.source, NOTEBOOKS_DIR, chapters_dir())
    body, images = _render(nb, stem)
    params = nb.metadata.get("papermill", {}).get("parameters", {})
    header = (f"<!-- Generated by `python -m colorlib.report` from the executed notebooks/{stem}.ipynb: edit the "
              f"notebook, not this file. -->\n\n[The report](../README.md) · chapter {stem[:2]} · profile "
              f"`{params.get('profile', '?')}`, seeds {_seeds(params.get('seeds'))} · source: "
              f"`notebooks/{stem}.ipynb`\n\n")
    text = scrub(header + re.sub(r"\n{3,}", "\n\n", body).strip() + "\n")
    secret = SECRET.search(text)
    if secret:
        line = text.count("\n", 0, secret.start()) + 1
        raise ValueError(f"{executed}: its chapter would contain something that looks like a secret (line {line}); "
                         f"not written: clear that output in the notebook and run it again")
    return text, images


def export(executed: Path) -> Path:
    """Write ``report/chapters/<name>.md`` (and its own images) from ``report/<name>.ipynb``; returns its path."""
    text, images = chapter_markdown(Path(executed))
    path = chapters_dir() / f"{Path(executed).stem}.md"
    _write_images(images, Path(executed).stem)
    files.write_text(path, text)
    return path


def _seeds(seeds) -> str:
    return ", ".join(map(str, seeds)) if seeds else "?"


# ============================================================================================ the front page
def source_notebooks() -> list[Path]:
    """The numbered notebooks, in order (as the report runner finds them)."""
    return sorted(NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def title_and_question(nb) -> tuple[str, str]:
    """A notebook's title (its first markdown cell's heading) and question (the paragraph of that cell that starts
    with "**Question", else the first paragraph after the heading)."""
    first = next((c.source for c in nb.cells if c.cell_type == "markdown"), "")
    lines = first.strip().splitlines()
    title = lines[0].lstrip("#").strip() if lines and lines[0].startswith("#") else ""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", "\n".join(lines[1:] if title else lines)) if p.strip()]
    question = next((p for p in paragraphs if p.startswith("**Question")), paragraphs[0] if paragraphs else "")
    return title, question


def _manifest() -> dict:
    path = figures_dir() / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}


def key_figure(notebook: Path) -> str | None:
    """The file name in ``figures/`` of the figure the front page shows for ``notebook`` (``KEY_FIGURES``, else the
    first one the notebook saves); None when it has not been written."""
    nb = nbformat.read(notebook, as_version=4)
    saved = [name for c in nb.cells if c.cell_type == "code" for name in saved_figures(c.source)]
    name = KEY_FIGURES.get(notebook.name[:2]) if KEY_FIGURES.get(notebook.name[:2]) in saved else next(iter(saved), None)
    return name if name and (figures_dir() / name).exists() else None


def _verdict(entry: dict | None) -> str:
    if entry is None:
        return "not measured"
    if "verdict" not in entry:
        return "no verdict recorded (results from older code)"
    return claims.wording(entry["verdict"], markdown=True)


def claim_rows(nb_id: str) -> list[str]:
    """Markdown table rows (claim, verdict, measured) of the claims notebook ``nb_id`` owns: its C claims from
    ``claims.CLAIMS`` and the further ones (S1, ...) its results recorded."""
    recorded = claims.recorded(nb_id)
    own = [(cid, text) for cid, (nb, text) in claims.CLAIMS.items() if nb == nb_id]
    own += [(cid, entry.get("text", "")) for cid, entry in sorted(recorded.items()) if cid not in claims.CLAIMS]
    rows = []
    for cid, text in own:
        entry = recorded.get(cid)
        measured = entry.get("measured", "") if entry else f"notebook {nb_id} has not recorded it"
        rows.append(f"| {cid}: {claims.table_cell(text)} | {_verdict(entry)} | {claims.table_cell(measured)} |")
    return rows


def section(notebook: Path) -> str:
    """One notebook's part of the front page: title, question, key figure, verdicts, link to the chapter."""
    nb = nbformat.read(notebook, as_version=4)
    title, question = title_and_question(nb)
    lines = [f"## {title or notebook.stem}", "", rebase_links(question, NOTEBOOKS_DIR, report_dir()), ""]
    figure = key_figure(notebook)
    if figure:
        lines += [f"![{Path(figure).stem}]({_rel(figures_dir() / figure, report_dir())})", ""]
    rows = claim_rows(notebook.name[:2])
    if rows:
        lines += ["| claim | verdict | measured |", "|---|---|---|", *rows, ""]
    chapter = chapters_dir() / f"{notebook.stem}.md"
    lines.append(f"[The whole chapter: prose, code, outputs and every figure]({_rel(chapter, report_dir())})"
                 if chapter.exists() else f"No chapter yet: `python -m colorlib.report --only {notebook.name[:2]}`.")
    return "\n".join(lines) + "\n"


def machine_text(machine: dict | None) -> str:
    """A machine record of ``figures/manifest.json`` in words."""
    if not machine:
        return "not recorded"
    text = (f"{machine.get('cpu', '?')} ({machine.get('cpus', '?')} CPUs, {machine.get('cpu_capability', '?')}), "
            f"torch {machine.get('torch', '?')}, Python {machine.get('python', '?')}")
    return text + (f", GPU {machine['cuda']}" if machine.get("cuda") else "")


def provenance(notebook: Path, manifest: dict) -> dict:
    """How a notebook's last run was produced: profile and seeds (its results), commit, dirty tree, machine and
    date (the manifest entries of its figures, the latest)."""
    nb_id = notebook.name[:2]
    data = results.load(nb_id) if results.exists(nb_id) else {}
    entries = sorted((e for e in manifest.values() if e.get("notebook") == notebook.name), key=lambda e: e["date"])
    last = entries[-1] if entries else {}
    params = last.get("parameters", {})
    return {"profile": data.get("profile", params.get("profile", "-")), "seeds": data.get("seeds", last.get("seeds")),
            "commit": last.get("git_commit", "-"), "dirty": last.get("dirty"), "date": last.get("date", "-"),
            "machine": machine_text(last.get("machine")) if last else "-"}


def provenance_markdown(notebooks: list[Path]) -> str:
    """The "how it was produced" section: one row per notebook, the machines named once below the table."""
    manifest = _manifest()
    rows, machines = [], {}
    for path in notebooks:
        p = provenance(path, manifest)
        if p["machine"] != "-":
            machines.setdefault(p["machine"], []).append(path.name[:2])
        commit = f"`{p['commit']}`" + (" (uncommitted changes)" if p["dirty"] else "") if p["commit"] != "-" else "-"
        rows.append(f"| {path.stem} | `{p['profile']}` | {_seeds(p['seeds']) if p['seeds'] else '-'} | {commit} | "
                    f"{p['date']} |")
    lines = ["## How it was produced", "",
             "Each notebook's last run: the profile and seeds from its `report/results/NN.json`, the commit and date "
             "from `figures/manifest.json` (the figures it wrote).", "",
             "| notebook | profile | seeds | commit | date (UTC) |", "|---|---|---|---|---|", *rows, ""]
    every = len(machines) == 1 and len(next(iter(machines.values()), [])) == len(notebooks)
    lines += [f"Machine ({'every notebook' if every else ', '.join(ids)}): {text}." for text, ids in machines.items()]
    return "\n".join(lines).rstrip() + "\n"


def front_page() -> str:
    """``report/README.md``: the study notebook by notebook, then how it was produced."""
    notebooks = source_notebooks()
    intro = ["# The report: style-guided colourisation, notebook by notebook", "",
             "<!-- Generated by `python -m colorlib.report` after every run (`--export-only` re-exports without "
             "running): edit the notebooks, not this file. -->", "",
             "Each section gives a notebook's question, its key figure, the verdicts of the claims it checks and a "
             "link to its whole chapter (prose, code, printed outputs and every figure, exported from the executed "
             "notebook). Every claim in one table: [claims.md](claims.md). " + claims.RULE, ""]
    held = [f"[{name}]({name})" for name in claims.robustness_tables()]
    if held:
        intro += ["Whether the verdicts hold under other training seeds and on other machines: "
                  + claims.listing(held) + ".", ""]
    body = "\n".join(section(path) for path in notebooks)
    return "\n".join(intro) + "\n" + body + "\n" + provenance_markdown(notebooks)


def export_all() -> list[Path]:
    """Export every executed notebook in ``report/`` to its chapter, then write ``report/README.md``; returns the
    paths written. Chapters of notebooks that were not executed here are kept (a partial run updates its own).
    A chapter refused (a secret) is not written; the others are, and a ``ValueError`` then names each refusal."""
    written, refused = [], []
    for source in source_notebooks():
        executed = report_dir() / source.name
        if executed.exists():
            try:
                written.append(export(executed))
            except ValueError as err:
                refused.append(str(err))
    path = report_dir() / "README.md"
    files.write_text(path, scrub(front_page()))
    files.write_text(report_dir() / "report.html", report_html())
    if refused:
        raise ValueError("\n".join(refused))
    return written + [path]


HTML_STYLE = ("body{max-width:62rem;margin:2rem auto;padding:0 1rem;font:16px/1.5 system-ui,sans-serif}"
              "img{max-width:100%}pre{background:#f6f8fa;padding:.6rem;overflow-x:auto}"
              "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem}"
              "section{border-top:3px solid #888;margin-top:3rem}")


def report_html() -> str:
    """The whole report as one HTML page (the front page, then every chapter; images linked, not embedded),
    rendered from the Markdown that ``export_all`` wrote, with links rebased to ``report/`` and the links between
    front page and chapters turned into anchors."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    def local(text: str) -> str:
        text = re.sub(r"\]\(chapters/([\w.-]+)\.md\)", r"](#chapter-\1)", text)
        return text.replace("](README.md)", "](#top)")

    parts = [f'<section id="top">{markdown2html_mistune(local((report_dir() / "README.md").read_text()))}</section>']
    for chapter in sorted(chapters_dir().glob("[0-9][0-9]_*.md")):
        text = local(rebase_links(chapter.read_text(), chapters_dir(), report_dir()))
        parts.append(f'<section id="chapter-{chapter.stem}">{markdown2html_mistune(text)}</section>')
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>colorlib: the report</title>'
            f"<style>{HTML_STYLE}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


# ============================================================================================ checking it
def _targets(text: str) -> list[str]:
    """The relative link and image targets of a Markdown text (URLs and anchors left out)."""
    found = [m.group(2) for m in LINK.finditer(text)] + re.findall(r"<img[^>]*\ssrc=[\"']([^\"']+)", text)
    return [t.split("#", 1)[0] for t in found if not re.match(r"^([a-z][a-z0-9+.-]*:|#)", t, re.I)]


def check(report: Path, require_all: bool = True) -> list[str]:
    """What is wrong with the report written in ``report`` (empty: nothing): a notebook without a chapter (when
    ``require_all``), no front page, a link to a file that does not exist, a machine path, a secret."""
    report = Path(report)
    pages = [report / "README.md", *sorted((report / "chapters").glob("*.md"))]
    problems = []
    if require_all:
        problems += [f"{page}: missing" for page in pages[:1] if not page.exists()]
        problems += [f"{report / 'chapters' / (nb.stem + '.md')}: missing (no chapter for notebooks/{nb.name})"
                     for nb in source_notebooks() if not (report / "chapters" / f"{nb.stem}.md").exists()]
    for page in (p for p in pages if p.exists()):
        text = page.read_text()
        problems += [f"{page}: links to {t}, which does not exist" for t in _targets(text)
                     if t.startswith("/") or not (page.parent / t).exists()]
        if MACHINE_PATH.search(text):
            problems.append(f"{page}: machine path {MACHINE_PATH.search(text).group(0)!r}")
        if SECRET.search(text):
            problems.append(f"{page}: something that looks like a secret")
    return problems

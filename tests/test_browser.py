"""Real-browser test of the style picker: Voila serves notebooks/12_style_picker.ipynb on 127.0.0.1, Playwright
drives Debian's Chromium (``/usr/bin/chromium``; no browser download), uploads a photo, picks two paintings and
checks that the displayed result changes and differs between them, then saves the result.

Screenshots are kept in ``.cache/test-artifacts/browser/`` (git-ignored): ``picker.png`` (the whole page at the
end) and ``result_*.png`` (the result image after each step).

The model is tests/picker_fixture.py's style-sensitive stand-in (random AdaIN; passed to the notebook through
``COLORLIB_PICKER_CHECKPOINT``), because a model trained for seconds hardly reacts to the style; photos and
paintings are the smoke profile's (the embedded data set that ``make test`` prepares). Skipped, with the reason,
when chromium, playwright or voila is missing; ``make test`` installs chromium as root (CI).
"""
from __future__ import annotations

import importlib.util
import io
import os
import shutil
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from picker_fixture import make_checkpoint

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / ".cache" / "test-artifacts" / "browser"
NOTEBOOK = ROOT / "notebooks" / "12_style_picker.ipynb"
CHROMIUM = next((p for p in (shutil.which("chromium"), "/usr/bin/chromium") if p and os.path.exists(p)), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGE_TIMEOUT_MS = 240_000  # Voila runs the whole notebook (smoke profile) before the page shows
STEP_TIMEOUT_MS = 60_000

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (as root, `make test` installs "
                                                "it: apt-get install chromium)"),
    pytest.mark.skipif(importlib.util.find_spec("playwright") is None, reason="playwright is not installed"),
    pytest.mark.skipif(importlib.util.find_spec("voila") is None, reason="voila is not installed"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (Linux /proc), so the server's kernels can be stopped by id."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _stop(proc: subprocess.Popen) -> None:
    pids = _descendants(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    for pid in pids:  # kernels live in their own sessions: stop any that outlived the server
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def voila_server(tmp_path):
    port = _free_port()
    ckpt = make_checkpoint(tmp_path / "model" / "best", "rgb", source="gcompris", size=32)
    env = dict(os.environ, COLORLIB_PROFILE="smoke", COLORLIB_PICKER_CHECKPOINT=str(ckpt),
               COLORLIB_PICKER_OUT=str(tmp_path / "saved"), COLORLIB_FIGURES=str(tmp_path / "figures"),
               COLORLIB_REPORT=str(tmp_path / "report"), JUPYTER_PLATFORM_DIRS="1", PYTHONUNBUFFERED="1")
    log = open(tmp_path / "voila.log", "w")
    token = secrets.token_hex(16)  # the app is served with a token (voila.json), so the test passes one
    proc = subprocess.Popen(
        [sys.executable, "-m", "voila", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1",
         f"--token={token}", "--show_tracebacks=True", str(NOTEBOOK)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"voila did not start: {(tmp_path / 'voila.log').read_text()[-2000:]}")
                time.sleep(0.5)
        yield {"url": f"http://127.0.0.1:{port}/?token={token}", "saved": tmp_path / "saved",
               "log": tmp_path / "voila.log"}
    finally:
        _stop(proc)
        log.close()


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=float)


@pytest.mark.timeout(600)
def test_picker_in_chromium(voila_server, tmp_path):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    upload = tmp_path / "my photo.jpg"
    yy, xx = np.mgrid[0:300, 0:450]
    Image.fromarray(np.stack([xx % 256, yy % 256, (xx + yy) % 256], -1).astype(np.uint8)).convert("L").save(upload)

    started = time.time()
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 1600})
        try:
            page = browser.pages[0] if browser.pages else browser.new_page()
            page.set_default_timeout(STEP_TIMEOUT_MS)
            page.goto(voila_server["url"], timeout=PAGE_TIMEOUT_MS)
            paintings = page.locator(".colorlib-painting")
            try:
                paintings.first.wait_for(state="visible", timeout=PAGE_TIMEOUT_MS)
            except Exception:
                page.screenshot(path=str(ARTIFACTS / "picker_failed.png"), full_page=True)
                raise AssertionError("the picker did not appear; voila log:\n"
                                     + voila_server["log"].read_text()[-3000:]) from None
            result = page.locator("img.colorlib-result")
            status = page.locator(".colorlib-status")

            def settle(text: str, old_src: str | None) -> bytes:
                """Wait until the status names ``text`` and the result image was replaced and loaded."""
                page.wait_for_function("t => (document.querySelector('.colorlib-status') || {}).textContent"
                                       "?.includes(t)", arg=text)
                page.wait_for_function("([old]) => { const i = document.querySelector('img.colorlib-result');"
                                       " return i && i.src && i.src !== old && i.complete && i.naturalWidth > 0; }",
                                       arg=[old_src])
                return result.screenshot()

            # A photo uploaded through the FileUpload widget becomes the content (natural colours by default).
            src = result.get_attribute("src")
            with page.expect_file_chooser() as chooser:  # the widget's <input type=file> is not in the DOM
                page.locator(".colorlib-upload-photo").click()
            chooser.value.set_files(str(upload))
            shots = {"upload": settle("my photo.jpg", src)}
            size = page.evaluate("() => { const i = document.querySelector('img.colorlib-result');"
                                 " return [i.naturalWidth, i.naturalHeight]; }")
            assert size == [256, 171], f"the result does not show the uploaded 450x300 photo: {size}"
            assert "natural colours" in status.text_content()

            # Pick two paintings: the displayed result changes, and differs between them.
            for i in (0, 1):
                title = paintings.nth(i).get_attribute("title")
                src = result.get_attribute("src")
                paintings.nth(i).click()
                shots[f"painting{i}"] = settle(title, src)
            for name, png in shots.items():
                (ARTIFACTS / f"result_{name}.png").write_bytes(png)
            upload_px, first, second = (_pixels(shots[k]) for k in ("upload", "painting0", "painting1"))
            assert np.abs(first - upload_px).mean() > 1.0, "picking a painting did not change the result"
            assert np.abs(second - first).mean() > 1.0, "two paintings gave the same result"

            # Save: the full-resolution PNG lands in COLORLIB_PICKER_OUT.
            page.locator(".colorlib-save").click()
            page.wait_for_function("() => (document.querySelector('.colorlib-saved') || {}).textContent"
                                   "?.includes('saved')")
            page.screenshot(path=str(ARTIFACTS / "picker.png"), full_page=True)
        finally:
            browser.close()
    saved = list(voila_server["saved"].glob("*.png"))
    assert len(saved) == 1 and Image.open(saved[0]).size == (450, 300)
    print(f"browser test: {time.time() - started:.0f} s; screenshots in {ARTIFACTS}")

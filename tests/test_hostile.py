"""Hostile inputs (issue 14): each case is a failure found by trying colorlib as an attacker or a careless user
would, with a real file, a real process where it matters and a real signal for interruption. None of them may
crash the process, lose or half-write a file, or run code from a data file.

1. a pickled payload as the LPIPS trunk runs nothing; the genuine trunk still loads and computes lpips' numbers;
2. outputs are atomic and never replace a file the run did not create (full disk, SIGTERM, an existing file, a
   symlink, two processes racing, two picker saves);
3. memory is bounded by the input's pixel count (a 400000x32 strip, --work-size, picker uploads);
4. damaged or hostile checkpoint and run metadata is refused with the file and the field named;
5. the evaluation cache recomputes any entry that is not one of its own;
6. picker callbacks validate before changing state;
7. multi-frame images warn, tiny images are coloured, a checkpoint's recorded folder is never scanned, the app
   needs a token, no machine paths in the code, the manifest's dirty-tree record.
"""
from __future__ import annotations

import io
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from colorlib import checkpoint as ck
from colorlib import cli, data, evalcache, files, inference, losses, picker, runs
from lpips_fixture import lpips_torch_home  # noqa: F401  (fixture)
from picker_fixture import checkpoint_env, make_checkpoint, make_photos, painting, photo

ROOT = Path(__file__).resolve().parents[1]
TRUNK = "squeezenet1_1-b8a52dc0.pth"


def _env(**extra) -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", **extra}


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with checkpoint_env(tmp_path_factory.mktemp("hostile")) as base:
        photo(size=(90, 60)).save(base["root"] / "photo.png")
        yield base


def _colorize(env, *args, out, checkpoint="rgb") -> int:
    return cli.main(["colorize", *map(str, args), "--checkpoint", str(env["stems"][checkpoint].parent),
                     "--natural-from", str(env["photos"]), "--no-progress", "--out", str(out)])


def _temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(files.TMP_SUFFIX)]


# ================================================================================ 1. no code from weights
class _Payload:
    """Unpickling this creates ``marker``: proof that code in a weights file ran."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _hostile_hub(root: Path) -> Path:
    checkpoints = root / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.save({"features.0.weight": torch.zeros(1), "evil": _Payload(str(root / "pwned"))}, checkpoints / TRUNK)
    return root


def test_pickled_trunk_is_refused_and_runs_nothing(tmp_path, monkeypatch):
    home = _hostile_hub(tmp_path)
    with pytest.raises(losses.LPIPSUnavailable, match=re.escape(TRUNK) + ".*refused"):
        losses.load_weights_file(home / "hub" / "checkpoints" / TRUNK)
    monkeypatch.setenv("TORCH_HOME", str(home))
    monkeypatch.setenv("COLORLIB_OFFLINE", "1")
    losses.clear_lpips_cache()
    try:
        with pytest.warns(losses.LPIPSFallbackWarning, match="refused"):
            model, trunk = losses.load_lpips("squeeze")
    finally:
        losses.clear_lpips_cache()
    assert model is None and trunk.net is None
    assert not (home / "pwned").exists()


def test_pickled_trunk_runs_nothing_when_a_training_loss_is_built(tmp_path):
    home = _hostile_hub(tmp_path)
    code = ("import warnings; warnings.simplefilter('ignore')\n"
            "from colorlib import losses\n"
            "loss = losses.build_loss({'mse': 1.0, 'lpips': 0.1}, 'squeeze')\n"
            "print('dropped', loss.dropped_terms)\n")
    proc = subprocess.run([sys.executable, "-c", code], env=_env(TORCH_HOME=str(home), COLORLIB_OFFLINE="1"),
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "dropped" in proc.stdout and "lpips" in proc.stdout
    assert not (home / "pwned").exists()


def test_genuine_trunk_loads_without_unpickling_and_matches_lpips(lpips_torch_home):  # noqa: F811
    import lpips

    losses.clear_lpips_cache()
    try:
        model, trunk = losses.load_lpips("squeeze")
    finally:
        losses.clear_lpips_cache()
    path = losses.checkpoint_path("squeeze")
    verified = losses.checkpoint_verified(path)
    assert trunk.label == "LPIPS-squeeze" + ("" if verified else " (unverified trunk)")
    # lpips' own loader (it unpickles: fine for this trusted copy, never done by colorlib) gives the same numbers
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch, "load", lambda *a, **k: torch.serialization.load(*a, **{**k, "weights_only": True}))
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = lpips.LPIPS(net="squeeze", verbose=False).eval()
    gen = torch.Generator().manual_seed(0)
    a, b = torch.rand(2, 3, 32, 32, generator=gen) * 2 - 1, torch.rand(2, 3, 32, 32, generator=gen) * 2 - 1
    with torch.no_grad():
        ours, theirs = model(a, b).flatten(), reference(a, b).flatten()
        same = model(a, a).flatten()
    assert torch.allclose(ours, theirs, atol=1e-6) and (ours > 0.01).all() and (same.abs() < 1e-6).all()


# ============================================================================== 2. outputs are atomic
def test_existing_file_is_kept_unless_overwrite(env, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "photo.png").write_bytes(b"someone else's file")
    assert _colorize(env, env["root"] / "photo.png", "--style", "natural", out=out) == 0
    assert (out / "photo.png").read_bytes() == b"someone else's file"
    assert Image.open(out / "photo-1.png").size == (90, 60)
    assert "photo-1.png" in capsys.readouterr().out
    assert _colorize(env, env["root"] / "photo.png", "--style", "natural", "--overwrite", out=out) == 0
    assert Image.open(out / "photo.png").size == (90, 60)
    assert sorted(p.name for p in out.iterdir()) == ["photo-1.png", "photo.png"]


def test_symlink_at_the_output_is_never_followed(env, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (out / "photo.png").symlink_to(victim)
    assert _colorize(env, env["root"] / "photo.png", "--style", "natural", out=out) == 0
    assert victim.read_text() == "precious" and (out / "photo.png").is_symlink()
    assert Image.open(out / "photo-1.png").size == (90, 60)
    assert _colorize(env, env["root"] / "photo.png", "--style", "natural", "--overwrite", out=out) == 0
    assert victim.read_text() == "precious" and not (out / "photo.png").is_symlink()  # replaced, not followed
    assert Image.open(out / "photo.png").size == (90, 60)


def test_full_disk_keeps_the_old_output_and_leaves_no_temporary(env, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    assert _colorize(env, env["root"] / "photo.png", "--style", "natural", out=out) == 0
    good = (out / "photo.png").read_bytes()

    def full_disk(self, fp, *args, **kwargs):
        Path(fp).write_bytes(good[:100])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", full_disk)
    assert _colorize(env, env["root"] / "photo.png", "--style", "natural", "--overwrite", out=out) == 1
    assert "No space left" in capsys.readouterr().err
    assert (out / "photo.png").read_bytes() == good and not _temporaries(out)
    assert sorted(p.name for p in out.iterdir()) == ["photo.png"]


SIGTERM_SCRIPT = """
import os, signal, sys, time
from pathlib import Path
from PIL import Image
from colorlib import cli

real_save = Image.Image.save

def slow_save(self, fp, *args, **kwargs):  # half the PNG is on disk when the signal arrives
    real_save(self, fp, *args, **kwargs)
    data = Path(fp).read_bytes()
    Path(fp).write_bytes(data[: len(data) // 2])
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(30)

Image.Image.save = slow_save
sys.exit(cli.main(sys.argv[1:]))
"""


def test_sigterm_during_the_write_leaves_the_old_file_and_no_partial_one(env, tmp_path):
    out = tmp_path / "out"
    assert _colorize(env, env["root"] / "photo.png", "--style", "natural", out=out) == 0
    good = (out / "photo.png").read_bytes()
    args = ["colorize", str(env["root"] / "photo.png"), "--style", "natural", "--checkpoint",
            str(env["stems"]["rgb"].parent), "--natural-from", str(env["photos"]), "--overwrite", "--no-progress",
            "--out", str(out)]
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", SIGTERM_SCRIPT, *args], env=_env(), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 143, proc.stderr[-2000:]
    assert "interrupted (SIGTERM)" in proc.stderr and time.monotonic() - start < 30 + 200
    assert (out / "photo.png").read_bytes() == good and not _temporaries(out)
    assert sorted(p.name for p in out.iterdir()) == ["photo.png"]


RACE_SCRIPT = """
import sys, time
from colorlib import files
target, tag, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
while time.time() < start:
    pass
for i in range(25):
    files.write_new(target, lambda tmp: open(tmp, "w").write(f"{tag} {i} " + "x" * 20000))
"""


def test_two_processes_writing_one_name_never_lose_a_result(tmp_path):
    target = tmp_path / "photo.png"
    start = time.time() + 3
    procs = [subprocess.Popen([sys.executable, "-c", RACE_SCRIPT, str(target), tag, str(start)], env=_env())
             for tag in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    contents = [p.read_text() for p in tmp_path.iterdir()]
    assert len(contents) == 50 and all(c.endswith("x" * 20000) for c in contents)
    assert sorted(tuple(c.split(" ")[:2]) for c in contents) == sorted((t, str(i)) for t in "ab" for i in range(25))


def test_two_picker_saves_of_one_name_keep_both(env, tmp_path):
    cm = inference.load_checkpoint(env["stems"]["rgb"], natural=env["photos"])
    app = picker.StylePicker({"RGB": cm}, [("photo", photo())], [("p", painting(0))], out_dir=tmp_path)
    first, second = app.save(), app.save()
    assert first != second and first.exists() and second.exists()
    assert Image.open(first).size == Image.open(second).size == photo().size


# ============================================================================== 3. memory is bounded
def test_a_400000_by_32_strip_is_refused_at_once(env, tmp_path, capsys):
    strip = tmp_path / "strip.png"
    Image.new("RGB", (400000, 32), (120, 90, 60)).save(strip, optimize=True)
    assert strip.stat().st_size < 100_000  # a tiny file ...
    start = time.monotonic()
    assert _colorize(env, strip, "--style", "natural", out=tmp_path / "out") == 1
    assert time.monotonic() - start < 30  # ... that used to take 65 s and 5.5 GB
    assert re.search(r"skipping .*strip.png: too elongated .*400000x32", capsys.readouterr().err)


@pytest.mark.parametrize("size", [(400000, 32)[::-1], (3200, 32), (32, 3200), (20000, 9000), (100000, 1000), (7, 5),
                                  (1, 1), (6000, 4000), (200, 100)])
@pytest.mark.parametrize("work_size", [32, 256, inference.MAX_WORK_SIZE])
def test_the_network_input_stays_within_the_pixel_budget(size, work_size):
    w, h = size
    if max(w, h) > inference.MAX_ASPECT * min(w, h):
        with pytest.raises(inference.ShapeRefused, match=f"{w}x{h}"):
            inference.work_shape(size, work_size)
        return
    nh, nw = inference.work_shape(size, work_size)
    assert nh * nw <= inference.NET_PIXELS
    assert min(nh, nw) >= min(work_size, inference.MIN_NET_SIDE)  # small images are up-sampled for the network
    assert abs(nw / nh - w / h) <= 0.02 * w / h + 1 / min(nh, nw)  # the shape is kept


def test_work_size_has_a_cap(env, tmp_path, capsys):
    # the colorlib command turns argparse's usage error into exit status 2
    assert _colorize(env, env["root"] / "photo.png", "--style", "natural", "--work-size", "4000", out=tmp_path) == 2
    assert f"--work-size must be in [8, {inference.MAX_WORK_SIZE}], got 4000" in capsys.readouterr().err


@pytest.mark.parametrize("flag, value, expected", [("--strength", "3", "--strength must be in [0, 1], got 3"),
                                                    ("--saturation", "nan", "--saturation must be in [0, 4], got nan"),
                                                    ("--quality", "0", "--quality must be in [1, 95], got 0"),
                                                    ("--alpha", "-0.5", "--alpha must be in [0, 1], got -0.5")])
def test_an_out_of_range_value_is_named(env, tmp_path, capsys, flag, value, expected):
    assert _colorize(env, env["root"] / "photo.png", flag, value, out=tmp_path) == 2
    assert expected in capsys.readouterr().err


def test_an_output_folder_that_is_a_file_is_refused_first(env, tmp_path, capsys):
    (tmp_path / "taken").write_text("not a folder")
    assert _colorize(env, env["root"] / "photo.png", out=tmp_path / "taken") == 2
    err = capsys.readouterr().err
    assert f"--out {tmp_path / 'taken'}: a file, not a folder" in err and "skipping" not in err


@pytest.mark.parametrize("command", ["colorize", "export"])
def test_two_sources_of_weights_are_refused(tmp_path, capsys, command):
    args = ["photo.png"] if command == "colorize" else ["--onnx"]
    # the colorlib command turns argparse's usage error into exit status 2
    assert cli.main([command, *args, "--checkpoint", "run", "--pretrained", "user/repo", "--out", str(tmp_path)]) == 2
    assert "--pretrained: not allowed with argument --checkpoint" in capsys.readouterr().err


def test_picker_keeps_a_bounded_number_of_uploads(env):
    cm = inference.load_checkpoint(env["stems"]["rgb"], natural=env["photos"])
    app = picker.StylePicker({"RGB": cm}, [("photo", photo())], [("p", painting(0))])
    for i in range(picker.MAX_UPLOADS + 3):
        buf = io.BytesIO()
        photo(seed=i).save(buf, format="PNG")
        assert app.upload_content((f"up{i}.png", buf.getvalue()))
        assert app.upload_style((f"style{i}.png", buf.getvalue()))
    assert len(app.contents) == 1 + picker.MAX_UPLOADS
    assert [c.name for c in app.contents[1:]] == [f"up{i}.png" for i in range(3, picker.MAX_UPLOADS + 3)]
    uploads = [k for k in app.styles if k.startswith("upload:")]
    assert len(uploads) == picker.MAX_UPLOADS and all(k[1] in app.styles for k in app._latents)


# ======================================================================= 4. hostile checkpoint metadata
def _forge(stem: Path, **meta) -> Path:
    """A safetensors file with colorlib's header and ``meta`` on top (strings, as safetensors stores them)."""
    header = {"format": ck.FORMAT, "version": "1", "state": json.dumps({"kind": "best"}), **meta}
    stem.parent.mkdir(parents=True, exist_ok=True)
    save_file({"model.x": torch.zeros(1)}, str(stem.with_suffix(".safetensors")), metadata=header)
    return stem


@pytest.mark.parametrize("meta, message", [
    ({"state": "[" * 100_000 + "]" * 100_000}, "nested too deeply"),
    ({"state": json.dumps({"config": {"model": "final"}})}, r"config\.model must be an object, got 'final'"),
    ({"state": json.dumps({"epoch": "ten"})}, r"epoch must be an integer >= 0, got 'ten'"),
    ({"state": json.dumps({"best_val": math.nan})}, r"best_val must be a finite number or null"),
    ({"state": "{not json"}, "not valid JSON"),
    ({"version": "one"}, r"version must be a whole number, got 'one'"),
])
def test_hostile_header_is_refused_naming_file_and_field(tmp_path, meta, message):
    stem = _forge(tmp_path / "ck", **meta)
    with pytest.raises(ck.CheckpointError, match=message) as err:
        inference.load_checkpoint(stem)
    assert str(stem.with_suffix(".safetensors")) in str(err.value)


def test_nan_weights_are_refused_by_the_command_line(env, tmp_path, capsys):
    stem = make_checkpoint(tmp_path / "nan" / "best", "rgb", source="samples")
    path = stem.with_suffix(".safetensors")
    tensors = load_file(str(path))
    name = next(k for k, v in tensors.items() if v.is_floating_point() and v.numel() > 4)
    tensors[name][0] = math.nan
    with open(path, "rb") as fh:  # keep colorlib's header
        n = int.from_bytes(fh.read(8), "little")
        meta = json.loads(fh.read(n))["__metadata__"]
    save_file(tensors, str(path), metadata=meta)
    out = tmp_path / "out"
    code = cli.main(["colorize", str(env["root"] / "photo.png"), "--style", str(env["root"] / "photo.png"),
                     "--checkpoint", str(stem), "--out", str(out)])
    assert code == 2 and not out.exists()
    assert re.search(rf"{re.escape(str(path))}.*NaN or infinite in {re.escape(name)} \(1 of", capsys.readouterr().err)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A finished tiny run (samples, 1 epoch) in its own cache; tests copy its folder before damaging it."""
    from _train_worker import tiny
    from colorlib.config import TrainConfig
    from colorlib.train import train

    root = tmp_path_factory.mktemp("trained")
    torch.set_num_threads(1)
    cfg = TrainConfig.from_dict(tiny(source="samples", batch_size=2))
    run = train(cfg, progress=False, cache_dir=root)
    return {"cfg": cfg, "dir": Path(run.dir), "root": root}


@pytest.mark.parametrize("name, text, message", [
    ("done.json", "{truncated", "not valid JSON"),
    ("done.json", '{"epochs": "1", "steps": 3}', r"epochs must be an integer >= 1, got '1'"),
    ("done.json", "[]", "the top level must be an object"),
    ("config.json", '{"model": [1, 2]', "not valid JSON"),
    ("config.json", '{"epochs": 1, "no_such_field": 3}', "no_such_field"),
    ("history.json", '[{"epoch": "x"}]', r"\[0\]\.epoch must be an integer >= 1"),
    ("history.json", "nul", "not valid JSON"),
])
def test_damaged_run_files_name_the_file_and_retrain(trained, tmp_path, name, text, message):
    folder = tmp_path / "run"
    shutil.copytree(trained["dir"], folder)
    (folder / name).write_text(text)
    with pytest.raises(runs.RunFileError, match=message) as err:
        runs.load_run(folder)
    assert str(folder / name) in str(err.value) and "--retrain" in str(err.value)


def test_truncated_last_checkpoint_names_retrain_and_retrain_recovers(trained, tmp_path, capsys):
    import yaml

    from colorlib import train as train_mod

    root = tmp_path / "cache"
    shutil.copytree(trained["root"], root)
    folder = root / trained["dir"].relative_to(trained["root"])
    (folder / "done.json").unlink()  # an unfinished run: the next call resumes from last
    last = folder / "last.safetensors"
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])
    config = tmp_path / "cfg.yaml"
    config.write_text(yaml.safe_dump(trained["cfg"].to_dict()))
    args = ["--config", str(config), "--cache-dir", str(root), "--no-progress"]
    assert train_mod.main(args) == 2
    err = capsys.readouterr().err
    assert str(last) in err and "--retrain" in err and "Traceback" not in err
    assert train_mod.main([*args, "--retrain"]) == 0
    assert runs.load_run(folder).summary["epochs"] == 1


# =============================================================================== 5. the evaluation cache
@pytest.mark.parametrize("text", ["{}", "[]", "null", "NaN", '{"value": 7}', "[" * 10000, '{"format": "x"}'])
def test_foreign_cache_entries_are_recomputed(isolated_cache, text):
    calls = []

    def compute():
        calls.append(1)
        return {"value": 1.5}

    x = torch.arange(4.0)
    assert evalcache.cached("demo", compute, x) == {"value": 1.5}
    (entry,) = (isolated_cache / "evals").rglob("demo-*.json")
    entry.write_text(text)
    assert evalcache.cached("demo", compute, x) == {"value": 1.5} and len(calls) == 2
    assert evalcache.cached("demo", compute, x) == {"value": 1.5} and len(calls) == 2  # rewritten, read back


def test_a_folder_at_an_entry_path_is_not_stored_and_leaves_nothing(isolated_cache):
    x = torch.arange(4.0)
    evalcache.cached("demo", lambda: {"value": 1.0}, x)
    (entry,) = (isolated_cache / "evals").rglob("demo-*.json")
    entry.unlink()
    entry.mkdir()
    with pytest.warns(UserWarning, match="not a file"):
        assert evalcache.cached("demo", lambda: {"value": 2.0}, x) == {"value": 2.0}
    assert entry.is_dir() and not _temporaries(isolated_cache)


# ================================================================================ 6. picker callbacks
def test_bad_picks_change_nothing(env):
    cm = inference.load_checkpoint(env["stems"]["rgb"], natural=env["photos"])
    app = picker.StylePicker({"RGB": cm}, [("a", photo()), ("b", photo(seed=1))], [("p", painting(0))])
    app.pick_style(0)
    before = (app.content_index, app.style_key, app.blend_key, app.alpha)
    for call, arg, error in ((app.pick_content, 999, IndexError), (app.pick_content, -1, IndexError),
                             (app.pick_content, "1", IndexError), (app.pick_style, "painting:99", KeyError),
                             (app.pick_style, 99, KeyError), (app.pick_style, None, KeyError),
                             (app.set_blend, "painting:99", KeyError), (app.set_alpha, math.nan, ValueError)):
        with pytest.raises(error):
            call(arg)
        assert (app.content_index, app.style_key, app.blend_key, app.alpha) == before
    app.update()  # the next callback works
    app.pick_content(1)
    assert app.content_index == 1


# ================================================================================ 7. smaller ones
def test_multi_frame_images_warn(tmp_path):
    frames = [Image.new("RGB", (40, 40), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    frames[0].save(tmp_path / "pages.tiff", save_all=True, append_images=frames[1:])
    with pytest.warns(data.MultiFrameWarning, match=r"anim\.gif: 3 frames \(GIF\); only the first"):
        assert data.open_rgb(tmp_path / "anim.gif").getpixel((0, 0)) == (255, 0, 0)
    with pytest.warns(data.MultiFrameWarning, match=r"pages\.tiff: 3 pages"):
        data.open_rgb(tmp_path / "pages.tiff")


@pytest.mark.parametrize("size", [(1, 1), (8, 8), (31, 200), (5, 3)])
def test_small_images_are_coloured_at_their_size(env, tmp_path, size):
    path = tmp_path / "small.png"
    photo(size=size).save(path)
    assert _colorize(env, path, "--style", "natural", out=tmp_path / "out") == 0
    assert Image.open(tmp_path / "out" / "small.png").size == size


def test_a_checkpoints_recorded_folder_is_never_scanned(tmp_path, monkeypatch):
    photos = make_photos(tmp_path / "secret", n=3)
    stem = make_checkpoint(tmp_path / "ck" / "best", "rgb", source=str(photos))
    read = []
    real = data.load_images
    monkeypatch.setattr(data, "load_images", lambda source, *a, **k: read.append(source) or real(source, *a, **k))
    with pytest.warns(UserWarning, match="never scanned"):
        cm = inference.load_checkpoint(stem)
    assert cm.natural is None and read == []
    chosen = make_photos(tmp_path / "chosen", n=3)
    assert inference.load_checkpoint(stem, natural=chosen).natural is not None and read == [str(chosen)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("voila") is None and not (Path(sys.executable).parent / "voila").exists(),
                    reason="voila is not installed")
def test_the_app_is_served_only_with_a_token(tmp_path):
    config = json.loads((ROOT / "voila.json").read_text())["Voila"]
    assert config == {"ip": "127.0.0.1", "auto_token": True}
    port = _free_port()
    log = open(tmp_path / "voila.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "voila", "--no-browser", f"--port={port}",
                             "notebooks/12_style_picker.ipynb"], cwd=ROOT, env=_env(JUPYTER_PLATFORM_DIRS="1"),
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                    status, body = page.status, page.read().decode(errors="replace")
                break
            except urllib.error.HTTPError as err:
                status, body = err.code, ""
                break
            except OSError:
                assert proc.poll() is None and time.time() < deadline, (tmp_path / "voila.log").read_text()[-2000:]
                time.sleep(0.5)
        # without the token: a login page or a refusal, never the app (no kernel is started for it)
        assert status in (401, 403) or "password" in body.lower() or "token" in body.lower(), (status, body[:500])
        assert "jupyter-widgets" not in body and "12_style_picker" not in body
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_no_machine_paths_in_the_code():
    pattern = re.compile(r"(?<![\w.])/(work|home|Users|mnt|root)/")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in sorted((ROOT / "colorlib").rglob("*.py"))
            for i, line in enumerate(p.read_text().splitlines(), 1)
            if pattern.search(line) and "re.compile(" not in line]  # a detector's pattern is not a path
    assert hits == []


def test_manifest_records_a_dirty_tree_and_its_files(tmp_path, monkeypatch):
    from colorlib import report

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True,
                       env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                            "GIT_COMMITTER_EMAIL": "t@t"})

    (tmp_path / "colorlib").mkdir()
    (tmp_path / "colorlib" / "a.py").write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "x")
    monkeypatch.setattr(report, "REPO_DIR", tmp_path)
    assert report.git_state()["dirty"] is False
    (tmp_path / "colorlib" / "a.py").write_text("x = 2\n")
    state = report.git_state()
    assert state["dirty"] is True and state["changed"] == ["colorlib/a.py"]


def test_the_committed_figures_were_made_from_a_clean_tree():
    """Every committed figure's manifest entry says its tree was clean (issue 15: never commit figures from a dirty
    tree), and a stability run's figures stay uncommitted."""
    shown = subprocess.run(["git", "show", "HEAD:figures/manifest.json"], cwd=ROOT, capture_output=True, text=True)
    if shown.returncode != 0:
        pytest.skip(f"not a git checkout with a committed manifest: {shown.stderr.strip()[:200]}")
    manifest = json.loads(shown.stdout)
    assert manifest and not [name for name, entry in manifest.items() if entry.get("dirty") is not False]
    tracked = subprocess.run(["git", "ls-files", "report/stability"], cwd=ROOT, capture_output=True, text=True).stdout
    assert not [p for p in tracked.split() if "/figures/" in p or p.endswith(".ipynb")]

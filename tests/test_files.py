"""colorlib.files: atomic writes leave the old file or the new one, never half of one, and follow no symlink;
the JSON cleaner."""
from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest
import torch

from colorlib import files


def test_clean_temporaries(tmp_path):
    (tmp_path / ".last.safetensors.abc.tmp").write_bytes(b"half")
    (tmp_path / "keep.txt").write_text("x")
    files.clean_temporaries(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.png"
    target.write_bytes(b"good")
    with pytest.raises(RuntimeError, match="disk full"):
        with files.atomic_path(target) as tmp:
            tmp.write_bytes(b"hal")
            raise RuntimeError("disk full")
    assert target.read_bytes() == b"good"
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_write_replaces_a_symlink_instead_of_following_it(tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("precious")
    link = tmp_path / "out" / "result.json"
    link.parent.mkdir()
    os.symlink(elsewhere, link)
    files.write_json(link, {"a": 1})
    assert elsewhere.read_text() == "precious"
    assert not link.is_symlink() and json.loads(link.read_text()) == {"a": 1}


def test_written_files_get_the_mode_a_plain_open_would_give_not_mkstemps_private_one(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    usual = 0o666 & ~umask  # what open("w") gives a new file; mkstemp alone gives 0600
    assert usual != 0o600, "a umask of 077 cannot tell the two apart"
    files.write_text(tmp_path / "figure.txt", "x")
    assert os.stat(tmp_path / "figure.txt").st_mode & 0o777 == usual
    new = files.write_new(tmp_path / "photo.png", lambda p: p.write_bytes(b"png"))
    assert os.stat(new).st_mode & 0o777 == usual
    os.chmod(tmp_path / "figure.txt", 0o640)  # rewriting a file keeps its mode, as open("w") does
    files.write_text(tmp_path / "figure.txt", "y")
    assert os.stat(tmp_path / "figure.txt").st_mode & 0o777 == 0o640
    os.chmod(new, 0o600)
    again = files.write_new(new, lambda p: p.write_bytes(b"png2"), overwrite=True)
    assert again == new and os.stat(new).st_mode & 0o777 == 0o600
    assert os.stat(files.write_new(new, lambda p: p.write_bytes(b"png3"))).st_mode & 0o777 == usual  # photo-1.png


def test_a_temporary_folder_renamed_into_place_gets_the_mode_mkdir_would_give(tmp_path):
    umask = os.umask(0)
    os.umask(umask)
    assert 0o777 & ~umask != 0o700, "a umask of 077 cannot tell the two apart"
    tmp = files.temporary_dir(".dataset-", tmp_path)
    assert tmp.parent == tmp_path and tmp.name.startswith(".dataset-") and not any(tmp.iterdir())
    tmp.rename(tmp_path / "dataset")
    assert os.stat(tmp_path / "dataset").st_mode & 0o777 == 0o777 & ~umask  # mkdtemp alone gives 0700


def test_write_creates_the_folder_and_writes_text_exactly(tmp_path):
    files.write_text(tmp_path / "a" / "b.txt", "x\ny")
    assert (tmp_path / "a" / "b.txt").read_text() == "x\ny"
    files.write_json(tmp_path / "c.json", {"b": 1, "a": [1.5]}, indent=2, sort_keys=True)
    assert (tmp_path / "c.json").read_text() == '{\n  "a": [\n    1.5\n  ],\n  "b": 1\n}\n'


def test_jsonable():
    value = {1: (np.float64(1.5), torch.tensor(2.0)), "x": np.arange(3), "nan": float("nan"), "obj": object}
    kept = files.jsonable(value)
    assert kept["1"] == [1.5, 2.0] and kept["x"] == [0, 1, 2] and math.isnan(kept["nan"])
    assert isinstance(kept["obj"], str)
    assert files.jsonable({"a": [float("inf"), -float("inf"), float("nan")]}, nonfinite="str") == {
        "a": ["inf", "-inf", "nan"]}

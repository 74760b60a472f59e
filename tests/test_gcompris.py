"""Tests of the embedded data set built from Debian's gcompris-qt-data (colorlib.gcompris + data.prepare).

The package is fetched and extracted once into the cache (CI runs ``python -m colorlib.data prepare`` before
pytest); `prepare()` is idempotent, so these tests call it and only read what it built.
"""
from __future__ import annotations

import io
import itertools
import json
import struct

import imagehash
import numpy as np
import pytest
from PIL import Image

from colorlib import data, gcompris


@pytest.fixture(scope="module")
def counts():
    return data.prepare("gcompris", progress=False)


@pytest.fixture(scope="module")
def real_root(counts):
    """The extracted (or installed) package, resolved before any test isolates the cache."""
    return gcompris.package_root(fetch=False)


@pytest.fixture(scope="module")
def table(counts):
    """Every row of the built dataset, without decoding the images."""
    import datasets
    ds = datasets.load_from_disk(str(data._dataset_dir("gcompris") / "dataset"))
    return ds.remove_columns("image").to_list()


def test_counts_in_expected_ranges(counts, table):
    photos = counts["photos"]
    print(f"\ngcompris: photos {photos} (found {counts['photos_found']}), paintings {counts['paintings']}, "
          f"duplicates removed {counts['duplicates_removed']}, grayscale excluded {counts['grayscale_excluded']}")
    assert 245 <= counts["photos_found"] <= 265
    assert counts["paintings"] == 29  # 21 re-assembled boards (22 minus the Pieta) + 8 Van Gogh in `details`
    assert 1 <= counts["duplicates_removed"] <= 10
    assert counts["grayscale_excluded"] >= 1
    assert sum(photos.values()) + counts["duplicates_removed"] + counts["grayscale_excluded"] == counts["photos_found"]
    assert 0.75 <= photos["train"] / sum(photos.values()) <= 0.85
    assert photos["val"] >= 20 and photos["test"] >= 20
    assert sum(r["kind"] == "photos" for r in table) == sum(photos.values()) + counts["grayscale_excluded"]
    # the known black-and-white photograph is kept out of colour training
    gray = [r["name"] for r in table if r["split"] == "grayscale"]
    assert "explore_monuments_usa_castleClinton" in gray


def test_prepare_second_call_is_fast(counts):
    import time
    start = time.perf_counter()
    assert data.prepare("gcompris") == counts
    assert time.perf_counter() - start < 0.5


def test_pieta_dropped_and_paintings_present(table):
    paintings = [r for r in table if r["kind"] == "paintings"]
    assert {r["split"] for r in paintings} == {"style"}
    titles = " ".join(r["title"] + " " + r["name"] for r in paintings)
    assert "Pieta" not in titles
    for painter in ("Renoir", "Hokusai", "Hiroshige", "Arcimboldo", "Kandinsky", "Mona Lisa", "van Gogh"):
        assert painter.lower() in titles.lower(), painter
    assert sum(r["source_path"].startswith("src/activities/paintings/") for r in paintings) == 21
    assert all(r["source_path"].startswith("src/activities/") for r in table)


def test_no_image_in_two_splits(table):
    paths = [r["source_path"] for r in table]
    names = [r["name"] for r in table]
    assert len(paths) == len(set(paths)) and len(names) == len(set(names))
    photo_splits = {r["source_path"]: r["split"] for r in table if r["kind"] == "photos"}
    assert set(photo_splits.values()) <= {"train", "val", "test", "grayscale"}


def test_no_near_duplicates_across_splits(table):
    photos = [r for r in table if r["kind"] == "photos"]
    hashes = [imagehash.hex_to_hash(r["phash"]) for r in photos]
    for (a, ha), (b, hb) in itertools.combinations(zip(photos, hashes), 2):
        assert ha - hb > data.PHASH_THRESHOLD, (a["name"], b["name"], ha - hb)


def test_stored_phash_matches_the_image():
    ds = data.load_dataset("gcompris", "photos", "val")
    for row in ds.select(range(5)):
        assert str(imagehash.phash(data.open_rgb(row["image"]))) == row["phash"]


def test_every_image_has_a_licence(table):
    assert all(r["licence"] and r["copyright"] for r in table)
    by_path = {r["source_path"]: r for r in table}
    # a specific stanza (the copyright file names the .jpg the .webp was made from)
    kangaroo = by_path["src/activities/explore_world_animals/resource/animals/kangaroo.webp"]
    assert (kangaroo["licence"], kangaroo["copyright"]) == ("GFDL-NIV-1.2", "fir0002/Flagstaffotos")
    # paintings inherit the stanza of their pieces
    mona = next(r for r in table if "Mona_Lisa" in r["name"])
    assert (mona["licence"], mona["copyright"]) == ("GPL-3+", "WebMuseum")
    manifest = (data._dataset_dir("gcompris") / "manifest.csv").read_text()
    assert "kangaroo.webp,GFDL-NIV-1.2,fir0002/Flagstaffotos" in manifest


def test_package_root_is_reused(counts):
    root = gcompris.package_root(fetch=False)
    assert (root / gcompris.RCC_SUBDIR / "paintings.rcc").is_file()
    assert (root / gcompris.COPYRIGHT_SUBPATH).is_file()


def test_real_rcc_reader_and_board_assembly(counts):
    root = gcompris.package_root(fetch=False)
    files = gcompris.read_rcc(root / gcompris.RCC_SUBDIR / "paintings.rcc")
    boards = sorted(p for p in files if p.endswith("_0.qml") and "/board/" in p)
    assert len(boards) == 22
    title, image, pieces = gcompris.assemble_board(files, boards[0])
    assert title and image.mode == "RGB" and len(pieces) >= 4 and min(image.size) > 200


# ----------------------------------------------------------------------------------- unit tests


def test_read_rcc_rejects_a_non_rcc_file_naming_it(tmp_path):
    bogus = tmp_path / "not_resources.rcc"
    bogus.write_bytes(b"PK\x03\x04 this is a zip, not a Qt resource file")
    with pytest.raises(ValueError, match=f"{bogus}: not a Qt rcc file"):
        gcompris.read_rcc(bogus)
    truncated = tmp_path / "truncated.rcc"
    truncated.write_bytes(b"qres" + struct.pack(">IIII", 3, 1000, 2000, 3000))
    with pytest.raises(ValueError, match=f"{truncated}: corrupt Qt rcc file"):
        gcompris.read_rcc(truncated)


DEP5 = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: 2014 Main Author
License: GPL-3+

Files: src/activities/zoo/resource/*
       src/activities/other/x.svg
Copyright: Zoo Photographer
           Second Holder
License: CC-BY-SA-3.0

Files: src/activities/zoo/resource/lion.jpg
Copyright: Lion Photographer
License: CC0-1.0
Comment: the last matching stanza wins

License: CC0-1.0
 Stand-alone licence text, not a Files stanza.
"""


def test_dep5_last_matching_stanza_wins():
    dep5 = gcompris.Dep5(DEP5)
    assert dep5.lookup("src/activities/zoo/resource/lion.webp").licence == "CC0-1.0"  # .jpg in the file
    tiger = dep5.lookup("src/activities/zoo/resource/deep/tiger.webp")  # `*` crosses folders
    assert (tiger.licence, tiger.copyright) == ("CC-BY-SA-3.0", "Zoo Photographer; Second Holder")
    assert dep5.lookup("src/activities/elsewhere/a.webp").licence == "GPL-3+"


def test_assemble_board_rebuilds_the_picture():
    original = Image.linear_gradient("L").resize((120, 80)).convert("RGB")
    left, right = original.crop((0, 0, 60, 80)), original.crop((60, 0, 120, 80))
    files = {}
    for name, piece in (("a.webp", left), ("b.webp", right)):
        buf = io.BytesIO()
        piece.save(buf, format="PNG")  # any format PIL reads
        files[f"/g/src/activities/paintings/resource/image/{name}"] = buf.getvalue()
    levels = [{"pixmapfile": "image/bg.svg", "type": "SHAPE_BACKGROUND_IMAGE", "width": 200, "height": 100},
              {"pixmapfile": "image/a.webp", "x": "0.25", "y": "0.5"},
              {"pixmapfile": "image/b.webp", "x": "0.55", "y": "0.5"}]
    qml = 'QtObject {\n property string instruction: qsTr("Someone, Test - 1900")\n property var levels: '
    files["/g/src/activities/paintings/resource/board/board1_0.qml"] = (qml + json.dumps(levels) + "\n}").encode()
    title, image, pieces = gcompris.assemble_board(files, "/g/src/activities/paintings/resource/board/board1_0.qml")
    assert title == "Someone, Test - 1900" and len(pieces) == 2
    assert image.size == original.size and np.array_equal(np.asarray(image), np.asarray(original))


@pytest.fixture
def no_package(isolated_cache, tmp_path, monkeypatch):
    """No extracted package, no system install, no COLORLIB_GCOMPRIS_DEB."""
    monkeypatch.setattr(gcompris, "SYSTEM_ROOT", tmp_path / "no_system_install")
    monkeypatch.delenv(gcompris.DEB_ENV, raising=False)
    return tmp_path


def test_fetch_without_apt_says_what_to_do(no_package, monkeypatch):
    empty_bin = no_package / "bin"
    empty_bin.mkdir()
    monkeypatch.setenv("PATH", str(empty_bin))
    with pytest.raises(gcompris.GcomprisUnavailable) as err:
        gcompris.package_root()
    message = str(err.value)
    assert "apt-get" in message and 'load_dataset("/path/to/photos")' in message
    assert '"imagenet-1k"' in message and '"huggan/wikiart"' in message


def test_failed_apt_download_suggests_apt_update(no_package, monkeypatch):
    fake_bin = no_package / "bin"
    fake_bin.mkdir()
    apt = fake_bin / "apt-get"
    apt.write_text("#!/bin/sh\necho 'E: Unable to locate package gcompris-qt-data' >&2\nexit 100\n")
    apt.chmod(0o755)
    monkeypatch.setenv("PATH", str(fake_bin))
    with pytest.raises(gcompris.GcomprisUnavailable) as err:
        gcompris.package_root()
    message = str(err.value)
    assert "Unable to locate package" in message and "apt-get update" in message
    assert 'load_dataset("/path/to/photos")' in message


def test_deb_env_pointing_nowhere(no_package, monkeypatch):
    monkeypatch.setenv(gcompris.DEB_ENV, str(no_package / "missing.deb"))
    with pytest.raises(gcompris.GcomprisUnavailable, match="missing.deb: no such file"):
        gcompris.package_root()


def test_data_cli_prints_counts(counts, capsys):
    assert data.main(["prepare"]) == 0
    out = capsys.readouterr().out
    photos = counts["photos"]
    assert f"photos train {photos['train']} / val {photos['val']} / test {photos['test']}" in out
    assert f"paintings {counts['paintings']}" in out and "grayscale excluded" in out


def test_system_install_is_used(real_root, no_package, monkeypatch):
    monkeypatch.setattr(gcompris, "SYSTEM_ROOT", real_root)  # stands in for "/" with the package installed
    assert gcompris.package_root(fetch=False) == real_root


def test_deb_from_env_is_extracted_once(real_root, no_package, monkeypatch):
    debs = sorted(real_root.parent.glob("gcompris-qt-data_*.deb"))  # beside <cache>/gcompris/pkg
    if not debs:
        pytest.skip("no downloaded .deb at hand (the package came from a system install)")
    monkeypatch.setenv(gcompris.DEB_ENV, str(debs[0]))
    root = gcompris.package_root()
    assert root.is_relative_to(no_package) and (root / gcompris.RCC_SUBDIR / "erase.rcc").is_file()
    stamp = (root / gcompris.RCC_SUBDIR / "erase.rcc").stat().st_mtime_ns
    assert gcompris.package_root() == root  # idempotent: not extracted again
    assert (root / gcompris.RCC_SUBDIR / "erase.rcc").stat().st_mtime_ns == stamp

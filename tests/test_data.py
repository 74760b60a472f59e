"""Tests of colorlib.data on the in-wheel samples and on generated folders of good and bad files."""
from __future__ import annotations

import hashlib
import io
import logging
import os
import random
import time

import numpy as np
import pytest
import torch
from PIL import Image

from colorlib import color, data

# ------------------------------------------------------------------------------- in-wheel samples


@pytest.fixture(scope="module")
def samples():
    return data.load_images("samples", "photos", None, size=48, progress=False)


def test_samples_dataset_columns_and_splits():
    ds = data.load_dataset("samples")
    assert set(["image", "name", "source_path", "licence", "copyright", "split", "kind"]) <= set(ds.column_names)
    assert len(ds) == 8
    assert sorted(ds["name"]) == sorted(name for name, *_ in data.SAMPLES)
    assert all(ds["licence"]) and set(ds["kind"]) == {"photos"}
    # deterministic ~80/10/10 split, every split non-empty, no image in two splits
    splits = {s: set(data.load_dataset("samples", split=s)["name"]) for s in data.PHOTO_SPLITS}
    assert [len(splits[s]) for s in data.PHOTO_SPLITS] == [6, 1, 1]
    assert set.union(*splits.values()) == set(ds["name"])
    assert sum(map(len, splits.values())) == len(ds)
    with pytest.raises(ValueError, match="photos only"):
        data.load_dataset("samples", kind="paintings")


def test_assign_splits_depends_only_on_the_set_of_paths():
    keys = [f"folder/img_{i:04d}.jpg" for i in range(1000)]
    first = data.assign_splits(keys)
    shuffled = keys[:]
    random.Random(0).shuffle(shuffled)
    assert data.assign_splits(shuffled) == first
    counts = {s: sum(v == s for v in first.values()) for s in data.PHOTO_SPLITS}
    assert counts == {"train": 800, "val": 100, "test": 100}
    # SHA-256, not Python's salted hash(): a fixed expectation holds in every process
    assert data.assign_splits(["a", "b", "c"]) == {"a": "train", "b": "val", "c": "test"}
    # the documented rule: rank by SHA-256 hex digest, lowest 10% test, next 10% val
    order = sorted(keys, key=lambda k: hashlib.sha256(k.encode()).hexdigest())
    assert {first[k] for k in order[:100]} == {"test"} and {first[k] for k in order[100:200]} == {"val"}


def test_load_images_short_side_and_rgb(samples):
    assert len(samples) == 8
    for rec in samples:
        assert rec.image.mode == "RGB" and min(rec.image.size) == 48
        assert rec.split in data.PHOTO_SPLITS and rec.licence and rec.source_path
    motorcycle = next(r for r in samples if r.name == "stereo_motorcycle")
    assert motorcycle.image.size == (round(741 * 48 / 500), 48)  # the left image, aspect kept


def test_load_images_second_call_is_cached_and_identical(samples):
    start = time.perf_counter()
    again = data.load_images("samples", "photos", None, size=48, progress=False)
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"cached load_images took {elapsed:.2f} s"
    assert [r.name for r in again] == [r.name for r in samples]
    for a, b in zip(again, samples):
        assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    assert [r.name for r in data.load_images("samples", size=48, limit=3, progress=False)] == \
        [r.name for r in samples[:3]]
    val = data.load_images("samples", split="val", size=48, progress=False)
    assert len(val) == 1 and val[0].split == "val"


def test_load_images_reads_an_index_once_per_process(samples, tmp_path, monkeypatch):
    first = data.load_images("samples", "photos", None, size=48, progress=False)
    second = data.load_images("samples", "photos", None, size=48, progress=False)
    assert second is not first and all(a is b for a, b in zip(first, second))  # same records, a list of its own
    second.clear()
    assert len(data.load_images("samples", "photos", None, size=48, progress=False)) == len(samples)
    # A rewritten index (another time stamp) is read again from disk.
    (index,) = [p for p in (data.cache_dir() / "resized").rglob("index-photos-all-all-*.json") if "/48/" in str(p)]
    stat = index.stat()
    os.utime(index, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    third = data.load_images("samples", "photos", None, size=48, progress=False)
    assert third[0] is not first[0] and np.array_equal(np.asarray(third[0].image), np.asarray(first[0].image))


def test_color_dataset_eval_is_a_deterministic_centre_crop(samples):
    ds = data.ColorDataset(samples, crop=32, train=False)
    assert len(ds) == len(samples)
    for i in range(len(ds)):
        item = ds[i]
        assert item["index"] == i
        assert item["rgb"].shape == (3, 32, 32) and item["rgb"].dtype == torch.float32
        assert item["gray"].shape == (1, 32, 32)
        assert 0.0 <= float(item["rgb"].min()) and float(item["rgb"].max()) <= 1.0
        assert torch.equal(item["rgb"], ds[i]["rgb"])  # deterministic
        # the same centre crop done by hand with PIL
        im = samples[i].image
        left, top = round((im.width - 32) / 2), round((im.height - 32) / 2)
        expected = np.asarray(im.crop((left, top, left + 32, top + 32)), dtype=np.float32) / 255
        assert np.allclose(item["rgb"].permute(1, 2, 0).numpy(), expected, atol=1e-6)


def test_gray_is_bt601_luma(samples):
    item = data.ColorDataset(samples, crop=32, train=False)[0]
    r, g, b = item["rgb"]
    assert torch.allclose(item["gray"][0], 0.299 * r + 0.587 * g + 0.114 * b, atol=1e-6)
    white = torch.ones(3, 2, 2)
    assert torch.allclose(color.luma_bt601(white), torch.ones(1, 2, 2))


def test_color_dataset_train_crops_are_random(samples):
    ds = data.ColorDataset(samples, crop=32, train=True)
    torch.manual_seed(0)
    crops = [ds[0]["rgb"] for _ in range(12)]
    assert all(c.shape == (3, 32, 32) for c in crops)
    assert len({c.numpy().tobytes() for c in crops}) > 1
    # reproducible under the same seed
    torch.manual_seed(0)
    assert torch.equal(ds[0]["rgb"], crops[0])


def test_color_dataset_upscales_images_smaller_than_the_crop(samples, caplog):
    with caplog.at_level(logging.WARNING, logger="colorlib.data"):
        ds = data.ColorDataset(samples[:2], crop=64, train=True)
    assert ds[0]["rgb"].shape == (3, 64, 64)
    assert "upscaled 2 of 2 images smaller than the 64 px crop" in caplog.text


def test_dataloader_batches(samples):
    loader = torch.utils.data.DataLoader(data.ColorDataset(samples, crop=32, train=True), batch_size=4)
    batch = next(iter(loader))
    assert batch["rgb"].shape == (4, 3, 32, 32) and batch["gray"].shape == (4, 1, 32, 32)


# ------------------------------------------------------------------------------------- bad files


def _save(im: Image.Image, path, **kwargs) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, **kwargs)


def _jpeg_bytes(size=(96, 80)) -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


# file -> None (kept as is), "converted" (kept after a mode conversion) or the expected skip reason
BAD_FOLDER = {
    "good.jpg": None,
    "sub/nested.webp": None,
    "small_40x48.png": None,  # above MIN_SIDE: kept, upscaled to the working size later
    "cmyk.jpg": "converted",
    "palette.png": "converted",
    "palette_transparent.png": "converted",
    "la.png": "converted",
    "rgba.png": "converted",
    "gray16.png": "converted",
    "bilevel.png": "converted",
    "corrupt.png": "corrupt",
    "truncated.jpg": "truncated",
    "tiny_8x8.png": "too small",
    "bomb.png": "decompression-bomb",
    "float.tif": "floating-point",
    "notes.txt": "not an image",
    "fake.jpg": "not an image",
    "empty.png": "not an image (an empty file, 0 bytes)",
}


@pytest.fixture
def bad_folder(tmp_path):
    root = tmp_path / "photos_in"
    root.mkdir()
    (root / "good.jpg").write_bytes(_jpeg_bytes())
    _save(Image.new("RGB", (64, 64), (0, 128, 255)), root / "sub" / "nested.webp", lossless=True)
    _save(Image.new("RGB", (40, 48), (10, 200, 30)), root / "small_40x48.png")
    _save(Image.new("CMYK", (64, 64), (0, 255, 255, 0)), root / "cmyk.jpg", quality=95)  # pure red in CMYK
    pal = Image.new("P", (64, 64), 1)
    pal.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)  # index 1 = red
    _save(pal, root / "palette.png")
    pal_t = pal.copy()
    pal_t.paste(0, (0, 0, 32, 64))  # left half index 0, which is transparent
    _save(pal_t, root / "palette_transparent.png", transparency=0)
    la = Image.new("LA", (64, 64), (0, 255))
    la.paste((0, 0), (0, 0, 32, 64))  # left half fully transparent black
    _save(la, root / "la.png")
    rgba = Image.new("RGBA", (64, 64), (255, 0, 0, 255))
    rgba.paste((0, 0, 255, 0), (0, 0, 32, 64))  # left half: transparent blue
    _save(rgba, root / "rgba.png")
    gray16 = np.full((64, 64), 65535, dtype=np.uint16)
    gray16[:, :32] = 32896  # 128 * 257
    _save(Image.fromarray(gray16), root / "gray16.png")
    _save(Image.new("1", (64, 64), 1), root / "bilevel.png")
    png = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(png, "PNG")
    broken = bytearray(png.getvalue())
    idat = broken.index(b"IDAT")
    broken[idat + 6:idat + 40] = b"\x00" * 34  # destroy the compressed pixel stream
    (root / "corrupt.png").write_bytes(bytes(broken))
    (root / "truncated.jpg").write_bytes(_jpeg_bytes((320, 240))[:3000])
    _save(Image.new("RGB", (8, 8), "blue"), root / "tiny_8x8.png")
    side = int((Image.MAX_IMAGE_PIXELS + 10_000_000) ** 0.5)  # just over Pillow's bomb limit; 1-bit keeps it cheap
    _save(Image.new("1", (side, side), 0), root / "bomb.png")
    _save(Image.fromarray(np.full((64, 64), 0.5, dtype=np.float32)), root / "float.tif")
    (root / "notes.txt").write_text("not a photo\n")
    (root / "fake.jpg").write_text("plain text with a .jpg name\n")
    (root / "empty.png").write_bytes(b"")
    (root / ".DS_Store").write_bytes(b"\x00\x01")  # hidden metadata: ignored silently
    return root


def test_bad_files_are_skipped_or_converted(bad_folder, isolated_cache, caplog):
    with caplog.at_level(logging.WARNING, logger="colorlib.data"):
        ds = data.load_dataset(str(bad_folder))
    kept = {p.replace(str(bad_folder) + "/", "") for p in ds["source_path"]}
    assert kept == {f for f, why in BAD_FOLDER.items() if why in (None, "converted")}
    lines = caplog.messages
    for name, why in BAD_FOLDER.items():
        if why in (None, "converted"):
            continue
        hits = [line for line in lines if line.startswith(f"skipping {bad_folder / name}:")]
        assert len(hits) == 1, f"want one warning line for {name}: {lines}"
        assert why in hits[0], hits[0]
    n_skipped = sum(why not in (None, "converted") for why in BAD_FOLDER.values())
    summary = f"skipped {n_skipped} of {len(BAD_FOLDER)} files in {bad_folder}: 3 not an image, "
    assert [m for m in lines if m.startswith("skipped")] == [m for m in lines if m.startswith(summary)]
    assert len(lines) == n_skipped + 1  # one line per skipped file, one summary
    assert ".DS_Store" not in caplog.text


def test_convertible_modes_become_correct_rgb(bad_folder):
    def rgb(name):
        return np.asarray(data.open_rgb(bad_folder / name)).astype(int)

    assert np.abs(rgb("cmyk.jpg") - [255, 0, 0]).max() <= 3
    assert (rgb("palette.png") == [255, 0, 0]).all()
    both_halves = {"palette_transparent.png": [255, 0, 0], "la.png": [0, 0, 0], "rgba.png": [255, 0, 0]}
    for name, opaque in both_halves.items():
        im = rgb(name)
        assert (im[:, :32] == 255).all(), f"{name}: transparent part should be composited on white"
        assert (im[:, 32:] == opaque).all(), name
    g16 = rgb("gray16.png")
    assert (g16[:, :32] == 128).all() and (g16[:, 32:] == 255).all()  # scaled by 1/257, not clipped
    assert (rgb("bilevel.png") == 255).all()
    for name in ("cmyk.jpg", "gray16.png", "la.png", "bilevel.png"):
        assert data.open_rgb(bad_folder / name).mode == "RGB"


def test_load_images_on_a_bad_folder(bad_folder, isolated_cache, caplog):
    with caplog.at_level(logging.WARNING, logger="colorlib.data"):
        records = data.load_images(str(bad_folder), size=64, progress=False)
    good = [f for f, why in BAD_FOLDER.items() if why in (None, "converted")]
    assert len(records) == len(good)
    assert all(r.image.mode == "RGB" and min(r.image.size) == 64 for r in records)
    assert "upscaled 1 images whose short side is under 64 px: small_40x48" in caplog.text
    # an epoch over the survivors never meets a bad file
    loader = torch.utils.data.DataLoader(data.ColorDataset(records, 48, train=True), batch_size=5)
    assert sum(len(b["index"]) for b in loader) == len(good)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="colorlib.data"):
        again = data.load_images(str(bad_folder), size=64, progress=False)
    assert [r.name for r in again] == [r.name for r in records]
    assert "skipped 8 of 18 files" in caplog.text  # the cached call still reports the count


def test_folder_kind_subfolder_and_splits(tmp_path, isolated_cache):
    for i in range(10):
        _save(Image.new("RGB", (40, 40), (i * 20, 0, 0)), tmp_path / "set" / "photos" / f"p{i}.png")
    for i in range(2):
        _save(Image.new("RGB", (40, 40), (0, i * 50, 0)), tmp_path / "set" / "paintings" / f"s{i}.png")
    photos = data.load_dataset(str(tmp_path / "set"), "photos")
    paintings = data.load_dataset(str(tmp_path / "set"), "paintings")
    assert len(photos) == 10 and sorted(set(photos["split"])) == ["test", "train", "val"]
    assert len(paintings) == 2 and set(paintings["split"]) == {"style"}


def test_empty_folder_raises_naming_it(tmp_path, isolated_cache):
    empty = tmp_path / "nothing_here"
    empty.mkdir()
    with pytest.raises(ValueError, match=f"{empty}.*empty"):
        data.load_dataset(str(empty))
    with pytest.raises(ValueError, match=str(empty)):
        data.load_images(str(empty), size=32, progress=False)
    only_bad = tmp_path / "only_bad"
    only_bad.mkdir()
    (only_bad / "a.jpg").write_text("nope")
    with pytest.raises(ValueError, match=f"{only_bad}.*no readable image"):
        data.load_dataset(str(only_bad))
    with pytest.raises(FileNotFoundError, match="neither a known source"):
        data.load_dataset(str(tmp_path / "missing"))


@pytest.mark.parametrize("source,kind", [("imagenet-1k", "photos"), ("huggan/wikiart", "paintings")])
def test_hub_source_offline_fails_fast_and_clearly(source, kind, offline_hub):
    start = time.perf_counter()
    with pytest.raises(data.HubUnavailable) as err:
        data.load_dataset(source, kind)
    assert time.perf_counter() - start < 5
    message = str(err.value)
    assert repr(source) in message and "gcompris" in message and "folder" in message
    with pytest.raises(data.HubUnavailable):
        data.load_images(source, kind, size=64, limit=4, progress=False)
    with pytest.raises(ValueError, match="limit"):
        data.load_images(source, kind, size=64, progress=False)

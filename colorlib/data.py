"""Data for colorlib: one API over several image sources, with splits, de-duplication, a pre-resizing cache,
torch datasets and tolerant handling of bad files.

Sources (the ``source`` argument everywhere):

- ``"gcompris"`` (default, offline): photographs and paintings from Debian's ``gcompris-qt-data`` package
  (see ``colorlib.gcompris``); built once by `prepare`.
- ``"samples"``: eight photographs inside PyPI wheels (scikit-image, scikit-learn, matplotlib), for fast tests.
- a folder path: every image file below it (``<folder>/<kind>`` is used when it exists); bad files are
  skipped with one warning line each and a final count.
- ``"imagenet-1k"`` (photos) and ``"huggan/wikiart"`` (paintings): Hugging Face hub datasets, streamed;
  they need a network (and, for ImageNet, an accepted licence and a token), or a local copy of their files
  named by ``COLORLIB_HUB_MIRROR`` (see ``colorlib.hub``).

Splits: photos get "train"/"val"/"test" (~80/10/10) by ranking the SHA-256 of each image's source path, so a
split depends only on the set of paths, never on ordering or on Python's salted ``hash()``; paintings get
"style". Photos of the embedded set whose colours are all grey get split "grayscale" and are left out of
colour training (``split=None`` means train+val+test).

Bad input (folders): corrupt, truncated, non-image, too small (short side < `MIN_SIDE` px) or over the
decompression-bomb limit (``PIL.Image.MAX_IMAGE_PIXELS``) are skipped. Convertible modes become RGB: CMYK
(through its ICC profile when it has one), palette, 1-bit and grey modes directly; images with alpha
(RGBA, LA, PA, palette with transparency) are composited on white; 16-bit grey (I;16*, and I) is scaled by
1/257 (65535 -> 255) instead of being clipped; floating-point (F) images are skipped (their range is unknown).
EXIF orientation is applied.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import os
import shutil
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np
import torch
from PIL import Image, ImageCms, ImageOps

from colorlib import hub
from colorlib.color import luma_bt601
from colorlib.files import atomic_path, temporary_dir, write_json, write_text
from colorlib.hub import HUB_SOURCES, HubUnavailable  # noqa: F401  (part of this module's API)
from colorlib.paths import cache_dir

log = logging.getLogger(__name__)

KINDS = ("photos", "paintings")
PHOTO_SPLITS = ("train", "val", "test")
SPLIT_FRACTIONS = {"test": 0.1, "val": 0.1}  # the rest is "train"
# Near-duplicates: 64-bit perceptual hashes (imagehash.phash) at Hamming distance <= 10. In gcompris-qt-data
# the true duplicates (the same monument in two activities, re-encoded or re-cropped) are at 0-10 and the
# closest distinct photographs at 16 or more.
PHASH_THRESHOLD = 10
# A photo is grayscale when 99% of its pixels have max(R,G,B) - min(R,G,B) under 0.02 (5/255) after a
# 128 px thumbnail: in the embedded set one B/W photo scores 0.004, the least colourful colour photo 0.067.
GRAY_CHROMA = 0.02
MIN_SIDE = 32  # smaller images (icons, thumbnails) are skipped; larger ones below the working size are upscaled
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff", ".ppm", ".pgm", ".pbm"}
PREPARE_VERSION = 1  # bump when the built dataset's content or layout changes
SAMPLES = (
    # (name, source path, licence, copyright)
    ("astronaut", "skimage.data.astronaut", "public-domain", "NASA"),
    ("chelsea", "skimage.data.chelsea", "CC0-1.0", "Stefan van der Walt"),
    ("coffee", "skimage.data.coffee", "CC0-1.0", "Rachel Michetti"),
    ("rocket", "skimage.data.rocket", "public-domain", "SpaceX"),
    ("stereo_motorcycle", "skimage.data.stereo_motorcycle", "see skimage.data.stereo_motorcycle",
     "Middlebury 2014 stereo benchmark (Scharstein et al.)"),
    ("china", "sklearn.datasets.load_sample_images/china.jpg", "CC-BY-2.0", "danielbuechele (Flickr)"),
    ("flower", "sklearn.datasets.load_sample_images/flower.jpg", "CC-BY-2.0", "vultilion (Flickr)"),
    ("grace_hopper", "matplotlib/sample_data/grace_hopper.jpg", "public-domain", "U.S. Navy"),
)


class BadImage(ValueError):
    """A file that cannot be turned into an RGB image; the message is the reason."""


@dataclass
class ImageRecord:
    """A decoded, resized RGB image with its metadata (what `load_images` returns)."""

    image: Image.Image
    name: str
    split: str
    licence: str
    source_path: str
    copyright: str = ""
    kind: str = "photos"
    title: str = ""  # human-readable title where the source has one (the paintings do)


# ------------------------------------------------------------------------------------------ decoding
def _sixteen_bit_to_rgb(im: Image.Image) -> Image.Image:
    """I;16 (and I) grey -> 8-bit by dividing by 257, so 65535 maps to 255 (PIL's convert would clip)."""
    a = np.asarray(im).astype(np.float64)
    if im.mode == "I" and a.max(initial=0) <= 255:
        scale = 1.0  # 8-bit values stored in 32-bit ints
    else:
        scale = 257.0
    return Image.fromarray(np.clip(np.rint(a / scale), 0, 255).astype(np.uint8), "L").convert("RGB")


def _to_rgb(im: Image.Image) -> Image.Image:
    im = ImageOps.exif_transpose(im)
    if im.mode.startswith("I;16") or im.mode == "I":
        return _sixteen_bit_to_rgb(im)
    if im.mode == "F":
        raise BadImage("floating-point pixels (32-bit float, unknown range)")
    if im.mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
    elif im.mode in ("LA", "La", "PA", "RGBa"):
        im = im.convert("RGBA")
    if im.mode == "RGBA":
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, im).convert("RGB")
    icc = im.info.get("icc_profile")
    if icc and im.mode in ("RGB", "CMYK", "L"):
        try:  # colour-manage to sRGB (CMYK photos in particular)
            return ImageCms.profileToProfile(im, ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                                             ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to the plain conversion
    return im.convert("RGB")


class MultiFrameWarning(UserWarning):
    """An animated or multi-page image: only its first frame is used."""


def _warn_frames(im: Image.Image, name: str | None) -> None:
    frames = getattr(im, "n_frames", 1)
    if frames > 1:
        what = "pages" if im.format in ("TIFF", "MPO", "PDF") else "frames"
        where = name or getattr(im, "filename", "") or "image"
        warnings.warn(f"{where}: {frames} {what} ({im.format}); only the first is used", MultiFrameWarning,
                      stacklevel=3)


def _empty(source) -> bool:
    """Whether ``source`` (a path or bytes) holds no data: said apart from an unrecognised format, since an empty
    file usually means a copy or download that failed."""
    if isinstance(source, bytes):
        return not source
    try:
        return isinstance(source, (str, os.PathLike)) and os.path.getsize(source) == 0
    except OSError:
        return False


def open_rgb(source: str | os.PathLike | bytes | Image.Image, name: str | None = None,
             min_side: int = MIN_SIDE) -> Image.Image:
    """Decode a file / bytes / PIL image fully into an RGB PIL image, or raise `BadImage` with the reason.

    Over-sized images (``PIL.Image.MAX_IMAGE_PIXELS``: Pillow's decompression-bomb warning or error),
    truncated or corrupt data, non-image files and images with a short side under ``min_side`` (default
    `MIN_SIDE`, for training data; inference passes 1: the pipeline up-samples small images for the network)
    are rejected. An animated or multi-page image gives a ``MultiFrameWarning`` naming it; its first frame is used.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if isinstance(source, Image.Image):
                im = source
            else:
                im = Image.open(io.BytesIO(source) if isinstance(source, bytes) else source)
            im.load()  # decode now: truncation shows up here, not in the middle of an epoch
            if min(im.size) < min_side:
                raise BadImage(f"too small ({im.width}x{im.height}, short side under {min_side} px)")
            _warn_frames(im, name or (str(source) if isinstance(source, (str, os.PathLike)) else None))
            return _to_rgb(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise BadImage(f"over the decompression-bomb limit ({err})") from None
    except Image.UnidentifiedImageError:
        why = "an empty file, 0 bytes" if _empty(source) else "unrecognised format"
        raise BadImage(f"not an image ({why})") from None
    except BadImage:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as err:
        reason = "truncated" if "truncated" in str(err) else "corrupt"
        raise BadImage(f"{reason} ({err})") from None


# -------------------------------------------------------------------------------------------- splits
def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def assign_splits(keys: Sequence[str]) -> dict[str, str]:
    """Deterministic ~80/10/10 split: rank keys by SHA-256; the lowest 10% are "test", the next 10% "val".

    Depends only on the set of keys. Sets of 3 or more keys always get at least one val and one test item.
    """
    order = sorted(set(keys), key=_digest)
    n = len(order)
    n_test = max(1, round(n * SPLIT_FRACTIONS["test"])) if n >= 3 else 0
    n_val = max(1, round(n * SPLIT_FRACTIONS["val"])) if n >= 3 else 0
    return {k: "test" if i < n_test else "val" if i < n_test + n_val else "train" for i, k in enumerate(order)}


# ---------------------------------------------------------------------------------- building datasets
@dataclass
class _Item:
    name: str
    kind: str
    source_path: str
    data: bytes
    licence: str
    copyright: str
    title: str = ""
    split: str = ""
    phash: str = ""
    extra: dict = field(default_factory=dict)


def _progress(iterable, progress: bool, **kwargs):
    if not progress:
        return iterable
    from tqdm.auto import tqdm
    return tqdm(iterable, **kwargs)


def png_bytes(image, fast: bool = False) -> bytes:
    """PNG encoding of a PIL image or a uint8 array (``fast``: zlib level 1, for interactive display)."""
    im = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buf = io.BytesIO()
    im.save(buf, format="PNG", compress_level=1 if fast else 6)
    return buf.getvalue()


def _gcompris_items(progress: bool) -> list[_Item]:
    from colorlib import gcompris
    return [_Item(im.name, im.kind, im.source_path, im.data, im.licence, im.copyright, im.title)
            for im in gcompris.extract(progress=progress)]


def _sample_items() -> list[_Item]:
    import matplotlib.cbook
    import skimage.data
    from sklearn.datasets import load_sample_images

    sk = load_sample_images()
    sklearn_images = {Path(f).stem: img for f, img in zip(sk.filenames, sk.images)}
    items = []
    for name, source_path, licence, holder in SAMPLES:
        if source_path.startswith("skimage"):
            array = getattr(skimage.data, name)()
            if isinstance(array, tuple):  # stereo_motorcycle: (left, right, disparity)
                array = array[0]
            data = png_bytes(array)
        elif source_path.startswith("sklearn"):
            data = png_bytes(sklearn_images[name])
        else:
            data = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).read_bytes()
        items.append(_Item(name, "photos", source_path, data, licence, holder))
    return items


def _dedupe_and_split(items: list[_Item], progress: bool) -> dict[str, Any]:
    """Perceptual-hash de-duplication (per kind), grayscale detection, splits. Mutates ``items``' split/phash;
    returns the report (duplicates, grayscale names) and the kept items."""
    import imagehash

    sizes, gray = {}, set()
    for item in _progress(items, progress, desc="hashing", unit="img"):
        im = open_rgb(item.data)
        sizes[item.source_path] = im.width * im.height
        item.phash = str(imagehash.phash(im))
        if item.kind == "photos":
            im.thumbnail((128, 128), Image.Resampling.BOX)
            a = np.asarray(im, dtype=np.float32) / 255
            if np.percentile(a.max(2) - a.min(2), 99) < GRAY_CHROMA:
                gray.add(item.source_path)
    # Connected components of the "distance <= threshold" graph: no kept pair is closer than the threshold.
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    hashes = [imagehash.hex_to_hash(item.phash) for item in items]
    close = []
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            if items[i].kind == items[j].kind and hashes[i] - hashes[j] <= PHASH_THRESHOLD:
                parent[find(i)] = find(j)
                close.append((i, j, int(hashes[i] - hashes[j])))
    groups: dict[int, list[int]] = {}
    for i in range(len(items)):
        groups.setdefault(find(i), []).append(i)
    keep, duplicates = [], []
    for members in groups.values():
        # keep the largest version (most pixels), ties broken by path, so the choice is deterministic
        best = max(members, key=lambda i: (sizes[items[i].source_path], items[i].source_path))
        keep.append(items[best])
        duplicates += [{"removed": items[i].source_path, "kept": items[best].source_path,
                        "distance": int(hashes[i] - hashes[best])} for i in members if i != best]
    keep.sort(key=lambda it: (it.kind, it.source_path))
    colour_photos = [it.source_path for it in keep if it.kind == "photos" and it.source_path not in gray]
    splits = assign_splits(colour_photos)
    for it in keep:
        if it.kind == "paintings":
            it.split = "style"
        else:
            it.split = "grayscale" if it.source_path in gray else splits[it.source_path]
    return {"items": keep, "duplicates": sorted(duplicates, key=lambda d: d["removed"]),
            "grayscale": sorted(it.name for it in keep if it.split == "grayscale")}


def _dataset_dir(source: str) -> Path:
    return cache_dir() / "datasets" / f"{source}-v{PREPARE_VERSION}"


def _features():
    import datasets
    string = datasets.Value("string")
    return datasets.Features({"image": datasets.Image(), "name": string, "source_path": string,
                              "licence": string, "copyright": string, "split": string, "kind": string,
                              "title": string, "phash": string})


def prepare(source: str = "gcompris", force: bool = False, progress: bool = True) -> dict:
    """Build the embedded dataset once (``<cache>/datasets/<source>-vN``) and return its counts.

    gcompris: fetch/extract the package, select photos and paintings, remove near-duplicates, flag
    grayscale photos, split, save with ``datasets.Dataset.save_to_disk`` plus ``manifest.csv`` (source
    path, licence, copyright per image) and ``counts.json``. Later calls only read ``counts.json``.
    ``source="samples"`` builds the in-wheel sample set the same way.
    """
    if source not in ("gcompris", "samples"):
        raise ValueError(f"prepare() builds 'gcompris' or 'samples', not {source!r}")
    dest = _dataset_dir(source)
    counts_file = dest / "counts.json"
    if counts_file.is_file() and not force:
        return json.loads(counts_file.read_text())
    import datasets

    start = time.perf_counter()
    items = _gcompris_items(progress) if source == "gcompris" else _sample_items()
    found = Counter(it.kind for it in items)
    report = _dedupe_and_split(items, progress)
    kept = report["items"]
    columns = {"image": [{"bytes": it.data, "path": it.source_path.rsplit("/", 1)[-1]} for it in kept]}
    for col in ("name", "source_path", "licence", "copyright", "split", "kind", "title", "phash"):
        columns[col] = [getattr(it, col) for it in kept]
    ds = datasets.Dataset.from_dict(columns, features=_features())
    split_counts = Counter(it.split for it in kept if it.kind == "photos")
    counts = {
        "source": source,
        "photos": {s: split_counts.get(s, 0) for s in PHOTO_SPLITS},
        "photos_found": found["photos"],
        "paintings": sum(it.kind == "paintings" for it in kept),
        "duplicates_removed": len(report["duplicates"]),
        "grayscale_excluded": split_counts.get("grayscale", 0),
        "duplicates": report["duplicates"],
        "grayscale": report["grayscale"],
        "phash_threshold": PHASH_THRESHOLD,
        "build_seconds": round(time.perf_counter() - start, 1),
    }
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_dir(f".{dest.name}-", dest.parent)
    try:
        ds.save_to_disk(str(tmp / "dataset"))
        _write_manifest(tmp / "manifest.csv", kept, report["duplicates"])
        (tmp / "counts.json").write_text(json.dumps(counts, indent=1))
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)  # atomic: a half-built dataset is never visible
    except OSError:
        if not counts_file.is_file():  # someone else did not finish it either
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return counts


def _write_manifest(path: Path, items: list[_Item], duplicates: list[dict]) -> None:
    import csv
    removed = {d["removed"]: d["kept"] for d in duplicates}
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["name", "kind", "split", "source_path", "licence", "copyright", "title"])
        for it in items:
            w.writerow([it.name, it.kind, it.split, it.source_path, it.licence, it.copyright, it.title])
        for src, kept in sorted(removed.items()):
            w.writerow(["", "", "duplicate", src, "", "", f"near-duplicate of {kept}"])


# ---------------------------------------------------------------------------------------------- folders
def _folder_files(folder: Path) -> list[Path]:
    # Hidden files and folders (.DS_Store, .ipynb_checkpoints) are metadata, not candidates.
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _folder_fingerprint(folder: Path, files: list[Path]) -> str:
    h = hashlib.sha256(str(folder).encode())
    for p in files:
        st = p.stat()
        h.update(f"{p.relative_to(folder)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()[:16]


def _report_skipped(folder: Path, total: int, skipped: list[tuple[str, str]], warn_each: bool = True) -> None:
    if warn_each:
        for rel, reason in skipped:
            log.warning("skipping %s: %s", folder / rel, reason)
    if skipped:
        why = Counter(reason.split(" (")[0] for _, reason in skipped)
        log.warning("skipped %d of %d files in %s: %s", len(skipped), total, folder,
                    ", ".join(f"{n} {r}" for r, n in why.most_common()))


def scan_folder(folder: str | os.PathLike) -> tuple[list[Path], list[tuple[str, str]]]:
    """Validate every file below ``folder`` (full decode): (readable image paths, [(relative path, reason)]).

    One warning line per skipped file plus a summary line. The verdicts are cached per file (size and mtime)
    under ``<cache>/folders/``, so a second scan costs a ``stat`` per file. Raises ``FileNotFoundError`` for a
    missing folder and ``ValueError`` for an empty one or one without a single readable image.
    """
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise FileNotFoundError(f"image folder {folder} does not exist")
    files = _folder_files(folder)
    if not files:
        raise ValueError(f"image folder {folder} is empty: put .jpg/.png/.webp photos in it")
    cache_file = cache_dir() / "folders" / f"{_digest(str(folder))[:16]}.json"
    try:
        verdicts = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        verdicts = {}
    good, skipped, fresh = [], [], {}
    for p in _progress(files, len(files) > 200, desc=f"checking {folder.name}", unit="file"):
        rel, st = str(p.relative_to(folder)), p.stat()
        stamp = [st.st_size, st.st_mtime_ns]
        cached = verdicts.get(rel)
        if cached and cached[:2] == stamp:
            reason = cached[2]
        else:
            try:
                open_rgb(p)
                reason = None
            except BadImage as err:
                reason = str(err)
        fresh[rel] = stamp + [reason]
        if reason is None:
            good.append(p)
        else:
            skipped.append((rel, reason))
    if fresh != verdicts:
        write_json(cache_file, fresh, newline=False)
    _report_skipped(folder, len(files), skipped)
    if not good:
        raise ValueError(f"image folder {folder} has no readable image (skipped all {len(files)} files)")
    return good, skipped


def _folder_kind_dir(folder: Path, kind: str) -> Path:
    sub = folder / kind
    return sub if sub.is_dir() else folder


# ------------------------------------------------------------------------------------------ public API
def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")


def _filter_split(ds, kind: str, split: str | None):
    wanted = {"style"} if kind == "paintings" else set(PHOTO_SPLITS) if split is None else {split}
    if kind == "paintings" and split not in (None, "style"):
        raise ValueError(f"paintings have only the split 'style', not {split!r}")
    if kind == "photos" and split not in (None, "grayscale", *PHOTO_SPLITS):
        raise ValueError(f"photo splits are {PHOTO_SPLITS} (or 'grayscale'), not {split!r}")
    idx = [i for i, (k, s) in enumerate(zip(ds["kind"], ds["split"])) if k == kind and s in wanted]
    return ds.select(idx)


def _load(source: str, kind: str, split: str | None):
    """(dataset, skipped [(file, reason)], number of files looked at) for any non-hub source."""
    import datasets
    if source in ("gcompris", "samples"):
        if source == "samples" and kind == "paintings":
            raise ValueError("the 'samples' source has photos only; use 'gcompris' for paintings")
        prepare(source, progress=True)
        ds = datasets.load_from_disk(str(_dataset_dir(source) / "dataset"))
        return _filter_split(ds, kind, split), [], len(ds)
    if not Path(source).expanduser().exists():
        raise FileNotFoundError(
            f"{source!r} is neither a known source ('gcompris', 'samples', {', '.join(map(repr, HUB_SOURCES))}) "
            f"nor an existing folder")
    folder = _folder_kind_dir(Path(source).expanduser().resolve(), kind)
    good, skipped = scan_folder(folder)
    names = [p.relative_to(folder).as_posix() for p in good]
    splits = {n: "style" for n in names} if kind == "paintings" else assign_splits(names)
    ds = datasets.Dataset.from_dict({
        "image": [str(p) for p in good], "name": [n.rsplit(".", 1)[0].replace("/", "_") for n in names],
        "source_path": [str(p) for p in good], "licence": ["unknown (local folder)"] * len(good),
        "copyright": [""] * len(good), "split": [splits[n] for n in names], "kind": [kind] * len(good),
    }).cast_column("image", datasets.Image())
    return _filter_split(ds, kind, split), skipped, len(good) + len(skipped)


def load_dataset(source: str = "gcompris", kind: str = "photos", split: str | None = None):
    """Images of one source as a Hugging Face dataset with columns image, name, source_path, licence,
    copyright, split, kind (``split=None``: all photo splits, or "style" for paintings).

    Embedded and sample sets come from `prepare` (built on first use). A folder is validated first (bad files
    skipped with a warning) and its ``image`` column holds the files as they are (not yet RGB: use
    `load_images` for clean RGB). Hub names return a streaming ``IterableDataset`` (``colorlib.hub.stream``:
    the hub's columns too, images undecoded) and need a network or a local copy (``COLORLIB_HUB_MIRROR``);
    without either they raise `HubUnavailable` within seconds (at once with ``HF_HUB_OFFLINE=1``).
    """
    _check_kind(kind)
    if source in HUB_SOURCES:
        return hub.stream(source, kind, split)
    return _load(source, kind, split)[0]


def resize_short_side(im: Image.Image, size: int, reducing_gap: float | None = None) -> Image.Image:
    """Resize (Lanczos, aspect kept) so the short side is ``size`` px, up or down. ``reducing_gap``: PIL's
    two-stage shrink (an integer box reduction first), much faster for big reductions and exact enough; the
    resize cache uses 3.0, inference none."""
    w, h = im.size
    scale = size / min(w, h)
    new = (max(size, round(w * scale)), max(size, round(h * scale)))
    if new == im.size:
        return im
    return im.resize(new, Image.Resampling.LANCZOS, reducing_gap=reducing_gap)


def fit_long_side(image: Image.Image, size: int) -> Image.Image:
    """Resize (Lanczos) so the long side is ``size`` px (up or down)."""
    w, h = image.size
    scale = size / max(w, h)
    new = (max(1, round(w * scale)), max(1, round(h * scale)))
    return image if new == image.size else image.resize(new, Image.Resampling.LANCZOS)


def to_tensor(image: Image.Image) -> torch.Tensor:
    """PIL image -> float RGB tensor (3, H, W) in [0, 1]."""
    return torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0).permute(2, 0, 1)


def _source_key(source: str, kind: str) -> tuple[str, str]:
    """(cache folder name, fingerprint of the source's current content)."""
    if source in ("gcompris", "samples"):
        counts = prepare(source, progress=True)
        return f"{source}-v{PREPARE_VERSION}", _digest(json.dumps(counts, sort_keys=True))[:16]
    if source in HUB_SOURCES:
        return source.replace("/", "__"), hub.fingerprint(source)
    folder = _folder_kind_dir(Path(source).expanduser().resolve(), kind)
    if not folder.is_dir():
        raise FileNotFoundError(f"{source!r} is neither a known source nor an existing folder")
    files = _folder_files(folder)
    if not files:
        raise ValueError(f"image folder {folder} is empty: put .jpg/.png/.webp photos in it")
    return f"folder-{_digest(str(folder))[:16]}", _folder_fingerprint(folder, files)


_READ_INDEX_MEMO: dict[tuple, list[ImageRecord]] = {}
_READ_INDEX_MEMO_SIZE = 16
"""Indexes already read in this process, by path and the index file's time and size: a notebook loads the same
photos for every run it loads (0.2 s of PNG decoding each, measured on the report profile's 225 images)."""


def _read_index(index_file: Path, source: str) -> list[ImageRecord]:
    """The records of a finished ``load_images`` call, read back from its index and resized PNGs (once per process;
    later calls get a new list of the same records, whose images nothing in colorlib modifies in place)."""
    stat = index_file.stat()
    memo_key = (str(index_file), stat.st_mtime_ns, stat.st_size)
    index = json.loads(index_file.read_text())
    if memo_key not in _READ_INDEX_MEMO:
        records = []
        for meta in index["records"]:
            with Image.open(index_file.parent / meta.pop("file")) as im:
                records.append(ImageRecord(image=im.convert("RGB"), **meta))
        while len(_READ_INDEX_MEMO) >= _READ_INDEX_MEMO_SIZE:
            _READ_INDEX_MEMO.pop(next(iter(_READ_INDEX_MEMO)))
        _READ_INDEX_MEMO[memo_key] = records
    if index.get("skipped"):
        _report_skipped(Path(source), index["total"], [tuple(s) for s in index["skipped"]], warn_each=False)
    return list(_READ_INDEX_MEMO[memo_key])


def load_images(source: str = "gcompris", kind: str = "photos", split: str | None = None, size: int = 64,
                limit: int | None = None, progress: bool = True) -> list[ImageRecord]:
    """Decoded RGB images whose short side is ``size`` (aspect kept, Lanczos), cached on disk.

    The first call decodes and resizes each image once into ``<cache>/resized/<source>/<size>/`` (PNG) and
    writes an index; later calls read the small PNGs only. ``limit`` keeps the first ``limit`` images in a
    fixed order (required for hub sources, which are streamed: their first ``limit`` rows spread over the
    split's shards, see ``colorlib.hub.spread``). Images whose short side is under ``size``
    are upscaled (one summary warning); files that fail to decode are skipped with a warning.
    """
    _check_kind(kind)
    if source in HUB_SOURCES and limit is None:
        raise ValueError(f"hub source {source!r} is streamed: pass limit=N")
    key, fingerprint = _source_key(source, kind)
    folder = cache_dir() / "resized" / key / str(size)
    index_file = folder / f"index-{kind}-{split or 'all'}-{limit or 'all'}-{fingerprint}.json"
    if index_file.is_file():
        return _read_index(index_file, source)

    import datasets
    if source in HUB_SOURCES:
        rows: Iterable[dict] = hub.stream(source, kind, split, limit=limit)
        skipped, total, n_rows = [], None, limit
    else:
        ds, skipped, total = _load(source, kind, split)
        ds = ds.cast_column("image", datasets.Image(decode=False))  # decode with open_rgb, not datasets
        rows = ds.select(range(min(limit, len(ds)))) if limit is not None else ds
        n_rows = len(rows)
    folder.mkdir(parents=True, exist_ok=True)
    records, index_rows, upscaled = [], [], []
    for row in _progress(rows, progress, desc=f"decoding {key} {kind} at {size}px", unit="img", total=n_rows):
        file = _digest(f"{fingerprint}:{row['source_path']}")[:20] + ".png"
        if (folder / file).is_file():  # resized already for another split / limit
            with Image.open(folder / file) as cached:
                im = cached.convert("RGB")
        else:
            image = row["image"]
            raw = image if isinstance(image, Image.Image) else image.get("bytes") or image.get("path")
            try:
                im = open_rgb(raw)
            except BadImage as err:
                log.warning("skipping %s: %s", row["source_path"], err)
                skipped.append((row["source_path"], str(err)))
                continue
            if min(im.size) < size:
                upscaled.append(row["name"])
            im = resize_short_side(im, size, reducing_gap=3.0)
            with atomic_path(folder / file) as tmp:  # two processes may fill the cache at once
                im.save(tmp, format="PNG")
        meta = {k: row.get(k, "") for k in ("name", "split", "licence", "source_path", "copyright", "kind", "title")}
        records.append(ImageRecord(image=im, **meta))
        index_rows.append({"file": file, **meta})
    if upscaled:
        log.warning("upscaled %d images whose short side is under %d px: %s", len(upscaled), size,
                    ", ".join(upscaled[:5]) + (" ..." if len(upscaled) > 5 else ""))
    write_json(index_file, {"records": index_rows, "skipped": skipped,
                            "total": total if total is not None else len(records) + len(skipped)}, newline=False)
    return records


class RandomScaleCrop(torch.nn.Module):
    """A random square crop whose side is between ``size`` and ``max_scale * size`` (uniform, capped by the
    image's short side), resized (antialiased) to ``size``: the same photo at several scales."""

    def __init__(self, size: int, max_scale: float):
        super().__init__()
        self.size, self.max_scale = size, max_scale

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        from torchvision.transforms import v2

        h, w = image.shape[-2:]
        side = min(h, w, int(round(self.size * (1 + (self.max_scale - 1) * float(torch.rand(()))))))
        top = int(torch.randint(h - side + 1, ()))
        left = int(torch.randint(w - side + 1, ()))
        crop = v2.functional.crop(image, top, left, side, side)
        return v2.functional.resize(crop, [self.size, self.size], antialias=True) if side != self.size else crop


class SquareCentreCrop(torch.nn.Module):
    """The largest centred square."""

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        from torchvision.transforms import v2

        return v2.functional.center_crop(image, min(image.shape[-2:]))


class ColorDataset(torch.utils.data.Dataset):
    """Pairs for colourisation: ``{"rgb": (3,crop,crop) float [0,1], "gray": (1,crop,crop) BT.601, "index"}``.

    Train: random crop + horizontal flip; eval: centre crop (deterministic). With ``max_scale``: train on
    ``RandomScaleCrop`` zooms, evaluate the largest centred square scaled to ``crop``. Images are kept as uint8 tensors;
    one whose short side is under ``crop`` is upscaled (Lanczos) to it once here, with one summary warning,
    rather than padded (padding would teach the network grey borders).
    """

    def __init__(self, records: Sequence[ImageRecord] | Sequence[Image.Image], crop: int, train: bool,
                 max_scale: float | None = None):
        from torchvision.transforms import v2

        self.crop, self.train = crop, train
        self.records = list(records)
        self.images, small = [], []
        for i, rec in enumerate(self.records):
            im = rec.image if isinstance(rec, ImageRecord) else rec
            if min(im.size) < crop:
                small.append(i)
                im = resize_short_side(im, crop, reducing_gap=3.0)
            self.images.append(v2.functional.to_image(im.convert("RGB")))
        if small:
            log.warning("ColorDataset: upscaled %d of %d images smaller than the %d px crop", len(small),
                        len(self.records), crop)
        if max_scale is None:
            self.transform = (v2.Compose([v2.RandomCrop(crop), v2.RandomHorizontalFlip()]) if train
                              else v2.CenterCrop(crop))
        else:  # views at several scales: train on random zooms, evaluate the whole (centre) square
            self.transform = (v2.Compose([RandomScaleCrop(crop, max_scale), v2.RandomHorizontalFlip()]) if train
                              else v2.Compose([SquareCentreCrop(), v2.Resize(crop, antialias=True)]))
        self._to_float = v2.ToDtype(torch.float32, scale=True)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> dict:
        rgb = self._to_float(self.transform(self.images[index]))
        return {"rgb": rgb.as_subclass(torch.Tensor), "gray": luma_bt601(rgb.as_subclass(torch.Tensor)), "index": index}


def write_attribution(source: str = "gcompris", path: str | os.PathLike | None = None) -> Path:
    """Write a Markdown attribution table (image, kind, licence, copyright, source path in the package) for
    an embedded source; default ``report/data_attribution.md``. Returns the path."""
    from colorlib.paths import report_dir

    path = Path(path) if path is not None else report_dir() / "data_attribution.md"
    lines = [f"# Image attribution: `{source}`", "",
             "Generated by `colorlib.data.write_attribution` from the package's DEP-5 copyright file "
             "(`usr/share/doc/gcompris-qt-data/copyright`). The images themselves are never committed.", "",
             "| image | kind | split | licence | copyright | path in package |", "|---|---|---|---|---|---|"]
    for kind in ("photos", "paintings"):
        ds = load_dataset(source, kind).remove_columns("image")
        for row in sorted(ds, key=lambda r: r["name"]):
            cells = [row["name"], kind, row["split"], row["licence"], row["copyright"], row["source_path"]]
            lines.append("| " + " | ".join(str(c).replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    write_text(path, "\n".join(lines) + "\n")
    return path


# ------------------------------------------------------------------------------------------------ CLI
def _print_counts(counts: dict, seconds: float) -> None:
    photos = counts["photos"]
    print(f"{counts['source']}: photos train {photos['train']} / val {photos['val']} / test {photos['test']} "
          f"(of {counts['photos_found']} found), paintings {counts['paintings']}, "
          f"near-duplicates removed {counts['duplicates_removed']} (phash distance <= {counts['phash_threshold']}), "
          f"grayscale excluded {counts['grayscale_excluded']}  [{seconds:.1f} s]")
    print(f"dataset: {_dataset_dir(counts['source'])}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m colorlib.data", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare", help="build the embedded dataset once and print its counts")
    p.add_argument("--source", default="gcompris", choices=["gcompris", "samples"])
    p.add_argument("--force", action="store_true", help="rebuild even if it exists")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    start = time.perf_counter()
    try:
        counts = prepare(args.source, force=args.force)
    except Exception as err:  # the message says what to do; no traceback for a missing package
        from colorlib.gcompris import GcomprisUnavailable
        if isinstance(err, GcomprisUnavailable):
            print(f"error: {err}")
            return 1
        raise
    _print_counts(counts, time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

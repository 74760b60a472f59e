"""Local stand-ins of the hub datasets the ``paper`` profile streams: Parquet shards with the exact ``datasets``
features of ``imagenet-1k`` and ``huggan/wikiart``, made from the embedded photos and paintings.

``write(root)`` lays them out as a hub mirror (``colorlib.hub``): ``<root>/imagenet-1k/data/{train,validation,
test}-0000k-of-0000n.parquet`` and ``<root>/huggan/wikiart/data/train-....parquet``; with
``COLORLIB_HUB_MIRROR=<root>`` the hub ids stream from them through the same ``datasets.load_dataset(...,
streaming=True)`` path as from the hub. The test suite's miniature paper run and ``benchmarks/gpu_check.py``
use them; they are not ImageNet or WikiArt, only shaped like them.

Features (the class names are in ``hub_classes.json``; ``tests/test_standins.py`` checks them against the
hub datasets' published features and says where those come from):

- imagenet-1k: ``image`` (Image), ``label`` (ClassLabel, 1,000 names: the values of ``IMAGENET2012_CLASSES``
  in the hub repository's ``classes.py``, with "crane2" for the machine so that every name is unique).
  The labels of the stand-in's photos are placeholders (the photos are not ImageNet's): train and validation
  cycle through the classes, test is unlabelled (-1) as on the hub.
- huggan/wikiart: ``image``, ``artist`` (129 names, "Unknown Artist" first), ``genre`` (11, "Unknown Genre"
  last), ``style`` (27), all ClassLabels. A painting's artist is its real one where the embedded title names an
  artist of the list (Vincent van Gogh -> "vincent-van-gogh"), else "Unknown Artist"; genre "Unknown Genre";
  style unlabelled (-1): nothing is invented.

Images are re-encoded as JPEG (as on both hubs), optionally shrunk to ``max_side`` px.
"""
from __future__ import annotations

import io
import json
import math
import re
import unicodedata
from pathlib import Path
from typing import Sequence

from PIL import Image

from colorlib import data, hub

CLASSES_FILE = Path(__file__).with_name("hub_classes.json")
DEFAULT_PHOTOS = {"train": 24, "val": 8, "test": 8}  # our split -> rows (written under the hub's split names)
DEFAULT_PAINTINGS = 8
JPEG_QUALITY = 90


def class_names(source: str) -> dict[str, list[str]]:
    """The ClassLabel names of hub dataset ``source``: column -> names in label order."""
    table = json.loads(CLASSES_FILE.read_text(encoding="utf-8"))
    if source not in table:
        raise ValueError(f"no stand-in for {source!r}; known: {', '.join(k for k in table if not k.startswith('_'))}")
    return table[source]


def features(source: str):
    """The ``datasets.Features`` of hub dataset ``source`` (image first, then its ClassLabel columns)."""
    import datasets

    labels = {column: datasets.ClassLabel(names=names) for column, names in class_names(source).items()}
    return datasets.Features({"image": datasets.Image(), **labels})


# ------------------------------------------------------------------------------------------ images
def _jpeg(raw, max_side: int | None) -> bytes:
    im = data.open_rgb(raw)
    if max_side is not None and max(im.size) > max_side:
        im = data.fit_long_side(im, max_side)
    buf = io.BytesIO()
    im.save(buf, format="JPEG", quality=JPEG_QUALITY)
    return buf.getvalue()


def _rows(source: str, kind: str, split: str | None, n: int, repeat: bool) -> list[dict]:
    """``n`` rows (image bytes, name, title) of an embedded source's split, cycled when ``repeat``."""
    import datasets

    ds = data.load_dataset(source, kind, split).cast_column("image", datasets.Image(decode=False))
    if len(ds) == 0 or (len(ds) < n and not repeat):
        raise ValueError(f"{source!r} has {len(ds)} {kind} in split {split!r}; the stand-in asks for {n} "
                         f"(pass repeat=True to cycle through them)")
    rows = []
    for i in range(n):
        row = ds[i % len(ds)]
        rows.append({"raw": row["image"]["bytes"] or row["image"]["path"], "name": f"{row['name']}_{i:05d}",
                     "title": row.get("title") or ""})
    return rows


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def artist_label(title: str, artists: Sequence[str]) -> int:
    """The wikiart artist class of an embedded painting's title ("Vincent van Gogh, The Harvest - 1888"), 0
    ("Unknown Artist") when the name before the first comma is not one of ``artists``."""
    slug = _slug(title.split(",", 1)[0]) if title else ""
    return artists.index(slug) if slug in artists else 0


# ------------------------------------------------------------------------------------------ writing
def _write_split(folder: Path, hub_split: str, columns: dict, feats, shards: int) -> list[Path]:
    """One hub split as ``data/<split>-0000k-of-0000n.parquet`` shards (rows dealt out in order)."""
    import datasets

    n_rows = len(columns["image"])
    shards = max(1, min(shards, n_rows))
    per = math.ceil(n_rows / shards)
    paths = []
    was_on = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()
    try:
        for k in range(shards):
            part = {c: v[k * per:(k + 1) * per] for c, v in columns.items()}
            path = folder / "data" / f"{hub_split}-{k:05d}-of-{shards:05d}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            datasets.Dataset.from_dict(part, features=feats).to_parquet(str(path))
            paths.append(path)
    finally:
        if was_on:
            datasets.enable_progress_bars()
    return paths


def write_imagenet(folder: Path, source: str = "gcompris", photos: dict | None = None, shards: int = 2,
                   max_side: int | None = None, repeat: bool = False) -> Path:
    """An imagenet-1k stand-in in ``folder`` from ``source``'s photos (``photos``: our split -> rows)."""
    folder = Path(folder)
    feats = features("imagenet-1k")
    n_classes = feats["label"].num_classes
    _, split_map, _ = hub.HUB_SOURCES["imagenet-1k"]
    for split, n in (photos or DEFAULT_PHOTOS).items():
        rows = _rows(source, "photos", split, n, repeat)
        labels = [-1 if split == "test" else (7 * i) % n_classes for i in range(n)]
        columns = {"image": [{"bytes": _jpeg(r["raw"], max_side), "path": f"{r['name']}.JPEG"} for r in rows],
                   "label": labels}
        _write_split(folder, split_map[split], columns, feats, shards)
    return folder


def write_wikiart(folder: Path, source: str = "gcompris", paintings: int = DEFAULT_PAINTINGS, shards: int = 1,
                  max_side: int | None = None, repeat: bool = False) -> Path:
    """A huggan/wikiart stand-in in ``folder`` from ``source``'s paintings (its photos for ``"samples"``, which
    has no paintings)."""
    folder = Path(folder)
    feats = features("huggan/wikiart")
    kind, split = ("photos", "train") if source == "samples" else ("paintings", None)
    rows = _rows(source, kind, split, paintings, repeat)
    artists = feats["artist"].names
    columns = {"image": [{"bytes": _jpeg(r["raw"], max_side), "path": None} for r in rows],
               "artist": [artist_label(r["title"], artists) for r in rows],
               "genre": [feats["genre"].str2int("Unknown Genre")] * len(rows),
               "style": [-1] * len(rows)}
    _write_split(folder, "train", columns, feats, shards)
    return folder


def write(root: str | Path, source: str = "gcompris", photos: dict | None = None, paintings: int = DEFAULT_PAINTINGS,
          shards: int = 2, max_side: int | None = None, repeat: bool = False) -> Path:
    """Both stand-ins under ``root`` laid out as a hub mirror (``COLORLIB_HUB_MIRROR=<root>``); returns ``root``.
    ``photos``: rows per split of ours (default ``DEFAULT_PHOTOS``); ``shards``: Parquet files per photo split;
    ``repeat``: cycle through the source's images when it has fewer than asked for."""
    root = Path(root)
    write_imagenet(root / "imagenet-1k", source, photos, shards, max_side, repeat)
    write_wikiart(root / "huggan" / "wikiart", source, paintings, 1, max_side, repeat)
    (root / "STANDIN.txt").write_text("Stand-ins written by colorlib.standins.write: the features of imagenet-1k and "
                                      f"huggan/wikiart, the images of colorlib's {source!r} source.\n")
    return root

"""Hugging Face hub sources (``imagenet-1k`` photos, ``huggan/wikiart`` paintings): streamed from the hub, or
from a local copy of their files named by ``COLORLIB_HUB_MIRROR``; ``colorlib.data`` reads them through here.

Streaming. ``datasets.load_dataset(<id>, split=..., streaming=True)``: nothing is downloaded ahead of use.
``stream(..., limit=N)`` reads the first ``ceil(N / shards)`` rows of every shard (Parquet file) of the split,
then the rest of the shards if some were short, and keeps N: a capped read covers the whole split instead of
its first files only (a split stored in class order would otherwise give N images of a few classes). The order
is fixed by the files, so the same N images come back every time.

Local copies. ``COLORLIB_HUB_MIRROR=/data/hub`` makes ``<root>/<hub id>`` (``/data/hub/imagenet-1k``,
``/data/hub/huggan/wikiart``) the source of that id wherever the folder exists, with no network and no token:

- a Parquet download of the hub repository, e.g.
  ``hf download ILSVRC/imagenet-1k --repo-type dataset --local-dir /data/hub/imagenet-1k`` (files such as
  ``data/train-00000-of-00294.parquet``), streamed with the packaged ``parquet`` builder;
- an image folder (``train/<class>/*.JPEG``, ``val/<class>/...``, ``test/...``), streamed with the packaged
  ``imagefolder`` builder (labels: the class folders' names).

Either way ``datasets`` finds the splits from the file and folder names as it does on the hub
(``validation`` also matches ``val``/``valid``), with the same code path as the hub ids: ``load_dataset(...,
streaming=True)``, then the same spreading, labels and annotation. An id with no folder under the root still
streams from the hub. The test suite's stand-ins (``colorlib.standins``) are such copies.

Labels. ClassLabel columns give a record its title: imagenet-1k's ``label`` ("tench, Tinca tinca"), wikiart's
``artist``, ``style`` and ``genre`` ("claude-monet, Impressionism, landscape"); unlabelled values (-1) and the
"Unknown Artist" / "Unknown Genre" classes are left out.
"""
from __future__ import annotations

import hashlib
import math
import os
import socket
import threading
from pathlib import Path

HUB_SOURCES = {
    # name -> kind, our split -> hub split, licence note
    "imagenet-1k": ("photos", {"train": "train", "val": "validation", "test": "test"},
                    "ImageNet terms of access (non-commercial research)"),
    "huggan/wikiart": ("paintings", {"style": "train"}, "see the huggan/wikiart dataset card"),
}
MIRROR_ENV = "COLORLIB_HUB_MIRROR"
LABEL_COLUMNS = ("label", "artist", "style", "genre")  # ClassLabel columns that make a title, in this order


class HubUnavailable(ConnectionError):
    """A hub dataset was asked for without a usable network (and no local copy under ``COLORLIB_HUB_MIRROR``)."""


# ------------------------------------------------------------------------------------------ local copies
def mirror_root() -> Path | None:
    """The folder ``COLORLIB_HUB_MIRROR`` names (None when it is unset)."""
    root = os.environ.get(MIRROR_ENV, "").strip()
    return Path(root).expanduser() if root else None


def mirror_folder(source: str) -> Path | None:
    """The local copy of hub dataset ``source`` (``<COLORLIB_HUB_MIRROR>/<source>``), or None when there is none."""
    root = mirror_root()
    if root is None:
        return None
    folder = root / source
    return folder if folder.is_dir() else None


def _has_parquet(folder: Path) -> bool:
    return any(True for _ in folder.rglob("*.parquet"))


def fingerprint(source: str) -> str:
    """What identifies the images ``source`` serves here: "hub", or "mirror-<digest>" of the local copy's folder,
    its Parquet files (name, size, time) and its folders (name, time), so that a stand-in or another copy never
    shares the pre-resize cache with the hub's images."""
    folder = mirror_folder(source)
    if folder is None:
        return "hub"
    h = hashlib.sha256(str(folder.resolve()).encode())
    for dirpath, _, filenames in sorted(os.walk(folder)):
        st = os.stat(dirpath)
        h.update(f"{os.path.relpath(dirpath, folder)}\0{st.st_mtime_ns}\0{len(filenames)}\n".encode())
        for name in sorted(f for f in filenames if f.endswith(".parquet")):
            fst = os.stat(os.path.join(dirpath, name))
            h.update(f"{name}\0{fst.st_size}\0{fst.st_mtime_ns}\n".encode())
    return "mirror-" + h.hexdigest()[:16]


# ------------------------------------------------------------------------------------------ the hub
def reachable(timeout: float = 3.0) -> str | None:
    """None when the hub answers, else why not. Bounded in time (DNS included, via a thread)."""
    if any(os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")
           for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")):
        return "HF_HUB_OFFLINE / HF_DATASETS_OFFLINE is set"
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return None  # behind a proxy a direct probe says nothing; let datasets try
    from urllib.parse import urlparse
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    result: list[str | None] = ["timed out"]

    def probe():
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            result[0] = None
        except OSError as err:
            result[0] = f"cannot connect to {host}: {err}"

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    return result[0]


def hub_error(source: str, why: str) -> HubUnavailable:
    root = mirror_root()
    mirror = (f"no local copy either: {root / source} does not exist" if root is not None else
              f"or point {MIRROR_ENV} at a folder holding a copy as <folder>/{source}")
    return HubUnavailable(
        f"hub dataset {source!r} needs a network connection to huggingface.co ({why}); {mirror}. Offline, use "
        f"the embedded default `load_dataset(\"gcompris\")` (run `python -m colorlib.data prepare` once), the "
        f"in-wheel `\"samples\"`, or a local folder `load_dataset(\"/path/to/photos\")`."
        + (" ImageNet is gated: accept its terms on the hub and log in (`hf auth login`)."
           if source == "imagenet-1k" else ""))


# ------------------------------------------------------------------------------------------ streams
def open_split(source: str, hub_split: str):
    """The hub split ``hub_split`` of ``source`` as a streaming ``datasets.IterableDataset``, from its local copy
    when there is one, else from the hub (raising ``HubUnavailable`` within seconds offline)."""
    import datasets

    folder = mirror_folder(source)
    if folder is not None:
        builder = "parquet" if _has_parquet(folder) else "imagefolder"
        try:
            return datasets.load_dataset(builder, data_dir=str(folder), split=hub_split, streaming=True)
        except (ValueError, FileNotFoundError) as err:
            raise ValueError(f"the local copy of {source!r} in {folder} ({MIRROR_ENV}, read as {builder}) has no "
                             f"usable split {hub_split!r}: {err}") from err
    why = reachable()
    if why:
        raise hub_error(source, why)
    try:
        return datasets.load_dataset(source, split=hub_split, streaming=True)
    except Exception as err:  # noqa: BLE001 - any failure here means "no usable hub"; keep the cause
        raise hub_error(source, f"{type(err).__name__}: {err}") from err


def spread(ds, limit: int):
    """The first ``limit`` rows of ``ds`` taken evenly from its shards: ``ceil(limit / shards)`` from the start of
    each shard in turn, then the rest of every shard (when some are short), cut at ``limit``."""
    import datasets

    n = max(1, int(getattr(ds, "n_shards", 1) or 1))
    if n == 1:
        return ds.take(limit)
    per = math.ceil(limit / n)
    shards = [ds.shard(num_shards=n, index=i) for i in range(n)]
    heads, tails = [s.take(per) for s in shards], [s.skip(per) for s in shards]
    return datasets.concatenate_datasets(heads + tails).take(limit)


def label_names(features) -> dict[str, object]:
    """The ClassLabel columns among ``LABEL_COLUMNS`` of a dataset's features (column -> ClassLabel)."""
    import datasets

    if not features:
        return {}
    return {c: features[c] for c in LABEL_COLUMNS if isinstance(features.get(c), datasets.ClassLabel)}


def title(example: dict, labels: dict) -> str:
    """A record's title from its class labels: names joined by ", ", unlabelled (-1) and unknown classes out."""
    names = []
    for column, feature in labels.items():
        value = example.get(column)
        if isinstance(value, int) and 0 <= value < feature.num_classes:
            name = feature.int2str(value)
            if not name.lower().startswith("unknown"):
                names.append(name)
    return ", ".join(names)


def stream(source: str, kind: str, split: str | None, limit: int | None = None):
    """Our split ``split`` of hub source ``source`` as a streaming dataset of the hub's columns plus name,
    source_path, licence, copyright, split, kind and title; ``limit``: at most that many rows, spread over the
    shards (``spread``). Images stay undecoded (``{"bytes", "path"}``): ``colorlib.data`` decodes them."""
    import datasets

    hub_kind, split_map, licence = HUB_SOURCES[source]
    if kind != hub_kind:
        raise ValueError(f"hub source {source!r} provides {hub_kind}, not {kind}")
    split = split or next(iter(split_map))
    if split not in split_map:
        raise ValueError(f"hub source {source!r} has splits {list(split_map)}, not {split!r}")
    ds = open_split(source, split_map[split])
    labels = label_names(ds.features)
    if ds.features is not None and "image" in ds.features:
        ds = ds.cast_column("image", datasets.Image(decode=False))
    if limit is not None:
        ds = spread(ds, limit)
    origin = "hf" if mirror_folder(source) is None else "mirror"

    def annotate(example, index):
        return {"name": f"{source.replace('/', '_')}_{split}_{index:07d}",
                "source_path": f"{origin}://{source}/{split_map[split]}/{index}", "licence": licence,
                "copyright": "", "split": split, "kind": kind, "title": title(example, labels)}

    added = ("name", "source_path", "licence", "copyright", "split", "kind", "title")
    feats = None if ds.features is None else datasets.Features(
        {**ds.features, **{c: datasets.Value("string") for c in added}})
    return ds.map(annotate, with_indices=True, features=feats)

"""The stand-ins of the paper profile's hub datasets (``colorlib.standins``) have the hubs' features, and
``COLORLIB_HUB_MIRROR`` streams them through the same ``colorlib.hub.stream`` path as the hub ids.

Published features, written down here from the datasets' cards (the ``dataset_info`` block of each README):

- imagenet-1k, https://huggingface.co/datasets/ILSVRC/imagenet-1k (README.md, ``dataset_info.features``):
  ``image`` (dtype image), ``label`` (class_label, names '0'..'999': '0' "tench, Tinca tinca", '134' "crane",
  '517' "crane2", '999' "toilet tissue, toilet paper, bathroom tissue"); splits train, validation, test (test
  labels -1).
- huggan/wikiart, https://huggingface.co/datasets/huggan/wikiart (README.md and dataset_infos.json):
  ``image``, ``artist`` (class_label, 129 names, '0' "Unknown Artist", '22' "vincent-van-gogh"), ``genre``
  (class_label, 11 names, "Unknown Genre" last), ``style`` (class_label, 27 names, "Abstract_Expressionism" first,
  "Ukiyo_e" last); one split, train.
"""
from __future__ import annotations

import datasets
import pytest

from colorlib import data, hub, standins

PUBLISHED = {
    # hub id -> column -> (number of classes, {index: name} spot checks); image columns: None
    "imagenet-1k": {"image": None,
                    "label": (1000, {0: "tench, Tinca tinca", 134: "crane", 517: "crane2",
                                     999: "toilet tissue, toilet paper, bathroom tissue"})},
    "huggan/wikiart": {"image": None,
                       "artist": (129, {0: "Unknown Artist", 22: "vincent-van-gogh", 128: "canaletto"}),
                       "genre": (11, {0: "abstract_painting", 4: "landscape", 10: "Unknown Genre"}),
                       "style": (27, {0: "Abstract_Expressionism", 12: "Impressionism", 26: "Ukiyo_e"})},
}
SMALL = {"train": 6, "val": 2, "test": 2}


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    """Small stand-ins (two shards per photo split) made from the embedded gcompris images."""
    return standins.write(tmp_path_factory.mktemp("mirror"), photos=SMALL, paintings=3)


@pytest.fixture
def mirrored(mirror, monkeypatch, offline_hub):
    monkeypatch.setenv(hub.MIRROR_ENV, str(mirror))
    return mirror


def _check_features(feats: datasets.Features, source: str) -> None:
    assert list(feats) == list(PUBLISHED[source])
    for column, spec in PUBLISHED[source].items():
        if spec is None:
            assert isinstance(feats[column], datasets.Image)
            continue
        n, spots = spec
        assert isinstance(feats[column], datasets.ClassLabel) and feats[column].num_classes == n
        assert len(set(feats[column].names)) == n  # a ClassLabel needs unique names (hence "crane2")
        assert {i: feats[column].int2str(i) for i in spots} == spots


@pytest.mark.parametrize("source", list(PUBLISHED))
def test_standin_features_are_the_published_ones(source):
    _check_features(standins.features(source), source)


@pytest.mark.parametrize("source, folder", [("imagenet-1k", "imagenet-1k"), ("huggan/wikiart", "huggan/wikiart")])
def test_parquet_files_carry_the_features(mirror, source, folder):
    """What ``datasets`` reads back from the Parquet files (their schema metadata), not what we meant to write."""
    files = sorted(str(p) for p in (mirror / folder / "data").glob("train-*.parquet"))
    ds = datasets.load_dataset("parquet", data_files={"train": files}, split="train", streaming=True)
    _check_features(ds.features, source)


def test_hub_ids_stream_from_the_mirror(mirrored):
    """``data.load_dataset(<hub id>)`` is a streaming dataset of the hub's columns plus ours, read offline."""
    ds = data.load_dataset("imagenet-1k", "photos", "train")
    assert isinstance(ds, datasets.IterableDataset)
    rows = list(ds)
    assert len(rows) == SMALL["train"]
    assert {"image", "label", "name", "source_path", "title", "split"} <= set(rows[0])
    assert rows[0]["source_path"] == "mirror://imagenet-1k/train/0" and rows[0]["title"] == "tench, Tinca tinca"
    assert len(list(data.load_dataset("imagenet-1k", "photos", "val"))) == SMALL["val"]  # hub split "validation"
    test_rows = list(data.load_dataset("imagenet-1k", "photos", "test"))
    assert {r["label"] for r in test_rows} == {-1} and {r["title"] for r in test_rows} == {""}  # unlabelled
    paintings = list(data.load_dataset("huggan/wikiart", "paintings"))
    assert len(paintings) == 3 and all(r["genre"] == 10 and r["style"] == -1 for r in paintings)


def test_capped_reads_spread_over_the_shards(mirrored):
    """``limit`` takes from every shard (3 rows each here), not the first file only."""
    rows = list(hub.stream("imagenet-1k", "photos", "train", limit=4))
    assert [r["label"] for r in rows] == [0, 7, 21, 28]  # rows 0, 1 of shard 0 and rows 3, 4 (shard 1)


def test_load_images_decodes_the_mirror_at_128_px(mirrored):
    recs = data.load_images("imagenet-1k", "photos", "train", 128, limit=4, progress=False)
    assert len(recs) == 4 and all(min(r.image.size) == 128 and r.image.mode == "RGB" for r in recs)
    assert data._source_key("imagenet-1k", "photos")[1].startswith("mirror-")  # never shares the hub's cache


def test_without_a_copy_offline_the_error_names_the_mirror_setting(offline_hub, monkeypatch, tmp_path):
    monkeypatch.delenv(hub.MIRROR_ENV, raising=False)
    with pytest.raises(hub.HubUnavailable, match=hub.MIRROR_ENV):
        data.load_dataset("huggan/wikiart", "paintings")
    monkeypatch.setenv(hub.MIRROR_ENV, str(tmp_path))  # a root without this id: still the hub, still offline
    with pytest.raises(hub.HubUnavailable, match="no local copy either"):
        data.load_dataset("imagenet-1k", "photos", "train")

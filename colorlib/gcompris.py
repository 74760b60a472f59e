"""The embedded default data: photographs and paintings shipped in Debian's ``gcompris-qt-data`` package.

GCompris (an educational suite, KDE) bundles each activity's resources in a Qt binary resource file
``usr/share/gcompris-qt/rcc/<activity>.rcc``. Some activities hold real colour photographs (animals,
monuments, musicians, underwater scenes); the ``paintings`` activity holds 22 classic works cut into jigsaw
pieces, and ``details`` holds a few Van Gogh paintings. This module

- fetches the package without root (``apt-get download`` + ``dpkg -x`` into ``<cache>/gcompris/``), or
  uses a system install (``/usr/share/gcompris-qt/rcc``) or a ``.deb`` named by ``COLORLIB_GCOMPRIS_DEB``;
- reads ``.rcc`` files (format v1-3, zlib entries): `read_rcc`;
- re-assembles the jigsaw paintings (`assemble_board`) and selects the real photographs (`extract`);
- looks up each image's licence in the package's DEP-5 ``copyright`` file (`Dep5`).

`extract()` returns `GcomprisImage` items (encoded bytes + metadata); ``colorlib.data.prepare`` turns them
into the on-disk dataset. Nothing here is committed to the repository: the images stay in the cache.
"""
from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from PIL import Image

from colorlib.files import temporary_dir
from colorlib.paths import cache_dir

log = logging.getLogger(__name__)

PACKAGE = "gcompris-qt-data"
RCC_SUBDIR = "usr/share/gcompris-qt/rcc"
COPYRIGHT_SUBPATH = f"usr/share/doc/{PACKAGE}/copyright"
SYSTEM_ROOT = Path("/")
DEB_ENV = "COLORLIB_GCOMPRIS_DEB"

# Where the real photographs are (checked by eye; notes in DATA.md of the shared data folder beside the
# checkout, not part of this repository); paths are relative to ``src/activities/``. Everything else in these
# activities is drawings, icons or sprites.
PHOTO_PREFIXES = (
    "erase/resource/",
    "explore_world_animals/resource/animals/",
    "explore_farm_animals/resource/animals/",
    "explore_monuments/resource/",
    "explore_world_music/resource/music/",
    "clickgame/resource/sea",
    "categorization/resource/images/fishes/",
    "categorization/resource/images/monuments/",
    "categorization/resource/images/others/",
    "categorization/resource/images/tools/",
    "categorization/resource/images/renewable/",
)
DETAILS_BACKGROUND = re.compile(r"^details/resource/image/[^/]+_background\.\w+$")
DETAILS_PAINTING = re.compile(r"Gogh|Eglise_dAuvers|PereTanguy", re.I)  # the Van Gogh works in `details`
DROPPED_BOARDS = re.compile(r"Pieta", re.I)  # a photograph of a marble sculpture, not a painting
MIN_SHORT_SIDE = 200  # below this, the "photos" are icons and sprites
ACTIVITIES = ("erase", "explore_world_animals", "explore_farm_animals", "explore_monuments",
              "explore_world_music", "clickgame", "categorization", "details", "paintings")
IMAGE_SUFFIXES = (".webp", ".jpg", ".jpeg", ".png")


class GcomprisUnavailable(RuntimeError):
    """The package could not be found or fetched; the message says what to do instead."""


# --------------------------------------------------------------------------------------------- fetching
def _alternatives() -> str:
    return ("Alternatives: a local folder of photos, `colorlib.data.load_dataset(\"/path/to/photos\")`, or, "
            "with a network, a hub dataset: `load_dataset(\"imagenet-1k\")` (photos) or "
            "`load_dataset(\"huggan/wikiart\", kind=\"paintings\")`.")


def _is_root(root: Path) -> bool:
    return (root / RCC_SUBDIR / "paintings.rcc").is_file()


def _extract_deb(deb: Path, dest: Path) -> Path:
    """``dpkg -x deb dest`` into a temporary folder, then rename: a half-extracted tree is never used."""
    if shutil.which("dpkg") is None:
        raise GcomprisUnavailable(f"`dpkg` is needed to unpack {deb} and was not found. " + _alternatives())
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_dir("pkg-", dest.parent)
    try:
        run = subprocess.run(["dpkg", "-x", str(deb), str(tmp)], capture_output=True, text=True)
        if run.returncode != 0 or not _is_root(tmp):
            raise GcomprisUnavailable(f"`dpkg -x {deb}` failed: {run.stderr.strip() or 'no rcc files inside'}. "
                                      + _alternatives())
        (tmp / ".source").write_text(deb.name)
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _apt_download(folder: Path) -> Path:
    """``apt-get download gcompris-qt-data`` into ``folder`` (no root needed); returns the .deb path."""
    debs = sorted(folder.glob(f"{PACKAGE}_*.deb"))
    if debs:
        return debs[-1]
    if shutil.which("apt-get") is None:
        raise GcomprisUnavailable(
            f"The embedded data comes from the Debian package {PACKAGE}, and `apt-get` is not available here. "
            f"On another machine run `apt-get download {PACKAGE}` and point {DEB_ENV} at the .deb. "
            + _alternatives())
    folder.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(["apt-get", "download", PACKAGE], cwd=folder, capture_output=True, text=True)
    debs = sorted(folder.glob(f"{PACKAGE}_*.deb"))
    if (run.returncode != 0 or not debs) and hasattr(os, "geteuid") and os.geteuid() == 0:
        # A fresh machine often has no package lists yet; as root we may refresh them once and retry.
        log.warning("apt-get download %s failed; running `apt-get update` once and retrying ...", PACKAGE)
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, text=True)
        run = subprocess.run(["apt-get", "download", PACKAGE], cwd=folder, capture_output=True, text=True)
        debs = sorted(folder.glob(f"{PACKAGE}_*.deb"))
    if run.returncode != 0 or not debs:
        err = " ".join(line for line in run.stderr.splitlines() if line.startswith("E:")) or run.stderr.strip()
        raise GcomprisUnavailable(
            f"`apt-get download {PACKAGE}` failed ({err or 'no .deb produced'}). If the package lists are "
            f"missing, run `sudo apt-get update` once and retry, or install it system-wide with "
            f"`sudo apt-get install --no-install-recommends {PACKAGE}`, or set {DEB_ENV}=/path/to/{PACKAGE}.deb. "
            + _alternatives())
    return debs[-1]


def package_root(fetch: bool = True) -> Path:
    """Folder holding ``usr/share/gcompris-qt/rcc`` and the package's ``copyright`` file.

    Order: the .deb named by ``COLORLIB_GCOMPRIS_DEB`` (extracted into the cache), an earlier extraction in
    ``<cache>/gcompris/pkg``, a system install under ``/usr/share``, then (``fetch=True``) a fresh
    ``apt-get download``. Idempotent: a finished extraction is reused.
    """
    folder = cache_dir() / "gcompris"
    dest = folder / "pkg"
    marker = dest / ".source"
    env = os.environ.get(DEB_ENV)
    if env:
        deb = Path(env).expanduser()
        if not deb.is_file():
            raise GcomprisUnavailable(f"{DEB_ENV}={env}: no such file. " + _alternatives())
        if _is_root(dest) and marker.is_file() and marker.read_text() == deb.name:
            return dest
        return _extract_deb(deb, dest)
    if _is_root(dest):
        return dest
    if _is_root(SYSTEM_ROOT):
        return SYSTEM_ROOT
    if not fetch:
        raise GcomprisUnavailable(f"{PACKAGE} is neither extracted in {dest} nor installed. " + _alternatives())
    return _extract_deb(_apt_download(folder), dest)


# ------------------------------------------------------------------------------------------ rcc reader
def read_rcc(path: str | os.PathLike) -> dict[str, bytes]:
    """Every file in a Qt binary resource file (``.rcc``, format v1-3) as ``{resource path: bytes}``.

    Layout (qtbase ``rcc.cpp``): header ``qres``, version, then offsets of the tree, data and names blocks
    (v3 adds a flags word). Tree nodes are 14 bytes (v1) or 22 (v2+, with a modification time): name offset,
    flags (1 zlib, 2 directory, 4 zstd), then child count + first child (directory) or locale + data offset.
    A data entry is a big-endian length then the bytes; zlib entries start with Qt's 4-byte length prefix.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:4] != b"qres":
        raise ValueError(f"{path}: not a Qt rcc file (no 'qres' magic)")
    try:
        version, tree, data, names = struct.unpack_from(">IIII", raw, 4)
        if version not in (1, 2, 3):
            raise ValueError(f"{path}: unsupported rcc format version {version}")
        node_size = 14 if version == 1 else 22

        def name_at(offset: int) -> str:
            (length,) = struct.unpack_from(">H", raw, names + offset)
            start = names + offset + 6  # skip the length and the 4-byte name hash
            return raw[start:start + 2 * length].decode("utf-16-be")

        files: dict[str, bytes] = {}
        stack = [(0, "")]
        while stack:
            index, prefix = stack.pop()
            node = tree + index * node_size
            name_offset, flags = struct.unpack_from(">IH", raw, node)
            name = name_at(name_offset) if index else ""
            if flags & 2:
                count, first = struct.unpack_from(">II", raw, node + 6)
                stack.extend((child, f"{prefix}{name}/") for child in range(first, first + count))
                continue
            (offset,) = struct.unpack_from(">I", raw, node + 10)
            (size,) = struct.unpack_from(">I", raw, data + offset)
            blob = raw[data + offset + 4:data + offset + 4 + size]
            if len(blob) != size:
                raise ValueError(f"{path}: truncated entry {prefix}{name}")
            if flags & 4:
                raise NotImplementedError(f"{path}: {prefix}{name} is zstd-compressed (not supported)")
            if flags & 1:
                blob = zlib.decompress(blob[4:])
            files[prefix + name] = blob
        return files
    except (struct.error, zlib.error, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: corrupt Qt rcc file ({err})") from err


def package_path(resource_path: str) -> str:
    """``/gcompris/src/activities/x/...`` (inside an rcc) -> ``src/activities/x/...`` (the source tree path
    that the DEP-5 copyright file uses)."""
    i = resource_path.find("src/activities/")
    return resource_path[i:] if i >= 0 else resource_path.lstrip("/")


# ---------------------------------------------------------------------------------------- DEP-5 licences
@dataclass(frozen=True)
class LicenceEntry:
    licence: str
    copyright: str
    pattern: str


class Dep5:
    """Machine-readable Debian copyright file: ``Files`` globs -> (Copyright, License).

    In DEP-5 the *last* stanza whose pattern matches a path wins. Image files were converted to WebP when the
    package was built, while the copyright file still names the source files (``.jpg``, ``.png``), so a
    lookup also tries the path with each source image suffix and keeps the last matching stanza overall.
    """

    SOURCE_SUFFIXES = (".jpg", ".jpeg", ".png", ".svg", ".webp", ".JPG")

    def __init__(self, text: str):
        self.stanzas: list[tuple[re.Pattern, LicenceEntry]] = []
        for block in re.split(r"\n\s*\n", text):
            fields = self._fields(block)
            if "files" not in fields or "license" not in fields:
                continue  # the header and stand-alone licence texts
            licence = fields["license"].splitlines()[0].strip()
            holders = "; ".join(line.strip() for line in fields.get("copyright", "").splitlines() if line.strip())
            for pattern in fields["files"].split():
                self.stanzas.append((self._glob(pattern), LicenceEntry(licence, holders, pattern)))

    @staticmethod
    def _fields(block: str) -> dict[str, str]:
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        return fields

    @staticmethod
    def _glob(pattern: str) -> re.Pattern:
        # DEP-5: `*` any characters including `/`, `?` one character, backslash escapes.
        out, i = [], 0
        while i < len(pattern):
            c = pattern[i]
            if c == "\\" and i + 1 < len(pattern):
                out.append(re.escape(pattern[i + 1]))
                i += 2
                continue
            out.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
            i += 1
        return re.compile("".join(out) + r"\Z", re.S)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "Dep5":
        return cls(Path(path).read_text(encoding="utf-8"))

    def lookup(self, path: str) -> LicenceEntry | None:
        stem, dot, _ = path.rpartition(".")
        candidates = {path} | ({stem + s for s in self.SOURCE_SUFFIXES} if dot else set())
        best = None
        for regex, entry in self.stanzas:  # later stanzas override earlier ones
            if any(regex.match(c) for c in candidates):
                best = entry
        return best


# ------------------------------------------------------------------------------------- images and boards
@dataclass
class GcomprisImage:
    """One extracted image: encoded bytes (WebP as shipped, PNG for re-assembled paintings) + metadata."""

    name: str
    kind: str  # "photos" or "paintings"
    source_path: str  # path in the GCompris source tree (for a painting: its board file)
    data: bytes
    width: int
    height: int
    title: str = ""
    licence: str = ""
    copyright: str = ""


def _board(text: str) -> tuple[str, list[dict]]:
    """Title and ``levels`` list of a GCompris board QML file (the list is JSON apart from a trailing comma)."""
    match = re.search(r'qsTr\("(.*?)"\)', text)
    title = match.group(1) if match else ""
    body = text[text.index("levels"):]
    body = body[body.index("["):body.rindex("]") + 1]
    return title, json.loads(re.sub(r",(\s*[\]}])", r"\1", body))


def assemble_board(files: dict[str, bytes], board_path: str) -> tuple[str, Image.Image, list[str]]:
    """Rebuild a jigsaw painting: paste each piece (RGBA) centred on its x,y board fractions, crop to the
    pieces' alpha bounding box. Returns (title, RGB image, piece resource paths)."""
    title, levels = _board(files[board_path].decode("utf-8"))
    background = next(lv for lv in levels if lv.get("type") == "SHAPE_BACKGROUND_IMAGE")
    width, height = int(background["width"]), int(background["height"])
    base = board_path.rsplit("/board/", 1)[0] + "/"
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    pieces = []
    for level in levels:
        if "x" not in level:
            continue
        piece_path = base + level["pixmapfile"]
        piece = Image.open(io.BytesIO(files[piece_path])).convert("RGBA")
        x = round(float(level["x"]) * width - piece.width / 2)
        y = round(float(level["y"]) * height - piece.height / 2)
        canvas.alpha_composite(piece, (x, y))
        pieces.append(piece_path)
    box = canvas.getchannel("A").point(lambda a: 255 if a else 0).getbbox()
    return title, canvas.crop(box).convert("RGB"), pieces


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def _kind_of(rel: str) -> str | None:
    """'photos', 'paintings' or None for a path relative to ``src/activities/``."""
    if not rel.lower().endswith(IMAGE_SUFFIXES):
        return None
    if rel.startswith(PHOTO_PREFIXES):
        return "photos"
    if DETAILS_BACKGROUND.match(rel):
        return "paintings" if DETAILS_PAINTING.search(rel) else "photos"
    return None


def iter_images(root: Path | None = None, progress: bool = False) -> Iterator[GcomprisImage]:
    """Yield the selected photographs and the re-assembled paintings, with their licences."""
    root = package_root() if root is None else Path(root)
    dep5 = Dep5.from_file(root / COPYRIGHT_SUBPATH)
    activities = ACTIVITIES
    if progress:
        from tqdm.auto import tqdm
        activities = tqdm(ACTIVITIES, desc="gcompris: reading rcc", unit="activity")
    for activity in activities:
        files = dict(sorted(read_rcc(root / RCC_SUBDIR / f"{activity}.rcc").items()))
        titles = {}  # details: background image -> board title ("Eilean Donan castle")
        for path, blob in files.items():
            if re.search(r"/board/board\d+(_0)?\.qml$", path):
                try:
                    title, levels = _board(blob.decode("utf-8"))
                except (ValueError, KeyError):
                    continue
                for level in levels:
                    titles.setdefault(level.get("pixmapfile", "").rsplit("/", 1)[-1], title)
        for path, blob in files.items():
            src = package_path(path)
            rel = src.removeprefix("src/activities/")
            kind = _kind_of(rel)
            if kind is None:
                continue
            with Image.open(io.BytesIO(blob)) as im:
                width, height = im.size
            if min(width, height) < MIN_SHORT_SIDE:
                continue
            entry = dep5.lookup(src)
            title = titles.get(rel.rsplit("/", 1)[-1], "") if activity == "details" else ""
            yield GcomprisImage(
                name=_slug(rel.replace("/resource/", "/").rsplit(".", 1)[0]), kind=kind, source_path=src,
                data=blob, width=width, height=height, title=title,
                licence=entry.licence if entry else "", copyright=entry.copyright if entry else "")
        if activity == "paintings":
            for board in (p for p in files if re.search(r"/board/board\d+_0\.qml$", p)):
                title, image, pieces = assemble_board(files, board)
                if DROPPED_BOARDS.search(title):
                    continue
                entry = dep5.lookup(package_path(pieces[0]))
                buf = io.BytesIO()
                image.save(buf, format="PNG")
                yield GcomprisImage(
                    name="paintings_" + _slug(title), kind="paintings", source_path=package_path(board),
                    data=buf.getvalue(), width=image.width, height=image.height, title=title,
                    licence=entry.licence if entry else "", copyright=entry.copyright if entry else "")


def extract(root: Path | None = None, progress: bool = False) -> list[GcomprisImage]:
    """All selected images (about 255 photographs and 29 paintings), sorted by kind and source path."""
    return sorted(iter_images(root, progress), key=lambda im: (im.kind, im.source_path))

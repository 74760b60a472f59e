"""The interactive style picker (ipywidgets): colour a photo in a painting's style, in a notebook or with Voila.

``StylePicker``: content (held-out photo thumbnails or an upload), style (painting gallery or an upload;
"natural colours" by default), a second style blended in with a slider (latent interpolation), RGB/LAB
switch when both models exist, gray | style | result side by side, a button that saves the full-resolution
result as PNG. Style latents and each content's network input are cached, so an update is one UNet pass at
the working size plus the recombination at display size (``benchmark_update`` measures it). Every callback
is a plain method (``pick_content``, ``upload_content``, ``pick_style``, ``upload_style``, ``set_blend``,
``set_alpha``, ``set_model``, ``save``) that the widgets call and tests can call directly; nothing in it
waits for a browser, so headless runs (papermill, nbval) never hang. The colouring itself is
``colorlib.inference`` (shared with the command line).

Callbacks check their argument before changing any state (a bad index or key raises and leaves the picker as
it was). At most ``MAX_UPLOADS`` uploaded photos and as many uploaded styles are kept (the oldest is dropped,
with its cached latents), so memory stays bounded however long the app runs. Saved PNGs never replace a file:
a name that is taken gets ``-1``, ``-2`` ... (``colorlib.files.write_new``).
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import math
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from colorlib import color, data, files, paths
from colorlib.inference import (NATURAL, ColorModel, blend, check_shape, colorize_full, combine, lightness,
                                network_chroma, work_shape)

DISPLAY_SIZE = 256  # the picker shows images whose long side is this many pixels
THUMB_SIZE = 72  # gallery thumbnails
NO_BLEND = "none"  # the blend menu's "(none)" entry
UPDATE_GOAL_MS = 100.0
"""Latency goal of one picker update (slider move or new painting) for a 256 px photo."""
MAX_UPLOADS = 4  # uploaded photos kept (and, separately, uploaded styles); the oldest goes first


def natural_swatch(size: int) -> Image.Image:
    """What the picker shows for the "natural colours" style: a plain grey ramp."""
    return Image.fromarray(np.tile(np.linspace(90, 200, size).astype(np.uint8), (size, 1)), "L").convert("RGB")


def _decode_upload(value: Any) -> tuple[str, bytes]:
    """(name, bytes) of the first file of a ``FileUpload`` value (ipywidgets 8: a tuple of dicts; 7: a dict)."""
    if isinstance(value, dict):  # ipywidgets 7 layout {name: {"content": ...}}
        value = [{"name": k, **v} for k, v in value.items()]
    if not value:
        raise ValueError("no file uploaded")
    item = value[0]
    content = item["content"]
    return str(item.get("name", "upload")), bytes(content.tobytes() if hasattr(content, "tobytes") else content)


@dataclass
class _Content:
    name: str
    full: Image.Image  # the content at its own resolution (saved results use it)
    display: Image.Image  # long side DISPLAY_SIZE
    cache: dict = field(default_factory=dict)  # model name -> (small rgb tensor, display lightness)


class StylePicker:
    """The picker's state and widgets. ``photos`` / ``paintings``: lists of ``(name, PIL image)``."""

    def __init__(self, models: dict[str, ColorModel], photos: Sequence[tuple[str, Image.Image]],
                 paintings: Sequence[tuple[str, Image.Image]], out_dir: str | os.PathLike | None = None,
                 display_size: int = DISPLAY_SIZE, build_widgets: bool = True):
        if not models:
            raise ValueError("StylePicker needs at least one model")
        self.models = dict(models)
        self.model_name = next(iter(self.models))
        self.display_size = display_size
        self.out_dir = Path(out_dir) if out_dir is not None else Path(
            os.environ.get("COLORLIB_PICKER_OUT", paths.cache_dir() / "picker"))
        self.contents: list[_Content] = [self._content(n, im) for n, im in photos]
        self.n_photos = len(self.contents)  # contents after these are uploads
        # Styles: key -> (title, image or None for natural colours).
        self.styles: dict[str, tuple[str, Image.Image | None]] = {"natural": (NATURAL, None)}
        for i, (name, im) in enumerate(paintings):
            self.styles[f"painting:{i}"] = (name, data.open_rgb(im, min_side=1))
        self._latents: dict[tuple[str, str], torch.Tensor | None] = {}
        self._style_pngs: dict[tuple[str, str | None], bytes] = {}  # style panel per (style, blend): keys never change
        self.content_index = 0
        self.style_key = "natural"
        self.blend_key: str | None = None
        self.alpha = 0.0
        self.result: Image.Image | None = None
        self.result_png: bytes = b""
        self.status = ""
        self.last_update_ms = float("nan")
        self.saved_path: Path | None = None
        self.w = None
        if build_widgets:
            self._build()
        self.update()

    # -------------------------------------------------------------------------------- state helpers
    def _content(self, name: str, image: Image.Image) -> _Content:
        full = data.open_rgb(image, min_side=1)
        return _Content(name, full, data.fit_long_side(full, self.display_size))

    @property
    def model(self) -> ColorModel:
        return self.models[self.model_name]

    def latent(self, key: str | None, model_name: str | None = None) -> torch.Tensor | None:
        """Style latent of style ``key`` for a model, computed once and cached."""
        if key is None:
            return None
        name = model_name or self.model_name
        if (name, key) not in self._latents:
            cm = self.models[name]
            image = self.styles[key][1]
            if not cm.takes_style:  # the shipped automatic model (a UNet): one colouring, whatever the style
                self._latents[(name, key)] = cm.auto_latent()
            else:
                self._latents[(name, key)] = cm.natural if image is None else cm.style_latent(image)
        return self._latents[(name, key)]

    def _prepared(self, content: _Content) -> tuple[torch.Tensor, torch.Tensor]:
        cm = self.model
        if self.model_name not in content.cache:  # keyed like _gray_png reads it
            h, w = work_shape(content.display.size, cm.work_size)
            small = content.display.resize((w, h), Image.Resampling.LANCZOS) if (w, h) != content.display.size \
                else content.display
            rgb_d = data.to_tensor(content.display)[None]
            content.cache[self.model_name] = (data.to_tensor(small)[None], lightness(rgb_d, cm.space))
        return content.cache[self.model_name]

    def current_latent(self) -> torch.Tensor | None:
        a = self.latent(self.style_key)
        if self.blend_key is None or self.alpha <= 0:
            return a
        return blend(a, self.latent(self.blend_key), self.alpha)

    # ------------------------------------------------------------------------------------- the update
    @torch.no_grad()
    def render(self) -> Image.Image:
        """The result at display size for the current content, style(s) and model (no widget update)."""
        content = self.contents[self.content_index]
        small, light_d = self._prepared(content)
        cm = self.model
        chroma = network_chroma(cm, small, self.current_latent())
        chroma = F.interpolate(chroma, size=light_d.shape[-2:], mode="bilinear", align_corners=False)
        rgb = combine(light_d, chroma, cm.space)
        return Image.fromarray(color.to_uint8(rgb[0].permute(1, 2, 0).numpy()), "RGB")

    def update(self) -> Image.Image | None:
        """Recompute the result and show it; returns it (None when there is no content yet)."""
        if not self.contents:
            self._set_status("upload a photo or pick one above")
            return None
        t0 = time.perf_counter()
        self.result = self.render()
        self.result_png = data.png_bytes(self.result, fast=True)
        self.last_update_ms = (time.perf_counter() - t0) * 1000
        if self.w is not None:
            self.w["result"].value = self.result_png
            self.w["gray"].value = self._gray_png()
            self.w["style"].value = self._style_png()
        self._set_status(f"{self.contents[self.content_index].name} in the style of {self.style_title()} "
                         f"({self.model_name} model) - updated in {self.last_update_ms:.0f} ms")
        return self.result

    def style_title(self) -> str:
        a = self.styles[self.style_key][0]
        if self.blend_key is None or self.alpha <= 0:
            return a
        return f"{a} blended with {self.styles[self.blend_key][0]} ({self.alpha:.2f})"

    def _gray_png(self) -> bytes:
        content = self.contents[self.content_index]
        key = ("gray_png", self.model_name)
        if key not in content.cache:
            light = content.cache[self.model_name][1]
            scale = 1.0 if self.model.space == "rgb" else 100.0
            gray = color.to_uint8((light[0, 0] / scale).numpy())
            content.cache[key] = data.png_bytes(Image.fromarray(gray, "L"), fast=True)
        return content.cache[key]

    def _style_png(self) -> bytes:
        blend = self.blend_key if self.blend_key is not None and self.alpha > 0 else None
        if (self.style_key, blend) not in self._style_pngs:  # a slider move only changes alpha: reuse the panel
            size = self.display_size
            images = [self.styles[k][1] for k in (self.style_key, blend) if k is not None]
            tiles = []
            for im in images:
                if im is None:  # natural colours
                    im = natural_swatch(size)
                tiles.append(data.fit_long_side(im.convert("RGB"), size if len(images) == 1 else size // 2))
            canvas = Image.new("RGB", (sum(t.width for t in tiles) + 4 * (len(tiles) - 1),
                                       max(t.height for t in tiles)), (255, 255, 255))
            x = 0
            for t in tiles:
                canvas.paste(t, (x, 0))
                x += t.width + 4
            self._style_pngs[(self.style_key, blend)] = data.png_bytes(canvas, fast=True)
        return self._style_pngs[(self.style_key, blend)]

    def _set_status(self, text: str) -> None:
        self.status = text
        if self.w is not None:
            self.w["status"].value = f"<span class='colorlib-status'>{html.escape(text)}</span>"

    # -------------------------------------------------------------------------------------- callbacks
    def pick_content(self, index: int) -> None:
        """Show photo ``index`` (0-based, in ``contents``); an index out of range raises ``IndexError``."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < len(self.contents):
            raise IndexError(f"no photo {index!r}: pick 0 to {len(self.contents) - 1}")
        self.content_index = int(index)
        self._highlight("content", self.content_index)
        self.update()

    def upload_content(self, value: Any) -> bool:
        """A ``FileUpload`` value (or ``(name, bytes)``) as the content; False (and a status message) if bad."""
        try:
            name, raw = value if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes) \
                else _decode_upload(value)
            image = data.open_rgb(raw, min_side=1)
            check_shape(image.size)
            content = self._content(name, image)
        except (data.BadImage, ValueError, KeyError, TypeError) as err:
            self._set_status(f"could not read the uploaded photo: {err}")
            return False
        if len(self.contents) - self.n_photos >= MAX_UPLOADS:
            del self.contents[self.n_photos]  # the oldest upload (never the current one: that is the new one)
        self.contents.append(content)
        self.content_index = len(self.contents) - 1
        self._highlight("content", None)
        self.update()
        return True

    def pick_style(self, key: str | int) -> None:
        """Style A: a painting index, ``"natural"``, or a style key (``"painting:3"``, ``"upload:..."``)."""
        full = f"painting:{key}" if isinstance(key, int) and not isinstance(key, bool) else key
        if not isinstance(full, str) or full not in self.styles:
            raise KeyError(f"unknown style {key!r}")
        self.style_key = full
        self._highlight("style", self.style_key)
        self.update()

    def upload_style(self, value: Any) -> bool:
        try:
            name, raw = value if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes) \
                else _decode_upload(value)
            image = data.open_rgb(raw, min_side=1)
            check_shape(image.size)
        except (data.BadImage, ValueError, KeyError, TypeError) as err:
            self._set_status(f"could not read the uploaded style image: {err}")
            return False
        key = "upload:" + hashlib.sha1(raw).hexdigest()[:12]
        uploads = [k for k in self.styles if k.startswith("upload:") and k != key]
        if key not in self.styles and len(uploads) >= MAX_UPLOADS:
            self._forget_style(uploads[0])
        self.styles[key] = (f"upload {name}", image)
        self._refresh_blend_options()
        self.pick_style(key)
        return True

    def _forget_style(self, key: str) -> None:
        """Drop an uploaded style with its cached latents and panels (the blend is cleared if it was that one)."""
        del self.styles[key]
        for cached in [k for k in self._latents if k[1] == key]:
            del self._latents[cached]
        for cached in [k for k in self._style_pngs if key in k]:
            del self._style_pngs[cached]
        if self.blend_key == key:
            self.blend_key = None

    def set_blend(self, key: str | int | None) -> None:
        """The second style (None: no blend)."""
        key = f"painting:{key}" if isinstance(key, int) else None if key == NO_BLEND else key
        if key is not None and key not in self.styles:
            raise KeyError(f"unknown style {key!r}")
        self.blend_key = key
        if self.w is not None and self.w["blend"].value != (key or NO_BLEND):
            self.w["blend"].value = key or NO_BLEND
        self.update()

    def set_alpha(self, alpha: float) -> None:
        alpha = float(alpha)
        if not math.isfinite(alpha):
            raise ValueError(f"blend amount must be a number in [0, 1], got {alpha!r}")
        self.alpha = min(1.0, max(0.0, alpha))
        if self.w is not None and abs(self.w["alpha"].value - self.alpha) > 1e-9:
            self.w["alpha"].value = self.alpha
        self.update()

    def set_model(self, name: str) -> None:
        if name not in self.models:
            raise KeyError(f"no model {name!r}; have {list(self.models)}")
        self.model_name = name
        if self.w is not None and self.w["model"].value != name:
            self.w["model"].value = name
        self.update()

    def save(self, folder: str | os.PathLike | None = None) -> Path:
        """Save the current result at the content's full resolution (PNG) and return its path."""
        content = self.contents[self.content_index]
        result = colorize_full(self.model, content.full, self.current_latent())
        folder = Path(folder) if folder is not None else self.out_dir
        folder.mkdir(parents=True, exist_ok=True)
        style = self.style_title()
        slug = "".join(c if c.isalnum() else "_" for c in f"{Path(content.name).stem}-{style}")[:80].strip("_")
        path = files.write_new(folder / f"{slug}-{self.model_name}.png", lambda tmp: result.save(tmp, format="PNG"))
        self.saved_path = path
        if self.w is not None:
            link = base64.b64encode(path.read_bytes()).decode()
            self.w["saved"].value = (f"saved {html.escape(str(path))} ({result.width}x{result.height}) "
                                     f"<a download='{html.escape(path.name)}' href='data:image/png;base64,{link}'>"
                                     f"download</a>")
        return path

    # ---------------------------------------------------------------------------------------- widgets
    def _build(self) -> None:
        import ipywidgets as W

        w: dict[str, Any] = {}
        side = f"{self.display_size}px"
        w["gray"], w["style"], w["result"] = (W.Image(format="png", layout=W.Layout(
            width=side, height=side, object_fit="contain")) for _ in range(3))
        w["result"].add_class("colorlib-result")
        panels = W.HBox([W.VBox([W.HTML(f"<b>{t}</b>"), w[k]]) for t, k in
                         (("gray input", "gray"), ("style", "style"), ("result", "result"))])
        content_boxes, style_boxes = self._build_galleries(W, w)
        self._build_controls(W, w)
        wrap = W.Layout(flex_flow="row wrap")
        w["app"] = W.VBox([
            W.HTML("<h3>Photo</h3>"), W.HBox(content_boxes + [w["content_upload"]], layout=wrap),
            W.HTML("<h3>Style</h3>"), W.HBox(style_boxes + [w["style_upload"]], layout=wrap),
            W.HBox([w["blend"], w["alpha"]]), w["model"], panels, W.HBox([w["save"], w["saved"]]), w["status"],
        ])
        w["app"].add_class("colorlib-picker")
        self.w = w
        self._highlight("content", 0)
        self._highlight("style", self.style_key)

    def _build_galleries(self, W, w: dict) -> tuple[list, list]:
        """Thumbnail buttons of the photos and of the styles, and the two upload buttons."""
        def thumb_button(title, image, cls, on_click):
            thumb = data.fit_long_side(image if image is not None else natural_swatch(THUMB_SIZE), THUMB_SIZE)
            im = W.Image(value=data.png_bytes(thumb, fast=True), format="png",
                         layout=W.Layout(width=f"{THUMB_SIZE}px", height=f"{THUMB_SIZE}px", object_fit="contain"))
            b = W.Button(description=title[:14], tooltip=title, layout=W.Layout(width=f"{THUMB_SIZE + 8}px"))
            b.add_class(cls)
            b.on_click(on_click)
            return W.VBox([im, b], layout=W.Layout(align_items="center")), b

        content_boxes, w["content_buttons"] = [], []
        for i, c in enumerate(self.contents):
            box, b = thumb_button(c.name, c.display, "colorlib-photo", lambda _b, i=i: self._safe(self.pick_content, i))
            content_boxes.append(box)
            w["content_buttons"].append(b)
        style_boxes, w["style_buttons"] = [], {}
        for key, (title, image) in self.styles.items():
            box, b = thumb_button(title, image, "colorlib-painting" if key.startswith("painting:") else
                                  "colorlib-natural", lambda _b, k=key: self._safe(self.pick_style, k))
            style_boxes.append(box)
            w["style_buttons"][key] = b
        for kind, callback in (("photo", self.upload_content), ("style", self.upload_style)):
            up = w[f"{'content' if kind == 'photo' else 'style'}_upload"] = W.FileUpload(
                accept="image/*", multiple=False, description=f"upload {kind}")
            up.add_class(f"colorlib-upload-{kind}")
            up.observe(lambda ch, f=callback: self._safe(f, ch["new"]), names="value")
        return content_boxes, style_boxes

    def _build_controls(self, W, w: dict) -> None:
        """Blend menu and amount slider, model switch, save button, status line."""
        w["blend"] = W.Dropdown(options=self._blend_options(), value=NO_BLEND, description="blend with")
        w["blend"].observe(lambda ch: self._safe(self.set_blend, ch["new"]), names="value")
        w["alpha"] = W.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="amount",
                                   continuous_update=True, readout_format=".2f")
        w["alpha"].observe(lambda ch: self._safe(self.set_alpha, ch["new"]), names="value")
        w["model"] = W.ToggleButtons(options=list(self.models), value=self.model_name, description="model",
                                     disabled=len(self.models) < 2,
                                     tooltips=[f"{n}: {m.origin}" for n, m in self.models.items()])
        w["model"].observe(lambda ch: self._safe(self.set_model, ch["new"]), names="value")
        w["save"] = W.Button(description="save PNG", icon="download", button_style="success")
        w["save"].add_class("colorlib-save")
        w["save"].on_click(lambda _b: self._safe(self.save))
        w["saved"] = W.HTML("")
        w["saved"].add_class("colorlib-saved")
        w["status"] = W.HTML("")

    def _blend_options(self) -> list[tuple[str, str | None]]:
        return [("(none)", NO_BLEND)] + [(title[:40], key) for key, (title, _) in self.styles.items()]

    def _refresh_blend_options(self) -> None:
        if self.w is not None:
            current = self.blend_key or NO_BLEND
            self.w["blend"].options = self._blend_options()
            self.w["blend"].value = current

    def _highlight(self, kind: str, which) -> None:
        if self.w is None:
            return
        if kind == "content":
            for i, b in enumerate(self.w["content_buttons"]):
                b.button_style = "info" if i == which else ""
        else:
            for key, b in self.w["style_buttons"].items():
                b.button_style = "info" if key == which else ""

    def _safe(self, fn, *args) -> None:
        """Run a callback from a widget: errors become a status line instead of a silent log entry."""
        try:
            fn(*args)
        except Exception as err:  # noqa: BLE001 - a UI must not die on one bad click
            self._set_status(f"error: {type(err).__name__}: {err}")

    def widget(self):
        """The ipywidgets box to display."""
        if self.w is None:
            self._build()
            self.update()
        return self.w["app"]

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget())


# ======================================================================================== building it
def default_images(profile: str = "report", n_photos: int = 8, n_paintings: int | None = None,
                   size: int = DISPLAY_SIZE) -> tuple[list, list]:
    """Held-out (test split) photos and the paintings of ``profile``'s sources, as ``(name, PIL)`` lists,
    resized so the short side is ``size`` (cached on disk by ``colorlib.data``). ``n_paintings`` defaults to the
    profile's ``style_limit`` (None: all; a streamed hub source needs a number)."""
    from colorlib import profiles

    P = profiles.resolve(profile, "03")
    n_paintings = n_paintings if n_paintings is not None else P.style_limit
    photos = data.load_images(P.source, "photos", "test", size, limit=n_photos, progress=False)
    paints = data.load_images(P.style_source, "paintings", None, size, limit=n_paintings, progress=False)
    return ([(short_name(r.name), r.image) for r in photos],
            [(getattr(r, "title", "") or r.name, r.image) for r in paints])


def short_name(name: str) -> str:
    """A label for a thumbnail: the embedded set's names are paths joined by "_" (``..._fishes_fish10``): keep
    the last part."""
    return name.rsplit("_", 1)[-1] if name.count("_") >= 2 else name


# ========================================================================================= benchmark
def benchmark_update(picker: StylePicker | None = None, size: int = 256, reps: int = 20,
                     models: dict[str, ColorModel] | None = None, work_size: int | None = None) -> dict:
    """Latency (ms) of one picker update for a ``size`` x ``size`` content with cached style latents.

    What is timed is ``StylePicker.update`` after a warm-up: latent blend, UNet at the working size, chroma
    up-sampling, recombination at ``size`` px and the PNG encoding for the image widget. ``work_size``
    overrides the models' working size (e.g. 256 to run the network at full display size). Returns median,
    p90, min and max per model name, with the thread count. CPU timings vary with other load.
    """
    if picker is None:
        if models is None:
            raise ValueError("give a picker or models")
        gen = np.random.default_rng(0)
        photo = Image.fromarray(gen.integers(0, 256, (size, size, 3), dtype=np.uint8))
        paints = [(f"random {i}", Image.fromarray(gen.integers(0, 256, (64, 64, 3), dtype=np.uint8)))
                  for i in range(2)]
        if work_size is not None:
            models = {k: dataclasses.replace(m, work_size=work_size) for k, m in models.items()}
        picker = StylePicker(models, [("random", photo)], paints, display_size=size, build_widgets=False)
    out = {"size": size, "reps": reps, "threads": torch.get_num_threads(), "models": {}}
    for name in picker.models:
        picker.set_model(name)
        picker.set_blend("painting:1")
        picker.pick_style(0)
        times = []
        for i in range(reps + 2):
            picker.alpha = (i % 10) / 10  # a slider move: the latents stay cached
            t0 = time.perf_counter()
            picker.update()
            times.append((time.perf_counter() - t0) * 1000)
        times = times[2:]
        out["models"][name] = {"median_ms": statistics.median(times), "p90_ms": float(np.percentile(times, 90)),
                               "min_ms": min(times), "max_ms": max(times),
                               "work_size": picker.models[name].work_size}
    return out


def demo_figure(models: dict[str, ColorModel], photos: Sequence[tuple[str, Image.Image]],
                paintings: Sequence[tuple[str, Image.Image]]):
    """What the picker makes for the first photo, per model: natural colours, the most colourful painting, a
    middle one and the least colourful one, and an even blend of the first two (the calls the buttons and the
    slider make). Returns the figure."""
    from colorlib import metrics, plots

    thumbs = torch.stack([data.to_tensor(im.resize((64, 64))) for _, im in paintings])
    order = np.argsort(-metrics.colourfulness(thumbs))
    chosen = [int(order[0]), int(order[len(order) // 2]), int(order[-1])]
    demo = StylePicker(models, photos[:1], paintings, build_widgets=False)
    rows = [[None, None] + [paintings[i][1] for i in chosen] + [None]]
    for name in demo.models:
        demo.set_model(name)
        demo.pick_style("natural")
        row = [demo.contents[0].display.convert("L"), demo.result]
        for i in chosen:
            demo.pick_style(i)
            row.append(demo.result)
        demo.pick_style(chosen[0])
        demo.set_blend(chosen[1])
        demo.set_alpha(0.5)
        rows.append(row + [demo.result])
        demo.set_blend(None)
    return plots.image_grid(rows, col_titles=["gray", "natural colours"] + [paintings[i][0][:20] for i in chosen]
                            + ["blend of 1 and 2"], row_titles=["painting"] + [f"{n} model" for n in demo.models],
                            cell=1.7, title="Style picker: a held-out photo")

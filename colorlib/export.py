"""``colorlib export --onnx``: the colouriser and the style encoder of a trained model as ONNX graphs.

Two files in the output folder: ``colorizer.onnx`` (inputs ``lightness`` ``(1, 1, H, W)`` in network space, as
``colorlib.color.to_network`` makes it, and ``latent`` ``(1, D)``; output ``output`` in network space, see
``colorlib.models.Colorizer``) and ``style_encoder.onnx`` (input ``style`` ``(1, C, S, S)`` as
``colorlib.color.style_input`` makes it; output ``latent``), plus ``colorlib.json`` with the model's colour space,
sizes and the natural latent. A model without a style path (the shipped automatic model, a UNet without AdaIN)
gives ``colorizer.onnx`` alone, with the one input ``lightness``; an automatic head (``ModelConfig.auto_head``) is
not exported. Each graph is for one input size (``--height``/``--width``, default the working size;
``--style-size``, default the style size): the TorchScript exporter's graphs with dynamic axes, or with the
model's own padding to a multiple of 16, gave wrong shapes or values in onnxruntime (checked), so the colouriser
graph takes the *padded* size (``padded_shape``) and ``run_colorizer`` pads (replicate, as the model does) and
crops around it. ``check()`` runs both graphs in onnxruntime against PyTorch.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from colorlib import files

# Max difference allowed between onnxruntime and PyTorch, relative to the output's scale where that is above 1
# (float32 reordering: ~1e-6 seen; the shipped LAB model's style latents reach 1e5, where 0.06 apart is 5e-7).
TOLERANCE = 1e-4


def padded_shape(height: int, width: int) -> tuple[int, int]:
    """The size ``Colorizer.forward`` pads an input to: a multiple of 16, at least 32."""
    from colorlib.models import DOWNSAMPLE, MIN_SIDE

    return tuple(max(MIN_SIDE, -(-n // DOWNSAMPLE) * DOWNSAMPLE) for n in (height, width))


def run_colorizer(session, lightness: np.ndarray, latent: np.ndarray | None = None) -> np.ndarray:
    """The exported colouriser on ``lightness`` ``(1, 1, h, w)`` of any size up to the graph's: padded
    (replicate) to the graph's input size, output cropped back. ``latent``: for a graph with a style input."""
    _, _, gh, gw = session.get_inputs()[0].shape
    h, w = lightness.shape[-2:]
    padded = np.pad(lightness, ((0, 0), (0, 0), (0, gh - h), (0, gw - w)), mode="edge").astype(np.float32)
    feeds = {"lightness": padded} if latent is None else {"lightness": padded, "latent": latent.astype(np.float32)}
    return session.run(None, feeds)[0][..., :h, :w]


class _StyleEncoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, style):
        return self.model.encode_style(style)


def _export(module, inputs: tuple, path: Path, input_names: list[str], output: str) -> None:
    with warnings.catch_warnings(), files.atomic_path(path) as tmp:
        warnings.simplefilter("ignore")  # the tracer's notes about shape arithmetic baked in as constants
        torch.onnx.export(module, inputs, str(tmp), input_names=input_names, output_names=[output],
                          opset_version=17, dynamo=False)


def example_inputs(cm, height: int, width: int, style_size: int) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    d = cm.model.cfg.latent_dim
    return {"lightness": torch.rand(1, 1, height, width, generator=gen),
            "latent": torch.rand(1, d, generator=gen) * 4,
            "style": torch.rand(1, cm.model.cfg.style_channels, style_size, style_size, generator=gen)}


@torch.no_grad()
def export_onnx(cm, out_dir: str | Path, height: int | None = None, width: int | None = None,
                style_size: int | None = None) -> dict[str, Path]:
    """Write ``colorizer.onnx``, ``style_encoder.onnx`` (for a model with a style path) and ``colorlib.json`` into
    ``out_dir``; returns their paths by name."""
    out_dir = Path(out_dir)
    height, width = height or cm.work_size, width or cm.work_size
    style_size = style_size or cm.style_size
    model = cm.model.cpu().eval()
    x = example_inputs(cm, height, width, style_size)
    styled = model.cfg.adain
    paths = {"colorizer": out_dir / "colorizer.onnx", "meta": out_dir / "colorlib.json"}
    out_dir.mkdir(parents=True, exist_ok=True)
    ph, pw = padded_shape(height, width)
    padded = torch.nn.functional.pad(x["lightness"], (0, pw - width, 0, ph - height), mode="replicate")
    if styled:
        _export(model, (padded, x["latent"]), paths["colorizer"], ["lightness", "latent"], "output")
        # eval() on the wrapper too: export restores the wrapper's mode afterwards, which would leave it training
        paths["style_encoder"] = out_dir / "style_encoder.onnx"
        _export(_StyleEncoder(model).eval(), (x["style"],), paths["style_encoder"], ["style"], "latent")
    else:
        _export(model, (padded,), paths["colorizer"], ["lightness"], "output")
    natural = None if cm.natural is None else cm.natural.reshape(-1).tolist()
    files.write_json(paths["meta"], {"space": cm.space, "height": height, "width": width, "takes_style": styled,
                                     "style_size": style_size if styled else None,
                                     "latent_dim": model.cfg.latent_dim if styled else None,
                                     "natural_latent": natural, "origin": cm.origin}, indent=2)
    return paths


@torch.no_grad()
def check(cm, paths: dict[str, Path], height: int, width: int, style_size: int) -> dict[str, float]:
    """Max abs difference between onnxruntime and PyTorch for each graph written (``paths``) on the same (seeded)
    inputs, divided by the PyTorch output's max abs value where that is above 1 (compared with ``TOLERANCE``)."""
    import onnxruntime as ort

    x = example_inputs(cm, height, width, style_size)
    latent = x["latent"] if "style_encoder" in paths else None
    cm.model.eval()
    session = lambda name: ort.InferenceSession(str(paths[name]), providers=["CPUExecutionProvider"])
    apart = lambda got, ref: float(np.abs(got - ref).max() / max(1.0, float(np.abs(ref).max())))
    got = run_colorizer(session("colorizer"), x["lightness"].numpy(), None if latent is None else latent.numpy())
    found = {"colorizer": apart(got, cm.model(x["lightness"], latent).numpy())}
    if latent is not None:
        got_z = session("style_encoder").run(None, {"style": x["style"].numpy()})[0]
        found["style_encoder"] = apart(got_z, cm.model.encode_style(x["style"]).numpy())
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="colorlib export", description=__doc__.splitlines()[0])
    parser.add_argument("--onnx", action="store_true", help="write ONNX graphs (the only format so far)")
    parser.add_argument("--format", choices=("onnx",), default="onnx", help="export format (onnx)")
    parser.add_argument("--model", choices=("rgb", "lab", "auto"), default="rgb",
                        help="which shipped model (default rgb; models/colorlib-<model>, no training needed; auto: "
                             "the automatic model, whose colouriser takes no style)")
    where = parser.add_mutually_exclusive_group()  # one source of weights: never one silently over another
    where.add_argument("--pretrained", metavar="PATH_OR_ID", help="a model folder in the shipped layout, or a "
                                                                    "Hugging Face hub id, instead of models/")
    where.add_argument("--checkpoint", metavar="PATH", help="a run folder or checkpoint instead of a shipped model")
    where.add_argument("--profile", help="the final model of this profile's run cache (e.g. report) instead")
    parser.add_argument("--height", type=int, help="colouriser input height (default: the working size)")
    parser.add_argument("--width", type=int, help="colouriser input width (default: the working size)")
    parser.add_argument("--style-size", type=int, help="style encoder input side (default: the style size)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created)")
    args = parser.parse_args(argv)
    from colorlib import inference

    try:
        if args.checkpoint:
            cm = inference.load_checkpoint(args.checkpoint)
        elif args.profile:
            cm = next(iter(inference.load_models(args.profile, only=["final"]).values()))
        else:  # what `colorlib colorize --style` uses: exportable on a fresh clone, no data and no training
            cm = inference.load_shipped(args.model, args.pretrained)
        paths = export_onnx(cm, args.out, args.height, args.width, args.style_size)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    height, width = args.height or cm.work_size, args.width or cm.work_size
    try:
        diff = check(cm, paths, height, width, args.style_size or cm.style_size)
    except ImportError:
        diff = None
    encoder = f" and {paths['style_encoder']}" if "style_encoder" in paths else " (no style input)"
    print(f"wrote {paths['colorizer']} ({height}x{width}){encoder}" + (
        " (onnxruntime not installed: not checked; pip install 'colorlib[export]')" if diff is None else
        "; onnxruntime vs PyTorch, max |diff| (relative above 1): "
        + ", ".join(f"{k} {v:.2g}" for k, v in diff.items())))
    if diff and (off := [k for k, v in diff.items() if not v <= TOLERANCE]):
        print(f"error: the ONNX {' and '.join(off)} graph(s) differ from PyTorch by more than {TOLERANCE:g}: do not "
              f"use them (report it, with the command line)", file=sys.stderr)
        return 1
    return 0

"""The study's named experiments and the evaluation steps the notebooks share.

``config(name, P)`` turns a profile's parameters ``P`` (``colorlib.profiles.resolve``) into the
``TrainConfig`` of a named experiment; ``run(name, P)`` trains it through the run cache (a re-run loads it).
The evaluation helpers take RGB batches (B,3,H,W) in [0, 1]:

- ``evaluate``: ground-truth metrics of a model's colourisation of held-out photos (style = the photo itself,
  "oracle", for AdaIN models);
- ``style_transfer``: every photo coloured in every painting's style, with how far each output's colour
  distribution moved towards the painting's (transfer strength), how much the output changes between
  paintings (style effect) and how well the structure is kept (SSIM on lightness against the input);
- ``latents``: the style encoder's latent vectors (the real latents, not image pixels).
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import torch

from colorlib import data, metrics, models, train

# Each experiment: TrainConfig fields on top of the profile's common ones. "model" entries update the
# final model's config. The colour loss of the final method is MSE + LPIPS (weight from the profile).
FINAL_LOSS = "mse+lpips"
EXPERIMENTS: dict[str, dict] = {
    # 02: the UNet alone: the final model without AdaIN / style encoder, same loss and dropout
    "unet": {"mode": "baseline"},
    # 03: the final method
    "final": {"mode": "implicit"},
    # 04: failed attempts
    "combined": {"mode": "combined", "style_loss_grad": False},
    "combined_grad": {"mode": "combined", "style_loss_grad": True},
    "dual": {"mode": "dual"},
    # 05: collapse and latent-size ablation
    "collapsed": {"mode": "implicit", "model": {"widths": "full", "latent_dim": 128, "dropout": 0.0}},
    "latent16": {"mode": "implicit", "model": {"latent_dim": 16}},
    "latent64": {"mode": "implicit", "model": {"latent_dim": 64}},
    "latent128": {"mode": "implicit", "model": {"latent_dim": 128}},
    # 06: LAB appendix and loss comparison of the AdaIN model
    "lab": {"mode": "implicit", "model": {"space": "lab"}},
    "lpips_only": {"mode": "implicit", "loss": "lpips"},
    "mse_only": {"mode": "implicit", "loss": "mse"},
}
ALIASES = {"latent32": "final"}


def _loss_spec(name: str, P) -> dict:
    terms = {"mse+lpips": {"mse": 1.0, "lpips": P.lpips_weight}, "mse": {"mse": 1.0}, "lpips": {"lpips": 1.0},
             "l1": {"l1": 1.0}, "huber": {"huber": 1.0, "huber_delta": 0.1}}
    if name not in terms:
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(terms)}")
    spec = dict(terms[name])
    if "lpips" in spec:
        spec["lpips_net"] = P.lpips_net
    return spec


def config(name: str, P, **changes) -> train.TrainConfig:
    """TrainConfig of experiment ``name`` under profile parameters ``P``; ``changes`` override fields
    (``model=dict(...)`` updates the model config, ``loss="l1"`` names a loss)."""
    name = ALIASES.get(name, name)
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(sorted(EXPERIMENTS))}")
    spec = {**EXPERIMENTS[name], **changes}
    model_changes = {**EXPERIMENTS[name].get("model", {}), **changes.get("model", {})}
    model_cfg = models.ModelConfig.preset("final", **model_changes)
    loss = spec.pop("loss", FINAL_LOSS)
    spec.pop("model", None)
    fields = dict(model=model_cfg, source=P.source, style_source=P.style_source, size=P.size, limit=P.limit,
                  epochs=P.epochs, batch_size=P.batch_size, lr=P.lr, seed=P.seed, device=P.device,
                  compile=P.compile, channels_last=P.channels_last, tag=name,
                  loss=_loss_spec(loss, P) if isinstance(loss, str) else loss)
    fields.update(spec)
    return train.TrainConfig(**fields)


def run(name: str, P, progress: bool = True, **changes) -> train.Run:
    """Train experiment ``name`` (or load it from the run cache; ``P.retrain`` forces training)."""
    return train.train(config(name, P, **changes), retrain=bool(P.retrain), progress=progress)


# ---------------------------------------------------------------------------------------------- data
def photos(P, split: str = "test", limit: int | None = None) -> tuple[torch.Tensor, list[str]]:
    """Held-out (or other split) photos as an RGB batch at the profile's evaluation size, with names."""
    limit = limit if limit is not None else (P.n_eval if split == "test" else P.limit)
    records = data.load_images(P.source, "photos", split, P.eval_size, limit=limit, progress=False)
    return _batch(records, P.eval_size), [r.name for r in records]


def paintings(P, limit: int | None = None) -> tuple[torch.Tensor, list[str]]:
    """The paintings as an RGB batch (centre crops at the evaluation size), with their titles or names."""
    records = data.load_images(P.style_source, "paintings", None, P.eval_size, limit=limit, progress=False)
    names = [getattr(r, "title", None) or r.name for r in records]
    return _batch(records, P.eval_size), names


def _batch(records, size: int) -> torch.Tensor:
    ds = data.ColorDataset(records, crop=size, train=False)
    if len(ds) == 0:
        raise ValueError("no images to evaluate")
    return torch.stack([ds[i]["rgb"] for i in range(len(ds))])


def pick_styles(paintings_rgb: torch.Tensor, names: list[str], n: int, seed: int = 0):
    """A reproducible choice of ``n`` paintings spread over the set (the most and least colourful first)."""
    order = np.argsort(-metrics.colourfulness(paintings_rgb))
    chosen = [order[0], order[-1]] + [i for i in np.random.default_rng(seed).permutation(order)
                                      if i not in (order[0], order[-1])]
    chosen = chosen[:n]
    return paintings_rgb[chosen], [names[i] for i in chosen]


# ---------------------------------------------------------------------------------------------- models
@torch.no_grad()
def predict(run_or_model, rgb: torch.Tensor, style="truth", batch: int = 32) -> torch.Tensor:
    """Colourise ``rgb``'s lightness. ``style``: "truth" (each photo's own colours: the oracle), "none",
    an RGB style batch (1 or B images), or a latent (D,) / (B, D)."""
    model = run_or_model.model if isinstance(run_or_model, train.Run) else run_or_model
    outs = []
    for i in range(0, len(rgb), batch):
        chunk = rgb[i:i + batch]
        kwargs = {}
        if model.cfg.adain:
            if isinstance(style, str) and style == "truth":
                kwargs["style_rgb"] = chunk
            elif isinstance(style, str) and style == "none":
                pass
            elif style.dim() == 4:
                kwargs["style_rgb"] = style if style.shape[0] == 1 else style[i:i + batch]
            else:
                lat = style if style.dim() == 1 else style[i:i + batch] if style.shape[0] > 1 else style[0]
                kwargs["latent"] = lat
        outs.append(model.colorize(chunk, **kwargs).cpu())
    return torch.cat(outs)


@torch.no_grad()
def latents(run_or_model, rgb: torch.Tensor) -> np.ndarray:
    """Style-encoder latents (N, D) of RGB images: what the AdaIN layers actually receive."""
    from colorlib import color

    model = run_or_model.model if isinstance(run_or_model, train.Run) else run_or_model
    if not model.cfg.adain:
        raise ValueError("this model has no style encoder (adain=False)")
    device = next(model.parameters()).device
    model.eval()
    return model.encode_style(color.style_input(rgb.to(device), model.cfg.space)).cpu().numpy()


def evaluate(run_or_model, rgb: torch.Tensor, P, style="truth") -> dict:
    """Ground-truth metrics (PSNR, SSIM, CIEDE2000, colourfulness, LPIPS with its trunk) on ``rgb``."""
    pred = predict(run_or_model, rgb, style=style)
    return metrics.evaluate_images(pred, rgb, lpips_net=P.lpips_net)


def gray_metrics(rgb: torch.Tensor, P) -> dict:
    """The same metrics for the gray baseline (lightness only)."""
    return metrics.evaluate_images(metrics.gray_baseline(rgb), rgb, lpips_net=P.lpips_net)


@dataclass
class StyleTransfer:
    """``outputs[i, j]``: photo i in painting j's style; ``oracle[i]``: photo i with its own colours as style."""

    outputs: torch.Tensor  # (N, S, 3, H, W)
    oracle: torch.Tensor  # (N, 3, H, W)
    per_painting: list[dict]
    summary: dict

    def grid_rows(self, photos_rgb: torch.Tensor, styles_rgb: torch.Tensor):
        """Rows for ``plots.image_grid``: header row of paintings, then per photo gray | oracle | styles."""
        header = [None, None] + list(styles_rgb)
        rows = [header]
        for i in range(len(photos_rgb)):
            rows.append([metrics.gray_baseline(photos_rgb[i:i + 1])[0], self.oracle[i]] + list(self.outputs[i]))
        return rows


def style_transfer(run_or_model, photos_rgb: torch.Tensor, styles_rgb: torch.Tensor, names=None) -> StyleTransfer:
    """Colour every photo in every painting's style and measure the transfer.

    Per painting: ``distance_styled`` / ``distance_oracle``: sliced-Wasserstein distance on ab between the
    output's and the painting's colour distribution, for the painting-styled output and for the oracle output;
    ``transfer`` = 1 - styled / oracle (0: the painting had no pull; > 0: colours moved towards the painting);
    ``ssim_l``: SSIM of the styled output's lightness against the input's (structure kept).
    Summary: their means, and ``style_effect``: mean per-pixel std of the outputs across paintings (RGB, 0-1).
    """
    n, s = len(photos_rgb), len(styles_rgb)
    oracle = predict(run_or_model, photos_rgb, style="truth")
    outputs = torch.stack([predict(run_or_model, photos_rgb, style=styles_rgb[j:j + 1]) for j in range(s)], dim=1)
    per = []
    for j in range(s):
        ref = styles_rgb[j:j + 1]
        d_styled = metrics.colour_distribution_distance(outputs[:, j], ref)["sliced_wasserstein_ab"]
        d_oracle = metrics.colour_distribution_distance(oracle, ref)["sliced_wasserstein_ab"]
        per.append({
            "painting": names[j] if names else j,
            "distance_styled": float(np.mean(d_styled)),
            "distance_oracle": float(np.mean(d_oracle)),
            "transfer": float(1.0 - np.mean(d_styled) / max(np.mean(d_oracle), 1e-9)),
            "ssim_l": float(np.mean(metrics.ssim_l(outputs[:, j], photos_rgb))),
            "colourfulness": float(np.mean(metrics.colourfulness(outputs[:, j]))),
        })
    effect = float(outputs.std(dim=1).mean()) if s > 1 else 0.0
    summary = {
        "transfer": float(np.mean([p["transfer"] for p in per])),
        "distance_styled": float(np.mean([p["distance_styled"] for p in per])),
        "distance_oracle": float(np.mean([p["distance_oracle"] for p in per])),
        "ssim_l": float(np.mean([p["ssim_l"] for p in per])),
        "style_effect": effect,
        "n_photos": n,
        "n_paintings": s,
    }
    return StyleTransfer(outputs, oracle, per, summary)


def history_table(run: train.Run) -> list[dict]:
    """The run's per-epoch history rows (for plots and JSON)."""
    return [dict(row) for row in run.history]


def describe(run: train.Run) -> dict:
    """Identifying facts of a run for the results JSON: key, parameters, epochs, cached, LPIPS trunk."""
    cfg = run.config
    return {"key": run.key, "tag": cfg.tag, "mode": cfg.mode, "model": dataclasses.asdict(cfg.model),
            "parameters": models.count_parameters(run.model), "epochs": cfg.epochs, "size": cfg.size,
            "loss": cfg.loss, "lpips_label": run.lpips_label, "cached": run.cached,
            "train_seconds": run.summary.get("train_seconds")}


def latent_summary(run_or_model, rgb: torch.Tensor) -> dict:
    """``metrics.latent_stats`` of the style latents of ``rgb`` (scalars only, for tables and JSON)."""
    stats = metrics.latent_stats(latents(run_or_model, rgb))
    return {k: v for k, v in stats.items() if k != "spread"}


def last(run: train.Run, key: str, default=float("nan")):
    """The last epoch's value of a history column (e.g. "val_loss")."""
    values = [row[key] for row in run.history if row.get(key) is not None]
    return values[-1] if values else default

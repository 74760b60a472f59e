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

from colorlib import data, evalcache, losses, metrics, models, train

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
    # 07: loss study: the UNet baseline (no AdaIN) in LAB, one run per loss, same budget
    "loss_mse": {"mode": "baseline", "model": {"space": "lab"}, "loss": "mse"},
    "loss_l1": {"mode": "baseline", "model": {"space": "lab"}, "loss": "l1"},
    "loss_huber": {"mode": "baseline", "model": {"space": "lab"}, "loss": "huber"},
    "loss_lpips": {"mode": "baseline", "model": {"space": "lab"}, "loss": "lpips"},
    "loss_mse_lpips": {"mode": "baseline", "model": {"space": "lab"}, "loss": "mse+lpips"},
    # 09: pix2pix: the same generator as "loss_l1" plus a 70x70 PatchGAN; loss L1 + GAN / lambda (see PIX2PIX_GAN)
    "pix2pix": {"mode": "baseline", "model": {"space": "lab"}, "loss": "l1",
                "gan": {"weight": 0.01, "lr": 2e-4, "betas": (0.5, 0.999), "loss": "bce", "base": 64, "norm": "batch"}},
    # 10: the AdaIN model of 06's "lab" run, in CIE Luv
    "luv": {"mode": "implicit", "model": {"space": "luv"}},
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


def _lpips_parts(P) -> tuple:
    """What an LPIPS number depends on besides the images: the trunk asked for and the one available."""
    return (P.lpips_net, losses.lpips_label(P.lpips_net) if P.lpips_net else None)


def evaluate(run_or_model, rgb: torch.Tensor, P, style="truth") -> dict:
    """Ground-truth metrics (PSNR, SSIM, CIEDE2000, colourfulness, LPIPS with its trunk) on ``rgb``
    (read from ``colorlib.evalcache`` when the same model measured the same images before)."""
    def compute():
        return metrics.evaluate_images(predict(run_or_model, rgb, style=style), rgb, lpips_net=P.lpips_net)

    return evalcache.cached("evaluate", compute, run_or_model, rgb, style, *_lpips_parts(P))


def evaluate_outputs(pred: torch.Tensor, rgb: torch.Tensor, P) -> dict:
    """``evaluate``'s metrics for ready outputs ``pred`` of ``rgb`` (cached by the outputs' content)."""
    def compute():
        return metrics.evaluate_images(pred, rgb, lpips_net=P.lpips_net)

    return evalcache.cached("evaluate_outputs", compute, pred, rgb, *_lpips_parts(P))


def gray_metrics(rgb: torch.Tensor, P) -> dict:
    """The same metrics for the gray baseline (lightness only)."""
    return evaluate_outputs(metrics.gray_baseline(rgb), rgb, P)


class StyleTransfer:
    """``outputs[i, j]``: photo i in painting j's style; ``oracle[i]``: photo i with its own colours as style;
    ``per_painting`` and ``summary``: the measurements (see ``style_transfer``). The images are made on first
    use when the measurements came from the evaluation cache; ``key`` identifies the outputs' content."""

    def __init__(self, per_painting: list[dict], summary: dict, outputs: torch.Tensor | None = None,
                 oracle: torch.Tensor | None = None, make=None, key: str | None = None):
        self.per_painting, self.summary = per_painting, summary
        self._outputs, self._oracle, self._make, self._key = outputs, oracle, make, key

    def _images(self):
        if self._outputs is None:
            self._outputs, self._oracle = self._make()
        return self._outputs, self._oracle

    @property
    def outputs(self) -> torch.Tensor:  # (N, S, 3, H, W)
        return self._images()[0]

    @property
    def oracle(self) -> torch.Tensor:  # (N, 3, H, W)
        return self._images()[1]

    @property
    def key(self) -> str:
        if self._key is None:
            self._key = evalcache.fingerprint(*self._images())
        return self._key

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
    The measurements come from ``colorlib.evalcache`` when this model measured these images before; the output
    images are then made again only if they are used.
    """
    def make():
        oracle = predict(run_or_model, photos_rgb, style="truth")
        outputs = torch.stack([predict(run_or_model, photos_rgb, style=styles_rgb[j:j + 1])
                               for j in range(len(styles_rgb))], dim=1)
        return outputs, oracle

    key = evalcache.entry_key("style_transfer", run_or_model, photos_rgb, styles_rgb,
                        list(names) if names is not None else None)
    st = StyleTransfer([], {}, make=make, key=key)

    def compute():  # a cold run makes the images here; st keeps them for the figures
        done = summarise_transfer(st.outputs, st.oracle, photos_rgb, styles_rgb, names)
        return {"per_painting": done.per_painting, "summary": done.summary}

    result = evalcache.cached("style_transfer", compute, key=key)
    st.per_painting, st.summary = result["per_painting"], result["summary"]
    return st


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
    def compute():
        stats = metrics.latent_stats(latents(run_or_model, rgb))
        return {k: v for k, v in stats.items() if k != "spread"}

    return evalcache.cached("latent_summary", compute, run_or_model, rgb)


def last(run: train.Run, key: str, default=float("nan")):
    """The last epoch's value of a history column (e.g. "val_loss")."""
    values = [row[key] for row in run.history if row.get(key) is not None]
    return values[-1] if values else default


# ====================================================================================== further studies (07-11)
PIX2PIX_LAMBDA = 100.0
"""pix2pix trains its generator on GAN + lambda * L1 with lambda = 100. Adam's update does not change when the
loss is multiplied by a constant (up to its tiny eps), so the "pix2pix" experiment uses the normalised
equivalent L1 + GAN / lambda (``gan.weight`` = 0.01): the same training, and its colour term keeps the scale
of the L1-only run ("loss_l1") it is compared with. The discriminator is pix2pix's: 70x70 PatchGAN, C64 base,
BatchNorm, BCE, Adam(2e-4, betas 0.5/0.999); the generator keeps the L1 run's optimiser, so the adversarial
term is the only difference between the two runs."""

LOSS_STUDY = {"L2 (MSE)": "loss_mse", "L1": "loss_l1", "Huber (delta 0.1)": "loss_huber", "LPIPS": "loss_lpips",
              "MSE + LPIPS": "loss_mse_lpips"}
"""Notebook 07's losses: label -> experiment (the UNet baseline without AdaIN, in LAB)."""


def snapshot(name: str, P, epochs: int, progress: bool = True, **changes) -> train.Run:
    """Experiment ``name`` as it stood after ``epochs`` epochs: a run of that length, with its *last* weights.

    Training is a deterministic function of (config, data, seed), the learning rate has no schedule and the
    data order and dropout of epoch ``e`` do not depend on the total number of epochs, so this run is the first
    ``epochs`` epochs of a longer run of the same experiment (``same_start`` checks it on the loss histories);
    the run cache makes it free on a re-run."""
    return run(name, P, progress=progress, epochs=epochs, **changes).load_weights("last")


def same_start(short: train.Run, long: train.Run, key: str = "train_loss") -> float:
    """Largest absolute difference of ``key`` over the epochs both runs have (0.0: the short run is the start of
    the long one)."""
    a = [row.get(key) for row in short.history]
    b = [row.get(key) for row in long.history[:len(a)]]
    if len(b) < len(a) or any(x is None or y is None for x, y in zip(a, b)):
        return float("nan")
    return float(max(abs(x - y) for x, y in zip(a, b)))


def chroma_detail(rgb) -> np.ndarray:
    """Colour detail per image: the mean magnitude of the spatial gradient of the chroma (a*, b*), in CIE Lab units
    per pixel. An output well under its ground truth has smoothed its colours (flat or bled chroma)."""
    ab = metrics.lab(rgb)[:, 1:].double()
    dx = ab[..., :-1, 1:] - ab[..., :-1, :-1]
    dy = ab[..., 1:, :-1] - ab[..., :-1, :-1]
    return (dx ** 2 + dy ** 2).sum(dim=1).sqrt().mean(dim=(1, 2)).cpu().numpy()


def chroma_grid_score(rgb, band: int = 1) -> np.ndarray:
    """``metrics.grid_artifact_score`` on the chroma instead of the lightness: the share of the a* and b* channels'
    spectral energy (DC removed) within ``band`` bins of the Nyquist frequency, per image. Models that predict
    only a*b* keep the input's lightness, so their checkerboard artefacts show here, not in the lightness score."""
    return metrics.nyquist_energy_share(metrics.lab(rgb)[:, 1:], band)


def quality(run_or_model, rgb: torch.Tensor, P, style="truth", pred: torch.Tensor | None = None) -> dict:
    """``evaluate``'s metrics plus how colourful and how detailed the output's colours are next to the truth's:
    ``colour_ratio`` = mean colourfulness of the outputs / of the truth (< 1: desaturated), ``detail_ratio`` =
    mean ``chroma_detail`` of the outputs / of the truth (< 1: colours smoothed; well above 1: spurious colour
    texture), ``grid`` / ``grid_ab``: mean ``metrics.grid_artifact_score`` (lightness) and ``chroma_grid_score``
    of the outputs. ``pred``: ready outputs (then ``run_or_model`` is unused)."""
    def compute():
        out = predict(run_or_model, rgb, style=style) if pred is None else pred
        m = metrics.evaluate_images(out, rgb, lpips_net=P.lpips_net)
        m["colour_ratio"] = m["colourfulness_pred"] / max(m["colourfulness_true"], 1e-9)
        m["chroma_detail"] = float(np.mean(chroma_detail(out)))
        m["detail_ratio"] = m["chroma_detail"] / max(float(np.mean(chroma_detail(rgb))), 1e-9)
        m["grid"] = float(np.mean(metrics.grid_artifact_score(out)))
        m["grid_ab"] = float(np.mean(chroma_grid_score(out)))
        return m

    source = ("outputs", pred) if pred is not None else ("model", run_or_model, style)
    return evalcache.cached("quality", compute, *source, rgb, *_lpips_parts(P))


def paired(a, b) -> dict:
    """Per-image paired comparison of two measurements of the same images: means, mean difference a - b, the
    share of images where a > b, and the one-sided Wilcoxon signed-rank p-value for "a > b" (NaN when every
    difference is zero)."""
    from scipy.stats import wilcoxon

    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ValueError(f"expected two equal-length 1-D arrays, got {a.shape} and {b.shape}")
    diff = a - b
    p = float(wilcoxon(a, b, alternative="greater").pvalue) if np.any(diff != 0) else float("nan")
    return {"mean_a": float(a.mean()), "mean_b": float(b.mean()), "mean_diff": float(diff.mean()),
            "share_a_greater": float((diff > 0).mean()), "p_a_greater": p, "n": int(len(a))}


@dataclass
class ChromaSplit:
    """Training photos split by colourfulness: ``low`` and ``high`` are equal-sized subsets (least and most
    colourful), ``colourfulness`` holds every photo's value (training order), ``low_idx`` / ``high_idx`` the
    subsets' indices into it."""

    low: list
    high: list
    colourfulness: np.ndarray
    low_idx: list
    high_idx: list

    def summary(self) -> dict:
        low, high = self.colourfulness[self.low_idx], self.colourfulness[self.high_idx]
        return {"n_photos": len(self.colourfulness), "n_low": len(self.low), "n_high": len(self.high),
                "low_max": float(low.max()), "high_min": float(high.min()), "mean_low": float(low.mean()),
                "mean_high": float(high.mean()), "mean_all": float(self.colourfulness.mean())}


def chroma_split(P, fraction: float = 0.5) -> ChromaSplit:
    """The profile's training photos (at the training size) ranked by colourfulness (Hasler-Suesstrunk, whole
    pre-resized image); the ``fraction`` least colourful form ``low``, the ``fraction`` most colourful ``high``
    (0.5: the two halves, split at the median). Each subset keeps the photos' training order."""
    if not 0 < fraction <= 0.5:
        raise ValueError(f"fraction must be in (0, 0.5], got {fraction}")
    records = data.load_images(P.source, "photos", "train", P.size, limit=P.limit, progress=False)
    cf = np.array([float(metrics.colourfulness(np.asarray(r.image))[0]) for r in records])
    n = int(len(records) * fraction)
    if n < 1:
        raise ValueError(f"{len(records)} training photos: too few for a split with fraction {fraction}")
    order = np.argsort(cf, kind="stable")
    low, high = sorted(int(i) for i in order[:n]), sorted(int(i) for i in order[-n:])
    return ChromaSplit([records[i] for i in low], [records[i] for i in high], cf, low, high)


def run_on(name: str, P, train_records: list, progress: bool = True, **changes) -> train.Run:
    """Experiment ``name`` trained on the given training photos (validation photos and paintings as usual);
    the run key hashes the images, so the run cache works as for ``run``."""
    cfg = config(name, P, **changes)
    td = train.load_data(cfg, progress=False)
    td.train = list(train_records)
    return train.train(cfg, retrain=bool(P.retrain), progress=progress, data=td)


def summarise_transfer(outputs: torch.Tensor, oracle: torch.Tensor, photos_rgb: torch.Tensor,
                       styles_rgb: torch.Tensor, names=None) -> StyleTransfer:
    """``style_transfer``'s measurements for ready outputs (N, S, 3, H, W) and oracle outputs (N, 3, H, W)."""
    s = len(styles_rgb)
    per = []
    for j in range(s):
        ref = styles_rgb[j:j + 1]
        d_styled = float(np.mean(metrics.colour_distribution_distance(outputs[:, j], ref)["sliced_wasserstein_ab"]))
        d_oracle = float(np.mean(metrics.colour_distribution_distance(oracle, ref)["sliced_wasserstein_ab"]))
        per.append({"painting": names[j] if names else j, "distance_styled": d_styled, "distance_oracle": d_oracle,
                    "transfer": 1.0 - d_styled / max(d_oracle, 1e-9),
                    "ssim_l": float(np.mean(metrics.ssim_l(outputs[:, j], photos_rgb))),
                    "colourfulness": float(np.mean(metrics.colourfulness(outputs[:, j])))})
    summary = {k: float(np.mean([p[k] for p in per])) for k in ("transfer", "distance_styled", "distance_oracle",
                                                                 "ssim_l")}
    summary.update(style_effect=float(outputs.std(dim=1).mean()) if s > 1 else 0.0, n_photos=len(photos_rgb),
                   n_paintings=s)
    return StyleTransfer(per, summary, outputs=outputs, oracle=oracle)


def reinhard_style_transfer(base_rgb: torch.Tensor, photos_rgb: torch.Tensor, styles_rgb: torch.Tensor,
                            names=None) -> StyleTransfer:
    """Reinhard colour-statistics transfer (``metrics.reinhard_transfer``, L*a*b* means and stds) of ``base_rgb``
    (e.g. the UNet baseline's colourisation of ``photos_rgb``) towards every painting, measured as
    ``style_transfer`` measures a model; its oracle is the transfer towards each photo's own ground truth."""
    oracle = metrics.reinhard_transfer(base_rgb, photos_rgb)
    outputs = torch.stack([metrics.reinhard_transfer(base_rgb, styles_rgb[j:j + 1]) for j in range(len(styles_rgb))],
                          dim=1)
    return summarise_transfer(outputs, oracle, photos_rgb, styles_rgb, names)


def styled_metrics(st: StyleTransfer, photos_rgb: torch.Tensor, P) -> dict:
    """Ground-truth metrics of every painting-styled output against its photo (means over photos x paintings)."""
    def compute():
        n, s = st.outputs.shape[:2]
        pred = st.outputs.reshape(n * s, *st.outputs.shape[2:])
        return metrics.evaluate_images(pred, photos_rgb.repeat_interleave(s, dim=0), lpips_net=P.lpips_net)

    return evalcache.cached("styled_metrics", compute, st.key, photos_rgb, *_lpips_parts(P))


COMPARISON_COLUMNS = ["model", "notebook", "space", "style", "epochs", "psnr", "ssim", "ciede2000", "lpips",
                      "colourfulness", "ssim_l", "transfer", "style_effect"]


def compare_models(profile: str = "report", retrain: bool = False, progress: bool = True,
                   n_paintings: int | None = None) -> dict:
    """Every model of the report on the same held-out photos with the same metrics (notebook 11).

    Each model is the run its notebook trains, built from that notebook's parameters under ``profile``, so
    after the notebooks have run every run is a cache hit. Style-conditioned models appear twice: with each
    photo's own colours as the style (the oracle) and with every painting as the style (ground-truth metrics
    averaged over photos x paintings, plus transfer strength, lightness SSIM and style effect as in
    ``style_transfer``). Reinhard transfer is applied to the UNet baseline's output, towards the paintings and
    (its oracle) towards the truth. ``n_paintings``: use that many paintings, spread over the set by
    ``pick_styles`` (None: all). Returns rows (``COMPARISON_COLUMNS``) and the set-up."""
    from colorlib import profiles

    def params(nb):
        return profiles.resolve(profile, nb, retrain=retrain)

    P = params("11")
    test_rgb, _ = photos(P, split="test")
    paint_rgb, paint_names = paintings(P)
    if n_paintings is not None:
        paint_rgb, paint_names = pick_styles(paint_rgb, paint_names, n_paintings, seed=P.seed)
    rows, runs, lpips_labels = [], {}, set()

    def add(label, nb, space, style, epochs, m, st=None):
        lpips_labels.add(m["lpips_label"])
        row = {"model": label, "notebook": nb, "space": space, "style": style, "epochs": epochs,
               "psnr": m["psnr"], "ssim": m["ssim"], "ciede2000": m["ciede2000"], "lpips": m["lpips"],
               "colourfulness": m["colourfulness_pred"], "ssim_l": m["ssim_l"],
               "transfer": st.summary["transfer"] if st else None,
               "style_effect": st.summary["style_effect"] if st else None}
        rows.append(row)

    def trained(label, name, nb):
        r = run(name, params(nb), progress=progress)
        runs[label] = describe(r)
        return r

    add("gray (lightness only)", "02", "-", "-", 0, gray_metrics(test_rgb, P))
    unet = trained("UNet baseline", "unet", "02")
    add("UNet baseline", "02", "rgb", "-", unet.config.epochs, evaluate(unet, test_rgb, P))
    for label, name in LOSS_STUDY.items():
        r = trained(f"UNet LAB, {label}", name, "07")
        add(f"UNet LAB, {label}", "07", "lab", "-", r.config.epochs, evaluate(r, test_rgb, P))
    r = trained("pix2pix (UNet + PatchGAN)", "pix2pix", "09")
    add("pix2pix (UNet + PatchGAN)", "09", "lab", "-", r.config.epochs, evaluate(r, test_rgb, P))
    for label, name, nb, space in (("AdaIN RGB", "final", "03", "rgb"), ("AdaIN LAB", "lab", "06", "lab"),
                                   ("AdaIN Luv", "luv", "10", "luv")):
        r = trained(label, name, nb)
        add(label, nb, space, "truth", r.config.epochs, evaluate(r, test_rgb, P, style="truth"))
        st = style_transfer(r, test_rgb, paint_rgb, paint_names)
        add(label, nb, space, "paintings", r.config.epochs, styled_metrics(st, test_rgb, P), st)
    st = reinhard_style_transfer(predict(unet, test_rgb), test_rgb, paint_rgb, paint_names)
    add("Reinhard on UNet baseline", "02", "lab stats", "truth", unet.config.epochs,
        evaluate_outputs(st.oracle, test_rgb, P))
    add("Reinhard on UNet baseline", "02", "lab stats", "paintings", unet.config.epochs,
        styled_metrics(st, test_rgb, P), st)
    return {"rows": rows, "runs": runs, "n_test": len(test_rgb), "n_paintings": len(paint_rgb),
            "colourfulness_true": float(np.mean(metrics.colourfulness(test_rgb))),
            "lpips_label": " / ".join(sorted(x for x in lpips_labels if x)) or None,
            "paintings": list(paint_names), "profile": profile, "size": P.eval_size}


def comparison_markdown(result: dict) -> str:
    """The comparison as a Markdown document (what ``write_comparison`` writes to ``report/comparison.md``)."""
    from colorlib import plots

    rows = [{**r, "transfer": "-" if r["transfer"] is None else r["transfer"],
             "style_effect": "-" if r["style_effect"] is None else r["style_effect"],
             "lpips": "n/a" if r["lpips"] is None else r["lpips"]} for r in result["rows"]]
    return "\n".join([
        "# Every model of the report, on the same held-out photos",
        "",
        f"Generated by notebook 11 (`python -m colorlib.report`, profile `{result['profile']}`); edit the notebook, "
        "not this file.",
        "",
        f"{result['n_test']} held-out photos at {result['size']} px; painting rows: every photo in the style of "
        f"each of {result['n_paintings']} paintings. Ground-truth metrics: PSNR (dB) and SSIM on RGB, mean "
        f"CIEDE2000, {result['lpips_label'] or 'LPIPS (no trunk available)'}; colourfulness (Hasler-Suesstrunk) "
        f"of the outputs (truth: {result['colourfulness_true']:.1f}); `ssim_l`: SSIM of the output's lightness "
        "against the input's; `transfer`: 1 - (a\\*b\\* distance of the painting-styled output to the painting) / "
        "(the same for the oracle output), 0 = no pull towards the painting; `style_effect`: mean per-pixel RGB "
        "std of an output across paintings. `style`: `truth` = the photo's own colours as the style (an oracle: "
        "a user has no ground truth); `epochs`: training epochs of the run (0: no training).",
        "",
        plots.markdown_table(rows, COMPARISON_COLUMNS),
        "",
    ])


def write_comparison(result: dict) -> None:
    """Write ``report/comparison.md`` (under ``colorlib.paths.report_dir()``)."""
    from colorlib.paths import report_dir

    (report_dir() / "comparison.md").write_text(comparison_markdown(result))


def val_instability(run: train.Run) -> float:
    """Mean absolute epoch-to-epoch change of the validation loss over the second half of training, relative to
    its level (as notebook 06 measures stability); NaN with fewer than two epochs in that half."""
    v = np.array([h["val_loss"] for h in run.history if h.get("val_loss") is not None])
    half = v[len(v) // 2:]
    return float(np.mean(np.abs(np.diff(half))) / np.mean(half)) if len(half) > 1 else float("nan")

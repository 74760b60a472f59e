"""What the notebooks measure: held-out batches, a model's outputs, and every measurement made on them.

The helpers take RGB batches (B,3,H,W) in [0, 1]:

- ``photos`` / ``paintings``: a profile's evaluation images; ``predict``: a model's colourisation of them
  (style = the photo itself, "truth", the oracle; "none"; paintings; or latents);
- ``evaluate`` / ``evaluate_outputs`` / ``gray_metrics``: ground-truth metrics of a model, of ready outputs, of
  the gray baseline; ``quality`` adds how colourful, detailed and grid-free the colours are;
- ``style_transfer``: every photo coloured in every painting's style, with how far each output's colour
  distribution moved towards the painting's (transfer strength), how much the output changes between
  paintings (style effect) and how well the structure is kept (SSIM on lightness against the input);
  ``reinhard_style_transfer`` measures the classical colour-statistics transfer the same way;
- ``latents`` / ``latent_summary``: the style encoder's latent vectors (the real latents, not image pixels);
- ``compare_models``: every model of the report in one table (notebook 11); ``working_size_study``: the
  inference pipeline's working size (notebook 12).

Every measurement goes through ``colorlib.evalcache``: a re-run with the same weights, inputs and code reads it.
"""
from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from PIL import Image

from colorlib import claims, color, data, evalcache, experiments, files, inference, losses, metrics, profiles
from colorlib.runs import Run


# ---------------------------------------------------------------------------------------------- seeds
@dataclass
class Measured:
    """One model's measurements over its training seeds: ``per_seed[s]`` is the measurement dict of seed ``s``
    (``evaluate``'s or ``quality``'s, with per-image values under "per_image"; ``transfer_measures``', with
    per-painting values under "per_painting"). A deterministic baseline (gray) is one "seed"."""

    per_seed: list[dict]
    deterministic: bool = False  # one measurement that no seed changes (the gray baseline)

    @property
    def seeds(self) -> int:
        return len(self.per_seed)

    def values(self, key: str) -> np.ndarray:
        """(S,) each seed's value of ``key`` (NaN where a seed has none, e.g. LPIPS without a trunk)."""
        return np.array([np.nan if d.get(key) is None else d[key] for d in self.per_seed], dtype=np.float64)

    def units(self, key: str, per: str = "image") -> np.ndarray:
        """(S, N): ``key`` per seed and per image (``per="image"``) or per painting (``per="painting"``)."""
        return np.array([d[f"per_{per}"][key] for d in self.per_seed], dtype=np.float64)

    def mean(self, key: str) -> float:
        return float(np.mean(self.values(key)))

    def cell(self, key: str, unit: str = "") -> str:
        """``mean +- sd`` over seeds, digits matched to the spread (for tables and prose)."""
        if self.deterministic:
            return f"{claims.fmt(self.mean(key), 4)}{unit}"
        return claims.mean_sd(self.values(key), unit)

    def summary(self, keys: Sequence[str]) -> dict:
        """Mean and standard deviation over seeds of each key (``key`` and ``key_sd``), for the results JSON."""
        out = {"seeds": self.seeds, **({"deterministic": True} if self.deterministic else {})}
        for key in keys:
            mean, sd, _ = claims.spread(self.values(key))
            out[key], out[f"{key}_sd"] = mean, sd
        return out


def gray_measured(rgb: torch.Tensor, P) -> Measured:
    """``gray_metrics`` as a deterministic ``Measured``."""
    return Measured([gray_metrics(rgb, P)], deterministic=True)


def evaluate_runs(runs: Sequence, rgb: torch.Tensor, P, style="truth") -> Measured:
    """``evaluate`` of each seed's run."""
    return Measured([evaluate(r, rgb, P, style=style) for r in runs])


def quality_runs(runs: Sequence, rgb: torch.Tensor, P, style="truth") -> Measured:
    """``quality`` of each seed's run."""
    return Measured([quality(r, rgb, P, style=style) for r in runs])


def delivered_runs(runs: Sequence, rgb: torch.Tensor, P, style="truth") -> Measured:
    """``evaluate_outputs`` of what each seed's model delivers (``delivered``: the input's own lightness)."""
    return Measured([evaluate_outputs(delivered(r, rgb, style=style), rgb, P) for r in runs])


def transfer_measures(st: "StyleTransfer") -> dict:
    """A style transfer's summary with its per-painting values (``Measured.units(key, per="painting")``)."""
    keys = ("transfer", "distance_styled", "distance_oracle", "ssim_l", "colourfulness")
    return {**st.summary, "per_painting": {k: [p[k] for p in st.per_painting] for k in keys}}


def transfer_runs(runs: Sequence, photos_rgb: torch.Tensor, styles_rgb: torch.Tensor, names=None
                  ) -> tuple[list["StyleTransfer"], Measured]:
    """``style_transfer`` of each seed's run, and their measurements."""
    sts = [style_transfer(r, photos_rgb, styles_rgb, names) for r in runs]
    return sts, Measured([transfer_measures(st) for st in sts])


def latent_runs(runs: Sequence, rgb: torch.Tensor) -> Measured:
    """``latent_summary`` of each seed's run."""
    return Measured([latent_summary(r, rgb) for r in runs])


# ---------------------------------------------------------------------------------------------- data
def _split_limit(P, split: str) -> int | None:
    """How many photos of ``split`` the profile uses: ``n_eval`` held-out ones, ``limit`` of the others."""
    return P.n_eval if split == "test" else P.limit


def photos(P, split: str = "test", limit: int | None = None) -> tuple[torch.Tensor, list[str]]:
    """Held-out (or other split) photos as an RGB batch at the profile's evaluation size, with names."""
    limit = limit if limit is not None else _split_limit(P, split)
    records = data.load_images(P.source, "photos", split, P.eval_size, limit=limit, progress=False)
    return _batch(records, P.eval_size), [r.name for r in records]


def photo_licences(P, split: str = "train") -> dict[str, int]:
    """How many photos of ``split`` carry each licence (for a model card), reading as many as the runs train on
    (a streamed hub source must be given a limit)."""
    return dict(Counter(r.licence for r in data.load_images(P.source, "photos", split, P.size,
                                                               limit=_split_limit(P, split), progress=False)))


def sample_photos(P) -> tuple[torch.Tensor, list[str]]:
    """Photos from outside the embedded set (the eight inside the scikit-image, scikit-learn and matplotlib
    wheels) at the profile's evaluation size: whether what was tuned on one split holds elsewhere."""
    records = data.load_images("samples", "photos", None, P.eval_size, progress=False)
    return _batch(records, P.eval_size), [r.name for r in records]


def paintings(P, limit: int | None = None) -> tuple[torch.Tensor, list[str]]:
    """The paintings as an RGB batch (centre crops at the evaluation size), with their titles or names; at most
    ``limit`` (default: the profile's ``style_limit``, the paintings the runs train on; None: all)."""
    limit = limit if limit is not None else P.style_limit
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
    """Colourise ``rgb``'s lightness. ``style``: "truth" (each photo's own colours: the oracle), "none" or None (no
    style: plain instance normalisation, as ``ColorModel.auto_latent`` of a model that colours so), "auto"
    (the model's automatic mode), an RGB style batch (1 or B images), or a latent (D,) / (B, D)."""
    model = run_or_model.model if isinstance(run_or_model, Run) else run_or_model
    outs = []
    for i in range(0, len(rgb), batch):
        chunk = rgb[i:i + batch]
        kwargs = {}
        if model.cfg.adain:
            if isinstance(style, str) and style == "truth":
                kwargs["style_rgb"] = chunk
            elif style is None or (isinstance(style, str) and style == "none"):
                pass
            elif isinstance(style, str) and style == "auto":
                kwargs["latent"] = "auto"
            elif style.dim() == 4:
                kwargs["style_rgb"] = style if style.shape[0] == 1 else style[i:i + batch]
            else:
                lat = style if style.dim() == 1 else style[i:i + batch] if style.shape[0] > 1 else style[0]
                kwargs["latent"] = lat
        outs.append(model.colorize(chunk, **kwargs).cpu())
    return torch.cat(outs)


def delivered(run_or_model, rgb: torch.Tensor, style="truth") -> torch.Tensor:
    """What a user gets: ``predict``'s colours recombined with the input's own lightness (``inference.recombine``,
    as the command line and the picker deliver them)."""
    model = run_or_model.model if isinstance(run_or_model, Run) else run_or_model
    return inference.recombine(rgb, predict(model, rgb, style=style), model.cfg.space)


def natural_latent(run_or_model, train_rgb: torch.Tensor) -> torch.Tensor:
    """"Natural colours": the mean style latent ``(D,)`` of the training photos ``train_rgb``."""
    return torch.from_numpy(latents(run_or_model, train_rgb).mean(0))


def automatic(run_or_model, rgb: torch.Tensor, how: str, train_rgb: torch.Tensor | None = None) -> torch.Tensor:
    """What a user gets without any reference image (``delivered``): ``how`` = "none" (no style: the UNet
    baseline, or plain instance normalisation), "natural" (the mean latent of ``train_rgb``) or "head" (the
    model's automatic-mode head)."""
    if how == "natural":
        return delivered(run_or_model, rgb, natural_latent(run_or_model, train_rgb))
    if how not in ("none", "head"):
        raise ValueError(f"how must be 'none', 'natural' or 'head', got {how!r}")
    return delivered(run_or_model, rgb, "auto" if how == "head" else "none")


def share_beating(model: Measured, baseline: Measured, key: str = "ciede2000", lower_is_better: bool = True
                  ) -> np.ndarray:
    """(S,) per seed, the share of photos on which ``model`` beats ``baseline`` (one seed, e.g. gray) on ``key``."""
    m, b = model.units(key), baseline.units(key)
    return ((m < b) if lower_is_better else (m > b)).mean(axis=1)


@torch.no_grad()
def latents(run_or_model, rgb: torch.Tensor) -> np.ndarray:
    """Style-encoder latents (N, D) of RGB images: what the AdaIN layers actually receive."""
    model = run_or_model.model if isinstance(run_or_model, Run) else run_or_model
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

    return _measured_transfer("style_transfer", make, run_or_model, photos_rgb, styles_rgb, names)


def _measured_transfer(kind: str, make, source, photos_rgb: torch.Tensor, styles_rgb: torch.Tensor,
                       names=None) -> StyleTransfer:
    """A ``StyleTransfer`` of the images ``make()`` returns ((N, S, 3, H, W) outputs, (N, 3, H, W) oracle), its
    measurements (``summarise_transfer``) cached as ``kind`` under ``source`` (what made the images: a model, or
    the base images a transfer started from), the photos, paintings and names; the images are made only if used."""
    key = evalcache.entry_key(kind, source, photos_rgb, styles_rgb, list(names) if names is not None else None)
    st = StyleTransfer([], {}, make=make, key=key)

    def compute():  # a cold run makes the images here; st keeps them for the figures
        done = summarise_transfer(st.outputs, st.oracle, photos_rgb, styles_rgb, names)
        return {"per_painting": done.per_painting, "summary": done.summary}

    result = evalcache.cached(kind, compute, key=key)
    st.per_painting, st.summary = result["per_painting"], result["summary"]
    return st


def latent_summary(run_or_model, rgb: torch.Tensor) -> dict:
    """``metrics.latent_stats`` of the style latents of ``rgb`` (scalars only, for tables and JSON)."""
    def compute():
        stats = metrics.latent_stats(latents(run_or_model, rgb))
        return {k: v for k, v in stats.items() if k != "spread"}

    return evalcache.cached("latent_summary", compute, run_or_model, rgb)


def quality(run_or_model, rgb: torch.Tensor, P, style="truth", pred: torch.Tensor | None = None) -> dict:
    """``evaluate``'s metrics plus how colourful and how detailed the output's colours are next to the truth's:
    ``colour_ratio`` = mean colourfulness of the outputs / of the truth (< 1: desaturated), ``detail_ratio`` =
    mean ``chroma_detail`` of the outputs / of the truth (< 1: colours smoothed; well above 1: spurious colour
    texture), ``grid`` / ``grid_ab``: mean ``metrics.grid_artifact_score`` (lightness) and ``metrics.chroma_grid_score``
    of the outputs. ``pred``: ready outputs (then ``run_or_model`` is unused)."""
    def compute():
        out = predict(run_or_model, rgb, style=style) if pred is None else pred
        m = metrics.evaluate_images(out, rgb, lpips_net=P.lpips_net)
        m["colour_ratio"] = m["colourfulness_pred"] / max(m["colourfulness_true"], 1e-9)
        m["chroma_detail"] = float(np.mean(metrics.chroma_detail(out)))
        m["detail_ratio"] = m["chroma_detail"] / max(float(np.mean(metrics.chroma_detail(rgb))), 1e-9)
        per = {"grid": metrics.grid_artifact_score(out), "grid_ab": metrics.chroma_grid_score(out),
               "chroma_detail": metrics.chroma_detail(out)}
        m["grid"], m["grid_ab"] = float(np.mean(per["grid"])), float(np.mean(per["grid_ab"]))
        m["per_image"].update({k: [float(x) for x in v] for k, v in per.items()})
        return m

    source = ("outputs", pred) if pred is not None else ("model", run_or_model, style)
    return evalcache.cached("quality", compute, *source, rgb, *_lpips_parts(P))


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
    ``style_transfer`` measures a model; its oracle is the transfer towards each photo's own ground truth. Like
    ``style_transfer``, the measurements come from ``colorlib.evalcache`` when these images were measured before
    (their sliced-Wasserstein distances were most of a warm report's time in notebooks 11 and 13), and the
    transferred images are made only if they are used."""
    def make():
        oracle = metrics.reinhard_transfer(base_rgb, photos_rgb)
        outputs = torch.stack([metrics.reinhard_transfer(base_rgb, styles_rgb[j:j + 1])
                               for j in range(len(styles_rgb))], dim=1)
        return outputs, oracle

    return _measured_transfer("reinhard_style_transfer", make, base_rgb, photos_rgb, styles_rgb, names)


def styled_metrics(st: StyleTransfer, photos_rgb: torch.Tensor, P) -> dict:
    """Ground-truth metrics of every painting-styled output against its photo (means over photos x paintings)."""
    def compute():
        n, s = st.outputs.shape[:2]
        pred = st.outputs.reshape(n * s, *st.outputs.shape[2:])
        return metrics.evaluate_images(pred, photos_rgb.repeat_interleave(s, dim=0), lpips_net=P.lpips_net)

    return evalcache.cached("styled_metrics", compute, st.key, photos_rgb, *_lpips_parts(P))


COMPARISON_COLUMNS = ["model", "notebook", "space", "style", "epochs", "seeds", "psnr", "ssim", "ciede2000", "lpips",
                      "colourfulness", "ssim_l", "transfer", "style_effect"]
METRIC_COLUMNS = {"psnr": "psnr", "ssim": "ssim", "ciede2000": "ciede2000", "lpips": "lpips",
                  "colourfulness": "colourfulness_pred", "ssim_l": "ssim_l"}
"""comparison column -> key of ``metrics.evaluate_images``."""


def _row(label, nb, space, style, epochs, quality: Measured, transfer: Measured | None = None) -> dict:
    """One row of the comparison table: each metric's mean over seeds (``<column>``) and spread (``<column>_sd``)."""
    row = {"model": label, "notebook": nb, "space": space, "style": style, "epochs": epochs, "seeds": quality.seeds}
    for column, key in METRIC_COLUMNS.items():
        row[column], row[f"{column}_sd"] = claims.spread(quality.values(key))[:2]
    for column in ("transfer", "style_effect"):
        row[column], row[f"{column}_sd"] = claims.spread(transfer.values(column))[:2] if transfer else (None, None)
    if quality.deterministic:
        row.update({f"{c}_sd": None for c in ("psnr", "ssim", "ciede2000", "lpips", "colourfulness", "ssim_l")})
    return row


COMPARED_ADAIN = (("AdaIN RGB", "final", "03", "rgb"), ("AdaIN LAB", "lab", "06", "lab"),
                  ("AdaIN Luv", "luv", "10", "luv"))
"""The style-conditioned models of the comparison: (label, experiment, notebook, colour space)."""


def _styled(sts: Sequence[StyleTransfer], photos_rgb, P) -> tuple[Measured, Measured]:
    """Ground-truth metrics of painting-styled outputs and the transfer measurements, one entry per seed."""
    return Measured([styled_metrics(st, photos_rgb, P) for st in sts]), Measured([transfer_measures(st) for st in sts])


def compare_models(profile: str = "report", retrain: bool = False, progress: bool = True,
                   n_paintings: int | None = None, seeds: Sequence[int] | None = None) -> dict:
    """Every model of the report on the same held-out photos with the same metrics (notebook 11), over seeds.

    Each model is the runs its notebook trains (one per seed of ``seeds``, default the profile's), built from that
    notebook's parameters under ``profile``, so after the notebooks have run every run is a cache hit.
    Style-conditioned models appear twice: with each photo's own colours as the style (the oracle) and with every
    painting as the style (ground-truth metrics averaged over photos x paintings, plus transfer strength,
    lightness SSIM and style effect as in ``style_transfer``). Reinhard transfer is applied to each seed's UNet
    baseline output, towards the paintings and (its oracle) towards the truth. ``n_paintings``: use that many
    paintings, spread over the set by ``pick_styles`` (None: all). Returns rows (``COMPARISON_COLUMNS``, each metric
    with its ``_sd`` over seeds), the set-up, and ``units``: per-painting transfer and lightness SSIM of each
    painting-styled row, per seed (what paired comparisons need)."""
    def params(nb):
        return profiles.resolve(profile, nb, retrain=retrain, seeds=seeds)

    P = params("11")
    test_rgb, _ = photos(P, split="test")
    paint_rgb, paint_names = paintings(P)
    if n_paintings is not None:
        paint_rgb, paint_names = pick_styles(paint_rgb, paint_names, n_paintings, seed=P.seed)
    described, measured = {}, []  # measured: the arguments of _row, in table order

    def trained(label, name, nb):
        rs = experiments.runs(name, params(nb), progress=progress)
        described[label] = [experiments.describe(r) for r in rs]
        return rs

    measured.append(("gray (lightness only)", "02", "-", "-", 0, gray_measured(test_rgb, P)))
    unet = trained("UNet baseline", "unet", "02")
    measured.append(("UNet baseline", "02", "rgb", "-", unet[0].config.epochs, evaluate_runs(unet, test_rgb, P)))
    for label, name, nb in [(f"UNet LAB, {k}", v, "07") for k, v in experiments.LOSS_STUDY.items()] + [
            ("pix2pix (UNet + PatchGAN)", "pix2pix", "09")]:
        rs = trained(label, name, nb)
        measured.append((label, nb, "lab", "-", rs[0].config.epochs, evaluate_runs(rs, test_rgb, P)))
    for label, name, nb, space in COMPARED_ADAIN:
        rs = trained(label, name, nb)
        measured.append((label, nb, space, "truth", rs[0].config.epochs, evaluate_runs(rs, test_rgb, P)))
        sts = [style_transfer(r, test_rgb, paint_rgb, paint_names) for r in rs]
        measured.append((label, nb, space, "paintings", rs[0].config.epochs, *_styled(sts, test_rgb, P)))
    sts = [reinhard_style_transfer(predict(r, test_rgb), test_rgb, paint_rgb, paint_names) for r in unet]
    measured.append(("Reinhard on UNet baseline", "02", "lab stats", "truth", unet[0].config.epochs,
                     Measured([evaluate_outputs(st.oracle, test_rgb, P) for st in sts])))
    measured.append(("Reinhard on UNet baseline", "02", "lab stats", "paintings", unet[0].config.epochs,
                     *_styled(sts, test_rgb, P)))
    labels = sorted({d["lpips_label"] for m in measured for d in m[5].per_seed} - {None})
    units = {f"{m[0]} ({m[3]})": {k: m[6].units(k, per="painting").tolist() for k in ("transfer", "ssim_l")}
             for m in measured if len(m) > 6}
    return {"rows": [_row(*m) for m in measured], "runs": described, "n_test": len(test_rgb),
            "n_paintings": len(paint_rgb), "colourfulness_true": float(np.mean(metrics.colourfulness(test_rgb))),
            "lpips_label": " / ".join(labels) or None, "paintings": list(paint_names), "profile": profile,
            "seeds": list(P.seeds), "size": P.eval_size, "units": units}


def comparison_cell(row: dict, column: str) -> str:
    """A comparison table cell: ``mean +- sd`` over seeds, the value alone without a spread, "-" when absent."""
    value, sd = row.get(column), row.get(f"{column}_sd")
    if value is None:
        return "n/a" if column == "lpips" and row.get("style") != "paintings" else "-"
    return claims.cell({column: value, f"{column}_sd": sd}, column, note_one_seed=False)


def comparison_markdown(result: dict) -> str:
    """The comparison as a Markdown document (what ``write_comparison`` writes to ``report/comparison.md``)."""
    from colorlib import plots

    rows = [{c: (comparison_cell(r, c) if c in METRIC_COLUMNS or c in ("transfer", "style_effect") else r[c])
             for c in COMPARISON_COLUMNS} for r in result["rows"]]
    return "\n".join([
        "# Every model of the report, on the same held-out photos",
        "",
        f"Generated by notebook 11 (`python -m colorlib.report`, profile `{result['profile']}`, seeds "
        f"{', '.join(map(str, result['seeds']))}); edit the notebook, not this file.",
        "",
        f"{result['n_test']} held-out photos at {result['size']} px; painting rows: every photo in the style of "
        f"each of {result['n_paintings']} paintings. Every cell is the mean +- standard deviation over the training "
        f"seeds (`seeds`: how many; gray has none). Ground-truth metrics: PSNR (dB) and SSIM on RGB, mean "
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

    files.write_text(report_dir() / "comparison.md", comparison_markdown(result))


def working_size_study(models: dict[str, inference.ColorModel], images: Sequence[Image.Image],
                       factors: Sequence[int] = (1, 2, 4)) -> list[dict]:
    """Is it better to run the network at its training size and up-sample the chroma, or larger?

    Each model colours every image (at its full size, with ``colorize_full``) with the network at ``factor``
    times its style size, once with each photo's own colours as the style (the oracle) and once with natural
    colours; rows hold the mean PSNR, CIEDE2000 and colourfulness against the images themselves. A model's rows
    come from ``colorlib.evalcache`` when the same weights measured the same images before."""
    images = [data.open_rgb(im) for im in images]
    truth = [data.to_tensor(im)[None] for im in images]
    arrays = [np.asarray(im) for im in images]
    rows = []
    for name, cm in models.items():
        def compute(cm=cm):
            oracle = [cm.style_latent(im) for im in images]  # the style size does not change with the work size
            out_rows = []
            for factor in factors:
                cmw = dataclasses.replace(cm, work_size=cm.style_size * factor)
                for style in ("oracle", "natural colours"):
                    scores = []
                    for im, gt, z in zip(images, truth, oracle):
                        out = data.to_tensor(inference.colorize_full(cmw, im, z if style == "oracle" else cmw.natural))[None]
                        scores.append((metrics.psnr(out, gt)[0], metrics.ciede2000(out, gt)[0],
                                       metrics.colourfulness(out)[0]))
                    psnr_, de, cf = np.mean(scores, axis=0)
                    out_rows.append({"work px": cmw.work_size, "style": style, "psnr": float(psnr_),
                                     "ciede2000": float(de), "colourfulness": float(cf)})
            return {"rows": out_rows}

        measured = evalcache.cached("picker_working_size", compute, cm.model, cm.natural, cm.style_size,
                                    list(factors), arrays)
        rows += [{"model": name, **row} for row in measured["rows"]]
    return rows


def row_name(row: dict) -> str:
    """A comparison row's name: the model, and the style it was given when it takes one."""
    return row["model"] + ("" if row["style"] == "-" else f" ({row['style']} as style)")


def best_rows(rows: Sequence[dict], colourfulness_true: float) -> dict[str, str]:
    """The name of the best of ``rows`` on PSNR, CIEDE2000, LPIPS and colourfulness (closest to the truth's)."""
    best = {"PSNR": max(rows, key=lambda r: r["psnr"]), "CIEDE2000": min(rows, key=lambda r: r["ciede2000"]),
            "LPIPS": min(rows, key=lambda r: r["lpips"] if r["lpips"] is not None else float("inf")),
            "colourfulness closest to the truth's": min(rows, key=lambda r: abs(r["colourfulness"] - colourfulness_true))}
    return {k: row_name(v) for k, v in best.items()}

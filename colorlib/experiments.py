"""The study's named experiments: the registry of runs and the training-config of each under a profile.

``config(name, P)`` turns a profile's parameters ``P`` (``colorlib.profiles.resolve``) into the ``TrainConfig`` of
a named experiment (every training parameter the profile names, then the experiment's own fields);
``run(name, P)`` trains it through the run cache (a re-run loads it), ``runs(name, P)`` once per training seed of
``P.seeds``. ``snapshot`` is a run's state after fewer epochs, ``run_on`` an experiment trained on a chosen subset of photos (``chroma_split``). What the notebooks
measure on these runs is in ``colorlib.evaluation``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from colorlib import data, metrics, models, parallel, train
from colorlib.config import TrainConfig
from colorlib.runs import Run, load_data

STYLE_INIT = "he"
"""How the style encoder of the study's AdaIN experiments starts (``ModelConfig.style_init``): He-initialised, a
deviation from the study's recipe (PyTorch's default init), decided after looking at the seed-by-seed tables of
``report/stability.md`` and before the report was run with it. Under the default the latents start about 100
times smaller and almost the same for every photo, and whether the style path learns within 30 epochs was a
lottery of seed and CPU (7 of 12 seeds on one CPU, 5 of 12 on another, different seeds); with He's init all 12
learned on the same budget. ``benchmarks/transfer_by_seed.py --style-init default`` still measures the
study's init. Notebook 13's improved models keep the default (their distribution loss drives the style path from
the first step, and the shipped weights come from them)."""

# Each experiment: TrainConfig fields on top of the profile's common ones. "model" entries update the
# final model's config. The colour loss of the final method is MSE + LPIPS (weight from the profile).
FINAL_LOSS = "mse+lpips"
IMPROVED = {"mode": "mixed", "crop_scale": 2.0, "paint_fraction": 0.3, "style_dropout": 0.5,
            "style_metric": "sliced_wasserstein", "style_weight": 1.0}
"""The improved model's training (notebook 13): 30 % of the samples styled by a painting and pulled to its a*b*
distribution (sliced Wasserstein, weight 1), half of the rest coloured by the automatic-mode head."""
IMPROVED_MODEL = {"auto_head": True, "style_init": "default"}
"""The improved model: the final one with an automatic-mode head, its style encoder at PyTorch's init (STYLE_INIT)."""
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
    # 13: the improved model (the one that ships), not the study's recipe: one model for colouring with a
    # painting and without any reference (an automatic-mode head trained by style dropout), painting-styled
    # samples pulled to the painting's colour distribution (the answer to the failed combined loss of 04),
    # random crops at scales 1x-2x from images pre-resized to twice the crop size
    "improved_rgb": {**IMPROVED, "model": {**IMPROVED_MODEL}},
    "improved_lab": {**IMPROVED, "model": {**IMPROVED_MODEL, "space": "lab"}},
    # 13's ablations of the LAB model: no painting samples (no distribution loss), crops at one scale
    "improved_lab_implicit": {**IMPROVED, "paint_fraction": 0.0, "model": {**IMPROVED_MODEL, "space": "lab"}},
    "improved_lab_one_scale": {**IMPROVED, "crop_scale": None, "model": {**IMPROVED_MODEL, "space": "lab"}},
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


def config(name: str, P, **changes) -> TrainConfig:
    """TrainConfig of experiment ``name`` under profile parameters ``P``; ``changes`` override fields
    (``model=dict(...)`` updates the model config, ``loss="l1"`` names a loss)."""
    name = ALIASES.get(name, name)
    if name not in EXPERIMENTS:
        raise ValueError(f"unknown experiment {name!r}; known: {', '.join(sorted(EXPERIMENTS))}")
    spec = {**EXPERIMENTS[name], **changes}
    model_changes = {"style_init": STYLE_INIT, **EXPERIMENTS[name].get("model", {}), **changes.get("model", {})}
    spec["model"] = models.ModelConfig.preset("final", **model_changes)
    loss = spec.pop("loss", FINAL_LOSS)
    spec["loss"] = _loss_spec(loss, P) if isinstance(loss, str) else loss
    if spec.get("crop_scale") and "resize" not in spec:  # crops of up to crop_scale x the size need that much image
        spec["resize"] = int(round(P.size * spec["crop_scale"]))
    return TrainConfig.from_params(P, tag=name, **spec)


def run(name: str, P, progress: bool = True, **changes) -> Run:
    """Train experiment ``name`` with seed ``P.seed`` (or load it from the run cache; ``P.retrain`` forces
    training)."""
    return train.train(config(name, P, **changes), retrain=bool(P.retrain), progress=progress)


def with_seed(P, seed: int):
    """``P`` with another training seed."""
    return SimpleNamespace(**{**vars(P), "seed": int(seed)})


def runs(name: str, P, progress: bool = True, **changes) -> list[Run]:
    """Experiment ``name`` trained once per seed of ``P.seeds`` (each through the run cache), in seed order; the
    seeds missing from the cache train side by side on a multi-core CPU (``colorlib.parallel``)."""
    return parallel.train_all([config(name, with_seed(P, s), **changes) for s in P.seeds],
                              retrain=bool(P.retrain), progress=progress)


def describe(run: Run) -> dict:
    """Identifying facts of a run for the results JSON: key, parameters, epochs, precision, cached, LPIPS trunk."""
    cfg = run.config
    return {"key": run.key, "tag": cfg.tag, "mode": cfg.mode, "model": dataclasses.asdict(cfg.model),
            "parameters": models.count_parameters(run.model), "epochs": cfg.epochs, "size": cfg.size,
            "loss": cfg.loss, "lpips_label": run.lpips_label, "cached": run.cached, "precision": cfg.precision,
            "train_seconds": run.summary.get("train_seconds")}


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


def snapshot(name: str, P, epochs: int, progress: bool = True, **changes) -> Run:
    """Experiment ``name`` as it stood after ``epochs`` epochs: a run of that length, with its *last* weights.

    Training is a deterministic function of (config, data, seed), the learning rate has no schedule and the
    data order and dropout of epoch ``e`` do not depend on the total number of epochs, so this run is the first
    ``epochs`` epochs of a longer run of the same experiment (``same_start`` checks it on the loss histories);
    the run cache makes it free on a re-run."""
    return run(name, P, progress=progress, epochs=epochs, **changes).load_weights("last")


def same_start(short: Run, long: Run, key: str = "train_loss") -> float:
    """Largest absolute difference of ``key`` over the epochs both runs have (0.0: the short run is the start of
    the long one)."""
    a = [row.get(key) for row in short.history]
    b = [row.get(key) for row in long.history[:len(a)]]
    if len(b) < len(a) or any(x is None or y is None for x, y in zip(a, b)):
        return float("nan")
    return float(max(abs(x - y) for x, y in zip(a, b)))


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


def _data_on(cfg: TrainConfig, train_records: list):
    """``cfg``'s images with the given training photos in place of its own."""
    td = load_data(cfg, progress=False)
    td.train = list(train_records)
    return td


def run_on(name: str, P, train_records: list, progress: bool = True, **changes) -> Run:
    """Experiment ``name`` trained on the given training photos (validation photos and paintings as usual);
    the run key hashes the images, so the run cache works as for ``run``."""
    cfg = config(name, P, **changes)
    return train.train(cfg, retrain=bool(P.retrain), progress=progress, data=_data_on(cfg, train_records))


def runs_on(name: str, P, train_records: list, progress: bool = True, **changes) -> list[Run]:
    """``run_on`` once per seed of ``P.seeds`` (side by side where ``runs`` would be)."""
    cfgs = [config(name, with_seed(P, s), **changes) for s in P.seeds]
    return parallel.train_all(cfgs, retrain=bool(P.retrain), progress=progress, data=_data_on(cfgs[0], train_records))

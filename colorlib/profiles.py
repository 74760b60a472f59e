"""Named parameter sets for the notebooks, in the spirit of nanoGPT's configs.

- ``smoke``: seconds per notebook on a laptop CPU; the tests run every notebook with it.
- ``report`` (default): the embedded offline data (gcompris-qt-data photos and paintings) on CPU; the committed
  figures and ``report/claims.md`` come from this profile. It trains in bf16 mixed precision where the machine
  computes bf16 natively (AVX512-BF16 or AMX, as on AMD Zen 4), there in the channels_last memory format, and in
  fp32 elsewhere: ``precision="auto"``, ``channels_last="auto"``.
- ``paper``: the original study's scale for a GPU with a network: imagenet-1k photos and huggan/wikiart
  paintings streamed from the Hugging Face hub, 128 px, 50k training images, 32 epochs.

A notebook's ``parameters`` cell names the profile and sets overrides to ``None``; the next cell calls
``resolve(profile, notebook, **overrides)``, which starts from the profile's common values, applies the
notebook's own section, then any override that is not ``None``.

``seeds`` are the training seeds of every run a verdict or a headline number depends on (3 under ``report``);
``seed`` (0) is the one seed of what needs only one (snapshots, figures' choices) and never varies with them.

Overrides for a whole report: ``COLORLIB_OVERRIDES`` (a JSON object of parameter values, which
``python -m colorlib.report --set KEY=VALUE`` writes for the notebooks it runs) is applied by ``resolve`` on top
of the profile and its notebook sections, before the notebook's own arguments; each value goes to the notebooks
that have the parameter, and a name no notebook knows is an error. The test suite's miniature paper run is
``--profile paper`` with its sizes set this way; results record the overrides, and ``report/claims.md`` shows
them beside the profile.
"""
from __future__ import annotations

import copy
import json
import os
from types import SimpleNamespace

from colorlib.config import TrainConfig

REPORT_GOALS = {"cold": 90 * 60, "warm": 3 * 60}
"""Time goals of the report, in seconds: the first run with the report profile's three seeds (issue 15 let it
grow from 60 min for one seed to 90 min for three) and a re-run with warm caches (issue 4)."""

TRAINING_FIELDS = ("source", "size", "limit", "val_limit", "style_limit", "epochs", "batch_size", "lr", "seed",
                   "device", "compile", "channels_last", "num_workers", "precision", "threads")
"""The ``TrainConfig`` fields a profile sets. Their common values are TrainConfig's defaults (the report
profile's): ``experiments.config`` hands every one of them on to the runs, so no field is copied by hand."""

COMMON = {
    # data and training: photos from `source` ("gcompris", "samples", a folder path, or a hub name), crops of
    # `size` px (a multiple of 16), at most `limit` training photos (None: all), `val_limit` validation photos
    # (None: all; a tenth of `limit` from a hub), `style_limit` paintings (None: all; a hub needs a number), ...
    **{name: getattr(TrainConfig(), name) for name in TRAINING_FIELDS},
    "style_source": "gcompris",  # paintings: "gcompris", a folder path, or "huggan/wikiart"
    "eval_size": 64,  # evaluation crop side
    "n_eval": None,  # cap on held-out photos evaluated (None: all of the test split)
    "n_show": 6,  # photos shown in example figures
    "n_styles": 6,  # paintings shown in style-transfer figures
    "seeds": (0,),  # training seeds of every run a verdict or a headline number depends on
    "lpips_net": "squeeze",  # "alex" as in the study where its weights exist; "squeeze" offline
    "lpips_weight": 0.1,
    "retrain": False,
}

PROFILES: dict[str, dict] = {
    "smoke": {
        "common": {"size": 32, "eval_size": 32, "limit": 24, "n_eval": 6, "n_show": 3, "n_styles": 3,
                   "epochs": 1, "batch_size": 8},
        "05": {"full_epochs": 1},
    },
    "report": {
        # precision "auto": bf16 where the CPU (or GPU) computes it natively, fp32 elsewhere (train.auto_precision);
        # the results record which, and it is part of every run key, so the two never share a cached run.
        # channels_last "auto": with bf16 only. benchmarks/bench_precision.py (its numbers in the README's
        # generated "precision" block) found channels_last a clear gain in bf16 and within the noise in fp32, so fp32
        # runs keep the contiguous format they were trained in.
        # threads 1: every run trains on one CPU thread, so its numbers do not depend on the machine's core count,
        # and a notebook's seeds train side by side, one process each (colorlib.parallel): sooner on 2 cores than
        # one after another on two threads each (benchmarks/bench_parallel.py; the timings table).
        "common": {"seeds": (0, 1, 2), "precision": "auto", "channels_last": "auto", "threads": 1},
        "04": {"epochs": 20},
        "05": {"full_epochs": 6},  # the full-width run costs ~45 s an epoch on 2 CPU cores
        # Further studies (07-11) add about a quarter of an hour of training on 2 CPU cores: 07's five losses
        # at 20 epochs (+ 5-epoch snapshots); 09's pix2pix at 20 epochs like 07's L1 run it is compared with;
        # 08 (two half-size subsets) and 10 (one AdaIN run, like 06's LAB run) at the common 30 epochs.
        "07": {"epochs": 20},
        "09": {"epochs": 20},
    },
    "paper": {
        "common": {"source": "imagenet-1k", "style_source": "huggan/wikiart", "size": 128, "eval_size": 128,
                   "limit": 50_000, "style_limit": 1_000, "n_eval": 500, "epochs": 32, "batch_size": 64, "lr": 1e-4,
                   "lpips_net": "alex", "compile": True, "channels_last": True, "num_workers": 4, "seeds": (0, 1, 2)},
    },
}

# Notebook-specific defaults shared by every profile (a profile's section may override them).
NOTEBOOK_DEFAULTS: dict[str, dict] = {
    "04": {"alpha": 0.7, "style_lr_ratio": 0.1, "dual_lr": 1e-4},
    # full_epochs: the full-width collapse run is 8-14x slower than the quarter model (None: same as epochs)
    "05": {"full_epochs": None, "latent_sizes": (16, 32, 64, 128)},
    # early_epochs: the earlier point of training shown in 07 (None: a quarter of the epochs)
    "07": {"early_epochs": None},
    # chroma_fraction: share of the training photos in each of the low- and high-colourfulness subsets
    "08": {"chroma_fraction": 0.5},
    # n_failures: held-out photos shown as pix2pix's failure cases
    "09": {"n_failures": 4},
    # comparison_paintings: paintings used as styles in the table, spread over the set by experiments.pick_styles
    # (None: n_styles, as in the style-transfer figures; a warm re-run's time grows with it, about 3 s a painting)
    "11": {"comparison_paintings": None},
}


def names() -> list[str]:
    return sorted(PROFILES)


def resolve(profile: str = "report", notebook: str | None = None, **overrides) -> SimpleNamespace:
    """Parameters for ``notebook`` (e.g. "03") under ``profile``; ``None`` overrides are ignored."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(names())}")
    params = copy.deepcopy(COMMON)
    params.update(PROFILES[profile].get("common", {}))
    if notebook is not None:
        params.update(NOTEBOOK_DEFAULTS.get(notebook, {}))
        params.update(PROFILES[profile].get(notebook, {}))
    unknown = sorted(k for k in overrides if k not in params)
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)} for notebook {notebook} "
                         f"(known: {', '.join(sorted(params))})")
    forced = check_overrides(profile, env_overrides())
    params.update({k: v for k, v in forced.items() if k in params})
    params.update({k: v for k, v in overrides.items() if v is not None})
    params["seeds"] = _seeds(params["seeds"])
    if params["precision"] == "auto":
        from colorlib import train  # lazily: train imports the data and model code

        params["precision"] = train.auto_precision()
    if params["channels_last"] == "auto":
        params["channels_last"] = params["precision"] == "bf16"
    params["profile"] = profile
    params["notebook"] = notebook
    params["overrides"] = forced
    return SimpleNamespace(**params)


OVERRIDES_ENV = "COLORLIB_OVERRIDES"


def env_overrides() -> dict:
    """The parameter values ``COLORLIB_OVERRIDES`` sets for every notebook ({} when it is unset)."""
    raw = os.environ.get(OVERRIDES_ENV, "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ValueError(f"{OVERRIDES_ENV} must be a JSON object of parameter values, got {raw!r} ({err})") from None
    if not isinstance(value, dict):
        raise ValueError(f"{OVERRIDES_ENV} must be a JSON object of parameter values, got {raw!r}")
    return value


def known_parameters(profile: str) -> set[str]:
    """Every parameter some notebook has under ``profile`` (the common ones, the notebooks' own)."""
    names = set(COMMON) | {k for section in NOTEBOOK_DEFAULTS.values() for k in section}
    return names | {k for section in PROFILES[profile].values() for k in section}


def check_overrides(profile: str, overrides: dict) -> dict:
    """``overrides`` when every name in it is a parameter of some notebook under ``profile``; else ValueError."""
    unknown = sorted(set(overrides) - known_parameters(profile))
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(unknown)} in the overrides ({OVERRIDES_ENV} / --set); "
                         f"known: {', '.join(sorted(known_parameters(profile)))}")
    return dict(overrides)



def _seeds(value) -> tuple[int, ...]:
    """Training seeds as a tuple of distinct ints (a papermill parameter arrives as a list)."""
    seeds = (value,) if isinstance(value, int) else tuple(value)
    bad = any(isinstance(s, bool) or not isinstance(s, int) or s < 0 for s in seeds)
    if not seeds or bad or len(set(seeds)) < len(seeds):
        raise ValueError(f"seeds must be distinct integers >= 0, got {value!r}")
    return seeds

"""Figure and table helpers shared by the notebooks; every figure is written into ``figures/`` by code.

Images may be given as (3,H,W) or (1,H,W) tensors in [0, 1], HxWx3 arrays or PIL images.
"""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Iterable, Mapping, Sequence

import matplotlib
import matplotlib.colors
import matplotlib.pyplot as plt
import numpy as np

from colorlib.files import atomic_path
from colorlib.paths import figures_dir


def to_image_array(image) -> np.ndarray:
    """HxWx3 float array in [0, 1] from a tensor, array or PIL image (gray is replicated to 3 channels)."""
    if hasattr(image, "detach"):
        image = image.detach().float().cpu().numpy()
        if image.ndim == 3 and image.shape[0] in (1, 2, 3):
            image = image.transpose(1, 2, 0)
    elif not isinstance(image, np.ndarray):
        image = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 2:
        image = image[..., None]
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    if image.max() > 1.0 + 1e-3:
        image = image / 255.0
    return np.clip(image, 0.0, 1.0)


FIGURE_LOG_ENV = "COLORLIB_FIGURE_LOG"  # a file save_figure appends each figure's name to (set by colorlib.report)


def save_figure(fig, name: str, dpi: int = 110) -> None:
    """Write ``fig`` to ``figures/<name>`` (PNG unless the name says otherwise).

    Returns nothing, so a notebook cell ending with it shows the figure, not a machine path."""
    path = figures_dir() / (name if Path(name).suffix else f"{name}.png")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=path.suffix[1:])
    log = os.environ.get(FIGURE_LOG_ENV)
    if log:  # colorlib.report attributes each figure to the notebook that wrote it, also when they run at once
        with open(log, "a", encoding="utf-8") as f:
            f.write(path.name + "\n")


def image_grid(rows: Sequence[Sequence], row_titles: Sequence[str] | None = None,
               col_titles: Sequence[str] | None = None, cell: float = 1.6, title: str | None = None):
    """A grid of images, one list per row; returns the figure."""
    n_rows, n_cols = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(cell * n_cols, cell * n_rows), squeeze=False)
    for r, row in enumerate(rows):
        for c in range(n_cols):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if c < len(row) and row[c] is not None:
                ax.imshow(to_image_array(row[c]))
            if r == 0 and col_titles is not None and c < len(col_titles):
                ax.set_title(col_titles[c], fontsize=8)
            if c == 0 and row_titles is not None and r < len(row_titles):
                ax.set_ylabel(row_titles[r], fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _seed_histories(history) -> list[Sequence[Mapping]]:
    """A run's history, or several seeds' histories, as a list of histories."""
    return list(history) if history and isinstance(history[0], (list, tuple)) else [history]


def _curve(histories: list[Sequence[Mapping]], key: str):
    """(epochs, mean, low, high) of ``key`` over seeds, on the epochs every seed has (None when no seed has it)."""
    per_seed = [{h["epoch"]: h[key] for h in hist if h.get(key) is not None} for hist in histories]
    epochs = sorted(set.intersection(*(set(p) for p in per_seed)))
    if not epochs:
        return None
    values = np.array([[p[e] for e in epochs] for p in per_seed], dtype=np.float64)
    return epochs, values.mean(axis=0), values.min(axis=0), values.max(axis=0)


def _plot_curve(ax, histories, key: str, label: str, **style) -> None:
    """The seed-mean curve of ``key``, with a band from the lowest to the highest seed when there are several."""
    curve = _curve(histories, key)
    if curve is None:
        return
    epochs, mean, low, high = curve
    n = len(histories)
    (line,) = ax.plot(epochs, mean, marker=".", label=label + (f" ({n} seeds)" if n > 1 else ""), **style)
    if n > 1:
        ax.fill_between(epochs, low, high, color=line.get_color(), alpha=0.2, lw=0)


def plot_histories(histories: Mapping[str, Sequence], keys: Iterable[str], logy: bool = False,
                   title: str | None = None, ylabel: str = "loss"):
    """Per-epoch curves: one line per (run, key) present in the runs' histories. A value may be one run's
    history or a list of several seeds' histories: then the line is their mean and a band spans the seeds."""
    keys = list(keys)
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    for label, history in histories.items():
        for key in keys:
            _plot_curve(ax, _seed_histories(history), key, f"{label}: {key}" if len(keys) > 1 else label)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def latent_histograms(latents: Mapping[str, np.ndarray], bins: int = 40, title: str | None = None):
    """Histogram of style-encoder latent values (not image pixels) for each named set of latents (N, D)."""
    n = len(latents)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 2.8), squeeze=False)
    for ax, (label, values) in zip(axes[0], latents.items()):
        values = np.asarray(values, dtype=np.float64)
        ax.hist(values.ravel(), bins=bins, color="tab:blue", alpha=0.8)
        dead = float((values.max(axis=0) <= 1e-6).mean()) if values.ndim == 2 else float("nan")
        ax.set_title(f"{label}\nmean {values.mean():.3g}, std {values.std():.3g}, dead {dead:.0%}", fontsize=8)
        ax.set_xlabel("latent value")
    axes[0][0].set_ylabel("count")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def bar_chart(values: Mapping[str, Mapping[str, float]], metrics: Sequence[str], title: str | None = None,
              errors: Mapping[str, Mapping[str, float]] | None = None):
    """Grouped bars: one group per metric, one bar per model; each metric gets its own panel (units differ).
    ``errors[model][metric]``: the half-length of an error bar (the spread over seeds)."""
    n = len(metrics)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.8 * rows), squeeze=False)
    names = list(values)
    for i, metric in enumerate(metrics):
        ax = axes[i // cols][i % cols]
        heights = [values[m].get(metric, np.nan) for m in names]
        yerr = None if errors is None else [errors.get(m, {}).get(metric, np.nan) for m in names]
        ax.bar(range(len(names)), heights, yerr=yerr, capsize=3, color=plt.cm.tab10(np.arange(len(names)) % 10))
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=45, ha="right", fontsize=7)
        ax.set_title(metric, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].axis("off")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def markdown_table(rows: Sequence[Mapping], columns: Sequence[str] | None = None, digits: int = 3) -> str:
    """A Markdown table of dict rows (numbers rounded to ``digits`` significant figures)."""
    if not rows:
        return "(no rows)"
    columns = list(columns or rows[0].keys())

    def fmt(v):
        if isinstance(v, float):
            return "n/a" if math.isnan(v) else f"{v:.{digits}g}" if abs(v) < 1e4 else f"{v:.0f}"
        return str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def colour_statistics(sets: Mapping[str, tuple[np.ndarray, "np.ndarray"]], bins: int = 60, ab_range: float = 80.0):
    """Colourfulness histograms of several image sets, and each set's pixel density in the CIE a*b* plane.

    ``sets``: name -> (colourfulness per image (N,), ab pixels (2, M) as a tensor or array)."""
    n = len(sets)
    fig, axes = plt.subplots(1, n + 1, figsize=(3.6 * (n + 1), 3.2))
    for name, (cf, _) in sets.items():
        axes[0].hist(np.asarray(cf), bins=15, alpha=0.6, label=f"{name} (median {np.median(cf):.0f})")
    axes[0].set_xlabel("colourfulness (Hasler-Suesstrunk)")
    axes[0].set_ylabel("images")
    axes[0].legend(fontsize=7)
    for ax, (name, (_, ab)) in zip(axes[1:], sets.items()):
        ab = np.asarray(ab)
        ax.hist2d(ab[0], ab[1], bins=bins, range=[[-ab_range, ab_range]] * 2, cmap="magma", density=True,
                  norm=matplotlib.colors.LogNorm())
        ax.set_title(f"{name}: a*b* density", fontsize=9)
        ax.set_xlabel("a*")
        ax.set_ylabel("b*")
    fig.tight_layout()
    return fig


def example_rows(photos_rgb, outputs: Mapping[str, Sequence]) -> list[list]:
    """Rows for ``image_grid``, one per photo: gray input | each model's output | truth."""
    from colorlib.metrics import gray_baseline

    return [[gray_baseline(photos_rgb[i:i + 1])[0]] + [out[i] for out in outputs.values()] + [photos_rgb[i]]
            for i in range(len(photos_rgb))]


def style_grids(transfers: Mapping[str, object], photos_rgb, styles_rgb, style_names: Sequence[str],
                title: str | None = None, cell: float = 1.3):
    """Several models' style-transfer grids stacked (``evaluation.StyleTransfer.grid_rows``): one header row of
    paintings, then per model its rows gray | oracle | one output per painting for the first photos."""
    rows, titles = [], []
    for label, st in transfers.items():
        grid = st.grid_rows(photos_rgb, styles_rgb)
        rows += grid[1:] if rows else grid
        titles += ([""] if len(titles) == 0 else []) + [f"{label} {i}" for i in range(len(photos_rgb))]
    return image_grid(rows, row_titles=titles, col_titles=["gray", "oracle"] + [n[:18] for n in style_names],
                      cell=cell, title=title)


def history_panels(histories: Mapping[str, Sequence], keys: Sequence[str], mark_epoch: int | None = None):
    """One panel per run (levels differ between runs' losses): each key's per-epoch curve (seed mean and band, as
    ``plot_histories``), and a dotted line at ``mark_epoch``."""
    fig, axes = plt.subplots(1, len(histories), figsize=(3.1 * len(histories), 2.7), squeeze=False)
    for ax, (label, history) in zip(axes[0], histories.items()):
        for key in keys:
            _plot_curve(ax, _seed_histories(history), key, key)
        if mark_epoch is not None:
            ax.axvline(mark_epoch, color="gray", ls=":", lw=1)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("epoch")
    axes[0][0].set_ylabel("loss")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def overlaid_histograms(sets: Mapping[str, np.ndarray], colours: Sequence[str], xlabel: str, ylabel: str,
                        n_bins: int = 25):
    """Histograms of several sets of values on shared bins (0 to 1.05 x the largest value)."""
    fig, ax = plt.subplots(figsize=(5.6, 3.0))
    bins = np.linspace(0, max(float(np.max(v)) for v in sets.values()) * 1.05, n_bins)
    for (label, values), colour in zip(sets.items(), colours):
        ax.hist(values, bins=bins, color=colour, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def predicted_vs_true(truth: np.ndarray, predicted: Mapping[str, np.ndarray], colours: Sequence[str], xlabel: str,
                      ylabel: str):
    """Scatter of each model's per-image value against the truth's, with the diagonal."""
    fig, ax = plt.subplots(figsize=(4.6, 4.2))
    top = max(truth.max(), max(v.max() for v in predicted.values())) * 1.05
    ax.plot([0, top], [0, top], color="black", lw=0.8, ls=":", label="prediction = truth")
    for (name, values), colour in zip(predicted.items(), colours):
        ax.scatter(truth, values, s=14, color=colour, label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def metric_columns(rows: Sequence[Mapping], labels: Sequence[str], keys: Sequence[str], title: str):
    """Horizontal bars, one panel per metric, one bar per row (``None`` values are left empty)."""
    fig, axes = plt.subplots(1, len(keys), figsize=(2.1 * len(keys) + 2.4, 0.26 * len(labels) + 1.2), sharey=True)
    for ax, key in zip(axes, keys):
        values = [np.nan if r[key] is None else r[key] for r in rows]
        ax.barh(range(len(labels)), values, color=plt.cm.tab20(np.arange(len(labels)) % 20))
        ax.set_title(key, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(labels)))
    axes[0].set_yticklabels(labels, fontsize=7)
    axes[0].invert_yaxis()
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


VERDICT_COLOURS = {"reproduced": "#2e7d32", "partly": "#f9a825", "inconclusive": "#bdbdbd",
                   "not reproduced": "#c62828"}


def verdict_shares(cells: Mapping[str, Mapping[str, Mapping[str, int]]], agree: Mapping[str, tuple[int, int]],
                   title: str | None = None):
    """How often each verdict came out, claim by claim (rows) and seed-set size by size (columns): each cell a
    bar split by the share of the reports giving each verdict (``cells[claim][column][verdict]`` = count); beside
    it, the share of pairs of disjoint reports with every verdict identical (``agree[column]`` = (pairs agreeing,
    pairs))."""
    claims_, columns = list(cells), list(next(iter(cells.values()), {}))
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(2.0 + 1.7 * len(columns) + 2.6, 0.9 + 0.42 * len(claims_)),
                                 gridspec_kw={"width_ratios": [len(columns), 1.3]})
    for i, cid in enumerate(claims_):
        for j, column in enumerate(columns):
            count = cells[cid].get(column, {})
            total, left = sum(count.values()), j * 1.15
            for verdict, colour in VERDICT_COLOURS.items():
                if count.get(verdict):
                    width = count[verdict] / total
                    ax.barh(i, width, left=left, height=0.7, color=colour, edgecolor="white", linewidth=0.5)
                    left += width
    ax.set_yticks(range(len(claims_)), claims_)
    ax.invert_yaxis()
    ax.set_xticks([j * 1.15 + 0.5 for j in range(len(columns))], columns)
    ax.set_xlim(-0.05, len(columns) * 1.15 - 0.1)
    ax.tick_params(length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title("share of reports giving each verdict", fontsize=10)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in VERDICT_COLOURS.values()]
    ax.legend(handles, list(VERDICT_COLOURS), loc="upper center", bbox_to_anchor=(0.5, -0.08 - 0.3 / max(1, len(claims_))),
              ncol=len(VERDICT_COLOURS), frameon=False, fontsize=8)
    names = list(agree)
    shares = [agree[n][0] / agree[n][1] for n in names]
    bx.bar(range(len(names)), shares, color="#1565c0")
    for k, n in enumerate(names):
        bx.text(k, shares[k] + 0.02, f"{agree[n][0]} of {agree[n][1]}", ha="center", fontsize=8)
    bx.set_xticks(range(len(names)), names)
    bx.set_ylim(0, 1.1)
    bx.set_ylabel("pairs with every verdict identical")
    bx.set_title("disjoint pairs agreeing", fontsize=10)
    for side in ("top", "right"):
        bx.spines[side].set_visible(False)
    if title:
        fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def agreement_curves(curves: Mapping[str, Mapping[int, float]], together: tuple[str, Mapping[int, float]],
                     observed: Mapping[int, tuple[int, int]] | None = None, goal: float = 0.95, title: str | None = None):
    """The chance that two disjoint seed sets give the same verdict, against the seeds per report (log scale): a
    thin line per claim (``curves[claim][seeds]``), a thick one for ``together`` (label, curve), the pool's
    observed share for it as dots (``observed[seeds]`` = (pairs agreeing, pairs)) and the goal as a dashed line."""
    fig, ax = plt.subplots(figsize=(8.2, 4.2))
    for i, (cid, curve) in enumerate(curves.items()):
        xs = sorted(curve)  # past ten claims the colours repeat, so the line style changes with them
        ax.plot(xs, [curve[x] for x in xs], lw=1.0, alpha=0.75, marker=".", ls=("-", "--", ":")[i // 10 % 3],
                label=cid)
    label, curve = together
    xs = sorted(curve)
    ax.plot(xs, [curve[x] for x in xs], lw=2.6, color="black", label=label)
    if observed:
        seen = {s: ok / n for s, (ok, n) in observed.items() if n}
        ax.plot(list(seen), list(seen.values()), "o", mfc="white", mec="black", ms=7,
                label=f"{label}: the seed pool's disjoint pairs")
    ax.axhline(goal, ls="--", color="grey", lw=1)
    ax.set_xscale("log")
    ax.set_xticks(xs, [str(x) for x in xs])
    ax.minorticks_off()
    ax.set_ylim(0, 1.03)
    ax.set_xlabel("seeds per report")
    ax.set_ylabel("chance two disjoint seed sets agree")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # beside: off the curves
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def strictness_tradeoff(levels: Sequence[str], by_size: Mapping[int, Mapping[str, Sequence[float]]],
                        goal: float = 0.95, title: str | None = None):
    """Two panels against the interval's level (``levels``, labels): the chance two disjoint seed sets agree on
    every claim (``by_size[seeds]["projected"]`` as lines, ``["observed"]`` as dots, the goal dashed), and the claims
    a report decides (``["decided"]``)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.6, 3.6))
    xs = range(len(levels))
    for (size, d), color in zip(by_size.items(), ("tab:blue", "tab:orange", "tab:green")):
        left.plot(xs, d["projected"], color=color, lw=2, label=f"{size} seeds, projected")
        left.plot(xs, d["observed"], "o", mfc="white", mec=color, ms=7, label=f"{size} seeds, the pool's pairs")
        right.plot(xs, d["decided"], color=color, lw=2, marker="o", label=f"{size} seeds")
    left.axhline(goal, ls="--", color="grey", lw=1)
    left.set_ylim(0, 1.03)
    left.set_ylabel("chance two disjoint seed sets agree")
    right.set_ylim(bottom=0)
    right.set_ylabel("claims decided per report")
    for ax in (left, right):
        ax.set_xticks(list(xs), list(levels))
        ax.set_xlabel("interval level")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        # below the axes, where it hides no point and no goal line
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(0, -0.2), ncol=2)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig

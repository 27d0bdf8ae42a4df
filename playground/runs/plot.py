"""A sweep's curves as a PNG, drawn headless with matplotlib's Agg canvas (no Qt, no pyplot).

One panel per metric: the loss and, for classification, the accuracy (R² for regression), of
the test split, or of the training split when there is none. Each group of runs that differ
only in their seed gets a colour: every run a faint line, the mean over the seeds a solid
one, and a band from the lowest to the highest seed at each epoch.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence

import numpy as np

from playground.runs.record import PALETTE, RunRecord

#: Panels in order: (title, the curve keys to try, the first with a finite value wins).
PANELS = (("loss", ("test_loss", "train_loss")),
          ("accuracy", ("test_accuracy", "train_accuracy")),
          ("R²", ("test_r2", "train_r2")))


def _metric(records: Sequence[RunRecord], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if any(key in r.curves and np.isfinite(r.curves[key]).any() for r in records):
            return key
    return None


def group_stats(records: Sequence[RunRecord], key: str
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(epochs, mean, lowest, highest) of one curve over runs, at every epoch any run
    recorded (NaN-aware: a run that stopped early counts only while it ran)."""
    epochs = np.unique(np.concatenate([r.curves["epoch"] for r in records]))
    table = np.full((len(records), epochs.size), np.nan)
    for i, r in enumerate(records):
        table[i, np.searchsorted(epochs, r.curves["epoch"])] = r.curves[key]
    table[~np.isfinite(table)] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Mean of empty slice" where no run has a value
        return epochs, np.nanmean(table, 0), np.nanmin(table, 0), np.nanmax(table, 0)


def curves_png(groups: Sequence[tuple[str, Sequence[RunRecord]]], title: str = "") -> bytes:
    """The PNG of ``groups`` ((label, the group's runs), one colour each)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    everything = [r for _, runs in groups for r in runs]
    panels = [(name, key) for name, keys in PANELS
              if (key := _metric(everything, keys)) is not None]
    fig = Figure(figsize=(6.0 * max(len(panels), 1), 4.5), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, max(len(panels), 1), squeeze=False)[0]
    for ax, (name, key) in zip(axes, panels):
        for g, (label, runs) in enumerate(groups):
            colour = PALETTE[g % len(PALETTE)]
            for r in runs:
                ax.plot(r.curves["epoch"], r.curves[key], color=colour, alpha=0.25, lw=0.8)
            epochs, mean, lo, hi = group_stats(runs, key)
            if len(runs) > 1:
                ax.fill_between(epochs, lo, hi, color=colour, alpha=0.15, lw=0)
            ax.plot(epochs, mean, color=colour, lw=1.8, label=label)
        values = np.concatenate([r.curves[key] for r in everything])
        values = values[np.isfinite(values)]
        if name == "loss" and values.size and values.min() > 0:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(key.replace("_", " ").replace("r2", "R²"))
        ax.set_title(name)
        ax.grid(True, alpha=0.3)
    if panels and len(groups) <= 20:
        axes[0].legend(fontsize="small")
    seeds = max((len(runs) for _, runs in groups), default=1)
    note = (f"{seeds} seeds per line: the mean, the band from lowest to highest"
            if seeds > 1 else "one seed per line")
    fig.suptitle(f"{title}  ({note})" if title else note, fontsize="medium")
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()

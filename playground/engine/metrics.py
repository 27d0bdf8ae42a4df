"""Regression metrics in the data's units, as ``sklearn.metrics`` computes them.

Both take targets ``y`` and predictions ``p`` of shape (n, n_targets) (a 1-D array is one
target) and average over the targets uniformly (sklearn's ``multioutput="uniform_average"``).
The trainer computes them in evaluation mode on each split, after undoing any target
standardization, so they read in the data's units whatever the loss was computed in.
``METRICS`` is the registry the app's help and the docs read.
"""

from __future__ import annotations

import math

import numpy as np

#: name -> (formula, one-line explanation)
METRICS: dict[str, tuple[str, str]] = {
    "r2": ("R² = 1 - Σ(y - ŷ)² / Σ(y - ȳ)²",
           "the share of the target's variance the model explains (1 is perfect, 0 is no "
           "better than predicting the split's mean, below 0 is worse); ȳ is the mean of the "
           "split evaluated; averaged over the targets"),
    "mae": ("MAE = mean |y - ŷ|",
            "the mean absolute error, in the target's units; averaged over the targets"),
}


def _columns(y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if y.ndim == 1:
        y = y.reshape(-1, 1)
    return y, p.reshape(y.shape)


@np.errstate(all="ignore")  # a diverged model's NaN predictions give NaN, not warnings
def r2_score(y: np.ndarray, p: np.ndarray) -> float:
    """R² = 1 - SS_res / SS_tot per target, SS_tot about the target's own mean over these rows,
    then the mean over targets. As sklearn's ``r2_score`` (``force_finite=True``): a constant
    target scores 1.0 if predicted exactly, else 0.0; under 2 rows the score is NaN."""
    y, p = _columns(y, p)
    if y.shape[0] < 2:
        return math.nan
    ss_res = ((y - p) ** 2).sum(axis=0)
    ss_tot = ((y - y.mean(axis=0)) ** 2).sum(axis=0)
    scores = np.where(ss_tot != 0, 1.0 - ss_res / np.where(ss_tot != 0, ss_tot, 1.0),
                      np.where(ss_res == 0, 1.0, 0.0))
    scores = np.where(np.isnan(ss_res), np.nan, scores)
    return float(scores.mean())


@np.errstate(all="ignore")
def mean_absolute_error(y: np.ndarray, p: np.ndarray) -> float:
    """MAE = mean over rows of |y - ŷ| per target, then the mean over targets (sklearn's
    ``mean_absolute_error``); NaN without rows."""
    y, p = _columns(y, p)
    if y.shape[0] == 0:
        return math.nan
    return float(np.abs(y - p).mean(axis=0).mean())

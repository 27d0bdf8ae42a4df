"""The seeded train/test split and z-score standardization (fitted on the training split only)."""

from __future__ import annotations

import numpy as np

from playground.errors import DataError


def n_test_rows(n: int, test_fraction: float) -> int:
    """round(n * test_fraction), Python's round (halves to even: 5 rows at 0.5 -> 2 test rows)."""
    return 0 if test_fraction == 0 else int(round(n * test_fraction))


def split(n: int, test_fraction: float,
          rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train_idx, test_idx), int64, each sorted ascending.

    ``perm = rng.permutation(n)``; the first round(n * test_fraction) entries are the test set,
    the rest the training set. Both keep the rows' original order, so which rows land where is
    the only thing the seed decides; the batch order is the trainer's shuffle stream's job.
    With test_fraction 0 nothing is drawn and every row trains, in order.
    """
    n_test = n_test_rows(n, test_fraction)
    if n - n_test < 1:
        raise DataError(f"data.test_fraction {test_fraction:g} of {n} rows leaves no training "
                        f"rows; lower it or add rows")
    if n_test == 0:
        return np.arange(n, dtype=np.int64), np.empty(0, dtype=np.int64)
    perm = rng.permutation(n).astype(np.int64)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def fit_standardize(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column mean and population std (ddof=0, as sklearn's StandardScaler) of x (n, f) -> (f,).

    A constant column has std 0; it is replaced by 1 so that (x - mean) / std maps it to 0.
    A column of huge values (|x| near 1e308) whose sum or squares overflow is computed on
    x / max|x| and scaled back, so that mean and std stay finite.
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        mean = x.mean(axis=0)
        std = x.std(axis=0)
    bad = ~(np.isfinite(mean) & np.isfinite(std))
    if bad.any():
        scale = np.abs(x[:, bad]).max(axis=0)
        scaled = x[:, bad] / scale
        mean[bad] = scaled.mean(axis=0) * scale
        std[bad] = scaled.std(axis=0) * scale
    std[std == 0] = 1.0
    return mean, std


def standardize(x: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """z = (x - mean) / std, column-wise (as x / std - mean / std where x - mean overflows)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        z = (x - mean) / std
    if not np.isfinite(z).all():
        z = np.where(np.isfinite(z), z, x / std - mean / std)
    return z

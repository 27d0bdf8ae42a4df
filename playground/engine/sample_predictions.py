"""Which samples the sample gallery shows, and the class the model predicts for each.

Qt-free, so the session computes it on the worker thread and ships it in a snapshot; the
gallery only draws what it is given. Image-shaped data: raw inputs (n, side * side), each row
a row-major side x side picture (``digits`` is 8 x 8, a 784-column CSV 28 x 28).

The gallery's split is the test split, the training split without one; its rows are indices
into that split, fixed for the run (evenly spread over it, so thumbnails do not churn from one
snapshot to the next).
"""

from __future__ import annotations

import math

import numpy as np

from playground.data.dataset import Dataset

#: At most this many thumbnails.
GALLERY_LIMIT = 200
#: The smallest picture counted as one: 4 x 4 (a 4-column table of measurements is not).
MIN_PIXELS = 16


def image_side(n_inputs: int) -> int | None:
    """The side of the square picture ``n_inputs`` raw inputs make (a perfect square of at
    least ``MIN_PIXELS``), else None: 64 -> 8, 784 -> 28, 13 -> None, 9 -> None."""
    side = math.isqrt(max(int(n_inputs), 0))
    return side if side * side == n_inputs and n_inputs >= MIN_PIXELS else None


def gallery_split(dataset: Dataset) -> str:
    """``"test"``, or ``"train"`` when the data has no test split."""
    return "test" if dataset.has_test else "train"


def split_arrays(dataset: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """(raw inputs (n, n_inputs), true labels (n,)) of ``gallery_split``."""
    if dataset.has_test:
        return dataset.raw_test, dataset.y_test
    return dataset.raw_train, dataset.y_train


def gallery_rows(dataset: Dataset, limit: int = GALLERY_LIMIT) -> np.ndarray:
    """Row indices (int64, ascending) into ``gallery_split`` for the gallery: every row up
    to ``limit``, else ``limit`` rows evenly spread over the split (its order is the seeded
    shuffle of the split, so they are a fair sample of it). Empty unless the data is
    image-shaped classification."""
    if dataset.task != "classification" or image_side(len(dataset.input_names)) is None:
        return np.zeros(0, np.int64)
    n = len(split_arrays(dataset)[1])
    if n <= limit:
        return np.arange(n, dtype=np.int64)
    return np.unique(np.linspace(0, n - 1, max(int(limit), 0)).round().astype(np.int64))


def predicted_classes(trainer, rows: np.ndarray) -> np.ndarray:
    """The class index (int64, (len(rows),)) ``trainer.predict`` gives the most probability,
    for rows of ``gallery_split`` (their model inputs, as the trainer holds them)."""
    rows = np.asarray(rows, np.int64)
    x = trainer.x_test if trainer.dataset.has_test else trainer.x_train
    if rows.size == 0:
        return np.zeros(0, np.int64)
    return np.asarray(trainer.predict(x[rows]).argmax(axis=1), np.int64)


def gallery(trainer, limit: int = GALLERY_LIMIT) -> tuple[np.ndarray, np.ndarray] | None:
    """A snapshot's ``gallery`` field: (rows, predicted classes) of ``gallery_rows``, or None
    when the data is not image-shaped classification. One batched ``predict`` call."""
    rows = gallery_rows(trainer.dataset, limit)
    if rows.size == 0:
        return None
    return rows, predicted_classes(trainer, rows)

"""A run's history as CSV (``playground train --history PATH.csv``): one row per epoch record.

Columns, in order (docs/cli.md lists them with their meaning):

- ``epoch``, ``lr`` (the rate the epoch trained at), ``batch_loss`` (the mean of its batches'
  losses);
- the evaluation of the task: ``train_loss``, ``test_loss`` and ``train_accuracy``,
  ``test_accuracy`` for classification; ``train_loss``, ``test_loss``, ``train_r2``,
  ``test_r2``, ``train_mae``, ``test_mae`` for regression; a perceptron adds ``mistakes``;
- the training dynamics (``engine.dynamics``), on the epochs it records: ``clipped``; then
  ``grad_norm.i`` for every tracked tensor (module ``i``'s weight: Linear and BatchNorm1d),
  ``update_ratio.i`` likewise, ``dead.j`` or ``saturated.j`` for every watched activation
  module ``j``; then ``hist_range.i`` and ``hist.i.0`` ... ``hist.i.30`` for every tensor
  (bin k of 31 spans [-R + 2Rk/31, -R + 2R(k+1)/31], R = ``hist_range.i``).

The columns are the run's (its model's modules), whatever the records hold: a cell is empty
where an epoch has no value (no test split, an epoch without evaluation or between two
dynamics records). Numbers are written in full (``repr``: they read back to the same
double); NaN and infinities as ``nan``, ``inf``, ``-inf``.
"""

from __future__ import annotations

import csv
import io
import os

from playground.engine.dynamics import BINS, MARK

BASE = ("epoch", "lr", "batch_loss")
EVALUATION = {"classification": ("train_loss", "test_loss", "train_accuracy", "test_accuracy"),
              "regression": ("train_loss", "test_loss", "train_r2", "test_r2", "train_mae",
                             "test_mae")}


def columns(trainer) -> list[str]:
    """The CSV's columns for this run."""
    cols = [*BASE, *EVALUATION[trainer.dataset.task]]
    if trainer.perceptron:
        cols.append("mistakes")
    rec = trainer.dynamics
    if not rec.tensors:
        return cols
    cols.append(MARK)
    for prefix in ("grad_norm", "update_ratio"):
        cols += [f"{prefix}.{i}" for i in rec.tensors]
    cols += list(rec.health_keys)
    for i in rec.tensors:
        cols.append(f"hist_range.{i}")
        cols += [f"hist.{i}.{k}" for k in range(BINS)]
    return cols


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def rows(trainer) -> list[list[str]]:
    """The cells of every record in ``trainer.history``, oldest first, as ``columns``."""
    cols = columns(trainer)
    out = []
    for record in trainer.history:
        flat = dict(record)
        for key, value in record.items():
            if key.startswith("hist.") and isinstance(value, list):
                flat.update((f"{key}.{k}", v) for k, v in enumerate(value))
        out.append([_cell(flat.get(c)) for c in cols])
    return out


def history_csv(trainer) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns(trainer))
    writer.writerows(rows(trainer))
    return buffer.getvalue()


def save_history_csv(path: str | os.PathLike, trainer) -> None:
    """Write ``history_csv`` atomically: a failure leaves no partial file."""
    from playground.io.atomic import atomic_write_text
    atomic_write_text(path, history_csv(trainer))

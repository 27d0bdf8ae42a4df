"""What the Runs view overlays: the metrics runs are compared by, each run's curve of one,
and the live run as a provisional record; never Qt.

A metric is a history curve ("test_loss", "lr", ...) or a per-layer gradient norm. Runs of
different depths are compared layer by layer from the input side: "layer k" is a run's k-th
hidden Linear (its curve ``grad_norm.i``, ``i`` that Linear's module index) and "output" its
last Linear, whatever lies between (activations, batchnorm, dropout).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from playground.config import ModelConfig, RunConfig
from playground.engine.trainer import EVALUATION_KEYS, Evaluation
from playground.io.export_spec import torch_modules
from playground.runs.record import LOWER_IS_BETTER, RunRecord


@dataclass(frozen=True)
class Metric:
    """A plottable quantity: a curve ``key``, or (``layer`` set) a gradient norm of the
    ``layer``-th hidden Linear (0-based; -1 the output Linear)."""

    label: str
    key: str = ""
    layer: int | None = None

    @property
    def positive(self) -> bool:
        """Whether its values are > 0, so a log axis suits it (losses, rates, norms)."""
        return self.layer is not None or self.key in ("train_loss", "test_loss", "lr",
                                                      "batch_loss")


#: The curve metrics, in the chooser's order.
CURVE_METRICS = (Metric("test loss", "test_loss"), Metric("train loss", "train_loss"),
                 Metric("test accuracy", "test_accuracy"),
                 Metric("train accuracy", "train_accuracy"),
                 Metric("test R²", "test_r2"), Metric("train R²", "train_r2"),
                 Metric("learning rate", "lr"))


@functools.lru_cache(maxsize=256)
def linear_indices(model: ModelConfig) -> tuple[int, ...]:
    """The module indices of a model's Linear layers, input side first (the last is the
    output layer); the widths do not matter for the indices."""
    return tuple(m.index for m in torch_modules(model, 1, 1) if m.kind == "linear")


def grad_key(config: RunConfig, layer: int) -> str | None:
    """The gradient-norm curve of ``layer`` (as ``Metric.layer``) in a run of ``config``."""
    linears = linear_indices(config.model)
    if layer == -1:
        return f"grad_norm.{linears[-1]}"
    return f"grad_norm.{linears[layer]}" if 0 <= layer < len(linears) - 1 else None


def curve_key(record: RunRecord, metric: Metric) -> str | None:
    """The key of ``record``'s curve for ``metric``, or None when it has none."""
    key = metric.key if metric.layer is None else grad_key(record.config, metric.layer)
    return key if key is not None and key in record.curves else None


def series(record: RunRecord, metric: Metric) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values) of ``record``'s ``metric`` where both are finite (empty if none)."""
    key = curve_key(record, metric)
    if key is None or record.curves[key].ndim != 1:
        return np.empty(0), np.empty(0)
    x, y = record.curves["epoch"], record.curves[key]
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def metrics_for(records: Sequence[RunRecord]) -> list[Metric]:
    """The metrics some of ``records`` have a finite value of: the curve metrics, then the
    gradient norms (layer 1, 2, ..., output) when recorded."""
    out = [m for m in CURVE_METRICS if any(series(r, m)[1].size for r in records)]
    depth = max((len(linear_indices(r.config.model)) - 1 for r in records), default=0)
    for layer in [*range(depth), -1]:
        label = "output" if layer == -1 else f"layer {layer + 1}"
        metric = Metric(f"gradient norm, {label}", layer=layer)
        if any(series(r, metric)[1].size for r in records):
            out.append(metric)
    return out


def live_record(run_id: int, name: str, colour: str, config: RunConfig,
                curves: Mapping[str, np.ndarray], epochs: int,
                dynamics: Mapping[str, np.ndarray] | None = None,
                wall_time: float | None = None, diverged: bool = False,
                converged_epoch: int | None = None) -> RunRecord:
    """A run still training, as a record made from its latest snapshot's ``curves`` and
    ``dynamics`` curves (each with its own "epoch"): both on the union of their epochs, NaN
    where one has no value. Its final scores are each curve's last finite value, its best
    the best over the points (``RunRecord.of`` evaluates the model instead, when the run is
    kept)."""
    x = np.asarray(curves.get("epoch", np.empty(0)), np.float64)
    parts = [(x, {k: v for k, v in curves.items() if k != "epoch"})]
    if dynamics and "epoch" in dynamics:
        parts.append((np.asarray(dynamics["epoch"], np.float64),
                      {k: v for k, v in dynamics.items() if k != "epoch"}))
    axis = functools.reduce(np.union1d, [p[0] for p in parts]) if len(parts) > 1 else x
    merged: dict[str, np.ndarray] = {"epoch": axis}
    for epochs_of, values in parts:
        where = np.searchsorted(axis, epochs_of)
        for key, v in values.items():
            v = np.asarray(v, np.float64)
            if v.ndim != 1 or len(v) != len(epochs_of):
                continue
            column = np.full(axis.size, np.nan)
            column[where] = v
            merged[key] = column
    final = {k: _last(merged.get(k)) for k in EVALUATION_KEYS}
    best = {k: _best(merged.get(k), k in LOWER_IS_BETTER) for k in EVALUATION_KEYS}
    if final["train_loss"] is None:
        final["train_loss"] = best["train_loss"] = math.nan
    return RunRecord(id=run_id, name=name, colour=colour, config=config, curves=merged,
                     final=Evaluation(**final), best=Evaluation(**best), epochs=int(epochs),
                     wall_time=wall_time, diverged=diverged, converged_epoch=converged_epoch)


def _last(values: np.ndarray | None) -> float | None:
    if values is None:
        return None
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if finite.size else None


def _best(values: np.ndarray | None, lower: bool) -> float | None:
    if values is None:
        return None
    finite = values[np.isfinite(values)]
    if not finite.size:
        return None
    return float(finite.min() if lower else finite.max())

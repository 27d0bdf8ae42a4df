"""One run, kept: its config, its curves and its scores, in bounded memory, never Qt.

A ``RunRecord`` is what the Runs view lists and a sweep returns for each run. It is built
from a ``Trainer`` (``RunRecord.of``) and holds copies, so the trainer may train on or be
thrown away. The curves are the trainer's per-epoch history as arrays, one per history key
("epoch", "lr", "batch_loss", the metrics of ``EVALUATION_KEYS``, "mistakes", and whatever
else the history records: a list-valued entry, such as one number per layer, becomes a 2-D
array (points, entries), a dict-valued one a curve per sub-key named "key.sub"), NaN where an
epoch has no value. However long the run, a record keeps at most ``max_points`` points: the
epochs that are multiples of a stride that doubles until they fit, and always the last one,
as ``engine.session`` thins a live run's curves.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np

from playground.config import RunConfig
from playground.engine.session import CURVE_KEYS, MAX_POINTS
from playground.engine.trainer import EVALUATION_KEYS, Evaluation

#: The colours runs get in turn (matplotlib's "tab10", colour-blind friendly enough and
#: distinct on light and dark backgrounds).
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")
#: Metrics where lower is better; for the others (accuracy, R²) higher is.
LOWER_IS_BETTER = ("train_loss", "test_loss", "train_mae", "test_mae")

_IDS = itertools.count(1)


def next_id() -> int:
    """A run id unique in this process (1, 2, ...)."""
    return next(_IDS)


def colour_for(run_id: int) -> str:
    return PALETTE[(run_id - 1) % len(PALETTE)]


@dataclass(frozen=True)
class RunRecord:
    """A run's config, curves and scores. ``final`` is the model's evaluation when the
    record was made; ``best`` holds each metric's best value over the recorded epochs and
    the final one (lowest loss and MAE, highest accuracy and R²; None where undefined).
    ``curves[key][i]`` is the value at epoch ``curves["epoch"][i]``; the points are the
    epochs that are multiples of ``stride``, and the last. ``wall_time`` is the seconds
    spent training (None when unknown); ``diverged`` that the loss or a weight became NaN or
    infinite."""

    id: int
    name: str
    colour: str
    config: RunConfig
    curves: Mapping[str, np.ndarray]
    final: Evaluation
    best: Evaluation
    epochs: int
    wall_time: float | None = None
    stride: int = 1
    diverged: bool = False
    #: a perceptron's epoch without mistakes, else None
    converged_epoch: int | None = None

    @property
    def seed(self) -> int:
        return self.config.seed

    @classmethod
    def of(cls, trainer, *, id: int | None = None, name: str | None = None,
           colour: str | None = None, wall_time: float | None = None,
           max_points: int = MAX_POINTS) -> RunRecord:
        """The record of ``trainer``'s run as it stands (its weights evaluated now)."""
        run_id = next_id() if id is None else int(id)
        records = list(trainer.history)
        final = trainer.evaluate()
        stride, kept = downsample(records, max_points)
        curves = curve_arrays(kept)
        weights_finite = all(np.isfinite(v).all() for v in trainer.state_dict().values()
                             if v.dtype.kind == "f")
        return cls(id=run_id, name=f"run {run_id}" if name is None else name,
                   colour=colour_for(run_id) if colour is None else colour,
                   config=trainer.config, curves=_frozen(curves), final=final,
                   best=best_of(records, final), epochs=trainer.epoch, wall_time=wall_time,
                   stride=stride, diverged=bool(trainer.diverged or not weights_finite),
                   converged_epoch=trainer.converged_epoch)

    def renamed(self, name: str) -> RunRecord:
        return replace(self, name=name)

    def recoloured(self, colour: str) -> RunRecord:
        return replace(self, colour=colour)

    def curve(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(epochs, values) of one curve (KeyError for a key the run has no curve of)."""
        return self.curves["epoch"], self.curves[key]

    @property
    def nbytes(self) -> int:
        """The bytes its curves hold (the bulk of a record)."""
        return sum(v.nbytes for v in self.curves.values())

    # --- plain values, for workspaces -------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """Strict JSON values that ``from_dict`` turns back into an equal record: a curve's
        NaN is null; a score's NaN or infinity is the string "NaN", "Infinity" or
        "-Infinity" (a score's null means undefined, as in ``Evaluation``)."""
        return {"id": self.id, "name": self.name, "colour": self.colour,
                "config": self.config.to_dict(),
                "curves": {k: _json_floats(v) for k, v in self.curves.items()},
                "final": _json_scores(self.final), "best": _json_scores(self.best),
                "epochs": self.epochs, "wall_time": self.wall_time, "stride": self.stride,
                "diverged": self.diverged, "converged_epoch": self.converged_epoch}

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> RunRecord:
        curves = {k: np.array(_nan_for_none(v), dtype=np.float64)
                  for k, v in obj["curves"].items()}
        return cls(id=int(obj["id"]), name=str(obj["name"]), colour=str(obj["colour"]),
                   config=RunConfig.from_dict(obj["config"]), curves=_frozen(curves),
                   final=_scores_from_json(obj["final"]), best=_scores_from_json(obj["best"]),
                   epochs=int(obj["epochs"]), wall_time=obj.get("wall_time"),
                   stride=int(obj.get("stride", 1)), diverged=bool(obj.get("diverged")),
                   converged_epoch=obj.get("converged_epoch"))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunRecord):
            return NotImplemented
        plain = ("id", "name", "colour", "config", "final", "best", "epochs", "wall_time",
                 "stride", "diverged", "converged_epoch")
        return (all(_same(getattr(self, k), getattr(other, k)) for k in plain)
                and self.curves.keys() == other.curves.keys()
                and all(np.array_equal(v, other.curves[k], equal_nan=True)
                        for k, v in self.curves.items()))

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self):
        # a mappingproxy does not pickle (a sweep's workers send records back): a dict does
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["curves"] = dict(self.curves)
        return _unpickle, (fields,)


def _unpickle(fields: dict[str, Any]) -> RunRecord:
    return RunRecord(**{**fields, "curves": _frozen(fields["curves"])})


def downsample(records: Sequence[Mapping[str, Any]], max_points: int = MAX_POINTS
               ) -> tuple[int, list[Mapping[str, Any]]]:
    """(stride, kept): the records whose epoch is a multiple of the smallest power-of-two
    stride that keeps at most ``max_points`` of them, the last record always among them."""
    if max_points < 2:
        raise ValueError("max_points must be at least 2")
    stride = 1
    while True:
        kept = [r for r in records if r["epoch"] % stride == 0]
        if records and (not kept or kept[-1] is not records[-1]):
            kept.append(records[-1])
        if len(kept) <= max_points:
            return stride, kept
        stride *= 2


def curve_arrays(records: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """One float64 array per history key (``CURVE_KEYS`` first, then the others in the
    order they appear), NaN where a record lacks the key or holds None."""
    keys = list(CURVE_KEYS)
    for record in records:
        keys.extend(k for k in record if k not in keys)
    curves: dict[str, np.ndarray] = {}
    for key in keys:
        curves.update(_column(key, [r.get(key) for r in records]))
    return curves


def _column(key: str, values: list) -> dict[str, np.ndarray]:
    """A history key's values as curves: numbers -> (n,); sequences -> (n, width) padded
    with NaN; dicts -> one curve per sub-key; anything else (text) -> none."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, Mapping) for v in present):
        subkeys: list[str] = []
        for v in present:
            subkeys.extend(k for k in v if k not in subkeys)
        out: dict[str, np.ndarray] = {}
        for sub in subkeys:
            out.update(_column(f"{key}.{sub}", [None if v is None else v.get(sub)
                                                for v in values]))
        return out
    if present and all(isinstance(v, (Sequence, np.ndarray)) and not isinstance(v, str)
                       for v in present):
        rows = [np.asarray(v, dtype=np.float64).reshape(-1) for v in present]
        width = max(r.size for r in rows)
        array = np.full((len(values), width), np.nan)
        for i, v in enumerate(values):
            if v is not None:
                row = np.asarray(v, dtype=np.float64).reshape(-1)
                array[i, :row.size] = row
        return {key: array}
    try:
        return {key: np.array([math.nan if v is None else float(v) for v in values],
                              dtype=np.float64)}
    except (TypeError, ValueError):
        return {}


def best_of(records: Sequence[Mapping[str, Any]], final: Evaluation) -> Evaluation:
    """Each metric's best over the records and ``final``, ignoring NaN and None."""
    best: dict[str, float | None] = {}
    for key in EVALUATION_KEYS:
        values = [r.get(key) for r in records] + [getattr(final, key)]
        finite = [float(v) for v in values if v is not None and math.isfinite(v)]
        if finite:
            best[key] = min(finite) if key in LOWER_IS_BETTER else max(finite)
        else:
            best[key] = getattr(final, key)
    return Evaluation(**best)


def _frozen(curves: dict[str, np.ndarray]) -> Mapping[str, np.ndarray]:
    for array in curves.values():
        array.flags.writeable = False
    return MappingProxyType(curves)


def _json_floats(array: np.ndarray) -> list:
    return [_json_floats(row) if isinstance(row, np.ndarray) else
            (float(row) if math.isfinite(row) else None) for row in array]


def _nan_for_none(values: list) -> list:
    return [_nan_for_none(v) if isinstance(v, list) else (math.nan if v is None else v)
            for v in values]


def _json_scores(ev: Evaluation) -> dict[str, float | str | None]:
    return {k: (v if v is None or math.isfinite(v) else
                {math.inf: "Infinity", -math.inf: "-Infinity"}.get(v, "NaN"))
            for k, v in ev.record().items()}


def _scores_from_json(obj: Mapping[str, Any]) -> Evaluation:
    return Evaluation(**{k: (float(v) if isinstance(v, str) else v) for k, v in obj.items()})


def _same(a, b) -> bool:
    """Equality where NaN equals NaN (a diverged run's scores)."""
    if isinstance(a, Evaluation) and isinstance(b, Evaluation):
        return all(_same(x, y) for x, y in zip(a.record().values(), b.record().values()))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b

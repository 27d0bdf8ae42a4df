"""A live training run for the app: time-boxed chunks of training and immutable snapshots.

The UI's worker thread owns a ``Session``; it calls ``run_for`` with a small time budget
(about 20 ms), then takes a ``Snapshot`` to hand to the UI thread. Qt-free, so it is tested
and used headless like the rest of the engine.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from playground.engine.trainer import Trainer


@dataclass(frozen=True)
class Snapshot:
    """Everything a view draws, copied: safe to read on another thread while training goes on.

    ``curves`` maps a history key ("epoch", "lr", "batch_loss", "train_loss", ...) to a float
    array, NaN where an epoch has no value; ``grid`` is ``Trainer.predict_grid``'s
    (xs, ys, outputs) when it was refreshed for this snapshot, else None.
    """

    epoch: int
    steps: int
    lr: float
    steps_per_second: float
    curves: dict[str, np.ndarray]
    weights: dict[str, np.ndarray]
    grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    converged_epoch: int | None = None
    last_mistake: int | None = None
    diverged: bool = False
    confusion: np.ndarray | None = None
    #: regression, refreshed with the grid: (true, predicted) first targets of the test split
    #: (the training split without one), for the predicted-vs-true scatter
    predictions: tuple[np.ndarray, np.ndarray] | None = None
    created: float = field(default_factory=time.monotonic)

    def last(self, key: str) -> float | None:
        """The latest finite value of a curve, or None."""
        values = self.curves.get(key)
        if values is None or not values.size:
            return None
        finite = values[np.isfinite(values)]
        return float(finite[-1]) if finite.size else None


MAX_POINTS = 2000
CURVE_KEYS = ("epoch", "lr", "batch_loss", "train_loss", "test_loss", "train_accuracy",
              "test_accuracy", "mistakes")


class Session:
    """Trains a ``Trainer`` in time-boxed chunks and measures its speed."""

    def __init__(self, trainer: Trainer, grid_resolution: int = 96) -> None:
        self.trainer = trainer
        self.grid_resolution = grid_resolution
        self.grid_inputs = (0, 1)  # which two raw inputs the decision grid spans
        #: the rectangle (x0, x1, y0, y1) the grid covers; None: the data's range
        self.grid_bounds: tuple[float, float, float, float] | None = None
        self._curves: dict[str, list[float]] = {key: [] for key in CURVE_KEYS}
        self._seen = 0
        self._stride = 1
        self._step_seconds = 1e-4          # running estimate of one batch step's cost
        self._rate_steps = 0
        self._rate_since = time.perf_counter()
        self.steps_per_second = 0.0
        self._forgiven_epoch = -1
        self.checkpoint(trainer.state_dict())

    def run_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about ``seconds`` (at least one step, at most ``max_steps``); returns
        the steps taken."""
        t = self.trainer
        deadline = time.perf_counter() + seconds
        taken = 0
        while max_steps is None or taken < max_steps:
            n = max(1, int((deadline - time.perf_counter()) / self._step_seconds))
            n = min(n, t.batches_per_epoch * 50)
            if max_steps is not None:
                n = min(n, max_steps - taken)
            start = time.perf_counter()
            before = t.steps
            t.run_steps(n)
            done = t.steps - before
            taken += done
            spent = time.perf_counter() - start
            self._step_seconds = max(spent / max(done, 1), 1e-7)
            if time.perf_counter() >= deadline or self.diverged:
                break
        self._count(taken)
        return taken

    def _count(self, steps: int) -> None:
        self._rate_steps += steps
        now = time.perf_counter()
        if now - self._rate_since >= 0.5:
            self.steps_per_second = self._rate_steps / (now - self._rate_since)
            self._rate_steps, self._rate_since = 0, now

    def _update_curves(self) -> dict[str, np.ndarray]:
        """Curves grown from the epochs recorded since the last snapshot, keeping epochs that
        are multiples of a stride that doubles (and the kept points halve) whenever they pass
        ``MAX_POINTS``: constant cost and memory per snapshot, however long the run. The
        latest epoch is always the last point."""
        t = self.trainer
        new = t.history.since(self._seen)
        if new:
            self._seen = new[-1]["epoch"]
        for record in new:
            if record["epoch"] % self._stride == 0:
                for key in CURVE_KEYS:
                    self._curves[key].append(_num(record.get(key)))
        if len(self._curves["epoch"]) > MAX_POINTS:
            for key in CURVE_KEYS:
                self._curves[key] = self._curves[key][1::2]
            self._stride *= 2
        kept = self._curves["epoch"]
        tail = (t.history[-1:] if t.history and (not kept or kept[-1] != t.history[-1]["epoch"])
                else [])
        return {key: np.array(values + [_num(r.get(key)) for r in tail], dtype=np.float64)
                for key, values in self._curves.items()}

    def snapshot(self, with_grid: bool = False) -> Snapshot:
        t = self.trainer
        curves = self._update_curves()
        grid = confusion = predictions = None
        if with_grid:
            grid = t.predict_grid(self.grid_resolution, self.grid_inputs, self.grid_bounds)
            confusion = self.confusion()
            predictions = self.predictions()
        weights = t.state_dict()
        diverged = ((t.diverged and t.epoch != self._forgiven_epoch)
                    or not all(np.isfinite(w).all() for w in weights.values()))
        return Snapshot(epoch=t.epoch, steps=t.steps, lr=t.lr,
                        steps_per_second=self.steps_per_second, curves=curves,
                        weights=weights, grid=grid, converged_epoch=t.converged_epoch,
                        last_mistake=t.last_mistake, diverged=diverged,
                        confusion=confusion, predictions=predictions)

    def checkpoint(self, weights: dict[str, np.ndarray]) -> None:
        """Remember ``weights`` (a snapshot's copy) and the optimizer's state as the last good
        point that ``recover`` returns to."""
        opt = self.trainer.optimizer
        self._good = (weights, {k: v.copy() for k, v in opt.state.items()}, opt.steps)

    def recover(self) -> None:
        """Back to the last checkpoint after a divergence: its weights and optimizer state
        (Adam's moments would be NaN too), so training can go on, say with a lower learning
        rate. The diverged epoch stays in the history, as it happened."""
        t = self.trainer
        weights, state, steps = self._good
        t.load_state_dict(weights)
        t.optimizer.state = {k: v.copy() for k, v in state.items()}
        t.optimizer.steps = steps
        self._forgiven_epoch = t.epoch

    @property
    def diverged(self) -> bool:
        """The last loss is NaN or infinite, or a weight is: a float32 run can overflow its
        weights while the loss still looks finite (a saturated sigmoid, say). A NaN epoch
        that ``recover`` already dealt with does not count again."""
        t = self.trainer
        if t.diverged and t.epoch != self._forgiven_epoch:
            return True
        model = t.model
        buffers = (model.params,) if hasattr(model, "params") else (model.weight, model.bias)
        return not all(np.isfinite(b).all() for b in buffers)

    def predictions(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(true, predicted) of the first target on the test split (else the training split),
        for regression; None for classification."""
        t = self.trainer
        ds = t.dataset
        if ds.task != "regression":
            return None
        x, y = (t.x_test, ds.y_test) if ds.has_test else (t.x_train, ds.y_train)
        true = np.asarray(y, dtype=np.float64).reshape(len(y), -1)[:, 0]
        predicted = np.asarray(t.predict(x), dtype=np.float64)[:, 0]
        return true, predicted

    def confusion(self) -> np.ndarray | None:
        """Counts[true, predicted] on the test split (the training split without one), for
        classification; None for regression."""
        t = self.trainer
        ds = t.dataset
        if ds.task != "classification":
            return None
        x, y = (t.x_test, ds.y_test) if ds.has_test else (t.x_train, ds.y_train)
        predicted = t.predict(x).argmax(axis=1)
        k = ds.n_classes
        return np.bincount(y * k + predicted, minlength=k * k).reshape(k, k)


def _num(value) -> float:
    return math.nan if value is None else float(value)

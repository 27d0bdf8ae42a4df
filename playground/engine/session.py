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

from playground.data.plane import Plane
from playground.engine import sample_predictions
from playground.engine.dynamics import DynamicsData, DynamicsSeries
from playground.engine.trainer import EVALUATION_KEYS, Evaluation, Trainer

#: The unit grids' budget per snapshot (``unit_resolution``): values held, r^2 x (features +
#: the modules' widths), 4 MB of float32; and multiply-adds, r^2 x those of one row.
UNIT_VALUES = 2**20
UNIT_MACS = 2**27
MIN_UNIT_RESOLUTION = 8


@dataclass(frozen=True)
class Snapshot:
    """Everything a view draws, copied: safe to read on another thread while training goes on.

    ``curves`` maps a history key ("epoch", "lr", "batch_loss", "train_loss", ...) to a float
    array, NaN where an epoch has no value; ``grid`` is ``Trainer.predict_grid``'s
    (us, vs, outputs) when it was refreshed for this snapshot, else None; with it come
    ``plane``, the input plane it spans (axis labels; ``plane.project`` places the data
    points), and, unless the session's ``grid_units`` is off, ``Trainer.unit_grids`` over the
    same bounds as float32 copies: ``unit_axes`` (us, vs), ``unit_inputs`` (r, r, n_features)
    and ``units``, one (r, r, width) per module in ``model.module_kinds`` order, at the
    resolution ``Session.unit_grid_size()`` picks (r may be below the decision grid's).
    ``grads`` is ``Trainer.gradients()``: the last batch step's gradient keyed like
    ``weights`` (None before a step and for a perceptron). ``evaluation`` is filled only in
    the first snapshot after a weight was set by hand (``Trainer.set_value``): the edited
    model's train and test loss and accuracy (R² and MAE) now, without a training step.
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
    #: the ``Trainer.run_id`` it shows: a snapshot still in flight from a run just replaced
    #: is recognised and dropped, not drawn over the new run's data
    run_id: int = 0
    #: the run's ``train.epochs`` now (a live setting): where Play stops
    total_epochs: int = 0
    #: image-shaped data, refreshed with the grid: (rows of the split shown, predicted
    #: classes) for the sample gallery (``engine.sample_predictions``)
    gallery: tuple[np.ndarray, np.ndarray] | None = None
    plane: Plane | None = None
    units: tuple[np.ndarray, ...] | None = None
    unit_inputs: np.ndarray | None = None
    unit_axes: tuple[np.ndarray, np.ndarray] | None = None
    grads: dict[str, np.ndarray] | None = None
    evaluation: Evaluation | None = None
    #: ``Trainer.partial_epoch`` mid-epoch (after Step batch): (fractional epoch, mean loss
    #: of the epoch's batches so far), the curves' point in progress; None at an epoch end
    partial: tuple[float, float] | None = None
    #: the per-layer training dynamics recorded so far (``engine.dynamics``), thinned like
    #: the curves; the same object from snapshot to snapshot until a new record arrives;
    #: None before the first record
    dynamics: DynamicsData | None = None
    #: ``Trainer.backend`` when it was taken: "fused" (the compiled kernels), "numpy" (while
    #: they compile, ``engine.warmup``) or "perceptron"
    engine: str = ""

    def last(self, key: str) -> float | None:
        """The latest finite value of a curve, or None."""
        values = self.curves.get(key)
        if values is None or not values.size:
            return None
        finite = values[np.isfinite(values)]
        return float(finite[-1]) if finite.size else None


MAX_POINTS = 2000
#: the curves a snapshot carries: the history record's keys (``Trainer.evaluate``'s metrics:
#: accuracies for classification, R² and MAE in the data's units for regression; NaN where
#: an epoch, or a workspace saved before a key existed, has no value)
CURVE_KEYS = ("epoch", "lr", "batch_loss", *EVALUATION_KEYS, "mistakes")


def unit_resolution(resolution: int, n_features: int, kinds: tuple[str, ...],
                    widths: tuple[int, ...]) -> int:
    """The unit grids' resolution for a decision grid of ``resolution``: the largest r <= it
    with r^2 (n_features + sum(widths)) <= UNIT_VALUES and r^2 sum(n_in n_out over the
    linear modules) <= UNIT_MACS, but at least MIN_UNIT_RESOLUTION. The 2-8x6-1 spiral
    network keeps 96; a 784-256-128-10 MLP gets 23."""
    macs, width = 0, n_features
    for kind, w in zip(kinds, widths):
        if kind == "linear":
            macs += width * w
        width = w
    values = n_features + sum(widths)
    r = min(math.isqrt(UNIT_VALUES // values), math.isqrt(UNIT_MACS // max(macs, 1)))
    return max(min(resolution, r), min(resolution, MIN_UNIT_RESOLUTION))


class Session:
    """Trains a ``Trainer`` in time-boxed chunks and measures its speed."""

    def __init__(self, trainer: Trainer, grid_resolution: int = 96) -> None:
        self.trainer = trainer
        self.grid_resolution = grid_resolution
        self._plane: Plane | tuple[int, int] | str = "default"
        #: the rectangle (u0, u1, v0, v1) the grid covers; None: the data's range
        self.grid_bounds: tuple[float, float, float, float] | None = None
        #: grid snapshots also carry the per-unit grids (the network diagram's heatmaps)
        self.grid_units = True
        #: their resolution; None: ``unit_resolution``'s rule
        self.unit_grid_resolution: int | None = None
        # the kept curve points: row i is CURVE_KEYS[i], the first _kept columns are filled
        self._curves = np.empty((len(CURVE_KEYS), MAX_POINTS + 1))
        self._kept = 0
        self._seen = 0
        self._stride = 1
        self._step_seconds = 1e-4          # running estimate of one batch step's cost
        self._rate_steps = 0
        self._rate_since = time.perf_counter()
        self.steps_per_second = 0.0
        self._forgiven_epoch = -1
        self._dynamics = DynamicsSeries()
        self._edits = trainer.edits  # hand edits (Trainer.set_value) already evaluated
        self.checkpoint(trainer.state_dict())

    @property
    def grid_inputs(self) -> tuple[int, int] | None:
        """The two raw inputs the decision grid spans (the others at their training mean);
        None while a PCA plane is set. Setting a pair sets their axis plane."""
        if isinstance(self._plane, tuple):
            return self._plane
        return self.grid_plane.inputs

    @grid_inputs.setter
    def grid_inputs(self, pair: tuple[int, int]) -> None:
        self._plane = (int(pair[0]), int(pair[1]))

    @property
    def grid_plane(self) -> Plane:
        """The input plane the grids span (``playground.data.plane``): the axis plane of
        ``grid_inputs``, or the Plane set here (ValueError for one of another input count)."""
        return self.trainer.plane(self._plane)

    @grid_plane.setter
    def grid_plane(self, plane: Plane | tuple[int, int] | str) -> None:
        """A Plane, a pair of raw inputs, or a name ``Trainer.plane`` knows ("default",
        "pca", "informative"), resolved when the next grid is made."""
        self._plane = plane if isinstance(plane, str) else self.trainer.plane(plane)

    def unit_grid_size(self) -> int:
        """The unit grids' resolution: ``unit_grid_resolution``, else ``unit_resolution``'s
        rule for this model."""
        if self.unit_grid_resolution is not None:
            return self.unit_grid_resolution
        model = self.trainer.model
        return unit_resolution(self.grid_resolution, self.trainer.dataset.n_features,
                               model.module_kinds, model.module_widths)

    def run_for(self, seconds: float, max_steps: int | None = None) -> int:
        """Train for about ``seconds`` (at least one step, at most ``max_steps``); returns
        the steps taken.

        A budget that reaches the end of the current epoch stops at an epoch's end, not
        mid-epoch: whole epochs train in one kernel call (``Trainer.run_epochs``), while an
        epoch split between two budgets costs two more calls and an epoch end of Python
        glue (about a tenth of the live worker's time on the spiral). Epochs longer than
        the budget are still split, so a budget stays a budget."""
        t = self.trainer
        deadline = time.perf_counter() + seconds
        taken = 0
        while max_steps is None or taken < max_steps:
            n = max(1, int((deadline - time.perf_counter()) / self._step_seconds))
            n = min(n, t.batches_per_epoch * 50)
            rest = t.steps_until(t.epoch + 1)   # to the current epoch's end
            if n >= rest:
                n = rest + (n - rest) // t.batches_per_epoch * t.batches_per_epoch
            elif taken and rest == t.batches_per_epoch:
                break   # less than an epoch of the budget left: begin no epoch
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
        curves = self._curves
        for record in new:
            if record["epoch"] % self._stride == 0:
                curves[:, self._kept] = [_num(record.get(key)) for key in CURVE_KEYS]
                self._kept += 1
                if self._kept > MAX_POINTS:      # keep every other point, stride doubled
                    half = curves[:, 1:self._kept:2].copy()
                    self._kept = half.shape[1]
                    curves[:, :self._kept] = half
                    self._stride *= 2
        n = self._kept
        latest = t.history[-1] if t.history else None
        tail = int(latest is not None and (n == 0 or curves[0, n - 1] != latest["epoch"]))
        out = np.empty((len(CURVE_KEYS), n + tail))   # a copy: snapshots are immutable
        out[:, :n] = curves[:, :n]
        if tail:
            out[:, n] = [_num(latest.get(key)) for key in CURVE_KEYS]
        return dict(zip(CURVE_KEYS, out))

    def snapshot(self, with_grid: bool = False) -> Snapshot:
        t = self.trainer
        curves = self._update_curves()
        grid = confusion = predictions = plane = gallery = None
        units = {}
        if with_grid:
            plane = self.grid_plane
            grid = t.predict_grid(self.grid_resolution, plane, self.grid_bounds)
            if self.grid_units:
                units = self._unit_grids(plane)
            confusion = self.confusion()
            predictions = self.predictions()
            gallery = sample_predictions.gallery(t)
        weights = t.state_dict()
        diverged = ((t.diverged and t.epoch != self._forgiven_epoch)
                    or not all(np.isfinite(w).all() for w in weights.values()))
        evaluation = None
        if t.edits != self._edits:   # weights set by hand: their losses now, not at epoch end
            self._edits = t.edits
            evaluation = t.evaluate()
        return Snapshot(epoch=t.epoch, steps=t.steps, lr=t.lr,
                        steps_per_second=self.steps_per_second, curves=curves,
                        weights=weights, grid=grid, converged_epoch=t.converged_epoch,
                        last_mistake=t.last_mistake, diverged=diverged,
                        confusion=confusion, predictions=predictions, run_id=t.run_id,
                        total_epochs=t.config.train.epochs, gallery=gallery,
                        plane=plane, grads=t.gradients(), evaluation=evaluation,
                        partial=t.partial_epoch, dynamics=self._dynamics.update(t.history),
                        engine=t.backend, **units)

    def _unit_grids(self, plane: Plane) -> dict:
        """Snapshot fields of ``Trainer.unit_grids`` over the decision grid's bounds. Its
        arrays are fresh (no view of the trainer's state), so a float32 run's are kept as
        they are and a float64 run's cast: either way the snapshot owns them."""
        us, vs, inputs, outputs = self.trainer.unit_grids(self.unit_grid_size(), plane,
                                                          self.grid_bounds)
        return {"unit_axes": (us, vs), "unit_inputs": np.asarray(inputs, np.float32),
                "units": tuple(np.asarray(y, np.float32) for y in outputs)}

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

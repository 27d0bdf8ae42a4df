"""Measuring a claim's quantity on trained runs (``lessons.claims`` says what each one means).

A run is measured through a ``Measured``: its ``RunRecord`` (final and best scores, the
per-epoch curves and training dynamics, the same record the Runs view keeps) and, when the
caller has it, the live ``Trainer``, which the quantities about weights and traced steps
need. A quantity that cannot be measured (a curve the run does not have, a record without
its trainer) raises ``Unmeasurable`` with a sentence saying why; the claim then does not hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.lessons.claims import (Combined, Curve, EpochWhen, Fact, Number, Quantity,
                                       Trace, Weights)
from playground.runs.record import RunRecord


class Unmeasurable(Exception):
    """A quantity that a run cannot give; the message says why, in one sentence."""


@dataclass(frozen=True)
class Measured:
    """One run to measure: its record, and its trainer when there is one."""

    record: RunRecord
    trainer: Any = None

    @classmethod
    def of(cls, run: Any, name: str) -> Measured:
        """From a ``Trainer`` (its record is taken now) or a ``RunRecord``."""
        if isinstance(run, Measured):
            return run
        if isinstance(run, RunRecord):
            return cls(run)
        if hasattr(run, "history") and hasattr(run, "evaluate"):
            return cls(RunRecord.of(run, name=name), run)
        raise TypeError(f"run {name}: expected a Trainer or a RunRecord, got "
                        f"{type(run).__name__}")

    def need_trainer(self, name: str, what: str):
        if self.trainer is None:
            raise Unmeasurable(f"{what} needs run {name}'s trained model, not only its record")
        return self.trainer


def evaluate(q: Quantity, runs: dict[str, Measured]) -> float | bool:
    """The quantity's value: a float (NaN or infinite when training made it so) or, for
    the yes/no facts, a bool."""
    if isinstance(q, Number):
        return q.value
    if isinstance(q, Combined):
        return _combined(q, [float(evaluate(p, runs)) for p in q.parts])
    run = runs.get(q.run)
    if run is None:
        raise Unmeasurable(f"run {q.run} was not given (given: {', '.join(runs) or 'none'})")
    if isinstance(q, Fact):
        return _fact(q, run.record)
    if isinstance(q, Curve):
        return _reduce(q, *_curve(run.record, q.run, q.key))
    if isinstance(q, EpochWhen):
        epochs, values = _curve(run.record, q.run, q.key)
        hit = values <= q.level if q.falling else values >= q.level
        return float(epochs[np.argmax(hit)]) if hit.any() else math.inf
    if isinstance(q, Weights):
        return _weights(q, run.need_trainer(q.run, "a weights quantity"))
    return _trace(q, run.need_trainer(q.run, "a traced step"))


def _combined(q: Combined, values: list[float]) -> float:
    with np.errstate(all="ignore"):
        if q.op == "ratio":
            a, b = values
            if b == 0:
                return math.inf if a > 0 else (-math.inf if a < 0 else math.nan)
            return a / b
        if q.op == "difference":
            return values[0] - values[1]
        if q.op == "abs":
            return abs(values[0])
        return float({"min": min, "max": max, "mean": lambda v: sum(v) / len(v)}[q.op](values))


def _fact(q: Fact, rec: RunRecord) -> float | bool:
    key = q.key
    if key == "diverged":
        return bool(rec.diverged)
    if key == "converged":
        return rec.converged_epoch is not None
    if key == "epochs":
        return float(rec.epochs)
    if key == "converged_epoch":
        return math.inf if rec.converged_epoch is None else float(rec.converged_epoch)
    ev = rec.final
    if key in ("accuracy_gap", "loss_gap"):
        a, b = (("train_accuracy", "test_accuracy") if key == "accuracy_gap"
                else ("test_loss", "train_loss"))
        return _score(q.run, ev, a) - _score(q.run, ev, b)
    if key.startswith("best."):
        return _score(q.run, rec.best, key[5:])
    return _score(q.run, ev, key)


def _score(run: str, ev, key: str) -> float:
    value = getattr(ev, key)
    if value is None:
        why = ("it has no test split" if key.startswith("test") and ev.test_loss is None
               else "it is not defined for this task")
        raise Unmeasurable(f"run {run} has no {key}: {why}")
    return float(value)


def _curve(rec: RunRecord, run: str, key: str) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values) of a curve, only the points that have a value (NaN: not recorded that
    epoch, or not defined)."""
    if key not in rec.curves or rec.curves[key].ndim != 1:
        known = [k for k, v in rec.curves.items() if v.ndim == 1 and k != "epoch"
                 and not np.isnan(v).all()]
        raise Unmeasurable(f"run {run} has no curve {key} (it has {', '.join(known)})")
    epochs, values = rec.curves["epoch"], rec.curves[key]
    kept = ~np.isnan(values)
    if not kept.any():
        raise Unmeasurable(f"run {run}'s curve {key} has no recorded value (were its epochs "
                           "recorded? lessons.prepare records every one)")
    return epochs[kept], values[kept]


def _reduce(q: Curve, epochs: np.ndarray, values: np.ndarray) -> float:
    if q.epochs is not None:
        inside = (epochs >= q.epochs[0]) & (epochs <= q.epochs[1])
        if not inside.any():
            raise Unmeasurable(f"run {q.run}'s curve {q.key} has no point in epochs "
                               f"{q.epochs[0]}-{q.epochs[1]}")
        values = values[inside]
    with np.errstate(all="ignore"):
        return float({"first": lambda v: v[0], "last": lambda v: v[-1], "mean": np.mean,
                      "min": np.min, "max": np.max, "std": np.std}[q.reduce](values))


# --- the trained model --------------------------------------------------------------------------

def _weights(q: Weights, trainer) -> float:
    state = trainer.state_dict()
    if q.tensor not in state:
        raise Unmeasurable(f"run {q.run} has no tensor {q.tensor} (it has "
                           f"{', '.join(k for k in state if not k.endswith('_batches_tracked'))})")
    w = np.asarray(state[q.tensor], dtype=np.float64)
    if q.rows is not None or q.columns is not None or q.inputs is not None:
        w = _select(q, trainer, np.atleast_2d(w) if w.ndim == 1 else w)
    with np.errstate(all="ignore"):
        if q.measure == "max_abs":
            return float(np.abs(w).max())
        if q.measure == "mean_abs":
            return float(np.abs(w).mean())
        if q.measure == "rms":
            return float(np.sqrt(np.mean(w * w)))
        if q.measure == "norm":
            return float(np.sqrt((w * w).sum()))
        if q.measure == "share_near_zero":
            return float(np.mean(np.abs(w) <= q.tolerance))
        w2 = np.atleast_2d(w)
        return float((w2.max(axis=0) - w2.min(axis=0)).max())


def _select(q: Weights, trainer, w: np.ndarray) -> np.ndarray:
    columns = q.columns
    if q.inputs is not None:
        names = tuple(trainer.dataset.feature_names)
        if not q.tensor.startswith("0.") or w.shape[1] != len(names):
            raise Unmeasurable(f"inputs name the first layer's features; {q.tensor} is not "
                               "that layer's weight")
        missing = [n for n in q.inputs if n not in names]
        if missing:
            raise Unmeasurable(f"run {q.run} has no input {missing[0]} (its inputs: "
                               f"{', '.join(names)})")
        columns = tuple(names.index(n) for n in q.inputs)
    for what, picked, size in (("rows", q.rows, w.shape[0]), ("columns", columns, w.shape[1])):
        if picked is not None and max(picked) >= size:
            raise Unmeasurable(f"{q.tensor} of run {q.run} has {size} {what}; "
                               f"{what} {max(picked)} is beyond it")
    if q.rows is not None:
        w = w[list(q.rows)]
    if columns is not None:
        w = w[:, list(columns)]
    return w


def _trace(q: Trace, trainer) -> float:
    if getattr(trainer, "perceptron", False):
        raise Unmeasurable(f"run {q.run} is a perceptron: its rule has no traced gradient")
    step = trainer.trace()
    if q.measure == "logit_gradient_error":
        return _gradient_error(q, step)
    return _dropout_scale(q, trainer, step)


def _gradient_error(q: Trace, step) -> float:
    """max |n dL/dz (central difference, float64) - rule(p, y)| over the traced rows: dL/dz of
    the batch's mean loss is (p - y) / n, so n times it is in the units of p - y."""
    from playground.engine import losses

    loss = step.loss
    if loss.name not in ("bce", "cross_entropy"):
        raise Unmeasurable(f"run {q.run}'s loss is {loss.name}; the logit gradient rules are "
                           "about cross-entropy")
    z = np.asarray(loss.logits, dtype=np.float64)
    n = z.shape[0]
    p = np.asarray(loss.prediction, dtype=np.float64)
    if loss.name == "cross_entropy":
        y = np.asarray(loss.target)
        target = np.eye(z.shape[1])[y]
    else:
        y = np.asarray(loss.target, dtype=np.float64)
        target = y
    numeric = np.zeros_like(z)
    h = 1e-6
    fn = losses.LOSS_FUNCTIONS[loss.name]
    for index in np.ndindex(*z.shape):
        up, down = z.copy(), z.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (fn(up, y)[0] - fn(down, y)[0]) / (2 * h)
    if q.option == "engine":
        rule = n * np.asarray(loss.grad_logits, dtype=np.float64)
    elif q.option == "p_minus_y":
        rule = p - target
    else:
        if loss.name != "cross_entropy":
            raise Unmeasurable("the diagonal rule is about softmax; this run's loss is bce")
        # the notebook's dp_i/dz_i = p_i (1 - p_i) alone, chained with dL/dp_i = -y_i / p_i
        rule = -target * (1 - p)
    return float(np.abs(n * numeric - rule).max())


def _dropout_scale(q: Trace, trainer, step) -> float:
    """The mean of output / input over the first dropout module's kept units with a nonzero
    input: in training mode from the traced step, in evaluation mode from ``layer_outputs``."""
    module = next((m for m in step.modules if m.kind == "dropout"), None)
    if module is None:
        raise Unmeasurable(f"run {q.run} has no dropout layer")
    if q.option == "train":
        x, y = np.asarray(module.input, np.float64), np.asarray(module.output, np.float64)
        kept = module.dropout.keep & (x != 0)
    else:
        outputs = trainer.layer_outputs(trainer.x_train)
        x = np.asarray(outputs[module.index - 1] if module.index else trainer.x_train,
                       np.float64)
        y = np.asarray(outputs[module.index], np.float64)
        kept = x != 0
    if not kept.any():
        raise Unmeasurable(f"run {q.run}'s dropout layer kept no unit with a nonzero input")
    return float(np.mean(y[kept] / x[kept]))

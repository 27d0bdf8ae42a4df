"""The claim language: what a lesson step says training shows, as data, never as code.

A claim is one JSON object: a sentence (``says``), a quantity, and bounds on it::

    {"says": "ReLU's first layer learns", "value": "relu.grad_norm.0:mean", "at_least": 0.01}
    {"says": "...", "ratio": ["sigmoid.grad_norm.0:mean", "relu.grad_norm.0:mean"],
     "at_most": 0.1}
    {"says": "...", "metric": "test_accuracy", "run": "A", "at_least": 0.9}
    {"says": "...", "value": "high.diverged", "is": true}

Bounds: ``at_least`` (>=), ``at_most`` (<=), ``above`` (>), ``below`` (<), one or two of them
(a range), or ``is`` (true/false) for the yes/no facts ``diverged`` and ``converged``.

A quantity is a number, a reference string or an object (``docs/lessons.md`` has the table):

- ``"RUN.KEY"``: a run's final number: ``train_loss``, ``test_loss``, ``train_accuracy``,
  ``test_accuracy``, ``train_r2``, ``test_r2``, ``train_mae``, ``test_mae`` (the final
  evaluation), ``best.<any of those>``, ``epochs``, ``converged_epoch`` (a perceptron's first
  epoch without a mistake; infinite when it never had one), ``accuracy_gap`` (train minus test
  accuracy), ``loss_gap`` (test minus train loss); yes/no: ``diverged``, ``converged``.
- ``"RUN.CURVE:REDUCE"``: a per-epoch curve (``train_loss``, ``lr``, ``batch_loss``,
  ``grad_norm.0``, ``saturated.3``, ``clipped``...; ``runs.record``) reduced to one number by
  ``first``, ``last``, ``mean``, ``min``, ``max`` or ``std``.
- ``{"curve": "RUN.CURVE", "reduce": R, "epochs": [FROM, TO]}``: the same over epochs FROM..TO.
- ``{"epoch_when": "RUN.CURVE", "falls_to": x}`` (or ``"rises_to"``): the first epoch at which
  the curve is <= x (>= x); infinite when it never is.
- ``{"ratio": [Q, Q]}``, ``{"difference": [Q, Q]}``, ``{"abs": Q}``, ``{"min": [Q, ...]}``,
  ``{"max": [...]}``, ``{"mean": [...]}``.
- ``{"weights": "RUN.TENSOR", "measure": M}``: a tensor of the trained model (``0.weight``),
  optionally only some ``rows`` (units) and ``columns`` (inputs), or the columns of named
  ``inputs`` (the first layer's features, ``"x1*x2"``); M is ``max_abs``, ``mean_abs``,
  ``rms`` (the root mean square: an init's standard deviation about zero), ``norm``,
  ``share_near_zero`` (with ``tolerance``) or ``unit_spread`` (how far apart the units'
  incoming weights are: the largest, over inputs, of max minus min over units).
- ``{"trace": "RUN", "measure": "logit_gradient_error", "rule": R}``: one training step shown
  (``Trainer.trace``): the largest difference, in the units of p - y, between the numerical
  derivative of the batch's loss with respect to the logits and a rule: ``engine`` (what the
  engine back-propagates), ``p_minus_y``, or ``diagonal`` (the reference notebook's softmax
  derivative, the Jacobian's diagonal only). ``{"trace": "RUN", "measure": "dropout_scale",
  "mode": "train"|"eval"}``: what the first dropout module multiplies a kept unit by.

Claims are frozen dataclasses (here), parsed by ``lessons.parse`` and measured by
``lessons.measure``; nothing is ever ``eval``-ed. Parse errors are ``LessonError`` with the
key path (``claims[2].ratio[0]``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Union

from playground.errors import PlaygroundError


class LessonError(PlaygroundError):
    """A lesson file that does not follow the lesson format; one line naming the key path."""


EVALUATION = ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_r2",
              "test_r2", "train_mae", "test_mae")
#: the run facts a reference can name without a reducer
NUMBERS = EVALUATION + tuple(f"best.{k}" for k in EVALUATION) + (
    "epochs", "converged_epoch", "accuracy_gap", "loss_gap")
FLAGS = ("diverged", "converged")
REDUCERS = ("first", "last", "mean", "min", "max", "std")
BOUNDS = ("at_least", "at_most", "above", "below")
WEIGHT_MEASURES = ("max_abs", "mean_abs", "rms", "norm", "share_near_zero", "unit_spread")
TRACE_MEASURES = ("logit_gradient_error", "dropout_scale")
GRADIENT_RULES = ("engine", "p_minus_y", "diagonal")
DROPOUT_MODES = ("train", "eval")
COMBINERS = ("ratio", "difference", "abs", "min", "max", "mean")
KINDS = COMBINERS + ("value", "metric", "curve", "epoch_when", "weights", "trace")

RUN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_KEY = r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*"
REFERENCE = re.compile(rf"(?P<run>[A-Za-z][A-Za-z0-9_]*)\.(?P<key>{_KEY})(?::(?P<reduce>\w+))?\Z")
TENSOR_NAME = re.compile(r"\d+\.(weight|bias)\Z")


def shown(value: Any) -> str:
    """A value as JSON for a message, cut short."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- the quantities ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Fact:
    """A run's final number or yes/no fact: ``run.key``."""

    run: str
    key: str

    @property
    def is_flag(self) -> bool:
        return self.key in FLAGS


@dataclass(frozen=True)
class Curve:
    """A curve reduced to one number, over every recorded epoch or epochs FROM..TO."""

    run: str
    key: str
    reduce: str
    epochs: tuple[int, int] | None = None


@dataclass(frozen=True)
class EpochWhen:
    """The first epoch at which a curve reaches ``level`` (falling to it, or rising to it)."""

    run: str
    key: str
    level: float
    falling: bool


@dataclass(frozen=True)
class Combined:
    """ratio, difference, abs, min, max or mean of other quantities."""

    op: str
    parts: tuple[Quantity, ...]


@dataclass(frozen=True)
class Weights:
    run: str
    tensor: str
    measure: str
    rows: tuple[int, ...] | None = None
    columns: tuple[int, ...] | None = None
    inputs: tuple[str, ...] | None = None
    tolerance: float | None = None


@dataclass(frozen=True)
class Trace:
    run: str
    measure: str
    option: str  # the gradient rule, or the dropout mode


Quantity = Union[Number, Fact, Curve, EpochWhen, Combined, Weights, Trace]


@dataclass(frozen=True)
class Claim:
    """One claim: the sentence, the quantity, and its bounds (or the yes/no it must be)."""

    says: str
    quantity: Quantity
    at_least: float | None = None
    at_most: float | None = None
    above: float | None = None
    below: float | None = None
    is_: bool | None = None

    def bounds(self) -> dict[str, float]:
        return {k: getattr(self, k) for k in BOUNDS if getattr(self, k) is not None}

    def negated(self) -> Claim:
        """The opposite claim (a test's planted wrong claim): every bound flipped, so that
        exactly one of a claim and its negation holds on a number; a range becomes its
        complement only when one side is given, so only one-sided claims negate."""
        if self.is_ is not None:
            return Claim(self.says, self.quantity, is_=not self.is_)
        bounds = self.bounds()
        if len(bounds) != 1:
            raise ValueError("only a one-sided claim has a one-sided negation")
        (key, value), = bounds.items()
        flipped = {"at_least": "below", "at_most": "above", "above": "at_most",
                   "below": "at_least"}[key]
        return Claim(self.says, self.quantity, **{flipped: value})


def runs_of(q: Quantity) -> set[str]:
    """The run names a quantity reads."""
    if isinstance(q, Number):
        return set()
    if isinstance(q, Combined):
        return set().union(*(runs_of(p) for p in q.parts))
    return {q.run}


def describe(q: Quantity) -> str:
    """The quantity as a lesson file writes it, for sentences: ``ratio(a.x, b.y)``."""
    if isinstance(q, Number):
        return f"{q.value:g}"
    if isinstance(q, Fact):
        return f"{q.run}.{q.key}"
    if isinstance(q, Curve):
        window = f" over epochs {q.epochs[0]}-{q.epochs[1]}" if q.epochs else ""
        return f"{q.run}.{q.key}:{q.reduce}{window}"
    if isinstance(q, EpochWhen):
        return f"the first epoch with {q.run}.{q.key} {'<=' if q.falling else '>='} {q.level:g}"
    if isinstance(q, Combined):
        return f"{q.op}({', '.join(describe(p) for p in q.parts)})"
    if isinstance(q, Weights):
        parts = [f"{q.run}.{q.tensor}"]
        if q.inputs:
            parts.append("inputs " + ", ".join(q.inputs))
        if q.columns:
            parts.append("columns " + ",".join(map(str, q.columns)))
        if q.rows:
            parts.append("rows " + ",".join(map(str, q.rows)))
        extra = f" {q.tolerance:g}" if q.tolerance is not None else ""
        return f"{q.measure}{extra} of {' '.join(parts)}"
    if q.measure == "dropout_scale" and q.option == "eval":
        return f"{q.measure} (eval) of {q.run}"
    return f"{q.measure} ({q.option}) of {q.run}'s traced step"

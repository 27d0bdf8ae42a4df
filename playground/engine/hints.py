"""Advice read off a run's curves, as a teacher watching over a learner's shoulder would give it.

Pure functions of the recorded numbers (no Qt): the app shows them as notices, and a script or
a test can ask the same questions of a headless run.

- ``oscillation``: the training loss has swung up and down for a while without settling, the
  classic sign of a learning rate too high for plain gradient descent (each step overshoots the
  valley's floor). Over the last ``window`` epochs it asks for all three of: a wide swing,
  (max - min) / median >= ``swing``; no progress, the later half's mean at least 90% of the
  earlier half's; and a zig-zag, the direction changing on at least a quarter of the epochs.
  And the loss must still be high: its median at least ``SCALE`` times the run's first
  loss. A fit that is already good zig-zags widely in relative terms (Adam on a solved
  spiral: 1e-4 with a spike to 0.15 now and then), and that is no reason to lower the rate.
- ``SpeedWatch``: Play was asked for more epochs a second than the machine delivers on this
  network, for long enough that it is not a start-up hiccup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

WINDOW = 50
SWING = 0.5
SCALE = 0.25


@dataclass(frozen=True)
class Oscillation:
    """The loss swung between ``low`` and ``high`` over the last ``epochs`` epochs."""

    low: float
    high: float
    epochs: int

    def advice(self, lr: float) -> str:
        return (f"The loss has swung between {self.low:.3g} and {self.high:.3g} over the last "
                f"{self.epochs} epochs without settling: the learning rate ({lr:g}) is "
                f"probably too high, so each step overshoots. Try {suggested_rate(lr):g}.")


def suggested_rate(lr: float) -> float:
    """A tenth of ``lr``, to two significant digits (10 -> 1, 0.3 -> 0.03, 2.5 -> 0.25)."""
    target = lr / 10.0
    if not target > 0 or not math.isfinite(target):
        return lr
    return float(f"{target:.2g}")


def oscillation(losses, window: int = WINDOW, swing: float = SWING,
                epochs=None) -> Oscillation | None:
    """An ``Oscillation`` if the last ``window`` finite losses zig-zag widely without falling;
    else None (also with fewer than ``window`` of them). ``epochs``, the losses' epoch
    numbers (a long run's curves keep every k-th epoch), give the span the advice names."""
    y = np.asarray(losses, dtype=np.float64)
    ok = np.isfinite(y)
    y = y[ok]
    if y.size < window or window < 8:
        return None
    w = y[-window:]
    median = float(np.median(w))
    low, high = float(w.min()), float(w.max())
    if not median > 0 or (high - low) / median < swing or median < SCALE * y[0]:
        return None
    half = window // 2
    if w[half:].mean() < 0.9 * w[:half].mean():
        return None   # falling on the whole: noisy, but learning
    steps = np.sign(np.diff(w))
    turns = int(np.count_nonzero(steps[1:] * steps[:-1] < 0))
    if turns < window // 4:
        return None
    span = window
    if epochs is not None:
        e = np.asarray(epochs, dtype=np.float64)[ok][-window:]
        span = int(e[-1] - e[0]) + 1
    return Oscillation(low, high, span)


def blown_up_at(history) -> int | None:
    """The epoch at which the latest run of non-finite losses began (a divergence found at
    the end of a chunk of several epochs started earlier); None if the last one is finite."""
    first = None
    for i in range(len(history) - 1, -1, -1):
        record = history[i]
        loss = record.get("batch_loss", record.get("train_loss"))
        if loss is not None and math.isfinite(loss):
            break
        first = record["epoch"]
    return first


class SpeedWatch:
    """Notices when live training runs well below the requested speed.

    ``observe(requested, achieved, now)`` with epochs per second (requested 0 = no limit) and
    a clock in seconds returns a message once the shortfall (achieved < ``share`` of requested)
    has lasted ``seconds``; then nothing until the speed is met again or the request changes.
    """

    def __init__(self, share: float = 0.7, seconds: float = 3.0) -> None:
        self.share, self.seconds = share, seconds
        self._since: float | None = None
        self._told = False
        self._requested = 0.0

    def reset(self) -> None:
        self._since, self._told = None, False

    def observe(self, requested: float, achieved: float, now: float) -> str | None:
        if requested != self._requested:
            self._requested = requested
            self.reset()
        short = requested > 0 and 0 < achieved < self.share * requested
        if not short:
            self._since, self._told = None, False
            return None
        if self._since is None:
            self._since = now
        if self._told or now - self._since < self.seconds:
            return None
        self._told = True
        return (f"Training runs at {achieved:,.0f} epochs/s, below the {requested:,.0f} asked: "
                f"one epoch of this network takes about {1000 / achieved:,.0f} ms on this "
                "machine. Choose a lower speed, or a smaller network or data set.")

"""Learning-rate schedules stepped once per epoch, as torch.optim.lr_scheduler computes them.

The chainable forms are kept (each step rescales the current lr) so float rounding follows
torch's, and a learning rate changed by hand mid-run is scaled from, not overwritten.

constant     lr
step         lr *= gamma every step_size epochs                         (StepLR)
exponential  lr *= gamma every epoch                                    (ExponentialLR)
cosine       lr_t = eta_min + (lr_0 - eta_min)(1 + cos(pi t / T_max)) / 2, recursive form
             (CosineAnnealingLR; past T_max it rises again, as torch's does)
plateau      lr = max(lr * factor, min_lr) after more than `patience` epochs whose metric
             did not beat best * (1 - threshold)                       (ReduceLROnPlateau, min, rel)
"""

from __future__ import annotations

import math
from typing import Any

#: Options of each schedule and their defaults (torch's where torch has one).
#: cosine's t_max of None means "the run's epochs".
SCHEDULE_DEFAULTS: dict[str, dict[str, Any]] = {
    "constant": {},
    "step": {"step_size": 10, "gamma": 0.1},
    "exponential": {"gamma": 0.95},
    "cosine": {"t_max": None, "eta_min": 0.0},
    "plateau": {"factor": 0.1, "patience": 10, "threshold": 1e-4, "min_lr": 0.0},
}
SCHEDULES: tuple[str, ...] = tuple(SCHEDULE_DEFAULTS)
_PLATEAU_EPS = 1e-8


class Scheduler:
    """The schedule's state; ``step(lr, metric)`` returns the learning rate for the next epoch."""

    def __init__(self, name: str, options: dict[str, Any], base_lr: float, epochs: int) -> None:
        self.name = name
        self.options = dict(options)
        if name == "cosine" and self.options.get("t_max") is None:
            self.options["t_max"] = max(int(epochs), 1)
        self.base_lr = float(base_lr)
        self.last_epoch = 0
        self.best = math.inf
        self.num_bad_epochs = 0

    @property
    def needs_metric(self) -> bool:
        return self.name == "plateau"

    def step(self, lr: float, metric: float | None = None) -> float:
        self.last_epoch += 1
        return getattr(self, "_" + self.name)(lr, metric)

    def _constant(self, lr, metric):
        return lr

    def _step(self, lr, metric):
        if self.last_epoch % self.options["step_size"] == 0:
            return lr * self.options["gamma"]
        return lr

    def _exponential(self, lr, metric):
        return lr * self.options["gamma"]

    def _cosine(self, lr, metric):
        t, t_max, eta_min = self.last_epoch, self.options["t_max"], self.options["eta_min"]
        if (t - 1 - t_max) % (2 * t_max) == 0:
            return lr + (self.base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        return ((1 + math.cos(math.pi * t / t_max)) / (1 + math.cos(math.pi * (t - 1) / t_max))
                * (lr - eta_min) + eta_min)

    def _plateau(self, lr, metric):
        o = self.options
        if metric < self.best * (1 - o["threshold"]):
            self.best = metric
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.num_bad_epochs > o["patience"]:
            self.num_bad_epochs = 0
            new_lr = max(lr * o["factor"], o["min_lr"])
            if lr - new_lr > _PLATEAU_EPS:
                return new_lr
        return lr

    def state_dict(self) -> dict[str, Any]:
        return {"last_epoch": self.last_epoch, "best": self.best,
                "num_bad_epochs": self.num_bad_epochs, "base_lr": self.base_lr}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key in ("last_epoch", "best", "num_bad_epochs", "base_lr"):
            setattr(self, key, state[key])

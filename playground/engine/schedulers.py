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

from playground.engine.formulas import Formula

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


# -- formulas: what the app, docs/formulas.md and tests/test_formulas.py show and check ---------
# Each twin gives the rates after epochs t = 1..len(metrics) in closed form (plateau: its rule),
# where the engine computes them in torch's recursive form.

def _plateau_twin(lr0, metrics, o):
    lr, best, bad, out = lr0, math.inf, 0, []
    for metric in metrics:
        if metric < best * (1 - o["threshold"]):
            best, bad = metric, 0
        else:
            bad += 1
        if bad > o["patience"]:
            lr, bad = max(lr * o["factor"], o["min_lr"]), 0
        out.append(lr)
    return out


def _epochs(metrics):
    return range(1, len(metrics) + 1)


_T = "t is the number of finished epochs (the schedule steps after each), η₀ the optimizer's lr."
FORMULAS = {
    ("schedule", "constant"): Formula(
        "Constant", (r"\eta_t = \eta_0",), "The learning rate never changes.",
        "torch.optim.lr_scheduler.LambdaLR(optimizer, lambda t: 1.0)",
        lambda lr0, metrics, o: [lr0 for _ in metrics], symbols=_T),
    ("schedule", "step"): Formula(
        "Step decay", (r"\eta_t = \eta_0\,\gamma^{\lfloor t / s \rfloor}",),
        "Multiplies the rate by γ every s epochs: a staircase down.",
        "torch.optim.lr_scheduler.StepLR(optimizer, step_size=s, gamma)",
        lambda lr0, metrics, o: [lr0 * o["gamma"] ** (t // o["step_size"])
                                 for t in _epochs(metrics)],
        symbols=_T + " s is the step size."),
    ("schedule", "exponential"): Formula(
        "Exponential decay", (r"\eta_t = \eta_0\,\gamma^{t}",),
        "Multiplies the rate by γ after every epoch (the notebook's η₀ e^(−kt) is "
        "γ = e^(−k)).",
        "torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)",
        lambda lr0, metrics, o: [lr0 * o["gamma"] ** t for t in _epochs(metrics)],
        symbols=_T),
    ("schedule", "cosine"): Formula(
        "Cosine annealing",
        (r"\eta_t = \eta_{min} + \dfrac{1}{2}\,(\eta_0 - \eta_{min})"
         r"\left(1 + \cos\dfrac{\pi\,t}{T_{max}}\right)",),
        "Glides from η₀ down to η_min along half a cosine over T_max epochs (and back up "
        "after, as torch's does).",
        "torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max, eta_min)",
        lambda lr0, metrics, o: [o["eta_min"] + (lr0 - o["eta_min"]) * (
            1 + math.cos(math.pi * t / o["t_max"])) / 2 for t in _epochs(metrics)],
        symbols=_T + " T_max defaults to the run's epochs."),
    ("schedule", "plateau"): Formula(
        "Reduce on plateau",
        (r"\mathrm{if}\ \ell < \ell^{*}\,(1 - \delta):\ \ \ell^{*} \leftarrow \ell,\ "
         r"k \leftarrow 0\quad \mathrm{else}\ \ k \leftarrow k + 1",
         r"\mathrm{if}\ k > \mathrm{patience}:\ \ \eta \leftarrow \max(f\,\eta,\ \eta_{min}),"
         r"\ k \leftarrow 0"),
        "Lowers the rate by the factor f once the loss has not improved for more than "
        "patience epochs in a row.",
        "torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode='min', factor, patience, "
        "threshold, threshold_mode='rel', min_lr)",
        _plateau_twin,
        symbols="ℓ is the epoch's evaluation loss (the test loss if there is a test split, "
                "else the training loss), ℓ* the best so far, δ the threshold, k the epochs "
                "without improvement."),
}

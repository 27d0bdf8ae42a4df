"""The one source of truth for the app: the current ``RunConfig``, edited by the panels.

Panels never keep a second copy of a hyperparameter: they read ``model.config`` and call the
``update_*`` methods, which build a new frozen config (validated on construction), pass it to
the ``gate`` (the window's: it builds the run the config describes, so a config that cannot
train, say a training split with one class, is refused too), and only then emit ``changed``.
A refused change leaves the config as it was and comes back as the error message, for the
panel to show beside the control it puts back.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal

from playground.config import (
    DataConfig, OptimizerConfig, RunConfig, ScheduleConfig,
)
from playground.engine.optimizers import OPTIMIZER_DEFAULTS
from playground.engine.schedulers import SCHEDULE_DEFAULTS
from playground.errors import PlaygroundError

#: ``gate(config, part)`` accepts a proposed config by returning, refuses it by raising
#: PlaygroundError (or ValueError/OSError) with a message for the user.
Gate = Callable[[RunConfig, str], None]

#: The opening state: TensorFlow Playground's (circle, 500 points, no noise, half held out,
#: x1 and x2, two hidden tanh layers of 4 and 2, batch 10, SGD at 0.03), except where PyTorch
#: practice teaches better: standardized inputs, Xavier-uniform weights with zero biases (TF
#: Playground: raw inputs in [-6, 6], U(-0.5, 0.5) and biases 0.1), and a sigmoid output with
#: binary cross-entropy on labels 0/1 (TF Playground: squared error on a tanh output, labels
#: +-1). docs/app.md says why.
DEFAULT_CONFIG = RunConfig.from_dict({
    "format": 1, "seed": 0,
    "data": {"source": "circle", "samples": 500, "noise": 0.0, "test_fraction": 0.5},
    "model": {"type": "mlp", "layers": [
        {"type": "dense", "units": 4, "activation": "tanh"},
        {"type": "dense", "units": 2, "activation": "tanh"}]},
    "train": {"epochs": 1000, "batch_size": 10, "optimizer": {"name": "sgd", "lr": 0.03}},
})

#: What a change touches: data and structure changes need a new run; "train" ones apply live.
DATA, MODEL, TRAIN, ALL = "data", "model", "train", "all"


class ConfigModel(QObject):
    """Holds the current run config; ``changed(config, part)`` after every accepted edit."""

    changed = Signal(object, str)

    def __init__(self, config: RunConfig = DEFAULT_CONFIG, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._config = config
        self.gate: Gate | None = None

    @property
    def config(self) -> RunConfig:
        return self._config

    def set_config(self, config: RunConfig, part: str = ALL) -> None:
        """Make ``config`` current without asking the gate: for a config whose run was
        already built and checked (an opened file)."""
        self._config = config
        self.changed.emit(config, part)

    def propose(self, config: RunConfig, part: str = ALL) -> str | None:
        """Make ``config`` current if the gate accepts it; else the reason, and no change."""
        return self._apply(lambda: config, part)

    def _apply(self, build, part: str) -> str | None:
        try:
            config = build()
            if config == self._config:
                return None
            if self.gate is not None:
                self.gate(config, part)
        except PlaygroundError as exc:
            return str(exc)
        except (ValueError, OSError) as exc:  # a library's complaint about the data
            return f"{type(exc).__name__}: {exc}"
        self.set_config(config, part)
        return None

    def update_data(self, **changes: Any) -> str | None:
        """Replace fields of ``data``; returns an error message instead of applying a bad value."""
        return self._apply(lambda: self._config.replace(
            data=dataclasses.replace(self._config.data, **changes)), DATA)

    def set_data(self, data: DataConfig) -> str | None:
        return self._apply(lambda: self._config.replace(data=data), DATA)

    def update_model(self, **changes: Any) -> str | None:
        """Replace fields of ``model`` (``type``, ``layers``, ``output_init``, ``init``)."""
        return self._apply(lambda: self._config.replace(
            model=dataclasses.replace(self._config.model, **changes)), MODEL)

    def update_train(self, **changes: Any) -> str | None:
        """Replace fields of ``train`` (loss, epochs, batch_size, shuffle, dtype, regularization,
        clip, ...)."""
        return self._apply(lambda: self._config.replace(
            train=dataclasses.replace(self._config.train, **changes)), TRAIN)

    def update_seed(self, seed: int) -> str | None:
        return self._apply(lambda: self._config.replace(seed=seed), DATA)

    def update_optimizer(self, name: str | None = None, **options: Any) -> str | None:
        """Switch optimizer (keeping the learning rate and the options it shares) or change
        options of the current one."""
        current = self._config.train.optimizer

        def build() -> RunConfig:
            new_name = name or current.name
            kept = {k: v for k, v in current.options if k in OPTIMIZER_DEFAULTS[new_name]
                    and (k == "lr" or v != OPTIMIZER_DEFAULTS[current.name].get(k))}
            opt = OptimizerConfig(new_name, tuple({**kept, **options}.items()))
            return self._config.replace(train=dataclasses.replace(self._config.train,
                                                                  optimizer=opt))
        return self._apply(build, TRAIN)

    def update_schedule(self, name: str | None = None, **options: Any) -> str | None:
        """Switch schedule (its options back to their defaults) or change its options."""
        current = self._config.train.schedule

        def build() -> RunConfig:
            new_name = name or current.name
            kept = dict(current.options) if new_name == current.name else {}
            kept = {k: v for k, v in kept.items() if k in SCHEDULE_DEFAULTS[new_name]}
            sched = ScheduleConfig(new_name, tuple({**kept, **options}.items()))
            return self._config.replace(train=dataclasses.replace(self._config.train,
                                                                  schedule=sched))
        return self._apply(build, TRAIN)


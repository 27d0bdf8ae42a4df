"""The one source of truth for the app: the current ``RunConfig``, edited by the panels.

Panels never keep a second copy of a hyperparameter: they read ``model.config`` and call the
``update_*`` methods, which build a new frozen config (validated on construction) and emit
``changed``. A change the validator refuses leaves the config as it was and comes back as the
error message, for the panel to show inline.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QObject, Signal

from playground.config import (
    DataConfig, OptimizerConfig, RunConfig, ScheduleConfig,
)
from playground.engine.optimizers import OPTIMIZER_DEFAULTS
from playground.engine.schedulers import SCHEDULE_DEFAULTS
from playground.errors import ConfigError

#: TensorFlow Playground's opening state: circle data, two hidden tanh layers (4, 2), SGD 0.03.
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

    @property
    def config(self) -> RunConfig:
        return self._config

    def set_config(self, config: RunConfig, part: str = ALL) -> None:
        self._config = config
        self.changed.emit(config, part)

    def _apply(self, build, part: str) -> str | None:
        try:
            config = build()
        except ConfigError as exc:
            return str(exc)
        if config != self._config:
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


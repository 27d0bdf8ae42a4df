"""The run config of PRODUCT.md (``format: 1``): frozen dataclasses, JSON in and out, validation.

One config describes a whole run. Every dataclass validates itself on construction, and every
error names the key path and what is allowed (``train.optimizer.lr must be > 0, got -1``).
``to_dict`` writes every key, defaults included, so a saved config loads back equal.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from playground.data.names import FEATURES_2D, GENERATORS_2D, SOURCES, TASKS, fixed_task
from playground.engine.activations import ACTIVATIONS
from playground.engine.initializers import BIAS_INITIALIZERS, INITIALIZERS
from playground.engine.losses import LOSSES
from playground.engine.optimizers import OPTIMIZER_DEFAULTS, OPTIMIZERS
from playground.engine.schedulers import SCHEDULE_DEFAULTS, SCHEDULES
from playground.errors import ConfigError

FORMAT = 1
DTYPES: tuple[str, ...] = ("float32", "float64")
MODEL_TYPES: tuple[str, ...] = ("mlp", "perceptron")
LAYER_TYPES: tuple[str, ...] = ("dense", "batchnorm", "dropout") + ACTIVATIONS
REGULARIZATIONS: tuple[str, ...] = ("none", "l1", "l2")
MAX_SAMPLES = 1_000_000
MAX_UNITS = 100_000
FLOAT32_MAX = 3.4028234663852886e38  # np.finfo(np.float32).max
MAX_SHOWN = 80  # characters of a bad value or key quoted in an error message


def _fmt(value: Any) -> str:
    """A value as the JSON it came from (null, true, "text"), for error messages; a long one
    is cut short, so that a megabyte string does not become a megabyte message."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 3] + "..."


def _key(name: str) -> str:
    """A JSON object key for a message: as it is when short and printable, else quoted."""
    return name if name.isprintable() and len(name) <= MAX_SHOWN else _fmt(name)


def _choices(values) -> str:
    return ", ".join(str(v) for v in values)


# ---------------------------------------------------------------------------------------------
# Checks shared by the dataclasses: each raises ConfigError naming the key path.

def _check_int(path: str, value: Any, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer() and math.isfinite(value):
            value = int(value)
        else:
            raise ConfigError(f"{path} must be an integer, got {_fmt(value)}")
    if lo is not None and value < lo:
        raise ConfigError(f"{path} must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise ConfigError(f"{path} must be <= {hi}, got {value}")
    return value


def _check_float(path: str, value: Any, lo: float | None = None, hi: float | None = None, *,
                 lo_open: bool = False, hi_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{path} must be a number, got {_fmt(value)}")
    try:
        value = float(value)
    except OverflowError:  # an integer beyond a float's range, e.g. 10**400
        raise ConfigError(f"{path} must be a finite number, got {_fmt(value)}") from None
    if not math.isfinite(value):
        raise ConfigError(f"{path} must be a finite number, got {value}")
    if lo is not None and (value <= lo if lo_open else value < lo):
        raise ConfigError(f"{path} must be {'>' if lo_open else '>='} {lo:g}, got {value:g}")
    if hi is not None and (value >= hi if hi_open else value > hi):
        raise ConfigError(f"{path} must be {'<' if hi_open else '<='} {hi:g}, got {value:g}")
    return value


def _check_bool(path: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{path} must be true or false, got {_fmt(value)}")
    return value


def _check_choice(path: str, value: Any, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"{path} must be one of {_choices(choices)}; got {_fmt(value)}")
    return value


def _check_str(path: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{path} must be a non-empty string, got {_fmt(value)}")
    return value


class _Keys:
    """Reads one JSON object: known keys only, each checked against its path."""

    def __init__(self, path: str, obj: Any, allowed) -> None:
        if not isinstance(obj, dict):
            raise ConfigError(f"{path or 'the config'} must be a JSON object, got {_fmt(obj)}")
        self.path = path
        self.obj = obj
        unknown = [k for k in obj if k not in allowed]
        if unknown:
            raise ConfigError(f"{self.at(_key(unknown[0]))} is not a known key; allowed: "
                              f"{_choices(allowed)}")

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def pick(self, keys) -> dict[str, Any]:
        return {k: self.obj[k] for k in keys if k in self.obj}


def _set(obj: Any, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


# ---------------------------------------------------------------------------------------------
# data

@dataclass(frozen=True)
class DataConfig:
    """``data``: where the samples come from and how they are prepared."""

    source: str
    samples: int = 500
    noise: float = 0.0
    test_fraction: float = 0.2
    features: tuple[str, ...] | None = None
    standardize: bool = True
    #: None: follow ``standardize`` (for regression; nothing to scale for classification)
    standardize_target: bool | None = None
    path: str | None = None
    target: str | None = None
    #: the CSV feature columns, in order; None: every column but the target
    columns: tuple[str, ...] | None = None
    task: str | None = None
    _path: str = field(default="data", repr=False, compare=False)

    def __post_init__(self) -> None:
        p = self._path
        _check_choice(f"{p}.source", self.source, SOURCES)
        _set(self, "samples", _check_int(f"{p}.samples", self.samples, 2, MAX_SAMPLES))
        _set(self, "noise", _check_float(f"{p}.noise", self.noise, 0.0, 1.0))
        _set(self, "test_fraction", _check_float(f"{p}.test_fraction", self.test_fraction, 0.0, 0.9))
        _set(self, "standardize", _check_bool(f"{p}.standardize", self.standardize))
        is_2d = self.source in GENERATORS_2D
        if self.features is not None:
            if not is_2d:
                raise ConfigError(f"{p}.features applies to the 2-D sources only "
                                  f"({_choices(GENERATORS_2D)}), not {self.source}")
            if not isinstance(self.features, (list, tuple)) or not self.features:
                raise ConfigError(f"{p}.features must be a non-empty list of "
                                  f"{_choices(FEATURES_2D)}; got {_fmt(self.features)}")
            for i, name in enumerate(self.features):
                _check_choice(f"{p}.features[{i}]", name, FEATURES_2D)
            if len(set(self.features)) != len(self.features):
                raise ConfigError(f"{p}.features lists a feature twice: {list(self.features)}")
            _set(self, "features", tuple(self.features))
        elif is_2d:
            _set(self, "features", ("x1", "x2"))
        if self.source == "csv":
            if self.path is None:
                raise ConfigError(f"{p}.path is required when {p}.source is csv")
            _check_str(f"{p}.path", self.path)
            if "\0" in self.path:
                raise ConfigError(f"{p}.path must not contain a NUL character, got "
                                  f"{_fmt(self.path)}")
            if self.target is not None:
                _check_str(f"{p}.target", self.target)
            if self.columns is not None:
                self._check_columns()
        else:
            for key in ("path", "target", "columns"):
                if getattr(self, key) is not None:
                    raise ConfigError(f"{p}.{key} applies to source csv only, not {self.source}")
        if self.task is not None:
            _check_choice(f"{p}.task", self.task, TASKS)
        if self.standardize_target is not None:
            _check_bool(f"{p}.standardize_target", self.standardize_target)
            task = self.task or fixed_task(self.source)
            if self.standardize_target and task == "classification":
                why = (f"{p}.task is classification" if self.task
                       else f"source {self.source} is a classification set")
                raise ConfigError(f"{p}.standardize_target applies to regression only; {why} "
                                  f"(leave {p}.standardize_target out)")

    def _check_columns(self) -> None:
        p, columns = self._path, self.columns
        if not isinstance(columns, (list, tuple)) or not columns:
            raise ConfigError(f"{p}.columns must be a non-empty list of column names; got "
                              f"{_fmt(columns)}")
        for i, name in enumerate(columns):
            _check_str(f"{p}.columns[{i}]", name)
        seen: set[str] = set()
        for name in columns:
            if name in seen:
                raise ConfigError(f"{p}.columns lists column {_fmt(name)} twice; each column "
                                  "may appear once")
            seen.add(name)
        if self.target is not None and self.target in seen:
            raise ConfigError(f"{p}.columns lists the target column {_fmt(self.target)}; the "
                              "target cannot also be a feature")
        _set(self, "columns", tuple(columns))

    def scales_target(self, task: str) -> bool:
        """Whether the targets of data of ``task`` are z-scored: ``standardize_target``, which
        defaults to ``standardize``, for regression; never for classification."""
        if task != "regression":
            return False
        return self.standardize if self.standardize_target is None else self.standardize_target

    @property
    def is_2d(self) -> bool:
        return self.source in GENERATORS_2D

    @classmethod
    def from_dict(cls, obj: Any, path: str = "data") -> DataConfig:
        keys = _Keys(path, obj, [f.name for f in dataclasses.fields(cls) if f.name != "_path"])
        if "source" not in obj:
            raise ConfigError(f"{path}.source is required; one of {_choices(SOURCES)}")
        return cls(**keys.pick(obj), _path=path)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source}
        if self.is_2d:
            out.update(samples=self.samples, noise=self.noise)
        out.update(test_fraction=self.test_fraction)
        if self.features is not None:
            out["features"] = list(self.features)
        out["standardize"] = self.standardize
        if self.standardize_target is not None:
            out["standardize_target"] = self.standardize_target
        if self.source == "csv":
            out["path"] = self.path
            if self.target is not None:
                out["target"] = self.target
            if self.columns is not None:
                out["columns"] = list(self.columns)
        if self.task is not None:
            out["task"] = self.task
        return out


# ---------------------------------------------------------------------------------------------
# model

@dataclass(frozen=True)
class DenseLayer:
    units: int
    activation: str = "linear"
    init: str = "xavier_uniform"
    bias_init: Union[str, float] = "zeros"
    type: str = field(default="dense", init=False)

    def validate(self, path: str) -> None:
        _set(self, "units", _check_int(f"{path}.units", self.units, 1, MAX_UNITS))
        _check_choice(f"{path}.activation", self.activation, ACTIVATIONS)
        _check_choice(f"{path}.init", self.init, tuple(INITIALIZERS))
        if isinstance(self.bias_init, str):
            _check_choice(f"{path}.bias_init", self.bias_init, BIAS_INITIALIZERS)
        elif isinstance(self.bias_init, bool) or not isinstance(self.bias_init, (int, float)):
            raise ConfigError(f"{path}.bias_init must be one of {_choices(BIAS_INITIALIZERS)} "
                              f"or a number; got {_fmt(self.bias_init)}")
        else:
            _set(self, "bias_init", _check_float(f"{path}.bias_init", self.bias_init))


@dataclass(frozen=True)
class BatchNormLayer:
    momentum: float = 0.1
    eps: float = 1e-5
    type: str = field(default="batchnorm", init=False)

    def validate(self, path: str) -> None:
        _set(self, "momentum", _check_float(f"{path}.momentum", self.momentum, 0.0, 1.0))
        _set(self, "eps", _check_float(f"{path}.eps", self.eps, 0.0, lo_open=True))


@dataclass(frozen=True)
class DropoutLayer:
    p: float = 0.5
    type: str = field(default="dropout", init=False)

    def validate(self, path: str) -> None:
        _set(self, "p", _check_float(f"{path}.p", self.p, 0.0, 1.0, hi_open=True))


@dataclass(frozen=True)
class ActivationLayer:
    type: str

    def validate(self, path: str) -> None:
        _check_choice(f"{path}.type", self.type, ACTIVATIONS)


Layer = Union[DenseLayer, BatchNormLayer, DropoutLayer, ActivationLayer]
_LAYER_CLASSES = {"dense": DenseLayer, "batchnorm": BatchNormLayer, "dropout": DropoutLayer}


def layer_from_dict(obj: Any, path: str) -> Layer:
    if not isinstance(obj, dict):
        raise ConfigError(f"{path} must be a JSON object, got {_fmt(obj)}")
    if "type" not in obj:
        raise ConfigError(f"{path}.type is required; one of {_choices(LAYER_TYPES)}")
    kind = _check_choice(f"{path}.type", obj["type"], LAYER_TYPES)
    cls = _LAYER_CLASSES.get(kind)
    if cls is None:
        _Keys(path, obj, ["type"])
        layer: Layer = ActivationLayer(kind)
    else:
        names = [f.name for f in dataclasses.fields(cls) if f.name != "type"]
        keys = _Keys(path, obj, ["type"] + names)
        if cls is DenseLayer and "units" not in obj:
            raise ConfigError(f"{path}.units is required for a dense layer")
        layer = cls(**keys.pick(names))
    layer.validate(path)
    return layer


def layer_to_dict(layer: Layer) -> dict[str, Any]:
    out = {"type": layer.type}
    out.update({f.name: getattr(layer, f.name) for f in dataclasses.fields(layer)
                if f.name != "type"})
    return out


@dataclass(frozen=True)
class ModelConfig:
    """``model``: an MLP's hidden stack (the output layer is added from the data), or a perceptron."""

    type: str
    layers: tuple[Layer, ...] = ()
    output_init: str = "xavier_uniform"
    init: str = "zeros"
    #: the init stream's own seed; None: the run's ``seed`` (Reset with new weights moves it,
    #: so the same data and batches meet other initial weights)
    init_seed: int | None = None
    _path: str = field(default="model", repr=False, compare=False)

    def __post_init__(self) -> None:
        p = self._path
        _check_choice(f"{p}.type", self.type, MODEL_TYPES)
        _check_choice(f"{p}.output_init", self.output_init, tuple(INITIALIZERS))
        _check_choice(f"{p}.init", self.init, tuple(INITIALIZERS))
        if self.init_seed is not None:
            _set(self, "init_seed", _check_int(f"{p}.init_seed", self.init_seed, 0, 2**63 - 1))
        layers = tuple(self.layers)
        for i, layer in enumerate(layers):
            layer.validate(f"{p}.layers[{i}]")
        _set(self, "layers", layers)

    @classmethod
    def from_dict(cls, obj: Any, path: str = "model") -> ModelConfig:
        if isinstance(obj, dict) and "type" not in obj:
            raise ConfigError(f"{path}.type is required; one of {_choices(MODEL_TYPES)}")
        if isinstance(obj, dict) and obj.get("type") == "perceptron":
            keys = _Keys(path, obj, ["type", "init", "init_seed"])
            return cls(**keys.pick(["type", "init", "init_seed"]), _path=path)
        keys = _Keys(path, obj, ["type", "layers", "output_init", "init_seed"])
        kind = _check_choice(f"{path}.type", obj["type"], MODEL_TYPES)
        raw_layers = obj.get("layers", [])
        if not isinstance(raw_layers, list):
            raise ConfigError(f"{path}.layers must be a list of layers, got {_fmt(raw_layers)}")
        layers = tuple(layer_from_dict(item, f"{path}.layers[{i}]")
                       for i, item in enumerate(raw_layers))
        return cls(kind, layers, **keys.pick(["output_init", "init_seed"]), _path=path)

    def to_dict(self) -> dict[str, Any]:
        if self.type == "perceptron":
            out: dict[str, Any] = {"type": "perceptron", "init": self.init}
        else:
            out = {"type": self.type, "layers": [layer_to_dict(layer) for layer in self.layers],
                   "output_init": self.output_init}
        if self.init_seed is not None:
            out["init_seed"] = self.init_seed
        return out


# ---------------------------------------------------------------------------------------------
# train

def _check_option(path: str, key: str, value: Any, default: Any) -> Any:
    """Check an optimizer or schedule option against the type of its default."""
    at = f"{path}.{key}"
    if isinstance(default, bool):
        return _check_bool(at, value)
    if key in ("step_size", "patience", "t_max"):
        return _check_int(at, value, 0 if key == "patience" else 1)
    if key == "betas":
        if not isinstance(value, (list, tuple)) or len(value) != 2:
            raise ConfigError(f"{at} must be a list of two numbers in [0, 1), got {_fmt(value)}")
        return tuple(_check_float(f"{at}[{i}]", b, 0.0, 1.0, hi_open=True)
                     for i, b in enumerate(value))
    if key in ("lr", "eps", "gamma", "factor") or (key == "alpha"):
        kw: dict[str, Any] = {"lo": 0.0, "lo_open": True}
        if key == "factor":
            kw.update(hi=1.0, hi_open=True)
        if key == "alpha":
            kw = {"lo": 0.0, "hi": 1.0}
        return _check_float(at, value, **kw)
    if key in ("momentum", "dampening"):
        return _check_float(at, value, 0.0, 1.0)
    return _check_float(at, value, 0.0)


@dataclass(frozen=True)
class OptimizerConfig:
    """``train.optimizer``: a name and its torch.optim options; unset options take torch's defaults."""

    name: str = "adam"
    options: tuple[tuple[str, Any], ...] = ()
    _path: str = field(default="train.optimizer", repr=False, compare=False)

    def __post_init__(self) -> None:
        p = self._path
        _check_choice(f"{p}.name", self.name, OPTIMIZERS)
        defaults = OPTIMIZER_DEFAULTS[self.name]
        given = dict(self.options)
        for key in given:
            if key not in defaults:
                raise ConfigError(f"{p}.{_key(key)} is not an option of {self.name}; allowed: "
                                  f"{_choices(['name', *defaults])}")
        merged = {k: _check_option(p, k, given.get(k, d), d) for k, d in defaults.items()}
        if self.name == "sgd" and merged["nesterov"] and (
                merged["momentum"] <= 0 or merged["dampening"] != 0):
            raise ConfigError(f"{p}.nesterov needs momentum > 0 and dampening 0 (as "
                              f"torch.optim.SGD); got momentum {merged['momentum']:g}, "
                              f"dampening {merged['dampening']:g}")
        _set(self, "options", tuple(merged.items()))

    @property
    def lr(self) -> float:
        return self.option("lr")

    def option(self, key: str) -> Any:
        return dict(self.options)[key]

    def with_options(self, **changes: Any) -> OptimizerConfig:
        return OptimizerConfig(self.name, tuple({**dict(self.options), **changes}.items()))

    @classmethod
    def from_dict(cls, obj: Any, path: str = "train.optimizer") -> OptimizerConfig:
        if not isinstance(obj, dict):
            raise ConfigError(f"{path} must be a JSON object, got {_fmt(obj)}")
        name = _check_choice(f"{path}.name", obj.get("name", "adam"), OPTIMIZERS)
        return cls(name, tuple((k, v) for k, v in obj.items() if k != "name"), _path=path)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        for k, v in self.options:
            out[k] = list(v) if isinstance(v, tuple) else v
        return out


@dataclass(frozen=True)
class ScheduleConfig:
    """``train.schedule``: a torch.optim.lr_scheduler, stepped once per epoch."""

    name: str = "constant"
    options: tuple[tuple[str, Any], ...] = ()
    _path: str = field(default="train.schedule", repr=False, compare=False)

    def __post_init__(self) -> None:
        p = self._path
        _check_choice(f"{p}.name", self.name, SCHEDULES)
        defaults = SCHEDULE_DEFAULTS[self.name]
        given = dict(self.options)
        for key in given:
            if key not in defaults:
                raise ConfigError(f"{p}.{_key(key)} is not an option of {self.name}; allowed: "
                                  f"{_choices(['name', *defaults])}")
        merged = {k: (None if k == "t_max" and given.get(k, d) is None
                      else _check_option(p, k, given.get(k, d), d))
                  for k, d in defaults.items()}
        _set(self, "options", tuple(merged.items()))

    def option(self, key: str) -> Any:
        return dict(self.options)[key]

    @classmethod
    def from_dict(cls, obj: Any, path: str = "train.schedule") -> ScheduleConfig:
        if obj is None:
            return cls()
        if not isinstance(obj, dict):
            raise ConfigError(f"{path} must be a JSON object, got {_fmt(obj)}")
        name = _check_choice(f"{path}.name", obj.get("name", "constant"), SCHEDULES)
        return cls(name, tuple((k, v) for k, v in obj.items() if k != "name"), _path=path)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        out.update({k: v for k, v in self.options if v is not None})
        return out


@dataclass(frozen=True)
class RegularizationConfig:
    """``train.regularization``: L1 adds rate*sign(w), L2 adds rate*w to each dense weight's gradient."""

    kind: str = "none"
    rate: float = 0.0
    _path: str = field(default="train.regularization", repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_choice(f"{self._path}.kind", self.kind, REGULARIZATIONS)
        _set(self, "rate", _check_float(f"{self._path}.rate", self.rate, 0.0))

    @classmethod
    def from_dict(cls, obj: Any, path: str = "train.regularization") -> RegularizationConfig:
        if obj is None:
            return cls()
        keys = _Keys(path, obj, ["kind", "rate"])
        return cls(**keys.pick(["kind", "rate"]), _path=path)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rate": self.rate}


@dataclass(frozen=True)
class ClipConfig:
    """``train.clip``: ``{"norm": c}`` (clip_grad_norm_) or ``{"value": c}`` (clip_grad_value_)."""

    norm: float | None = None
    value: float | None = None
    _path: str = field(default="train.clip", repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.norm is not None and self.value is not None:
            raise ConfigError(f"{self._path} takes norm or value, not both")
        for key in ("norm", "value"):
            v = getattr(self, key)
            if v is not None:
                _set(self, key, _check_float(f"{self._path}.{key}", v, 0.0, lo_open=True))

    @classmethod
    def from_dict(cls, obj: Any, path: str = "train.clip") -> ClipConfig:
        if obj is None:
            return cls()
        keys = _Keys(path, obj, ["norm", "value"])
        return cls(**keys.pick(["norm", "value"]), _path=path)

    def to_dict(self) -> dict[str, Any]:
        if self.norm is not None:
            return {"norm": self.norm}
        if self.value is not None:
            return {"value": self.value}
        return {}


@dataclass(frozen=True)
class TrainConfig:
    """``train``: loss, epochs, batching, precision, optimizer, regularization, clipping, schedule."""

    loss: str = "auto"
    epochs: int = 100
    batch_size: int = 10
    shuffle: bool = True
    dtype: str = "float32"
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    regularization: RegularizationConfig = field(default_factory=RegularizationConfig)
    clip: ClipConfig = field(default_factory=ClipConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    _path: str = field(default="train", repr=False, compare=False)

    def __post_init__(self) -> None:
        p = self._path
        _check_choice(f"{p}.loss", self.loss, LOSSES)
        _set(self, "epochs", _check_int(f"{p}.epochs", self.epochs, 0, 10_000_000))
        _set(self, "batch_size", _check_int(f"{p}.batch_size", self.batch_size, 0))
        _set(self, "shuffle", _check_bool(f"{p}.shuffle", self.shuffle))
        _check_choice(f"{p}.dtype", self.dtype, DTYPES)

    @classmethod
    def from_dict(cls, obj: Any, path: str = "train") -> TrainConfig:
        names = ["loss", "epochs", "batch_size", "shuffle", "dtype", "optimizer",
                 "regularization", "clip", "schedule"]
        keys = _Keys(path, obj, names)
        kw = keys.pick(names[:5])
        parts = {"optimizer": OptimizerConfig, "regularization": RegularizationConfig,
                 "clip": ClipConfig, "schedule": ScheduleConfig}
        for key, part in parts.items():
            if key in obj:
                kw[key] = part.from_dict(obj[key], f"{path}.{key}")
        return cls(**kw, _path=path)

    def to_dict(self) -> dict[str, Any]:
        return {"loss": self.loss, "epochs": self.epochs, "batch_size": self.batch_size,
                "shuffle": self.shuffle, "dtype": self.dtype,
                "optimizer": self.optimizer.to_dict(),
                "regularization": self.regularization.to_dict(),
                "clip": self.clip.to_dict(), "schedule": self.schedule.to_dict()}


# ---------------------------------------------------------------------------------------------
# the whole run

@dataclass(frozen=True)
class RunConfig:
    """A whole run: data, model, training, and the seed that feeds every random draw."""

    data: DataConfig
    model: ModelConfig
    train: TrainConfig = field(default_factory=TrainConfig)
    seed: int = 0

    def __post_init__(self) -> None:
        _set(self, "seed", _check_int("seed", self.seed, 0, 2**63 - 1))
        if self.model.type == "perceptron" and self.train.loss not in ("auto",):
            raise ConfigError("train.loss must be auto for a perceptron (it has no loss to pick)")
        if self.train.dtype == "float32":
            for i, layer in enumerate(self.model.layers):
                bias = getattr(layer, "bias_init", None)
                if isinstance(bias, float) and abs(bias) > FLOAT32_MAX:
                    raise ConfigError(f"model.layers[{i}].bias_init {bias:g} does not fit "
                                      f"train.dtype float32 (|value| <= {FLOAT32_MAX:.6g}); use "
                                      "a smaller value or float64")

    @classmethod
    def from_dict(cls, obj: Any) -> RunConfig:
        keys = _Keys("", obj, ["format", "seed", "data", "model", "train"])
        if "format" not in obj:
            raise ConfigError(f"format is required (this version reads format {FORMAT})")
        fmt = obj["format"]
        if fmt != FORMAT or isinstance(fmt, bool):
            raise ConfigError(f"format must be {FORMAT}, got {_fmt(fmt)}"
                              + (" (written by a newer version of playground?)"
                                 if isinstance(fmt, int) and fmt > FORMAT else ""))
        for key in ("data", "model"):
            if key not in obj:
                raise ConfigError(f"{key} is required")
        return cls(data=DataConfig.from_dict(obj["data"]),
                   model=ModelConfig.from_dict(obj["model"]),
                   train=TrainConfig.from_dict(obj.get("train", {})),
                   **keys.pick(["seed"]))

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "seed": self.seed, "data": self.data.to_dict(),
                "model": self.model.to_dict(), "train": self.train.to_dict()}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def replace(self, **changes: Any) -> RunConfig:
        return dataclasses.replace(self, **changes)


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object with each key once: a repeated key would silently drop the first value."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ConfigError(f"key {_fmt(key)} appears twice in one object; each key may "
                              "appear once")
        obj[key] = value
    return obj


def loads(text: str) -> RunConfig:
    """Parse and validate a config from JSON text."""
    try:
        obj = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except ValueError as exc:  # JSONDecodeError, and ints over Python's 4300-digit limit
        raise ConfigError(f"not valid JSON: {exc}") from None
    except RecursionError:
        raise ConfigError("not valid JSON: nested too deeply") from None
    return RunConfig.from_dict(obj)


def load(path: str | os.PathLike) -> RunConfig:
    """Read a config file; errors name the file's problem in one line."""
    from playground.userfiles import read_text
    path = Path(path)
    if path.exists() and not path.is_file() and not path.is_dir():
        raise ConfigError(f"config file {path} is not a regular file (a device, pipe or "
                          "socket); give a JSON file")
    text = read_text(path, "config file", ConfigError)
    try:
        return loads(text)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def save(config: RunConfig, path: str | os.PathLike) -> None:
    """Write the config as JSON, atomically."""
    from playground.io.atomic import atomic_write_text
    atomic_write_text(path, config.to_json() + "\n")

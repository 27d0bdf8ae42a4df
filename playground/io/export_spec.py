"""What a model export needs to know beyond the tensors, read once from the run's metadata.

Exports that rebuild the model elsewhere (ONNX graph, PyTorch script, Keras weights, generated
code) all need the same facts: the ``torch.nn.Sequential`` modules in order, the output
activation (from the resolved loss), and the preprocessing that turns raw inputs into model
inputs. ``spec_from_metadata`` derives them from the run config and preprocessing that every
export carries and checks them against the tensors, so each writer trusts one description.

Module list (PRODUCT.md section 3): ``dense`` -> Linear, plus its activation module unless it
is ``linear``; ``batchnorm`` -> BatchNorm1d; ``dropout`` -> Dropout; an activation layer -> its
module; then the output Linear. A perceptron is a single Linear (1 unit for 2 classes, else K).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.config import (
    ActivationLayer, BatchNormLayer, DenseLayer, DropoutLayer, ModelConfig, RunConfig,
)
from playground.data.features import FEATURE_FUNCTIONS, INPUTS_2D
from playground.engine import losses
from playground.errors import PlaygroundError, WeightsError
from playground.io.metadata import first_line

#: How the logits become the app's predictions, by resolved loss.
HEADS: dict[str, str] = {
    "bce": "sigmoid, as [1 - p, p]",
    "cross_entropy": "softmax",
    "mse": "none (the logits are the prediction)",
    "perceptron": "step: a hard one-hot of the predicted class",
}


@dataclass(frozen=True)
class Module:
    """One module of the ``nn.Sequential`` twin; ``index`` is its state-dict prefix.

    kind: ``linear`` (``n_in`` -> ``n_out``), ``batchnorm`` (``eps``, ``momentum``, torch's
    convention), ``dropout`` (``p``) or ``activation`` (``activation`` names it).
    """

    index: int
    kind: str
    n_in: int
    n_out: int
    activation: str = ""
    p: float = 0.0
    eps: float = 1e-5
    momentum: float = 0.1


def torch_modules(model: ModelConfig, n_features: int, n_outputs: int) -> tuple[Module, ...]:
    """The modules of the equivalent ``nn.Sequential``, in order (the engine's Network builds
    the same list; a test keeps the two in step)."""
    if model.type == "perceptron":
        return (Module(0, "linear", n_features, n_outputs),)
    out: list[Module] = []
    width = n_features
    for layer in model.layers:
        i = len(out)
        if isinstance(layer, DenseLayer):
            out.append(Module(i, "linear", width, layer.units))
            width = layer.units
            if layer.activation != "linear":
                out.append(Module(i + 1, "activation", width, width, layer.activation))
        elif isinstance(layer, BatchNormLayer):
            out.append(Module(i, "batchnorm", width, width, eps=layer.eps,
                              momentum=layer.momentum))
        elif isinstance(layer, DropoutLayer):
            out.append(Module(i, "dropout", width, width, p=layer.p))
        elif isinstance(layer, ActivationLayer):
            out.append(Module(i, "activation", width, width, layer.type))
    out.append(Module(len(out), "linear", width, n_outputs))
    return tuple(out)


def state_spec(modules: tuple[Module, ...]) -> dict[str, tuple[tuple[int, ...], str]]:
    """Tensor name -> (shape, "float"|"int"), in state-dict order, as ``Network.state_spec``."""
    spec: dict[str, tuple[tuple[int, ...], str]] = {}
    for m in modules:
        if m.kind == "linear":
            spec[f"{m.index}.weight"] = ((m.n_out, m.n_in), "float")
            spec[f"{m.index}.bias"] = ((m.n_out,), "float")
        elif m.kind == "batchnorm":
            for name in ("weight", "bias", "running_mean", "running_var"):
                spec[f"{m.index}.{name}"] = ((m.n_out,), "float")
            spec[f"{m.index}.num_batches_tracked"] = ((), "int")
    return spec


@dataclass(frozen=True)
class Preprocessing:
    """Raw inputs -> model inputs: ``features`` of ``inputs`` (the 2-D feature map when they
    differ), then ``(x - mean) / std`` when ``mean`` is set; and network outputs -> predictions
    in the data's units: ``y_std * z + y_mean`` when ``y_mean`` is set (regression with
    ``data.standardize_target``; metadata ``standardize_target``). Mirrors
    ``Dataset.preprocessing``."""

    task: str
    inputs: tuple[str, ...]
    features: tuple[str, ...]
    mean: tuple[float, ...] | None
    std: tuple[float, ...] | None
    classes: tuple[str, ...]
    targets: tuple[str, ...]
    y_mean: tuple[float, ...] | None = None
    y_std: tuple[float, ...] | None = None

    @property
    def feature_map(self) -> bool:
        return self.features != self.inputs

    @classmethod
    def from_dict(cls, obj: Any) -> Preprocessing:
        """Validated; WeightsError naming the key (``preprocessing.standardize.mean ...``)."""
        if not isinstance(obj, dict):
            raise WeightsError("metadata preprocessing must be an object")

        def names(key: str, allow_empty: bool = False) -> tuple[str, ...]:
            value = obj.get(key)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value) \
                    or not (value or allow_empty):
                raise WeightsError(f"metadata preprocessing.{key} must be a list of names, "
                                   f"got {value!r:.80}")
            return tuple(value)

        task = obj.get("task")
        if task not in ("classification", "regression"):
            raise WeightsError(f"metadata preprocessing.task must be classification or "
                               f"regression, got {task!r:.80}")
        inputs, features = names("inputs"), names("features")
        classes, targets = names("classes", True), names("targets", True)
        if features != inputs:
            if inputs != INPUTS_2D:
                raise WeightsError(f"metadata preprocessing.features differ from its inputs, "
                                   f"which must then be x1, x2; got inputs {list(inputs)}")
            unknown = [f for f in features if f not in FEATURE_FUNCTIONS]
            if unknown:
                raise WeightsError(f"metadata preprocessing.features holds unknown feature "
                                   f"{unknown[0]!r}; allowed: {', '.join(FEATURE_FUNCTIONS)}")
        mean, std = _scaling(obj, "standardize", len(features), "feature")
        if task == "classification" and len(classes) < 2:
            raise WeightsError("metadata preprocessing.classes must name at least 2 classes")
        if task == "regression" and not targets:
            raise WeightsError("metadata preprocessing.targets must name the regression targets")
        # written since data.standardize_target; older exports lack it: no target scaling
        if obj.get("standardize_target") is not None and task != "regression":
            raise WeightsError("metadata preprocessing.standardize_target applies to "
                               "regression only; it must be null for classification")
        y_mean, y_std = _scaling(obj, "standardize_target", len(targets), "target")
        return cls(task, inputs, features, mean, std, classes, targets, y_mean, y_std)


def _scaling(obj: dict, key: str, n: int, per: str
             ) -> tuple[tuple[float, ...] | None, tuple[float, ...] | None]:
    """(mean, std) of ``preprocessing[key]``: null (or absent) or ``{"mean", "std"}``."""
    scaling = obj.get(key)
    if scaling is None:
        return None, None
    if not isinstance(scaling, dict):
        raise WeightsError(f"metadata preprocessing.{key} must be null or an object with mean "
                           "and std")
    mean, std = (_numbers(scaling.get(k), f"{key}.{k}", n, per) for k in ("mean", "std"))
    if any(s <= 0 for s in std):
        raise WeightsError(f"metadata preprocessing.{key}.std must be > 0")
    return mean, std


def _numbers(value: Any, key: str, n: int, per: str = "feature") -> tuple[float, ...]:
    if (not isinstance(value, list) or len(value) != n
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                       and math.isfinite(v) for v in value)):
        raise WeightsError(f"metadata preprocessing.{key} must be {n} finite numbers (one per "
                           f"{per}), got {value!r:.80}")
    return tuple(float(v) for v in value)


@dataclass(frozen=True)
class ExportSpec:
    """Everything but the tensors: config, resolved loss, module list, preprocessing.
    ``target_stats_unknown``: the run standardizes its targets but the statistics are not at
    hand (code generated from a config alone)."""

    config: RunConfig
    loss: str
    modules: tuple[Module, ...]
    preprocessing: Preprocessing
    target_stats_unknown: bool = False

    @property
    def scales_target(self) -> bool:
        """Whether the network learned z-scored targets, so that predictions in the data's
        units are ``TARGET_STD * z + TARGET_MEAN``."""
        return self.loss == "mse" and (self.preprocessing.y_mean is not None
                                       or self.target_stats_unknown)

    @property
    def n_inputs(self) -> int:
        return len(self.preprocessing.inputs)

    @property
    def n_features(self) -> int:
        return self.modules[0].n_in

    @property
    def n_outputs(self) -> int:
        return self.modules[-1].n_out

    @property
    def dtype(self) -> str:
        return self.config.train.dtype

    @property
    def output_names(self) -> tuple[str, ...]:
        """What each predicted column means: the classes, or the regression targets."""
        pre = self.preprocessing
        return pre.classes if pre.task == "classification" else pre.targets

    def state_spec(self) -> dict[str, tuple[tuple[int, ...], str]]:
        return state_spec(self.modules)


def resolve_loss(config: RunConfig, task: str, n_classes: int) -> str:
    """The loss the trainer uses (``Trainer.loss_name``): ``perceptron`` for a perceptron."""
    if config.model.type == "perceptron":
        return "perceptron"
    return losses.resolve(config.train.loss, task, n_classes)


def output_units(loss: str, n_classes: int, n_targets: int) -> int:
    if loss == "perceptron":
        return 1 if n_classes == 2 else n_classes
    return losses.output_units(loss, n_classes, n_targets)


def spec_from_metadata(state: Mapping[str, np.ndarray], metadata: Mapping[str, Any],
                       what: str) -> ExportSpec:
    """The spec of the run that produced ``state``; WeightsError (one line, naming ``what``,
    e.g. "a .onnx export") when the metadata is missing, invalid or does not fit the tensors."""
    missing = [k for k in ("config", "preprocessing") if k not in metadata]
    if missing:
        raise WeightsError(f"{what} rebuilds the model, so it needs the run's "
                           f"{' and '.join(missing)} in the metadata (as playground train "
                           "writes them)")
    try:
        config = RunConfig.from_dict(metadata["config"])
    except PlaygroundError as exc:
        raise WeightsError(f"metadata config is not a valid run config: "
                           f"{first_line(exc)}") from None
    pre = Preprocessing.from_dict(metadata["preprocessing"])
    loss = resolve_loss(config, pre.task, len(pre.classes))
    n_out = output_units(loss, len(pre.classes), len(pre.targets))
    spec = ExportSpec(config, loss, torch_modules(config.model, len(pre.features), n_out), pre)
    from playground.io.weights import check_state_dict
    check_state_dict(spec.state_spec(), state)
    return spec


def spec_for(config: RunConfig, n_features: int, n_outputs: int, loss: str,
             preprocessing: Mapping[str, Any] | None = None) -> ExportSpec:
    """A spec for code generation: with ``preprocessing`` (``Dataset.preprocessing()``, as
    every export's metadata holds it) its names and statistics; without, inputs are the
    features, no standardization, and target statistics the config asks for are unknown."""
    if preprocessing is not None:
        pre = Preprocessing.from_dict(dict(preprocessing))
        return ExportSpec(config, loss, torch_modules(config.model, n_features, n_outputs), pre)
    names = tuple(f"x{i + 1}" for i in range(n_features))
    task = "regression" if loss == "mse" else "classification"
    outputs = tuple(str(i) for i in range(max(n_outputs, 2)))
    pre = Preprocessing(task, names, names, None, None, () if task == "regression" else outputs,
                        outputs[:n_outputs] if task == "regression" else ())
    return ExportSpec(config, loss, torch_modules(config.model, n_features, n_outputs), pre,
                      target_stats_unknown=config.data.scales_target(task))

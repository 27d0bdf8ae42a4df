"""The Keras 3 twin of a playground network: its layers, and the names Keras saves them under.

Both the ``.weights.h5`` writer and the generated Keras code read this list, so the file's
layout and the model that loads it cannot disagree. Keras 3 (``saving_lib``) stores each layer
of a ``Sequential`` at ``layers/<name>/vars/<i>``, where ``<name>`` is the snake-cased class
name made unique by a counter in layer order (``dense``, ``dense_1``, ...; ``LeakyReLU`` becomes
``leaky_re_lu``), not the layer's own name; ``<i>`` counts trainable then non-trainable
variables: Dense ``kernel (in, out), bias``; BatchNormalization ``gamma, beta, moving_mean,
moving_variance``.

A dense layer keeps its activation (``Dense(8, activation="tanh")``) except ``leaky_relu``:
Keras's ``"leaky_relu"`` string has slope 0.2, so it becomes ``LeakyReLU(negative_slope=0.01)``.
Keras's BatchNormalization momentum weights the old statistic: it is ``1 - momentum`` of torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from playground.config import ActivationLayer, BatchNormLayer, DenseLayer, DropoutLayer
from playground.engine.activations import LEAKY_SLOPE
from playground.io.export_spec import ExportSpec

#: Keras's own name of each activation (its ``gelu`` is the exact erf form by default, as ours).
KERAS_ACTIVATIONS: dict[str, str] = {
    "linear": "linear", "sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu",
    "leaky_relu": "leaky_relu", "elu": "elu", "gelu": "gelu", "silu": "silu",
}
#: the path name Keras derives from each class (``naming.to_snake_case``)
PATH_NAMES: dict[str, str] = {
    "Dense": "dense", "BatchNormalization": "batch_normalization", "Dropout": "dropout",
    "Activation": "activation", "LeakyReLU": "leaky_re_lu",
}


@dataclass(frozen=True)
class KerasLayer:
    """One Keras layer: ``cls(*args)`` in source form; ``torch_index`` is the module whose
    tensors it holds (None for a layer without variables); ``name`` its path in the file."""

    name: str
    cls: str
    args: tuple[str, ...]
    torch_index: int | None = None
    comment: str = ""

    @property
    def kind(self) -> str:
        return {"Dense": "dense", "BatchNormalization": "batchnorm"}.get(self.cls, "none")


def _activation(name: str) -> tuple[str, tuple[str, ...]]:
    if name == "leaky_relu":
        return "LeakyReLU", (f"negative_slope={LEAKY_SLOPE!r}",)
    return "Activation", (f'"{KERAS_ACTIVATIONS[name]}"',)


def keras_layers(spec: ExportSpec) -> tuple[KerasLayer, ...]:
    """The layers of the equivalent ``keras.Sequential`` (after its ``keras.Input``), in order."""
    raw: list[tuple[str, tuple[str, ...], int | None, str]] = []
    index = 0  # the torch module index, advanced as export_spec.torch_modules does
    layers = () if spec.config.model.type == "perceptron" else spec.config.model.layers
    for layer in layers:
        if isinstance(layer, DenseLayer):
            act = layer.activation
            args = (str(layer.units),)
            if act not in ("linear", "leaky_relu"):
                args += (f'activation="{KERAS_ACTIVATIONS[act]}"',)
            span = f"{index}" if act in ("linear", "leaky_relu") else f"{index}-{index + 1}"
            raw.append(("Dense", args, index, f"torch {span}"))
            if act == "leaky_relu":
                raw.append((*_activation(act), None, f"torch {index + 1}"))
            index += 1 if act == "linear" else 2
        elif isinstance(layer, BatchNormLayer):
            momentum = _keras_momentum(layer.momentum)
            raw.append(("BatchNormalization", (f"epsilon={layer.eps!r}", f"momentum={momentum!r}"),
                        index, f"torch {index}; Keras momentum = 1 - torch's {layer.momentum!r}"))
            index += 1
        elif isinstance(layer, DropoutLayer):
            raw.append(("Dropout", (repr(layer.p),), None, f"torch {index}"))
            index += 1
        elif isinstance(layer, ActivationLayer):
            raw.append((*_activation(layer.type), None, f"torch {index}"))
            index += 1
    raw.append(("Dense", (str(spec.n_outputs),), index, f"torch {index}: output logits"))
    counts: dict[str, int] = {}
    out = []
    for cls, args, torch_index, comment in raw:
        base = PATH_NAMES[cls]
        n = counts.get(base, 0)
        counts[base] = n + 1
        out.append(KerasLayer(base if n == 0 else f"{base}_{n}", cls, args, torch_index, comment))
    return tuple(out)


def _keras_momentum(torch_momentum: float) -> float:
    """Keras keeps ``momentum`` of the old running statistic; torch mixes in ``momentum`` of
    the new batch statistic. Rounded so that 1 - 0.1 reads 0.9, not 0.9000000000000000222."""
    return float(f"{1.0 - torch_momentum:.15g}")

"""``.onnx`` export: an inference graph from raw inputs to the app's predictions.

    input (float32 [N, inputs]) -> feature map -> (x - mean) / std -> network -> head
    -> probabilities [N, K] (classification) or prediction [N, T] (regression)

Opset 17 with IR version 8, the IR that opset 17 came with (onnx 1.12), so that runtimes of
that age load the file; a newer IR would be refused by them for no gain. The graph computes in
float32: weights trained in float64 are rounded to float32 initializers, named as the state
dict ("0.weight"). Dense is Gemm with the (out, in) weight and transB=1; batchnorm is
BatchNormalization in inference mode with the running statistics; dropout is the identity at
inference and is left out. Opset 17 has no Gelu, so gelu is spelled out in its exact form,
x/2 (1 + erf(x / sqrt 2)), as the engine (and torch's default) computes it.

Heads, as ``Trainer.predict``: bce -> p = sigmoid(z), [1 - p, p]; cross_entropy -> softmax;
mse -> z, or y_std * z + y_mean (``Mul``, ``Add``) when the run standardized its targets, so
the prediction is in the data's units; perceptron -> the one-hot of [z > 0] (one unit) or of
argmax z (K units).
The run config and preprocessing travel as JSON in the model's metadata_props.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from playground import __version__
from playground.errors import WeightsError
from playground.io.export_spec import ExportSpec, Module, spec_from_metadata
from playground.io.metadata import encode_metadata, first_line

OPSET = 17
IR_VERSION = 8  # onnx.helper.VERSION_TABLE: opset 17 shipped with IR version 8
INPUT = "input"
_SQRT1_2 = np.float32(1 / math.sqrt(2))


class _Graph:
    """Nodes and initializers with generated, readable names (``3.tanh``, ``feature.x1^2``)."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def const(self, name: str, value: Any, dtype=np.float32) -> str:
        self.initializers.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str, **attrs: Any) -> str:
        self.nodes.append(helper.make_node(op_type, inputs, [name], name=name, **attrs))
        return name


def _float32(key: str, array: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        out = array.astype(np.float32)
    if not np.isfinite(out).all():
        raise WeightsError(f"tensor {key} holds {np.abs(array).max():.3g}, beyond float32 "
                           "(|value| <= 3.4e38), which ONNX models compute in")
    return out


def _features(g: _Graph, spec: ExportSpec) -> str:
    """The feature map (2-D sources) and the standardization, on the raw input."""
    pre = spec.preprocessing
    x = INPUT
    if pre.feature_map:
        cols = {name: g.op("Gather", [INPUT, g.const(f"column.{name}", [j], np.int64)],
                           name, axis=1)
                for j, name in enumerate(pre.inputs)}  # each [N, 1]
        parts = []
        for f in pre.features:
            if f in cols:
                parts.append(cols[f])
            elif f.startswith("sin("):
                parts.append(g.op("Sin", [cols[f[4:-1]]], f))
            elif f.endswith("^2"):
                parts.append(g.op("Mul", [cols[f[:-2]], cols[f[:-2]]], f))
            else:  # x1*x2
                a, b = f.split("*")
                parts.append(g.op("Mul", [cols[a], cols[b]], f))
        x = g.op("Concat", parts, "features", axis=1)
    if pre.mean is not None:
        x = g.op("Sub", [x, g.const("feature_mean", pre.mean)], "centered")
        x = g.op("Div", [x, g.const("feature_std", pre.std)], "standardized")
    return x


def _activation(g: _Graph, name: str, x: str, where: str) -> str:
    if name == "linear":
        return x
    if name == "leaky_relu":
        return g.op("LeakyRelu", [x], where, alpha=0.01)
    if name == "elu":
        return g.op("Elu", [x], where, alpha=1.0)
    if name == "gelu":  # x/2 (1 + erf(x / sqrt 2))
        erf = g.op("Erf", [g.op("Mul", [x, g.const(f"{where}.rsqrt2", _SQRT1_2)],
                                f"{where}.scaled")], f"{where}.erf")
        one_plus = g.op("Add", [erf, g.const(f"{where}.one", 1.0)], f"{where}.one_plus")
        half_x = g.op("Mul", [x, g.const(f"{where}.half", 0.5)], f"{where}.half_x")
        return g.op("Mul", [half_x, one_plus], where)
    if name == "silu":  # x sigmoid(x)
        return g.op("Mul", [x, g.op("Sigmoid", [x], f"{where}.sigmoid")], where)
    op = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}[name]
    return g.op(op, [x], where)


def _module(g: _Graph, m: Module, x: str, state: Mapping[str, np.ndarray]) -> str:
    i = m.index

    def weight(name: str) -> str:
        key = f"{i}.{name}"
        return g.const(key, _float32(key, state[key]))

    if m.kind == "linear":
        return g.op("Gemm", [x, weight("weight"), weight("bias")], f"{i}.linear", transB=1)
    if m.kind == "batchnorm":
        return g.op("BatchNormalization", [x, weight("weight"), weight("bias"),
                                           weight("running_mean"), weight("running_var")],
                    f"{i}.batchnorm", epsilon=m.eps)
    if m.kind == "dropout":
        return x  # the identity in evaluation mode
    return _activation(g, m.activation, x, f"{i}.{m.activation}")


def _head(g: _Graph, spec: ExportSpec, z: str) -> str:
    """Logits -> the app's predictions, under the output's name."""
    if spec.loss == "mse":
        pre = spec.preprocessing
        if pre.y_mean is None:
            return g.op("Identity", [z], "prediction")
        scaled = g.op("Mul", [z, g.const("target_std", pre.y_std)], "target_scaled")
        return g.op("Add", [scaled, g.const("target_mean", pre.y_mean)], "prediction")
    if spec.loss == "cross_entropy":
        return g.op("Softmax", [z], "probabilities", axis=1)
    if spec.loss == "bce":
        p = g.op("Sigmoid", [z], "p")
    elif spec.n_outputs == 1:  # a binary perceptron: class 1 where z > 0
        positive = g.op("Greater", [z, g.const("zero", [0.0])], "positive")
        p = g.op("Cast", [positive], "p", to=TensorProto.FLOAT)
    else:  # one-vs-rest perceptron: the one-hot of the first largest unit, as np.argmax
        k = g.op("ArgMax", [z], "class", axis=1, keepdims=0, select_last_index=0)
        return g.op("OneHot", [k, g.const("depth", spec.n_outputs, np.int64),
                               g.const("off_on", [0.0, 1.0])], "probabilities", axis=-1)
    q = g.op("Sub", [g.const("one", [1.0]), p], "1-p")
    return g.op("Concat", [q, p], "probabilities", axis=1)


def build(state: Mapping[str, np.ndarray], metadata: Mapping[str, Any]) -> onnx.ModelProto:
    """The checked ONNX model of the run that produced ``state``."""
    spec = spec_from_metadata(state, metadata, "a .onnx export")
    g = _Graph()
    x = _features(g, spec)
    for m in spec.modules:
        x = _module(g, m, x, state)
    out = _head(g, spec, x)
    width = len(spec.output_names)
    graph = helper.make_graph(
        g.nodes, "playground",
        [helper.make_tensor_value_info(INPUT, TensorProto.FLOAT, ["N", spec.n_inputs])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, ["N", width])],
        g.initializers,
        doc_string=f"raw inputs {', '.join(spec.preprocessing.inputs)} -> {out} "
                   f"({', '.join(spec.output_names)})")
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              ir_version=IR_VERSION, producer_name="playground",
                              producer_version=__version__)
    keep = {k: v for k, v in metadata.items() if k in ("config", "preprocessing")}
    helper.set_model_props(model, encode_metadata(keep))
    try:
        onnx.checker.check_model(model, full_check=True)
    except (onnx.checker.ValidationError, onnx.shape_inference.InferenceError) as exc:
        raise WeightsError(f"the ONNX graph failed onnx.checker: {first_line(exc)}") from None
    return model


def write(state: Mapping[str, np.ndarray], metadata: Mapping[str, Any]) -> bytes:
    return build(state, metadata).SerializeToString()

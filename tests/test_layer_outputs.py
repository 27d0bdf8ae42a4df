"""Every module's output in one batched pass (``Network.layer_outputs``, the perceptron's twin),
against the modules run one after another, an independent NumPy reference from the state dict,
and ``Trainer.logits``."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import erf

from conftest import blobs, run_config, trainer
from playground.engine.activations import ACTIVATIONS
from playground.engine.trainer import Trainer

TOL = {"float64": dict(rtol=1e-12, atol=1e-13), "float32": dict(rtol=2e-5, atol=2e-6)}
REFERENCE = {  # f(z) in float64, written out independently of the engine's kernels
    "linear": lambda z: z,
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
    "leaky_relu": lambda z: np.where(z > 0, z, 0.01 * z),
    "elu": lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))),
    "gelu": lambda z: 0.5 * z * (1 + erf(z / np.sqrt(2))),
    "silu": lambda z: z / (1 + np.exp(-z)),
}


def _stack(activation: str) -> list[dict]:
    """Every layer type: dense (with ``activation``), batchnorm, dropout, an activation layer."""
    return [{"type": "dense", "units": 5, "activation": activation}, {"type": "batchnorm"},
            {"type": "dropout", "p": 0.4}, {"type": "dense", "units": 4},
            {"type": "tanh"}, {"type": "dense", "units": 3, "activation": activation}]


def _randomize(t, rng) -> None:
    """Non-trivial weights and batchnorm running statistics (gamma, beta, mean, var)."""
    net = t.model
    net.params[...] = rng.normal(scale=0.8, size=net.params.size)
    for bn in net.batchnorms:
        bn.running_mean[...] = rng.normal(size=bn.n)
        bn.running_var[...] = rng.uniform(0.2, 3.0, size=bn.n)


def _reference(t, x: np.ndarray) -> list[np.ndarray]:
    """The evaluation-mode forward from the state dict, in float64 NumPy (torch's formulas)."""
    state = {k: np.asarray(v, np.float64) for k, v in t.state_dict().items()}
    outputs, h = [], np.asarray(x, np.float64)
    for i, m in enumerate(t.model.modules):
        if m.kind == "linear":
            h = h @ state[f"{i}.weight"].T + state[f"{i}.bias"]
        elif m.kind == "activation":
            h = REFERENCE[m.name](h)
        elif m.kind == "batchnorm":
            h = ((h - state[f"{i}.running_mean"]) / np.sqrt(state[f"{i}.running_var"] + m.eps)
                 * state[f"{i}.weight"] + state[f"{i}.bias"])
        outputs.append(h)  # dropout: the identity in evaluation mode
    return outputs


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_layer_outputs_match_the_forward_module_by_module(activation, dtype, rng):
    data = blobs(n=30, f=3, k=3)
    t = trainer(_stack(activation), data, batch_size=10, dtype=dtype)
    _randomize(t, rng)
    x = t.x_train
    outputs = t.layer_outputs(x)
    net = t.model
    assert len(outputs) == len(net.modules) == len(net.module_kinds)
    assert [o.shape for o in outputs] == [(30, w) for w in net.module_widths]
    assert all(o.dtype == np.dtype(dtype) for o in outputs)
    h = np.ascontiguousarray(x, dtype=dtype)
    for module, out in zip(net.modules, outputs):
        h = module.forward(h, False, None)
        np.testing.assert_array_equal(out, h)
    for out, ref in zip(outputs, _reference(t, x)):
        np.testing.assert_allclose(out, ref, **TOL[dtype])
    np.testing.assert_allclose(outputs[-1], t.logits(x), **TOL[dtype])  # the fused kernel
    dropout = net.module_kinds.index("dropout")
    np.testing.assert_array_equal(outputs[dropout], outputs[dropout - 1])


def test_layer_outputs_are_separate_arrays(rng):
    t = trainer(_stack("linear"), blobs(n=12, f=3), batch_size=6)
    _randomize(t, rng)
    outputs = t.layer_outputs(t.x_train)
    for a, b in zip(outputs, outputs[1:]):
        assert not np.shares_memory(a, b)  # identities (dropout, linear) are copied
    assert not any(np.shares_memory(o, t.x_train) for o in outputs)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_layer_outputs_after_training_match_both_backends(dtype):
    stack = _stack("relu")
    data = blobs(n=40, f=3, k=3, test=10)
    fused = trainer(stack, data, batch_size=8, dtype=dtype)
    numpy_ = Trainer(run_config(stack, batch_size=8, dtype=dtype), dataset=data,
                     backend="numpy")
    fused.run_epochs(3)  # running statistics move away from (0, 1)
    assert not np.allclose(fused.model.batchnorms[0].running_var, 1)
    numpy_.load_state_dict(fused.state_dict())
    for t in (fused, numpy_):
        outputs = t.layer_outputs(data.x_test)
        np.testing.assert_allclose(outputs[-1], fused.logits(data.x_test), **TOL[dtype])
        for out, ref in zip(outputs, _reference(fused, data.x_test)):
            np.testing.assert_allclose(out, ref, **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("k", [2, 3])
def test_perceptron_gives_its_weighted_sums_and_steps(k, dtype):
    t = trainer(dataset=blobs(n=30, f=3, k=k), model_type="perceptron", dtype=dtype)
    t.run_epochs(2)
    z, steps = t.layer_outputs(t.x_train)
    units = 1 if k == 2 else k
    assert t.model.module_kinds == ("linear", "step")
    assert t.model.module_widths == (units, units)
    assert z.shape == steps.shape == (30, units) and steps.dtype == np.dtype(dtype)
    np.testing.assert_allclose(z, t.logits(t.x_train), **TOL[dtype])
    w, b = (np.asarray(v, np.float64) for v in t.state_dict().values())
    np.testing.assert_allclose(z, t.x_train @ w.T + b, **TOL[dtype])
    np.testing.assert_array_equal(steps, (z > 0).astype(dtype))
    if k == 2:  # the step is the predicted class
        np.testing.assert_array_equal(steps[:, 0], t.predict(t.x_train).argmax(axis=1))

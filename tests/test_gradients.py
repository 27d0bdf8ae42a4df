"""Central-difference checks in float64 for every activation, layer and loss, and whole networks."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import blobs, central_difference, trainer
from playground.engine import activations, losses
from playground.engine.activations import ACTIVATIONS
from playground.engine.layers import Activation, BatchNorm, Dropout, Linear

TOL = dict(rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_derivative(name, rng):
    # stay off the kinks (0) where the one-sided derivatives differ
    z = rng.uniform(-3, 3, size=200)
    z = z[np.abs(z) > 1e-3]
    numeric = (activations.apply(name, z + 1e-6) - activations.apply(name, z - 1e-6)) / 2e-6
    np.testing.assert_allclose(activations.derivative(name, z), numeric, **TOL)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_float32_matches_float64(name, rng):
    z = rng.uniform(-6, 6, size=500)
    np.testing.assert_allclose(activations.apply(name, z.astype(np.float32)),
                               activations.apply(name, z), rtol=1e-5, atol=1e-6)


def test_kinks_follow_pytorch():
    z = np.zeros(1)
    # torch: relu'(0) = 0, leaky_relu'(0) = 0.01, elu'(0) = exp(0) = 1
    assert activations.derivative("relu", z)[0] == 0.0
    assert activations.derivative("leaky_relu", z)[0] == activations.LEAKY_SLOPE
    assert activations.derivative("elu", z)[0] == 1.0


def _layer_grads(layer, x, rng, params=()):
    """Check dL/dx and dL/dparams of L = sum(w * layer(x)) for a fixed random w."""
    out = layer.forward(x, True, None)
    w = rng.normal(size=out.shape)

    def loss():
        return float((w * layer.forward(x, True, None)).sum())

    layer.forward(x, True, None)
    dx = layer.backward(w)
    np.testing.assert_allclose(dx, central_difference(loss, x), **TOL)
    for name in params:
        np.testing.assert_allclose(getattr(layer, "grad_" + name),
                                   central_difference(loss, getattr(layer, name)), **TOL)


def test_linear_gradients(rng):
    lin = Linear(4, 3)
    lin.weight, lin.bias = rng.normal(size=(3, 4)), rng.normal(size=3)
    lin.grad_weight, lin.grad_bias = np.zeros((3, 4)), np.zeros(3)
    _layer_grads(lin, rng.normal(size=(5, 4)), rng, ("weight", "bias"))


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_layer_gradients(name, rng):
    x = rng.normal(size=(6, 3))
    x[np.abs(x) < 1e-3] = 0.5
    _layer_grads(Activation(name), x, rng)


def test_batchnorm_gradients(rng):
    bn = BatchNorm(3, 0.1, 1e-5, np.float64)
    bn.weight, bn.bias = rng.normal(size=3), rng.normal(size=3)
    bn.grad_weight, bn.grad_bias = np.zeros(3), np.zeros(3)
    _layer_grads(bn, rng.normal(size=(7, 3)), rng, ("weight", "bias"))


def test_dropout_gradient_uses_the_same_mask(rng):
    drop = Dropout(0.4)
    x = rng.normal(size=(50, 4))
    out = drop.forward(x, True, np.random.default_rng(0))
    g = rng.normal(size=x.shape)
    # d(out)/dx is the scaled mask itself
    np.testing.assert_allclose(drop.backward(g), g * out / x)
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / 0.6)  # inverted dropout: 1 / (1 - p)
    assert drop.forward(x, False, None) is x                # identity in evaluation


@pytest.mark.parametrize("loss_name,k", [("bce", 1), ("cross_entropy", 4), ("mse", 2)])
def test_loss_gradients(loss_name, k, rng):
    z = rng.normal(size=(6, k)) * 3
    if loss_name == "bce":
        y = rng.integers(0, 2, size=(6, 1)).astype(float)
    elif loss_name == "cross_entropy":
        y = rng.integers(0, k, size=6)
    else:
        y = rng.normal(size=(6, k))
    fn = losses.LOSS_FUNCTIONS[loss_name]
    _, grad = fn(z, y)
    np.testing.assert_allclose(grad, central_difference(lambda: fn(z, y)[0], z), **TOL)


def test_losses_are_stable_for_huge_logits():
    z = np.array([[1000.0, -1000.0, 0.0]])
    loss, grad = losses.cross_entropy(z, np.array([1]))
    assert np.isfinite(loss) and np.isfinite(grad).all()
    assert loss == pytest.approx(2000.0)  # logsumexp(z) - z_1 = 1000 - (-1000)
    loss, grad = losses.bce(np.array([[800.0]]), np.array([[0.0]]))
    assert loss == pytest.approx(800.0) and grad[0, 0] == pytest.approx(1.0)


LAYER_STACKS = [
    [{"type": "dense", "units": 5, "activation": "tanh"}],
    [{"type": "dense", "units": 4, "activation": "gelu"}, {"type": "batchnorm"},
     {"type": "dense", "units": 3}, {"type": "silu"}],
    [{"type": "dense", "units": 4}, {"type": "elu"}, {"type": "dense", "units": 4,
                                                      "activation": "sigmoid"}],
]


@pytest.mark.parametrize("layers", LAYER_STACKS)
@pytest.mark.parametrize("task,k", [("classification", 2), ("classification", 3),
                                    ("regression", 1)])
def test_network_gradients(layers, task, k):
    t = trainer(layers, blobs(n=9, f=3, k=k, task=task), dtype="float64")
    net, x, y = t.model, t.x_train, t.y_train
    fn = losses.LOSS_FUNCTIONS[t.loss_name]

    def loss():
        return fn(net.forward(x, training=True), y)[0]

    _, g = fn(net.forward(x, training=True), y)
    net.backward(g)
    np.testing.assert_allclose(net.grads, central_difference(loss, net.params), **TOL)

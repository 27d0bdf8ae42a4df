"""Every formula shown is the formula computed.

Each registry entry (``playground.engine.formulas``) carries a NumPy twin that implements its
LaTeX as written; here each twin is compared with the engine's own code on random, seeded
inputs: activations and their derivatives, losses and dL/dlogits, the perceptron rule,
initializer distributions (sample moments and bounds, tolerances from their sampling
distributions), the dense, batchnorm and dropout layers, L1/L2, clipping, optimizer steps and
schedules' rates. Every LaTeX line is typeset by matplotlib's mathtext, and docs/formulas.md
is the registry's page, unedited.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest

from playground.config import REGULARIZATIONS
from playground.engine import (
    activations, clipping, formulas, initializers, layers, losses, optimizers, perceptron,
    regularization, schedulers,
)

REGISTRY = formulas.registry()
DOCS = Path(__file__).resolve().parent.parent / "docs" / "formulas.md"


def entries(kind: str) -> list[str]:
    return [name for k, name in REGISTRY if k == kind]


def twin(kind: str, name: str):
    return REGISTRY[kind, name].evaluate


# -- the registry ----------------------------------------------------------------------------

def test_every_choice_has_a_formula():
    expected = ({("activation", a) for a in activations.ACTIVATIONS}
                | {("loss", n) for n in losses.LOSSES if n != "auto"}
                | {("init", n) for n in initializers.INITIALIZERS}
                | {("optimizer", n) for n in optimizers.OPTIMIZERS}
                | {("schedule", n) for n in schedulers.SCHEDULES}
                | {("clip", n) for n in clipping.CLIP_KINDS if n != "none"}
                | {("regularization", n) for n in REGULARIZATIONS if n != "none"}
                | {("layer", n) for n in ("dense", "batchnorm", "dropout")}
                | {("model", "perceptron")})
    assert set(REGISTRY) == expected
    assert formulas.formula("clip", "none") is None
    assert formulas.FORMULAS is REGISTRY


@pytest.mark.parametrize("key", list(REGISTRY), ids=lambda k: "-".join(k))
def test_entry_is_complete(key):
    f = REGISTRY[key]
    assert key[0] in formulas.KINDS
    assert f.title and f.torch and callable(f.evaluate)
    assert f.latex and all(isinstance(s, str) and s and "$" not in s for s in f.latex)
    for text in (f.meaning, f.symbols):
        assert "\n" not in text and (not text or text.endswith("."))
    assert f.meaning


def test_the_notebooks_four_errors_are_corrected():
    """../shared/reference/README.md: the softmax gradient, dropout's scaling, the variance it
    calls Xavier, the BCE parentheses."""
    marked = {k for k, f in REGISTRY.items() if f.reference_error}
    assert marked == {("loss", "cross_entropy"), ("layer", "dropout"), ("init", "xavier_normal"),
                      ("init", "xavier_uniform"), ("init", "lecun_normal"), ("loss", "bce")}
    ce = REGISTRY["loss", "cross_entropy"].reference_error
    assert "f(z_i)\\,(1 - f(z_i))" in ce.wrote and any("p - y" in s for s in ce.correct)
    assert "delta_{ij}" in ce.correct[0]
    assert "test" in REGISTRY["layer", "dropout"].reference_error.wrote
    assert "n_{in} + n_{out}" in REGISTRY["init", "xavier_normal"].reference_error.correct[0]
    assert "\\left[" in REGISTRY["loss", "bce"].reference_error.correct[0]
    assert "\\left[" not in REGISTRY["loss", "bce"].reference_error.wrote


def _latex_lines():
    for key, f in REGISTRY.items():
        err = f.reference_error
        lines = f.latex + ((err.wrote,) + err.correct if err else ())
        for i, line in enumerate(lines):
            yield pytest.param(line, id=f"{'-'.join(key)}-{i}")


@pytest.mark.parametrize("latex", list(_latex_lines()))
def test_latex_is_typeset_by_mathtext(latex):
    mathtext = pytest.importorskip("matplotlib.mathtext")
    mathtext.MathTextParser("path").parse(f"${latex}$")  # raises ValueError on bad syntax
    png = io.BytesIO()
    mathtext.math_to_image(f"${latex}$", png, dpi=72, format="png")
    assert png.getvalue().startswith(b"\x89PNG")


def test_the_docs_page_is_the_registry():
    assert DOCS.read_text(encoding="utf-8") == formulas.markdown(), (
        "docs/formulas.md is out of date: python -m playground.engine.formulas > "
        "docs/formulas.md")


# -- activations, losses, the perceptron rule --------------------------------------------------

@pytest.mark.parametrize("name", activations.ACTIVATIONS)
def test_activation_and_its_derivative(name):
    z = np.concatenate([np.random.default_rng(1).normal(0, 3, 200), [0.0, -1e-9, 1e-9]])
    f, df = twin("activation", name)(z)
    np.testing.assert_allclose(activations.apply(name, z), f, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(activations.derivative(name, z), df, rtol=1e-12, atol=1e-15)


def _targets(name, rng, n, k):
    if name == "bce":
        return (rng.random((n, 1)) < 0.5).astype(float)
    if name == "cross_entropy":
        return rng.integers(0, k, n)
    return rng.normal(size=(n, k))


@pytest.mark.parametrize("name", ["bce", "cross_entropy", "mse"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loss_and_its_gradient_wrt_the_logits(name, seed):
    rng = np.random.default_rng(seed)
    n, k = 7, (1 if name == "bce" else 4)
    z, y = rng.normal(0, 2, (n, k)), _targets(name, rng, n, k)
    loss, grad = twin("loss", name)(z, y)
    engine_loss, engine_grad = losses.LOSS_FUNCTIONS[name](z, y)
    assert engine_loss == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(engine_grad, grad, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("units", [1, 3])
def test_perceptron_rule(units):
    rng = np.random.default_rng(units)
    w, b = rng.normal(size=(units, 4)), rng.normal(size=units)
    x, y = rng.normal(size=(1, 4)), rng.integers(0, 2, (1, units)).astype(float)
    new_w, new_b = twin("model", "perceptron")(w, b, x[0], y[0], 0.3)
    mistakes = np.zeros(units, np.int64)
    perceptron.perceptron_steps(w, b, x, y, np.arange(1), 0, 1, 0.3, mistakes)
    np.testing.assert_allclose(w, new_w, rtol=1e-15)
    np.testing.assert_allclose(b, new_b, rtol=1e-15)


# -- initializers: the drawn weights follow the distribution written ---------------------------

@pytest.mark.parametrize("name", list(initializers.INITIALIZERS))
@pytest.mark.parametrize("fan_out,fan_in", [(300, 100), (60, 500)])
def test_initializer_distribution(name, fan_out, fan_in):
    w = initializers.init_weight(name, np.random.default_rng(7), fan_out, fan_in).ravel()
    n = w.size
    dist = twin("init", name)(fan_in, fan_out)
    if dist[0] == "constant":
        assert np.all(w == dist[1])
        return
    if dist[0] == "uniform":
        low, high = dist[1], dist[2]
        mean, var = (low + high) / 2, (high - low) ** 2 / 12
        fourth, kurtosis = (high - low) ** 4 / 80, 1.8
        assert low <= w.min() and w.max() <= high
        # P(no draw in the top 20/n of the range) = (1 - 20/n)^n ~ e^-20
        assert w.max() > high - 20 * (high - low) / n and w.min() < low + 20 * (high - low) / n
    else:
        mean, var = dist[1], dist[2]
        fourth, kurtosis = 3 * var ** 2, 3.0
    # five standard errors of each statistic, from its sampling distribution
    assert abs(w.mean() - mean) < 5 * math.sqrt(var / n)
    assert abs(w.var() - var) < 5 * math.sqrt((fourth - var ** 2) / n)
    sample_kurtosis = np.mean((w - w.mean()) ** 4) / w.var() ** 2
    assert abs(sample_kurtosis - kurtosis) < 5 * math.sqrt(24 / n)  # normal vs uniform (1.8)


# -- layers --------------------------------------------------------------------------------------

def test_dense_forward():
    rng = np.random.default_rng(3)
    layer = layers.Linear(4, 3)
    layer.weight, layer.bias = rng.normal(size=(3, 4)), rng.normal(size=3)
    x = rng.normal(size=(5, 4))
    np.testing.assert_allclose(layer.forward(x, True, None),
                               twin("layer", "dense")(x, layer.weight, layer.bias), rtol=1e-14)


def test_batchnorm_forward_in_training_mode():
    rng = np.random.default_rng(4)
    bn = layers.BatchNorm(3, momentum=0.1, eps=1e-5, dtype=np.float64)
    bn.weight, bn.bias = rng.normal(size=3), rng.normal(size=3)
    bn.running_mean[...], bn.running_var[...] = rng.normal(size=3), rng.random(3) + 0.5
    before = bn.running_mean.copy(), bn.running_var.copy()
    x = rng.normal(2, 3, (8, 3))
    y, mean, var = twin("layer", "batchnorm")(x, bn.weight, bn.bias, 1e-5, 0.1, *before)
    np.testing.assert_allclose(bn.forward(x, True, None), y, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(bn.running_mean, mean, rtol=1e-13)
    np.testing.assert_allclose(bn.running_var, var, rtol=1e-13)


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout_scales_while_training_and_not_at_test_time(p):
    x = np.random.default_rng(5).normal(size=(6, 5))
    drop = layers.Dropout(p)
    y = drop.forward(x, True, np.random.default_rng(9))
    u = np.random.default_rng(9).random(x.shape)  # the uniforms the layer drew
    np.testing.assert_allclose(y, twin("layer", "dropout")(x, u, p, True), rtol=1e-15)
    assert 0 < np.count_nonzero(y) < y.size
    assert drop.forward(x, False, None) is x and twin("layer", "dropout")(x, u, p, False) is x


# -- the training step: L1/L2, clipping, optimizers, schedules -----------------------------------

@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_regularization_gradient_term(kind):
    rng = np.random.default_rng(6)
    params, grads = rng.normal(size=12), rng.normal(size=12)
    params[2] = 0.0  # sign(0) = 0
    weights = [slice(0, 6), slice(8, 11)]  # dense weights; the rest are biases
    expected = grads.copy()
    for sl in weights:
        expected[sl] += twin("regularization", kind)(params[sl], 0.03)
    regularization.apply(kind, 0.03, params, grads, weights)
    np.testing.assert_allclose(grads, expected, rtol=1e-15)


@pytest.mark.parametrize("scale", [0.1, 10.0])  # below and above the threshold
def test_clip_by_norm(scale):
    g = np.random.default_rng(8).normal(size=20) * scale
    expected = twin("clip", "norm")(g, 1.5)
    total = clipping.clip_norm(g, 1.5)
    assert total > 0
    np.testing.assert_allclose(g, expected, rtol=1e-14)


def test_clip_by_value():
    g = np.random.default_rng(10).normal(size=50)
    expected = twin("clip", "value")(g, 0.5)
    clipping.clip_value(g, 0.5)
    np.testing.assert_array_equal(g, expected)
    assert np.abs(g).max() == 0.5


OPTIMIZER_CASES = [
    ("sgd", {}), ("sgd", {"momentum": 0.9}), ("sgd", {"momentum": 0.8, "dampening": 0.3}),
    ("sgd", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("rmsprop", {}), ("rmsprop", {"centered": True}), ("rmsprop", {"momentum": 0.7}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.02}),
    ("adam", {}), ("adam", {"amsgrad": True}), ("adam", {"weight_decay": 0.05}),
    ("adamw", {}), ("adamw", {"amsgrad": True, "weight_decay": 0.1, "betas": (0.8, 0.99)}),
]


@pytest.mark.parametrize("name,changes", OPTIMIZER_CASES,
                         ids=[f"{n}-{'-'.join(c) or 'defaults'}" for n, c in OPTIMIZER_CASES])
def test_optimizer_steps(name, changes):
    rng = np.random.default_rng(11)
    options = {**optimizers.OPTIMIZER_DEFAULTS[name], **changes}
    opt = optimizers.Optimizer(name, options, 10, np.float64)
    p = rng.normal(size=10)
    p_twin, state = p.copy(), {}
    for t in range(1, 5):  # several steps, so the state carries over
        g = rng.normal(size=10)
        p_twin, state = twin("optimizer", name)(p_twin, g.copy(), state, 0.05, options, t)
        opt.step(p, g.copy(), 0.05)
        np.testing.assert_allclose(p, p_twin, rtol=1e-12, atol=1e-15)
    for key, value in state.items():
        np.testing.assert_allclose(opt.state[key], value, rtol=1e-12, atol=1e-15)


SCHEDULE_CASES = [
    ("constant", {}), ("step", {"step_size": 3, "gamma": 0.5}), ("exponential", {"gamma": 0.9}),
    ("cosine", {"t_max": 7, "eta_min": 1e-3}), ("cosine", {"t_max": 1, "eta_min": 0.0}),
    ("plateau", {"factor": 0.5, "patience": 2, "threshold": 1e-2, "min_lr": 2e-3}),
]


@pytest.mark.parametrize("name,changes", SCHEDULE_CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(SCHEDULE_CASES)])
def test_schedule_rates(name, changes):
    options = {**schedulers.SCHEDULE_DEFAULTS[name], **changes}
    # a loss that falls, stalls, wobbles inside the threshold and falls again
    metrics = list(np.r_[np.linspace(1, 0.5, 5), [0.5] * 4, 0.499 + 0.001 * np.sin(
        np.arange(6)), np.linspace(0.45, 0.3, 5)])
    sched = schedulers.Scheduler(name, options, 0.1, epochs=20)
    lr, engine = 0.1, []
    for metric in metrics:
        lr = sched.step(lr, metric)
        engine.append(lr)
    expected = twin("schedule", name)(0.1, metrics, options)
    np.testing.assert_allclose(engine, expected, rtol=1e-12, atol=1e-15)
    if name == "plateau":
        assert min(engine) < 0.1

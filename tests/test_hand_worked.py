"""Hand-worked examples: each rule applied once, the arithmetic written out in comments."""

from __future__ import annotations

import numpy as np
import pytest

from playground.engine import clipping, regularization
from playground.engine.optimizers import OPTIMIZER_DEFAULTS, Optimizer
from playground.engine.perceptron import Perceptron


def test_perceptron_two_updates():
    p = Perceptron(2, 2, "zeros", np.float64, np.random.default_rng(0))
    x = np.array([[2.0, -1.0], [1.0, 1.0]])
    targets = np.array([[1.0], [0.0]])
    mistakes, last = p.train(x, targets, np.arange(2), 0, 2, 0.5)
    # sample 1: z = 0 + 0 + 0 = 0, not > 0, so y_hat = 0; error 1 - 0 = 1
    #   w = [0, 0] + 0.5 * 1 * [2, -1] = [1, -0.5];  b = 0 + 0.5 * 1 = 0.5
    # sample 2: z = 1*1 + (-0.5)*1 + 0.5 = 1 > 0, so y_hat = 1; error 0 - 1 = -1
    #   w = [1, -0.5] + 0.5 * -1 * [1, 1] = [0.5, -1];  b = 0.5 - 0.5 = 0
    np.testing.assert_array_equal(p.weight, [[0.5, -1.0]])
    np.testing.assert_array_equal(p.bias, [0.0])
    assert mistakes.tolist() == [2] and last == 1


def test_perceptron_correct_sample_changes_nothing():
    p = Perceptron(2, 2, "zeros", np.float64, np.random.default_rng(0))
    p.weight[:] = [[1.0, 0.0]]
    mistakes, last = p.train(np.array([[3.0, 7.0]]), np.array([[1.0]]), np.arange(1), 0, 1, 1.0)
    # z = 3 > 0 predicts 1 = y: no update
    np.testing.assert_array_equal(p.weight, [[1.0, 0.0]])
    assert mistakes.tolist() == [0] and last == -1


def _opt(name, **options):
    return Optimizer(name, {**OPTIMIZER_DEFAULTS[name], **options}, 1, np.float64)


def test_one_adam_step():
    opt = _opt("adam", lr=0.1)
    p, g = np.array([1.0]), np.array([0.5])
    opt.step(p, g, 0.1)
    # m = 0.9*0 + 0.1*0.5 = 0.05            m_hat = 0.05 / (1 - 0.9)   = 0.5
    # v = 0.999*0 + 0.001*0.25 = 0.00025    v_hat = 0.00025 / (1 - 0.999) = 0.25
    # p = 1 - 0.1 * 0.5 / (sqrt(0.25) + 1e-8) = 1 - 0.05 / 0.50000001
    assert p[0] == pytest.approx(1 - 0.05 / 0.50000001, rel=1e-14)


def test_two_sgd_momentum_steps():
    opt = _opt("sgd", momentum=0.9)
    p = np.array([1.0])
    opt.step(p, np.array([2.0]), 0.1)
    # step 1: buffer = g = 2;                 p = 1 - 0.1*2 = 0.8
    assert p[0] == pytest.approx(0.8, rel=1e-15)
    opt.step(p, np.array([1.0]), 0.1)
    # step 2: buffer = 0.9*2 + 1 = 2.8;       p = 0.8 - 0.1*2.8 = 0.52
    assert p[0] == pytest.approx(0.52, rel=1e-14)


def test_nesterov_step():
    opt = _opt("sgd", momentum=0.5, nesterov=True)
    p = np.array([0.0])
    opt.step(p, np.array([1.0]), 1.0)
    # buffer = 1; d = g + 0.5*buffer = 1.5; p = 0 - 1.5
    assert p[0] == -1.5


def test_adamw_decays_before_the_adam_step():
    opt = _opt("adamw", lr=0.1, weight_decay=0.5)
    p = np.array([2.0])
    opt.step(p, np.array([0.0]), 0.1)
    # p = 2 * (1 - 0.1*0.5) = 1.9; the gradient is 0, so m = v = 0 and the Adam step is 0
    assert p[0] == pytest.approx(1.9, rel=1e-15)


def test_clip_norm_scales_to_the_limit():
    g = np.array([3.0, 4.0])
    total = clipping.clip_norm(g, 1.0)
    # ||g|| = 5; coef = 1 / (5 + 1e-6); g = [3, 4] * coef
    assert total == 5.0
    np.testing.assert_allclose(g, np.array([3.0, 4.0]) / (5 + 1e-6), rtol=1e-15)
    small = np.array([0.3, 0.4])
    clipping.clip_norm(small, 1.0)  # coef clamps at 1: unchanged
    np.testing.assert_array_equal(small, [0.3, 0.4])


def test_clip_value():
    g = np.array([-3.0, 0.2, 5.0])
    clipping.clip_value(g, 1.0)
    np.testing.assert_array_equal(g, [-1.0, 0.2, 1.0])


def test_l1_l2_touch_only_dense_weights():
    params = np.array([2.0, -3.0, 0.0, 7.0])   # [w, w, w, b]: the weights are the first three
    sl = [slice(0, 3)]
    g = np.zeros(4)
    regularization.apply("l2", 0.1, params, g, sl)
    # l2: g += 0.1 * w = [0.2, -0.3, 0]; the bias gets nothing
    np.testing.assert_allclose(g, [0.2, -0.3, 0.0, 0.0])
    g = np.zeros(4)
    regularization.apply("l1", 0.1, params, g, sl)
    # l1: g += 0.1 * sign(w) = [0.1, -0.1, 0] (sign(0) = 0)
    np.testing.assert_allclose(g, [0.1, -0.1, 0.0, 0.0])

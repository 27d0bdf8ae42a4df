"""Hand-worked examples: each rule applied once, the arithmetic written out in comments."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from conftest import run_config
from playground.data.dataset import Dataset
from playground.engine import clipping, regularization
from playground.engine.optimizers import OPTIMIZER_DEFAULTS, Optimizer
from playground.engine.perceptron import Perceptron, perceptron_steps
from playground.engine.trainer import Trainer
from playground.io.codegen import keras_code


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


#: three samples, lr 0.5, zero start; (w, b) after each, worked out in the test below
PERCEPTRON_X = np.array([[1.0, 2.0], [-1.0, -1.0], [0.0, -1.0]])
PERCEPTRON_Y = np.array([1, 1, 0])
PERCEPTRON_AFTER = [([0.5, 1.0], 0.5), ([0.0, 0.5], 1.0), ([0.0, 1.0], 0.5)]
#: the compiled kernel; the same function interpreted (what NUMBA_DISABLE_JIT runs); the
#: Trainer one sample per step on each backend the parity tests use (a perceptron has one
#: kernel today: these keep a future per-backend path honest); and the generated Keras code's
#: fit, which needs only NumPy (run on a stand-in for the Dense layer)
PERCEPTRON_PATHS = ("kernel", "python", "trainer-loops", "trainer-blas", "trainer-numpy",
                    "keras-code")


class _DenseStandIn:
    """The two calls the generated Keras fit makes on ``model.layers[0]``."""

    def __init__(self, kernel, bias):
        self.layers, self._weights = [self], [kernel, bias]

    def get_weights(self):
        return [w.copy() for w in self._weights]

    def set_weights(self, weights):
        self._weights = [w.copy() for w in weights]


def _keras_perceptron_fit():
    """The generated Keras code's ``fit`` alone, executed with NumPy (keras is not imported)."""
    cfg = run_config(model_type="perceptron", optimizer={"name": "sgd", "lr": 0.5},
                     shuffle=False)
    tree = ast.parse(keras_code(cfg, 2, 1, loss="perceptron"))
    (fit,) = [node for node in tree.body if isinstance(node, ast.FunctionDef)
              and node.name == "fit"]
    ns = {"np": np}
    exec(compile(ast.Module([fit], type_ignores=[]), "keras fit", "exec"), ns)
    return ns["fit"]


def _perceptron_after_each_sample(path, dtype):
    """(weight, bias, mistakes of that sample) after each of the samples, in order, on one
    path."""
    targets = PERCEPTRON_Y.reshape(-1, 1).astype(dtype)
    x = PERCEPTRON_X.astype(dtype)
    if path == "keras-code":
        fit, model = _keras_perceptron_fit(), _DenseStandIn(np.zeros((2, 1), dtype),
                                                            np.zeros(1, dtype))
        for i in range(len(x)):  # one epoch of one sample: fit returns 1 if it made no mistake
            converged = fit(model, x[i:i + 1], PERCEPTRON_Y[i:i + 1], epochs=1, lr=0.5)
            kernel, bias = model.get_weights()
            yield kernel.T, bias, 0 if converged == 1 else 1
        return
    if path.startswith("trainer"):
        cfg = run_config(model_type="perceptron", optimizer={"name": "sgd", "lr": 0.5},
                         shuffle=False, dtype=np.dtype(dtype).name)
        t = Trainer(cfg, dataset=Dataset.from_arrays(PERCEPTRON_X, PERCEPTRON_Y),
                    backend=path.split("-")[1])
        for _ in range(len(x)):
            mistakes = t.step_batch()
            state = t.state_dict()
            yield state["0.weight"], state["0.bias"], mistakes
        return
    p = Perceptron(2, 2, "zeros", dtype, np.random.default_rng(0))
    for i in range(len(x)):
        if path == "kernel":
            mistakes, _ = p.train(x, targets, np.arange(len(x)), i, i + 1, 0.5)
        else:
            mistakes = np.zeros(1, np.int64)
            perceptron_steps.py_func(p.weight, p.bias, x, targets, np.arange(len(x)), i, i + 1,
                                     p.dtype.type(0.5), mistakes)
        yield p.weight.copy(), p.bias.copy(), int(mistakes[0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("path", PERCEPTRON_PATHS)
def test_perceptron_moves_the_bias(path, dtype):
    # The two-update example above ends with b = 0, as if the bias had never moved; here it
    # moves at each step and ends at 0.5. Rule: w += lr (y - y_hat) x, b += lr (y - y_hat),
    # y_hat = [w . x + b > 0]; lr = 0.5; every number is exact in float32 too.
    # sample 1: x = [1, 2], y = 1;  z = 0*1 + 0*2 + 0 = 0, not > 0: y_hat = 0; y - y_hat = 1
    #   w = [0, 0] + 0.5 * 1 * [1, 2] = [0.5, 1];     b = 0 + 0.5 * 1 = 0.5
    # sample 2: x = [-1, -1], y = 1;  z = 0.5*(-1) + 1*(-1) + 0.5 = -1: y_hat = 0; error 1
    #   w = [0.5, 1] + 0.5 * 1 * [-1, -1] = [0, 0.5];  b = 0.5 + 0.5 * 1 = 1
    # sample 3: x = [0, -1], y = 0;  z = 0*0 + 0.5*(-1) + 1 = 0.5 > 0: y_hat = 1; error -1
    #   w = [0, 0.5] + 0.5 * -1 * [0, -1] = [0, 1];    b = 1 + 0.5 * -1 = 0.5
    #   (with the bias stuck at 0, z would be -0.5 here: no mistake, and no update at all)
    steps = list(_perceptron_after_each_sample(path, dtype))
    assert len(steps) == len(PERCEPTRON_AFTER)
    for n, ((w, b, mistakes), (w_hand, b_hand)) in enumerate(zip(steps, PERCEPTRON_AFTER), 1):
        np.testing.assert_array_equal(w, [w_hand], err_msg=f"weight after sample {n}")
        np.testing.assert_array_equal(b, [b_hand], err_msg=f"bias after sample {n}")
        assert mistakes == 1, f"sample {n} is a mistake"


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

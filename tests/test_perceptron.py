"""The perceptron converges on linearly separable data and never on XOR."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_config
from playground.data.dataset import Dataset
from playground.engine.trainer import Trainer


def separable(n=80, k=2, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[4.0, 4.0], [-4.0, -4.0], [4.0, -4.0], [-4.0, 4.0]])[:k]
    y = np.arange(n) % k
    return Dataset.from_arrays(centers[y] + rng.normal(scale=0.7, size=(n, 2)), y)


def xor_data():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 5)
    return Dataset.from_arrays(x, (x[:, 0] != x[:, 1]).astype(int))


def perceptron(ds, epochs=100, lr=1.0, seed=0):
    cfg = run_config(model_type="perceptron", epochs=epochs, seed=seed,
                     optimizer={"name": "sgd", "lr": lr})
    return Trainer(cfg, dataset=ds)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_converges_on_separable_data(k):
    t = perceptron(separable(k=k))
    t.run_epochs(50)
    assert t.converged_epoch is not None
    assert t.history[t.converged_epoch - 1]["mistakes"] == 0
    assert t.evaluate().train_accuracy == 1.0
    frozen = t.state_dict()
    t.run_epochs(3)  # nothing changes after convergence
    for key, value in t.state_dict().items():
        np.testing.assert_array_equal(value, frozen[key])


def test_never_converges_on_xor():
    t = perceptron(xor_data())
    t.run_epochs(200)
    assert t.converged_epoch is None
    assert all(rec["mistakes"] > 0 for rec in t.history)
    assert t.evaluate().train_accuracy <= 0.75  # no line separates XOR


def test_step_batch_is_one_sample_and_matches_step_epoch():
    a, b = perceptron(separable(n=30)), perceptron(separable(n=30))
    for _ in range(30):
        a.step_batch()
    b.step_epoch()
    assert a.epoch == b.epoch == 1 and a.steps == b.steps == 30
    np.testing.assert_array_equal(a.state_dict()["0.weight"], b.state_dict()["0.weight"])


def test_perceptron_state_dict_is_one_linear():
    t = perceptron(separable(k=3))
    assert {k: v.shape for k, v in t.state_dict().items()} == {"0.weight": (3, 2),
                                                               "0.bias": (3,)}

"""R² and MAE (``engine.metrics``) against sklearn.metrics, and as the trainer reports them:
in the data's units, on each split, in evaluation mode, whatever the target scaling."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, r2_score

from conftest import run_config
from playground.data.dataset import Dataset
from playground.engine import metrics
from playground.engine.trainer import EVALUATION_KEYS, Trainer


@pytest.mark.parametrize("n, t, seed", [(2, 1, 0), (7, 1, 1), (40, 3, 2), (200, 2, 3)])
def test_against_sklearn(n, t, seed):
    rng = np.random.default_rng(seed)
    y = rng.normal(5.0, 3.0, size=(n, t)) * rng.uniform(0.1, 100, size=t)
    p = y + rng.normal(size=(n, t)) * y.std(axis=0)
    assert metrics.r2_score(y, p) == pytest.approx(r2_score(y, p), rel=1e-12, abs=1e-14)
    assert metrics.mean_absolute_error(y, p) == pytest.approx(mean_absolute_error(y, p),
                                                              rel=1e-12)
    # one target as a 1-D array, as sklearn takes it
    assert metrics.r2_score(y[:, 0], p[:, 0]) == pytest.approx(r2_score(y[:, 0], p[:, 0]),
                                                               rel=1e-12, abs=1e-14)


def test_hand_worked():
    # y = [1, 2, 3], y_hat = [1, 2, 5]: mean 2, SS_tot = 1 + 0 + 1 = 2, SS_res = 0 + 0 + 4 = 4,
    # R^2 = 1 - 4/2 = -1; MAE = (0 + 0 + 2) / 3
    assert metrics.r2_score([1, 2, 3], [1, 2, 5]) == -1.0
    assert metrics.mean_absolute_error([1, 2, 3], [1, 2, 5]) == pytest.approx(2 / 3)
    # two targets averaged uniformly: R^2 1 (exact) and -1 -> 0
    y = np.array([[0.0, 1], [1, 2], [2, 3]])
    assert metrics.r2_score(y, np.column_stack([y[:, 0], [1, 2, 5]])) == 0.0


def test_constant_target_and_short_splits_follow_sklearn():
    y = np.full((4, 2), 3.0)
    p = np.column_stack([y[:, 0], y[:, 1] + 1])  # first exact, second off
    # force_finite: a constant target scores 1 when predicted exactly, else 0
    assert metrics.r2_score(y, p) == pytest.approx(r2_score(y, p)) == 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn warns that R^2 needs 2 samples
        assert math.isnan(r2_score([1.0], [2.0]))
    assert math.isnan(metrics.r2_score([1.0], [2.0]))
    assert math.isnan(metrics.mean_absolute_error(np.empty((0, 1)), np.empty((0, 1))))
    assert math.isnan(metrics.r2_score([1.0, 2.0], [np.nan, 1.0]))  # a diverged model


def _regression(standardize_target: bool, scale: float = 1.0, offset: float = 0.0):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(50, 3))
    y = (np.column_stack([np.sin(x).sum(axis=1), x[:, 0] * x[:, 1]]) * scale) + offset
    return Dataset.from_arrays(x[:40], y[:40], x[40:], y[40:], task="regression",
                               standardize_target=standardize_target)


@pytest.mark.parametrize("backend", ["auto", "numpy"])
@pytest.mark.parametrize("standardize_target", [False, True])
def test_trainer_reports_them_in_the_datas_units(backend, standardize_target):
    ds = _regression(standardize_target, scale=40.0, offset=1000.0)
    t = Trainer(run_config([{"type": "dense", "units": 6, "activation": "tanh"},
                            {"type": "dropout", "p": 0.3}], source="plane", epochs=3,
                           dtype="float64"), dataset=ds, backend=backend)
    t.run_epochs(3)
    ev = t.evaluate()
    for split, x, y in (("train", ds.x_train, ds.y_train), ("test", ds.x_test, ds.y_test)):
        predicted = t.predict(x)  # evaluation mode: dropout off, data units
        assert getattr(ev, f"{split}_r2") == pytest.approx(r2_score(y, predicted), rel=1e-9)
        assert getattr(ev, f"{split}_mae") == pytest.approx(mean_absolute_error(y, predicted),
                                                            rel=1e-9)
    record = t.history[-1]
    assert set(EVALUATION_KEYS) <= set(record)
    assert record["train_r2"] == ev.train_r2 and record["test_mae"] == ev.test_mae
    assert ev.train_accuracy is None and ev.test_accuracy is None


def test_r2_and_mae_do_not_depend_on_the_target_scaling_but_the_loss_does():
    """The same network on targets in the data's units and on z-scored targets: identical
    weights give predictions that differ only by the undone z-score."""
    plain, scaled = _regression(False, 40.0, 1000.0), _regression(True, 40.0, 1000.0)
    cfg = run_config([{"type": "dense", "units": 4, "activation": "tanh"}], source="plane",
                     dtype="float64")
    a, b = Trainer(cfg, dataset=plain), Trainer(cfg, dataset=scaled)
    b.load_state_dict(a.state_dict())
    out = a.logits(plain.x_test)  # the network's outputs, the same for both
    np.testing.assert_array_equal(b.logits(scaled.x_test), out)
    np.testing.assert_allclose(b.predict(scaled.x_test), out * scaled.y_std + scaled.y_mean,
                               rtol=1e-15)
    ev = b.evaluate()
    want = scaled.y_std * b.logits(scaled.x_test) + scaled.y_mean
    assert ev.test_r2 == pytest.approx(r2_score(scaled.y_test, want), rel=1e-12)
    # the loss sees z-scores: mean((z - (y - mean) / std)^2)
    z_target = (scaled.y_test - scaled.y_mean) / scaled.y_std
    assert ev.test_loss == pytest.approx(np.mean((out - z_target) ** 2), rel=1e-12)
    assert a.evaluate().test_loss == pytest.approx(np.mean((out - plain.y_test) ** 2),
                                                   rel=1e-12)


def test_classification_has_no_r2_or_mae():
    t = Trainer(run_config([{"type": "dense", "units": 4, "activation": "tanh"}],
                           source="xor", data={"samples": 40}, epochs=1))
    t.run_epochs(1)
    ev = t.evaluate()
    assert ev.train_accuracy is not None
    assert (ev.train_r2, ev.test_r2, ev.train_mae, ev.test_mae) == (None,) * 4
    assert t.history[-1]["train_r2"] is None


def test_every_metric_has_a_formula():
    assert set(metrics.METRICS) == {"r2", "mae"}
    for formula, text in metrics.METRICS.values():
        assert "=" in formula and text

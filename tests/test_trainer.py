"""The Trainer facade: determinism, stepping granularity, evaluation and set-up errors."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import blobs, run_config, trainer
from playground.engine.trainer import Trainer
from playground.errors import ConfigError

STACK = [{"type": "dense", "units": 6, "activation": "tanh"}, {"type": "batchnorm"},
         {"type": "dropout", "p": 0.2}, {"type": "dense", "units": 4}, {"type": "relu"}]
OPTIONS = dict(batch_size=7, optimizer={"name": "adam", "lr": 0.02}, clip={"norm": 1.0},
               regularization={"kind": "l2", "rate": 1e-3},
               schedule={"name": "plateau", "patience": 1, "factor": 0.5})


def _same_state(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        np.testing.assert_array_equal(sa[key], sb[key], err_msg=key)


def test_same_seed_same_numbers():
    data = blobs(n=40, k=3, test=10)
    a, b = trainer(STACK, data, **OPTIONS), trainer(STACK, data, **OPTIONS)
    a.run_epochs(5)
    b.run_epochs(5)
    _same_state(a, b)
    assert a.history == b.history


def test_other_seed_other_initial_weights():
    data = blobs()
    a = Trainer(run_config(STACK, seed=1, batch_size=8), dataset=data)
    b = Trainer(run_config(STACK, seed=2, batch_size=8), dataset=data)
    assert not np.array_equal(a.state_dict()["0.weight"], b.state_dict()["0.weight"])


def test_batch_steps_equal_epoch_steps():
    data = blobs(n=40, k=3, test=10)
    a, b = trainer(STACK, data, **OPTIONS), trainer(STACK, data, **OPTIONS)
    for _ in range(3 * a.batches_per_epoch):
        a.step_batch()
    b.run_epochs(3)
    assert a.epoch == b.epoch == 3 and a.steps == b.steps == 18
    _same_state(a, b)
    assert a.history == b.history


def test_history_records_each_epoch_and_the_lr_it_used():
    t = trainer(STACK, blobs(n=40, test=10), **OPTIONS)
    t.run_epochs(6)
    assert [r["epoch"] for r in t.history] == list(range(1, 7))
    assert t.history[0]["lr"] == 0.02
    assert all(r["test_loss"] is not None for r in t.history)
    ev = t.evaluate()
    assert ev.train_loss == pytest.approx(t.history[-1]["train_loss"])


def test_training_learns():
    t = trainer([{"type": "dense", "units": 16, "activation": "relu"}], blobs(n=120, k=3),
                optimizer={"name": "adam", "lr": 0.05}, batch_size=16)
    first = t.evaluate().train_loss
    t.run_epochs(40)
    assert t.evaluate().train_loss < first / 3
    assert t.evaluate().train_accuracy > 0.9


@pytest.mark.parametrize("k,loss,units", [(2, "bce", 1), (3, "cross_entropy", 3),
                                          (2, "cross_entropy", 2)])
def test_output_layer_follows_the_loss(k, loss, units):
    t = trainer([{"type": "dense", "units": 3}], blobs(k=k), loss=loss)
    assert t.state_dict()["1.weight"].shape == (units, 3)
    probs = t.predict(t.x_train)
    assert probs.shape == (40, k)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)


def test_regression_predicts_one_column_per_target():
    t = trainer([{"type": "dense", "units": 3, "activation": "tanh"}], blobs(task="regression"))
    assert t.loss_name == "mse" and t.predict(t.x_train).shape == (40, 1)
    assert t.evaluate().train_accuracy is None


def test_full_batch_and_short_last_batch():
    t = trainer(batch_size=0)
    assert t.batch_size == 40 and t.batches_per_epoch == 1
    t = trainer(batch_size=15)
    assert t.batches_per_epoch == 3  # 15 + 15 + 10


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtype_is_kept(dtype):
    t = trainer(STACK, dtype=dtype, batch_size=8)
    t.run_epochs(1)
    for key, value in t.state_dict().items():
        assert value.dtype == (np.int64 if key.endswith("num_batches_tracked") else dtype)


def test_batchnorm_refuses_a_batch_of_one():
    with pytest.raises(ConfigError, match="batch of 1 sample"):
        trainer(STACK, blobs(n=41), batch_size=10)


@pytest.mark.parametrize("task,k,loss,message", [
    ("classification", 3, "bce", "bce needs 2 classes"),
    ("classification", 2, "mse", "mse is for regression"),
    ("regression", 2, "cross_entropy", "is for classification"),
])
def test_loss_must_fit_the_task(task, k, loss, message):
    with pytest.raises(ConfigError, match=message):
        trainer(dataset=blobs(k=k, task=task), loss=loss)


def test_perceptron_needs_classification():
    with pytest.raises(ConfigError, match="perceptron needs a classification"):
        Trainer(run_config(model_type="perceptron", source="plane"), dataset=blobs(task="regression"))


def test_shuffle_changes_batches_but_not_the_first_weights():
    data = blobs(n=40)
    a = trainer([{"type": "dense", "units": 3}], data, shuffle=True)
    b = trainer([{"type": "dense", "units": 3}], data, shuffle=False)
    _same_state(a, b)
    a.run_epochs(1)
    b.run_epochs(1)
    assert not np.array_equal(a.state_dict()["0.weight"], b.state_dict()["0.weight"])


def test_nan_loss_is_reported_as_divergence():
    t = trainer([{"type": "dense", "units": 4, "activation": "relu"}], blobs(task="regression"),
                optimizer={"name": "sgd", "lr": 1e6})
    t.run_epochs(5)
    assert t.diverged


def test_predict_grid_matches_pointwise_predictions():
    from playground.config import RunConfig
    cfg = RunConfig.from_dict({"format": 1, "data": {"source": "circle", "samples": 100,
                                                     "features": ["x1", "x2", "x1^2"]},
                               "model": {"type": "mlp", "layers": [
                                   {"type": "dense", "units": 4, "activation": "tanh"}]}})
    t = Trainer(cfg)
    t.run_epochs(2)
    xs, ys, out = t.predict_grid(resolution=9)
    assert out.shape == (9, 9, 2)
    raw = np.array([[xs[3], ys[7]]])
    np.testing.assert_allclose(out[7, 3], t.predict(t.dataset.preprocess(raw))[0], rtol=1e-6)
    raw_all = np.concatenate([t.dataset.raw_train, t.dataset.raw_test])
    assert xs[0] < raw_all[:, 0].min() and xs[-1] > raw_all[:, 0].max()


def test_batchnorm_starts_as_identity_scale():
    t = trainer(STACK, batch_size=8)
    state = t.state_dict()
    np.testing.assert_array_equal(state["2.weight"], np.ones(6))   # gamma = 1, as BatchNorm1d
    np.testing.assert_array_equal(state["2.bias"], np.zeros(6))
    np.testing.assert_array_equal(state["2.running_var"], np.ones(6))


def test_batchnorm_network_learns():
    layers = [{"type": "dense", "units": 16, "activation": "relu"}, {"type": "batchnorm"}]
    t = trainer(layers, blobs(n=120, k=3), optimizer={"name": "adam", "lr": 0.05}, batch_size=16)
    t.run_epochs(30)
    assert t.evaluate().train_accuracy > 0.9


def test_epochs_without_evaluation_train_the_same():
    data = blobs(n=40, k=3, test=10)
    a = trainer(STACK, data, **{**OPTIONS, "schedule": {"name": "step", "step_size": 2}})
    b = Trainer(a.config, dataset=data, evaluate_epochs=False)
    a.run_epochs(4)
    b.run_epochs(4)
    _same_state(a, b)
    assert "train_loss" not in b.history[-1]
    assert b.history[-1]["batch_loss"] == a.history[-1]["batch_loss"]
    assert [r["lr"] for r in a.history] == [r["lr"] for r in b.history]


def test_plateau_still_evaluates_without_epoch_evaluation():
    data = blobs(n=40, k=3, test=10)
    b = Trainer(trainer(STACK, data, **OPTIONS).config, dataset=data, evaluate_epochs=False)
    b.run_epochs(2)
    assert b.history[-1]["test_loss"] is not None


def test_live_hyperparameter_changes_keep_the_weights():
    import dataclasses
    t = trainer(STACK, blobs(n=40, k=3), **OPTIONS)
    t.run_epochs(2)
    before = t.state_dict()
    opt = t.config.train.optimizer.with_options(lr=0.5)
    train = dataclasses.replace(t.config.train, optimizer=opt)
    assert t.update_train(train)
    assert t.lr == 0.5 and t.optimizer.steps == 2 * t.batches_per_epoch  # Adam state kept
    for key, value in before.items():
        np.testing.assert_array_equal(t.state_dict()[key], value)
    t.step_epoch()
    assert t.history[-1]["lr"] == 0.5
    assert not t.update_train(dataclasses.replace(t.config.train, batch_size=5))

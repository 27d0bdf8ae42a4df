"""``Trainer.run_epochs`` trains runs of epochs in one kernel call (issue #14: a small
network's epoch costs microseconds, and a call from Python per epoch cost as much again),
evaluating each epoch inside that call when the run evaluates its epochs (the live app's).
It must be ``step_epoch`` n times to the bit: weights, optimizer state and step count,
batchnorm's statistics, both random streams, the learning rate and every history record.
``run_steps`` trains the whole epochs among its steps that way.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import blobs, run_config
from playground.engine.trainer import Trainer

DATA = blobs(n=45, f=3, k=3, test=15)
CASES = {
    "adam plain": dict(optimizer={"name": "adam", "lr": 0.01}),
    "sgd momentum, step schedule, no shuffle": dict(
        optimizer={"name": "sgd", "lr": 0.05, "momentum": 0.9}, shuffle=False,
        schedule={"name": "step", "step_size": 2, "gamma": 0.5}),
    "nesterov, l1, clip value, cosine": dict(
        optimizer={"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True},
        regularization={"kind": "l1", "rate": 1e-3}, clip={"value": 0.5},
        schedule={"name": "cosine"}),
    "rmsprop centered, l2, clip norm, exponential": dict(
        optimizer={"name": "rmsprop", "lr": 0.01, "centered": True, "momentum": 0.5},
        regularization={"kind": "l2", "rate": 1e-3}, clip={"norm": 1.0},
        schedule={"name": "exponential", "gamma": 0.9}),
    "adamw amsgrad": dict(optimizer={"name": "adamw", "lr": 0.01, "amsgrad": True}),
}
EXTRAS = {"dense": (), "batchnorm dropout": ("batchnorm", "dropout")}


def _config(case: str, extras: tuple[str, ...], dtype: str):
    layers = [{"type": "dense", "units": 7, "activation": "tanh"}]
    if "batchnorm" in extras:
        layers.append({"type": "batchnorm"})
    if "dropout" in extras:
        layers.append({"type": "dropout", "p": 0.3})
    layers.append({"type": "dense", "units": 5, "activation": "relu"})
    return run_config(layers, batch_size=8, dtype=dtype, epochs=12, **CASES[case])


def _state(t: Trainer) -> dict:
    opt = t.optimizer
    return {"params": t.model.params.copy(), "stats": t.model.stats.copy(),
            "opt": {k: v.copy() for k, v in opt.state.items()}, "opt steps": opt.steps,
            "steps": t.steps, "epoch": t.epoch, "lr": t.lr,
            "bn": [int(bn.num_batches_tracked) for bn in t.model.batchnorms],
            "shuffle rng": t._shuffle_rng.bit_generator.state,
            "dropout rng": t._dropout_rng.bit_generator.state,
            "history": [dict(r) for r in t.history]}


def _assert_same(a: dict, b: dict) -> None:
    for key in ("params", "stats"):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert a["opt"].keys() == b["opt"].keys()
    for key in a["opt"]:
        np.testing.assert_array_equal(a["opt"][key], b["opt"][key], err_msg=key)
    for key in ("opt steps", "steps", "epoch", "lr", "bn", "shuffle rng", "dropout rng"):
        assert a[key] == b[key], key
    assert len(a["history"]) == len(b["history"])
    for ra, rb in zip(a["history"], b["history"]):
        assert ra.keys() == rb.keys()
        for key in ra:
            if isinstance(ra[key], list):
                assert ra[key] == rb[key], key
            else:
                assert ra[key] == rb[key] or (np.isnan(ra[key]) and np.isnan(rb[key])), key


def _fused_calls(t: Trainer, monkeypatch) -> list[int]:
    calls: list[int] = []
    original = t._train_epochs
    monkeypatch.setattr(t, "_train_epochs", lambda k: (calls.append(k), original(k))[1])
    return calls


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("extras", list(EXTRAS))
@pytest.mark.parametrize("case", list(CASES))
def test_run_epochs_equals_step_epoch_to_the_bit(case, extras, dtype, monkeypatch):
    config = _config(case, EXTRAS[extras], dtype)
    one_by_one, fused = Trainer(config, dataset=DATA), Trainer(config, dataset=DATA)
    for t in (one_by_one, fused):
        t.dynamics.set_every(0)
        t.evaluate_epochs = False
    for _ in range(12):
        one_by_one.step_epoch()
    calls = _fused_calls(fused, monkeypatch)
    losses = fused.run_epochs(12)
    assert calls == [12]  # the epochs did train in one call
    _assert_same(_state(one_by_one), _state(fused))
    assert losses.tolist() == [r["batch_loss"] for r in one_by_one.history]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("evaluated", [False, True])
def test_a_recorded_epoch_ends_its_call(evaluated, dtype, monkeypatch):
    """Dynamics every 4th epoch: epochs 1-4 in one call, the 4th recorded in it (the
    kernel accumulates its gradient norms and update ratios, and at the call's end takes
    its weight histograms and activation health), 5-8 likewise, 9 and 10; records,
    dynamics and all, the same as epoch by epoch, to the bit (evaluated: the app's live
    run). The buffers the call must fill hold garbage before it, so a figure it left out
    would show."""
    config = _config("adam plain", ("batchnorm", "dropout"), dtype)
    one_by_one, fused = Trainer(config, dataset=DATA), Trainer(config, dataset=DATA)
    for t in (one_by_one, fused):
        t.dynamics.set_every(4)
        t.evaluate_epochs = evaluated
    for _ in range(10):
        one_by_one.step_epoch()
    assert fused.dynamics.health_keys                  # the run has modules to watch
    fused.dynamics._hist[...] = 7
    fused.dynamics._health[...] = 0.5
    calls = _fused_calls(fused, monkeypatch)
    losses = fused.run_epochs(10)
    assert losses.tolist() == [r["batch_loss"] for r in one_by_one.history]
    assert calls == [4, 4, 2]
    assert [("grad_norm.0" in r) for r in fused.history] == [e % 4 == 0 for e in range(1, 11)]
    assert ("test_loss" in fused.history[3]) == evaluated
    _assert_same(_state(one_by_one), _state(fused))


#: evaluated epochs: a cross-entropy run, a BCE run, and one without a test split
EVALUATED = {"3 classes": DATA, "2 classes (bce)": blobs(n=45, f=3, k=2, seed=1, test=15),
             "no test split": blobs(n=45, f=3, k=2, seed=2)}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("data", list(EVALUATED))
@pytest.mark.parametrize("case", ["adam plain", "rmsprop centered, l2, clip norm, exponential"])
def test_evaluated_epochs_train_in_one_call_with_step_epochs_records(case, data, dtype,
                                                                     monkeypatch):
    """Each epoch's train and test loss and accuracy, evaluated inside the fused call, are
    evaluate()'s after step_epoch, to the bit (None where evaluate() says None)."""
    config = _config(case, EXTRAS["batchnorm dropout"], dtype)
    dataset = EVALUATED[data]
    one_by_one, fused = Trainer(config, dataset=dataset), Trainer(config, dataset=dataset)
    for t in (one_by_one, fused):
        t.dynamics.set_every(0)
    for _ in range(12):
        one_by_one.step_epoch()
    calls = _fused_calls(fused, monkeypatch)
    fused.run_epochs(12)
    assert calls == [12]
    assert one_by_one.history[-1]["train_accuracy"] is not None
    assert (one_by_one.history[-1]["test_loss"] is None) == (data == "no test split")
    _assert_same(_state(one_by_one), _state(fused))


def test_run_steps_trains_its_whole_epochs_in_one_call(monkeypatch):
    """Steps from mid-epoch across five epoch ends: the begun epoch is finished batch by
    batch, the whole epochs after it in one call, the rest batch by batch; as one step
    at a time would train them (the live worker's chunks are run_steps calls)."""
    config = _config("adam plain", ("dropout",), "float64")
    one_by_one, fused = Trainer(config, dataset=DATA), Trainer(config, dataset=DATA)
    for t in (one_by_one, fused):
        t.dynamics.set_every(0)
    per_epoch = fused.batches_per_epoch
    n = 2 + 4 * per_epoch + 3
    one_by_one.run_steps(2)
    for _ in range(n - 2):
        one_by_one.run_steps(1)
    fused.run_steps(2)
    calls = _fused_calls(fused, monkeypatch)
    fused.run_steps(n - 2)
    assert calls == [3]   # the begun epoch's rest alone, 3 whole epochs, 3 steps of the next
    assert fused.steps == one_by_one.steps == n
    state_a, state_b = _state(one_by_one), _state(fused)
    # the begun epochs' batch losses are summed in another order: equal to rounding
    for ra, rb in zip(state_a.pop("history"), state_b.pop("history")):
        assert ra.keys() == rb.keys()
        assert ra.pop("batch_loss") == pytest.approx(rb.pop("batch_loss"), rel=1e-12)
        assert ra == rb
    state_a["history"] = state_b["history"] = []
    _assert_same(state_a, state_b)


def test_what_needs_python_between_epochs_trains_them_one_by_one(monkeypatch):
    """Regression's evaluation (R² and MAE in the data's units), a plateau schedule (it
    reads the epoch's loss) and an epoch begun by Step batch leave nothing to fuse; the
    result is step_epoch's all the same."""
    base = _config("adam plain", (), "float32")
    plateau = run_config(base.model.to_dict()["layers"], batch_size=8, epochs=6,
                         optimizer={"name": "adam", "lr": 0.01},
                         schedule={"name": "plateau", "patience": 1})
    regression = blobs(n=45, f=3, task="regression", test=15)
    for config, evaluate, first_batch in ((base, True, False), (plateau, False, False),
                                          (base, False, True)):
        dataset = regression if evaluate else DATA
        one_by_one, fused = Trainer(config, dataset=dataset), Trainer(config, dataset=dataset)
        for t in (one_by_one, fused):
            t.evaluate_epochs = evaluate
            t.dynamics.set_every(0)
            if first_batch:
                t.step_batch()
        for _ in range(6):
            one_by_one.step_epoch()
        calls = _fused_calls(fused, monkeypatch)
        fused.run_epochs(6)
        assert calls == ([5] if first_batch else [])  # the begun epoch is finished alone
        _assert_same(_state(one_by_one), _state(fused))


def test_many_epochs_are_split_into_bounded_calls(monkeypatch):
    """FUSED_ROWS bounds the orders one call holds: 45 rows, 100 rows a call -> 2 epochs."""
    config = _config("adam plain", (), "float32")
    one_by_one, fused = Trainer(config, dataset=DATA), Trainer(config, dataset=DATA)
    for t in (one_by_one, fused):
        t.dynamics.set_every(0)
        t.evaluate_epochs = False
    monkeypatch.setattr(Trainer, "FUSED_ROWS", 100)
    for _ in range(5):
        one_by_one.step_epoch()
    calls = _fused_calls(fused, monkeypatch)
    fused.run_epochs(5)
    assert calls == [2, 2]   # and the fifth alone
    _assert_same(_state(one_by_one), _state(fused))

"""The Qt-free live session: time-boxed training and immutable snapshots."""

from __future__ import annotations

import numpy as np

from conftest import blobs, trainer
from playground.engine.session import Session


def test_run_for_trains_about_the_budget():
    s = Session(trainer([{"type": "dense", "units": 8, "activation": "tanh"}], blobs(n=200)))
    s.run_for(0.05)  # compiles or loads the kernels
    steps = s.run_for(0.1)
    assert steps > 10
    assert s.trainer.steps >= steps


def test_run_for_ends_at_an_epochs_end_when_its_budget_reaches_it():
    """A budget longer than an epoch trains whole epochs (one kernel call), not a split one."""
    s = Session(trainer([{"type": "dense", "units": 8, "activation": "tanh"}], blobs(n=200),
                        batch_size=10))
    t = s.trainer
    s.run_for(0.05)                     # compiles or loads the kernels
    assert t.steps % t.batches_per_epoch == 0 and t.epoch >= 1
    assert s.run_for(1e-9) == 1         # a budget shorter than a step: one step, mid-epoch
    for seconds in (0.003, 0.02, 0.05):
        taken = s.run_for(seconds)
        assert taken > 1 and t.steps % t.batches_per_epoch == 0   # the split epoch finished
    assert s.run_for(0.05, max_steps=7) == 7   # a cap still splits an epoch


def test_snapshot_is_a_copy_with_curves_and_grid():
    s = Session(trainer([{"type": "dense", "units": 4, "activation": "relu"}], blobs(n=60, test=20)))
    s.trainer.run_epochs(30)   # fewer epochs than MAX_POINTS: every one is a curve point
    snap = s.snapshot(with_grid=True)
    assert snap.epoch == s.trainer.epoch and snap.epoch >= 1
    assert snap.curves["train_loss"].shape == (snap.epoch,)
    assert snap.last("test_loss") == s.trainer.history[-1]["test_loss"]
    xs, ys, out = snap.grid
    assert out.shape == (s.grid_resolution, s.grid_resolution, 2)
    before = snap.weights["0.weight"].copy()
    s.run_for(0.05)
    np.testing.assert_array_equal(snap.weights["0.weight"], before)  # not a view


def test_confusion_matrix_counts_the_test_split():
    s = Session(trainer([{"type": "dense", "units": 4, "activation": "relu"}],
                        blobs(n=60, k=3, test=30)))
    s.run_for(0.05)
    m = s.snapshot(with_grid=True).confusion
    assert m.shape == (3, 3) and m.sum() == 30
    predicted = s.trainer.predict(s.trainer.x_test).argmax(axis=1)
    assert np.trace(m) == int((predicted == s.trainer.dataset.y_test).sum())


def test_curves_stay_bounded_on_long_runs(monkeypatch):
    import playground.engine.session as session_mod
    monkeypatch.setattr(session_mod, "MAX_POINTS", 50)
    s = Session(trainer([{"type": "dense", "units": 2}], blobs(n=20)))
    for _ in range(8):
        s.trainer.run_epochs(40)
        snap = s.snapshot()
        epochs = snap.curves["epoch"]
        assert len(epochs) <= 51 + 1
        assert epochs[-1] == s.trainer.epoch            # the latest epoch is always shown
        assert np.all(np.diff(epochs) > 0)
    assert s.snapshot().curves["train_loss"][-1] == s.trainer.history[-1]["train_loss"]


def test_curves_follow_a_history_that_thins_itself(monkeypatch):
    import playground.engine.session as session_mod
    monkeypatch.setattr(session_mod, "MAX_POINTS", 40)
    t = trainer([{"type": "dense", "units": 2}], blobs(n=20))
    from playground.engine.history import History
    t.history = History(max_records=16)
    s = Session(t)
    for _ in range(30):
        t.run_epochs(7)
        epochs = s.snapshot().curves["epoch"]
        assert epochs[-1] == t.epoch and np.all(np.diff(epochs) > 0)
    assert len(t.history) <= 17


def test_regression_snapshots_carry_predicted_against_true():
    ds = blobs(n=50, f=3, task="regression", test=20)
    s = Session(trainer([{"type": "dense", "units": 4, "activation": "tanh"}], ds))
    s.run_for(0.05)
    true, predicted = s.snapshot(with_grid=True).predictions
    np.testing.assert_array_equal(true, ds.y_test[:, 0])
    np.testing.assert_allclose(predicted, s.trainer.predict(s.trainer.x_test)[:, 0])
    assert s.snapshot(with_grid=False).predictions is None
    assert Session(trainer(dataset=blobs(test=5))).snapshot(with_grid=True).predictions is None


def test_grid_covers_the_requested_bounds():
    s = Session(trainer(dataset=blobs()))
    s.grid_bounds = (-7.0, 3.0, -1.0, 9.0)
    xs, ys, _ = s.snapshot(with_grid=True).grid
    assert (xs[0], xs[-1], ys[0], ys[-1]) == (-7.0, 3.0, -1.0, 9.0)


def test_non_finite_weights_count_as_diverged_even_with_a_finite_loss():
    s = Session(trainer([{"type": "dense", "units": 3}], blobs()))
    s.trainer.step_epoch()
    assert not s.diverged and not s.snapshot().diverged
    s.trainer.model.params[0] = np.inf
    assert s.diverged and s.snapshot().diverged
    p = Session(trainer(dataset=blobs(), model_type="perceptron"))
    p.trainer.model.bias[0] = np.nan
    assert p.diverged

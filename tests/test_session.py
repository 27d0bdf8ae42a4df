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


def test_snapshot_is_a_copy_with_curves_and_grid():
    s = Session(trainer([{"type": "dense", "units": 4, "activation": "relu"}], blobs(n=60, test=20)))
    s.run_for(0.05)
    snap = s.snapshot(with_grid=True)
    assert snap.epoch == s.trainer.epoch and snap.epoch >= 1
    assert snap.curves["train_loss"].shape == (snap.epoch,)
    assert snap.last("test_loss") == s.trainer.history[-1]["test_loss"]
    xs, ys, out = snap.grid
    assert out.shape == (48, 48, 2)
    before = snap.weights["0.weight"].copy()
    s.run_for(0.05)
    np.testing.assert_array_equal(snap.weights["0.weight"], before)  # not a view

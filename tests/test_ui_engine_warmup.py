"""Trainable at once (issue #14): while the kernels compile, Step and Play train on the NumPy
engine and the status says so; when they are ready the worker moves the run to them between
two chunks and the run goes on where it was."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from conftest import blobs, trainer  # noqa: E402
from playground.data import tabular  # noqa: E402
from playground.engine import warmup  # noqa: E402
from playground.engine.trainer import Trainer  # noqa: E402
from playground.ui.worker import TrainingController  # noqa: E402
from ui_helpers import errors, make_window, settings  # noqa: E402, F401

LAYERS = [{"type": "dense", "units": 6, "activation": "tanh"}]


@pytest.fixture
def slow_warm_up(monkeypatch):
    """``warmup.warm_up`` that has not finished until the test sets the event it returns
    (the real kernels are not compiled by it)."""
    release = threading.Event()
    monkeypatch.setattr(warmup, "warm_up", lambda dtypes=("float32",): release.wait(120))
    monkeypatch.setattr(tabular, "preload", lambda: None)
    yield release
    release.set()
    for _ in range(100):     # the warm-up thread ends, so that no later test sees it
        if not warmup.compiling():
            break
        time.sleep(0.05)
    assert not warmup.compiling()


@pytest.fixture
def running(qtbot):
    started = []

    def start(t):
        started.append(TrainingController(t))
        return started[-1]

    yield start
    for controller in started:
        assert controller.shutdown()


def _snapshot(qtbot, controller, command, timeout=120000):
    """The snapshot that follows ``command()``."""
    with qtbot.waitSignal(controller.snapshot_ready, timeout=timeout) as blocker:
        command()
    return blocker.args[0]


def test_the_worker_trains_on_numpy_while_compiling_then_on_the_kernels(qtbot, running,
                                                                         monkeypatch):
    state = {"compiling": True}
    monkeypatch.setattr(warmup, "compiling", lambda: state["compiling"])
    t = trainer(LAYERS, blobs(n=60, test=20), batch_size=8, epochs=100,
                optimizer={"name": "adam", "lr": 0.01})
    twin = Trainer(t.config, dataset=t.dataset)
    controller = running(t)
    snap = _snapshot(qtbot, controller, controller.step_epoch)
    assert (snap.epoch, snap.engine) == (1, "numpy")
    snap = _snapshot(qtbot, controller, controller.step_batch)
    assert snap.engine == "numpy" and snap.steps == t.batches_per_epoch + 1
    state["compiling"] = False          # the warm-up ended: its signal reaches the worker
    snap = _snapshot(qtbot, controller, controller.engine_changed)
    assert snap.engine == "fused" and snap.steps == t.batches_per_epoch + 1
    snap = _snapshot(qtbot, controller, controller.step_epoch)
    assert (snap.epoch, snap.engine) == (2, "fused")
    # the run is the one a single backend trains: nothing lost or repeated at the switch
    twin.run_steps(2 * twin.batches_per_epoch)
    assert snap.steps == twin.steps
    for key, value in twin.state_dict().items():
        np.testing.assert_allclose(snap.weights[key], value, rtol=0, atol=1e-5, err_msg=key)


def test_a_new_run_while_compiling_starts_on_numpy_and_a_numpy_run_stays_numpy(
        qtbot, running, monkeypatch):
    state = {"compiling": False}
    monkeypatch.setattr(warmup, "compiling", lambda: state["compiling"])
    t = trainer(LAYERS, blobs(n=40))
    controller = running(t)
    state["compiling"] = True
    fresh = trainer(LAYERS, blobs(n=40))
    snap = _snapshot(qtbot, controller, lambda: controller.replace_trainer(fresh))
    assert snap.engine == "numpy" and snap.run_id == fresh.run_id
    state["compiling"] = False
    assert _snapshot(qtbot, controller, controller.step_batch).engine == "fused"
    chosen = Trainer(fresh.config, dataset=fresh.dataset, backend="numpy")
    _snapshot(qtbot, controller, lambda: controller.replace_trainer(chosen))
    state["compiling"] = True
    assert _snapshot(qtbot, controller, controller.step_batch).engine == "numpy"
    state["compiling"] = False
    # the worker moves back only what it moved: a run built for NumPy stays on it
    assert _snapshot(qtbot, controller, controller.engine_changed).engine == "numpy"


def test_step_advances_the_epoch_on_numpy_before_the_kernels_are_ready(qtbot, make_window,
                                                                      slow_warm_up):
    w = make_window()
    snaps = []
    w.controller.snapshot_ready.connect(snaps.append)
    w.prepare_engine()
    assert warmup.compiling()
    assert w.engine_label.isVisible() and w.engine_busy.isVisible()
    assert "training on NumPy" in w.engine_label.text()
    assert w.engine_label.accessibleName() == "Engine status"
    assert w.engine_busy.accessibleName() == "Compiling the fast kernels"
    w.step_epoch_action.trigger()
    qtbot.waitUntil(lambda: w.epoch_label.text() == "Epoch 1", timeout=10000)
    last = snaps[-1]
    assert last.epoch == 1 and last.engine == "numpy"
    assert w.engine_label.isVisible() and not w.engine_ready_state  # still compiling
    slow_warm_up.set()                  # the kernels are ready
    qtbot.waitUntil(lambda: w.engine_ready_state, timeout=10000)
    assert not w.engine_label.isVisible() and not w.engine_busy.isVisible()
    qtbot.waitUntil(lambda: snaps[-1].engine == "fused", timeout=120000)
    assert snaps[-1].epoch == 1         # moved between two steps, nothing trained
    w.step_epoch_action.trigger()       # compiles here if no earlier test did
    qtbot.waitUntil(lambda: w.epoch_label.text() == "Epoch 2", timeout=120000)
    last = snaps[-1]
    assert last.engine == "fused" and last.steps == 2 * w.trainer.batches_per_epoch
    twin = Trainer(w.trainer.config, dataset=w.trainer.dataset)
    twin.run_epochs(2)
    for key, value in twin.state_dict().items():
        np.testing.assert_allclose(last.weights[key], value, rtol=0, atol=1e-5, err_msg=key)

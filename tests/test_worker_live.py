"""The worker on its own thread, with a live pyqtgraph plot for a few seconds.

PySide6-Essentials 6.12.0 with pyqtgraph 0.14.0 aborts the interpreter (none_dealloc) within
seconds of live plotting; this test keeps such a break from landing unnoticed.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pg = pytest.importorskip("pyqtgraph")

from conftest import blobs, trainer  # noqa: E402
from playground.ui.worker import DIVERGED_MESSAGE, TrainingController  # noqa: E402


@pytest.fixture
def running(qtbot):
    """A controller (and its worker thread) for a trainer; shut down at the end."""
    started = []

    def start(t):
        controller = TrainingController(t)
        started.append(controller)
        return controller

    yield start
    for controller in started:
        assert controller.shutdown()


def test_live_plotting_for_a_few_seconds(qtbot, running):
    # the kernels a live run calls, compiled (or loaded) first, as the app's warm-up does
    # before its worker uses them: on a cold cache the dynamics kernels compiled on the
    # worker at the first recorded epoch, seconds into the counting
    from playground.engine.warmup import compile_kernels
    compile_kernels(("float32",))
    t = trainer([{"type": "dense", "units": 8, "activation": "tanh"}] * 3, blobs(n=200, test=50),
                epochs=10**6)
    worker = running(t)
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(400, 300)
    plot.show()
    curve = plot.plot(pen="y")
    image = pg.ImageItem()
    plot.addItem(image)
    received = []

    def draw(snap):
        received.append(snap)
        curve.setData(snap.curves["epoch"], snap.curves["train_loss"])
        if snap.grid is not None:
            image.setImage(snap.grid[2][:, :, 1], levels=(0, 1))

    worker.snapshot_ready.connect(draw)
    with qtbot.waitSignal(worker.playing_changed, timeout=5000):
        worker.play()  # queued to the worker's thread
    # count from the first snapshot on
    qtbot.waitUntil(lambda: len(received) > 0, timeout=120_000)
    first = len(received)
    qtbot.wait(3000)
    with qtbot.waitSignal(worker.playing_changed, timeout=5000):
        worker.pause()
    qtbot.wait(100)
    streamed = len(received) - first
    assert streamed >= 20, "snapshots should stream while playing"
    assert streamed <= 3 * 35 + 5, "snapshots are throttled to ~30 a second"
    last = received[-1]
    assert last.epoch > 5 and last.steps_per_second > 0
    x, y = curve.getData()
    assert x is not None and x[-1] == last.epoch      # downsampled, but always up to date
    assert len(x) <= 2001
    assert any(s.grid is not None for s in received)


def test_steps_and_divergence(qtbot, running):
    t = trainer([{"type": "dense", "units": 4, "activation": "relu"}], blobs(task="regression"),
                optimizer={"name": "sgd", "lr": 1e9})
    good = t.state_dict()
    worker = running(t)
    with qtbot.waitSignal(worker.failed, timeout=10000) as failure:
        worker.step_epoch()
    assert failure.args[0] == DIVERGED_MESSAGE
    qtbot.wait(100)
    for key, value in t.state_dict().items():
        assert np.isfinite(value).all(), key  # the last good weights are back
    assert set(t.state_dict()) == set(good)


def test_after_a_divergence_a_lower_learning_rate_trains_on(qtbot, running):
    t = trainer([{"type": "dense", "units": 4, "activation": "relu"}], blobs(task="regression"),
                optimizer={"name": "sgd", "lr": 1e9, "momentum": 0.9})
    worker = running(t)
    with qtbot.waitSignal(worker.failed, timeout=10000):
        worker.step_epoch()
    failures = []
    worker.failed.connect(failures.append)
    train = t.config.train
    options = {**dict(train.optimizer.options), "lr": 1e-3}
    calmer = dataclasses.replace(train, optimizer=dataclasses.replace(
        train.optimizer, options=tuple(options.items())))
    worker.update_train(calmer)
    got = []
    worker.snapshot_ready.connect(got.append)
    worker.step_epoch()
    worker.step_epoch()
    qtbot.waitUntil(lambda: any(s.epoch == 3 for s in got), timeout=10000)
    assert not failures
    last = next(s for s in got if s.epoch == 3)
    assert not last.diverged and np.isfinite(last.last("batch_loss"))
    assert all(np.isfinite(v).all() for v in last.weights.values())


def test_an_exception_pauses_and_is_reported(qtbot, running):
    t = trainer([{"type": "dense", "units": 3}])
    worker = running(t)

    def broken():
        raise RuntimeError("boom")

    t.step_epoch = broken
    with qtbot.waitSignal(worker.failed, timeout=5000) as failure:
        worker.step_epoch()
    assert "boom" in failure.args[0]
    with qtbot.waitSignal(worker.snapshot_ready, timeout=5000) as blocker:
        worker.step_batch()  # the worker is still alive and answers
    assert blocker.args[0].steps == 1


def test_play_stops_at_the_configured_epochs(qtbot, running):
    worker = running(trainer([{"type": "dense", "units": 3}], epochs=7))
    states = []
    worker.playing_changed.connect(states.append)  # connected before anything can happen
    worker.play()
    qtbot.waitUntil(lambda: states == [True, False], timeout=20000)
    with qtbot.waitSignal(worker.snapshot_ready, timeout=5000) as blocker:
        worker.step_batch()
    assert blocker.args[0].epoch == 7  # stepping by hand still works past the end

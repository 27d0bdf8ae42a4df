"""Setting a weight by hand: ``Trainer.set_value`` (cast, refusals), the snapshot that follows
(its evaluation, its gradients), and the network diagram's editor end to end through the
worker, with undo. An edited weight must change the predictions exactly as the engine's own
forward pass does with that weight, on a copy of the run whose weight is set directly."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from conftest import blobs, run_config, trainer
from playground.engine.session import Session
from playground.engine.trainer import Trainer
from playground.errors import PlaygroundError

STACK = [{"type": "dense", "units": 5, "activation": "tanh"}, {"type": "batchnorm"},
         {"type": "dense", "units": 3, "activation": "relu"}]


def circle(dtype="float32", layers=STACK):
    return run_config(layers, source="circle", data={"samples": 120}, batch_size=10,
                      dtype=dtype)


# --- the engine --------------------------------------------------------------------------

def test_set_value_sets_one_entry_cast_to_the_runs_dtype_and_returns_the_old():
    t = Trainer(circle("float32"))
    before = t.state_dict()
    old = t.set_value("0.weight", (2, 1), 0.1)
    assert old == float(before["0.weight"][2, 1])
    after = t.state_dict()
    assert after["0.weight"][2, 1] == np.float32(0.1) and after["0.weight"].dtype == np.float32
    after["0.weight"][2, 1] = before["0.weight"][2, 1]
    for key in before:                                     # nothing else moved
        np.testing.assert_array_equal(after[key], before[key])
    assert t.set_value("5.bias", [0], -2) == 0.0           # a list index, an int value
    assert t.state_dict()["5.bias"][0] == -2.0
    assert t.edits == 2 and t.steps == 0


@pytest.mark.parametrize("key, index, value, words", [
    ("0.weight", (0, 0), math.nan, "finite"),
    ("0.weight", (0, 0), math.inf, "finite"),
    ("0.weight", (0, 0), 1e39, "finite"),                 # inf once cast to float32
    ("0.weight", (0, 0), "abc", "number"),
    ("9.weight", (0, 0), 1.0, "no tensor"),
    ("0.weight", (5, 0), 1.0, "outside"),
    ("0.weight", (0,), 1.0, "outside"),
    ("2.num_batches_tracked", (), 1.0, "counter"),
])
def test_set_value_refuses_and_changes_nothing(key, index, value, words):
    t = Trainer(circle("float32"))
    before = t.state_dict()
    with pytest.raises(PlaygroundError, match=words):
        t.set_value(key, index, value)
    for k, v in t.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    assert t.edits == 0


def test_set_value_on_a_perceptron():
    t = Trainer(run_config(model_type="perceptron", source="gauss"))
    assert t.set_value("0.weight", (0, 1), 0.75) == 0.0
    assert t.set_value("0.bias", (0,), -0.5) == 0.0
    assert t.state_dict()["0.weight"][0, 1] == 0.75 and t.model.bias[0] == -0.5


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_an_edited_weight_predicts_as_the_engines_forward_with_that_weight(dtype):
    t = Trainer(circle(dtype))
    t.run_steps(37)
    s = Session(t)
    s.snapshot(with_grid=True)
    copy = Trainer(circle(dtype))      # the same run (batchnorm statistics too), set directly
    state = t.state_dict()
    old = float(state["3.weight"][1, 4])
    state["3.weight"][1, 4] = 2.5
    copy.load_state_dict(state)
    assert t.set_value("3.weight", (1, 4), 2.5) == old
    snap = s.snapshot(with_grid=True)
    us, vs, out = copy.predict_grid(s.grid_resolution, s.grid_plane)
    np.testing.assert_array_equal(snap.grid[2], out)
    np.testing.assert_array_equal(t.predict(t.x_test), copy.predict(copy.x_test))
    assert snap.evaluation == copy.evaluate() and snap.steps == 37
    for mine, theirs in zip(snap.units, copy.unit_grids(s.unit_grid_size(), s.grid_plane)[3]):
        np.testing.assert_array_equal(mine, np.asarray(theirs, np.float32))
    assert s.snapshot().evaluation is None                 # only once after an edit


def test_gradients_come_with_the_snapshot_copied_and_keyed_like_the_weights():
    t = Trainer(circle("float64"))
    s = Session(t)
    assert s.snapshot().grads is None                      # no step yet
    t.run_steps(3)
    snap = s.snapshot()
    trainable = {k for k in t.state_dict() if "running" not in k and "num_batches" not in k}
    assert set(snap.grads) == trainable
    for key, g in snap.grads.items():
        assert g.shape == snap.weights[key].shape
    flat = np.concatenate([snap.grads[k].ravel() for k in t.model.param_slices])
    np.testing.assert_array_equal(flat, t.model.grads)
    t.run_steps(1)
    assert not np.array_equal(flat, t.model.grads)        # a copy, not a view
    # the gradient of the last step, as the numpy reference computes it
    ref = Trainer(circle("float64"), backend="numpy")
    ref.run_steps(4)
    for key, g in s.snapshot().grads.items():
        np.testing.assert_allclose(g, ref.gradients()[key], rtol=1e-9, atol=1e-12)
    t.load_state_dict(t.state_dict())
    assert t.gradients() is None                           # of other weights: not shown
    p = Trainer(run_config(model_type="perceptron", source="gauss"))
    p.run_steps(5)
    assert p.gradients() is None


def test_copying_the_gradients_costs_about_what_copying_the_weights_does():
    t = trainer([{"type": "dense", "units": 256, "activation": "relu"},
                 {"type": "dense", "units": 128, "activation": "relu"}],
                dataset=blobs(n=64, f=784, k=10), batch_size=32)
    t.run_steps(2)

    def best(f, n=20):
        times = []
        for _ in range(n):
            start = time.perf_counter()
            f()
            times.append(time.perf_counter() - start)
        return min(times)
    grads, weights = best(t.gradients), best(t.state_dict)
    print(f"784-256-128-10: gradients {grads * 1e6:.0f} us, state_dict {weights * 1e6:.0f} us")
    assert grads < max(3 * weights, 2e-3)


# --- the diagram, through the worker -------------------------------------------------------

pytest.importorskip("pytestqt")


@pytest.fixture
def live(qtbot):
    """A diagram wired to a real worker as the window wires it."""
    from PySide6.QtCore import QCoreApplication

    from playground.run_info import RunInfo
    from playground.ui.config_model import ConfigModel
    from playground.ui.network_diagram import NetworkDiagram
    from playground.ui.worker import TrainingController

    cfg = circle("float32", [{"type": "dense", "units": 4, "activation": "tanh"}])
    t = Trainer(cfg)
    t.run_steps(20)
    controller = TrainingController(t)
    model = ConfigModel(cfg)
    snaps = []

    def edit_weight(key, index, value, on_done):
        controller.call(lambda trainer: trainer.set_value(key, index, value), on_done)
    d = NetworkDiagram(model, edit_weight)
    qtbot.addWidget(d)
    d.resize(900, 560)
    d.show()
    d.set_run(RunInfo.of(t))
    controller.snapshot_ready.connect(d.show_snapshot)
    controller.snapshot_ready.connect(snaps.append)
    controller.pause()                                     # a first snapshot, paused
    qtbot.waitUntil(lambda: bool(snaps) and snaps[-1].grid is not None, timeout=30000)
    d.set_playing(False)
    yield d, controller, snaps, cfg
    controller.shutdown()
    QCoreApplication.processEvents()


def _next(qtbot, snaps, until):
    n = len(snaps)
    qtbot.waitUntil(lambda: any(until(s) for s in snaps[n:]), timeout=30000)
    return next(s for s in snaps[n:] if until(s))


def test_editing_an_edge_predicts_as_the_engine_and_undo_restores_it(qtbot, live):
    from PySide6.QtCore import Qt

    from diagram_rig import click, free_edge
    d, controller, snaps, cfg = live
    first = snaps[-1]
    edge = free_edge(d, "0.weight")
    n = len(snaps)
    click(qtbot, d, edge)
    assert d.editor.isVisible()
    assert float(d.editor.text()) == pytest.approx(float(first.weights[edge.key][edge.index]))
    d.editor.setText("1.75")
    qtbot.keyClick(d.editor, Qt.Key_Return)
    assert not d.editor.isVisible()
    edited = _next(qtbot, snaps, lambda s: s.evaluation is not None)
    assert len(snaps) > n and edited.steps == first.steps   # no training step
    assert edited.weights[edge.key][edge.index] == np.float32(1.75)
    copy = Trainer(cfg)
    state = {k: v.copy() for k, v in first.weights.items()}
    state[edge.key][edge.index] = 1.75
    copy.load_state_dict(state)
    np.testing.assert_array_equal(edited.grid[2], copy.predict_grid(96, (0, 1))[2])
    assert edited.evaluation == copy.evaluate()
    assert d.undo_stack.count() == 1 and d.undo_stack.canUndo()
    # the diagram shows it: the card reads the new value
    from diagram_rig import hover
    hover(qtbot, d, edge)
    assert d.card.lines[0] == "Weight is 1.75"
    # Ctrl+Z in the diagram takes it back
    d.setFocus()
    qtbot.keyClick(d, Qt.Key_Z, Qt.ControlModifier)
    undone = _next(qtbot, snaps, lambda s: s.evaluation is not None)
    assert undone.weights[edge.key][edge.index] == first.weights[edge.key][edge.index]
    np.testing.assert_array_equal(undone.grid[2], first.grid[2])
    d.undo_stack.redo()
    redone = _next(qtbot, snaps, lambda s: s.evaluation is not None)
    assert redone.weights[edge.key][edge.index] == np.float32(1.75)


def test_a_bias_edit_and_refusals(qtbot, live):
    from PySide6.QtCore import Qt

    from diagram_rig import click
    d, controller, snaps, cfg = live
    bias = next(b for b in d.items_of("bias") if b.key == "2.bias")   # the output's
    click(qtbot, d, bias)
    assert d.editor.isVisible()
    d.editor.setText("not a number")
    qtbot.keyClick(d.editor, Qt.Key_Return)
    assert d.editor.isVisible() and "not a number" in d.message.text()
    d.editor.setText("1e39")                                # overflows float32
    qtbot.keyClick(d.editor, Qt.Key_Return)
    assert "finite float32" in d.message.text() and d.undo_stack.count() == 0
    d.editor.setText("-0.25")
    qtbot.keyClick(d.editor, Qt.Key_Return)
    edited = _next(qtbot, snaps, lambda s: s.evaluation is not None)
    assert edited.weights["2.bias"][0] == np.float32(-0.25)
    assert not d.message.isVisible()


def test_while_playing_a_click_asks_for_a_pause(qtbot, live):
    from diagram_rig import click, free_edge
    d, controller, snaps, cfg = live
    d.set_playing(True)
    click(qtbot, d, free_edge(d))
    assert not d.editor.isVisible()
    assert "Pause" in d.message.text()
    assert d.undo_stack.count() == 0

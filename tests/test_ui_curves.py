"""The curves as a user reads them: ticks that never overlap, ranges from 0 (or whole
decades), an empty frame for a new run, the epoch in progress, a perceptron's error rate.
Everything is read off the real widgets: ranges, the axes' drawn labels, legend and readout."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pg = pytest.importorskip("pyqtgraph")

from PySide6.QtCore import QPointF  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402

from conftest import run_config  # noqa: E402
from playground.engine.session import CURVE_KEYS, Session, Snapshot  # noqa: E402
from playground.engine.trainer import Trainer  # noqa: E402
from playground.run_info import RunInfo  # noqa: E402
from playground.ui import plot_style as ps  # noqa: E402
from playground.ui.loss_plot import LossPlot  # noqa: E402
from playground.ui.lr_plot import LearningRatePlot  # noqa: E402
from test_ui_plots import dataset, snapshot  # noqa: E402


def loss_snapshot(losses, test=None) -> Snapshot:
    """Epochs 1..n with these train losses (test: these, or none)."""
    n = len(losses)
    curves = {key: np.full(n, math.nan) for key in CURVE_KEYS}
    curves["epoch"] = np.arange(1, n + 1, dtype=np.float64)
    curves["lr"] = np.full(n, 0.1)
    curves["train_loss"] = np.asarray(losses, np.float64)
    curves["batch_loss"] = np.asarray(losses, np.float64)
    if test is not None:
        curves["test_loss"] = np.asarray(test, np.float64)
    return Snapshot(epoch=n, steps=n, lr=0.1, steps_per_second=0.0, curves=curves, weights={})


def run(ds=None, epochs=0, quantity="loss"):
    """What ``set_run`` reads of a RunInfo."""
    return SimpleNamespace(dataset=ds or dataset(), quantity=quantity,
                           config=SimpleNamespace(train=SimpleNamespace(epochs=epochs)))


def drawn_labels(axis) -> list[tuple[object, str]]:
    """The (rect in scene coordinates, text) of every tick label the axis draws now."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    assert specs is not None, "the axis has no size yet"
    return [(axis.mapRectToScene(rect), text) for rect, _flags, text in specs[2] if text]


def assert_apart(labels) -> None:
    rects = [r for r, _t in labels]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert not a.intersects(b), [t for _r, t in labels]


@pytest.fixture
def shown(qtbot):
    def build(cls, size=(520, 420)):
        w = cls()
        qtbot.addWidget(w)
        w.resize(*size)
        w.show()
        qtbot.waitExposed(w)
        return w
    return build


def settle(qtbot, w, size=None):
    if size is not None:
        w.resize(*size)
    qtbot.wait(30)  # the layout gives the axes their new length


# --- log axis ------------------------------------------------------------------------------

DECADES = {ps.log_label(float(d)) for d in range(-30, 10)}
ONE_TWO_FIVE = {ps.log_label(d + math.log10(m)) for d in range(-30, 10) for m in (1, 2, 5)}


@pytest.mark.parametrize("height", [200, 300, 520, 900])
@pytest.mark.parametrize("lo, hi", [(0.64, 0.72), (0.05, 0.7), (3e-7, 2.0), (1e-15, 40.0)])
def test_log_labels_are_decades_or_one_two_five_and_never_overlap(shown, qtbot, height, lo, hi):
    w = shown(LossPlot)
    w.set_dataset(dataset())
    w.log_check.setChecked(True)
    w.show_snapshot(loss_snapshot(np.geomspace(hi, lo, 30)))
    settle(qtbot, w, (520, height))
    axis = w.plot.getAxis("left")
    d0, d1 = w._y_range.range
    # whole decades covering the data
    assert (d0, d1) == (math.floor(math.log10(lo)), math.ceil(math.log10(hi)))
    labels = drawn_labels(axis)
    texts = [t for _r, t in labels]
    assert len(texts) >= 2, texts
    assert_apart(labels)
    if d1 - d0 < ps.FEW_DECADES:
        assert set(texts) <= ONE_TWO_FIVE
        if height >= 300:
            assert {"0.2", "0.5"} <= set(texts), texts   # 1-2-5 within one decade
    else:
        assert set(texts) <= DECADES, texts                 # no minor labels
    if d1 - d0 <= 3 and height >= 300:
        assert len(texts) == d1 - d0 + 1 or d1 - d0 < ps.FEW_DECADES  # every decade


def test_log_ticks_thin_out_to_fit():
    # 13 decades on 150 px: every decade would be 11.5 px apart, under a 17 px label gap
    levels = ps.log_ticks(-12.0, 1.0, 150.0, 17.0)
    labelled = levels[0][1]
    assert np.min(np.diff(labelled)) * 150 / 13 >= 17
    assert all(float(v).is_integer() for v in labelled) and len(labelled) >= 2
    # one decade on 300 px: 1, 2, 5 of it, and the other mantissas as unlabelled ticks
    labelled, minor = (v for _s, v in ps.log_ticks(-1.0, 0.0, 300.0, 17.0))
    assert [ps.log_label(v) for v in labelled] == ["0.1", "0.2", "0.5", "1"]
    assert len(minor) == 6
    assert ps.log_label(-4.0) == "10⁻⁴" and ps.log_label(math.log10(2e-5)) == "2·10⁻⁵"
    assert ps.log_label(math.log10(0.002)) == "0.002" and ps.log_label(3.0) == "1000"


# --- linear axis ---------------------------------------------------------------------------

def test_a_small_rise_looks_small_the_axis_starts_at_zero(shown, qtbot):
    w = shown(LossPlot)
    w.set_dataset(dataset())
    w.show_snapshot(loss_snapshot(np.linspace(0.64, 0.72, 20)))
    assert w._y_range.range == (0.0, 1.0)             # not 0.63 .. 0.73
    lo, hi = w.plot.vb.viewRange()[1]
    assert lo <= 0.0 and hi >= 1.0 and hi - lo < 1.1
    w.show_snapshot(loss_snapshot(np.linspace(2.3, 1.4, 20)))
    assert w._y_range.range == (0.0, 5.0)             # the 1-2-5 ceiling over 1.25 x 2.3


@pytest.mark.parametrize("scale", [1e-4, 1e-7, 1e3])
def test_linear_labels_carry_no_si_scale_and_stay_apart(shown, qtbot, scale):
    w = shown(LossPlot)
    w.set_dataset(dataset())
    w.show_snapshot(loss_snapshot(scale * np.linspace(3.0, 1.0, 20)))
    for height in (200, 500):
        settle(qtbot, w, (520, height))
        axis = w.plot.getAxis("left")
        assert axis.autoSIPrefixScale == 1.0 and "x1e" not in axis.labelString()
        assert axis.labelText == "loss"
        labels = drawn_labels(axis)
        assert len(labels) >= 2
        assert_apart(labels)
        assert labels[-1][1] != labels[0][1]
    lr = shown(LearningRatePlot)
    lr.show_snapshot(snapshot(6, lr=scale))
    axis = lr.plot.getAxis("left")
    assert axis.autoSIPrefixScale == 1.0 and "x1e" not in axis.labelString()


# --- the empty frame and a new run ---------------------------------------------------------

def test_an_empty_plot_is_a_frame_of_epochs_and_loss(shown, qtbot):
    w = shown(LossPlot)
    w.set_run(run(dataset("regression")))
    assert w.plot.vb.viewRange()[0] == pytest.approx([0.0, 10.0])
    assert w._y_range.range == (0.0, 1.0)
    assert w.acc_plot.getAxis("bottom").labelText == "epoch"   # under R², which it shares
    assert w.acc_plot.getAxis("left").labelText == "R²"
    assert w.plot.getAxis("left").labelText == "loss"
    settle(qtbot, w)
    x_labels = [t for _r, t in drawn_labels(w.plot.getAxis("bottom"))]
    assert "0" in x_labels and "10" in x_labels
    y_labels = [t for _r, t in drawn_labels(w.plot.getAxis("left"))]
    assert y_labels[0] in ("0", "0.0") and "1.0" in y_labels
    w.set_run(run(dataset(), epochs=4))                # a shorter run: its own length
    assert w.plot.vb.viewRange()[0] == pytest.approx([0.0, 4.0])
    lr = shown(LearningRatePlot)
    lr.set_run(run(epochs=0))
    assert lr.plot.vb.viewRange()[0] == pytest.approx([0.0, 10.0])
    assert lr._y_range.range == (0.0, 1.0)


@pytest.mark.parametrize("log", [False, True])
def test_a_new_run_forgets_the_old_ranges(shown, log):
    w = shown(LossPlot)
    w.set_run(run())
    w.log_check.setChecked(log)
    w.show_snapshot(loss_snapshot(np.geomspace(30.0, 1e-4, 140)))
    assert w.plot.vb.viewRange()[0][1] >= 140
    trained = w._y_range.range
    w.set_run(run())                                   # Reset
    assert w.plot.vb.viewRange()[0] == pytest.approx([0.0, 10.0])
    assert w._y_range.range == ((-1.0, 0.0) if log else (0.0, 1.0)) != trained
    lr = shown(LearningRatePlot)
    lr.set_run(run())
    lr.show_snapshot(snapshot(140, lr=5.0))
    lr.set_run(run())
    assert lr.plot.vb.viewRange()[0] == pytest.approx([0.0, 10.0])
    assert lr._y_range.range == (0.0, 1.0)


@pytest.mark.parametrize("width, epochs", [(420, 7), (520, 37), (900, 640)])
def test_loss_and_accuracy_tick_the_same_epochs(shown, qtbot, width, epochs):
    w = shown(LossPlot)
    w.set_dataset(dataset())
    w.show_snapshot(snapshot(epochs))
    settle(qtbot, w, (width, 420))
    top, bottom = (drawn_labels(p.getAxis("bottom")) for p in (w.plot, w.acc_plot))
    assert [t for _r, t in top] == [t for _r, t in bottom] and len(top) >= 3
    for (a, _t), (b, _u) in zip(top, bottom):        # at the same places across
        assert a.center().x() == pytest.approx(b.center().x(), abs=1.0)


# --- what is drawn early -------------------------------------------------------------------

def test_a_lone_point_is_drawn_as_a_dot(shown):
    w = shown(LossPlot)
    w.set_dataset(dataset())
    w.show_snapshot(snapshot(1))
    for curve in (w.train_curve, w.acc_train_curve, w.acc_test_curve):
        assert len(curve.getData()[0]) == 1 and curve.opts["symbol"] == "o"
        assert curve.scatter.isVisible() and len(curve.scatter.data) == 1
    w.show_snapshot(snapshot(2))
    assert w.train_curve.opts["symbol"] is None       # a line from two points on
    lr = shown(LearningRatePlot)
    lr.show_snapshot(snapshot(1))
    assert lr.curve.opts["symbol"] == "o"


def test_a_step_batch_shows_the_epoch_in_progress(shown):
    trainer = Trainer(run_config([{"type": "dense", "units": 4}], source="circle",
                                 batch_size=10))
    session = Session(trainer, grid_resolution=8)
    assert session.snapshot().partial is None
    losses = [trainer.step_batch() for _ in range(3)]
    snap = session.snapshot()
    bpe = trainer.batches_per_epoch
    assert snap.partial == pytest.approx((3 / bpe, np.mean(losses)))
    w = shown(LossPlot)
    w.set_run(RunInfo.of(trainer))
    w.show_snapshot(snap)
    x, y = w.partial_marker.getData()
    assert list(x) == pytest.approx([3 / bpe]) and list(y) == pytest.approx([np.mean(losses)])
    assert w.legend.getLabel(w.train_curve).text == "train loss"   # not "batch loss"
    vb = w.plot.vb
    w.on_mouse_moved((vb.mapViewToScene(QPointF(3 / bpe, 0.5)),))
    assert "(in progress)" in w.readout.text() and "batch loss so far" in w.readout.text()
    trainer.step_epoch()                                # the epoch ends: no point in progress
    snap = session.snapshot()
    assert snap.partial is None and snap.curves["epoch"].size == 1
    w.show_snapshot(snap)
    assert len(w.partial_marker.getData()[0] if w.partial_marker.getData()[0] is not None
               else []) == 0
    assert len(w.train_curve.getData()[0]) == 1       # epoch 1: one dot
    trainer.step_batch()
    w.log_check.setChecked(True)                        # log mode: still drawn
    w.show_snapshot(session.snapshot())
    assert w.partial_marker.getData()[0][0] == pytest.approx(1 + 1 / bpe)


# --- a perceptron's curves -----------------------------------------------------------------

def test_a_perceptrons_curves_say_error_rate(shown):
    trainer = Trainer(run_config(model_type="perceptron", source="gauss",
                                 data={"test_fraction": 0.2}))
    session = Session(trainer, grid_resolution=8)
    w = shown(LossPlot)
    w.set_run(RunInfo.of(trainer))
    assert w.plot.getAxis("left").labelText == "error rate"
    assert w.legend.getLabel(w.train_curve).text == "train error rate"
    assert w.legend.getLabel(w.test_curve).text == "test error rate"
    trainer.run_epochs(3)
    trainer.step_batch()
    w.show_snapshot(session.snapshot())
    vb = w.plot.vb
    w.on_mouse_moved((vb.mapViewToScene(QPointF(2.0, 0.1)),))
    text = w.readout.text()
    assert "train error rate" in text and "test error rate" in text and "loss" not in text
    w.on_mouse_moved((vb.mapViewToScene(QPointF(3.0 + 0.5 / trainer.batches_per_epoch,
                                                0.1)),))
    assert "batch error rate so far" in w.readout.text()
    w.set_run(run())                                   # back to an MLP: loss again
    assert w.legend.getLabel(w.train_curve).text == "train loss"
    assert w.legend.getLabel(w.test_curve).text == "test loss"


def test_curves_behind_another_tab_wait_and_show_the_latest_when_brought_forward(qtbot):
    from PySide6.QtWidgets import QLabel, QTabWidget
    tabs = QTabWidget()
    loss, rate = LossPlot(), LearningRatePlot()
    tabs.addTab(loss, "Curves")
    tabs.addTab(rate, "Learning rate")
    tabs.addTab(QLabel("other"), "Other")
    qtbot.addWidget(tabs)
    tabs.show()
    qtbot.waitExposed(tabs)
    trainer = Trainer(run_config([{"type": "dense", "units": 3}], epochs=20))
    session = Session(trainer)
    run = RunInfo.of(trainer)
    loss.set_run(run)
    rate.set_run(run)
    tabs.setCurrentIndex(2)                      # both plots hidden behind "Other"
    trainer.run_epochs(3)
    loss.show_snapshot(session.snapshot())
    trainer.run_epochs(4)
    snap = session.snapshot()
    rate.show_snapshot(snap)
    loss.show_snapshot(snap)
    assert len(loss.train_curve.xData if loss.train_curve.xData is not None else []) == 0
    assert len(rate.curve.xData if rate.curve.xData is not None else []) == 0
    tabs.setCurrentIndex(0)                      # shown: the latest snapshot, epochs 1..7
    assert list(loss.train_curve.xData) == list(range(1, 8))
    tabs.setCurrentIndex(1)
    assert list(rate.curve.xData) == list(range(1, 8))
    # a new run forgets what the old one left unseen
    tabs.setCurrentIndex(2)
    loss.show_snapshot(snap)
    loss.set_run(run)
    tabs.setCurrentIndex(0)
    assert len(loss.train_curve.xData if loss.train_curve.xData is not None else []) == 0

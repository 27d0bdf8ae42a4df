"""The live plots: items created once, fed synthetic snapshots, data checked on the items."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pg = pytest.importorskip("pyqtgraph")

from PySide6.QtCore import QPointF  # noqa: E402
from PySide6.QtGui import QColor  # noqa: E402

from playground.data.dataset import Dataset  # noqa: E402
from playground.engine.session import CURVE_KEYS, Snapshot  # noqa: E402
from playground.ui.decision_plot import DecisionRegionPlot  # noqa: E402
from playground.ui.loss_plot import BATCH_LABEL, TRAIN_LABEL, LossPlot  # noqa: E402
from playground.ui import plot_style as ps  # noqa: E402
from playground.ui.lr_plot import LearningRatePlot  # noqa: E402


def dataset(task="classification", k=2, f=2, n=30, test=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n + test, f))
    if task == "classification":
        y = np.arange(n + test) % k
    else:
        y = np.linspace(-2.0, 3.0, n + test)  # training targets span [-2, ~2.6]
    return Dataset.from_arrays(x[:n], y[:n], x[n:] if test else None, y[n:] if test else None,
                               task=task)


def snapshot(epochs=5, grid=None, no_train_loss=False, lr=0.1):
    e = np.arange(1, epochs + 1, dtype=np.float64)
    curves = {key: np.full(epochs, math.nan) for key in CURVE_KEYS}
    curves["epoch"] = e
    curves["lr"] = lr / e
    curves["batch_loss"] = 2.0 / e
    if not no_train_loss:
        curves["train_loss"] = 1.0 / e
    curves["test_loss"] = 1.5 / e
    curves["test_loss"][0] = math.nan  # a missing value is skipped, not drawn
    curves["train_accuracy"] = 1 - 0.5 / e
    curves["test_accuracy"] = 1 - 0.6 / e
    return Snapshot(epoch=epochs, steps=10 * epochs, lr=float(curves["lr"][-1]),
                    steps_per_second=100.0, curves=curves, weights={}, grid=grid)


def grid(k=2, r=12, regression=False):
    """outputs[j, i] at (xs[i], ys[j]): positive class where x > 0 (binary)."""
    xs, ys = np.linspace(-3, 3, r), np.linspace(-2, 2, r)
    gx, gy = np.meshgrid(xs, ys)
    if regression:
        return xs, ys, (gx + gy)[..., None]
    if k == 2:
        p = 1 / (1 + np.exp(-3 * gx))
        return xs, ys, np.stack([1 - p, p], axis=-1)
    logits = np.stack([gx * c for c in range(k)], axis=-1) + gy[..., None]
    z = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return xs, ys, z / z.sum(axis=-1, keepdims=True)


@pytest.fixture
def make(qtbot):
    def build(cls, ds=None):
        w = cls()
        qtbot.addWidget(w)
        w.resize(500, 400)
        if ds is not None:
            w.set_dataset(ds)
        return w
    return build


# --- LossPlot ------------------------------------------------------------------------------

def test_loss_curves_follow_snapshots(make):
    w = make(LossPlot, dataset(test=10))
    for n in (1, 3, 7):
        w.show_snapshot(snapshot(n))
        x, y = w.train_curve.getData()
        assert len(x) == n and np.allclose(y, 1.0 / np.arange(1, n + 1))
        tx, ty = w.test_curve.getData()
        if n == 1:  # only the NaN at epoch 1: nothing drawn
            assert tx is None or len(tx) == 0
        else:
            assert len(tx) == n - 1 and tx[0] == 2.0  # the NaN at epoch 1 is dropped
    ax, ay = w.acc_train_curve.getData()
    assert len(ax) == 7 and ay[-1] == pytest.approx(1 - 0.5 / 7)
    assert not w.acc_widget.isHidden()
    assert w.legend.getLabel(w.train_curve).text == TRAIN_LABEL


def test_batch_loss_replaces_missing_train_loss(make):
    w = make(LossPlot, dataset())
    w.show_snapshot(snapshot(4, no_train_loss=True))
    x, y = w.train_curve.getData()
    assert np.allclose(y, 2.0 / np.arange(1, 5))
    assert w.legend.getLabel(w.train_curve).text == BATCH_LABEL
    w.show_snapshot(snapshot(4))
    assert w.legend.getLabel(w.train_curve).text == TRAIN_LABEL


def test_log_scale_checkbox(make):
    w = make(LossPlot, dataset())
    assert w.log_check.accessibleName() and w.log_check.toolTip()
    w.show_snapshot(snapshot(5))
    assert not w.plot.getAxis("left").logMode
    w.log_check.setChecked(True)
    assert w.plot.getAxis("left").logMode and w.plot.ctrl.logYCheck.isChecked()
    w.log_check.setChecked(False)
    assert not w.plot.getAxis("left").logMode


def test_regression_plots_r2_under_the_loss_and_set_dataset_clears(make):
    w = make(LossPlot, dataset())
    w.show_snapshot(snapshot(5))
    w.set_dataset(dataset("regression"))
    assert not w.acc_widget.isHidden()
    assert w.acc_plot.getAxis("left").labelText == "R²"
    x, _ = w.train_curve.getData()
    assert x is None or len(x) == 0
    snap = snapshot(3)
    r2 = np.array([-2.0, 0.3, 0.8])
    snap.curves.update(train_r2=r2, test_r2=r2 - 0.1, train_mae=np.array([9.0, 5.0, 2.0]),
                       test_mae=np.array([10.0, 6.0, 3.0]))
    w.show_snapshot(snap)
    assert len(w.train_curve.getData()[0]) == 3
    np.testing.assert_array_equal(w.acc_train_curve.getData()[1], r2)
    assert w.acc_plot.vb.viewRange()[1][0] < -0.9     # it went below 0: the axis shows -1
    w.set_dataset(dataset())
    assert w.acc_plot.getAxis("left").labelText == "accuracy"
    assert w.acc_plot.vb.viewRange()[1][0] > -0.1


def test_a_divergence_is_marked_not_blank(make):
    w = make(LossPlot, dataset())
    snap = snapshot(1)
    for key in ("train_loss", "test_loss", "batch_loss"):
        snap.curves[key] = np.array([np.nan])      # blew up in the first epoch
    w.show_snapshot(snap)
    assert w.blowup_line.isVisible() and w.blowup_line.value() == 1.0
    lo, hi = w.plot.vb.viewRange()[0]
    assert lo <= 1.0 <= hi
    w.set_dataset(dataset())
    assert not w.blowup_line.isVisible()


def test_hover_readout(make, qtbot):
    w = make(LossPlot, dataset())
    w.show()
    qtbot.waitExposed(w)
    w.show_snapshot(snapshot(10))
    w.plot.vb.setRange(xRange=(0, 11), yRange=(0, 1.6), padding=0)
    pos = w.plot.vb.mapViewToScene(QPointF(4.2, 0.5))
    w.on_mouse_moved((pos,))  # as the SignalProxy delivers it
    text = w.readout.text()
    assert "epoch 4" in text and "0.25" in text and "test loss 0.375" in text
    assert w.marker.getData()[0][0] == 4.0
    w.on_mouse_moved(QPointF(-1000, -1000))  # outside: the readout stays
    assert w.readout.text() == text
    # log mode: the readout still gives values in data units, not log10
    w.log_check.setChecked(True)
    w.plot.vb.setRange(xRange=(0, 11), yRange=(-1.5, 0.5), padding=0)
    w.on_mouse_moved((w.plot.vb.mapViewToScene(QPointF(8.1, -1.0)),))
    assert "epoch 8" in w.readout.text() and "0.125" in w.readout.text()
    mx, my = w.marker.getData()
    assert my[0] == pytest.approx(np.log10(0.125))  # drawn on the log axis


# --- LearningRatePlot ----------------------------------------------------------------------

def test_lr_plot(make):
    w = make(LearningRatePlot, dataset())
    w.show_snapshot(snapshot(6, lr=0.5))
    x, y = w.curve.getData()
    assert len(x) == 6 and y[0] == pytest.approx(0.5) and y[-1] == pytest.approx(0.5 / 6)
    assert "0.08333" in w.value_label.text()
    w.log_check.setChecked(True)
    assert w.plot.getAxis("left").logMode
    w.set_dataset(dataset())
    assert len(w.curve.getData()[0] if w.curve.getData()[0] is not None else []) == 0


# --- DecisionRegionPlot --------------------------------------------------------------------

def test_binary_heatmap_orientation_levels_and_points(make):
    ds = dataset(test=10)
    w = make(DecisionRegionPlot, ds)
    xs, ys, out = grid(2, r=12)
    w.show_snapshot(snapshot(2, grid=(xs, ys, out)))
    img = w.image.image
    assert img.shape == (12, 12)
    assert w.image.getLevels() is not None and tuple(w.image.getLevels()) == (0.0, 1.0)
    # the positive class lies at x > 0: the image's right half maps to x > 0 on the plane
    rect = w.image.mapRectToParent(w.image.boundingRect())
    assert rect.left() < xs[0] and rect.right() > xs[-1]
    assert rect.top() < ys[0] and rect.bottom() > ys[-1]
    # probe the item: the pixel under view point (2.5, -1.5) is high, under (-2.5, 1.5) low
    for (vx, vy), high in (((2.5, -1.5), True), ((-2.5, 1.5), False)):
        p = w.image.mapFromParent(QPointF(vx, vy))
        col, row = int(p.x()), int(p.y())  # row-major: image[row=y, col=x]
        assert (img[row, col] > 0.9) == high
    assert len(w.train_scatter.data) == 30
    assert not w.test_scatter.isVisible()
    w.test_check.setChecked(True)
    assert w.test_scatter.isVisibleTo(w.plot) and len(w.test_scatter.data) == 10
    brushes = {b.color().name() for b in w.train_scatter.data["brush"]}
    assert brushes == {"#f59322", "#0877bd"}


def test_discretize_and_grid_none(make):
    w = make(DecisionRegionPlot, dataset())
    w.show_snapshot(snapshot(2, grid=grid(2)))
    assert len(np.unique(w.image.image)) > 2
    w.discretize_check.setChecked(True)
    assert set(np.unique(w.image.image)) <= {0.0, 1.0}
    before = w.image.image.copy()
    w.show_snapshot(snapshot(3, grid=None))
    assert np.array_equal(w.image.image, before)
    w.discretize_check.setChecked(False)
    assert len(np.unique(w.image.image)) > 2


def test_multiclass_regions(make):
    w = make(DecisionRegionPlot, dataset(k=3))
    xs, ys, out = grid(3, r=10)
    w.show_snapshot(snapshot(1, grid=(xs, ys, out)))
    img = w.image.image
    assert img.shape == (10, 10, 3) and img.dtype == np.uint8   # opaque: fast to draw
    assert tuple(w.image.getLevels()) == (0.0, 255.0)
    from playground.ui.decision_plot import MIN_STRENGTH, REGION_OPACITY
    palette = ps.palette_rgb(3).astype(float)
    neutral = np.array(QColor(ps.NEUTRAL).getRgb()[:3], float)
    cls = out.argmax(axis=-1)
    # each pixel lies on the segment from the undecided grey to its class's colour (both
    # painted at the regions' opacity over white), at m >= MIN_STRENGTH of the way
    ground = (1 - REGION_OPACITY) * 255
    grey, full = REGION_OPACITY * neutral + ground, REGION_OPACITY * palette[cls] + ground
    m = ((img - grey) * (full - grey)).sum(-1) / ((full - grey) ** 2).sum(-1)
    assert np.abs(grey + m[..., None] * (full - grey) - img).max() <= 1.0
    assert m.min() >= MIN_STRENGTH - 0.01 and m.max() <= 1.01
    confident = out.max(axis=-1)
    assert m.flat[confident.argmax()] > m.flat[confident.argmin()]
    w.discretize_check.setChecked(True)     # the class's colour at the regions' opacity
    assert np.abs(w.image.image - (REGION_OPACITY * palette[cls] + ground)).max() <= 0.5
    assert len({b.color().name() for b in w.train_scatter.data["brush"]}) == 3


def test_regression_levels_from_targets(make):
    ds = dataset("regression")
    w = make(DecisionRegionPlot, ds)
    lo, hi = ds.y_train.min(), ds.y_train.max()
    w.show_snapshot(snapshot(1, grid=grid(regression=True)))
    assert w.image.image.shape == (12, 12)
    assert tuple(w.image.getLevels()) == pytest.approx((lo, hi))
    assert len(w.train_scatter.data) == 30
    colors = {b.color().name() for b in w.train_scatter.data["brush"]}
    assert len(colors) > 5  # a gradient, not two classes


def test_axes_choice_for_more_inputs(make, qtbot):
    ds = dataset(k=3, f=4)
    w = make(DecisionRegionPlot, ds)
    assert not w.axes_row.isHidden() and w.x_combo.count() == 4
    w.show_snapshot(snapshot(1, grid=grid(3)))
    with qtbot.waitSignal(w.axes_changed) as sig:
        w.set_axes(2, 3)
    assert sig.args == [2, 3]
    assert w.image.image is None  # the old pair's heatmap is gone until a new grid
    assert np.allclose(w.train_scatter.data["x"], ds.raw_train[:, 2])
    assert np.allclose(w.train_scatter.data["y"], ds.raw_train[:, 3])
    with qtbot.waitSignal(w.axes_changed) as sig:
        w.y_combo.setCurrentIndex(0)
    assert sig.args == [2, 0]
    with qtbot.waitSignal(w.axes_changed) as sig:
        w.x_combo.setCurrentIndex(0)  # same as y: swapped
    assert sig.args == [0, 2]
    w.set_dataset(dataset())
    assert w.axes_row.isHidden()


def test_confusion_view_rows_are_the_true_class(qtbot):
    from types import SimpleNamespace

    from playground.ui.confusion_view import ConfusionView
    view = ConfusionView()
    qtbot.addWidget(view)
    view.set_run(SimpleNamespace(dataset=dataset(k=3)))
    assert "rows true class" in view.caption.text()
    view.show_matrix(np.array([[5, 1, 0], [0, 6, 0], [2, 0, 7]]))
    t = view.table
    assert t.rowCount() == 3 and t.item(2, 2).text() == "7" and t.item(2, 0).text() == "2"
    assert t.verticalHeaderItem(2).text() == "true 2" and t.horizontalHeaderItem(0).text() == "0"


def test_items_are_never_recreated(make):
    ds = dataset(test=10)
    loss, dec, lr = make(LossPlot, ds), make(DecisionRegionPlot, ds), make(LearningRatePlot, ds)
    ids = [id(x) for x in (loss.train_curve, loss.test_curve, loss.acc_train_curve,
                           dec.image, dec.train_scatter, dec.test_scatter, lr.curve)]
    n_items = [len(loss.plot.items), len(dec.plot.items), len(lr.plot.items)]
    g = grid(2)
    for i in range(100):
        s = snapshot(i + 1, grid=g if i % 3 == 0 else None)
        loss.show_snapshot(s)
        dec.show_snapshot(s)
        lr.show_snapshot(s)
    assert ids == [id(x) for x in (loss.train_curve, loss.test_curve, loss.acc_train_curve,
                                   dec.image, dec.train_scatter, dec.test_scatter, lr.curve)]
    assert n_items == [len(loss.plot.items), len(dec.plot.items), len(lr.plot.items)]
    assert len(loss.train_curve.getData()[0]) == 100


def _luminance(rgb) -> float:
    """WCAG relative luminance of an sRGB colour (0-255 channels)."""
    c = np.asarray(rgb, np.float64) / 255
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def test_a_point_keeps_its_colour_on_a_region_of_its_class(make):
    # a confidently right point is drawn in its class colour over that class's region: the
    # regions are light (TensorFlow Playground's alpha 160), so the two stay apart
    w = make(DecisionRegionPlot, dataset())
    for p, color in ((1.0, ps.BLUE), (0.0, ps.ORANGE)):
        region = w._lut[int(round(p * 255))][:3]
        point = QColor(color).getRgb()[:3]
        lighter, darker = sorted((_luminance(region), _luminance(point)), reverse=True)
        # at the old 85 % opacity: 1.27 (blue) and 1.16 (orange)
        assert (lighter + 0.05) / (darker + 0.05) >= 1.3, (color, region, point)

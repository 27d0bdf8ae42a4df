"""``LossPlot``: train and test loss against epoch, with accuracy below (classification) or
R² (regression, in the data's units: the coefficient of determination, 1 - SS_res / SS_tot).

Items are created once; ``show_snapshot`` only calls ``setData``. When a run has no evaluated
train loss (the curve is all NaN) the averaged batch loss is drawn instead, and labelled so.
Inside an epoch (after Step batch) a hollow dot shows the mean loss of its batches so far, at
the fractional epoch reached (``Snapshot.partial``). A perceptron's curves are error rates,
and the legend and readout say so.

The loss axis starts at 0 and steps to a 1-2-5 ceiling (log scale: whole decades), so a small
wiggle looks small; a new run starts from an empty frame (epochs 0 to 10, or the run's fewer
epochs; loss 0 to 1). Both plots share their x range and their left axes' width, so their
epoch ticks fall at the same places. An epoch whose loss became infinite or NaN (a divergence)
is marked by a red vertical line (the theme's ``error`` colour), so a run that blew up at once
does not leave a blank plot.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.ui import plot_style as ps
from playground.ui.widgets import DrawsWhenSeen

TRAIN_LABEL = "train loss"
BATCH_LABEL = "batch loss (train)"
#: both plots' left axes are this wide, so their x axes line up (room for "5·10⁻¹⁰")
LEFT_AXIS_WIDTH = 62


def labels(quantity: str) -> dict[str, str]:
    """What the curves are called for a quantity ("loss", "error rate")."""
    return {"train": f"train {quantity}", "test": f"test {quantity}",
            "batch": f"batch {quantity} (train)", "partial": f"batch {quantity} so far"}


class LossPlot(DrawsWhenSeen, QWidget):
    """Loss curves (log scale optional) with a hover readout; accuracy curves below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_check = QCheckBox("Log scale")
        self.log_check.setAccessibleName("Loss log scale")
        self.log_check.setToolTip("Show the loss on a logarithmic axis")
        self.readout = QLabel("")
        self.readout.setAccessibleName("Loss readout")
        self.readout.setMinimumWidth(10)
        self.names = labels("loss")

        self.loss_widget = ps.make_plot_widget()
        self.plot = self.loss_widget.getPlotItem()
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "loss")
        # one row, top right: the least height taken from the curves of a short plot
        self.legend = ps.add_legend(self.plot, offset=(-6, 2), colCount=2,
                                    verSpacing=-6, horSpacing=12)
        self.train_curve = ps.live_curve(self.plot, "train", name=self.names["train"])
        self.test_curve = ps.live_curve(self.plot, "test", dashed=True,
                                        name=self.names["test"])
        # PlotDataItems (not bare scatters) so that they follow the plot's log mode
        self.partial_marker = self.plot.plot([], [], pen=None, symbol="o", symbolSize=8)
        self.marker = self.plot.plot([], [], pen=None, symbol="o", symbolSize=8)

        self.acc_widget = ps.make_plot_widget()
        self.acc_plot = self.acc_widget.getPlotItem()
        self.acc_plot.setLabel("left", "accuracy")
        self.acc_plot.setLabel("bottom", "epoch")
        self.acc_plot.setYRange(0.0, 1.0, padding=0.02)
        # three ticks: they stay apart however short the plot gets
        self.acc_plot.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        self.acc_plot.setXLink(self.plot)
        for plot in (self.plot, self.acc_plot):
            plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        self.acc_train_curve = ps.live_curve(self.acc_plot, "train", name="train")
        self.acc_test_curve = ps.live_curve(self.acc_plot, "test", dashed=True, name="test")
        self.acc_widget.setMinimumHeight(90)
        self.loss_widget.setMinimumHeight(120)
        self.acc_widget.setToolTip("Accuracy: train solid, test dashed")
        # in the theme's error colour (``_restyle``): text that reads on the plot's ground
        self.blowup_line = pg.InfiniteLine(angle=90, movable=False, label="diverged",
                                           labelOpts={"position": 0.9})
        self.blowup_line.setZValue(5)
        self.plot.addItem(self.blowup_line, ignoreBounds=True)
        self.blowup_line.hide()
        self.blowup_epoch: float | None = None
        self._fit: dict[str, tuple[np.ndarray, np.ndarray]] = {}

        top = QHBoxLayout()
        top.addWidget(self.log_check)
        top.addStretch(1)
        top.addWidget(self.readout)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.loss_widget, 3)
        layout.addWidget(self.acc_widget, 2)

        self._task = "classification"
        self._epochs = 0
        self._x_range = ps.SteppedRange(self.plot, "x", from_zero=True, min_fill=0.0,
                                        empty=ps.epoch_frame())
        self._y_range = ps.SteppedRange(self.plot, "y", from_zero=True)
        # the drawn data in data units (getData() gives log10 values in log mode)
        self._train_xy = self._test_xy = (np.empty(0), np.empty(0))
        self._partial: tuple[float, float] | None = None
        self._using_batch_loss = False
        self.log_check.toggled.connect(self.set_log_scale)
        ps.follow_theme(self, LossPlot._restyle)
        # condense the scene's rapid mouse moves (pyqtgraph's SignalProxy idiom)
        self._mouse_proxy = pg.SignalProxy(self.loss_widget.scene().sigMouseMoved,
                                           rateLimit=30, slot=self.on_mouse_moved)

    def _restyle(self, t: ps.PlotTheme) -> None:
        self.marker.setSymbolPen(pg.mkPen(t.foreground))
        ground = pg.mkColor(t.background)
        ground.setAlpha(200)
        self.marker.setSymbolBrush(pg.mkBrush(ground))
        self.partial_marker.setSymbolPen(pg.mkPen(t.train, width=1.5))
        self.partial_marker.setSymbolBrush(pg.mkBrush(t.background))
        self.blowup_line.setPen(pg.mkPen(t.error, width=1.5,
                                         style=pg.QtCore.Qt.PenStyle.DashLine))
        self.blowup_line.label.setColor(t.error)

    # --- model -> view ----------------------------------------------------------------------

    def set_dataset(self, dataset) -> None:
        """A new run: clear the curves and frame the empty plot; accuracy only for
        classification."""
        self._task = dataset.task
        for curve in (self.train_curve, self.test_curve, self.acc_train_curve,
                      self.acc_test_curve):
            ps.show_xy(curve, np.empty(0), np.empty(0))
        self.marker.setData([], [])
        self.partial_marker.setData([], [])
        self.readout.setText("")
        self._train_xy = self._test_xy = (np.empty(0), np.empty(0))
        self._partial = None
        self._set_batch_mode(False)
        self._x_range.reset(ps.epoch_frame(self._epochs))
        self._y_range.reset()
        regression = dataset.task == "regression"
        self.acc_plot.setLabel("left", "R²" if regression else "accuracy")
        self.acc_widget.setToolTip(
            "R² of the predictions, in the data's units (1 is perfect, 0 no better than the "
            "mean, below 0 worse): train solid, test dashed" if regression
            else "Accuracy: train solid, test dashed")
        self._r2_floor = None
        self._set_r2_range(0.0)
        self._fit = {}
        self._show_blowup(None)
        self.plot.setLabel("bottom", "")

    def set_run(self, run) -> None:
        """A new run (``RunInfo``): cleared curves, accuracy for classification, and what the
        curves measure."""
        self.forget_unseen()
        self._epochs = run.config.train.epochs
        self.set_dataset(run.dataset)
        self.set_quantity(run.quantity)

    #: a frame that redraws the regions may leave the curves to the next one (RunView option)
    skips_grid_frames = True

    def set_quantity(self, name: str) -> None:
        """What the curves measure: "loss", or "error rate" for a perceptron (whose loss is
        the share of misclassified samples): the axis, legend and readout say it."""
        self.names = labels(name)
        self.plot.setLabel("left", name)
        self.log_check.setToolTip(f"Show the {name} on a logarithmic axis")
        self._label(self.test_curve, self.names["test"])
        self._label(self.train_curve,
                    self.names["batch" if self._using_batch_loss else "train"])

    def draw_snapshot(self, snap) -> None:
        curves = snap.curves
        epoch = curves.get("epoch")
        train = curves.get("train_loss")
        # no evaluated train loss (all NaN): the batch loss; no epoch yet: as it was
        use_batch = train is None or (not np.isfinite(train).any() if train.size
                                      else self._using_batch_loss)
        if use_batch:
            train = curves.get("batch_loss")
        self._set_batch_mode(use_batch)
        self._train_xy = ps.finite_xy(epoch, train)
        self._test_xy = ps.finite_xy(epoch, curves.get("test_loss"))
        ps.show_xy(self.train_curve, *self._train_xy)
        ps.show_xy(self.test_curve, *self._test_xy)
        partial = getattr(snap, "partial", None)
        self._partial = partial if partial is not None and all(map(math.isfinite, partial)) \
            else None
        self._show_partial()
        self._step_ranges()
        # the batch loss is there every epoch (an evaluated loss may be skipped): NaN or inf
        # in it is a divergence
        self._show_blowup(epoch, curves.get("batch_loss"))
        if self._task != "regression":
            ps.show_xy(self.acc_train_curve, *ps.finite_xy(epoch, curves.get("train_accuracy")))
            ps.show_xy(self.acc_test_curve, *ps.finite_xy(epoch, curves.get("test_accuracy")))
            return
        self._fit = {key: ps.finite_xy(epoch, curves.get(key))
                     for key in ("train_r2", "test_r2", "train_mae", "test_mae")}
        ps.show_xy(self.acc_train_curve, *self._fit["train_r2"])
        ps.show_xy(self.acc_test_curve, *self._fit["test_r2"])
        lows = [xy[1].min() for key, xy in self._fit.items() if key.endswith("r2") and xy[1].size]
        if lows:
            self._set_r2_range(min(lows))

    def _set_r2_range(self, low: float) -> None:
        """The lower plot's y axis: accuracy 0 to 1; R² 0 to 1, or -1 to 1 once it has been
        negative (lower values run off the bottom: "worse than the mean" is what matters,
        not by how much)."""
        floor = -1.0 if self._task == "regression" and low < 0 else 0.0
        if floor == self._r2_floor:
            return
        self._r2_floor = floor
        mid = (floor + 1) / 2
        self.acc_plot.getAxis("left").setTicks([[(floor, f"{floor:g}"), (mid, f"{mid:g}"),
                                                 (1.0, "1")]])
        self.acc_plot.setYRange(floor, 1.0, padding=0.02)

    def _show_blowup(self, epoch, loss=None) -> None:
        """A red line at the latest epoch whose loss was not finite; hidden if none."""
        at = None
        if epoch is not None and loss is not None and len(epoch):
            n = min(len(epoch), len(loss))
            bad = ~np.isfinite(np.asarray(loss[:n], np.float64))
            recorded = np.isfinite(np.asarray(epoch[:n], np.float64))
            hits = np.flatnonzero(bad & recorded)
            at = float(epoch[hits[-1]]) if hits.size else None
        if at == self.blowup_epoch:
            return
        self.blowup_epoch = at
        if at is None:
            self.blowup_line.hide()
            return
        self.blowup_line.setValue(at)
        self.blowup_line.show()
        self._x_range.update(0.0, at)

    def _show_partial(self) -> None:
        p = self._partial
        if p is None or (self.log_check.isChecked() and not p[1] > 0):
            if self.partial_marker.xData is not None and len(self.partial_marker.xData):
                self.partial_marker.setData([], [])   # (not every frame: most have none)
        else:
            self.partial_marker.setData([p[0]], [p[1]])

    def _step_ranges(self) -> None:
        drawn = [xy for xy in (self._train_xy, self._test_xy) if xy[0].size]
        if self._partial is not None:
            drawn.append((np.array([self._partial[0]]), np.array([self._partial[1]])))
        if not drawn:
            return
        self._x_range.update(0.0, max(float(x[-1]) for x, _y in drawn))
        y = np.concatenate([y for _x, y in drawn])
        if self.log_check.isChecked():  # log mode ranges are whole decades of the data
            y = y[y > 0]
            if not y.size:
                return
        self._y_range.update(float(y.min()), float(y.max()))

    def set_log_scale(self, on: bool) -> None:
        self._y_range.set_log(on)
        self._show_partial()
        self._step_ranges()
        if self.log_check.isChecked() != bool(on):
            self.log_check.setChecked(bool(on))

    def _set_batch_mode(self, on: bool) -> None:
        if on == self._using_batch_loss:
            return
        self._using_batch_loss = on
        self._label(self.train_curve, self.names["batch" if on else "train"])

    def _label(self, curve, text: str) -> None:
        label = self.legend.getLabel(curve)
        if label is not None:
            label.setText(text)

    # --- hover ------------------------------------------------------------------------------

    def on_mouse_moved(self, event) -> None:
        """Show the epoch under the mouse and the curves' values there. ``event`` is the
        SignalProxy's tuple ``(scene_pos,)`` or a scene position."""
        pos = event[0] if isinstance(event, (tuple, list)) else event
        vb = self.plot.vb
        if not vb.sceneBoundingRect().contains(pos):
            return
        x_mouse = vb.mapSceneToView(QPointF(pos)).x()
        x, y = self._train_xy
        p = self._partial
        if p is not None and (not len(x) or abs(p[0] - x_mouse) < np.abs(x - x_mouse).min()):
            self.readout.setText(f"epoch {p[0]:.3g} (in progress)   "
                                 f"{self.names['partial']} {p[1]:.4g}")
            self._mark(p[0], p[1])
            return
        if not len(x):
            self.readout.setText("")
            self.marker.setData([], [])
            return
        i = int(np.argmin(np.abs(x - x_mouse)))
        epoch = x[i]
        name = self.names["batch" if self._using_batch_loss else "train"]
        parts = [f"epoch {epoch:g}", f"{name} {y[i]:.4g}"]
        tx, ty = self._test_xy
        k = np.flatnonzero(tx == epoch)
        if k.size:
            parts.append(f"{self.names['test']} {ty[k[0]]:.4g}")
        for split in ("test", "train"):  # a regression's fit at that epoch
            (r_x, r_y), (m_x, m_y) = (self._fit.get(f"{split}_{m}", (np.empty(0),) * 2)
                                      for m in ("r2", "mae"))
            kr, km = np.flatnonzero(r_x == epoch), np.flatnonzero(m_x == epoch)
            if kr.size and km.size:
                parts.append(f"{split} R² {r_y[kr[0]]:.3f}  MAE {m_y[km[0]]:.4g}")
                break
        self.readout.setText("   ".join(parts))
        self._mark(epoch, y[i])

    def _mark(self, x: float, y: float) -> None:
        if self.log_check.isChecked() and not y > 0:
            self.marker.setData([], [])
        else:
            self.marker.setData([x], [y])

"""``LossPlot``: train and test loss against epoch, with accuracy below (classification).

Items are created once; ``show_snapshot`` only calls ``setData``. When a run has no evaluated
train loss (the curve is all NaN) the averaged batch loss is drawn instead, and labelled so.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.ui import plot_style as ps

TRAIN_LABEL = "train loss"
BATCH_LABEL = "batch loss (train)"


class LossPlot(QWidget):
    """Loss curves (log scale optional) with a hover readout; accuracy curves below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_check = QCheckBox("Log scale")
        self.log_check.setAccessibleName("Loss log scale")
        self.log_check.setToolTip("Show the loss on a logarithmic axis")
        self.readout = QLabel("")
        self.readout.setAccessibleName("Loss readout")
        self.readout.setMinimumWidth(10)

        self.loss_widget = ps.make_plot_widget()
        self.plot = self.loss_widget.getPlotItem()
        self.plot.setLabel("bottom", "epoch")
        self.plot.setLabel("left", "loss")
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextColor=ps.FOREGROUND)
        self.train_curve = ps.live_curve(self.plot, ps.TRAIN_COLOR, name=TRAIN_LABEL)
        self.test_curve = ps.live_curve(self.plot, ps.TEST_COLOR, dashed=True, name="test loss")
        # a PlotDataItem (not a bare scatter) so that it follows the plot's log mode
        self.marker = self.plot.plot([], [], pen=None, symbol="o", symbolSize=8,
                                     symbolPen=pg.mkPen(ps.FOREGROUND),
                                     symbolBrush=pg.mkBrush(255, 255, 255, 200))

        self.acc_widget = ps.make_plot_widget()
        self.acc_plot = self.acc_widget.getPlotItem()
        self.acc_plot.setLabel("left", "accuracy")
        self.acc_plot.setYRange(0.0, 1.0, padding=0.02)
        # three ticks: they stay apart however short the plot gets
        self.acc_plot.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        self.acc_plot.setXLink(self.plot)
        self.acc_train_curve = ps.live_curve(self.acc_plot, ps.TRAIN_COLOR, name="train")
        self.acc_test_curve = ps.live_curve(self.acc_plot, ps.TEST_COLOR, dashed=True,
                                            name="test")
        self.acc_widget.setMinimumHeight(90)
        self.loss_widget.setMinimumHeight(120)
        self.acc_widget.setToolTip("Accuracy: train solid, test dashed")

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
        self._x_range = ps.SteppedRange(self.plot, "x", from_zero=True)
        self._y_range = ps.SteppedRange(self.plot, "y")
        # the drawn data in data units (getData() gives log10 values in log mode)
        self._train_xy = self._test_xy = (np.empty(0), np.empty(0))
        self._using_batch_loss = False
        self.log_check.toggled.connect(self.set_log_scale)
        # condense the scene's rapid mouse moves (pyqtgraph's SignalProxy idiom)
        self._mouse_proxy = pg.SignalProxy(self.loss_widget.scene().sigMouseMoved,
                                           rateLimit=30, slot=self.on_mouse_moved)

    # --- model -> view ----------------------------------------------------------------------

    def set_dataset(self, dataset) -> None:
        """A new run: clear the curves; accuracy only for classification."""
        self._task = dataset.task
        for curve in (self.train_curve, self.test_curve, self.acc_train_curve,
                      self.acc_test_curve):
            curve.setData([], [])
        self.marker.setData([], [])
        self.readout.setText("")
        self._train_xy = self._test_xy = (np.empty(0), np.empty(0))
        self._set_batch_mode(False)
        self._x_range.reset()
        self._y_range.reset()
        self.acc_widget.setVisible(dataset.task != "regression")
        self.plot.setLabel("bottom", "epoch" if dataset.task == "regression" else "")
        self.acc_plot.setLabel("bottom", "epoch")

    def set_run(self, run) -> None:
        """A new run (``RunInfo``): cleared curves, accuracy for classification, and what the
        curves measure."""
        self.set_dataset(run.dataset)
        self.set_quantity(run.quantity)

    #: a frame that redraws the regions may leave the curves to the next one (RunView option)
    skips_grid_frames = True

    def set_quantity(self, name: str) -> None:
        """What the curves measure: "loss", or "error rate" for a perceptron (whose loss is
        the share of misclassified samples)."""
        self.plot.setLabel("left", name)

    def show_snapshot(self, snap) -> None:
        curves = snap.curves
        epoch = curves.get("epoch")
        train = curves.get("train_loss")
        use_batch = train is None or not np.isfinite(train).any()
        if use_batch:
            train = curves.get("batch_loss")
        self._set_batch_mode(use_batch)
        self._train_xy = ps.finite_xy(epoch, train)
        self._test_xy = ps.finite_xy(epoch, curves.get("test_loss"))
        self.train_curve.setData(*self._train_xy)
        self.test_curve.setData(*self._test_xy)
        self._step_ranges()
        if self._task != "regression":
            self.acc_train_curve.setData(*ps.finite_xy(epoch, curves.get("train_accuracy")))
            self.acc_test_curve.setData(*ps.finite_xy(epoch, curves.get("test_accuracy")))

    def _step_ranges(self) -> None:
        xs = [xy[0] for xy in (self._train_xy, self._test_xy) if xy[0].size]
        if xs:
            self._x_range.update(0.0, max(float(x[-1]) for x in xs))
        ys = [xy[1] for xy in (self._train_xy, self._test_xy) if xy[1].size]
        if not ys:
            return
        y = np.concatenate(ys)
        if self.log_check.isChecked():  # log mode ranges are in decades
            y = np.log10(y[y > 0])
            if not y.size:
                return
        self._y_range.update(float(y.min()), float(y.max()))

    def set_log_scale(self, on: bool) -> None:
        self.plot.setLogMode(x=False, y=bool(on))
        self._y_range.reset()
        self._step_ranges()
        if self.log_check.isChecked() != bool(on):
            self.log_check.setChecked(bool(on))

    def _set_batch_mode(self, on: bool) -> None:
        if on == self._using_batch_loss:
            return
        self._using_batch_loss = on
        label = self.legend.getLabel(self.train_curve)
        if label is not None:
            label.setText(BATCH_LABEL if on else TRAIN_LABEL)

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
        if not len(x):
            self.readout.setText("")
            self.marker.setData([], [])
            return
        i = int(np.argmin(np.abs(x - x_mouse)))
        epoch = x[i]
        name = BATCH_LABEL if self._using_batch_loss else TRAIN_LABEL
        parts = [f"epoch {epoch:g}", f"{name} {y[i]:.4g}"]
        tx, ty = self._test_xy
        k = np.flatnonzero(tx == epoch)
        if k.size:
            parts.append(f"test loss {ty[k[0]]:.4g}")
        self.readout.setText("   ".join(parts))
        self.marker.setData([epoch], [y[i]])

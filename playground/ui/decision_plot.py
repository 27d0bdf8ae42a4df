"""``DecisionRegionPlot``: what the network predicts over the input plane, with the data on top.

Binary classification: the positive-class probability as a heatmap with fixed levels 0..1.
K > 2 classes: each pixel the colour of its argmax class, alpha by confidence (an RGBA image).
Regression: the first output with levels fixed from the training targets' range.
The grid ``(xs, ys, outputs)`` has ``outputs[j, i]`` at ``(xs[i], ys[j])``: row-major, so the
image item is made row-major and takes it untransposed.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from playground.ui import plot_style as ps
from playground.ui.perceptron_view import PerceptronOverlay
from playground.ui.prediction_plot import PredictionPlot

BINARY, MULTI, REGRESSION = "binary", "multi", "regression"
REGION_OPACITY = 0.85
#: At most this many points of each split are drawn (beyond, every k-th one).
MAX_SHOWN_POINTS = 2500


def shown_rows(n: int, limit: int = MAX_SHOWN_POINTS) -> np.ndarray:
    """The rows a scatter draws: all of them up to ``limit``, else an evenly spread, fixed
    subset (every k-th row), so a 300,000-row table opens at once and still looks like its
    data; the regions are computed from the model either way."""
    if n <= limit:
        return np.arange(n)
    return np.linspace(0, n - 1, limit).round().astype(np.int64)


class DecisionRegionPlot(QWidget):
    """Heatmap of the network's output over two raw inputs, training (and test) points."""

    axes_changed = Signal(int, int)
    #: the visible input-plane rectangle (x0, x1, y0, y1), after a pan, zoom or resize settles
    view_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.test_check = QCheckBox("Show test data")
        self.test_check.setAccessibleName("Show test data")
        self.test_check.setToolTip("Draw the test points (triangles, dark outline)")
        self.discretize_check = QCheckBox("Discretize output")
        self.discretize_check.setAccessibleName("Discretize output")
        self.discretize_check.setToolTip("Colour by the predicted class only "
                                         "(threshold 0.5 / argmax)")
        self.x_combo = QComboBox()
        self.x_combo.setAccessibleName("Horizontal axis input")
        self.x_combo.setToolTip("Input on the horizontal axis")
        self.y_combo = QComboBox()
        self.y_combo.setAccessibleName("Vertical axis input")
        self.y_combo.setToolTip("Input on the vertical axis")
        self.axes_row = QWidget()
        axes_layout = QHBoxLayout(self.axes_row)
        axes_layout.setContentsMargins(0, 0, 0, 0)
        axes_layout.addWidget(QLabel("x:"))
        axes_layout.addWidget(self.x_combo)
        axes_layout.addWidget(QLabel("y:"))
        axes_layout.addWidget(self.y_combo)

        self.widget = ps.make_plot_widget()
        self.plot = self.widget.getPlotItem()
        self.plot.setAspectLocked(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-10)
        self.plot.addItem(self.image)
        self.train_scatter = pg.ScatterPlotItem(size=7, symbol="o",
                                                pen=pg.mkPen("w", width=1.2))
        self.test_scatter = pg.ScatterPlotItem(size=8, symbol="t",
                                               pen=pg.mkPen(ps.FOREGROUND, width=1.2))
        self.plot.addItem(self.train_scatter)
        self.plot.addItem(self.test_scatter)
        self.test_scatter.setVisible(False)
        self._colormap = ps.diverging_colormap()
        # the regions at 85 % over the white ground, blended here once: an opaque image
        # draws several times faster than a translucent one, thirty times a second
        lut = self._colormap.getLookupTable(0.0, 1.0, 256).astype(np.float64)
        self._lut = (REGION_OPACITY * lut + (1 - REGION_OPACITY) * 255).astype(np.uint8)

        self.confusion = QTableWidget()
        self.confusion.setAccessibleName("Confusion matrix")
        self.confusion.setToolTip("Rows: true class; columns: predicted class")
        self.confusion.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.confusion.setSizeAdjustPolicy(QTableWidget.AdjustToContents)
        self.confusion_box = QWidget()
        box = QVBoxLayout(self.confusion_box)
        box.setContentsMargins(0, 0, 0, 0)
        self.confusion_caption = QLabel("")
        self.confusion_caption.setAccessibleName("Confusion matrix caption")
        box.addWidget(self.confusion_caption)
        box.addWidget(self.confusion)
        box.addStretch(1)
        self.confusion_box.setVisible(False)

        self.overlay = PerceptronOverlay(self.plot)
        self.banner = QLabel("")
        self.banner.setAccessibleName("Perceptron status")
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        self.prediction_plot = PredictionPlot()
        self.prediction_plot.setVisible(False)

        controls = QHBoxLayout()
        controls.addWidget(self.test_check)
        controls.addWidget(self.discretize_check)
        controls.addStretch(1)
        controls.addWidget(self.axes_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.banner)
        plots = QHBoxLayout()
        plots.addWidget(self.widget, 3)
        plots.addWidget(self.prediction_plot, 2)
        plots.addWidget(self.confusion_box, 0)
        layout.addLayout(plots, 1)

        self.dataset = None
        self.mode = BINARY
        self.levels = (0.0, 1.0)
        self.axes = (0, 1)
        self._grid = None
        self._class_brushes: list[QBrush] = []
        self.test_check.toggled.connect(self._update_test_visibility)
        self.discretize_check.toggled.connect(lambda _on: self._render())
        self._view_timer = QTimer(self)
        self._view_timer.setSingleShot(True)
        self._view_timer.setInterval(80)
        self._view_timer.timeout.connect(self._emit_view)
        self.plot.getViewBox().sigRangeChanged.connect(lambda *_a: self._view_timer.start())
        self.x_combo.currentIndexChanged.connect(self._combo_changed)
        self.y_combo.currentIndexChanged.connect(self._combo_changed)
        self.axes_row.setVisible(False)

    # --- model -> view ----------------------------------------------------------------------

    def set_dataset(self, dataset) -> None:
        """A new run: modes, fixed levels, points; the heatmap waits for the first grid."""
        self.dataset = dataset
        self._grid = None
        self.image.clear()
        # the 2-D generators share one unit on both axes: keep circles round
        self.plot.setAspectLocked(tuple(dataset.input_names) == ("x1", "x2"))
        if dataset.task == "regression":
            self.mode = REGRESSION
            y = np.asarray(dataset.y_train, dtype=np.float64).reshape(len(dataset.y_train), -1)
            lo, hi = (float(y[:, 0].min()), float(y[:, 0].max())) if y.size else (0.0, 1.0)
            self.levels = (lo, hi if hi > lo else lo + 1.0)
        else:
            self.mode = MULTI if dataset.n_classes > 2 else BINARY
            self.levels = (0.0, 255.0) if self.mode == MULTI else (0.0, 1.0)
        self.image.setLookupTable(None if self.mode == MULTI else self._lut)
        self.image.setLevels(self.levels)
        k = max(dataset.n_classes, 1)
        self._class_brushes = [pg.mkBrush(*rgb) for rgb in ps.palette_rgb(k)]
        self.discretize_check.setEnabled(True)
        names = list(dataset.input_names)
        for combo in (self.x_combo, self.y_combo):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            combo.blockSignals(False)
        self.axes_row.setVisible(len(names) > 2)
        self.confusion_box.setVisible(False)
        self.overlay.set_run(dataset, 0)
        self.set_banner("")
        scatter = self.mode == REGRESSION and len(names) > 2
        self.prediction_plot.setVisible(scatter)
        if scatter:
            self.prediction_plot.set_range(np.concatenate(
                [np.asarray(dataset.y_train, np.float64).reshape(len(dataset.y_train), -1)[:, 0],
                 np.asarray(dataset.y_test, np.float64).reshape(len(dataset.y_test), -1)[:, 0]]))
        self.axes = (-1, -1)          # force set_axes to draw
        self.set_axes(0, 1 if len(names) > 1 else 0, emit=False)
        self.test_check.setEnabled(dataset.has_test)

    def set_axes(self, i: int, j: int, emit: bool = True) -> None:
        """Choose the inputs on the horizontal (i) and vertical (j) axes. The heatmap hides
        until a grid for that pair arrives (``Trainer.predict_grid(inputs=(i, j))``)."""
        i, j = int(i), int(j)
        if (i, j) == self.axes:
            return
        changed = self.axes != (-1, -1)
        self.axes = (i, j)
        for combo, value in ((self.x_combo, i), (self.y_combo, j)):
            combo.blockSignals(True)
            combo.setCurrentIndex(value)
            combo.blockSignals(False)
        names = self.dataset.input_names if self.dataset is not None else ()
        if names:
            self.plot.setLabel("bottom", names[i])
            self.plot.setLabel("left", names[j])
        if changed:
            self._grid = None
            self.image.clear()
        self._update_points()
        if emit and changed:
            self.axes_changed.emit(i, j)

    def set_perceptron(self, n_units: int) -> None:
        """Perceptron mode: draw ``n_units`` decision lines and the last update's sample."""
        self.overlay.set_run(self.dataset, n_units)

    def set_banner(self, text: str, tone: str = "info") -> None:
        """A sentence above the plot (perceptron progress); empty hides it."""
        color = {"good": ps.GOOD_COLOR, "bad": ps.BAD_COLOR}.get(tone, ps.FOREGROUND)
        weight = "600" if tone in ("good", "bad") else "normal"
        self.banner.setStyleSheet(f"color: {color}; font-weight: {weight}; padding: 2px 4px;")
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def show_snapshot(self, snap) -> None:
        """Redraw the lines of a perceptron every snapshot, the heatmap and the predictions
        when the snapshot carries a grid."""
        if self.overlay.lines:
            self.overlay.show(snap.weights, snap.last_mistake, snap.converged_epoch is not None)
        if snap.predictions is not None and self.prediction_plot.isVisible():
            self.prediction_plot.show_predictions(*snap.predictions)
        if snap.grid is None:
            return
        self._grid = snap.grid
        self._render()

    def show_confusion(self, matrix: np.ndarray, class_names) -> None:
        """Counts, rows true class and columns predicted; cells shaded by row share."""
        m = np.asarray(matrix)
        names = [str(n) for n in class_names]
        k = m.shape[0]
        t = self.confusion
        t.setRowCount(k)
        t.setColumnCount(k)
        t.setVerticalHeaderLabels(names[:k])
        t.setHorizontalHeaderLabels(names[:k])
        totals = np.maximum(m.sum(axis=1, keepdims=True), 1)
        share = m / totals
        for r in range(k):
            for c in range(k):
                item = QTableWidgetItem(f"{m[r, c]:g}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                base = QColor(ps.BLUE if r == c else ps.ORANGE)
                base.setAlpha(int(40 + 180 * share[r, c]) if m[r, c] else 0)
                item.setBackground(base)
                t.setItem(r, c, item)
        t.resizeColumnsToContents()
        split = "test" if self.dataset is not None and self.dataset.has_test else "training"
        self.confusion_caption.setText(f"Confusion on the {split} split\n"
                                       "rows: true class, columns: predicted")
        self.confusion_box.setVisible(True)

    # --- drawing ----------------------------------------------------------------------------

    def _render(self) -> None:
        if self._grid is None:
            return
        xs, ys, out = self._grid
        image = self._image_from_outputs(np.asarray(out))
        self.image.setImage(image, autoLevels=False, levels=self.levels)
        # pixel centres on the grid points: extend half a step on every side
        r_x, r_y = len(xs), len(ys)
        dx = (xs[-1] - xs[0]) / max(r_x - 1, 1)
        dy = (ys[-1] - ys[0]) / max(r_y - 1, 1)
        self.image.setRect(QRectF(xs[0] - dx / 2, ys[0] - dy / 2, dx * r_x, dy * r_y))

    def _image_from_outputs(self, out: np.ndarray) -> np.ndarray:
        discrete = self.discretize_check.isChecked()
        if self.mode == REGRESSION:
            img = out[..., 0].astype(np.float64)
            if discrete:
                lo, hi = self.levels
                img = np.where(img >= (lo + hi) / 2, hi, lo)
            return img
        if self.mode == BINARY:
            p = out[..., 1] if out.shape[-1] > 1 else out[..., 0]
            p = np.nan_to_num(p.astype(np.float64), nan=0.5)
            return (p >= 0.5).astype(np.float64) if discrete else p
        k = out.shape[-1]
        cls = out.argmax(axis=-1)
        rgba = np.empty(out.shape[:2] + (4,), dtype=np.uint8)
        rgba[..., :3] = ps.palette_rgb(k)[cls]
        if discrete:
            rgba[..., 3] = int(255 * REGION_OPACITY)
        else:
            conf = np.nan_to_num(out.max(axis=-1), nan=0.0)
            # 1/k (a coin toss) -> faint; 1 (certain) -> opaque
            a = np.clip((conf - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)
            rgba[..., 3] = ((40 + 215 * a) * REGION_OPACITY).astype(np.uint8)
        return rgba

    def _point_brushes(self, y: np.ndarray) -> list:
        if self.mode == REGRESSION:
            lo, hi = self.levels
            v = np.clip((np.asarray(y, dtype=np.float64).reshape(len(y), -1)[:, 0] - lo)
                        / (hi - lo), 0, 1)
            colors = self._colormap.map(v, mode="qcolor")
            return [QBrush(c) for c in colors]
        return [self._class_brushes[int(c)] for c in y]

    def _update_points(self) -> None:
        ds = self.dataset
        if ds is None:
            return
        i, j = self.axes
        for scatter, raw, y in ((self.train_scatter, ds.raw_train, ds.y_train),
                                (self.test_scatter, ds.raw_test, ds.y_test)):
            rows = shown_rows(len(raw))
            scatter.setData(x=raw[rows, i], y=raw[rows, j], brush=self._point_brushes(y[rows]))
        self._update_test_visibility()
        parts = [r[:, [i, j]] for r in (ds.raw_train, ds.raw_test) if len(r)]
        if parts:
            lo = np.min([p.min(axis=0) for p in parts], axis=0)
            hi = np.max([p.max(axis=0) for p in parts], axis=0)
            pad = 0.05 * np.maximum(hi - lo, 1e-9)
            bounds = (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])
            self.plot.setRange(xRange=bounds[:2], yRange=bounds[2:], padding=0)
            self.overlay.set_view((i, j), bounds)

    def _emit_view(self) -> None:
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        if x1 > x0 and y1 > y0:
            self.view_changed.emit((x0, x1, y0, y1))
            self.overlay.set_view(self.axes, (x0, x1, y0, y1))

    def _update_test_visibility(self, *_args) -> None:
        ds = self.dataset
        self.test_scatter.setVisible(bool(self.test_check.isChecked() and ds is not None
                                          and ds.has_test))

    def _combo_changed(self, _index: int) -> None:
        i, j = self.x_combo.currentIndex(), self.y_combo.currentIndex()
        if i < 0 or j < 0:
            return
        if i == j:  # the same input twice makes no plane: swap with the old pair instead
            old_i, old_j = self.axes
            i, j = (i, old_i) if self.sender() is self.x_combo else (old_j, j)
        self.set_axes(i, j)

"""``DecisionRegionPlot``: what the network predicts over the input plane, with the data on top.

The plane is two raw inputs for 2-D data; a table opens on the PCA plane of its training data
(the first two principal components, the grid mapped back through them) and may switch to its
two most informative inputs or any pair (``playground.data.plane``). The worker computes the
grid over the plane and sends the plane with it; the points are projected onto it here. The
plot is square and its range is the data's on the plane plus a margin, so no half of it is
empty extrapolation. Hovering a unit of the network diagram shows that unit's picture here
(``show_picture``) until the pointer leaves (``show_output``).

Binary classification: the positive-class probability as a heatmap with fixed levels 0..1.
K > 2 classes: each pixel the colour of its argmax class, alpha by confidence (an RGBA image).
Regression: the first output with levels fixed from the training targets' range.
The grid ``(xs, ys, outputs)`` has ``outputs[j, i]`` at ``(xs[i], ys[j])``: row-major, so the
image item is made row-major and takes it untransposed.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.data.plane import axis_plane
from playground.ui import perceptron_view
from playground.ui import plot_style as ps
from playground.ui.perceptron_view import PerceptronOverlay
from playground.ui.widgets import SquareBox

#: The plane choices a table offers: (label, the spec the worker resolves).
PLANES = (("PCA plane", "pca"), ("Most informative inputs", "informative"),
          ("Choose two inputs", "inputs"))

BINARY, MULTI, REGRESSION = "binary", "multi", "regression"
#: TensorFlow Playground's regions: pixel alpha 160 of 255, light enough that a point keeps
#: its own colour on a region of that colour and a misclassified one stands out
REGION_OPACITY = 160 / 255
#: At most this many points of each split are drawn (beyond, every k-th one).
MAX_SHOWN_POINTS = 2500


def shown_rows(n: int, limit: int = MAX_SHOWN_POINTS) -> np.ndarray:
    """The rows a scatter draws: all of them up to ``limit``, else an evenly spread, fixed
    subset (every k-th row), so a 300,000-row table opens at once and still looks like its
    data; the regions are computed from the model either way."""
    if n <= limit:
        return np.arange(n)
    return np.linspace(0, n - 1, limit).round().astype(np.int64)


def _frame(uv: np.ndarray, square: bool, margin: float = 0.05) -> tuple[float, ...]:
    """(u0, u1, v0, v1): the points' range plus ``margin`` of it on each side; ``square``
    gives both axes the same range (the 2-D sources share one unit, so a square plot of a
    square range shows the plane undistorted and without empty bands)."""
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    if square:
        lo, hi = np.full(2, lo.min()), np.full(2, hi.max())
    pad = margin * np.maximum(hi - lo, 1e-9)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0]),
            float(lo[1] - pad[1]), float(hi[1] + pad[1]))


class DecisionRegionPlot(QWidget):
    """Heatmap of the network's output over two raw inputs, training (and test) points."""

    axes_changed = Signal(int, int)
    #: the plane asked of the worker: "pca", "informative" or a pair of raw inputs (i, j)
    plane_changed = Signal(object)
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
        self.plane_combo = QComboBox()
        self.plane_combo.setAccessibleName("Input plane")
        self.plane_combo.setToolTip("Which plane of the inputs the regions show: the data's "
                                    "first two principal components, its two most "
                                    "informative inputs, or two inputs you choose (the "
                                    "others held at their training mean)")
        for label, spec in PLANES:
            self.plane_combo.addItem(label, spec)
        for combo in (self.plane_combo, self.x_combo, self.y_combo):
            combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(6)
        self.axes_row = QWidget()
        axes_layout = QHBoxLayout(self.axes_row)
        axes_layout.setContentsMargins(0, 0, 0, 0)
        axes_layout.addWidget(self.plane_combo, 2)
        self.pair_row = QWidget()
        pair_layout = QHBoxLayout(self.pair_row)
        pair_layout.setContentsMargins(0, 0, 0, 0)
        pair_layout.addWidget(QLabel("x:"))
        pair_layout.addWidget(self.x_combo, 1)
        pair_layout.addWidget(QLabel("y:"))
        pair_layout.addWidget(self.y_combo, 1)
        axes_layout.addWidget(self.pair_row, 3)

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
        # the regions at 63 % over the white ground, blended here once: an opaque image
        # draws several times faster than a translucent one, thirty times a second
        lut = self._colormap.getLookupTable(0.0, 1.0, 256).astype(np.float64)
        self._lut = (REGION_OPACITY * lut + (1 - REGION_OPACITY) * 255).astype(np.uint8)

        self.overlay = PerceptronOverlay(self.plot)
        self.banner = QLabel("")
        self.banner.setAccessibleName("Perceptron status")
        self.banner.setWordWrap(True)
        self.banner.setVisible(False)
        self.picture_label = QLabel("")
        self.picture_label.setAccessibleName("Picture shown")

        controls = QHBoxLayout()
        controls.addWidget(self.test_check)
        controls.addWidget(self.discretize_check)
        controls.addStretch(1)
        controls.addWidget(self.picture_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(controls)
        layout.addWidget(self.axes_row)
        layout.addWidget(self.banner)
        self.square = SquareBox(self.widget)
        layout.addWidget(self.square, 1)

        self.dataset = None
        self.run = None
        self.mode = BINARY
        self.levels = (0.0, 1.0)
        self.axes = (0, 1)
        self.plane = None             # the Plane the points and the grid are drawn on
        self._picture = False         # a unit's picture is shown instead of the output
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
        self.plane_combo.activated.connect(self._plane_chosen)
        self.axes_row.setVisible(False)
        self.widget.setAccessibleName("Decision regions")
        self.widget.scene().sigMouseClicked.connect(self._double_clicked)

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
        table = len(names) > 2
        self.axes_row.setVisible(table)
        self.plane_combo.setCurrentIndex(0)
        self.pair_row.setVisible(False)
        self.overlay.set_run(dataset, 0)
        self.set_banner("")
        self.plane = None
        self.axes = (-1, -1)
        if table:  # the worker sends the PCA plane with the first grid
            self.axes = (0, 1)
            for scatter in (self.train_scatter, self.test_scatter):
                scatter.setData([], [])
        else:
            self.set_axes(0, 1 if len(names) > 1 else 0, emit=False)
        self.test_check.setEnabled(dataset.has_test)

    def set_run(self, run) -> None:
        """A new run (``RunInfo``): its data, and a perceptron's decision lines."""
        self.run = run
        self.set_dataset(run.dataset)
        if run.output_activation == "step":
            self.overlay.set_run(run.dataset, run.n_outputs)
            self.set_banner(*perceptron_view.status_text(0, 0, None, None, None, None,
                                                         len(run.dataset.input_names) == 2))

    def set_axes(self, i: int, j: int, emit: bool = True) -> None:
        """Show the plane of raw inputs i (across) and j (up), the others at their training
        mean. The heatmap hides until a grid for that plane arrives."""
        i, j = int(i), int(j)
        if (i, j) == self.axes and self.plane is not None and self.plane.inputs == (i, j):
            return
        self.axes = (i, j)
        for combo, value in ((self.x_combo, i), (self.y_combo, j)):
            combo.blockSignals(True)
            combo.setCurrentIndex(value)
            combo.blockSignals(False)
        if self.dataset is None:
            return
        if self._table():
            self.plane_combo.setCurrentIndex(self.plane_combo.findData("inputs"))
            self.pair_row.setVisible(True)
        self._use_plane(axis_plane(self.dataset, i, j))
        if emit:
            self.axes_changed.emit(i, j)
            self.plane_changed.emit((i, j))

    def set_plane_spec(self, spec) -> None:
        """Ask for a plane by name ("pca", "informative") or a pair of inputs."""
        if isinstance(spec, (list, tuple)):
            self.set_axes(*spec)
            return
        index = self.plane_combo.findData(spec)
        if index >= 0:
            self.plane_combo.setCurrentIndex(index)
            self._plane_chosen(index)

    @property
    def plane_spec(self):
        """What the workspace keeps: "pca", "informative" or [i, j]."""
        spec = self.plane_combo.currentData()
        if spec == "inputs" or not self._table():
            return list(self.axes)
        return spec

    def _table(self) -> bool:
        """More raw inputs than the plane has axes: the plane is a choice."""
        return self.dataset is not None and len(self.dataset.input_names) > 2

    def _plane_chosen(self, index: int) -> None:
        spec = self.plane_combo.itemData(index)
        self.pair_row.setVisible(spec == "inputs")
        if spec == "inputs":
            i, j = self.axes if self.axes != (-1, -1) else (0, 1)
            self.axes = (-1, -1)
            self.set_axes(i, j)
            return
        self._grid = None
        self.image.clear()
        self.plane_changed.emit(spec)

    def _use_plane(self, plane) -> None:
        """Draw the points on ``plane``, label the axes and frame the data's range on it."""
        changed = plane != self.plane
        self.plane = plane
        self.plot.setLabel("bottom", plane.labels[0])
        self.plot.setLabel("left", plane.labels[1])
        if changed:
            self._grid = None
            self.image.clear()
        self._update_points()

    def set_banner(self, text: str, tone: str = "info") -> None:
        """A sentence above the plot (perceptron progress); empty hides it."""
        color = {"good": ps.GOOD_COLOR, "bad": ps.BAD_COLOR}.get(tone, ps.FOREGROUND)
        weight = "600" if tone in ("good", "bad") else "normal"
        self.banner.setStyleSheet(f"color: {color}; font-weight: {weight}; padding: 2px 4px;")
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    def show_snapshot(self, snap) -> None:
        """Adopt the plane the worker drew on; redraw a perceptron's lines and status, and
        the heatmap when the snapshot carries a grid."""
        if snap.plane is not None and snap.plane != self.plane:
            self._use_plane(snap.plane)
        if self.overlay.lines:
            if snap.units is not None and snap.unit_axes is not None:
                self.overlay.show_levels(*snap.unit_axes, snap.units[0])
            self.overlay.show_mistake(self._project_row(snap.last_mistake),
                                      snap.converged_epoch is not None)
            self._show_perceptron_status(snap)
        if snap.grid is None:
            return
        self._grid = snap.grid
        if not self._picture:
            self._render()

    def _project_row(self, row: int | None):
        ds = self.dataset
        if row is None or ds is None or self.plane is None or not 0 <= row < len(ds.raw_train):
            return None
        return self.plane.project(ds.raw_train[row:row + 1])[0]

    def _show_perceptron_status(self, snap) -> None:
        ds = self.dataset
        mistake = snap.last_mistake
        true_class = (str(ds.class_names[int(ds.y_train[mistake])])
                      if mistake is not None and 0 <= mistake < len(ds.y_train) else None)
        self.set_banner(*perceptron_view.status_text(
            snap.epoch, snap.total_epochs, snap.last("mistakes"), snap.converged_epoch,
            mistake, true_class, len(ds.input_names) == 2))

    def show_picture(self, axes, values: np.ndarray, title: str) -> None:
        """Show ``values`` (r, r), laid out as the grid over ``axes`` (us, vs), in place of the
        output: a unit's picture of the plane, on a symmetric diverging scale."""
        us, vs = axes
        v = np.nan_to_num(np.asarray(values, np.float64))
        top = float(np.abs(v).max()) or 1.0
        self._picture = True
        self.image.setLookupTable(self._lut)
        self.image.setImage((v / top + 1) / 2, autoLevels=False, levels=(0.0, 1.0))
        self._place(us, vs)
        self.picture_label.setText(title)

    def show_output(self) -> None:
        """Back to the network's output after a unit's picture."""
        if not self._picture:
            return
        self._picture = False
        self.picture_label.setText("")
        self.image.setLookupTable(None if self.mode == MULTI else self._lut)
        self.image.clear()
        self._render()

    # --- drawing ----------------------------------------------------------------------------

    def _render(self) -> None:
        if self._grid is None:
            return
        xs, ys, out = self._grid
        image = self._image_from_outputs(np.asarray(out))
        self.image.setImage(image, autoLevels=False, levels=self.levels)
        self._place(xs, ys)

    def _place(self, xs: np.ndarray, ys: np.ndarray) -> None:
        """Pixel centres on the grid points: extend half a step on every side."""
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
        ds, plane = self.dataset, self.plane
        if ds is None or plane is None:
            return
        extent = []
        for scatter, raw, y in ((self.train_scatter, ds.raw_train, ds.y_train),
                                (self.test_scatter, ds.raw_test, ds.y_test)):
            rows = shown_rows(len(raw))
            uv = plane.project(raw[rows]) if len(rows) else np.empty((0, 2))
            scatter.setData(x=uv[:, 0], y=uv[:, 1], brush=self._point_brushes(y[rows]))
            if len(uv):
                extent.append(uv)
        self._update_test_visibility()
        if extent:
            bounds = _frame(np.concatenate(extent), square=plane.kind == "axis"
                            and tuple(ds.input_names) == ("x1", "x2"))
            self.plot.setRange(xRange=bounds[:2], yRange=bounds[2:], padding=0)
            self.overlay.set_view(bounds)
            # a new run's worker knows nothing of the view: tell it even if the range held
            self._view_timer.start()

    def fit(self) -> None:
        """Frame the data again (after a pan or zoom): View > Fit, or a double-click."""
        self._update_points()

    def _double_clicked(self, event) -> None:
        if event.double():
            event.accept()
            self.fit()

    def _emit_view(self) -> None:
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        if x1 > x0 and y1 > y0:
            self.view_changed.emit((x0, x1, y0, y1))
            self.overlay.set_view((x0, x1, y0, y1))

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

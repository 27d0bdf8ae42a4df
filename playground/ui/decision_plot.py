"""``DecisionRegionPlot``: what the network predicts over the input plane, with the data on top.

The plane is two raw inputs for 2-D data; a table opens on the PCA plane of its training data
(the first two principal components, the grid mapped back through them) and may switch to its
two most informative inputs or any pair (``playground.data.plane``). The worker computes the
grid over the plane and sends the plane with it; the points are projected onto it here. The
plot is square and its range is the data's on the plane plus a margin, so no half of it is
empty extrapolation. Hovering a unit of the network diagram shows that unit's picture here
(``show_picture``) until the pointer leaves (``show_output``).

Binary classification: the positive-class probability as a heatmap with fixed levels 0..1.
K > 2 classes: each pixel the colour of its argmax class, faded towards the undecided grey as
its confidence falls, but never below ``MIN_STRENGTH`` of the colour, so ten classes stay
apart however unsure the model (an opaque RGB image, ``region_colors``).
Regression: the first output with levels fixed from the training targets' range, read off a
colour bar under the plot labelled with the target's name, in its units.
The grid ``(xs, ys, outputs)`` has ``outputs[j, i]`` at ``(xs[i], ys[j])``: row-major, so the
image item is made row-major and takes it untransposed.

A legend in the emptiest corner names each class's colour (``RegionLegend``). Points whose
plane axes take a few values only (digits' pixels 0..16) would pile up on a lattice: they are
drawn jittered, each a fixed small offset (``jitter_noise``), the data untouched.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from playground.data.plane import axis_plane
from playground.ui import perceptron_view
from playground.ui import plot_style as ps
from playground.ui.perceptron_view import PerceptronOverlay
from playground.ui.region_legend import Entry, RegionLegend
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
#: K > 2 classes: a region's colour is NEUTRAL blended towards its class colour by
#: m = MIN_STRENGTH + (1 - MIN_STRENGTH) a, a = 0 at a coin toss (confidence 1/K) to 1 when
#: certain. At 0.7 the two closest of the ten class colours (brown and grey) still differ by
#: CIE76 delta-E 10.6 at a coin toss (about four just-noticeable differences; 2.3 before,
#: when the colour faded to white), and a class's colour still changes by 7 to 18 as the
#: model grows sure.
MIN_STRENGTH = 0.7
#: An axis whose drawn points take at most DISCRETE_LEVELS values, each held by two points
#: on average at least, is a lattice: its points are jittered by up to JITTER of its step.
DISCRETE_LEVELS = 32
JITTER = 0.3


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
    square range shows the plane undistorted and without empty bands). An axis on which
    every point has the same value (a digit's always-blank corner pixel) spans that value
    +- 0.5, not +- 1e-9 of it."""
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    flat = hi - lo <= 1e-9 * np.maximum(1.0, np.abs(lo))
    lo, hi = np.where(flat, lo - 0.5, lo), np.where(flat, hi + 0.5, hi)
    if square:
        lo, hi = np.full(2, lo.min()), np.full(2, hi.max())
    pad = margin * np.maximum(hi - lo, 1e-9)
    return (float(lo[0] - pad[0]), float(hi[0] + pad[0]),
            float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def region_colors(out: np.ndarray, discrete: bool = False) -> np.ndarray:
    """K-class probabilities (..., K) -> opaque region colours (..., 3) uint8: NEUTRAL
    blended towards the argmax class's colour by m (``MIN_STRENGTH``; 1 when ``discrete``),
    then painted at ``REGION_OPACITY`` over white, as the binary regions are."""
    k = out.shape[-1]
    cls = out.argmax(axis=-1)
    if discrete:
        m = np.ones(cls.shape)
    else:
        conf = np.nan_to_num(out.max(axis=-1), nan=0.0)
        a = np.clip((conf - 1.0 / k) / (1.0 - 1.0 / k), 0.0, 1.0)
        m = MIN_STRENGTH + (1.0 - MIN_STRENGTH) * a
    neutral = np.array(pg.mkColor(ps.NEUTRAL).getRgb()[:3], np.float64)
    mix = neutral + m[..., None] * (ps.palette_rgb(k).astype(np.float64)[cls] - neutral)
    return np.rint(REGION_OPACITY * mix + (1 - REGION_OPACITY) * 255).astype(np.uint8)


def jitter_noise(n: int, seed: int) -> np.ndarray:
    """(n, 2) fixed offsets in [-1, 1), one pair per row of a split (seeded: a row keeps its
    place from frame to frame and run to run)."""
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n, 2))


def jitter_scale(uv: np.ndarray) -> np.ndarray:
    """(2,) how far to jitter the points ``uv`` (n, 2) along each axis: ``JITTER`` of the
    smallest gap between its values on a lattice axis (``DISCRETE_LEVELS``), else 0."""
    scale = np.zeros(2)
    for a in range(2):
        levels = np.unique(uv[:, a][np.isfinite(uv[:, a])])
        if 2 <= len(levels) <= DISCRETE_LEVELS and len(uv) >= 2 * len(levels):
            scale[a] = JITTER * float(np.diff(levels).min())
    return scale


def axis_labels(plane) -> tuple[str, str]:
    """What each axis is: an input's name (its raw values, in the data's units), or a
    principal component (of the standardized inputs: its unit is one standard deviation)
    with its share of their variance."""
    if plane.kind != "pca" or plane.explained is None:
        return plane.labels
    return tuple(f"PC {n} ({share:.0%} of the variance)"
                 for n, share in enumerate(plane.explained, start=1))


def set_axis_label(axis: pg.AxisItem, text: str) -> None:
    """Label an axis, centred on it (pyqtgraph centres a label only when the axis resizes,
    so a longer new label would run off the plot's edge)."""
    axis.setLabel(text)
    axis.resizeEvent()


#: distinct colours of a regression's points (the eye tells fewer apart)
POINT_SHADES = 64
#: a click picks the training point drawn nearest to it, within this many pixels
PICK_RADIUS = 10

DISCRETIZE_TIP = ("Colour each point by the predicted class only (p >= 0.5, or the most "
                  "probable class), without the paler shades of uncertainty")

class DecisionRegionPlot(QWidget):
    """Heatmap of the network's output over two raw inputs, training (and test) points."""

    axes_changed = Signal(int, int)
    #: the plane asked of the worker: "pca", "informative" or a pair of raw inputs (i, j)
    plane_changed = Signal(object)
    #: the visible input-plane rectangle (x0, x1, y0, y1), after a pan, zoom or resize settles
    view_changed = Signal(object)
    #: a click near a drawn training point: that point's row in the training split
    sample_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.test_check = QCheckBox("Show test data")
        self.test_check.setAccessibleName("Show test data")
        self.test_check.setToolTip("Draw the test points (triangles, dark outline)")
        self.discretize_check = QCheckBox("Discretize output")
        self.discretize_check.setAccessibleName("Discretize output")
        self.discretize_check.setToolTip(DISCRETIZE_TIP)
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
        # the sample the inspector shows: a ring around its point
        self.picked = pg.ScatterPlotItem(size=17, symbol="o", brush=pg.mkBrush(None),
                                         pen=pg.mkPen("#d81b60", width=2.5))
        self.picked.setZValue(5)
        self.plot.addItem(self.picked)
        self._picked_row: int | None = None
        self._train_rows = np.zeros(0, np.int64)   # the training rows drawn, scatter order
        self._colormap = ps.diverging_colormap()
        self._shade_brushes: list | None = None   # a regression's point brushes, made once
        # the regions at 63 % over the white ground, blended here once: an opaque image
        # draws several times faster than a translucent one, thirty times a second
        lut = self._colormap.getLookupTable(0.0, 1.0, 256).astype(np.float64)
        self._lut = (REGION_OPACITY * lut + (1 - REGION_OPACITY) * 255).astype(np.uint8)
        # regression: the surface's scale under the plot, in the regions' own colours
        self.colorbar = pg.ColorBarItem(
            values=(0.0, 1.0), width=12, interactive=False, orientation="horizontal",
            colorMapMenu=False,
            colorMap=pg.ColorMap(np.linspace(0.0, 1.0, len(self._lut)), self._lut))
        for name in ("left", "right", "top", "bottom"):
            self.colorbar.getAxis(name).enableAutoSIPrefix(False)
        ps.follow_theme(self.colorbar, ps.style_plot)
        self.colorbar.setVisible(False)
        self.legend = RegionLegend(self.plot)

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
        #: split -> (noise (n, 2), scale (2,)): how its points are jittered, if they are
        self._jitter: dict[str, tuple[np.ndarray, np.ndarray]] = {}
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
        self.widget.scene().sigMouseClicked.connect(self._clicked)

    # --- model -> view ----------------------------------------------------------------------

    def set_dataset(self, dataset) -> None:
        """A new run: modes, fixed levels, points; the heatmap waits for the first grid."""
        self.dataset = dataset
        self._grid = None
        self._picked_row = None
        self.picked.setData([], [])
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
        self._show_colorbar(dataset)
        self.legend.set_entries(self._legend_entries(0))
        self._jitter = {}
        regression = dataset.task == "regression"   # no classes to snap to
        self.discretize_check.setEnabled(not regression)
        self.discretize_check.setToolTip(
            "A regression's output is a number, not a class: there is nothing to discretize"
            if regression else DISCRETIZE_TIP)
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
            self.legend.set_entries(self._legend_entries(run.n_outputs))
            self._place_legend()
            self.set_banner(*perceptron_view.status_text(0, 0, None, None, None, None,
                                                         len(run.dataset.input_names) == 2))

    def _legend_entries(self, n_lines: int) -> list[tuple[str, Entry]]:
        """Each class's name and colour (none for a regression); a perceptron's lines: one
        per class, in the class's colour (one-vs-rest), or one dark decision line."""
        ds = self.dataset
        if self.mode == REGRESSION:
            return []
        names = [str(n) for n in ds.class_names]
        if len(names) == 2 and all(n.lstrip("+-").isdigit() for n in names):
            names = [f"class {n}" for n in names]    # "0" alone reads as a number
        colors = [pg.mkColor(*rgb).name() for rgb in ps.palette_rgb(len(names))]
        lines = n_lines == len(names)
        entries = [(n, Entry(c, line=lines)) for n, c in zip(names, colors)]
        if n_lines == 1:
            entries.append(("decision line", Entry(perceptron_view.line_colors(1)[0], True)))
        return entries

    def _show_colorbar(self, dataset) -> None:
        """Under the plot for a regression (its target's name, the fixed levels), else out
        of the plot's layout altogether, so it takes no room."""
        bar, layout = self.colorbar, self.plot.layout
        regression = self.mode == REGRESSION
        if regression:
            names = dataset.target_names
            bar.setLevels(self.levels)
            set_axis_label(bar.getAxis("bottom"),
                           f"predicted {names[0] if names else 'target'}")
        inside = any(layout.itemAt(i) is bar for i in range(layout.count()))
        if regression and not inside:
            layout.addItem(bar, 4, 1)
        elif not regression and inside:
            layout.removeItem(bar)
        bar.setVisible(regression)

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
        for name, text in zip(("bottom", "left"), axis_labels(plane)):
            set_axis_label(self.plot.getAxis(name), text)
        if changed:
            self._grid = None
            self.image.clear()
        self._update_points()

    def set_banner(self, text: str, tone: str = "info") -> None:
        """A sentence above the plot (perceptron progress); empty hides it."""
        ps.style_banner(self.banner, tone)   # the tone's colour in the theme, and after
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
            self._note_lines()
        if snap.grid is None:
            return
        self._grid = snap.grid
        if not self._picture:
            self._render()

    def _project_row(self, row: int | None):
        """Where training row ``row`` is drawn (jittered as its point is)."""
        ds = self.dataset
        if row is None or ds is None or self.plane is None or not 0 <= row < len(ds.raw_train):
            return None
        uv = self.plane.project(ds.raw_train[row:row + 1])[0]
        noise, scale = self._jitter.get("train", (None, None))
        return uv if noise is None else uv + noise[row] * scale

    def _note_lines(self) -> None:
        """A perceptron line that does not cross the view says so in the legend."""
        entries = self.legend.entries
        lines = [i for i, entry in enumerate(entries) if entry.line]
        base = self._legend_entries(len(self.overlay.lines))
        for i, shown in zip(lines, self.overlay.in_view()):
            text = base[i][0]
            self.legend.set_text(i, text if shown else f"{text} (line outside the view)")

    def _show_perceptron_status(self, snap) -> None:
        ds = self.dataset
        config = getattr(self.run, "config", None)
        data = config.data if config is not None else None
        mistake = snap.last_mistake
        true_class = (str(ds.class_names[int(ds.y_train[mistake])])
                      if mistake is not None and 0 <= mistake < len(ds.y_train) else None)
        self.set_banner(*perceptron_view.status_text(
            snap.epoch, snap.total_epochs, snap.last("mistakes"), snap.converged_epoch,
            mistake, true_class, len(ds.input_names) == 2,
            source=data.source if data else None, feature_names=ds.feature_names,
            noise=data.noise if data else None))

    def show_picture(self, axes, values: np.ndarray, title: str) -> None:
        """Show ``values`` (r, r), laid out as the grid over ``axes`` (us, vs), in place of the
        output: a unit's picture of the plane, on a symmetric diverging scale."""
        us, vs = axes
        v = np.nan_to_num(np.asarray(values, np.float64))
        top = float(np.abs(v).max()) or 1.0
        self._picture = True
        self.legend.item.setVisible(False)      # the picture is a unit's, not the classes'
        self.image.setLookupTable(self._lut)
        self.image.setImage((v / top + 1) / 2, autoLevels=False, levels=(0.0, 1.0))
        self._place(us, vs)
        self.picture_label.setText(title)

    def show_output(self) -> None:
        """Back to the network's output after a unit's picture."""
        if not self._picture:
            return
        self._picture = False
        self.legend.item.setVisible(bool(self.legend.entries))
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
            return out[..., 0].astype(np.float64)
        if self.mode == BINARY:
            p = out[..., 1] if out.shape[-1] > 1 else out[..., 0]
            p = np.nan_to_num(p.astype(np.float64), nan=0.5)
            return (p >= 0.5).astype(np.float64) if discrete else p
        return region_colors(out, discrete)

    def drawn_rgb(self) -> np.ndarray | None:
        """The region colours as drawn (r, r, 3) uint8, the image's rows bottom to top (what
        a test reads; the binary and regression images are mapped through their LUT)."""
        img = self.image.image
        if img is None:
            return None
        if img.ndim == 3:
            return np.asarray(img[..., :3], np.uint8)
        lo, hi = self.image.getLevels()
        index = np.clip((np.asarray(img, np.float64) - lo) / ((hi - lo) or 1.0), 0.0, 1.0)
        return self._lut[np.rint(index * (len(self._lut) - 1)).astype(int)][..., :3]

    def _point_brushes(self, y: np.ndarray) -> list:
        if self.mode == REGRESSION:
            lo, hi = self.levels
            y = np.asarray(y, dtype=np.float64)
            first = y[:, 0] if y.ndim == 2 else y        # (0, 1) without a test split
            v = np.clip((first - lo) / (hi - lo), 0, 1)
            # quantized to POINT_SHADES shared brushes: pyqtgraph renders one symbol image
            # per distinct brush, and 1,200 distinct ones cost 200 ms on a data switch
            shade = np.rint(v * (POINT_SHADES - 1)).astype(int)
            if self._shade_brushes is None:
                colors = self._colormap.map(np.linspace(0, 1, POINT_SHADES), mode="qcolor")
                self._shade_brushes = [QBrush(c) for c in colors]
            return [self._shade_brushes[k] for k in shade]
        return [self._class_brushes[int(c)] for c in y]

    def _update_points(self) -> None:
        ds, plane = self.dataset, self.plane
        if ds is None or plane is None:
            return
        extent = []
        self._jitter = {}
        for split, seed, scatter, raw, y in (
                ("train", 0, self.train_scatter, ds.raw_train, ds.y_train),
                ("test", 1, self.test_scatter, ds.raw_test, ds.y_test)):
            rows = shown_rows(len(raw))
            if split == "train":
                self._train_rows = rows
            uv = plane.project(raw[rows]) if len(rows) else np.empty((0, 2))
            scale = jitter_scale(uv)
            if scale.any():   # drawn a little apart; the data (and the regions) untouched
                noise = jitter_noise(len(raw), seed)
                self._jitter[split] = (noise, scale)
                uv = uv + noise[rows] * scale
            scatter.setData(x=uv[:, 0], y=uv[:, 1], brush=self._point_brushes(y[rows]))
            if len(uv):
                extent.append(uv)
        self._update_test_visibility()
        self.mark_row(self._picked_row)
        if extent:
            bounds = _frame(np.concatenate(extent), square=plane.kind == "axis"
                            and tuple(ds.input_names) == ("x1", "x2"))
            self.plot.setRange(xRange=bounds[:2], yRange=bounds[2:], padding=0)
            self.overlay.set_view(bounds)
            self._place_legend()
            # a new run's worker knows nothing of the view: tell it even if the range held
            self._view_timer.start()

    def drawn_points(self) -> np.ndarray:
        """(n, 2) where the training points are drawn (the shown rows, jittered)."""
        data = self.train_scatter.data
        return np.column_stack([data["x"], data["y"]]) if len(data) else np.empty((0, 2))

    def _place_legend(self) -> None:
        self.legend.place(self.drawn_points())

    def fit(self) -> None:
        """Frame the data again (after a pan or zoom): View > Fit, or a double-click."""
        self._update_points()

    def _clicked(self, event) -> None:
        """A double-click frames the data; a click near a training point picks its row."""
        if event.double():
            event.accept()
            self.fit()
            return
        if event.button() != Qt.LeftButton:
            return
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(event.scenePos()):
            return
        row = self.row_at(vb.mapSceneToView(event.scenePos()))
        if row is not None:
            event.accept()
            self.sample_clicked.emit(row)

    def row_at(self, point, radius: float = PICK_RADIUS) -> int | None:
        """The training row drawn nearest to ``point`` (a QPointF in plot coordinates), if
        it is within ``radius`` pixels of it on screen; None otherwise."""
        drawn = self.drawn_points()
        if not len(drawn) or not self.train_scatter.isVisible():
            return None
        px, py = self.plot.getViewBox().viewPixelSize()
        d2 = ((drawn[:, 0] - point.x()) / (px or 1.0)) ** 2 + \
            ((drawn[:, 1] - point.y()) / (py or 1.0)) ** 2
        k = int(np.nanargmin(d2))
        return int(self._train_rows[k]) if d2[k] <= radius ** 2 else None

    def mark_row(self, row: int | None) -> None:
        """Ring training row ``row``'s point (where it is drawn, jittered as it is); None
        removes the ring."""
        self._picked_row = row
        uv = self._project_row(row)
        if uv is None:
            self.picked.setData([], [])
        else:
            self.picked.setData([uv[0]], [uv[1]])

    def _emit_view(self) -> None:
        (x0, x1), (y0, y1) = self.plot.getViewBox().viewRange()
        if x1 > x0 and y1 > y0:
            self.view_changed.emit((x0, x1, y0, y1))
            self.overlay.set_view((x0, x1, y0, y1))
            self._place_legend()

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

"""``DynamicsView``: how each layer trains, from the snapshot's recorded dynamics.

Four plots over the recorded epochs (``engine.dynamics``; ``Snapshot.dynamics``):

- gradient norm per layer on a log axis (the RMS over the epoch's steps of ||dL/dW||, as the
  optimizer gets it): a first layer far below the last one is a vanishing gradient, a rising
  one an exploding gradient; epochs in which clipping changed the gradient are marked at the
  top;
- update-to-weight ratio per layer on a log axis, ||dW|| / ||W|| per step, with a faint line
  at 1e-3, the usual healthy value (far below: the layer barely learns; near 1: it is
  rewritten every step);
- the weights of one layer (the combo box) over time, TensorBoard's histogram heat map:
  each column is an epoch's histogram, darker where more weights lie;
- activation health: the share of dead ReLU-like units and of saturated sigmoid or tanh
  outputs on a fixed sample of training rows, 0 to 1.

One colour per layer, input side first, in every plot; layers are named as the network
diagram names them ("layer 1" ... "output"), a batchnorm's gamma by its layer, dashed.
Items are made once per run (``set_run``); ``show_snapshot`` only sets data, and only while
the view is visible (a hidden tab keeps the latest snapshot and draws it when shown). The
snapshot's dynamics object stays the same until new records arrive; a redraw comes at most
every REDRAW_SECONDS, one plot per turn of the event loop, so that no frame pays for all
four (bench/ui.py's stalls).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QVBoxLayout, QWidget

from playground.engine.dynamics import health_of
from playground.ui import plot_style as ps

#: the healthy update-to-weight ratio per step (Karpathy, CS231n)
HEALTHY_RATIO = 1e-3
#: at most this many columns in the heat map (the snapshot holds up to 256)
HEAT_COLUMNS = 256
HEALTH_TIP = ("Activation health, a share from 0 to 1: dead units (ReLU-like: never positive "
              "on a sample of training rows) or saturated outputs (sigmoid, tanh: within "
              "0.01 of their limits, where the gradient nearly vanishes).")
#: the plots redraw at most this often (their data moves slowly; a redraw of all four in
#: one go would hold the event loop for a frame), one plot per event-loop turn
REDRAW_SECONDS = 0.5


@dataclass(frozen=True)
class Series:
    """A drawn quantity of one module: its snapshot key, legend name and layer colour."""

    index: int
    name: str
    group: int          # colour index: 0 the first layer ... n - 1 the output
    dashed: bool = False


def module_names(modules) -> dict[int, tuple[str, int]]:
    """module index -> (name, layer group) as the network diagram names layers: the k-th
    Linear is "layer k" (the last "output"); the modules after it belong to it ("layer k
    tanh", "layer k batchnorm"); those before the first Linear to the inputs (group -1)."""
    out: dict[int, tuple[str, int]] = {}
    linears = [m.index for m in modules if m.kind == "linear"]
    for m in modules:
        before = sum(1 for i in linears if i < m.index)
        if m.kind == "linear":
            out[m.index] = ("output" if m.index == linears[-1] else f"layer {before + 1}",
                            before)
            continue
        owner = "inputs" if before == 0 else f"layer {before}"
        what = m.activation if m.kind == "activation" else m.kind
        out[m.index] = (f"{owner} {what}", before - 1)
    return out


class DynamicsView(QWidget):
    """Per-layer gradient norms, update ratios, a weight heat map and activation health."""

    #: a frame that redraws the regions may leave this view to the next one
    skips_grid_frames = True

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Training dynamics")
        self.applies = True
        self._grad_curves: dict[int, pg.PlotDataItem] = {}
        self._ratio_curves: dict[int, pg.PlotDataItem] = {}
        self._health_curves: dict[int, pg.PlotDataItem] = {}
        self._curves_shape: tuple | None = None   # the shape the curves above were made for
        self._series: list[Series] = []
        self._health: list[Series] = []
        self._groups = 1
        self._shape: tuple | None = None   # (groups, series, health) of the run shown
        self._snap = None
        self._drawn = None
        self._every = 1
        self._clips = False
        self._heat_range = None
        self._stale: list = []          # the plots still to draw from ``_drawn``
        self._cycle_start = -math.inf
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._draw_next)
        self.legend = QLabel("")
        self.legend.setAccessibleName("Dynamics legend")
        self.legend.setWordWrap(True)
        self.note = QLabel("")
        self.note.setAccessibleName("Dynamics note")
        self.note.setWordWrap(True)
        self.combo = QComboBox()
        self.combo.setAccessibleName("Weights heat map layer")
        self.combo.setToolTip("Whose weights the heat map below shows")
        self.combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(5)
        self.combo.currentIndexChanged.connect(self._show_heat)

        self.grad_widget, self.grad_plot = self._plot("Gradient norm",
                                                      "‖∂L/∂W‖: the RMS over each epoch's "
                                                      "steps of the weight gradient's norm, "
                                                      "after L1/L2 and clipping; ▼ marks "
                                                      "epochs "
                                                      "in which clipping acted")
        self.ratio_widget, self.ratio_plot = self._plot(
            "Update / weight", "‖ΔW‖ / ‖W‖: the size of one step's change of the weights "
            "relative to the weights, averaged over the epoch's steps; the dashed line is "
            "1e-3, the usual healthy value")
        self.health_widget, self.health_plot = self._plot("Activation health", HEALTH_TIP)
        self.heat_widget, self.heat_plot = self._plot(
            "Weights", "Each column is an epoch's histogram of the layer's "
            "weights: darker where more of them lie (each column scaled to its fullest bin)")
        for plot in (self.grad_plot, self.ratio_plot):
            plot.setLogMode(y=True)
        self.ratio_plot.setXLink(self.grad_plot)
        self.health_plot.setXLink(self.grad_plot)
        self.heat_plot.setXLink(self.grad_plot)
        self.health_plot.setYRange(0.0, 1.0, padding=0.03)
        self.health_plot.getAxis("left").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        self.heat_plot.getAxis("left").setLabel("weight")
        self._x_range = ps.SteppedRange(self.grad_plot, "x", from_zero=True, min_fill=0.0,
                                        empty=ps.epoch_frame())
        self._grad_range = ps.SteppedRange(self.grad_plot, "y")
        self._ratio_range = ps.SteppedRange(self.ratio_plot, "y")
        for r in (self._grad_range, self._ratio_range):
            r.set_log(True)
        self.reference = pg.InfiniteLine(pos=math.log10(HEALTHY_RATIO), angle=0, movable=False,
                                         label="10⁻³", labelOpts={"position": 0.97,
                                                                     "anchors": [(1, 0), (1, 0)]})
        self.ratio_plot.addItem(self.reference, ignoreBounds=True)
        self.clip_marks = self.grad_plot.plot([], [], pen=None, symbol="t", symbolSize=5)
        self.heat = pg.ImageItem(axisOrder="col-major")
        self.heat_plot.addItem(self.heat)
        self.heat_plot.enableAutoRange(enable=False)
        self._restyle(ps.theme())
        ps.follow_theme(self, DynamicsView._restyle)

        heat_box = QWidget()
        heat_layout = QVBoxLayout(heat_box)
        heat_layout.setContentsMargins(0, 0, 0, 0)
        heat_layout.setSpacing(0)
        heat_layout.addWidget(self.combo)
        heat_layout.addWidget(self.heat_widget, 1)
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(2)
        grid.addWidget(self.grad_widget, 0, 0)
        grid.addWidget(self.ratio_widget, 0, 1)
        grid.addWidget(self.health_widget, 1, 0)
        grid.addWidget(heat_box, 1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.legend)
        layout.addWidget(self.note)
        layout.addLayout(grid, 1)


    def _plot(self, title: str, tip: str) -> tuple[pg.PlotWidget, pg.PlotItem]:
        widget = ps.make_plot_widget()
        widget.setToolTip(tip)
        widget.setAccessibleName(title)
        widget.setMinimumSize(60, 60)
        plot = widget.getPlotItem()
        plot.setTitle(title, color=ps.theme().foreground, size="9pt")
        plot.getAxis("left").setWidth(44)
        return widget, plot

    def _restyle(self, t: ps.PlotTheme) -> None:
        faint = pg.mkColor(t.foreground)
        faint.setAlpha(110)
        self.reference.setPen(pg.mkPen(faint, width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
        self.reference.label.setColor(pg.mkColor(t.foreground))   # the line faint, its text not
        self.clip_marks.setSymbolBrush(pg.mkBrush(t.bad))
        self.clip_marks.setSymbolPen(pg.mkPen(t.bad))
        ground, ink = pg.mkColor(t.background), pg.mkColor(ps.BLUE if t is ps.LIGHT
                                                          else "#7cc4ff")
        self.heat.setLookupTable(pg.ColorMap([0.0, 1.0], [ground, ink]).getLookupTable(
            nPts=64, alpha=False))
        self.heat.setLevels((0.0, 1.0))
        self._write_legend(t)

    # --- a run --------------------------------------------------------------------------------

    def set_run(self, run) -> None:
        """A new run: one curve per tracked weight and watched activation, named and coloured
        by layer; empty until the first record."""
        self.applies = run.kind == "mlp"
        names = module_names(run.modules)
        self._groups = max(1, len(run.linears))
        self._series = [Series(m.index, names[m.index][0], names[m.index][1],
                               m.kind == "batchnorm")
                        for m in run.modules if m.kind in ("linear", "batchnorm")]
        watched = [m for m in run.modules
                   if m.kind == "activation" and health_of(m.activation) is not None]
        self._health = [Series(m.index, names[m.index][0], names[m.index][1])
                        for m in watched]
        shape = (self._groups, tuple(self._series), tuple(self._health))
        if shape == self._curves_shape:
            # the same layers as the run before (a new dataset, a reset): its curves, emptied
            # (making a pyqtgraph curve costs ~2-5 ms, and a new run should not wait for it)
            for curves in (self._grad_curves, self._ratio_curves, self._health_curves):
                for curve in curves.values():
                    curve.setData([], [])
        self._shape = shape
        if self.isVisible():     # hidden (another tab in front): made when first needed
            self._ensure_curves()
        self.combo.blockSignals(True)
        self.combo.clear()
        for s in self._series:
            self.combo.addItem(f"{s.name} γ" if s.dashed else s.name, s.index)
        self.combo.blockSignals(False)
        kinds: dict[str, list[str]] = {}     # "dead" / "saturated": the activations so watched
        for m in watched:
            names_ = kinds.setdefault(health_of(m.activation), [])
            if m.activation not in names_:
                names_.append(m.activation)
        title = " · ".join(sorted(kinds)).capitalize() or "No activations to watch"
        self.health_plot.setTitle(title, color=ps.theme().foreground, size="9pt")
        self.health_widget.setToolTip(HEALTH_TIP + "".join(
            f" This run: {k} {', '.join(a)}." for k, a in sorted(kinds.items())))
        self._every = run.dynamics_every
        clip = run.config.train.clip
        self._clips = clip.norm is not None or clip.value is not None
        self._x_range.reset(ps.epoch_frame(run.config.train.epochs))
        self._grad_range.reset()
        self._ratio_range.reset()
        self.clip_marks.setData([], [])
        self.heat.clear()
        self._heat_range = None
        self._snap = self._drawn = None
        self._stale = []
        self._timer.stop()
        self._write_legend(ps.theme())
        self._show_note(None)

    @property
    def grad_curves(self) -> dict[int, pg.PlotDataItem]:
        """The gradient-norm curve of each tracked tensor, by module index."""
        self._ensure_curves()
        return self._grad_curves

    @property
    def ratio_curves(self) -> dict[int, pg.PlotDataItem]:
        self._ensure_curves()
        return self._ratio_curves

    @property
    def health_curves(self) -> dict[int, pg.PlotDataItem]:
        self._ensure_curves()
        return self._health_curves

    def _ensure_curves(self) -> None:
        """Make the run's curves if its layers differ from those they were made for: when
        the view shows, or is asked for them. A new run's layers (a layer added while
        another tab is in front) then cost the window nothing until the tab is opened:
        a dozen curves are 30-40 ms."""
        if self._curves_shape == self._shape:
            return
        for plot, curves in ((self.grad_plot, self._grad_curves),
                             (self.ratio_plot, self._ratio_curves),
                             (self.health_plot, self._health_curves)):
            for curve in curves.values():
                plot.removeItem(curve)
            curves.clear()
        for s in self._series:
            self._grad_curves[s.index] = self._curve(self.grad_plot, s)
            self._ratio_curves[s.index] = self._curve(self.ratio_plot, s)
        for s in self._health:
            self._health_curves[s.index] = self._curve(self.health_plot, s)
        self._curves_shape = self._shape

    def _curve(self, plot: pg.PlotItem, s: Series) -> pg.PlotDataItem:
        groups = self._groups

        def color(t: ps.PlotTheme) -> str:
            if s.group < 0:
                return t.foreground
            return ps.layer_colors(groups, t)[min(s.group, groups - 1)]
        return ps.live_curve(plot, color, dashed=s.dashed, name=s.name)

    def _write_legend(self, t: ps.PlotTheme) -> None:
        """One line: each layer's colour and name ("layer" once when there are many)."""
        if not self._series:
            self.legend.setText("")
            return
        colors = ps.layer_colors(self._groups, t)
        linears = [s for s in self._series if not s.dashed]
        short = len(linears) > 4

        def name(s: Series) -> str:
            return s.name.removeprefix("layer ") if short and s.name != "output" else s.name
        parts = [f'<span style="color:{colors[s.group]}">━</span>&nbsp;{name(s)}'
                 for s in linears]
        if any(s.dashed for s in self._series):
            parts.append("╍&nbsp;batchnorm γ")
        if self._clips:
            parts.append(f'<span style="color:{t.bad}">▼</span>&nbsp;clipped')
        self.legend.setText(f'<span style="color:{t.foreground}">' + ("layers " if short
                                                                      else "")
                            + " &nbsp;".join(parts) + "</span>")

    def _show_note(self, data) -> None:
        """Say when the first record comes, until it has."""
        if data is not None:
            self.note.hide()
            return
        every = self._every
        when = "every epoch" if every == 1 else f"every {every} epochs"
        self.note.setText(f"Recorded {when}: the first figures come at the end of epoch "
                          f"{every}." if every else "This run records no dynamics.")
        self.note.setVisible(self.applies)

    # --- snapshots ----------------------------------------------------------------------------

    def show_snapshot(self, snap) -> None:
        self._snap = snap
        self._schedule()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self._ensure_curves()
        self._schedule()

    def _schedule(self) -> None:
        """Start a redraw of the latest data when there is one to make: at most one every
        REDRAW_SECONDS, one plot per event-loop turn (``_draw_next``), while visible."""
        if self._timer.isActive() or not self.isVisible():
            return
        data = None if self._snap is None else self._snap.dynamics
        if data is self._drawn and not self._stale:
            return
        wait = 0.0 if self._stale else self._cycle_start + REDRAW_SECONDS - time.monotonic()
        self._timer.start(int(1000 * min(max(wait, 0.0), REDRAW_SECONDS)))

    def _draw_next(self) -> None:
        if not self._stale:
            data = None if self._snap is None else self._snap.dynamics
            if data is self._drawn:
                return
            self._drawn = data
            self._cycle_start = time.monotonic()
            self._show_note(data)
            if data is None:
                return
            self._stale = [self._draw_grads, self._draw_ratios, self._draw_health,
                           self._show_heat]
        self._stale.pop(0)()
        self._schedule()

    def flush(self) -> None:
        """Draw the latest snapshot's dynamics now, whole (tests; a hidden view too)."""
        self._timer.stop()
        self._stale = []
        self._cycle_start = -math.inf
        data = None if self._snap is None else self._snap.dynamics
        if data is not self._drawn:
            self._draw_next()
        while self._stale:
            self._stale.pop(0)()
        self._timer.stop()

    def _draw_grads(self) -> None:
        curves = self._drawn.curves
        epochs = curves["epoch"]
        grads = [self._set(self.grad_curves[s.index], epochs,
                           curves.get(f"grad_norm.{s.index}"), log=True)
                 for s in self._series]
        if epochs.size:
            self._x_range.update(0.0, float(epochs[-1]))
        self._step(self._grad_range, grads)
        self._mark_clipping(epochs, curves.get("clipped"))

    def _draw_ratios(self) -> None:
        curves = self._drawn.curves
        ratios = [self._set(self.ratio_curves[s.index], curves["epoch"],
                            curves.get(f"update_ratio.{s.index}"), log=True)
                  for s in self._series]
        self._step(self._ratio_range, ratios + [np.array([HEALTHY_RATIO])])

    def _draw_health(self) -> None:
        curves = self._drawn.curves
        for s in self._health:
            values = curves.get(f"dead.{s.index}")
            if values is None:
                values = curves.get(f"saturated.{s.index}")
            self._set(self.health_curves[s.index], curves["epoch"], values)

    @staticmethod
    def _set(curve, x, y, log: bool = False) -> np.ndarray:
        x, y = ps.finite_xy(x, y)
        if log:
            keep = y > 0
            x, y = x[keep], y[keep]
        ps.show_xy(curve, x, y)
        return y

    @staticmethod
    def _step(stepped: ps.SteppedRange, values: list[np.ndarray]) -> None:
        values = [v for v in values if v.size]
        if values:
            y = np.concatenate(values)
            stepped.update(float(y.min()), float(y.max()))

    def _mark_clipping(self, epochs, clipped) -> None:
        x, c = ps.finite_xy(epochs, clipped)
        x = x[c > 0]
        rng = self._grad_range.range
        if not x.size or rng is None:
            self.clip_marks.setData([], [])
            return
        lo, hi = rng
        top = 10.0 ** (hi - 0.06 * (hi - lo))
        self.clip_marks.setData(x, np.full(x.size, top))

    def _show_heat(self) -> None:
        data = self._drawn
        index = self.combo.currentData()
        hist = None if data is None or index is None else data.histograms.get(index)
        if hist is None or not hist.epochs.size:
            self.heat.clear()
            return
        epochs, counts = hist.epochs, hist.counts.astype(np.float64)
        n = min(epochs.size, HEAT_COLUMNS)
        # columns on an even grid of epochs (records may thin unevenly): each shows the
        # latest histogram at or before its epoch
        grid = np.linspace(epochs[0], epochs[-1], n) if n > 1 else epochs[:1]
        pick = np.clip(np.searchsorted(epochs, grid, side="right") - 1, 0, epochs.size - 1)
        image = counts[pick]
        peak = image.max(axis=1, keepdims=True)
        image = np.divide(image, peak, out=np.zeros_like(image), where=peak > 0)
        step = (grid[-1] - grid[0]) / (n - 1) if n > 1 else max(float(grid[0]), 1.0)
        r = hist.half_range
        self.heat.setImage(image, autoLevels=False, levels=(0.0, 1.0))
        self.heat.setRect(QRectF(grid[0] - step / 2, -r, step * n, 2 * r))
        if self._heat_range != r:
            self._heat_range = r
            self.heat_plot.setYRange(-r, r, padding=0.02)
            self.heat_plot.getAxis("left").setTicks([[(-r, f"{-r:g}"), (0.0, "0"),
                                                      (r, f"{r:g}")]])

    # --- for tests and the guide --------------------------------------------------------------

    def select_layer(self, index: int) -> None:
        """Show module ``index``'s weights in the heat map."""
        self.combo.setCurrentIndex(self.combo.findData(index))

    def heat_image(self) -> np.ndarray | None:
        return self.heat.image

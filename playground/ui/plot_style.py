"""Shared colours, pens and colour maps of the live plots (TensorFlow-Playground-like).

Class 0 / negative is orange, class 1 / positive is blue; probabilities between them use a
diverging map through a light grey, so 0.5 reads as "undecided".
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

ORANGE = "#f59322"          # class 0, negative
BLUE = "#0877bd"            # class 1, positive
NEUTRAL = "#e8eaeb"         # p = 0.5
BACKGROUND = "w"
FOREGROUND = "#333333"
TRAIN_COLOR = "#1f1f1f"     # train curves: dark
TEST_COLOR = "#d62728"      # test curves: red, dashed
LR_COLOR = "#6a3d9a"
MISTAKE_COLOR = "#e0102f"   # the perceptron's misclassified sample: a red ring
GOOD_COLOR = "#1b7f3b"
BAD_COLOR = "#b34700"

#: qualitative palette for K > 2 classes; the first two match the binary colours
PALETTE = ("#f59322", "#0877bd", "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


def palette_rgb(k: int) -> np.ndarray:
    """(k, 3) uint8 colours for k classes (the palette repeats past ten)."""
    rgb = [pg.mkColor(PALETTE[i % len(PALETTE)]).getRgb()[:3] for i in range(k)]
    return np.array(rgb, dtype=np.uint8)


def diverging_colormap() -> pg.ColorMap:
    """Orange (0) -> light grey (0.5) -> blue (1)."""
    return pg.ColorMap([0.0, 0.5, 1.0], [pg.mkColor(ORANGE), pg.mkColor(NEUTRAL),
                                         pg.mkColor(BLUE)])


def style_plot(plot: pg.PlotItem) -> None:
    """Dark-on-light axes with a faint grid."""
    plot.showGrid(x=False, y=False)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(FOREGROUND))
        axis.setTextPen(pg.mkPen(FOREGROUND))


def live_curve(plot: pg.PlotItem, color: str, dashed: bool = False,
               name: str | None = None) -> pg.PlotDataItem:
    """A curve that redraws many times a second: a one-pixel pen (thicker ones are stroked
    on the CPU, about three times the cost of the whole plot's paint), and at most about one
    point per pixel of the plot (peak-preserving downsampling)."""
    style = pg.QtCore.Qt.PenStyle.DashLine if dashed else pg.QtCore.Qt.PenStyle.SolidLine
    curve = plot.plot([], [], pen=pg.mkPen(color, width=1, style=style), name=name)
    curve.setDownsampling(auto=True, method="peak")
    curve.setClipToView(True)
    return curve


def make_plot_widget() -> pg.PlotWidget:
    widget = pg.PlotWidget(background=BACKGROUND)
    style_plot(widget.getPlotItem())
    widget.getPlotItem().setMenuEnabled(False)
    return widget


def finite_xy(x: np.ndarray | None, y: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) pairs where both are finite (curves carry NaN where an epoch has no value)."""
    if x is None or y is None or not len(x):
        return np.empty(0), np.empty(0)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = min(len(x), len(y))
    x, y = x[:n], y[:n]
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is >= value (> 0)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10.0 * power


class SteppedRange:
    """An axis range that moves in steps, not every frame.

    Redrawing an axis (its ticks and labels) is the costliest part of a live plot's paint; a
    range that creeps with every new epoch redraws it every frame. This keeps the range while
    the data fits and fills at least ``min_fill`` of it, and otherwise jumps to a padded new
    range, so axes repaint a few times a run instead of thirty times a second.
    """

    def __init__(self, plot: pg.PlotItem, axis: str, from_zero: bool = False,
                 min_fill: float = 0.5) -> None:
        self.plot, self.axis = plot, axis
        self.from_zero, self.min_fill = from_zero, min_fill
        self.range: tuple[float, float] | None = None
        plot.enableAutoRange(axis=axis, enable=False)

    def reset(self) -> None:
        self.range = None

    def update(self, lo: float, hi: float) -> None:
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return
        if self.from_zero:
            lo = 0.0
        span = max(hi - lo, abs(hi) * 1e-6, 1e-12)
        current = self.range
        if current is not None:
            c_lo, c_hi = current
            fits = c_lo <= lo and hi <= c_hi
            if fits and span >= self.min_fill * (c_hi - c_lo):
                return
        if self.from_zero:
            new = (0.0, nice_ceiling(hi * 1.25) if hi > 0 else 1.0)
        else:
            pad = 0.15 * span
            new = (lo - pad, hi + pad)
        self.range = new
        if self.axis == "x":
            self.plot.setXRange(*new, padding=0)
        else:
            self.plot.setYRange(*new, padding=0)

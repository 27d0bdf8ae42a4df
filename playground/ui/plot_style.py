"""Shared colours, pens and colour maps of the live plots (TensorFlow-Playground-like).

Class 0 / negative is orange, class 1 / positive is blue; probabilities between them use a
diverging map through a light grey, so 0.5 reads as "undecided".
"""

from __future__ import annotations

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
    plot.showGrid(x=True, y=True, alpha=0.15)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(FOREGROUND))
        axis.setTextPen(pg.mkPen(FOREGROUND))


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

"""The Runs overlay as a file: a figure of its own, drawn off screen, written as PNG or SVG.

The plot on screen is as small as the window makes it and names its curves through the
table's swatches; an exported figure travels alone. So it is drawn again at a fixed size
(FIGURE_SIZE), in the plots' theme, with a title and a legend below the axes (never over the
curves), then written through pyqtgraph's exporters, atomically (a temporary file, then a
rename).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtWidgets import QApplication

from playground.io.atomic import atomic_write_bytes
from playground.ui import plot_style as ps

FORMATS = (".png", ".svg")
#: the figure's plot area and axes, in pixels (the legend adds a row per LEGEND_COLUMNS runs)
FIGURE_SIZE = (900, 560)
LEGEND_COLUMNS = 2
LEGEND_ROW = 22
#: a legend beyond this many runs would be a wall of text: the CSV names them
MAX_LEGEND = 24


@dataclass(frozen=True)
class Line:
    """One drawn curve: its points, pen, and the legend's name (None: not in the legend)."""

    x: np.ndarray
    y: np.ndarray
    pen: object
    name: str | None = None


def figure_bytes(lines: Sequence[Line], y_label: str, title: str, log: bool,
                 suffix: str) -> bytes:
    """The figure of ``lines`` as PNG (``suffix`` ".png") or SVG (".svg") bytes."""
    t = ps.theme()
    named = [line for line in lines if line.name is not None][:MAX_LEGEND]
    rows = -(-len(named) // LEGEND_COLUMNS)
    view = pg.GraphicsLayoutWidget()
    view.setAttribute(Qt.WA_DontShowOnScreen)
    view.resize(FIGURE_SIZE[0], FIGURE_SIZE[1] + rows * LEGEND_ROW + (8 if rows else 0))
    view.setBackground(t.background)
    try:
        plot = view.addPlot(row=0, col=0, axisItems={n: ps.PlotAxis(n)
                                                     for n in ("left", "bottom")})
        plot.setTitle(title, size="11pt")
        plot.setLabel("bottom", "epoch")
        plot.setLabel("left", y_label)
        plot.setLogMode(y=log)
        drawn = {}
        for line in lines:
            if len(line.x):
                drawn[id(line)] = plot.plot(line.x, line.y, pen=line.pen)
        ps.style_plot(plot, t)
        if named:
            legend = pg.LegendItem(colCount=LEGEND_COLUMNS, labelTextColor=t.foreground,
                                   horSpacing=24)
            view.addItem(legend, row=1, col=0)
            for line in named:
                if id(line) in drawn:
                    legend.addItem(drawn[id(line)], line.name)
        view.show()
        QApplication.processEvents()      # lay the figure out at its size
        item = view.ci
        # imported here: pyqtgraph's exporters take 75 ms to import, a twentieth of a launch
        from pyqtgraph.exporters import ImageExporter, SVGExporter
        if suffix == ".svg":
            with _closed_paths_tolerated():
                return SVGExporter(item).export(toBytes=True)
        image = ImageExporter(item).export(toBytes=True)
        buffer = QBuffer()
        buffer.open(QIODevice.WriteOnly)
        if not image.save(buffer, "PNG"):
            raise OSError("cannot encode the figure as PNG")
        return bytes(QByteArray(buffer.data()))
    finally:
        view.close()
        view.deleteLater()


def export_figure(path: str | Path, lines: Sequence[Line], y_label: str, title: str,
                  log: bool) -> None:
    """Write the figure to ``path`` by its extension; ValueError for one that is neither
    .png nor .svg, OSError when it cannot be written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"a plot is exported as PNG or SVG (.png, .svg), not "
                         f"{path.suffix or 'a file without an extension'}")
    atomic_write_bytes(path, figure_bytes(lines, y_label, title, log, suffix))


@contextlib.contextmanager
def _closed_paths_tolerated():
    """pyqtgraph 0.14's SVG writer reads each path's "d" as "x,y" pairs and fails on the
    closing "Z" that Qt 6 writes for rectangles (the view box's frame): drop the Z while it
    exports (every such path already ends where it starts, so nothing drawn changes)."""
    from pyqtgraph.exporters import SVGExporter
    module = sys.modules[SVGExporter.__module__]
    original = module.correctCoordinates

    def tolerant(node, defs, item, options):
        for path in node.getElementsByTagName("path"):
            d = path.getAttribute("d")
            if "Z" in d or "z" in d:
                path.setAttribute("d", " ".join(t for t in d.split() if t not in ("Z", "z")))
        return original(node, defs, item, options)

    module.correctCoordinates = tolerant
    try:
        yield
    finally:
        module.correctCoordinates = original

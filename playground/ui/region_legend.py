"""``RegionLegend``: which colour is which class on the decision plot (and which line is a
perceptron's), small and translucent, where in the view it covers the fewest points.

Entries are (text, ``Entry``): a filled square in a class's colour, or a decision line drawn
as the plot draws it (``perceptron_view.casing_pens``). The legend never sizes the plot: it
is a card floating over the view box, anchored to a corner or to the middle of the top or
bottom edge, and moved when the points or the view change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.GraphicsWidgetAnchor import GraphicsWidgetAnchor
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF

from playground.ui import plot_style as ps

#: the swatch's side, the gaps around it, and the text's size (pixels, points)
SWATCH, GAP, PAD, TEXT_POINTS = 10, 4, 4, 8
#: over the light regions in either theme: dark ink on a translucent white card
CARD = (255, 255, 255, 185)
CARD_EDGE = (0, 0, 0, 60)
#: where the legend may sit: (x, y) of the view box, 0 left / top to 1 right / bottom;
#: tried in this order when places cover as many points
PLACES = {"top right": (1.0, 0.0), "top left": (0.0, 0.0), "bottom right": (1.0, 1.0),
          "bottom left": (0.0, 1.0), "top": (0.5, 0.0), "bottom": (0.5, 1.0)}
MARGIN = 4


@dataclass(frozen=True)
class Entry:
    """One legend sample: ``color`` fills a square, or strokes a cased line (``line``)."""

    color: str
    line: bool = False


def columns_for(texts: list[str]) -> int:
    """Short names (digits' "0".."9") go in two rows, longer ones in at most five."""
    rows = 2 if all(len(t) <= 3 for t in texts) else 5
    return max(1, -(-len(texts) // rows))


class LegendCard(GraphicsWidgetAnchor, pg.GraphicsWidget):
    """The card: entries in columns, each a swatch and its text, painted here."""

    def __init__(self) -> None:
        pg.GraphicsWidget.__init__(self)
        GraphicsWidgetAnchor.__init__(self)
        self.setFlag(self.GraphicsItemFlag.ItemIgnoresTransformations)
        self.font = QFont()
        self.font.setPointSize(TEXT_POINTS)
        self.entries: list[tuple[str, Entry]] = []
        self.columns = 1
        self._cells: list[QRectF] = []
        self._size = (0.0, 0.0)

    def set_entries(self, entries: list[tuple[str, Entry]], columns: int) -> None:
        self.entries, self.columns = list(entries), max(1, columns)
        self._layout()

    def _layout(self) -> None:
        metrics = QFontMetricsF(self.font)
        row_h = max(metrics.height(), SWATCH) + 1
        n, cols = len(self.entries), self.columns     # filled row by row
        rows = -(-n // cols)
        widths = [0.0] * cols
        for i, (text, _entry) in enumerate(self.entries):
            widths[i % cols] = max(widths[i % cols],
                                   SWATCH + GAP + metrics.horizontalAdvance(text))
        lefts = np.concatenate([[PAD], PAD + np.cumsum(np.array(widths) + 2 * GAP)])
        self._cells = [QRectF(lefts[i % cols], PAD + (i // cols) * row_h, widths[i % cols],
                              row_h) for i in range(n)]
        width = float(lefts[-1] - 2 * GAP + PAD) if self.entries else 0.0
        self.prepareGeometryChange()
        self._size = (width, PAD * 2 + rows * row_h if rows else 0.0)
        self.setGeometry(QRectF(self.pos(), QRectF(0, 0, *self._size).size()))
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802 (Qt's name)
        return QRectF(0, 0, *self._size)

    def paint(self, p, *args) -> None:
        if not self.entries:
            return
        p.setRenderHint(p.RenderHint.Antialiasing)
        p.setPen(pg.mkPen(*CARD_EDGE))
        p.setBrush(pg.mkBrush(*CARD))
        p.drawRoundedRect(self.boundingRect().adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
        p.setFont(self.font)
        for (text, entry), cell in zip(self.entries, self._cells):
            mid = cell.center().y()
            if entry.line:
                from playground.ui.perceptron_view import casing_pens
                for pen in casing_pens(entry.color, scale=0.5):
                    p.setPen(pen)
                    p.drawLine(QPointF(cell.left(), mid), QPointF(cell.left() + SWATCH, mid))
            else:
                p.setPen(pg.mkPen(ps.FOREGROUND, width=0.8))
                p.setBrush(pg.mkBrush(entry.color))
                p.drawRect(QRectF(cell.left(), mid - SWATCH / 2, SWATCH, SWATCH))
            p.setPen(pg.mkPen(ps.FOREGROUND))
            p.drawText(QRectF(cell.left() + SWATCH + GAP, cell.top(), cell.width(),
                              cell.height()), Qt.AlignmentFlag.AlignVCenter, text)


class RegionLegend:
    """A legend floating at the edge of ``plot``'s view box."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.item = LegendCard()
        self.item.setParentItem(plot.getViewBox())
        self.item.setZValue(30)
        self.where = ""      # where it is: a key of PLACES
        self.anchor("top right")
        self.item.setVisible(False)

    def set_entries(self, entries: list[tuple[str, Entry]]) -> None:
        """Replace the entries (none hides the legend)."""
        self.item.set_entries(entries, columns_for([text for text, _ in entries]))
        self.anchor(self.where, force=True)
        self.item.setVisible(bool(entries))

    def set_text(self, index: int, text: str) -> None:
        """Rename one entry (a line that left the view says so)."""
        entries = self.item.entries
        if entries[index][0] != text:
            entries[index] = (text, entries[index][1])
            self.item.set_entries(entries, self.item.columns)
            self.anchor(self.where, force=True)

    @property
    def texts(self) -> list[str]:
        return [text for text, _entry in self.item.entries]

    @property
    def entries(self) -> list[Entry]:
        return [entry for _text, entry in self.item.entries]

    def anchor(self, place: str, force: bool = False) -> None:
        if place != self.where or force:
            self.where = place
            x, y = PLACES[place]
            offset = (MARGIN * (1 - 2 * x), MARGIN * (1 - 2 * y))
            self.item.anchor((x, y), (x, y), offset)

    def place(self, uv: np.ndarray) -> None:
        """Move to the place (a corner, or the middle of the top or bottom edge) where the
        legend would cover the fewest of the points ``uv`` (n, 2) in view coordinates."""
        vb = self.plot.getViewBox()
        (x0, x1), (y0, y1) = vb.viewRange()
        rect = self.item.boundingRect()
        width, height = vb.width(), vb.height()
        fx = min((rect.width() + MARGIN) / width, 1.0) if width > 0 else 0.3
        fy = min((rect.height() + MARGIN) / height, 1.0) if height > 0 else 0.3
        u = (uv[:, 0] - x0) / ((x1 - x0) or 1.0) if len(uv) else np.empty(0)
        v = (y1 - uv[:, 1]) / ((y1 - y0) or 1.0) if len(uv) else np.empty(0)  # 0 at the top

        def count(place: str) -> int:
            x, y = PLACES[place]
            left, top = x * (1 - fx), y * (1 - fy)
            return int(np.count_nonzero((u >= left) & (u <= left + fx)
                                        & (v >= top) & (v <= top + fy)))

        self.anchor(min(PLACES, key=count))

    def covered(self, uv: np.ndarray) -> int:
        """How many of the points ``uv`` (n, 2) the legend's card lies over, as drawn."""
        vb = self.plot.getViewBox()
        scene = self.item.mapRectToScene(self.item.boundingRect())
        view = vb.mapSceneToView(scene).boundingRect()
        u, v = uv[:, 0], uv[:, 1]
        inside = ((u >= view.left()) & (u <= view.right()) & (v >= view.top())
                  & (v <= view.bottom()))
        return int(np.count_nonzero(inside))

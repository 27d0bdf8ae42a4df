"""The network diagram's scene items, one class per kind of thing (Qt's "Elastic Nodes" and
"Diagram Scene" examples): nodes, biases, edges, bars, buttons, the "+N more" node and the
legend. Items are made when the structure changes; a snapshot only swaps their pen, brush or
picture (``set_pen``, ``set_brush``, ``set_image``), which never moves or resizes them.

Every interactive item reports its own hover and clicks to its ``host`` (the diagram):
``host.hovered(item, entered)`` and ``host.clicked(item)``. Colours of text and outlines come
from ``DiagramColors``, made from the widget palette, so both themes read.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush, QColor, QFont, QFontMetricsF, QImage, QLinearGradient, QPainterPath,
    QPainterPathStroker, QPalette, QPen,
)
from PySide6.QtWidgets import QGraphicsItem

from playground.ui import diagram_layout as dl

NODE = 30            # TensorFlow Playground's node thumbnails: 30 px
BIAS = 8
EDGE_PICK = 8        # px either side of an edge's centre line that still hover it
EDGE_PAD = dl.MAX_WIDTH / 2 + 3
# Qt's enums looked up once: each ``Qt.X`` costs microseconds in PySide6, and paint runs
# for every item of every frame
NO_BRUSH = Qt.NoBrush
LEFT, RIGHT, CENTER = (Qt.AlignLeft | Qt.AlignVCenter, Qt.AlignRight | Qt.AlignVCenter,
                       Qt.AlignCenter)


@dataclass
class DiagramColors:
    """Text and outline colours for the current palette (light or dark)."""

    background: QColor
    text: QColor
    muted: QColor
    border: QColor
    off: QColor
    highlight: QColor
    highlighted_text: QColor
    button: QColor
    edge_neutral: QColor
    pens: dict = None

    def __post_init__(self) -> None:
        self.pens = {"border": QPen(self.border, 1), "off": QPen(self.off, 1, Qt.DashLine),
                     "hover": QPen(self.highlight, 2.5), "hover_thin": QPen(self.highlight, 2),
                     "dotted": QPen(self.border, 1, Qt.DotLine)}

    @classmethod
    def from_palette(cls, pal: QPalette) -> DiagramColors:
        base, text = pal.color(QPalette.Base), pal.color(QPalette.Text)

        def mix(t: float) -> QColor:
            return QColor(round(base.red() + (text.red() - base.red()) * t),
                          round(base.green() + (text.green() - base.green()) * t),
                          round(base.blue() + (text.blue() - base.blue()) * t))
        return cls(base, text, mix(0.6), mix(0.45), mix(0.25), pal.color(QPalette.Highlight),
                   pal.color(QPalette.HighlightedText), mix(0.08), mix(0.22))

    @property
    def dark(self) -> bool:
        return self.background.lightness() < 128


class Host:
    """What items report to (the diagram implements it)."""

    colors: DiagramColors

    def hovered(self, item: DiagramItem, entered: bool) -> None: ...

    def clicked(self, item: DiagramItem) -> None: ...


class DiagramItem(QGraphicsItem):
    """An item that reports hover and left clicks to its host."""

    kind = ""

    def __init__(self, host: Host) -> None:
        super().__init__()
        self.host = host
        self.hover = False
        #: a highlight asked from outside (the inspector's hovered line or animation)
        self.mark: QPen | None = None
        self.setAcceptHoverEvents(True)
        self.setAcceptedMouseButtons(Qt.LeftButton)

    def set_mark(self, pen: QPen | None) -> None:
        """Highlight the item with ``pen``'s colour (None: as it was)."""
        if pen is not self.mark:
            self.mark = pen
            self.update()

    def hoverEnterEvent(self, event) -> None:  # noqa: N802 (Qt's names)
        self.hover = True
        self.update()
        self.host.hovered(self, True)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802
        self.hover = False
        self.update()
        self.host.hovered(self, False)

    def mousePressEvent(self, event) -> None:  # noqa: N802
        event.accept()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.LeftButton and self.contains(event.pos()):
            self.host.clicked(self)


def _small_font(points: float = 8.0, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(points)
    font.setBold(bold)
    return font


class NodeItem(DiagramItem):
    """A unit: an input feature, a hidden unit or an output, drawn as its picture over the
    input plane (``set_image``) with an optional label to its left or right."""

    kind = "unit"

    def __init__(self, host: Host, column: int, unit: int, picture: int, label: str = "",
                 label_side: str = "", off: bool = False, size: float = NODE) -> None:
        super().__init__(host)
        self.column, self.unit, self.picture_module = column, unit, picture
        self.label, self.label_side, self.off, self.size = label, label_side, off, size
        self.image: QImage | None = None
        self.font = self.label_font()
        fm = QFontMetricsF(self.font)
        self.label_width = fm.horizontalAdvance(label) + 6 if label else 0.0
        self._rect = QRectF(0, 0, size, size)
        left = -self.label_width if label_side == "left" else 0.0
        right = size + (self.label_width if label_side == "right" else 0.0)
        self._bounds = QRectF(left - 2, -2, right - left + 4, size + 4)
        self.setZValue(2)

    @staticmethod
    def label_font() -> QFont:
        return _small_font(8.5)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self.update()

    def paint(self, painter, option, widget=None) -> None:
        c = self.host.colors
        if self.image is not None and not self.off:
            painter.drawImage(self._rect, self.image)
        else:
            painter.fillRect(self._rect, c.button)
        painter.setPen(self.mark or c.pens["hover" if self.hover else "off" if self.off
                                           else "border"])
        painter.setBrush(NO_BRUSH)
        painter.drawRect(self._rect)
        if self.label:
            painter.setFont(self.font)
            painter.setPen(c.off if self.off else c.text)
            if self.label_side == "left":
                box = QRectF(-self.label_width, 0, self.label_width - 5, self.size)
                painter.drawText(box, RIGHT, self.label)
            else:
                box = QRectF(self.size + 5, 0, self.label_width, self.size)
                painter.drawText(box, LEFT, self.label)


class ImageNodeItem(NodeItem):
    """Image-shaped inputs (digits, MNIST) as one node: the mean training image."""

    kind = "image"


class BiasItem(DiagramItem):
    """A unit's bias: a small square at its node's lower left corner, coloured by value."""

    kind = "bias"

    def __init__(self, host: Host, key: str, unit: int, node: NodeItem) -> None:
        super().__init__(host)
        self.key, self.index, self.node = key, (unit,), node
        self.brush = QBrush(Qt.NoBrush)
        self._rect = QRectF(0, 0, BIAS, BIAS)
        self.setPos(node.pos() + QPointF(-BIAS / 2, node.size - BIAS / 2))
        self.setZValue(4)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.adjusted(-2, -2, 2, 2)

    def set_brush(self, brush: QBrush) -> None:
        self.brush = brush
        self.update()

    def paint(self, painter, option, widget=None) -> None:
        c = self.host.colors
        painter.setBrush(self.brush)
        painter.setPen(self.mark or c.pens["hover_thin" if self.hover else "border"])
        painter.drawRect(self._rect)


class EdgeItem(DiagramItem):
    """One weight: a curve from its source node's right side to its target's left side.

    In an ``EdgeLayer`` the layer strokes it with its peers and the item itself paints only
    while hovered or marked (``ItemHasNoContents`` otherwise): one Python ``paint`` per frame
    for a few hundred edges instead of one each. Hover and clicks stay the item's own."""

    kind = "edge"

    def __init__(self, host: Host, key: str, index: tuple[int, int], start: QPointF,
                 end: QPointF) -> None:
        super().__init__(host)
        self.key, self.index = key, index
        self.pen = QPen()
        self.hover_pen: QPen | None = None
        self.layer: EdgeLayer | None = None
        path = QPainterPath(start)
        mid = (start.x() + end.x()) / 2
        path.cubicTo(QPointF(mid, start.y()), QPointF(mid, end.y()), end)
        self.path = path
        self._bounds = path.boundingRect().adjusted(-EDGE_PAD, -EDGE_PAD, EDGE_PAD, EDGE_PAD)
        self._shape: QPainterPath | None = None
        self.setZValue(1)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._shape is None:  # made on the first hover test, not for every edge up front
            stroker = QPainterPathStroker()
            stroker.setWidth(2 * EDGE_PICK)
            self._shape = stroker.createStroke(self.path)
        return self._shape

    def set_pen(self, pen: QPen) -> None:
        self.pen = pen
        self.hover_pen = None
        if self.layer is None:
            self.update()
        else:
            self.layer.changed()
            if self.hover or self.mark is not None:
                self.update()

    def set_mark(self, pen: QPen | None) -> None:
        self._paints_itself(self.hover or pen is not None)
        super().set_mark(pen)

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        self._paints_itself(True)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802
        super().hoverLeaveEvent(event)
        self._paints_itself(self.mark is not None)

    def _paints_itself(self, on: bool) -> None:
        if self.layer is not None:
            self.setFlag(QGraphicsItem.ItemHasNoContents, not on)

    def paint(self, painter, option, widget=None) -> None:
        painter.setBrush(NO_BRUSH)
        if self.mark is not None:   # under the weight's own colour, wider than it
            painter.setPen(QPen(self.mark.color(), self.pen.widthF() + 5))
            painter.drawPath(self.path)
        elif self.hover:
            if self.hover_pen is None:
                self.hover_pen = QPen(self.host.colors.highlight, self.pen.widthF() + 4)
            painter.setPen(self.hover_pen)
            painter.drawPath(self.path)
        painter.setPen(self.pen)
        painter.drawPath(self.path)


class EdgeLayer(QGraphicsItem):
    """Strokes many ``EdgeItem``s in one ``paint``: their curves merged into one path per
    pen, thin pens first so the strongest weights lie on top. The merged paths are made
    again only after a pen changed."""

    def __init__(self, edges: list[EdgeItem]) -> None:
        super().__init__()
        self.edges = edges
        self._groups: list[tuple[QPen, QPainterPath]] | None = None
        bounds = QRectF()
        for edge in edges:
            edge.layer = self
            edge.setFlag(QGraphicsItem.ItemHasNoContents, True)
            bounds = bounds.united(edge.boundingRect())
        self._bounds = bounds
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setAcceptHoverEvents(False)
        self.setZValue(0.9)     # under its edges' own highlight
        # antialiased curves cost about 6 ms a frame for a few hundred edges: drawn into a
        # pixmap when a pen changes, the pixmap is all a repaint of the pictures draws
        self.setCacheMode(QGraphicsItem.DeviceCoordinateCache)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def shape(self) -> QPainterPath:
        return QPainterPath()   # never under the pointer: the edges answer hover and clicks

    def changed(self) -> None:
        """A pen changed: merge again at the next paint."""
        if self._groups is not None:
            self._groups = None
            self.update()

    def groups(self) -> list[tuple[QPen, QPainterPath]]:
        """(pen, merged path) pairs in drawing order."""
        if self._groups is None:
            merged: dict[int, tuple[QPen, QPainterPath]] = {}
            for edge in self.edges:
                entry = merged.get(id(edge.pen))
                if entry is None:
                    entry = merged[id(edge.pen)] = (edge.pen, QPainterPath())
                entry[1].addPath(edge.path)
            self._groups = sorted(merged.values(), key=lambda g: g[0].widthF())
        return self._groups

    def paint(self, painter, option, widget=None) -> None:
        painter.setBrush(NO_BRUSH)
        for pen, path in self.groups():
            painter.setPen(pen)
            painter.drawPath(path)


class BundleItem(EdgeItem):
    """All of one unit's weights from an image input, as one neutral curve whose width
    follows their root mean square (the card shows them as an image)."""

    kind = "bundle"


class BarItem(DiagramItem):
    """A batchnorm, dropout or activation layer: a slim labelled bar between columns."""

    kind = "bar"

    def __init__(self, host: Host, bar: dl.Bar, width: float, height: float) -> None:
        super().__init__(host)
        self.bar = bar
        self._rect = QRectF(0, 0, width, height)
        self.font = _small_font(8.0)
        self.setZValue(3)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.adjusted(-2, -2, 2, 2)

    def paint(self, painter, option, widget=None) -> None:
        c = self.host.colors
        fill = QColor(c.button)
        fill.setAlpha(235)
        painter.setBrush(fill)
        painter.setPen(self.mark or c.pens["hover_thin" if self.hover else "border"])
        painter.drawRoundedRect(self._rect, 4, 4)
        painter.save()
        painter.setFont(self.font)
        painter.setPen(c.text)
        painter.translate(self._rect.center())
        painter.rotate(-90)
        h, w = self._rect.height(), self._rect.width()
        painter.drawText(QRectF(-h / 2, -w / 2, h, w), CENTER, self.bar.label)
        painter.restore()


class MoreItem(DiagramItem):
    """The units a big column does not draw: "+240 more"; a click re-picks the strongest."""

    kind = "more"

    def __init__(self, host: Host, column: int, hidden: int, size: float = NODE) -> None:
        super().__init__(host)
        self.column, self.hidden = column, hidden
        self._rect = QRectF(0, 0, size, size)
        self.font = _small_font(7.0)
        self.setZValue(2)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.adjusted(-2, -2, 2, 2)

    def paint(self, painter, option, widget=None) -> None:
        c = self.host.colors
        painter.setBrush(c.button)
        painter.setPen(c.pens["hover_thin" if self.hover else "dotted"])
        painter.drawRoundedRect(self._rect, 5, 5)
        painter.setFont(self.font)
        painter.setPen(c.text)
        painter.drawText(self._rect, CENTER, f"+{self.hidden:,}\nmore")


class ButtonItem(DiagramItem):
    """A small text button in the scene ("+", "-", "x", "+ layer"); ``action`` says what a
    click asks of the host."""

    kind = "button"

    def __init__(self, host: Host, text: str, action: tuple, tip: str) -> None:
        super().__init__(host)
        self.text, self.action = text, action
        self.font = _small_font(8.5, bold=True)
        fm = QFontMetricsF(self.font)
        self._rect = QRectF(0, 0, max(16.0, fm.horizontalAdvance(text) + 10), 16)
        self.setToolTip(tip)
        self.setCursor(Qt.PointingHandCursor)
        self.setZValue(5)

    @property
    def width(self) -> float:
        return self._rect.width()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter, option, widget=None) -> None:
        c = self.host.colors
        painter.setBrush(c.highlight if self.hover else c.button)
        painter.setPen(c.pens["border"])
        painter.drawRoundedRect(self._rect, 4, 4)
        painter.setFont(self.font)
        painter.setPen(c.highlighted_text if self.hover else c.text)
        painter.drawText(self._rect, CENTER, self.text)


class TextItem(QGraphicsItem):
    """A static caption (column headers, counts) in the palette's text colour."""

    def __init__(self, host: Host, text: str, width: float, align=Qt.AlignHCenter,
                 muted: bool = False, points: float = 8.5, bold: bool = False) -> None:
        super().__init__()
        self.host, self.text, self.muted = host, text, muted
        self.align = align | Qt.AlignVCenter
        self.font = _small_font(points, bold)
        lines = text.count("\n") + 1
        self._rect = QRectF(0, 0, width, QFontMetricsF(self.font).lineSpacing() * lines + 2)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def set_text(self, text: str) -> None:
        self.text = text
        self.update()

    def paint(self, painter, option, widget=None) -> None:
        painter.setFont(self.font)
        painter.setPen(self.host.colors.muted if self.muted else self.host.colors.text)
        painter.drawText(self._rect, self.align, self.text)


class LegendItem(QGraphicsItem):
    """The weight scale: colour over [-1, 1] and stroke width over |w| in [0, 5]."""

    def __init__(self, host: Host, scene) -> None:
        super().__init__()
        self.host, self.source = host, scene     # its colours: ``scene.edge_lut``
        self.font = _small_font(7.5)
        self._rect = QRectF(0, 0, 300, 34)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect

    def paint(self, painter, option, widget=None) -> None:
        c = self.host.colors
        painter.setFont(self.font)
        painter.setPen(c.text)
        painter.drawText(QRectF(0, 0, 44, 14), Qt.AlignLeft | Qt.AlignVCenter, "weight")
        bar = QRectF(46, 2, 100, 10)
        grad = QLinearGradient(bar.topLeft(), bar.topRight())
        lut = self.source.edge_lut
        for i in range(5):
            rgb = lut[round(i * (len(lut) - 1) / 4)]
            grad.setColorAt(i / 4, QColor(int(rgb[0]), int(rgb[1]), int(rgb[2])))
        painter.fillRect(bar, QBrush(grad))
        painter.setPen(c.pens["border"])
        painter.setBrush(NO_BRUSH)
        painter.drawRect(bar)
        painter.setPen(c.muted)
        for x, text in ((bar.left(), "-1"), (bar.center().x(), "0"), (bar.right(), "+1")):
            painter.drawText(QRectF(x - 12, 13, 24, 12), Qt.AlignCenter, text)
        painter.setPen(c.text)
        painter.drawText(QRectF(160, 0, 30, 14), Qt.AlignLeft | Qt.AlignVCenter, "|w|")
        for k, value in enumerate((0.0, 2.5, 5.0)):
            x = 182 + k * 38
            width = float(dl.width_of(value))
            painter.setPen(QPen(c.muted, width, Qt.SolidLine, Qt.FlatCap))
            painter.drawLine(QPointF(x, 7), QPointF(x + 28, 7))
            painter.setPen(c.muted)
            label = f"{value:g}" + ("+" if value == dl.WIDTH_AT else "")
            painter.drawText(QRectF(x - 2, 13, 32, 12), Qt.AlignCenter, label)

"""The network diagram's scene: its items laid out for a ``Structure``, and recoloured from
snapshots.

``build(structure, weights)`` makes every item (the only place items are made): columns of
nodes with their biases, bars, edges (or, for an image input, one bundle per unit), header
buttons and captions, the legend. ``apply_weights`` and ``apply_pictures`` then only swap pens,
brushes and pictures, and only of the items whose quantized style changed. A big column draws
the ``max_nodes`` units with the largest summed |weight| (``weights`` given) or its first
ones, and at most ``max_edges`` weights are drawn; ``hidden_note`` says what is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF, QImage, QPen
from PySide6.QtWidgets import QGraphicsScene

from playground.ui import diagram_layout as dl
from playground.ui import plot_style as ps
from playground.ui.diagram_items import (
    NODE, BarItem, BiasItem, BundleItem, ButtonItem, EdgeItem, EdgeLayer, Host, ImageNodeItem,
    LegendItem, MoreItem, NodeItem, TextItem,
)

PITCH = 40            # node to node, vertically
PITCH_COMPACT = 34    # ... when a column draws more than COMPACT_AFTER nodes
COMPACT_AFTER = 10
COLUMN_GAP = 96       # between two node columns without bars
BAR_WIDTH = 16
BAR_GAP = 22
IMAGE_NODE = 64
HEADER_Y = 26
NODES_TOP = 70
_KEY = 64             # an edge's style key: shade * _KEY + width step


@dataclass
class ColumnView:
    """One column as drawn: ``shown`` are the model units it draws, in node order, with
    their ``nodes`` and ``biases`` (none for the inputs)."""

    column: dl.Column
    x: float
    shown: np.ndarray
    nodes: list[NodeItem] = field(default_factory=list)
    biases: list[BiasItem] = field(default_factory=list)
    bias_keys: np.ndarray | None = None
    more: MoreItem | None = None
    level: float | np.ndarray = 1.0


@dataclass
class EdgeView:
    edges: dl.EdgeSet
    items: list[EdgeItem]
    keys: np.ndarray


class DiagramScene(QGraphicsScene):
    """Items for one structure; ``host`` (the view) receives their hover and clicks."""

    def __init__(self, host: Host, parent=None) -> None:
        super().__init__(parent)
        self.host = host
        #: the pictures' colours (the regions' palette, on their light "paper" in any theme)
        self.lut = dl.diverging_lut(ps.ORANGE, ps.NEUTRAL, ps.BLUE)
        #: the edges' and biases' colours: the same ends, through a neutral that fades into
        #: the ground, so a weight near zero recedes in both themes (``recolor``)
        self.edge_lut = self.lut
        self.pitch = PITCH
        self._pens: dict[int, QPen] = {}
        self._brushes: dict[int, QBrush] = {}
        self.max_edges = dl.MAX_EDGES
        self.max_nodes = dl.MAX_NODES
        self.structure: dl.Structure | None = None
        self.columns: list[ColumnView] = []
        self.edges: list[EdgeView] = []
        self.bundles: list[BundleItem] = []
        self.bars: list[BarItem] = []
        self._bundle_keys = np.zeros(0, np.int64)
        self.image_node: ImageNodeItem | None = None
        self.mean_image: np.ndarray | None = None
        #: whether a big column's units were picked by their weights (else its first ones)
        self.picked = True
        self.hidden_note = ""

    # --- building ------------------------------------------------------------------------

    def build(self, st: dl.Structure, weights: dict[str, np.ndarray] | None) -> None:
        """Make every item of ``st``; a big column's units picked by ``weights`` when
        given."""
        self.clear()
        self.structure = st
        self.columns, self.edges, self.bundles, self.bars = [], [], [], []
        self.image_node = None
        cols = st.columns
        scores = dl.unit_scores(st, weights)
        shown = []
        for c, col in enumerate(cols):
            if c == 0 and st.image_side:
                shown.append(np.zeros(0, np.int64))
            elif c == 0 and st.toggles:
                shown.append(np.array([s.unit for s in st.slots if s.unit >= 0], np.int64))
            else:
                shown.append(dl.shown_units(col.width, scores[c], self.max_nodes))
        sets = dl.edge_sets(st, shown, weights, self.max_edges)
        collapsed = any(len(s) < col.width for s, col in zip(shown, cols)
                        if not (col.kind == "input" and st.image_side))
        capped = sum(len(e.rows) for e in sets) < sum(
            len(shown[i]) * len(shown[i + 1]) for i in range(len(cols) - 1))
        self.picked = weights is not None or not (collapsed or capped)

        counts: list[int | None] = []
        for c, col in enumerate(cols):
            if c == 0 and st.image_side:
                counts.append(None)
            elif c == 0 and st.toggles:
                counts.append(len(st.slots))
            else:
                counts.append(len(shown[c]) + (1 if len(shown[c]) < col.width else 0))
        self.pitch = PITCH if max(n or 0 for n in counts) <= COMPACT_AFTER else PITCH_COMPACT
        height = max(IMAGE_NODE if n is None else n * self.pitch - (self.pitch - NODE)
                     for n in counts)
        names = ([] if st.image_side else [s.name for s in st.slots] if st.toggles
                 else [st.slots[u].name for u in shown[0]])
        fm = QFontMetricsF(NodeItem.label_font())
        x = max([40.0] + [fm.horizontalAdvance(name) + 8 for name in names])
        c = 0
        bars: list[dl.Bar] = []
        for stage in st.stages:
            if isinstance(stage, dl.Bar):
                bars.append(stage)
                continue
            if c > 0:
                x = self._place_bars(bars, x, height)
                bars = []
            self.columns.append(self._place_column(c, stage, shown[c], x, counts[c], height))
            x += IMAGE_NODE if counts[c] is None else NODE
            c += 1
        for e in sets:
            self._place_edges(e)
        if st.image_side and len(cols) > 1:
            self._place_bundles(cols[1])
        if st.editable:
            self._place_toolbar(st)
        legend = LegendItem(self.host, self)
        legend.setPos(0, NODES_TOP + height + 26)
        self.addItem(legend)
        self.setSceneRect(self.itemsBoundingRect().adjusted(-12, -10, 12, 10))
        self.hidden_note = self._hidden_note(sets)

    def _place_bars(self, bars: list[dl.Bar], x: float, height: float) -> float:
        """Bars in the gap after a column; returns where the next column starts."""
        if not bars:
            return x + COLUMN_GAP
        start = x
        for bar in bars:
            x += BAR_GAP
            item = BarItem(self.host, bar, BAR_WIDTH, height)
            item.setPos(x, NODES_TOP)
            self.addItem(item)
            self.bars.append(item)
            if self.structure.editable and bar.layer is not None:   # under the bar
                self._button("×", ("remove", bar.layer), f"Remove this {bar.label} layer",
                             x + BAR_WIDTH / 2, NODES_TOP + height + 4, center=True)
            x += BAR_WIDTH
        return max(x + BAR_GAP, start + COLUMN_GAP)

    def _place_column(self, c: int, col: dl.Column, shown: np.ndarray, x: float,
                      count: int | None, height: float) -> ColumnView:
        st = self.structure
        view = ColumnView(col, x, shown)
        if count is None:   # an image input: one node
            node = ImageNodeItem(self.host, 0, -1, -1, size=IMAGE_NODE)
            node.setPos(x, NODES_TOP + (height - IMAGE_NODE) / 2)
            self.addItem(node)
            self.image_node = node
            self.set_mean_image(self.mean_image)
            self._caption(f"{st.image_side} × {st.image_side} image", x + IMAGE_NODE / 2,
                          HEADER_Y + 18)
            self._caption(f"{col.width:,} inputs", x + IMAGE_NODE / 2,
                          NODES_TOP + (height + IMAGE_NODE) / 2 + 4, muted=True)
            return view
        pitch = self.pitch
        top = NODES_TOP + (height - (count * pitch - (pitch - NODE))) / 2
        if col.kind == "input":
            slots = st.slots if st.toggles else [st.slots[u] for u in shown]
            for k, slot in enumerate(slots):
                node = NodeItem(self.host, 0, slot.unit, -1, slot.name, "left",
                                off=slot.unit < 0)
                node.setPos(x, top + k * pitch)
                if st.toggles:
                    node.setCursor(Qt.PointingHandCursor)
                    node.setToolTip(f"Click to switch {slot.name} "
                                    f"{'on' if slot.unit < 0 else 'off'}")
                self.addItem(node)
                if slot.unit >= 0:
                    view.nodes.append(node)
            n = len(slots)
            title = "features" if st.toggles else f"{col.width:,} inputs"
        else:
            for k, u in enumerate(shown.tolist()):
                label = col.names[u] if col.kind == "output" else ""
                node = NodeItem(self.host, c, u, col.picture, label, "right" if label else "")
                node.setPos(x, top + k * pitch)
                self.addItem(node)
                view.nodes.append(node)
                bias = BiasItem(self.host, f"{col.linear}.bias", u, node)
                self.addItem(bias)
                view.biases.append(bias)
            n = len(shown)
            title = (f"output · {col.activation}" if col.kind == "output" else
                     f"{col.width:,} · {col.activation}")
            if col.kind == "dense" and st.editable:
                mid = x + NODE / 2
                self._button("−", ("units", col.layer, -1), "Remove a unit", mid - 10,
                             HEADER_Y, center=True)
                self._button("+", ("units", col.layer, +1), "Add a unit", mid + 10,
                             HEADER_Y, center=True)
                self._button("×", ("remove", col.layer), "Remove this layer", mid + 32,
                             HEADER_Y, center=True)
        if len(shown) < col.width:
            more = MoreItem(self.host, c, col.width - len(shown))
            more.setPos(x, top + n * pitch)
            self.addItem(more)
            view.more = more
        self._caption(title, x + NODE / 2, HEADER_Y + 18)
        return view

    def _place_edges(self, e: dl.EdgeSet) -> None:
        c = self.column_of_linear(e.linear)
        src_nodes, dst_nodes = self.columns[c - 1].nodes, self.columns[c].nodes
        key = f"{e.linear}.weight"
        neutral = self._pen(int(dl.shade_index(0.0)) * _KEY + int(dl.width_index(0.0)))
        items = []
        for r, k, s, d in zip(e.rows.tolist(), e.cols.tolist(), e.src.tolist(),
                              e.dst.tolist()):
            a, b = src_nodes[s], dst_nodes[d]
            item = EdgeItem(self.host, key, (r, k), a.pos() + QPointF(a.size, a.size / 2),
                            b.pos() + QPointF(0, b.size / 2))
            item.set_pen(neutral)
            self.addItem(item)
            items.append(item)
        if items:
            self.addItem(EdgeLayer(items))
        self.edges.append(EdgeView(e, items, np.full(len(items), -1, np.int64)))

    def _place_bundles(self, col: dl.Column) -> None:
        a = self.image_node
        start = a.pos() + QPointF(a.size, a.size / 2)
        for node in self.columns[1].nodes:
            item = BundleItem(self.host, f"{col.linear}.weight", (node.unit,), start,
                              node.pos() + QPointF(0, node.size / 2))
            item.set_pen(QPen(self.host.colors.off, 1))
            self.addItem(item)
            self.bundles.append(item)
        self._bundle_keys = np.full(len(self.bundles), -1, np.int64)

    def _place_toolbar(self, st: dl.Structure) -> None:
        add = self._button("+ layer", ("add_layer",), "Add a dense layer before the output",
                           0, 0)
        x = add.width + 6
        if st.n_hidden:
            rm = self._button("remove layer", ("remove", st.n_hidden - 1),
                              "Remove the last hidden layer", x, 0)
            x += rm.width + 8
        dense = sum(1 for c in st.columns if c.kind == "dense")
        text = TextItem(self.host, f"{dense} hidden layer{'s' if dense != 1 else ''}", 140,
                        Qt.AlignLeft, muted=True)
        text.setPos(x, 0)
        self.addItem(text)

    def _button(self, text: str, action: tuple, tip: str, x: float, y: float,
                center: bool = False) -> ButtonItem:
        item = ButtonItem(self.host, text, action, tip)
        item.setPos(x - (item.width / 2 if center else 0), y)
        self.addItem(item)
        return item

    def _caption(self, text: str, cx: float, y: float, muted: bool = False) -> TextItem:
        item = TextItem(self.host, text, 110, muted=muted)
        item.setPos(cx - 55, y)
        self.addItem(item)
        return item

    def _hidden_note(self, sets: list[dl.EdgeSet]) -> str:
        drawn = sum(len(e.rows) for e in sets)
        total = sum(e.total for e in sets)
        folded = [f"{v.column.width - len(v.shown):,} of {v.column.width:,} units in "
                  f"{self.column_name(i)}" for i, v in enumerate(self.columns)
                  if v.more is not None]
        parts = []
        if drawn < total:
            parts.append(f"Showing {drawn:,} of {total:,} weights, the strongest"
                         + (" (an image's weights show in a unit's card)"
                            if self.structure.image_side else "") + ".")
        if folded:
            parts.append("Folded: " + ", ".join(folded)
                         + " (the strongest are drawn; click “more” to pick again).")
        return " ".join(parts)

    # --- which items show a part of the model ----------------------------------------------

    def items_for(self, marks) -> list:
        """The drawn items of ``marks``, each (module, unit, part): module -1 for the inputs;
        part None for the unit itself (unit None: the whole module: its nodes, biases and
        incoming weights, or its bar), an input index for the weight from it (unit None: every
        weight from that input), "bias" for the unit's bias, "in" for every weight into the
        unit. A unit or weight a big network does not draw has no item."""
        found: dict[int, object] = {}
        for module, unit, part in marks:
            for item in self._items_for(int(module), unit, part):
                found[id(item)] = item
        return list(found.values())

    def _items_for(self, module: int, unit, part) -> list:
        if module == -1:
            if self.image_node is not None:
                return [self.image_node]
            nodes = self.columns[0].nodes if self.columns else []
            return [n for n in nodes if unit is None or n.unit == unit]
        for bar in self.bars:
            if bar.bar.module.index == module:
                return [bar]
        view = next((v for v in self.columns if module in (v.column.linear,
                                                            v.column.picture)), None)
        if view is None:
            return []
        nodes = [n for n in view.nodes if unit is None or n.unit == unit]
        linear = view.column.linear == module
        if part == "bias" or (linear and part is None and unit is None):
            biases = [b for b in view.biases if unit is None or b.index[0] == unit]
            if part == "bias":
                return biases
            nodes = nodes + biases
        if not linear or part is None and unit is not None:
            return nodes
        weights = [item for ev in self.edges if ev.edges.linear == module for item in ev.items]
        weights += [b for b in self.bundles if b.key == f"{module}.weight"]
        if part is None or part == "in":
            picked = [w for w in weights if unit is None or w.index[0] == unit]
            return picked + (nodes if part is None else [])
        return [w for w in weights if (unit is None or w.index[0] == unit)
                and len(w.index) > 1 and w.index[1] == part]

    # --- names ---------------------------------------------------------------------------

    def column_of_linear(self, linear: int) -> int:
        return next(i for i, v in enumerate(self.columns) if v.column.linear == linear)

    def column_name(self, c: int) -> str:
        cols = self.structure.columns
        if cols[c].kind == "input":
            return "the inputs"
        if cols[c].kind == "output":
            return "the output"
        return f"layer {sum(1 for k in cols[:c] if k.kind == 'dense') + 1}"

    def unit_name(self, c: int, unit: int) -> str:
        col = self.structure.columns[c]
        if col.kind == "input":
            return col.names[unit]
        if col.kind == "output":
            return f"output {unit + 1}" + (f" ({col.names[unit]})" if col.names[unit] else "")
        return f"{self.column_name(c)}, unit {unit + 1}"

    # --- recolouring ---------------------------------------------------------------------

    def _pen(self, key: int) -> QPen:
        pen = self._pens.get(key)
        if pen is None:
            shade, step = divmod(key, _KEY)
            # flat caps: the ends sit under the nodes, and round ones double the raster cost
            pen = QPen(self.shade_color(shade), step / dl.WIDTH_STEPS, Qt.SolidLine,
                       Qt.FlatCap)
            self._pens[key] = pen
        return pen

    def _brush(self, shade: int) -> QBrush:
        brush = self._brushes.get(shade)
        if brush is None:
            brush = QBrush(self.shade_color(shade))
            self._brushes[shade] = brush
        return brush

    def shade_color(self, shade: int) -> QColor:
        """An edge's or a bias's colour at step ``shade`` of ``dl.SHADES`` over [-1, 1]."""
        lut = self.edge_lut
        rgb = lut[round(shade * (len(lut) - 1) / (dl.SHADES - 1))]
        return QColor(int(rgb[0]), int(rgb[1]), int(rgb[2]))

    def apply_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Edges and biases from a state dict: a new pen or brush only where the quantized
        style changed."""
        for part in self.weight_parts(weights):
            part()

    def apply_pictures(self, units: tuple[np.ndarray, ...], inputs: np.ndarray | None) -> None:
        """Every drawn node's picture from a snapshot's unit grids."""
        for part in self.picture_parts(units, inputs):
            part()

    def weight_parts(self, weights: dict[str, np.ndarray]) -> list[Callable[[], None]]:
        """``apply_weights`` cut into parts, one edge layer (or the biases, or the bundles)
        each: played one per turn of the event loop, each repaint is one layer's, not the
        whole diagram's (the view's ``_restyle``). Valid until the next ``build``."""
        parts: list[Callable[[], None]] = [
            (lambda ev=ev: self._apply_edges(ev, weights)) for ev in self.edges
            if ev.items and f"{ev.edges.linear}.weight" in weights]
        if any(view.biases for view in self.columns):
            parts.append(lambda: self._apply_biases(weights))
        if self.bundles and self.bundles[0].key in weights:
            parts.append(lambda: self._apply_bundles(weights))
        return parts

    def picture_parts(self, units: tuple[np.ndarray, ...], inputs: np.ndarray | None
                      ) -> list[Callable[[], None]]:
        """``apply_pictures`` cut into parts, one column each (as ``weight_parts``)."""
        return [(lambda view=view: self._apply_column_pictures(view, units, inputs))
                for view in self.columns if view.nodes]

    def _apply_edges(self, ev: EdgeView, weights: dict[str, np.ndarray]) -> None:
        values = weights[f"{ev.edges.linear}.weight"][ev.edges.rows, ev.edges.cols]
        keys = dl.shade_index(values) * _KEY + dl.width_index(values)
        for i in np.flatnonzero(keys != ev.keys).tolist():
            ev.items[i].set_pen(self._pen(int(keys[i])))
        ev.keys = keys

    def _apply_biases(self, weights: dict[str, np.ndarray]) -> None:
        for view in self.columns:
            b = weights.get(f"{view.column.linear}.bias") if view.biases else None
            if b is None:
                continue
            keys = dl.shade_index(b[view.shown])
            old = view.bias_keys
            changed = range(len(keys)) if old is None else np.flatnonzero(keys != old).tolist()
            for i in changed:
                view.biases[i].set_brush(self._brush(int(keys[i])))
            view.bias_keys = keys

    def _apply_bundles(self, weights: dict[str, np.ndarray]) -> None:
        w = weights[self.bundles[0].key]
        units = [b.index[0] for b in self.bundles]
        norms = np.sqrt(np.nansum(np.asarray(w[units], np.float64) ** 2, axis=1))
        keys = dl.width_index(norms)
        for i in np.flatnonzero(keys != self._bundle_keys).tolist():
            self.bundles[i].set_pen(QPen(self.host.colors.off, bundle_width(keys[i])))
        self._bundle_keys = keys

    def _apply_column_pictures(self, view: ColumnView, units: tuple[np.ndarray, ...],
                               inputs: np.ndarray | None) -> None:
        col = view.column
        arr = inputs if col.picture == -1 else (
            units[col.picture] if col.picture < len(units) else None)
        if arr is None or arr.shape[-1] != col.width:
            return
        grids = arr[..., view.shown]
        # the levels of diagram_layout's docstring: per input feature; a Linear's z and
        # an unbounded activation's output by their own range; tanh's and sigmoid's
        # output on the fixed [-1, 1]
        if col.kind == "input":
            view.level = dl.feature_levels(grids)
        else:
            bounded = col.picture != col.linear and col.activation in dl.BOUNDED
            view.level = dl.level(arr, 1.0 if bounded else 0.0)
        rgba = np.ascontiguousarray(np.moveaxis(dl.heat_rgba(grids, view.level, self.lut),
                                                2, 0))     # (k, side, side, 4)
        for node, pixels in zip(view.nodes, rgba):
            node.set_image(qimage(pixels))

    def set_mean_image(self, image: np.ndarray | None) -> None:
        """The image input's picture: ``image`` (s, s) from background to text colour."""
        self.mean_image = image
        if self.image_node is not None and image is not None:
            c = self.host.colors
            self.image_node.set_image(qimage(dl.grey_rgba(image, c.text.name(),
                                                          c.background.name())))

    def recolor(self) -> None:
        """After a theme change: what takes the palette's colours (the caller applies the
        last weights again)."""
        c = self.host.colors
        neutral = c.edge_neutral.name() if c.dark else ps.NEUTRAL
        self.edge_lut = dl.diverging_lut(ps.ORANGE, neutral, ps.BLUE)
        self._pens.clear()
        self._brushes.clear()
        for ev in self.edges:
            ev.keys[:] = -1
        for view in self.columns:
            view.bias_keys = None
        for item in self.bundles:
            item.set_pen(QPen(self.host.colors.off, item.pen.widthF()))
        self.set_mean_image(self.mean_image)
        self.update()


def bundle_width(step: int) -> float:
    """A bundle's stroke: the edge scale of its weights' norm, at 40 % (16 bundles of a
    few hundred weights each would otherwise drown the edges that follow)."""
    return 1.0 + 0.4 * (step / dl.WIDTH_STEPS - 1.0)


def qimage(rgba: np.ndarray) -> QImage:
    """A QImage owning a copy of (h, w, 4) uint8 RGBA pixels."""
    h, w = rgba.shape[:2]
    data = np.ascontiguousarray(rgba)
    return QImage(data.data, w, h, 4 * w, QImage.Format_RGBA8888).copy()

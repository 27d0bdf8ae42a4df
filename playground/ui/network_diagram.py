"""The network diagram: TensorFlow Playground's network picture, live, editable and big-safe.

``NetworkDiagram(model, edit_weight)`` is a ``RunView``. ``set_run`` (and an accepted edit of
the structure or the 2-D features, drawn at once from the config) builds the scene's items;
``show_snapshot`` then only recolours them: edges by sign and |w| (orange -> grey -> blue over
[-1, 1], widths 1-10 px over |w| in [0, 5], the legend shows both), each unit's bias square,
and, when the snapshot carries the unit grids, every node's picture over the input plane
(``diagram_layout`` documents the colour levels). Hovering an edge, a bias or a unit shows a
card with its live value and last gradient (``Snapshot.grads``), refreshed by every snapshot;
hovering a unit emits ``unit_hovered((module_index, unit))`` (None on leave; module -1 is the
model inputs) for the window to show ``picture(module_index, unit)`` large.

Editing goes through the one config (``ConfigModel``): clicking a 2-D input switches its
feature (``update_data(features=...)``); the header buttons add or remove units and layers
(``update_model(layers=...)``). A refused edit changes nothing and says why in a small label.
While paused (``set_playing(False)``), clicking an edge or a bias opens an inline editor; a
committed value goes to ``edit_weight(key, index, value, on_done)`` (the window runs
``Trainer.set_value`` on the worker, whose next snapshot carries the edited model's
predictions and ``evaluation``) through ``undo_stack``, so Ctrl+Z takes it back.

Big networks stay readable: a column draws at most ``MAX_NODES`` units (the strongest by
summed |incoming| + |outgoing| weight, picked at the run's first snapshot and again on a
click on the "+N more" node), at most ``MAX_EDGES`` weights are drawn (the strongest), and
image-shaped inputs are one node whose weights into a hovered unit show as an image in its
card. The note under the diagram says what is hidden. Restyling keeps the diagram's share of
the UI thread bounded: when painting grows dear (a big net, a slow machine), the next restyle
waits PAINT_SHARE times the last paint's cost and then takes the latest snapshot; the card
always reads the latest one at once.

Wiring (the main window): ``edit_weight = lambda key, index, value, on_done:
controller.call(lambda t: t.set_value(key, index, value), on_done)``; ``set_playing`` from
``controller.playing_changed``; ``unit_hovered`` to the regions plot; Edit menu actions from
``undo_stack.createUndoAction`` / ``createRedoAction``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections import deque
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import (QColor, QKeySequence, QPainter, QPalette, QPen, QTransform,
                           QUndoCommand, QUndoStack)
from PySide6.QtWidgets import QGraphicsView, QLabel

from playground.config import DenseLayer
from playground.engine.session import Snapshot
from playground.run_info import RunInfo
from playground.ui import diagram_card as cards
from playground.ui import diagram_layout as dl
from playground.ui.config_model import ALL, DATA, MODEL, ConfigModel
from playground.ui.diagram_card import HoverCard, InlineEditor
from playground.ui.diagram_items import DiagramColors, DiagramItem, NodeItem
from playground.ui.diagram_scene import DiagramScene
from playground.ui.widgets import ErrorLabel

#: ``edit_weight(key, index, value, on_done)``: set one parameter on the worker; on_done gets
#: the old value (``Trainer.set_value``'s) or the exception raised
EditWeight = Callable[[str, tuple, float, Callable[[object], None]], None]

MAX_SCALE = 1.6
MESSAGE_SECONDS = 8
#: restyling waits until the last paint's cost times PAINT_SHARE has passed (at most
#: MAX_DEFER s): the diagram's repaints take at most about 1 / PAINT_SHARE of the UI thread
PAINT_SHARE = 4.0
MAX_DEFER = 0.25
#: while restyling adapts, the edges' pens change at most this often (s): the pictures
#: follow every restyle, the edges (drawn from a cache between their changes) ten times a
#: second, which still shows every weight moving
EDGE_INTERVAL = 0.1
NEW_LAYER = DenseLayer(8, "tanh")   # "+ layer" on a stack without a dense layer to copy
#: ``highlight``'s colour unless asked another (apart from the weights' orange and blue)
HIGHLIGHT = "#d81b60"


class WeightEdit(QUndoCommand):
    """One typed weight or bias: redo sets the new value, undo the old one (both through
    the window's ``edit_weight``, on the worker)."""

    def __init__(self, diagram: NetworkDiagram, key: str, index: tuple, old: float,
                 new: float) -> None:
        super().__init__(f"set {key}[{', '.join(map(str, index))}] to {new:.4g}")
        self.diagram, self.key, self.index, self.old, self.new = diagram, key, index, old, new
        self._first = True

    def redo(self) -> None:
        first, self._first = self._first, False
        # the engine's own old value replaces the one read off the last snapshot
        keep = (lambda old: setattr(self, "old", old)) if first else None
        self.diagram._send(self.key, self.index, self.new, keep)

    def undo(self) -> None:
        self.diagram._send(self.key, self.index, self.old, None)


class NetworkDiagram(QGraphicsView):
    """The run's network as a node-link diagram (see the module docstring)."""

    unit_hovered = Signal(object)   # (module_index, unit), or None when the pointer leaves

    def __init__(self, model: ConfigModel, edit_weight: EditWeight, parent=None) -> None:
        super().__init__(parent)
        self.model = model
        self.edit_weight = edit_weight
        self.setAccessibleName("Network diagram")
        self.colors = DiagramColors.from_palette(self.palette())
        self.diagram_scene = DiagramScene(self, self)
        self.setScene(self.diagram_scene)
        self.setRenderHints(QPainter.Antialiasing | QPainter.SmoothPixmapTransform)
        self.setViewportUpdateMode(QGraphicsView.MinimalViewportUpdate)
        self.setOptimizationFlag(QGraphicsView.DontSavePainterState, True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.setMinimumSize(320, 220)
        #: Ctrl+Z / Ctrl+Shift+Z here; the window adds Edit menu actions from it
        self.undo_stack = QUndoStack(self)
        self.card = HoverCard(self)
        self.editor = InlineEditor(self, self._commit)
        self.note = QLabel(self)
        self.note.setAccessibleName("Diagram note")
        self.note.setWordWrap(True)
        small = self.note.font()
        small.setPointSizeF(max(7.0, small.pointSizeF() - 1))
        self.note.setFont(small)
        self.note.hide()
        self.message = ErrorLabel("Diagram message")
        self.message.setParent(self)
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(lambda: self._say(None))
        self._run: RunInfo | None = None
        self._run_id: int | None = None
        self._snap: Snapshot | None = None
        self._units: tuple[np.ndarray, ...] | None = None
        self._unit_inputs: np.ndarray | None = None
        self._hovered: DiagramItem | None = None
        self._mouse = QPointF(0, 0)
        self._playing = False
        self._pending = None          # a config whose structure is drawn on the next turn
        self._edit: tuple[str, tuple] | None = None
        self._reserve = 0
        #: adapt the restyle rate to the paint cost (tests that check pens right after a
        #: snapshot turn it off)
        self.adaptive = True
        self._paint_seconds = 0.0
        self._restyle_due = 0.0
        self._edges_due = 0.0
        self._pictures_due = False
        self._restyle_timer = QTimer(self)
        self._restyle_timer.setSingleShot(True)
        self._restyle_timer.timeout.connect(self._restyle)
        self._parts: deque[Callable[[], None]] = deque()
        self._again = False
        self._cycle_paint = 0.0
        self._part_timer = QTimer(self)
        self._part_timer.setSingleShot(True)
        self._part_timer.setInterval(0)
        self._part_timer.timeout.connect(self._next_part)
        self._marked: list[DiagramItem] = []
        self._apply_theme()
        model.changed.connect(self._config_changed)

    # --- RunView -----------------------------------------------------------------------------

    def set_run(self, run: RunInfo) -> None:
        """A new run: its structure, drawn from scratch; the old run's edits are forgotten."""
        self._run, self._run_id, self._pending = run, run.run_id, None
        self._snap = self._units = self._unit_inputs = None
        self.undo_stack.clear()
        st = dl.structure_of(run)
        mean = None
        if st.image_side:
            ds = run.dataset
            raw = ds.raw_train if ds.raw_train.shape[1] == ds.n_features else ds.x_train
            mean = np.asarray(raw, np.float64).mean(axis=0).reshape(st.image_side,
                                                                    st.image_side)
        self.diagram_scene.mean_image = mean
        self._build(st, None)

    def show_snapshot(self, snap: Snapshot) -> None:
        """Recolour the edges, biases and pictures, and the card. A big net's first snapshot
        also picks which units to draw, its strongest. Snapshots of another run are
        dropped."""
        scene = self.diagram_scene
        if scene.structure is None or snap.run_id != self._run_id:
            return
        self._snap = snap
        if snap.units is not None:
            self._units, self._unit_inputs = snap.units, snap.unit_inputs
            self._pictures_due = True
        if not scene.picked and snap.weights:
            self._build(scene.structure, snap.weights)   # recolours from self._snap
        else:
            self._restyle_when_due()
        self._refresh_card()

    def _restyle_when_due(self) -> None:
        """Restyle now, or (adaptive, painting is dear) from the latest snapshot a bit later."""
        wait = self._restyle_due - time.perf_counter()
        if self.adaptive and wait > 0:
            if not self._restyle_timer.isActive():
                self._restyle_timer.start(max(1, math.ceil(wait * 1000)))
        else:
            self._restyle()

    def _restyle(self) -> None:
        """Pens, brushes and (when a grid came) pictures from the latest snapshot: at once
        when not adaptive (tests), else cut into parts (``DiagramScene.picture_parts`` and
        ``weight_parts``: one column's pictures, one layer's edges) played one per turn of
        the event loop, so that each repaint is a part's. Painted whole in one turn, the
        2-8x6-1 spiral's diagram took 17 ms (up to 46) of the UI thread while training ran,
        the longest turn of the window's frame."""
        self._restyle_timer.stop()
        if self._snap is None:
            return
        if self._parts:                 # a restyle is being played out: then this one
            self._again = True
            return
        scene = self.diagram_scene
        parts = []
        if self._pictures_due and self._units is not None:
            parts += scene.picture_parts(self._units, self._unit_inputs)
        self._pictures_due = False
        now = time.perf_counter()
        edges_wait = self._edges_due - now
        if self.adaptive and edges_wait > 0:     # this snapshot's weights, a little later
            self._restyle_timer.start(max(1, math.ceil(edges_wait * 1000)))
        else:
            parts += scene.weight_parts(self._snap.weights)
            self._edges_due = now + EDGE_INTERVAL
        if not self.adaptive:
            for part in parts:
                part()
            return
        # the last restyle's paints, all its parts' together, set when the next may come
        if self._cycle_paint:
            self._paint_seconds = self._cycle_paint if not self._paint_seconds else (
                0.7 * self._paint_seconds + 0.3 * self._cycle_paint)
        self._cycle_paint = 0.0
        self._restyle_due = now + min(MAX_DEFER, PAINT_SHARE * self._paint_seconds)
        self._parts.extend(parts)
        self._next_part()

    def _next_part(self) -> None:
        """One part of the restyle being played out; the next on the next turn."""
        if self._parts:
            self._parts.popleft()()
        if self._parts:
            self._part_timer.start()
        elif self._again:
            self._again = False
            self._restyle_when_due()

    def _drop_parts(self) -> None:
        """Forget a restyle being played out (its items are about to go)."""
        self._part_timer.stop()
        self._parts.clear()
        self._again = False

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        start = time.perf_counter()
        super().paintEvent(event)
        self._cycle_paint += time.perf_counter() - start

    def set_playing(self, playing: bool) -> None:
        """Training runs (a click on a weight asks for a pause) or is paused (it edits)."""
        self._playing = bool(playing)
        if playing:
            self.editor.hide()
        self._refresh_card()

    def picture(self, module_index: int, unit: int) -> np.ndarray | None:
        """The latest grid of one unit, (r, r) with [j, i] at plane point (us[i], vs[j]):
        ``snap.units[module_index][..., unit]``, or the model input ``unit`` for
        module_index -1; None before a snapshot with unit grids."""
        arr = self._unit_inputs if module_index == -1 else (
            self._units[module_index] if self._units is not None
            and 0 <= module_index < len(self._units) else None)
        return None if arr is None else arr[..., unit]

    def describe(self, module_index: int, unit: int) -> str:
        """What ``picture(module_index, unit)`` shows, in words: "x1^2", "layer 2, unit 3 ·
        tanh", "output 1 (class 1) · z, before sigmoid"."""
        scene = self.diagram_scene
        if scene.structure is None:
            return ""
        for c, col in enumerate(scene.structure.columns):
            if col.picture != module_index:
                continue
            if col.kind == "input":
                return col.names[unit] if 0 <= unit < len(col.names) else f"input {unit + 1}"
            name = scene.unit_name(c, unit)
            if col.kind == "output":
                return f"{name} · z, before {col.activation}"
            return f"{name} · {col.activation}"
        return f"module {module_index}, unit {unit + 1}"

    # --- highlights (the inspector) ---------------------------------------------------------

    def highlight(self, marks, color: str = HIGHLIGHT) -> int:
        """Light the items of ``marks`` (``DiagramScene.items_for``: (module, unit, part)
        triples, module -1 the inputs) in ``color``, instead of any earlier highlight;
        returns how many items are lit (0 for parts a big network does not draw)."""
        self.clear_highlight()
        pen = QPen(QColor(color), 3)
        self._marked = self.diagram_scene.items_for(marks)
        for item in self._marked:
            item.set_mark(pen)
        return len(self._marked)

    def clear_highlight(self) -> None:
        for item in self._marked:
            item.set_mark(None)
        self._marked = []

    def highlighted(self) -> list[DiagramItem]:
        """The items ``highlight`` lit."""
        return list(self._marked)

    # --- what tests and the window read --------------------------------------------------

    @property
    def structure(self) -> dl.Structure | None:
        return self.diagram_scene.structure

    @property
    def max_edges(self) -> int:
        """At most this many weights are drawn (the strongest); a new value applies at the
        next structure change."""
        return self.diagram_scene.max_edges

    @max_edges.setter
    def max_edges(self, n: int) -> None:
        self.diagram_scene.max_edges = int(n)

    def items_of(self, kind: str) -> list[DiagramItem]:
        """The scene's items of one kind ("unit", "bias", "edge", "bundle", "bar", "more",
        "button", "image")."""
        return [i for i in self.diagram_scene.items() if getattr(i, "kind", None) == kind]

    def nodes(self, column: int) -> list[NodeItem]:
        """Column ``column``'s unit nodes in node order (the inputs: those the model has)."""
        return list(self.diagram_scene.columns[column].nodes)

    def shown_units(self, column: int) -> np.ndarray:
        """The model units column ``column`` draws, in node order."""
        return self.diagram_scene.columns[column].shown.copy()

    def _build(self, st: dl.Structure, weights: dict[str, np.ndarray] | None) -> None:
        self._restyle_timer.stop()
        self._drop_parts()
        self.editor.hide()
        self._leave_hover()
        self._marked = []          # their items go with the old scene
        scene = self.diagram_scene
        scene.build(st, weights)
        self.note.setText(scene.hidden_note)
        self.note.setVisible(bool(scene.hidden_note))
        self._place_overlays()
        self._fit()
        self._pictures_due = True
        self._restyle()

    # --- hover and the card ------------------------------------------------------------------

    def hovered(self, item: DiagramItem, entered: bool) -> None:
        """An item's hover enter or leave (items call it)."""
        if entered:
            if self._hovered is not None and self._hovered is not item:
                self._unit_left(self._hovered)
            self._hovered = item
            self._refresh_card()
            if item.kind == "unit" and item.unit >= 0:
                self.unit_hovered.emit((item.picture_module, item.unit))
        elif item is self._hovered:
            self._leave_hover()

    def _leave_hover(self) -> None:
        item, self._hovered = self._hovered, None
        self.card.hide()
        if item is not None:
            self._unit_left(item)

    def _unit_left(self, item: DiagramItem) -> None:
        if item.kind == "unit" and item.unit >= 0:
            self.unit_hovered.emit(None)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self._mouse = event.position()
        super().mouseMoveEvent(event)
        if self.card.isVisible():
            self._place_card()

    def leaveEvent(self, event) -> None:  # noqa: N802
        self._leave_hover()
        super().leaveEvent(event)

    def _refresh_card(self) -> None:
        item = self._hovered
        if item is None:
            return
        lines, image = cards.card(item, self.diagram_scene, self._snap, self._playing,
                                  self.picture)
        if not lines:
            self.card.hide()
            return
        self.card.set_lines(lines, image)
        self._place_card()
        self.card.show()
        self.card.raise_()

    def _place_card(self) -> None:
        """Below right of the pointer, inside the view, never under the pointer."""
        p, w, h = self._mouse, self.card.width(), self.card.height()
        x = max(4.0, min(p.x() + 16, self.width() - w - 4))
        y = max(4.0, min(p.y() + 16, self.height() - h - 4))
        if x <= p.x() <= x + w and y <= p.y() <= y + h:
            y = max(4.0, p.y() - h - 12)
        self.card.move(int(x), int(y))

    # --- clicks and edits ----------------------------------------------------------------

    def clicked(self, item: DiagramItem) -> None:
        """A left click on an item (items call it)."""
        kind = item.kind
        if kind == "button":
            self._act(item.action)
        elif kind == "unit" and item.column == 0 and self.structure.toggles:
            self._toggle(item.label)
        elif kind in ("edge", "bias"):
            self._start_edit(item)
        elif kind == "more" and self._snap is not None:
            self._build(self.structure, self._snap.weights)

    def _toggle(self, name: str) -> None:
        features = tuple(self.model.config.data.features or ())
        self._say(self.model.update_data(features=dl.toggled(features, name)))

    def _act(self, action: tuple) -> None:
        layers = list(self.model.config.model.layers)
        what = action[0]
        if what == "units":
            i, delta = action[1], action[2]
            layers[i] = dataclasses.replace(layers[i], units=layers[i].units + delta)
        elif what == "remove":
            del layers[action[1]]
        elif what == "add_layer":
            dense = [layer for layer in layers if isinstance(layer, DenseLayer)]
            layers.append(dataclasses.replace(dense[-1]) if dense else NEW_LAYER)
        self._say(self.model.update_model(layers=tuple(layers)))

    def _say(self, text: str | None) -> None:
        """Show a refusal (or clear it, None) in the small label under the diagram."""
        self.message.report(text)
        self._place_overlays()
        if text:
            self._message_timer.start(MESSAGE_SECONDS * 1000)

    def _start_edit(self, item: DiagramItem) -> None:
        if self._playing:
            self._say("Pause training to edit a weight or a bias.")
            return
        value = cards.value(self._snap, item.key, item.index)
        if value is None:
            return
        self._edit = (item.key, tuple(item.index))
        self.editor.setText(f"{value:.6g}")
        p = self._mouse
        self.editor.move(int(min(max(4, p.x() - 20), self.width() - self.editor.width() - 4)),
                         int(min(max(4, p.y() - 12), self.height() - self.editor.height() - 4)))
        self.editor.show()
        self.editor.raise_()
        self.editor.setFocus()
        self.editor.selectAll()

    def edit_value(self, key: str, index: tuple, value) -> str | None:
        """Set ``key[index]`` to ``value`` as the inline editor does (an undoable command
        through ``edit_weight``); returns the reason when it is refused."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            return f"{str(value)[:40]!r} is not a number"
        dtype = np.dtype(self._run.config.train.dtype if self._run else "float64")
        with np.errstate(over="ignore"):
            cast = dtype.type(number)
        if not (math.isfinite(number) and np.isfinite(cast)):
            return f"{value} is not a finite {dtype.name} number"
        old = cards.value(self._snap, key, tuple(index))
        if old is None:
            return f"{key} is not in this run"
        if float(cast) != old:
            self.undo_stack.push(WeightEdit(self, key, tuple(index), old, number))
        return None

    def _commit(self, text: str) -> None:
        if self._edit is None:
            return
        error = self.edit_value(*self._edit, text.strip())
        self._say(error)
        if not error:
            self._edit = None
            self.editor.hide()

    def _send(self, key: str, index: tuple, value: float, first) -> None:
        def done(result) -> None:
            if isinstance(result, BaseException):
                self._say(str(result))
            elif first is not None and isinstance(result, float):
                first(result)
        self.edit_weight(key, index, value, done)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.matches(QKeySequence.Undo):
            self.undo_stack.undo()
        elif event.matches(QKeySequence.Redo):
            self.undo_stack.redo()
        else:
            super().keyPressEvent(event)

    # --- config changes, theme, size -------------------------------------------------------

    def _config_changed(self, config, part: str) -> None:
        if part in (DATA, MODEL, ALL) and self._run is not None:
            self._pending = config
            QTimer.singleShot(0, self._draw_pending)

    def _draw_pending(self) -> None:
        """An accepted edit whose run has not come (yet): draw its structure from the
        config, so the diagram follows at once; the run's own ``set_run`` replaces it."""
        config, self._pending = self._pending, None
        if config is None or self._run is None or config == self._run.config:
            return
        st = dl.structure_for_config(config, self._run)
        if st is not None:
            self._run_id = None          # no snapshot of the old run fits these items
            self._snap = self._units = self._unit_inputs = None
            self._build(st, None)

    def _apply_theme(self) -> None:
        self.colors = DiagramColors.from_palette(self.palette())
        self.setBackgroundBrush(self.colors.background)
        pal = self.palette()
        self.card.set_colors(pal.color(QPalette.ToolTipBase).name(),
                             pal.color(QPalette.ToolTipText).name(), self.colors.border.name())
        self.note.setStyleSheet(f"color: {self.colors.muted.name()};")
        self.diagram_scene.recolor()
        if self._snap is not None:
            self.diagram_scene.apply_weights(self._snap.weights)

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() in (QEvent.PaletteChange, QEvent.ApplicationPaletteChange):
            self._apply_theme()
        super().changeEvent(event)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._place_overlays()
        self._fit()

    def _fit(self) -> None:
        """Scale the scene to the view (at most MAX_SCALE), above the note and message."""
        rect = self.diagram_scene.sceneRect()
        vp = self.viewport().rect()
        room = vp.height() - self._reserve
        if rect.isEmpty() or vp.width() < 10 or room < 10:
            return
        scale = min(vp.width() / rect.width(), room / rect.height(), MAX_SCALE)
        self.setTransform(QTransform.fromScale(scale, scale))
        self.centerOn(rect.center() + QPointF(0, self._reserve / 2 / scale))

    def _place_overlays(self) -> None:
        """The note and the message along the bottom; the scene fits above them."""
        w = max(100, self.width() - 16)
        y = self.height() - 6
        for label in (self.message, self.note):
            if label.isVisibleTo(self):
                label.setFixedWidth(w)
                h = max(label.heightForWidth(w), label.sizeHint().height())
                label.setFixedHeight(h)
                y -= h
                label.move(8, y)
                y -= 2
        reserve = self.height() - 6 - y
        if reserve != self._reserve:
            self._reserve = reserve
            self._fit()

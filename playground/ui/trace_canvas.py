"""``TraceCanvas``: the inspector's lines painted, formula beside numbers, in a scroll area.

Each ``inspector_lines.Line`` is placed once per width (``_layout``): a section's or module's
title, a rule (the registry's formula, its parts stacked when it is too wide for the view,
``inspector_lines.split_formula``), a value (its symbol typeset, then its numbers in one
column per block, on the symbol's baseline, wrapped), a note. Only the lines in view are
painted. Formulas come from ``formula_render``'s cache; those not typeset yet are asked of
its background thread and show as their source, muted, until they come. The line under the
pointer is reported (``hovered``) for the network diagram's highlight.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import shiboken6
from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from playground.ui import formula_render
from playground.ui import inspector_lines as il
from playground.ui.inspector_lines import PHASE_COLORS, Line

PAD = 8                # the canvas's left and right margin
INDENT = {"section": 0, "module": 6, "rule": 16, "value": 26, "note": 26}
GAP = 8                # between a value's symbol and its numbers


@dataclass
class _Placed:
    """Where a line is drawn: from ``y``, ``height`` high; its typeset ``formulas`` as
    (mathtext, x, y, scale) and its text in ``text_rect``."""

    y: int
    height: int
    formulas: list[tuple[str, float, float, float]] = field(default_factory=list)
    text_rect: QRect | None = None


class TraceCanvas(QWidget):
    """Paints ``Line``s top to bottom (only those in view); reports the line under the
    pointer (``hovered``: its index, -1 on leave). A rule too wide for the view stacks its
    parts (``inspector_lines.split_formula``), each scaled down to fit if it must. Formulas
    not typeset yet show as their source, muted, until ``formula_render.prefetch`` brings
    them."""

    hovered = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Minimum)
        self.lines: list[Line] = []
        self.placed: list[_Placed] = []
        self._tops: list[int] = []
        self._height = 40
        self._laid_width = -1
        self.hover = -1
        self.current = -1          # the animation's line
        self._live = False         # lines come from a playing run (set_lines relayout=False)
        self._waiting: set[tuple[str, float]] = set()
        self._pixmaps: dict[tuple[str, str], object] = {}   # typeset, in this palette
        self._baselines: dict[str, float] = {}
        self._sizes: dict[str, float] | None = None
        self.setAccessibleName("Inspector formulas")

    def sizes(self) -> dict[str, float]:
        """The formulas' point sizes: a rule's, and a value's symbol."""
        if self._sizes is None:
            base = QFont().pointSizeF()
            base = base if base > 0 else 9.0
            self._sizes = {"rule": base + 3.0, "value": base + 2.5}
        return self._sizes

    def _baseline(self, latex: str) -> float | None:
        found = self._baselines.get(latex)
        if found is None:
            found = formula_render.baseline(latex, point_size=self.sizes()["value"])
            if found is not None:
                self._baselines[latex] = found
        return found

    def set_lines(self, lines: list[Line], relayout: bool = True) -> None:
        """Show ``lines``. ``relayout=False`` (training plays) keeps the places of the lines
        shown when the new ones are of the same kinds (their numbers and the entries shown
        may differ) and only repaints, each line clipped to its old place: a full layout is
        the canvas's one real cost, and the next one (paused) puts everything right."""
        same = (not relayout and self._laid_width == self.width()
                and len(lines) == len(self.lines)
                and all(a.kind == b.kind and (a.kind != "rule" or a.formula == b.formula)
                        for a, b in zip(lines, self.lines)))
        self.lines = lines
        self.hover = min(self.hover, len(lines) - 1)
        self._live = not relayout
        if same:
            self._prefetch()
            self.update()
            return
        self.current = -1
        self._prefetch()
        self._layout()

    def _prefetch(self) -> None:
        sizes = self.sizes()
        missing: dict[float, list[str]] = {}
        for line in self.lines:
            if not line.formula or line.kind not in sizes:
                continue
            size = sizes[line.kind]
            wanted = (line.formula,) + (il.split_formula(line.formula) if line.kind == "rule"
                                        else ())
            for latex in wanted:
                if (latex, size) not in self._waiting and self.pixmap(latex, line.kind) is None:
                    missing.setdefault(size, []).append(latex)
        for size, todo in missing.items():
            fresh = list(dict.fromkeys(todo))
            self._waiting.update((latex, size) for latex in fresh)
            formula_render.prefetch(fresh, point_size=size,
                                    on_ready=lambda f=fresh, z=size: self._typeset(f, z))

    def _typeset(self, done: list[str], size: float) -> None:
        if not shiboken6.isValid(self):      # closed while its formulas were typeset
            return
        self._waiting.difference_update((latex, size) for latex in done)
        if self._live and self._laid_width == self.width():
            self.update()     # live: drawn in the places laid out; paused lays them out
        else:
            self._layout()

    def pixmap(self, latex: str, kind: str):
        """The formula typeset for a line of ``kind``, or None while it is not."""
        key = (latex, kind)
        found = self._pixmaps.get(key)
        if found is None and latex and kind in ("rule", "value"):
            found = formula_render.cached(latex, self.palette().color(QPalette.Text),
                                          point_size=self.sizes()[kind])
            if found is not None:
                self._pixmaps[key] = found
        return found

    def _fonts(self) -> dict[str, QFont]:
        base = QFont(self.font())
        bold = QFont(base)
        bold.setBold(True)
        section = QFont(bold)
        section.setPointSizeF(base.pointSizeF() + 1)
        note = QFont(base)
        note.setItalic(True)
        return {"section": section, "module": bold, "value": base, "note": note,
                "rule": base}

    def _size_of(self, latex: str, kind: str, fm: QFontMetrics) -> tuple[float, float]:
        pm = self.pixmap(latex, kind)
        if pm is not None:
            size = pm.deviceIndependentSize()
            return size.width(), size.height()
        return fm.horizontalAdvance(latex) + 4.0, fm.height() + 2.0

    def _layout(self) -> None:
        """Place every line for the current width; the canvas is as tall as they are."""
        width = max(self.width(), 200)
        self._laid_width = width
        metrics = {kind: QFontMetrics(font) for kind, font in self._fonts().items()}
        self.placed = []
        y = 4
        symbols = self._symbol_columns(width)
        for i, line in enumerate(self.lines):
            fm = metrics[line.kind]
            x = PAD + INDENT[line.kind]
            room = max(60, width - x - PAD)
            if line.kind in ("section", "module", "note"):
                y += (10 if i else 0) if line.kind == "section" else \
                    6 if line.kind == "module" else 0
                pad = 10 if line.kind == "section" else 0
                box = fm.boundingRect(QRect(x + pad, 0, room - pad, 10000), Qt.TextWordWrap,
                                      line.text)
                h = box.height() + (8 if line.kind == "section" else 4)
                self.placed.append(_Placed(y, h, text_rect=QRect(
                    x + pad, y + (4 if line.kind == "section" else 2), room - pad,
                    box.height())))
            elif line.kind == "rule":
                self.placed.append(self._place_rule(line, x, y, room, fm))
            else:
                self.placed.append(self._place_value(line, x, y, room, width, symbols[i], fm))
            y += self.placed[-1].height
        self._tops = [p.y for p in self.placed]
        self._height = y + 8
        self.setMinimumHeight(self._height)
        self.updateGeometry()
        self.update()

    def _place_rule(self, line: Line, x: int, y: int, room: int, fm: QFontMetrics) -> _Placed:
        """The whole formula if it fits; else its parts stacked, the later ones indented."""
        w, _h = self._size_of(line.formula, "rule", fm)
        parts = [line.formula]
        if w > room:
            parts = il.split_formula(line.formula)
        placed, top = [], y + 3
        for k, latex in enumerate(parts):
            px = x + (14 if k else 0)
            pw, ph = self._size_of(latex, "rule", fm)
            scale = min(1.0, (room - (px - x)) / pw) if pw else 1.0
            placed.append((latex, float(px), float(top), scale))
            top += ph * scale + 2
        return _Placed(y, int(top - y) + 3, formulas=placed)

    def _place_value(self, line: Line, x: int, y: int, room: int, width: int, column: int,
                     fm: QFontMetrics) -> _Placed:
        """The symbol, then the numbers in the block's column (on the symbol's baseline),
        wrapped; below the symbol when the view is too narrow for both."""
        fw, fh = self._size_of(line.formula, "value", fm)
        tx = x + column + GAP
        if width - tx - PAD < 140:
            box = fm.boundingRect(QRect(x + 12, 0, room - 12, 10000), Qt.TextWordWrap,
                                  line.text)
            return _Placed(y, int(fh) + box.height() + 4,
                           formulas=[(line.formula, float(x), y + 2.0, 1.0)],
                           text_rect=QRect(x + 12, y + int(fh) + 2, room - 12, box.height()))
        text_w = width - tx - PAD
        box = fm.boundingRect(QRect(tx, 0, text_w, 10000), Qt.TextWordWrap, line.text)
        base = self._baseline(line.formula)
        if base is not None and self.pixmap(line.formula, "value") is not None:
            top = y + 2 + int(round(base - fm.ascent()))
        else:
            top = y + 2 + int((fh - fm.height()) // 2)
        top = max(y + 1, top)
        h = max(int(fh) + 4, top - y + box.height() + 3)
        return _Placed(y, h, formulas=[(line.formula, float(x), y + 2.0, 1.0)],
                       text_rect=QRect(tx, top, text_w, box.height()))

    def _symbol_columns(self, width: int) -> list[int]:
        """Per line, the width of its block's symbol column: the widest symbol of the value
        lines that follow each other (so their numbers start in one column)."""
        out = [0] * len(self.lines)
        fm = QFontMetrics(self.font())
        start = 0
        while start < len(self.lines):
            if self.lines[start].kind != "value":
                start += 1
                continue
            end = start
            while end < len(self.lines) and self.lines[end].kind == "value":
                end += 1
            widest = max(self._size_of(line.formula, "value", fm)[0]
                         for line in self.lines[start:end])
            for k in range(start, end):
                out[k] = int(min(widest, max(60, width // 3)))
            start = end
        return out

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        return QSize(360, self._height)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.size().width() != self._laid_width:
            self._layout()

    def line_rect(self, index: int) -> QRect:
        p = self.placed[index]
        return QRect(0, p.y, self.width(), p.height)

    def index_at(self, y: float) -> int:
        k = bisect.bisect_right(self._tops, y) - 1
        if 0 <= k < len(self.placed) and y < self.placed[k].y + self.placed[k].height:
            return k
        return -1

    def set_current(self, index: int) -> None:
        if index != self.current:
            self.current = index
            self.update()

    # painting
    def paintEvent(self, event) -> None:  # noqa: N802
        if not self.placed:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.SmoothPixmapTransform)
        pal = self.palette()
        text, base = pal.color(QPalette.Text), pal.color(QPalette.Base)
        # 60 % text, 40 % ground: still quieter than the values, and 4.5:1 in both themes
        muted = QColor(*(round(0.6 * a + 0.4 * b) for a, b in (
            (text.red(), base.red()), (text.green(), base.green()), (text.blue(), base.blue()))))
        fonts = self._fonts()
        ascent = QFontMetrics(fonts["value"]).ascent()
        clip = event.rect()
        first = max(0, bisect.bisect_right(self._tops, clip.top()) - 1)
        for i in range(first, len(self.placed)):
            p, line = self.placed[i], self.lines[i]
            if p.y > clip.bottom():
                break
            phase = QColor(PHASE_COLORS.get(line.phase, text.name()))
            if i in (self.hover, self.current):
                tint = QColor(phase)
                tint.setAlpha(60 if i == self.current else 34)
                painter.fillRect(QRect(0, p.y, self.width(), p.height), tint)
            if line.kind == "section":
                band = QColor(phase)
                band.setAlpha(28)
                painter.fillRect(QRect(0, p.y, self.width(), p.height), band)
                painter.fillRect(QRect(0, p.y, 4, p.height), phase)
                painter.setFont(fonts["section"])
                painter.setPen(text)
                painter.drawText(p.text_rect, Qt.AlignLeft | Qt.TextWordWrap, line.text)
                continue
            if line.kind in ("module", "note"):
                painter.setFont(fonts[line.kind])
                painter.setPen(muted if line.kind == "note" else text)
                painter.drawText(p.text_rect, Qt.AlignLeft | Qt.TextWordWrap, line.text)
                continue
            for latex, fx, fy, scale in p.formulas:
                pm = self.pixmap(latex, line.kind)
                if pm is not None:
                    size = pm.deviceIndependentSize()
                    painter.drawPixmap(QRectF(fx, fy, size.width() * scale,
                                              size.height() * scale), pm, QRectF(pm.rect()))
                else:
                    painter.setFont(fonts["value"])
                    painter.setPen(muted)
                    painter.drawText(QPoint(int(fx), int(fy) + ascent), latex)
            if p.text_rect is not None:
                painter.setFont(fonts["value"])
                painter.setPen(text)
                painter.drawText(p.text_rect, Qt.AlignLeft | Qt.TextWordWrap, line.text)
        painter.end()

    # hover
    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        k = self.index_at(event.position().y())
        if k != self.hover:
            self.hover = k
            self.update()
            self.hovered.emit(k)
        super().mouseMoveEvent(event)

    def leaveEvent(self, event) -> None:  # noqa: N802
        if self.hover != -1:
            self.hover = -1
            self.update()
            self.hovered.emit(-1)
        super().leaveEvent(event)

    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() in (event.Type.PaletteChange, event.Type.ApplicationPaletteChange,
                            event.Type.FontChange):
            self._pixmaps.clear()
            self._baselines.clear()
            self._sizes = None
            self._layout()
        super().changeEvent(event)

"""``ConfusionView``: how the classes are confused, rows the true class and columns the
predicted one, on the test split (the training split without one), refreshed with the grid.

A cell is tinted by its share of its row, s = count / row total: the table's ground blended
towards green on the diagonal (right) and red off it (wrong), tint = 0.15 + 0.85 s for a
non-empty cell, none for an empty one; the green and the red are the theme's ``right`` and
``wrong`` (dark on the light ground, light on the dark one). Not the class colours: each is
at least ``plot_style.CONFUSION_MARGIN`` (CIEDE2000 ΔE) from every class colour. Each count
is black or white, whichever contrasts more with its cell (at least 4.58:1, WCAG's 4.5 for
text, whatever the tint), and bold on the diagonal, so right and wrong differ without colour
too.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from playground.ui import plot_style as ps

#: the tint of a non-empty cell whose share of its row is near 0, and of a whole row's
LEAST_TINT, MOST_TINT = 0.15, 1.0


class ConfusionView(QWidget):
    """A k x k table of counts, each cell shaded by its share of the row (the true class)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget()
        self.table.setAccessibleName("Confusion matrix")
        self.table.setToolTip("Rows: true class; columns: predicted class")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.caption = QLabel("")
        self.caption.setAccessibleName("Confusion matrix caption")
        self.caption.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.caption)
        layout.addWidget(self.table, 1)
        self._names: list[str] = []
        self._split = "test"
        self._matrix: np.ndarray | None = None
        self.applies = False
        # a new palette reaches this view before its table: the cells are tinted a turn
        # later, from the table's resolved ground (else a dark theme kept white cells)
        self._recolor = QTimer(self)
        self._recolor.setSingleShot(True)
        self._recolor.setInterval(0)
        self._recolor.timeout.connect(self._redraw)
        ps.follow_theme(self, ConfusionView._restyle)

    def _restyle(self, _t: ps.PlotTheme) -> None:
        self._redraw()
        self._recolor.start()

    def _redraw(self) -> None:
        if self._matrix is not None:
            self.show_matrix(self._matrix)

    def set_run(self, run) -> None:
        ds = run.dataset
        self.applies = ds.task == "classification"
        self._names = [str(n) for n in ds.class_names]
        self._split = "test" if ds.has_test else "training"
        self._matrix = None
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.caption.setText(f"Confusion on the {self._split} split: rows true class, columns "
                             "predicted" if self.applies else "Regression: no classes")

    def show_snapshot(self, snap) -> None:
        if snap.confusion is not None and self.applies:
            self.show_matrix(snap.confusion)

    def show_matrix(self, matrix: np.ndarray) -> None:
        """Counts ``matrix[true, predicted]``, each cell tinted by its share of the row."""
        m = np.asarray(matrix)
        self._matrix = m
        k = m.shape[0]
        t = self.table
        if t.rowCount() != k:
            t.setRowCount(k)
            t.setColumnCount(k)
            t.setVerticalHeaderLabels([f"true {n}" for n in self._names[:k]])
            t.setHorizontalHeaderLabels(self._names[:k])
        share = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
        ground = t.palette().color(QPalette.ColorRole.Base)
        right, wrong = ps.theme().right, ps.theme().wrong
        for r in range(k):
            for c in range(k):
                item = t.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    font = item.font()
                    font.setBold(r == c)
                    item.setFont(font)
                    t.setItem(r, c, item)
                item.setText(f"{m[r, c]:g}")
                tint = LEAST_TINT + (MOST_TINT - LEAST_TINT) * share[r, c] if m[r, c] else 0.0
                cell = cell_color(ground, right if r == c else wrong, tint)
                item.setBackground(cell)
                item.setForeground(ps.readable_on(cell))
        t.resizeColumnsToContents()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # a new palette: the cells are tinted from the table's new ground (a theme switch
        # also brings the theme's hues, through ``_restyle``)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange) \
                and self._matrix is not None:
            self._recolor.start()
        super().changeEvent(event)


def cell_color(ground: QColor, hue: str, tint: float) -> QColor:
    """``ground`` blended towards ``hue``: (1 - tint) ground + tint hue, per channel."""
    a, b = np.array(ground.getRgb()[:3], float), np.array(QColor(hue).getRgb()[:3], float)
    return QColor(*np.rint((1 - tint) * a + tint * b).astype(int))

"""``ConfusionView``: how the classes are confused, rows the true class and columns the
predicted one, on the test split (the training split without one), refreshed with the grid.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from playground.ui import plot_style as ps


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
        self.applies = False

    def set_run(self, run) -> None:
        ds = run.dataset
        self.applies = ds.task == "classification"
        self._names = [str(n) for n in ds.class_names]
        self._split = "test" if ds.has_test else "training"
        self.table.clear()
        self.table.setRowCount(0)
        self.table.setColumnCount(0)
        self.caption.setText(f"Confusion on the {self._split} split: rows true class, columns "
                             "predicted" if self.applies else "Regression: no classes")

    def show_snapshot(self, snap) -> None:
        if snap.confusion is not None and self.applies:
            self.show_matrix(snap.confusion)

    def show_matrix(self, matrix: np.ndarray) -> None:
        """Counts ``matrix[true, predicted]``; diagonal cells blue, the rest orange."""
        m = np.asarray(matrix)
        k = m.shape[0]
        t = self.table
        if t.rowCount() != k:
            t.setRowCount(k)
            t.setColumnCount(k)
            t.setVerticalHeaderLabels([f"true {n}" for n in self._names[:k]])
            t.setHorizontalHeaderLabels(self._names[:k])
        share = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
        for r in range(k):
            for c in range(k):
                item = t.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    t.setItem(r, c, item)
                item.setText(f"{m[r, c]:g}")
                base = QColor(ps.BLUE if r == c else ps.ORANGE)
                base.setAlpha(int(40 + 180 * share[r, c]) if m[r, c] else 0)
                item.setBackground(base)
        t.resizeColumnsToContents()

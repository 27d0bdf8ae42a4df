"""``RunsDifferences``: the shown runs' configs, the keys on which they differ only.

One row per key path (``compare.differences`` over ``compare.editable_dict``: an optimizer's
untouched defaults are not a difference), one column per run headed by its swatch and name;
"—" where a run has no such key (a layer only some runs have). With fewer than two runs, or
none differing, a sentence says so instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView, QApplication, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from playground.runs.compare import config_differences
from playground.runs.record import RunRecord
from playground.runs.table import format_value

SWATCH = 12


def swatch(colour: str) -> QIcon:
    """A run's colour as a small framed square (the table's and the headers' icon). Made
    once per colour (painting one costs a millisecond, and a table refill asks for each row's
    again); the icons are kept on the application object, so they go with it."""
    app = QApplication.instance()
    cache = app.__dict__.setdefault("_playground_swatches", {}) if app is not None else {}
    icon = cache.get(colour)
    if icon is None:
        icon = cache[colour] = _painted_swatch(colour)
    return icon


def _painted_swatch(colour: str) -> QIcon:
    pix = QPixmap(SWATCH, SWATCH)
    pix.fill(Qt.transparent)
    painter = QPainter(pix)
    painter.setPen(QColor("#606060"))
    painter.setBrush(QColor(colour))
    painter.drawRect(0, 0, SWATCH - 1, SWATCH - 1)
    painter.end()
    return QIcon(pix)


class RunsDifferences(QWidget):
    """``show_runs(records)`` lists the keys on which their configs differ."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 0)
        self.table.setAccessibleName("Runs differences")
        self.table.setToolTip("The config keys on which the shown runs differ, one column "
                              "per run")
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        self.note = QLabel("")
        self.note.setAccessibleName("Runs differences note")
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)

    def show_runs(self, records: Sequence[RunRecord]) -> None:
        diff = config_differences(r.config for r in records) if len(records) > 1 \
            else {}
        t = self.table
        t.clear()
        t.setRowCount(len(diff))
        t.setColumnCount(len(records) if diff else 0)
        if len(records) < 2:
            note = "Tick two runs or more to see how their configs differ."
        elif not diff:
            note = ("The shown runs have the same config (New weights would change the init "
                    "seed).")
        else:
            note = ""
        self.note.setText(note)
        self.note.setVisible(bool(note))
        t.setVisible(bool(diff))
        if not diff:
            return
        for j, record in enumerate(records):
            t.setHorizontalHeaderItem(j, QTableWidgetItem(swatch(record.colour), record.name))
        t.setVerticalHeaderLabels(list(diff))
        for i, values in enumerate(diff.values()):
            for j, value in enumerate(values):
                t.setItem(i, j, QTableWidgetItem(format_value(value)))
        t.resizeColumnsToContents()

    def cells(self) -> dict[str, list[str]]:
        """The table as text: key path -> one cell per run."""
        t = self.table
        return {t.verticalHeaderItem(i).text(): [t.item(i, j).text()
                                                 for j in range(t.columnCount())]
                for i in range(t.rowCount())}

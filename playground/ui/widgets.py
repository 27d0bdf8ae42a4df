"""Small widgets the panels and views share: section headings, the inline error, a square."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

ERROR_COLOR = "#c62828"


class ErrorLabel(QLabel):
    """A red, word-wrapped label, hidden while there is nothing to say."""

    def __init__(self, accessible_name: str) -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setStyleSheet(f"color: {ERROR_COLOR};")
        self.setAccessibleName(accessible_name)
        self.hide()

    def report(self, error: str | None) -> bool:
        """Show ``error`` (True) or clear and hide (False, for None)."""
        self.setText(error or "")
        self.setVisible(bool(error))
        return bool(error)


def heading(text: str) -> QLabel:
    """A bold section heading."""
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class SquareBox(QWidget):
    """Lays out one child as the largest square that fits, centred: a plot of the input
    plane keeps equal units on both axes without widening its range into empty space."""

    def __init__(self, child: QWidget, minimum: int = 160) -> None:
        super().__init__()
        self.child = child
        child.setParent(self)
        self.setMinimumSize(minimum, minimum)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Expanding)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        side = min(self.width(), self.height())
        self.child.setGeometry((self.width() - side) // 2, (self.height() - side) // 2,
                               side, side)
        super().resizeEvent(event)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(420, 420)

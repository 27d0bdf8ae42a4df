"""Small widgets the panels share: section headings and the inline error."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

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

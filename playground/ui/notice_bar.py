"""``NoticeBar``: news about the run, said once above the plots, never in a modal dialog.

Training is interrupted by things the learner should hear about but need not dismiss before
going on: the loss blew up, the epochs ran out, the perceptron converged, the loss oscillates,
the asked-for speed is not met. A dialog for each would repeat on every Play; here the latest
notice replaces the one before, carries its remedy as a button ("Use learning rate 1"), and
stays until it is closed, its remedy is taken, or a new run starts. Dialogs are kept for files.
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

#: kind -> (text, background, border): dark text on a pale ground, readable in both themes
#: (contrast of the text on each ground >= 7:1)
KINDS = {
    "info": ("#0b3a5e", "#e3f0fb", "#9cc3e6"),
    "warning": ("#5a3b00", "#fff4d6", "#e3c26b"),
    "error": ("#7a1212", "#fde7e7", "#e3a0a0"),
}


class NoticeBar(QFrame):
    """One notice at a time: ``show_notice(text, kind, actions, key)``; ``clear(key)``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Training notice")
        self.setFrameShape(QFrame.StyledPanel)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.label.setAccessibleName("Notice text")
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setAccessibleName("Close notice")
        self.close_button.setToolTip("Close this notice")
        self.close_button.clicked.connect(lambda: self.clear())
        self._row = QHBoxLayout(self)
        self._row.setContentsMargins(8, 3, 3, 3)
        self._row.addWidget(self.label, 1)
        self._row.addWidget(self.close_button, 0, Qt.AlignTop)
        self.buttons: list[QPushButton] = []
        self.key: str | None = None
        self.kind = "info"
        self.hide()

    def show_notice(self, text: str, kind: str = "info",
                    actions: tuple[tuple[str, Callable[[], None]], ...] = (),
                    key: str | None = None) -> None:
        """Show ``text`` (replacing any notice), with a button per ``(label, action)``; a
        button's action runs and then closes the notice. ``key`` names the notice for
        ``clear``."""
        fg, bg, border = KINDS[kind]
        self.kind, self.key = kind, key
        self.setStyleSheet(f"NoticeBar {{ background: {bg}; border: 1px solid {border};"
                           f" border-radius: 4px; }} QLabel {{ color: {fg}; }}"
                           f" QToolButton {{ color: {fg}; }}")
        self.label.setText(text)
        for button in self.buttons:
            self._row.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        for i, (label, action) in enumerate(actions):
            button = QPushButton(label)
            button.setAccessibleName(label)
            button.clicked.connect(lambda _=False, a=action: (self.clear(), a()))
            self._row.insertWidget(1 + i, button, 0, Qt.AlignVCenter)
            self.buttons.append(button)
        self.show()

    def clear(self, key: str | None = None) -> None:
        """Close the notice (only if it is ``key``'s, when a key is given)."""
        if key is not None and key != self.key:
            return
        self.key = None
        self.hide()

    @property
    def text(self) -> str:
        return self.label.text() if not self.isHidden() else ""

"""Small widgets the panels and views share: section headings, the inline error, a square."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QSize, QTimer
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QSizePolicy,
                               QVBoxLayout, QWidget)

from playground.ui import plot_style
from playground.ui.messages import in_user_words

#: the refusal balloon: dark red on pale red reads in both themes (contrast 6.6:1)
_BALLOON_STYLE = ("QLabel { color: #8e1b1b; background: #fdecea; border: 1px solid #e0a3a3;"
                  " border-radius: 4px; padding: 4px 6px; }")


class ErrorLabel(QLabel):
    """A red, word-wrapped label, hidden while there is nothing to say; its red is the
    theme's ``error`` colour, which reads on the window's ground in either theme."""

    def __init__(self, accessible_name: str) -> None:
        super().__init__()
        self.setWordWrap(True)
        plot_style.style_text(self, "error")
        self.setAccessibleName(accessible_name)
        self.hide()

    def report(self, error: str | None) -> bool:
        """Show ``error`` (True) or clear and hide (False, for None)."""
        self.setText(error or "")
        self.setVisible(bool(error))
        return bool(error)


def lay_out_form_dialog(dialog: QDialog, intro: QWidget, form: QFormLayout,
                        error: QWidget, ok_text: str) -> QDialogButtonBox:
    """The app's small form dialogs, one way: what it does, the form, the inline error,
    then OK (named for what it starts) and Cancel."""
    buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
    buttons.button(QDialogButtonBox.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(intro)
    layout.addLayout(form)
    layout.addWidget(error)
    layout.addWidget(buttons)
    return buttons


def on_screen(widget: QWidget) -> bool:
    """Shown and in front: a tabbed dock behind another tab keeps ``isVisible()`` but is moved
    out of the window, so its visible region is empty. Views that draw or compute only for
    the user's eyes ask this, not ``isVisible()``."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


class DrawsWhenSeen:
    """A run view (mixed in before QWidget) whose ``show_snapshot`` only draws: while its
    window is up but the view is hidden (its tab behind another), it keeps the latest
    snapshot and draws that one when shown, so hidden curves cost the UI thread nothing.
    The view implements ``draw_snapshot`` and calls ``forget_unseen`` in ``set_run``."""

    _unseen = None

    def show_snapshot(self, snap) -> None:
        self._unseen = None
        if self.window().isVisible() and not self.isVisible():
            self._unseen = snap
            return
        self.draw_snapshot(snap)

    def forget_unseen(self) -> None:
        self._unseen = None

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        snap, self._unseen = self._unseen, None
        if snap is not None:
            self.draw_snapshot(snap)


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


class InlineError(QLabel):
    """A refused edit, said beside the control it concerns and in the user's words.

    It floats over the panel just below the control (not in the panel's layout, so the form
    never moves when it appears, as a tooltip balloon), and it goes when the next
    edit is accepted, when its control is hidden (a mode where it does not apply), or after a
    while. Without a control it sits at the top of the panel.
    """

    def __init__(self, panel: QWidget, accessible_name: str, seconds: float = 12.0) -> None:
        super().__init__(panel)
        self.panel = panel
        self.setWordWrap(True)
        self.setStyleSheet(_BALLOON_STYLE)
        self.setAccessibleName(accessible_name)
        self.anchor: QWidget | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(int(seconds * 1000))
        self._timer.timeout.connect(lambda: self.report(None))
        panel.installEventFilter(self)
        self.hide()

    def report(self, error: str | None, anchor: QWidget | None = None) -> bool:
        """Show ``error`` beside ``anchor`` (True), or clear it (False, for None)."""
        self._release()
        if not error:
            self.setText("")
            self.hide()
            self._timer.stop()
            return False
        self.setText(in_user_words(error))
        if anchor is not None:
            self.anchor = anchor
            anchor.installEventFilter(self)
        self.show()
        self.place()
        self.raise_()
        self._timer.start()
        return True

    def place(self) -> None:
        """Below the anchor, as wide as the panel allows."""
        margin = 6
        width = max(self.panel.width() - 2 * margin, 120)
        self.setFixedWidth(width)
        self.setFixedHeight(self.heightForWidth(width))
        if self.anchor is not None and self.anchor.isVisible():
            below = self.anchor.mapTo(self.panel, QPoint(0, self.anchor.height() + 2))
            y = below.y()
            if y + self.height() > self.panel.height():  # no room below: above it
                y = self.anchor.mapTo(self.panel, QPoint(0, 0)).y() - self.height() - 2
            self.move(margin, max(0, y))
        else:
            self.move(margin, margin)

    def _release(self) -> None:
        if self.anchor is not None:
            self.anchor.removeEventFilter(self)
            self.anchor = None

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if obj is self.anchor and kind == QEvent.Hide:
            self.report(None)   # its control is gone: so is what it said about it
        elif kind in (QEvent.Resize, QEvent.Move, QEvent.LayoutRequest) and self.isVisible():
            self.place()
        return False

"""Loading a file off the UI thread, with progress and Cancel: the one way in for every file.

``FileLoader.start(title, load, on_done)`` runs ``load(progress)`` (a headless function from
``playground.open_files``) on a background thread. After ``SHOW_AFTER_MS`` a window-modal
progress dialog appears with a Cancel button; ``on_done(result)`` then runs on the UI thread
with the result, or with the exception ``load`` raised (``Cancelled`` after a cancel). The
window changes its state only in ``on_done``, so a file that fails, or a load cancelled,
leaves everything as it was. One load at a time: a new one cancels the one before.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from playground.progress import Cancelled, Progress

SHOW_AFTER_MS = 300
POLL_MS = 50
_STEPS = 1000


class FileLoader(QObject):
    """Runs one file load at a time on a background thread; see the module docstring."""

    _finished = Signal(int, object)   # token, result or exception (from the loading thread)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._parent = parent
        self._tokens = itertools.count(1)
        self._token = 0                  # the running load's token; 0 when idle
        self._progress: Progress | None = None
        self._on_done: Callable[[Any], None] | None = None
        self._dialog: QProgressDialog | None = None
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.timeout.connect(self._show_dialog)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._update_dialog)
        self._title = ""
        self._finished.connect(self._deliver, Qt.QueuedConnection)

    @property
    def busy(self) -> bool:
        return self._token != 0

    def start(self, title: str, load: Callable[[Progress], Any],
              on_done: Callable[[Any], None]) -> None:
        """Run ``load(progress)`` in the background; ``on_done(result or exception)`` later,
        here on the UI thread."""
        if self.busy:
            self.cancel()
        token = next(self._tokens)
        progress = Progress()
        self._token, self._progress, self._on_done, self._title = token, progress, on_done, title

        def run() -> None:
            try:
                result = load(progress)
            except BaseException as exc:  # noqa: BLE001 (MemoryError too: handed to on_done)
                result = exc
            self._finished.emit(token, result)

        threading.Thread(target=run, name="playground-open", daemon=True).start()
        self._show_timer.start(SHOW_AFTER_MS)

    def cancel(self) -> None:
        """Stop the running load: its ``on_done`` gets ``Cancelled`` now, and whatever the
        thread still produces is dropped."""
        if not self.busy:
            return
        self._progress.cancel()
        self._finish(Cancelled(f"cancelled opening {self._title}"))

    def _deliver(self, token: int, result: Any) -> None:
        if token == self._token:
            self._finish(result)

    def _finish(self, result: Any) -> None:
        on_done = self._on_done
        self._token, self._progress, self._on_done = 0, None, None
        self._show_timer.stop()
        self._poll.stop()
        if self._dialog is not None:
            self._dialog.hide()
        if on_done is not None:
            on_done(result)

    # --- the dialog ---------------------------------------------------------------------------

    def _show_dialog(self) -> None:
        if not self.busy:
            return
        if self._dialog is None:
            self._dialog = QProgressDialog(self._parent)
            self._dialog.setWindowTitle("Opening")
            self._dialog.setWindowModality(Qt.WindowModal)
            self._dialog.setRange(0, _STEPS)
            self._dialog.setMinimumDuration(0)
            self._dialog.setAutoClose(False)
            self._dialog.setAutoReset(False)
            self._dialog.setMinimumWidth(360)
            self._dialog.setAccessibleName("Opening a file")
            self._dialog.canceled.connect(self.cancel)
        self._dialog.setLabelText(f"Opening {self._title}...")
        self._dialog.setValue(0)
        self._dialog.show()
        self._poll.start()

    def _update_dialog(self) -> None:
        progress = self._progress  # setValue may run the event loop, which may end the load
        if self._dialog is None or progress is None:
            return
        self._dialog.setValue(round(progress.fraction * _STEPS))
        text = progress.text
        self._dialog.setLabelText(f"Opening {self._title}..." + (f"\n{text}" if text else ""))

    @property
    def dialog(self) -> QProgressDialog | None:
        """The progress dialog, once it has been shown (tests press its Cancel)."""
        return self._dialog


def title_of(path: str | Path) -> str:
    return Path(path).name or str(path)

"""``FramePacer``: a live snapshot drawn one view per turn of the event loop.

Qt paints every dirty widget of a window in one pass, so a snapshot that every view draws
at once makes one long event: the diagram, the regions, the curves, the dynamics and the
inspector together (bench/ui.py measured 30-70 ms at p99 with all of them live). Played
out one view per turn, each turn is one view's work and its own paint, and the timers and
input between them run: the same frames, no long stall. The worker sends the next snapshot
only when the last view of this one has drawn (``TrainingController.hold_delivery``), so a
slow frame drops snapshots instead of queueing them. Paused, a snapshot (a step, an edit)
is drawn at once, so what a click changed is on screen when the click returns.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable

import shiboken6
from PySide6.QtCore import QObject, QTimer


class FramePacer(QObject):
    """Hands a snapshot to views, all at once (``show``) or one per event-loop turn
    (``play_out``). ``on_done`` runs when the last view of a frame has it (the controller's
    release of the next snapshot)."""

    def __init__(self, on_done: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._on_done = on_done
        self._queue: deque = deque()
        self._snap = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._next)

    @property
    def pending(self) -> bool:
        """Whether a frame is still being played out."""
        return bool(self._queue)

    def show(self, snap, views: Iterable) -> None:
        """Every view draws ``snap`` now (a frame still being played out is finished first,
        so no view skips a snapshot it was promised)."""
        self.flush()
        for view in views:
            view.show_snapshot(snap)

    def play_out(self, snap, views: Iterable) -> None:
        """The views draw ``snap`` one per turn of the event loop; ``on_done`` after the
        last."""
        self.flush()
        self._snap = snap
        self._queue.extend(views)
        if self._queue:
            self._timer.start()
        else:
            self._done()

    def flush(self) -> None:
        """Draw what is left of the frame being played out, now."""
        self._timer.stop()
        try:
            while self._queue:
                self._draw(self._queue.popleft())
        finally:
            self._queue.clear()
            if self._snap is not None:
                self._done()

    def cancel(self) -> None:
        """Forget the frame being played out (a new run: its views start afresh)."""
        self._timer.stop()
        self._queue.clear()
        if self._snap is not None:
            self._done()

    def _next(self) -> None:
        try:
            if self._queue:
                self._draw(self._queue.popleft())
        finally:                        # a view that failed must not stall the worker
            if self._queue:
                self._timer.start()
            elif self._snap is not None:
                self._done()

    def _draw(self, view) -> None:
        if isinstance(view, QObject) and not shiboken6.isValid(view):
            return                      # closed while its turn was coming
        view.show_snapshot(self._snap)

    def _done(self) -> None:
        self._snap = None
        self._on_done()

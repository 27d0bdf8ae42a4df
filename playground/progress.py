"""Progress and cancellation for work that may take long (reading a big file), without Qt.

The worker doing the job calls ``progress.advance(done, total)`` now and then; each call is
also the point where a cancel takes effect (``Cancelled`` is raised there). Whoever shows the
progress (a dialog on the UI thread) reads ``fraction`` and ``text`` and may ``cancel()``; the
object is shared between threads, and every field is a plain value assigned atomically.
"""

from __future__ import annotations

import threading

from playground.errors import PlaygroundError


class Cancelled(PlaygroundError):
    """The user cancelled the job; nothing it would have changed has changed."""

    def __init__(self, message: str = "cancelled") -> None:
        super().__init__(message)


class Progress:
    """How far a job has come (0..1, with a line of text), and a cancel request."""

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self.fraction = 0.0
        self.text = ""

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def check(self) -> None:
        """Raise ``Cancelled`` if a cancel was asked for."""
        if self._cancelled.is_set():
            raise Cancelled()

    def advance(self, done: float, total: float, text: str | None = None) -> None:
        """``done`` of ``total`` (any unit); a cancel asked for raises ``Cancelled`` here."""
        self.check()
        if total > 0:
            self.fraction = min(max(done / total, 0.0), 1.0)
        if text is not None:
            self.text = text


class Stage:
    """A part of a job's progress: ``Stage(progress, 0.2, 0.9)`` maps its own 0..1 onto
    0.2..0.9 of ``progress``, so a step (reading the CSV) need not know what comes after."""

    def __init__(self, progress: Progress | None, start: float, stop: float) -> None:
        self._progress = progress
        self._start = start
        self._stop = stop

    def check(self) -> None:
        if self._progress is not None:
            self._progress.check()

    def advance(self, done: float, total: float, text: str | None = None) -> None:
        if self._progress is None:
            return
        share = min(max(done / total, 0.0), 1.0) if total > 0 else 0.0
        self._progress.advance(self._start + (self._stop - self._start) * share, 1.0, text)


def no_progress() -> Stage:
    """A stage that reports nowhere and never cancels (headless callers)."""
    return Stage(None, 0.0, 1.0)

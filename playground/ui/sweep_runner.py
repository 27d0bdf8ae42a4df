"""``SweepRunner``: a sweep started from the app, trained in worker processes, its runs kept.

``runs.sweep.run_sweep`` does the work exactly as ``playground sweep`` does (spawned worker
processes, one BLAS thread each, DIR written whole or not at all); it is called on a plain
Python thread of its own that mostly waits on the workers, so the UI thread keeps the GIL
to itself. The app leaves a core to the window: ``jobs`` is ``default_jobs(leave=1)``.
Progress comes back to the UI thread as a queued signal; Cancel asks the sweep to stop at
the workers' next epoch, and nothing of DIR is left.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from playground.config import RunConfig
from playground.runs.sweep import default_jobs, run_sweep

#: cores the app keeps for its window while a sweep runs
UI_CORES = 1


class SweepRunner(QObject):
    """One sweep at a time. ``progressed(SweepProgress)`` as runs advance, then
    ``finished(SweepResult)`` or ``failed(exception)`` (``Cancelled`` when cancelled), each
    delivered on the thread that owns this object (the UI's)."""

    progressed = Signal(object)
    finished = Signal(object)
    failed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._cancel = threading.Event()
        self.jobs = default_jobs(leave=UI_CORES)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, runs: Sequence[tuple[str, RunConfig]], out: str | Path,
              keys: Sequence[str]) -> None:
        if self.running:
            raise RuntimeError("a sweep is already running")
        self._cancel.clear()
        runs, keys, jobs = list(runs), tuple(keys), self.jobs

        def work() -> None:
            try:
                result = run_sweep(runs, out, keys=keys, jobs=jobs,
                                   on_progress=self.progressed.emit,
                                   cancelled=self._cancel.is_set, plot_in_worker=True)
            except BaseException as exc:  # noqa: BLE001 (handed to the UI, which says it)
                self.failed.emit(exc)
            else:
                self.finished.emit(result)

        self._thread = threading.Thread(target=work, name="playground-sweep", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the sweep's thread to end (window close); True if it did."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

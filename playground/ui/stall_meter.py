"""How long the UI thread's event loop goes without running: a short-period timer records the
gap between its ticks, so a gap much longer than the period is a stall a user feels.
Used by the app's benchmarks (bench/) and by the tests that bound stalls.

Each gap is recorded twice: in wall-clock seconds (what a user feels, and what bench/ reports)
and in the UI thread's own CPU seconds (``time.thread_time``), the work the app did in it. On a
machine shared with other tenants the first can grow threefold while the second stays put, so a
test that bounds the app's work on a CI machine bounds the second."""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer


class StallMeter:
    """``start()``, let the event loop run, ``stop()``; ``gaps`` holds the seconds between
    consecutive ticks (``PERIOD_MS`` apart when nothing blocks)."""

    PERIOD_MS = 5

    def __init__(self, period_ms: int = PERIOD_MS) -> None:
        self.period = period_ms / 1000
        self.gaps: list[float] = []
        self.busy: list[float] = []
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._timer = QTimer()
        self._timer.setInterval(period_ms)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        self.gaps.append(now - self._last)
        self.busy.append(cpu - self._last_cpu)
        self._last, self._last_cpu = now, cpu

    def start(self) -> None:
        """Measure from now on (what came before is forgotten). Call it on the UI thread:
        the CPU clock read is the calling thread's."""
        self.gaps, self.busy = [], []
        self._last, self._last_cpu = time.perf_counter(), time.thread_time()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def longest(self) -> float:
        """The longest gap so far, including the one still open, in seconds."""
        return max([*self.gaps, time.perf_counter() - self._last])

    def longest_busy(self) -> float:
        """The most CPU seconds the UI thread spent in one gap, including the one still open:
        the app's own work between two turns of the event loop, whatever the machine's load.
        (Waiting for the GIL is not counted: a worker that holds it shows in ``longest``.)"""
        return max([*self.busy, time.thread_time() - self._last_cpu])

    def stalls_ms(self) -> list[float]:
        """Every gap beyond the period, in milliseconds, sorted."""
        return sorted(max(0.0, g - self.period) * 1000 for g in self.gaps)

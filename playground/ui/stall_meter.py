"""How long the UI thread's event loop goes without running: a short-period timer records the
gap between its ticks, so a gap much longer than the period is a stall a user feels.
Used by the app's benchmarks (bench/) and by the tests that bound stalls."""

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
        self._last = time.perf_counter()
        self._timer = QTimer()
        self._timer.setInterval(period_ms)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    def start(self) -> None:
        """Measure from now on (what came before is forgotten)."""
        self.gaps = []
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def longest(self) -> float:
        """The longest gap so far, including the one still open, in seconds."""
        return max([*self.gaps, time.perf_counter() - self._last])

    def stalls_ms(self) -> list[float]:
        """Every gap beyond the period, in milliseconds, sorted."""
        return sorted(max(0.0, g - self.period) * 1000 for g in self.gaps)

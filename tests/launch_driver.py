"""Drives the app the way a new user would, in a fresh interpreter: ``run_app()`` (what the
`playground` command runs), then controls found by their labels. Prints one JSON line of
findings for tests/test_ui_launch.py (a separate process: quitting the app's event loop must
not leak into the test session's Qt application)."""

from __future__ import annotations

import json
import sys
import time

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from playground.ui.app import run_app
from playground.ui.main_window import MainWindow

LABELS = ("Reset", "Play", "Step batch", "Step epoch", "Export weights...", "Save workspace",
          "Open...")


def wait_until(condition, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        QTest.qWait(10)
    return condition()


def drive(found: dict) -> None:
    try:
        window = next(w for w in QApplication.topLevelWidgets()
                      if isinstance(w, MainWindow) and w.isVisible())
        actions = {a.text().replace("&", ""): a
                   for a in window.findChildren(type(window.play_action))}
        found["missing"] = [label for label in LABELS if label not in actions]
        actions["Step epoch"].trigger()
        found["stepped"] = wait_until(lambda: window.epoch_label.text() == "Epoch 1", 120)
        window.speed_combo.setCurrentIndex(window.speed_combo.count() - 1)
        gaps, last = [], [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        timer = QTimer()
        timer.timeout.connect(tick)
        timer.start(10)
        actions["Play"].trigger()
        found["playing"] = wait_until(lambda: window.play_action.text() == "Pause", 10)
        QTest.qWait(2000)
        timer.stop()
        window.play_action.trigger()
        wait_until(lambda: window.play_action.text() == "Play", 10)
        QTest.qWait(200)
        found["epoch"] = int(window.epoch_label.text().split()[1].replace(",", ""))
        found["max_gap"] = max(gaps)
        x, _y = window.loss_plot.train_curve.getData()
        found["curve_points"] = 0 if x is None else len(x)
        found["regions"] = window.decision_plot.image.image is not None
        # the views a new user looks for, found by their accessible names
        from PySide6.QtWidgets import QWidget
        names = {w.accessibleName() for w in window.findChildren(QWidget)}
        found["views"] = sorted(names & {"Network diagram", "Decision regions", "Loss curves"})
        diagram = next(w for w in window.findChildren(QWidget)
                       if w.accessibleName() == "Network diagram")
        found["diagram_units"] = len(diagram.items_of("unit"))
        found["status"] = window.status.text()
        found["engine_ready"] = wait_until(lambda: window.engine_ready_state, 120)
        if len(sys.argv) > 1:
            window.grab().save(sys.argv[1])
    except Exception as exc:  # reported as a finding
        found["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        for w in QApplication.topLevelWidgets():
            w.close()
        QApplication.instance().quit()


if __name__ == "__main__":
    found: dict = {}
    app = QApplication(sys.argv[:1])
    QTimer.singleShot(0, lambda: drive(found))
    found["exit_code"] = run_app()
    print(json.dumps(found))

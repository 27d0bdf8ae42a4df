"""Screenshots of the Runs view with a few kept runs, to look at (docs, reviews).

    QT_QPA_PLATFORM=offscreen python tools/runs_screenshots.py [OUT_DIR]

Trains four runs of the spiral preset that differ in one key each (made with Duplicate with
one change, as a user would), the last one live, and saves the window with the Runs tab in
front at 1400x900 and 1024x700, in the light and the dark theme (runs-<w>x<h>-<theme>.png),
the differences tab, and the exports: runs-plot.png, runs-plot.svg and runs.csv.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from playground.config import RunConfig  # noqa: E402

CONFIG = RunConfig.from_dict({
    "format": 1, "seed": 1,
    "data": {"source": "spiral", "samples": 300, "noise": 0.1, "test_fraction": 0.3},
    "model": {"type": "mlp", "layers": [{"type": "dense", "units": 8, "activation": "tanh"},
                                        {"type": "dense", "units": 8, "activation": "tanh"}]},
    "train": {"epochs": 1000, "batch_size": 16, "optimizer": {"name": "adam", "lr": 0.01}},
})
#: (key, value, epochs): each run is the first one with this change; the last stays live
RUNS = ((None, None, 300), ("train.optimizer.lr", 0.05, 300),
        ("model.layers[0].activation", "relu", 300), ("train.batch_size", 64, 160))


def wait(app: QApplication, done, seconds: float = 120.0) -> None:
    end = time.monotonic() + seconds
    while not done():
        if time.monotonic() > end:
            raise TimeoutError("the window did not get there in time")
        app.processEvents()
        time.sleep(0.005)


def train(app: QApplication, window, epochs: int) -> None:
    done = []
    window.controller.call(lambda t: t.run_epochs(epochs), done.append)
    wait(app, lambda: bool(done))
    target = window.trainer.epoch
    wait(app, lambda: window._last_snap is not None and window._last_snap.epoch >= target)


def main(out: Path) -> None:
    from playground.ui import theme
    from playground.ui.main_window import MainWindow
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.IniFormat)
    window = MainWindow(CONFIG, settings=settings)
    view = window.runs_view
    window.resize(1400, 900)
    window.show()
    view.clock.set_playing(True)       # the time column: seconds between the runs' starts
    first = None
    for i, (key, value, epochs) in enumerate(RUNS):
        if key is not None:
            kept = len(view.store)
            error = view.duplicate(key, value, source_id=first)
            assert error is None, error
            wait(app, lambda: len(view.store) == kept + 1)
        if first is None:
            first = view.live.id
        train(app, window, epochs)
    view.rename(first, "baseline")
    window.center_tabs.setCurrentWidget(view)
    view.plot.set_smoothing(0.6)
    for size in ((1400, 900), (1024, 700)):
        for name in ("light", "dark"):
            theme.apply(name)
            window.resize(*size)
            window._laid_out = False
            window.lay_out()
            for _ in range(20):
                app.processEvents()
                time.sleep(0.01)
            view._stale = True
            view.flush()
            app.processEvents()
            path = out / f"runs-{size[0]}x{size[1]}-{name}.png"
            window.grab().save(str(path))
            print(path)
    view.below.setCurrentIndex(1)      # the differences only
    for _ in range(10):
        app.processEvents()
    path = out / "runs-differences-1024x700-dark.png"
    window.grab().save(str(path))
    print(path)
    view.below.setCurrentIndex(0)
    theme.apply("light")
    view.export_plot(out / "runs-plot.png")
    view.export_plot(out / "runs-plot.svg")
    view.export_csv(out / "runs.csv")
    window.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots"))

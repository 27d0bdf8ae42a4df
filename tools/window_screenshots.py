"""Screenshots of the main window after some training, to look at as a user would.

    QT_QPA_PLATFORM=offscreen python tools/window_screenshots.py [OUT_DIR] [--scenes a,b]

Each scene is a config trained for a few hundred epochs, then shot at 1920x1080, 1400x900
and 1024x700 in the light and the dark theme (<scene>-<w>x<h>-<theme>.png):

- spiral: the spiral example, 2-8-8-1 tanh on seven features (regions, diagram, curves);
- iris: a multi-class table (the legend, three colours, the confusion matrix tab);
- perceptron: the perceptron on XOR (its banner and line);
- diabetes: a regression on standardized targets (colour bar, R² and MAE);
- inspector: the spiral with the Inspector open on the first misclassified sample.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QMessageBox  # noqa: E402

from playground import examples  # noqa: E402
from playground.config import RunConfig  # noqa: E402

SIZES = ((1920, 1080), (1400, 900), (1024, 700))
SCENES = {
    "spiral": (examples.config("spiral-features"), 300, None),
    "iris": (RunConfig.from_dict({
        "format": 1, "seed": 0, "data": {"source": "iris", "test_fraction": 0.3},
        "model": {"type": "mlp", "layers": [{"type": "dense", "units": 8,
                                             "activation": "relu"}]},
        "train": {"epochs": 500, "batch_size": 16, "optimizer": {"name": "adam",
                                                                 "lr": 0.01}}}), 200,
        "Confusion"),
    "perceptron": (RunConfig.from_dict({
        "format": 1, "seed": 0, "data": {"source": "xor", "samples": 200, "noise": 0.1},
        "model": {"type": "perceptron"}, "train": {"epochs": 100}}), 30, None),
    "diabetes": (examples.config("diabetes"), 150, None),
    "inspector": (examples.config("spiral-features"), 150, "inspect"),
    "dynamics": (examples.config("spiral-features"), 300, "Dynamics"),
}


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


def settle(app: QApplication, seconds: float = 0.6) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def shoot(app: QApplication, name: str, out: Path) -> list[Path]:
    from playground.ui.main_window import MainWindow
    config, epochs, extra = SCENES[name]
    settings = QSettings(str(Path(tempfile.mkdtemp()) / "settings.ini"), QSettings.IniFormat)
    window = MainWindow(config, settings=settings)
    window.resize(*SIZES[1])
    window.show()
    window.prepare_engine()
    wait(app, lambda: window.engine_ready_state)
    train(app, window, epochs)
    if extra == "inspect":
        window.inspect(0)
        settle(app, 0.5)
        window.inspector.next_misclassified()
    elif extra:
        tabs = window.output_tabs
        titles = [tabs.tabText(i) for i in range(tabs.count())]
        if extra in titles:
            tabs.setCurrentIndex(titles.index(extra))
    saved = []
    for theme_name in ("light", "dark"):
        window.set_theme(theme_name)
        for size in SIZES:
            window.resize(*size)
            settle(app, 1.0 if extra == "inspect" else 0.6)
            path = out / f"{name}-{size[0]}x{size[1]}-{theme_name}.png"
            window.grab().save(str(path))
            saved.append(path)
    window.close()
    return saved


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", nargs="?", default="screenshots")
    ap.add_argument("--scenes", default=",".join(SCENES))
    opts = ap.parse_args()
    out = Path(opts.out)
    out.mkdir(parents=True, exist_ok=True)
    QMessageBox.warning = staticmethod(lambda *a, **k: print("dialog:", a[2], file=sys.stderr))
    app = QApplication.instance() or QApplication([])
    for name in opts.scenes.split(","):
        if name not in SCENES:
            raise SystemExit(f"no scene {name!r}; the scenes are {', '.join(SCENES)}")
        for path in shoot(app, name, out):
            print(path)


if __name__ == "__main__":
    main()

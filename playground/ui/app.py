"""Start the desktop app: ``playground`` and ``playground FILE``."""

from __future__ import annotations

import sys


def run_app(path: str | None = None) -> int:
    """Open the main window (with the config at ``path``, if given) and run the event loop."""
    from PySide6.QtWidgets import QApplication

    from playground.engine.warmup import warm_up_in_background
    from playground.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("playground")
    app.setOrganizationName("playground")
    window = MainWindow()
    if path:
        window.open_path(path)
    window.show()
    # compile (or load) the kernels off the UI thread; the window is usable meanwhile
    warm_up_in_background(lambda: None)
    return app.exec()

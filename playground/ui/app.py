"""Start the desktop app: ``playground`` and ``playground FILE``."""

from __future__ import annotations

import sys


def freeze_startup_objects() -> None:
    """Exempt everything built so far (Qt bindings, pyqtgraph, the window) from Python's
    full garbage collections: such a collection walks every object and, at ~165,000 of
    them, holds the interpreter for ~85 ms, a visible hitch in live plots (bench/ui.py)."""
    import gc
    gc.collect()
    gc.freeze()


def collect_on_gui_thread(app):
    """Python's cyclic collections from now on run on the GUI thread only
    (``playground.ui.gui_gc``); the collector lives as long as ``app``."""
    from playground.ui.gui_gc import GuiThreadCollector
    return GuiThreadCollector(app)


def run_app(path: str | None = None) -> int:
    """Open the main window (with the config at ``path``, if given) and run the event loop."""
    from PySide6.QtWidgets import QApplication

    from playground.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("playground")
    app.setOrganizationName("playground")
    collect_on_gui_thread(app)   # before any thread starts: a file, the warm-up, formulas
    from PySide6.QtCore import QStandardPaths
    app_data = QStandardPaths.writableLocation(QStandardPaths.AppDataLocation)
    window = MainWindow(autosave_dir=app_data or None)
    window.show()
    if path:  # a file that cannot be opened is reported; then any autosave is offered
        window.open_path(path, lambda ok: ok or window.workspaces.offer_recovery())
    else:
        window.workspaces.offer_recovery()
    freeze_startup_objects()
    # compile (or load) the kernels off the UI thread; the window is usable meanwhile
    window.prepare_engine()
    return app.exec()

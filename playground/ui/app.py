"""Start the desktop app: ``playground`` and ``playground FILE``."""

from __future__ import annotations

import sys


def freeze_startup_objects() -> None:
    """Exempt everything built so far (Qt bindings, pyqtgraph, the window) from Python's
    full garbage collections: such a collection walks every object and, at ~165,000 of
    them, holds the interpreter for ~85 ms, a visible hitch in live plots (bench/ui.py).
    Without a collection first: that would cost the same 85 ms before the window's first
    paint, to free the few hundred objects of start-up garbage that it finds."""
    import gc
    gc.freeze()


def collect_on_gui_thread(app):
    """Python's cyclic collections from now on run on the GUI thread only
    (``playground.ui.gui_gc``); the collector lives as long as ``app``."""
    from playground.ui.gui_gc import GuiThreadCollector
    return GuiThreadCollector(app)


def app_icon():
    """The application icon: ``playground/share/playground.png`` (256x256, rendered from
    ``playground.svg``; Qt scales it down for title bars and task bars), read through
    importlib.resources, so it is found wherever the package is installed. An empty QIcon if
    the file is missing (a broken install): never an error."""
    from importlib import resources

    from PySide6.QtGui import QIcon, QPixmap

    pixmap = QPixmap()
    try:
        pixmap.loadFromData(resources.files("playground.share").joinpath("playground.png")
                            .read_bytes(), "PNG")
    except (OSError, ModuleNotFoundError):
        pass
    return QIcon(pixmap) if not pixmap.isNull() else QIcon()


def set_identity(app) -> None:
    """Name the application for QSettings and QStandardPaths, give every window its icon, and
    tie the windows to the ``playground.desktop`` entry (Wayland's app id, the dock)."""
    app.setApplicationName("playground")
    app.setOrganizationName("playground")
    app.setDesktopFileName("playground")
    app.setWindowIcon(app_icon())
    if sys.platform == "win32":   # the taskbar groups and shows the window as its own app,
        try:                      # not as python.exe (untested: see docs/install.md)
            import ctypes
            ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID("playground.playground")
        except (AttributeError, OSError):
            pass


def autosave_location() -> str | None:
    """Where autosaves go: QStandardPaths' AppLocalDataLocation (``~/.local/share/playground/
    playground`` on Linux, ``%LOCALAPPDATA%/playground/playground`` on Windows, ``~/Library/
    Application Support/playground/playground`` on macOS). Local, not Roaming, on Windows: an
    autosave belongs to this machine's session and its lock, and may be large. None when Qt
    knows no such folder (autosave is then off)."""
    from PySide6.QtCore import QStandardPaths
    return QStandardPaths.writableLocation(QStandardPaths.AppLocalDataLocation) or None


def run_app(path: str | None = None) -> int:
    """Open the main window (with the config at ``path``, if given) and run the event loop."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    set_identity(app)
    # before any thread starts (a file, the warm-up, formulas), and before the window's
    # modules are imported: their imports then run no automatic collections either
    collect_on_gui_thread(app)

    from playground.ui.main_window import MainWindow

    window = MainWindow(autosave_dir=autosave_location())
    window.show()
    if path:  # a file that cannot be opened is reported; then any autosave is offered
        window.open_path(path, lambda ok: ok or window.workspaces.offer_recovery())
    else:
        window.workspaces.offer_recovery()
    freeze_startup_objects()
    # compile (or load) the kernels off the UI thread; the window is usable meanwhile
    window.prepare_engine()
    return app.exec()

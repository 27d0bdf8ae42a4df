"""Workspaces in the app: open and save ``.playground`` files, autosave, recovery after a crash.

A workspace is the whole run (config, data, weights, optimizer and schedule state, history).
The trainer lives on the worker thread, so saving asks the worker to encode it between two
chunks of training (one consistent moment, even while playing); the bytes are written here,
atomically. Autosave writes the same bytes to this session's slot every ``AUTOSAVE_SECONDS``
when the run has moved on; a session that dies leaves its slot behind, and the next start
offers to restore it (``playground.io.autosave``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox

from playground.errors import PlaygroundError
from playground.io.atomic import atomic_write_bytes
from playground.io.autosave import AutosaveSlot, autosave_folder, find_recoverable
from playground.io.workspace import EXTENSION, encode_workspace

if TYPE_CHECKING:
    from playground.ui.main_window import MainWindow

AUTOSAVE_SECONDS = 60
TITLE_RESTORED = "Restored run - Neural network playground"


class WorkspaceFiles(QObject):
    """The window's workspace actions; ``autosave_dir`` None turns autosave off (tests)."""

    def __init__(self, window: MainWindow, autosave_dir: str | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.path: Path | None = None
        self.slot: AutosaveSlot | None = None
        self._autosaved_steps: tuple[int, int] | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(AUTOSAVE_SECONDS * 1000)
        self.timer.timeout.connect(self.autosave)
        if autosave_dir is not None:
            try:
                self.folder = autosave_folder(autosave_dir)
                self.slot = AutosaveSlot(self.folder)
            except (PlaygroundError, OSError) as exc:
                window.status.setText(f"Autosave is off: {exc}")
            else:
                self.timer.start()

    # --- open and save -----------------------------------------------------------------------

    def opened(self, opened) -> None:
        """A workspace was opened (``MainWindow.open_path``): restore the app's view settings
        it keeps, and save back to it."""
        ui = opened.ui if isinstance(opened.ui, dict) else {}
        n = len(opened.run.trainer.dataset.input_names)
        plane = ui.get("plane", ui.get("grid_inputs"))  # grid_inputs: the first layout
        if plane in ("pca", "informative") and n > 2:
            self.window.decision_plot.set_plane_spec(plane)
        elif (isinstance(plane, list) and len(plane) == 2
                and all(isinstance(a, int) and not isinstance(a, bool) and 0 <= a < n
                        for a in plane)):
            self.window.decision_plot.set_axes(*plane)
        runs_view = getattr(self.window, "runs_view", None)
        if runs_view is not None:
            runs_view.restore(opened.runs, opened.runs_error)
        self.path = Path(opened.path)

    def save(self, path: str | Path, on_done: Callable[[bool], None] | None = None) -> None:
        """Encode on the worker, write here; ``on_done(ok)`` when the file is in place."""
        path = Path(path)

        def written(result) -> None:
            ok = self._write(path, result)
            if ok:
                self.path = path
                self.window.saved(path, "workspace")
            if on_done is not None:
                on_done(ok)

        ui, runs = self._ui_state(), self._runs()
        self.window.controller.call(lambda trainer: encode_workspace(trainer, ui, runs()),
                                    written)

    def _write(self, path: Path, result) -> bool:
        if isinstance(result, BaseException):
            self.window.show_error(f"Cannot save {path.name}: {result}")
            return False
        try:
            atomic_write_bytes(path, result)
        except OSError as exc:
            self.window.show_error(f"Cannot save {path}: {exc.strerror or exc}")
            return False
        return True

    def _ui_state(self) -> dict:
        return {"plane": self.window.decision_plot.plane_spec}

    def _runs(self) -> Callable[[], bytes | None]:
        """What makes ``runs.json`` from the kept runs as they are now, on the worker thread
        (each run formatted once, ``runs.store.encode_runs``); None without kept runs."""
        runs_view = getattr(self.window, "runs_view", None)
        if runs_view is None or not len(runs_view.store):
            return lambda: None
        return runs_view.store.encoder()

    # --- autosave and recovery ---------------------------------------------------------------

    def autosave(self, on_done: Callable[[bool], None] | None = None) -> None:
        """Write this session's autosave if the run moved on since the last one."""
        if self.slot is None:
            return
        slot, ui, runs = self.slot, self._ui_state(), self._runs()

        def encode(trainer):
            key = (id(trainer), trainer.steps)
            if key == self._autosaved_steps:
                return None
            data = encode_workspace(trainer, ui, runs())
            return key, data

        def written(result) -> None:
            ok = True
            if isinstance(result, BaseException):
                self.window.status.setText(f"Autosave failed: {result}")
                ok = False
            elif result is not None and self.slot is slot:
                key, data = result
                try:
                    slot.write(data)
                    self._autosaved_steps = key
                except (PlaygroundError, OSError) as exc:
                    self.window.status.setText(f"Autosave failed: {exc}")
                    ok = False
            if on_done is not None:
                on_done(ok)

        self.window.controller.call(encode, written)

    def offer_recovery(self, ask: Callable[[str], bool] | None = None,
                       on_done: Callable[[bool], None] | None = None) -> bool:
        """After a crash: offer the newest autosave left behind; True when the user chose to
        restore it (it then opens in the background; ``on_done(ok)`` when it has). Older ones
        are discarded either way (one crash, one run to get back)."""
        if self.slot is None:
            return False
        found = find_recoverable(self.folder)
        if not found:
            return False
        newest, older = found[0], found[1:]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(newest.modified))
        question = (f"playground did not close properly last time. Restore the run it "
                    f"autosaved at {when}?")
        ask = ask or (lambda text: QMessageBox.question(
            self.window, "Restore autosaved run", text,
            QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes) == QMessageBox.Yes)
        if not ask(question):
            for item in [newest, *older]:
                item.discard()
            return False

        def done(ok: bool) -> None:
            if ok:
                self.path = None        # the autosave is not the user's file: Save asks where
                self.window.setWindowTitle(TITLE_RESTORED)
            for item in [newest, *older]:
                item.discard()
            if on_done is not None:
                on_done(ok)

        self.window.open_path(str(newest.path), done, remember=False)
        return True

    def close(self) -> None:
        """A clean quit: the autosave is no longer needed."""
        self.timer.stop()
        if self.slot is not None:
            self.slot.close()
            self.slot = None


def workspace_filter() -> str:
    return f"Workspaces (*{EXTENSION})"

"""What the main-window tests share: recorded error dialogs, windows built on throwaway
settings, actions found by their labels, and waiting for a snapshot that shows an effect.

Test modules import the fixtures by name (``from ui_helpers import errors, make_window``)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from playground.ui import theme
from playground.ui.main_window import MainWindow


@pytest.fixture
def errors(monkeypatch):
    """Error dialogs are recorded instead of blocking the test."""
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    return shown


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)


@pytest.fixture
def make_window(qtbot, tmp_path, settings, errors):
    """``make(config=None, autosave_dir=None, size=(1400, 900))``: a shown window, with the
    run config ``config`` (a dict without "format") opened through File > Open."""
    windows = []

    def make(config: dict | None = None, autosave_dir: str | None = None,
             size: tuple[int, int] = (1400, 900)) -> MainWindow:
        w = MainWindow(settings=settings, autosave_dir=autosave_dir)
        qtbot.addWidget(w)
        w.resize(*size)
        w.show()
        if config is not None:
            path = tmp_path / f"run{len(windows)}.json"
            path.write_text(json.dumps({"format": 1, **config}))
            assert w.open_path(str(path)), errors
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.close()
    theme.apply("system")


def action(window: MainWindow, text: str):
    """The window's action labelled ``text`` (menu mnemonics ignored)."""
    found = [a for a in window.findChildren(type(window.play_action))
             if a.text().replace("&", "") == text]
    assert found, f"no action labelled {text!r}"
    return found[0]


def snapshot_after(qtbot, window: MainWindow, trigger, until=lambda snap: True):
    """The first snapshot after ``trigger()`` for which ``until`` holds (other commands, such
    as the plot asking for a grid over its view, may deliver snapshots in between)."""
    got = []
    window.controller.snapshot_ready.connect(got.append)
    try:
        trigger()
        qtbot.waitUntil(lambda: any(until(s) for s in got), timeout=60000)
    finally:
        window.controller.snapshot_ready.disconnect(got.append)
    return next(s for s in got if until(s))

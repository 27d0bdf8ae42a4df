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
            assert opened(qtbot, w, path), errors
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.close()
    theme.apply("system")


def finished(qtbot, start, timeout: int = 30000):
    """``start(on_done)`` begins something that ends with ``on_done(result)``: the result."""
    done = []
    start(done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=timeout)
    return done[0]


def opened(qtbot, window: MainWindow, path) -> bool:
    """Open ``path`` as File > Open does (in the background), and wait: True if it opened."""
    return finished(qtbot, lambda done: window.open_path(str(path), done))


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


# --- what the window shows, compared -------------------------------------------------------

def widget_state(panel) -> list:
    """Every input control of ``panel`` as (kind, name, value, visible, enabled), in a fixed
    order: what a user sees of the settings (the inline error text aside). A hidden
    control's value is not seen, so it is None (the panel sets it when it shows it)."""
    from PySide6.QtWidgets import (
        QAbstractButton, QAbstractSpinBox, QComboBox, QDoubleSpinBox, QListWidget, QSpinBox,
    )
    rows = []
    for w in panel.findChildren(QAbstractSpinBox):
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            rows.append(("spin", w.accessibleName(), w.value(), w.isVisibleTo(panel),
                         w.isEnabled()))
    for w in panel.findChildren(QComboBox):
        items = tuple(w.itemText(i) for i in range(w.count()))
        rows.append(("combo", w.accessibleName(), (w.currentText(), items),
                     w.isVisibleTo(panel), w.isEnabled()))
    for w in panel.findChildren(QAbstractButton):
        if w.isCheckable():
            rows.append(("toggle", w.accessibleName() or w.text(), w.isChecked(),
                         w.isVisibleTo(panel), w.isEnabled()))
    for w in panel.findChildren(QListWidget):
        items = tuple(w.item(i).text() for i in range(w.count()))
        rows.append(("list", w.accessibleName(), (items, w.currentRow()), w.isVisibleTo(panel),
                     w.isEnabled()))
    # sorted by kind and name: Qt's child order depends on how the widgets were reparented
    return sorted(((kind, name, value if visible else None, visible, enabled)
                   for kind, name, value, visible, enabled in rows), key=lambda r: r[:2])


def panels_state(window: MainWindow) -> dict:
    return {name: widget_state(panel) for name, panel in (
        ("data", window.dataset_panel), ("layers", window.layer_panel),
        ("train", window.hyper_panel))}


def fresh_panels_state(window: MainWindow) -> dict:
    """What new panels show for the window's config (with its CSV columns, output layer and
    selected layer): the live panels must show the same, whatever edits led there."""
    from playground.ui.config_model import ConfigModel
    from playground.ui.dataset_panel import DatasetPanel
    from playground.ui.hyperparameter_panel import HyperparameterPanel
    from playground.ui.layer_builder_panel import LayerBuilderPanel
    model = ConfigModel(window.model.config)
    data, layers, train = DatasetPanel(model), LayerBuilderPanel(model), HyperparameterPanel(model)
    try:
        data.set_csv_columns(window.dataset_panel._csv_columns)
        data._rows = window.dataset_panel._rows   # the loaded data's rows, as set_run gives
        data._task = window.dataset_panel._task
        data.refresh()
        layers.set_output(window.layer_panel._output_units,
                          window.layer_panel._output_activation)
        layers.list.setCurrentRow(window.layer_panel.list.currentRow())
        return {"data": widget_state(data), "layers": widget_state(layers),
                "train": widget_state(train)}
    finally:
        for panel in (data, layers, train):
            panel.deleteLater()


def app_state(window: MainWindow) -> dict:
    """The app's state a failed open must leave as it was: config, run, panels, title, files."""
    return {"config": window.model.config, "trainer": window.trainer,
            "worker": window.controller._worker._session.trainer,
            "title": window.windowTitle(), "path": window.path,
            "workspace": window.workspaces.path, "panels": panels_state(window)}

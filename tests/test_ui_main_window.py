"""The main window end to end: controls found by their labels, live training, files, errors."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pytestqt")

from playground import config as config_io  # noqa: E402
from ui_helpers import action, errors, make_window, opened, settings, snapshot_after  # noqa: E402, F401


@pytest.fixture
def window(qtbot, make_window):
    w = make_window()
    qtbot.wait(300)  # the plot's view settles and asks for a grid over it
    return w


def test_step_epoch_advances_the_counters(qtbot, window):
    snap = snapshot_after(qtbot, window, action(window, "Step epoch").trigger,
                          until=lambda s: s.steps > 0)
    assert snap.epoch == 1
    qtbot.waitUntil(lambda: window.epoch_label.text() == "Epoch 1", timeout=5000)
    assert "train loss" in window.status.text()
    snap = snapshot_after(qtbot, window, action(window, "Step batch").trigger,
                          until=lambda s: s.steps > snap.steps)
    assert snap.epoch == 1 and snap.steps == window.trainer.batches_per_epoch + 1
    assert window.step_label.text().startswith("Step ")


def test_play_trains_live_and_pause_stops(qtbot, window):
    snapshot_after(qtbot, window, window.controller.step_epoch, until=lambda s: s.epoch)  # compile first
    window.speed_combo.setCurrentIndex(window.speed_combo.count() - 1)  # as fast as possible
    assert window.model.update_train(epochs=10**6) is None
    with qtbot.waitSignal(window.controller.playing_changed, timeout=5000):
        action(window, "Play").trigger()
    assert window.play_action.text() == "Pause"
    qtbot.wait(1500)
    with qtbot.waitSignal(window.controller.playing_changed, timeout=5000):
        window.play_action.trigger()
    qtbot.wait(200)
    epoch = int(window.epoch_label.text().split()[1].replace(",", ""))
    assert epoch > 10
    qtbot.wait(300)
    assert int(window.epoch_label.text().split()[1].replace(",", "")) == epoch


def test_live_learning_rate_keeps_the_run_and_data_change_resets(qtbot, window):
    snapshot_after(qtbot, window, window.controller.step_epoch, until=lambda s: s.epoch == 1)
    snap = snapshot_after(qtbot, window, lambda: window.model.update_optimizer(lr=0.3),
                          until=lambda s: s.lr == 0.3)
    assert snap.epoch == 1                             # applied live: same run
    snap = snapshot_after(qtbot, window, window.controller.step_epoch, until=lambda s: s.epoch == 2)
    assert snap.curves["lr"][-1] == 0.3
    snap = snapshot_after(qtbot, window, lambda: window.model.update_data(noise=0.2),
                          until=lambda s: s.steps == 0)
    assert snap.epoch == 0 and not snap.curves["epoch"].size  # data change: a new run


def test_open_and_save_config(qtbot, window, tmp_path, errors):
    path = tmp_path / "run.json"
    cfg = json.loads(window.model.config.to_json())
    cfg["data"]["source"] = "xor"
    path.write_text(json.dumps(cfg))
    assert opened(qtbot, window, path)
    assert window.model.config.data.source == "xor"
    assert window.trainer.config.data.source == "xor"
    out = tmp_path / "saved.json"
    assert window._write(out)
    assert config_io.load(out) == window.model.config
    assert str(out) in window._recent()


def test_open_recent_lists_a_file_once_however_it_was_spelled(window, tmp_path, monkeypatch):
    """Windows spells one file many ways (case, slashes, a relative path): Open recent
    lists it once, by its absolute path. normcase is Windows' here, as it is there."""
    import ntpath
    import os
    a = tmp_path / "Run.json"
    monkeypatch.chdir(tmp_path)
    window._remember(str(a))
    window._remember("Run.json")                 # relative: the same file
    assert window._recent().count(str(a)) == 1 and len(window._recent()) == 1
    monkeypatch.setattr(os.path, "normcase", ntpath.normcase)
    window._remember(str(tmp_path / "RUN.JSON"))
    assert len(window._recent()) == 1 and window._recent()[0].endswith("RUN.JSON")


def test_a_bad_config_is_reported_and_changes_nothing(qtbot, window, tmp_path, errors):
    before = window.model.config
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": 1, "data": {"source": "xor"}, "model": {"type": "mlp"}, '
                   '"train": {"optimizer": {"lr": -1}}}')
    assert not opened(qtbot, window, bad)
    assert window.model.config == before
    assert errors and "train.optimizer.lr must be > 0" in errors[-1]


def test_screenshot_after_training(qtbot, window, tmp_path):
    window.controller.play()
    qtbot.wait(2000)
    window.controller.pause()
    qtbot.wait(300)
    shot = window.grab()
    assert shot.width() >= 1000 and not shot.isNull()
    shot.save(str(tmp_path / "main.png"))


def test_speed_limit_and_stop_at_the_configured_epochs(qtbot, window):
    snapshot_after(qtbot, window, window.controller.step_epoch, until=lambda s: s.epoch)  # compiled first
    assert window.model.update_train(epochs=12) is None
    window.speed_combo.setCurrentIndex(0)  # 1 epoch a second
    assert window.speed_combo.currentData() == 1.0
    with qtbot.waitSignal(window.controller.playing_changed, timeout=5000):
        window.controller.play()
    qtbot.wait(500)
    assert int(window.epoch_label.text().split()[1]) <= 2   # limited
    window.speed_combo.setCurrentIndex(window.speed_combo.count() - 1)  # no limit
    qtbot.waitUntil(lambda: window.play_action.text() == "Play", timeout=10000)
    qtbot.wait(100)
    assert window.epoch_label.text() == "Epoch 12"   # paused itself at train.epochs
    window.toggle_play()                             # Play again: it says why nothing moves
    assert window.notice.text.startswith("Finished 12 of 12 epochs: raise Epochs")
    assert not window._playing
    assert "test accuracy" in window.status.text() or "train accuracy" in window.status.text()


@pytest.mark.parametrize("source,shown", [("spiral", True), ("iris", True),
                                          ("diabetes", False)])
def test_confusion_matrix_tab_for_classification(qtbot, window, tmp_path, source, shown):
    cfg = json.loads(window.model.config.to_json())
    cfg["data"] = ({"source": "spiral", "features": ["x1", "x2", "x1^2", "sin(x1)"]}
                   if source == "spiral" else {"source": source})
    path = tmp_path / "run.json"
    path.write_text(json.dumps(cfg))
    assert opened(qtbot, window, path)
    snapshot_after(qtbot, window, window.controller.step_epoch, until=lambda s: s.epoch == 1)
    qtbot.wait(50)
    tabs = window.output_tabs
    assert tabs.isTabVisible(tabs.indexOf(window.confusion_view)) == shown
    assert tabs.isTabVisible(tabs.indexOf(window.prediction_plot)) == (not shown)
    if shown:
        table = window.confusion_view.table
        ds = window.trainer.dataset
        total = sum(int(table.item(r, c).text()) for r in range(table.rowCount())
                    for c in range(table.columnCount()))
        assert table.rowCount() == ds.n_classes and total == len(ds.y_test)


def test_every_control_has_an_accessible_name_and_a_label_or_tooltip(window):
    from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit,
                                   QListWidget, QPlainTextEdit, QTableWidget)
    kinds = (QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QListWidget,
             QPlainTextEdit, QTableWidget)
    from PySide6.QtWidgets import QTabBar, QWidget  # their inner editors and arrows: Qt's
    controls = [w for w in window.findChildren(QWidget) if isinstance(w, kinds)
                if not w.objectName().startswith("qt_")          # Qt's own dock buttons
                and not isinstance(w.parent(), (QAbstractSpinBox, QComboBox, QTabBar))]
    assert len(controls) > 60
    # a button's text is its accessible name unless one is set (QAccessible's fallback)
    unnamed = [w for w in controls if not w.accessibleName()
               and not (isinstance(w, QAbstractButton) and w.text())]
    assert not unnamed, [type(w).__name__ + " " + getattr(w, "text", str)() for w in unnamed]
    silent = [w for w in controls
              if not w.toolTip() and not (isinstance(w, QAbstractButton) and w.text())]
    labelled = {id(w) for w in silent if _has_form_label(w)}
    assert all(id(w) in labelled for w in silent), [w.accessibleName() for w in silent
                                                     if id(w) not in labelled]


def _has_form_label(widget) -> bool:
    from PySide6.QtWidgets import QFormLayout
    parent = widget.parentWidget()
    while parent is not None:
        layout = parent.layout()
        if isinstance(layout, QFormLayout):
            for row in range(layout.rowCount()):
                label = layout.itemAt(row, QFormLayout.LabelRole)
                field = layout.itemAt(row, QFormLayout.FieldRole)
                if label and field and label.widget() and label.widget().text() and (
                        field.widget() is widget or (field.widget() is not None
                                                     and field.widget().isAncestorOf(widget))):
                    return True
        parent = parent.parentWidget()
    return False


def test_the_status_bar_names_what_it_measures(qtbot, make_window):
    """A perceptron's curve is its error rate, and the status bar says so; a regression's
    fit is given in the data's units, R² and MAE, as the headless metrics compute them."""
    w = make_window({"data": {"source": "gauss", "samples": 100},
                     "model": {"type": "perceptron"}, "train": {"epochs": 5}})
    snap = snapshot_after(qtbot, w, w.controller.step_epoch, lambda s: s.epoch == 1)
    qtbot.waitUntil(lambda: "train error rate" in w.status.text(), timeout=5000)
    assert "train loss" not in w.status.text()
    assert f"train error rate {snap.last('train_loss'):.4g}" in w.status.text()
    r = make_window({"data": {"source": "plane", "samples": 120, "test_fraction": 0.25},
                     "model": {"type": "mlp", "layers": [{"type": "dense", "units": 3}]},
                     "train": {"epochs": 5}})
    snap = snapshot_after(qtbot, r, r.controller.step_epoch, lambda s: s.epoch == 1)
    r2, mae = snap.last("test_r2"), snap.last("test_mae")
    assert r2 is not None and mae is not None
    qtbot.waitUntil(lambda: f"test R² {r2:.3f}, MAE {mae:.4g}" in r.status.text(), timeout=5000)


def test_file_new_starts_untitled(qtbot, make_window, tmp_path):
    w = make_window()
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"format": 1, "data": {"source": "xor"},
                                "model": {"type": "mlp", "layers": []}}))
    assert opened(qtbot, w, path)
    assert "mine.json" in w.windowTitle()
    action(w, "New").trigger()
    qtbot.waitUntil(lambda: "mine.json" not in w.windowTitle(), timeout=5000)
    assert w.windowTitle() == "Neural network playground" and w.path is None

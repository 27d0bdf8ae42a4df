"""The notice bar: what stops or slows training is said once, inline, with its remedy."""

from __future__ import annotations

import types

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from playground.engine import hints  # noqa: E402
from ui_helpers import errors, make_window, settings, snapshot_after  # noqa: E402, F401

SPIRAL = {"data": {"source": "spiral", "samples": 200, "noise": 0.0, "test_fraction": 0.5},
          "model": {"type": "mlp", "layers": [{"type": "dense", "units": 8,
                                                "activation": "tanh"}]}}


def _button(window, label):
    found = [b for b in window.notice.buttons if b.text() == label]
    assert found, [b.text() for b in window.notice.buttons]
    return found[0]


def _play_until_paused(qtbot, window, timeout=60000):
    with qtbot.waitSignal(window.controller.playing_changed, timeout=timeout):
        window.toggle_play()
    qtbot.waitUntil(lambda: not window._playing, timeout=timeout)
    qtbot.wait(50)


def test_divergence_is_a_notice_with_a_lower_rate_not_a_repeating_dialog(
        qtbot, make_window, errors):
    window = make_window({"data": {"source": "plane", "samples": 200, "test_fraction": 0.5},
                          "model": {"type": "mlp", "layers": [{"type": "dense", "units": 8,
                                                                "activation": "relu"}]},
                          "train": {"epochs": 100, "optimizer": {"name": "sgd", "lr": 10.0}}})
    window.speed_combo.setCurrentIndex(window.speed_combo.count() - 1)
    for _ in range(2):  # Play twice: the same notice, never a dialog
        window.notice.clear()
        _play_until_paused(qtbot, window)
        qtbot.waitUntil(lambda: window.notice.key == "diverged", timeout=5000)
        assert window.notice.kind == "error"
        assert "too high" in window.notice.text and "(10)" in window.notice.text
        assert "epoch 1:" in window.notice.text
        assert not window.notice.isHidden()
    assert errors == []
    _button(window, "Use learning rate 1").click()
    assert window.model.config.train.optimizer.lr == pytest.approx(1.0)
    assert window.notice.isHidden()


def test_finished_offers_more_epochs_and_training_goes_on(qtbot, make_window, errors):
    window = make_window({**SPIRAL, "train": {"epochs": 3, "optimizer": {"name": "sgd",
                                                                         "lr": 0.1}}})
    window.speed_combo.setCurrentIndex(window.speed_combo.count() - 1)
    _play_until_paused(qtbot, window)
    assert window.trainer.epoch == 3
    window.toggle_play()
    assert window.notice.text.startswith("Finished 3 of 3 epochs")
    assert not window._playing
    with qtbot.waitSignal(window.controller.playing_changed, timeout=10000):
        _button(window, "Train 100 more").click()     # and it plays on
    assert window.model.config.train.epochs == 103
    qtbot.waitUntil(lambda: not window._playing, timeout=60000)
    assert window.trainer.epoch == 103   # the same run, trained on
    assert errors == []


def test_new_weights_moves_the_init_seed_and_keeps_the_data(qtbot, make_window):
    window = make_window(SPIRAL)
    before = window.trainer
    window.reset()
    np.testing.assert_array_equal(window.trainer.state_dict()["0.weight"],
                                  before.state_dict()["0.weight"])   # Reset: the same start
    window.new_weights_action.trigger()
    after = window.trainer
    assert window.model.config.model.init_seed == window.model.config.seed + 1
    assert not np.array_equal(after.state_dict()["0.weight"], before.state_dict()["0.weight"])
    np.testing.assert_array_equal(after.x_train, before.x_train)
    window.new_weights_action.trigger()
    assert window.model.config.model.init_seed == window.model.config.seed + 2


def test_a_data_change_while_playing_plays_on(qtbot, make_window):
    window = make_window({**SPIRAL, "train": {"epochs": 0}})
    window.speed_combo.setCurrentIndex(window.speed_combo.count() - 1)
    with qtbot.waitSignal(window.controller.playing_changed, timeout=10000):
        window.toggle_play()
    window.dataset_panel.source_buttons["circle"].click()
    assert window.model.config.data.source == "circle"
    snapshot_after(qtbot, window, lambda: None,
                   until=lambda s: s.run_id == window.trainer.run_id and s.epoch > 2)
    assert window._playing
    window.controller.pause()


def test_oscillating_loss_gets_a_hint_once(qtbot, make_window):
    window = make_window({**SPIRAL, "data": {**SPIRAL["data"], "samples": 500},
                          "model": {"type": "mlp", "layers": [
                              {"type": "dense", "units": 4, "activation": "tanh"},
                              {"type": "dense", "units": 2, "activation": "tanh"}]},
                          "train": {"epochs": 300, "batch_size": 10,
                                    "optimizer": {"name": "sgd", "lr": 10.0}}})
    window.speed_combo.setCurrentIndex(window.speed_combo.count() - 1)
    got = []
    window.controller.snapshot_ready.connect(got.append)
    _play_until_paused(qtbot, window)
    qtbot.waitUntil(lambda: window.notice.key == "oscillation", timeout=5000)
    assert window.trainer.epoch == 300
    assert "probably too high" in window.notice.text and window.notice.kind == "warning"
    _button(window, "Use learning rate 1")
    window.notice.clear()
    window.notices.snapshot(got[-1], True)
    assert window.notice.isHidden()                  # closed: not said again this run


def test_unmet_speed_is_said(qtbot, make_window, monkeypatch):
    window = make_window(SPIRAL)
    clock = iter(np.arange(0.0, 100.0, 1.0))
    import playground.ui.run_notices as rn
    monkeypatch.setattr(rn.time, "monotonic", lambda: next(clock))
    window.speed_combo.setCurrentIndex(3)   # 100 epochs/s
    per_epoch = window.trainer.batches_per_epoch
    snap = types.SimpleNamespace(steps_per_second=23.0 * per_epoch, lr=0.03, epoch=3,
                                 total_epochs=1000,
                                 curves={"train_loss": np.ones(3), "epoch": np.arange(3)})
    for _ in range(6):
        window.notices.snapshot(snap, True)
    assert window.notice.key == "speed"
    assert "23 epochs/s, below the 100 asked" in window.notice.text


def test_a_csv_with_text_columns_opens_and_columns_can_be_left_out(qtbot, make_window,
                                                                      tmp_path, errors):
    from playground.ui.dataset_panel import DatasetPanel  # noqa: F401
    from ui_helpers import finished
    path = tmp_path / "people.csv"
    path.write_text("name,age,height,city,score\n" + "".join(
        f"p{i},{20 + i},{1.5 + (i % 7) / 10},c{i % 3},{(i * 7) % 11 / 3}\n" for i in range(40)))
    window = make_window()
    assert finished(qtbot, lambda done: window.open_csv(str(path), on_done=done))
    assert errors == []
    assert window.model.config.data.columns == ("age", "height")
    assert window.notice.key == "columns" and "'name', 'city'" in window.notice.text
    assert "the Columns button in the Data panel" in window.notice.text   # where it really is
    panel = window.dataset_panel
    assert panel.columns_button.isVisibleTo(panel)
    items = {panel.columns_list.item(i).text(): panel.columns_list.item(i)
             for i in range(panel.columns_list.count())}
    assert set(items) == {"name", "age", "height", "city"}       # all but the target
    assert panel.columns_button.text().startswith("2 of 4: age, height")
    from PySide6.QtCore import Qt
    items["height"].setCheckState(Qt.Unchecked)                   # leave one more out
    assert window.model.config.data.columns == ("age",)
    assert window.trainer.dataset.input_names == ("age",)
    items = {panel.columns_list.item(i).text(): panel.columns_list.item(i)
             for i in range(panel.columns_list.count())}
    items["name"].setCheckState(Qt.Checked)                       # text: refused beside it
    assert window.model.config.data.columns == ("age",)
    assert panel.error_label.anchor is panel.columns_button
    assert "not a number" in panel.error_label.text()
    # another target keeps the columns chosen: the old target joins them, the new one leaves
    # (height stays left out)
    assert finished(qtbot, lambda done: window.open_csv(str(path), "age", on_done=done))
    assert window.model.config.data.columns == ("score",)
    assert finished(qtbot, lambda done: window.open_csv(str(path), "score", on_done=done))
    assert window.model.config.data.columns == ("age",)
    # a regression: its targets are standardized by default, and that is a choice here
    assert window.trainer.dataset.task == "regression"
    check = panel.standardize_target_check
    assert check.isVisibleTo(panel) and check.isChecked()
    check.setChecked(False)
    assert window.model.config.data.standardize_target is False
    assert window.trainer.dataset.y_std is None
    window.dataset_panel.source_buttons["circle"].click()          # classification: hidden
    assert not check.isVisibleTo(panel) and not panel.columns_button.isVisibleTo(panel)

"""DatasetPanel: widget edits reach the config, config changes reach the widgets, refusals show."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit,
)

from playground.config import DataConfig  # noqa: E402
from playground.data.names import FEATURES_2D, GENERATORS_2D, SKLEARN_SETS  # noqa: E402
from playground.ui.config_model import DEFAULT_CONFIG, ConfigModel  # noqa: E402
from playground.ui.dataset_panel import DatasetPanel  # noqa: E402


@pytest.fixture
def panel(qtbot):
    model = ConfigModel(DEFAULT_CONFIG)
    widget = DatasetPanel(model)
    qtbot.addWidget(widget)
    return widget


def test_menus_come_from_the_registries(panel):
    assert list(panel.source_buttons) == list(GENERATORS_2D)
    assert list(panel.feature_buttons) == list(FEATURES_2D)
    items = [panel.table_combo.itemText(i) for i in range(panel.table_combo.count())]
    assert items[1:] == list(SKLEARN_SETS)
    assert not panel.source_buttons["circle"].icon().isNull()


def test_thumbnail_click_sets_source_and_keeps_features(panel, qtbot):
    panel.feature_buttons["x1^2"].setChecked(True)
    assert panel.model.config.data.features == ("x1", "x2", "x1^2")
    panel.source_buttons["spiral"].click()
    data = panel.model.config.data
    assert data.source == "spiral" and data.features == ("x1", "x2", "x1^2")
    assert panel.source_buttons["spiral"].isChecked()
    assert not panel.source_buttons["circle"].isChecked()
    panel.source_buttons["spiral"].click()  # clicking the current one keeps it checked
    assert panel.source_buttons["spiral"].isChecked()


def test_spin_edits_reach_the_config(panel):
    panel.samples_spin.setValue(300)
    panel.noise_spin.setValue(0.25)
    panel.test_spin.setValue(0.3)
    panel.standardize_check.setChecked(False)
    data = panel.model.config.data
    assert (data.samples, data.noise, data.test_fraction, data.standardize) == (
        300, 0.25, 0.3, False)


def test_seed_and_regenerate(panel):
    panel.seed_spin.setValue(41)
    assert panel.model.config.seed == 41
    panel.regenerate_button.click()
    assert panel.model.config.seed == 42
    assert panel.seed_spin.value() == 42


def test_config_change_shows_in_widgets(panel):
    config = DEFAULT_CONFIG.replace(seed=9, data=DataConfig(
        source="moons", samples=123, noise=0.4, test_fraction=0.1,
        features=("x1", "sin(x2)"), standardize=False))
    panel.model.set_config(config)
    assert panel.source_buttons["moons"].isChecked()
    assert panel.samples_spin.value() == 123
    assert panel.noise_spin.value() == pytest.approx(0.4)
    assert panel.test_spin.value() == pytest.approx(0.1)
    assert [n for n, b in panel.feature_buttons.items() if b.isChecked()] == ["x1", "sin(x2)"]
    assert not panel.standardize_check.isChecked()
    assert panel.seed_spin.value() == 9
    assert panel.model.config == config  # refreshing fed nothing back


def test_table_set_disables_2d_controls(panel):
    panel.table_combo.setCurrentText("iris")
    panel.table_combo.activated.emit(panel.table_combo.currentIndex())
    data = panel.model.config.data
    assert data.source == "iris" and data.features is None
    assert all(not b.isEnabled() for b in panel.feature_buttons.values())
    assert not panel.samples_spin.isEnabled() and not panel.noise_spin.isEnabled()
    assert not any(b.isChecked() for b in panel.source_buttons.values())
    panel.source_buttons["xor"].click()  # back to 2-D: default features, controls on
    assert panel.model.config.data.features == ("x1", "x2")
    assert all(b.isEnabled() for b in panel.feature_buttons.values())


def test_last_feature_cannot_be_turned_off(panel):
    before = panel.model.config
    panel.feature_buttons["x2"].setChecked(False)
    assert panel.model.config.data.features == ("x1",)
    panel.feature_buttons["x1"].setChecked(False)  # the validator refuses an empty list
    assert panel.model.config.data.features == ("x1",)
    assert not panel.error_label.isHidden()
    assert panel.error_label.text() == "Keep at least one feature on: the network needs an input."
    assert panel.error_label.anchor is panel._features_box
    assert panel.feature_buttons["x1"].isChecked()  # put back
    panel.feature_buttons["x2"].setChecked(True)  # a valid edit clears the message
    assert panel.error_label.isHidden() and panel.error_label.text() == ""
    assert panel.model.config.data == before.data


def test_csv_request_and_target(panel, qtbot):
    with qtbot.waitSignal(panel.csv_requested, timeout=1000):
        panel.csv_button.click()
    # the window reads the file, then sets the columns and the config
    panel.set_csv_columns(["a", "b", "label"])
    assert panel.model.update_data(source="csv", path="/tmp/x/points.csv", target="label",
                                   features=None) is None
    assert panel.target_combo.isVisibleTo(panel)
    assert [panel.target_combo.itemText(i) for i in range(3)] == ["a", "b", "label"]
    # another target is asked of the window (the file is read again); until the window
    # accepts it the combo shows the config's target
    with qtbot.waitSignal(panel.csv_target_requested, timeout=1000) as blocker:
        panel.target_combo.setCurrentIndex(0)
        panel.target_combo.activated.emit(0)
    assert blocker.args == ["a"]
    assert panel.model.config.data.target == "label"
    assert panel.target_combo.currentText() == "label"
    assert panel.csv_label.text() == "points.csv"
    panel.source_buttons["circle"].click()  # path and target go with the CSV source
    data = panel.model.config.data
    assert (data.source, data.path, data.target) == ("circle", None, None)
    assert not panel.target_combo.isVisibleTo(panel)


def test_every_input_has_an_accessible_name(panel):
    inputs = [w for cls in (QAbstractSpinBox, QComboBox, QAbstractButton, QLineEdit)
              for w in panel.findChildren(cls)]
    assert len(inputs) > 15
    # a spin box's or combo's inner line edit is named through its owner
    missing = [w for w in inputs if not w.accessibleName()
               and not (isinstance(w, QLineEdit) and isinstance(w.parent(), (
                   QAbstractSpinBox, QComboBox)))]
    assert missing == []


def test_sample_count_follows_the_task_as_in_tensorflow_playground(panel):
    # TF Playground draws 500 points to classify and 1200 to regress; a count the user chose
    # is kept whatever the source
    panel.source_buttons["circle"].click()
    panel.samples_spin.setValue(500)
    panel.source_buttons["plane"].click()
    assert panel.model.config.data.samples == 1200
    panel.source_buttons["spiral"].click()
    assert panel.model.config.data.samples == 500
    panel.samples_spin.setValue(300)
    panel.source_buttons["multigauss"].click()
    assert panel.model.config.data.samples == 300 == panel.samples_spin.value()


def test_a_table_shows_its_own_row_count(qtbot, tmp_path):
    """Samples of a table or CSV is its row count (greyed), not the generators' 500."""
    from playground.config import RunConfig
    from playground.open_files import build_run
    from playground.run_info import RunInfo

    csv = tmp_path / "small.csv"
    rows = ["a,b,label"] + [f"{i},{i % 7},{i % 2}" for i in range(180)]
    csv.write_text("\n".join(rows) + "\n")
    for data, expected in (({"source": "csv", "path": str(csv)}, 180),
                           ({"source": "iris"}, 150), ({"source": "circle"}, 500)):
        config = RunConfig.from_dict({"format": 1, "data": data,
                                      "model": {"type": "mlp", "layers": []}})
        model = ConfigModel(config)
        panel = DatasetPanel(model)
        qtbot.addWidget(panel)
        panel.set_run(RunInfo.of(build_run(config, None, {}).trainer))
        assert panel.samples_spin.value() == expected
        assert panel.samples_spin.isEnabled() == (data["source"] == "circle")
        assert panel.noise_spin.isVisibleTo(panel) == (data["source"] == "circle")
        if data["source"] != "circle":
            assert f"{expected:,} rows" in panel.samples_spin.toolTip()

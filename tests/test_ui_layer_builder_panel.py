"""LayerBuilderPanel: change the widget, check the config; change the config, check the widget."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QModelIndex  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton, QAbstractSpinBox, QComboBox, QListWidget,
)

from playground.config import (  # noqa: E402
    ActivationLayer, BatchNormLayer, DenseLayer, DropoutLayer,
)
from playground.ui.config_model import ConfigModel  # noqa: E402
from playground.ui.layer_builder_panel import LayerBuilderPanel, layer_text  # noqa: E402


@pytest.fixture
def setup(qtbot):
    model = ConfigModel()  # default stack: Dense 4 tanh, Dense 2 tanh
    panel = LayerBuilderPanel(model)
    qtbot.addWidget(panel)
    return model, panel


def layers(model):
    return model.config.model.layers


def rows(panel):
    return [panel.list.item(i).text() for i in range(panel.list.count())]


def set_stack(model, *stack):
    assert model.update_model(layers=tuple(stack)) is None


def test_initial_rows_match_config(setup):
    model, panel = setup
    assert rows(panel) == ["1. Dense 4 · tanh · xavier_uniform",
                           "2. Dense 2 · tanh · xavier_uniform"]


@pytest.mark.parametrize("add, expected", [
    ("add_dense", DenseLayer(8, "tanh")),
    ("add_batchnorm", BatchNormLayer()),
    ("add_dropout", DropoutLayer(0.2)),
])
def test_add_button_appends_layer_after_selection(setup, add, expected):
    model, panel = setup
    panel.list.setCurrentRow(0)
    getattr(panel, add).click()
    assert layers(model)[1] == expected
    assert len(layers(model)) == 3
    assert panel.list.currentRow() == 1  # the new layer is selected for editing
    assert panel.list.count() == 3


def test_add_at_end_when_nothing_selected(setup):
    model, panel = setup
    panel.list.setCurrentRow(-1)
    panel.add_dropout.click()
    assert layers(model)[-1] == DropoutLayer(0.2)
    assert panel.list.currentRow() == 2


@pytest.mark.parametrize("name", ["relu", "gelu", "leaky_relu"])
def test_add_activation_from_menu(setup, name):
    model, panel = setup
    panel.list.setCurrentRow(1)
    action = next(a for a in panel.activation_menu.actions() if a.data() == name)
    action.trigger()
    assert layers(model)[2] == ActivationLayer(name)


def test_edit_dense_units_activation_init_bias(setup):
    model, panel = setup
    panel.list.setCurrentRow(1)
    panel.units.setValue(16)
    assert layers(model)[1].units == 16
    panel.activation.setCurrentIndex(panel.activation.findData("relu"))
    assert layers(model)[1].activation == "relu"
    panel.init.setCurrentIndex(panel.init.findData("he_normal"))
    assert layers(model)[1].init == "he_normal"
    panel.bias_init.setCurrentIndex(panel.bias_init.findData("uniform"))
    assert layers(model)[1] == DenseLayer(16, "relu", "he_normal", "uniform")
    assert layers(model)[0] == DenseLayer(4, "tanh")  # the other layer untouched
    assert panel.list.item(1).text() == "2. Dense 16 · relu · he_normal · bias uniform"


def test_edit_dropout_and_batchnorm(setup):
    model, panel = setup
    set_stack(model, DropoutLayer(0.2), BatchNormLayer())
    panel.list.setCurrentRow(0)
    assert panel.editor.currentWidget().isAncestorOf(panel.p)
    panel.p.setValue(0.35)
    assert layers(model)[0] == DropoutLayer(0.35)
    assert panel.list.item(0).text() == "1. Dropout p=0.35"
    panel.list.setCurrentRow(1)
    assert panel.editor.currentWidget().isAncestorOf(panel.momentum)
    panel.momentum.setValue(0.2)
    panel.eps.setValue(1e-3)
    assert layers(model)[1] == BatchNormLayer(0.2, 1e-3)


def test_dropout_range_capped(setup):
    _, panel = setup
    assert panel.p.maximum() == pytest.approx(0.95)
    assert (panel.units.minimum(), panel.units.maximum()) == (1, 1024)


def test_change_activation_layer_type(setup):
    model, panel = setup
    set_stack(model, DenseLayer(4), ActivationLayer("relu"))
    panel.list.setCurrentRow(1)
    panel.activation_type.setCurrentIndex(panel.activation_type.findData("elu"))
    assert layers(model) == (DenseLayer(4), ActivationLayer("elu"))


def test_remove(setup):
    model, panel = setup
    panel.list.setCurrentRow(0)
    panel.remove.click()
    assert layers(model) == (DenseLayer(2, "tanh"),)
    assert rows(panel) == ["1. Dense 2 · tanh · xavier_uniform"]
    panel.remove.click()
    assert layers(model) == ()
    assert not panel.remove.isEnabled()


def test_move_up_and_down(setup):
    model, panel = setup
    a, b, c = DenseLayer(3), DropoutLayer(0.1), ActivationLayer("relu")
    set_stack(model, a, b, c)
    panel.list.setCurrentRow(2)
    panel.move_up.click()
    assert layers(model) == (a, c, b)
    assert panel.list.currentRow() == 1  # selection follows the layer
    panel.move_up.click()
    assert layers(model) == (c, a, b)
    assert not panel.move_up.isEnabled()
    panel.move_down.click()
    panel.move_down.click()
    assert layers(model) == (a, b, c)
    assert not panel.move_down.isEnabled()


def test_drag_reorder_updates_config(setup):
    model, panel = setup
    a, b, c = DenseLayer(3), DropoutLayer(0.1), ActivationLayer("relu")
    set_stack(model, a, b, c)
    # What an internal-move drop does: the list model moves the row and emits rowsMoved.
    assert panel.list.model().moveRow(QModelIndex(), 0, QModelIndex(), 3)
    assert layers(model) == (b, c, a)
    assert rows(panel) == ["1. Dropout p=0.1", "2. ReLU", f"3. {layer_text(a)}"]
    assert panel.list.model().moveRow(QModelIndex(), 2, QModelIndex(), 0)
    assert layers(model) == (a, b, c)


def test_list_accepts_internal_drag(setup):
    _, panel = setup
    assert panel.list.dragDropMode() == QListWidget.DragDropMode.InternalMove


def test_set_config_from_outside(setup):
    model, panel = setup
    new = model.config.replace(model=model.config.model.__class__(
        "mlp", (DenseLayer(8, "relu", "he_uniform"), BatchNormLayer(), DropoutLayer(0.5))))
    model.set_config(new)
    assert rows(panel) == ["1. Dense 8 · relu · he_uniform", "2. BatchNorm", "3. Dropout p=0.5"]
    panel.list.setCurrentRow(0)
    assert panel.units.value() == 8
    assert panel.activation.currentData() == "relu"
    assert panel.init.currentData() == "he_uniform"


def test_refresh_does_not_feed_back(setup, qtbot):
    model, panel = setup
    panel.list.setCurrentRow(0)
    emitted = []
    model.changed.connect(lambda c, part: emitted.append(part))
    set_stack(model, DenseLayer(12, "sigmoid"), DenseLayer(2, "tanh"))
    assert emitted == ["model"]  # only our own change; the editor refresh emitted nothing
    assert panel.units.value() == 12
    assert panel.activation.currentData() == "sigmoid"


def test_perceptron_switch(setup):
    model, panel = setup
    panel.perceptron.setChecked(True)
    assert model.config.model.type == "perceptron"
    assert not panel.stack_box.isEnabled()
    assert not panel.list.isEnabledTo(panel) and not panel.add_dense.isEnabledTo(panel)
    assert "perceptron" in panel.output_label.text()
    panel.perceptron.setChecked(False)
    assert model.config.model.type == "mlp"
    assert panel.stack_box.isEnabled()
    assert len(layers(model)) == 2  # the stack survives the round trip


def test_perceptron_from_outside_checks_box(setup):
    model, panel = setup
    assert model.update_model(type="perceptron") is None
    assert panel.perceptron.isChecked()
    assert not panel.stack_box.isEnabled()


def test_output_row(setup):
    _, panel = setup
    panel.set_output(3, "softmax")
    assert panel.output_label.text() == "Output: Dense 3 · softmax (from the data)"
    panel.set_output(1, "sigmoid")
    assert panel.output_label.text() == "Output: Dense 1 · sigmoid (from the data)"


def test_validator_error_shown_inline(setup):
    model, panel = setup
    set_stack(model, DenseLayer(4))
    panel.list.setCurrentRow(0)
    before = model.config
    panel._edit(units=0)  # not reachable from the spin box; the validator refuses it
    assert model.config == before
    assert panel.error_label.text() == "The units of layer 1 must be >= 1, got 0"
    assert not panel.error_label.isHidden()
    panel.units.setValue(5)  # a good edit clears it
    assert panel.error_label.text() == ""


@pytest.mark.parametrize("stack, warned", [
    ((DenseLayer(4, "tanh"), ActivationLayer("relu")), True),
    ((DenseLayer(4), ActivationLayer("relu"), ActivationLayer("tanh")), True),
    ((DenseLayer(4), ActivationLayer("relu")), False),
    ((DenseLayer(4, "tanh"), DropoutLayer(0.2), DropoutLayer(0.2)), False),
])
def test_stack_warnings(setup, stack, warned):
    model, panel = setup
    set_stack(model, *stack)
    assert bool(panel.warning_label.text()) == warned
    assert panel.warning_label.isHidden() != warned
    assert layers(model) == stack  # a warning, never a refusal


def test_every_input_has_accessible_name(setup):
    _, panel = setup
    inputs = (panel.findChildren(QAbstractButton) + panel.findChildren(QComboBox)
              + panel.findChildren(QAbstractSpinBox) + panel.findChildren(QListWidget))
    assert len(inputs) >= 16
    for widget in inputs:
        assert widget.accessibleName(), widget
        assert widget.toolTip() or isinstance(widget, QAbstractButton) and widget.text()

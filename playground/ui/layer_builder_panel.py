"""The layer builder: the MLP's hidden stack as an editable list, and the perceptron switch.

A view of ``ConfigModel`` (``config.model``): every edit builds a new ``layers`` tuple and calls
``update_model``; the list is redrawn from ``changed`` with signals blocked, so nothing feeds
back. The output layer is added from the data, so it is shown as a fixed last row whose text the
main window sets through ``set_output``.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout,
    QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QMenu, QPushButton, QSpinBox,
    QStackedWidget, QToolButton, QVBoxLayout, QWidget,
)

from playground.config import (
    ActivationLayer, BatchNormLayer, DenseLayer, DropoutLayer, Layer, RunConfig,
)
from playground.engine.activations import ACTIVATIONS
from playground.engine.initializers import BIAS_INITIALIZERS, INITIALIZERS
from playground.ui import plot_style
from playground.ui.config_model import ConfigModel
from playground.ui.formula_tips import FormulaTips, output_loss
from playground.ui.widgets import InlineError

#: How each activation reads in the list ("ReLU", not "relu").
ACTIVATION_LABELS: dict[str, str] = {
    "linear": "Linear", "sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "ReLU",
    "leaky_relu": "Leaky ReLU", "elu": "ELU", "gelu": "GELU", "silu": "SiLU",
}
MAX_PANEL_UNITS = 1024
MAX_DROPOUT = 0.95
_LAYER_ROLE = Qt.ItemDataRole.UserRole


def layer_text(layer: Layer) -> str:
    """One compact line per layer: ``Dense 8 · tanh · xavier_uniform``, ``Dropout p=0.2``."""
    if isinstance(layer, DenseLayer):
        text = f"Dense {layer.units} · {layer.activation} · {layer.init}"
        if layer.bias_init != "zeros":
            text += f" · bias {layer.bias_init}"
        return text
    if isinstance(layer, BatchNormLayer):
        extra = [] if (layer.momentum, layer.eps) == (0.1, 1e-5) else [
            f"m={layer.momentum:g}", f"eps={layer.eps:g}"]
        return " ".join(["BatchNorm", *extra])
    if isinstance(layer, DropoutLayer):
        return f"Dropout p={layer.p:g}"
    return ACTIVATION_LABELS.get(layer.type, layer.type)


def layer_formulas(layer: Layer) -> list[tuple[str, str]]:
    """The formula cards of a layer row (registry keys): a dense layer's with its activation's."""
    if isinstance(layer, DenseLayer):
        return [("layer", "dense")] + ([("activation", layer.activation)]
                                       if layer.activation != "linear" else [])
    if isinstance(layer, (BatchNormLayer, DropoutLayer)):
        return [("layer", layer.type)]
    return [("activation", layer.type)] if isinstance(layer, ActivationLayer) else []


def stack_warnings(layers: tuple[Layer, ...]) -> list[str]:
    """Legal but probably unintended stacks: two activations in a row, or an activation layer
    right after a dense layer that already has a non-linear activation."""
    out = []
    for i in range(1, len(layers)):
        prev, cur = layers[i - 1], layers[i]
        if not isinstance(cur, ActivationLayer):
            continue
        if isinstance(prev, ActivationLayer):
            out.append(f"Layer {i + 1}: two activation layers in a row "
                       f"({layer_text(prev)}, {layer_text(cur)}).")
        elif isinstance(prev, DenseLayer) and prev.activation != "linear":
            out.append(f"Layer {i + 1}: {layer_text(cur)} follows a dense layer that already "
                       f"applies {prev.activation}.")
    return out


def _named(widget: QWidget, name: str, tip: str) -> QWidget:
    widget.setAccessibleName(name)
    widget.setToolTip(tip)
    return widget


def _spin(name: str, tip: str, lo: float, hi: float, decimals: int,
          step: float) -> QDoubleSpinBox:
    """A named spin box that reports a value once it is confirmed, not per keystroke."""
    box = _named(QDoubleSpinBox(), name, tip)
    box.setRange(lo, hi)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setKeyboardTracking(False)
    return box


class LayerBuilderPanel(QWidget):
    """Edits ``config.model``: the hidden stack (add, edit, remove, reorder) and the model type."""

    def __init__(self, model: ConfigModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._output_units = 0
        self._output_activation = ""
        self._select: int | None = None  # the row to select on the next refresh

        self.perceptron = _named(QCheckBox("Perceptron (single step unit)"), "Perceptron mode",
                                 "Train Rosenblatt's perceptron instead of the layer stack")

        self.list = _named(QListWidget(), "Hidden layers",
                           "The hidden stack, first layer on top; drag rows to reorder")
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setMinimumHeight(120)

        self.output_label = _named(QLabel(), "Output layer",
                                   "Added automatically from the data; not editable")
        self.output_label.setStyleSheet(
            "QLabel { padding: 3px 4px; border: 1px dashed palette(mid); font-style: italic; }")

        self.add_dense = _named(QPushButton("+ Dense"), "Add dense layer",
                                "Insert a dense layer after the selected row")
        self.add_batchnorm = _named(QPushButton("+ BatchNorm"), "Add batch norm layer",
                                    "Insert a batch-normalization layer after the selected row")
        self.add_dropout = _named(QPushButton("+ Dropout"), "Add dropout layer",
                                  "Insert a dropout layer after the selected row")
        self.add_activation = _named(QToolButton(), "Add activation layer",
                                     "Insert an activation layer after the selected row")
        self.add_activation.setText("+ Activation")
        self.add_activation.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.activation_menu = QMenu(self.add_activation)
        for name in ACTIVATIONS:
            action = self.activation_menu.addAction(ACTIVATION_LABELS.get(name, name))
            action.setData(name)
            action.triggered.connect(lambda _=False, n=name: self._insert(ActivationLayer(n)))
        self.add_activation.setMenu(self.activation_menu)
        self.remove = _named(QPushButton("Remove"), "Remove layer", "Remove the selected layer")
        self.move_up = _named(QPushButton("Move up"), "Move layer up",
                              "Move the selected layer one row up")
        self.move_down = _named(QPushButton("Move down"), "Move layer down",
                                "Move the selected layer one row down")

        self.error_label = InlineError(self, "Layer error")
        self.warning_label = QLabel()
        plot_style.style_text(self.warning_label, "warning")
        self.warning_label.setWordWrap(True)
        self.warning_label.setAccessibleName("Layer warnings")

        self.editor = self._build_editor()

        buttons = QGridLayout()
        for i, button in enumerate((self.add_dense, self.add_batchnorm, self.add_dropout,
                                    self.add_activation)):
            button.setSizePolicy(self.remove.sizePolicy())
            buttons.addWidget(button, i // 2, i % 2)
        edits = QHBoxLayout()
        for button in (self.remove, self.move_up, self.move_down):
            edits.addWidget(button)

        self.stack_box = QWidget()
        stack_layout = QVBoxLayout(self.stack_box)
        stack_layout.setContentsMargins(0, 0, 0, 0)
        stack_layout.addWidget(QLabel("Hidden layers"))
        stack_layout.addWidget(self.list, 1)
        stack_layout.addWidget(self.output_label)
        stack_layout.addLayout(buttons)
        stack_layout.addLayout(edits)
        stack_layout.addWidget(self.editor)

        layout = QVBoxLayout(self)
        layout.addWidget(self.perceptron)
        layout.addWidget(self.stack_box, 1)
        layout.addWidget(self.warning_label)

        self.perceptron.toggled.connect(self._on_perceptron)
        self.list.currentRowChanged.connect(self._on_row)
        self.list.model().rowsMoved.connect(self._on_rows_moved)
        self.add_dense.clicked.connect(lambda: self._insert(DenseLayer(8, "tanh")))
        self.add_batchnorm.clicked.connect(lambda: self._insert(BatchNormLayer()))
        self.add_dropout.clicked.connect(lambda: self._insert(DropoutLayer(0.2)))
        self.remove.clicked.connect(self._remove)
        self.move_up.clicked.connect(lambda: self._move(-1))
        self.move_down.clicked.connect(lambda: self._move(+1))
        self.formula_tips = self._add_formulas()
        model.changed.connect(self._on_changed)
        self._refresh(model.config)

    def _add_formulas(self) -> FormulaTips:
        """Hovering a choice shows its formula card (``formula_tips``, typeset on demand): the
        dense layer's activation and init, batchnorm's and dropout's options and buttons, every
        entry of the activation and init lists and of the activation menu, each layer row, the
        output layer's loss, the perceptron switch."""
        tips = FormulaTips(self)
        for combo, kind in ((self.activation, "activation"), (self.init, "init"),
                            (self.activation_type, "activation")):
            tips.add(combo, lambda c=combo, k=kind: [(k, c.currentData())])
            tips.add_items(combo, lambda name, k=kind: [(k, name)])
        tips.add_items(self.activation_menu, lambda name: [("activation", name)])
        for widget, name in ((self.units, "dense"), (self.add_dense, "dense"),
                             (self.momentum, "batchnorm"), (self.eps, "batchnorm"),
                             (self.add_batchnorm, "batchnorm"), (self.p, "dropout"),
                             (self.add_dropout, "dropout")):
            tips.add(widget, lambda n=name: [("layer", n)])
        tips.add_items(self.list, layer_formulas)
        tips.add(self.output_label, lambda: output_loss(self._output_activation))
        tips.add(self.perceptron, lambda: [("model", "perceptron")])
        return tips

    # -- editor ------------------------------------------------------------------------------

    def _build_editor(self) -> QStackedWidget:
        editor = QStackedWidget()
        editor.addWidget(QLabel("Select a layer to edit it."))

        dense = QWidget()
        form = QFormLayout(dense)
        form.setContentsMargins(0, 4, 0, 0)
        self.units = _named(QSpinBox(), "Units", "Number of units (neurons) in this layer")
        self.units.setRange(1, MAX_PANEL_UNITS)
        self.units.setKeyboardTracking(False)
        self.activation = _named(QComboBox(), "Activation", "Activation applied after the layer")
        for name in ACTIVATIONS:
            self.activation.addItem(name, name)
        self.init = _named(QComboBox(), "Weight init", "How the weights are initialized")
        for name in INITIALIZERS:
            self.init.addItem(name, name)
        self.bias_init = _named(QComboBox(), "Bias init", "How the biases are initialized")
        form.addRow("Units", self.units)
        form.addRow("Activation", self.activation)
        form.addRow("Init", self.init)
        form.addRow("Bias init", self.bias_init)
        editor.addWidget(dense)

        batchnorm = QWidget()
        form = QFormLayout(batchnorm)
        form.setContentsMargins(0, 4, 0, 0)
        self.momentum = _spin("Momentum", "Running-statistics momentum, as PyTorch's "
                              "BatchNorm1d", 0.0, 1.0, 3, 0.01)
        self.eps = _spin("Epsilon", "Added to the variance for stability", 1e-8, 1.0, 8, 1e-5)
        form.addRow("Momentum", self.momentum)
        form.addRow("Eps", self.eps)
        editor.addWidget(batchnorm)

        dropout = QWidget()
        form = QFormLayout(dropout)
        form.setContentsMargins(0, 4, 0, 0)
        self.p = _spin("Dropout probability", "Probability of zeroing each unit during "
                       "training", 0.0, MAX_DROPOUT, 2, 0.05)
        form.addRow("Dropout p", self.p)
        editor.addWidget(dropout)

        activation = QWidget()
        form = QFormLayout(activation)
        form.setContentsMargins(0, 4, 0, 0)
        self.activation_type = _named(QComboBox(), "Activation layer type",
                                      "Which activation this layer applies")
        for name in ACTIVATIONS:
            self.activation_type.addItem(ACTIVATION_LABELS.get(name, name), name)
        form.addRow("Function", self.activation_type)
        editor.addWidget(activation)

        self.units.valueChanged.connect(lambda v: self._edit(units=int(v)))
        self.activation.currentIndexChanged.connect(
            lambda _: self._edit(activation=self.activation.currentData()))
        self.init.currentIndexChanged.connect(lambda _: self._edit(init=self.init.currentData()))
        self.bias_init.currentIndexChanged.connect(
            lambda _: self._edit(bias_init=self.bias_init.currentData()))
        self.momentum.valueChanged.connect(lambda v: self._edit(momentum=float(v)))
        self.eps.valueChanged.connect(lambda v: self._edit(eps=float(v)))
        self.p.valueChanged.connect(lambda v: self._edit(p=float(v)))
        self.activation_type.currentIndexChanged.connect(
            lambda _: self._replace_current(ActivationLayer(self.activation_type.currentData())))
        return editor

    def _fill_editor(self, layer: Layer | None) -> None:
        """Show ``layer``'s options without emitting edits."""
        widgets = (self.units, self.activation, self.init, self.bias_init, self.momentum,
                   self.eps, self.p, self.activation_type)
        blockers = [QSignalBlocker(w) for w in widgets]
        if isinstance(layer, DenseLayer):
            self.editor.setCurrentIndex(1)
            self.units.setValue(layer.units)
            self.activation.setCurrentIndex(self.activation.findData(layer.activation))
            self.init.setCurrentIndex(self.init.findData(layer.init))
            self.bias_init.clear()
            for name in BIAS_INITIALIZERS:
                self.bias_init.addItem(name, name)
            if not isinstance(layer.bias_init, str):  # a constant from a config file
                self.bias_init.addItem(f"constant {layer.bias_init:g}", layer.bias_init)
            self.bias_init.setCurrentIndex(self.bias_init.findData(layer.bias_init))
        elif isinstance(layer, BatchNormLayer):
            self.editor.setCurrentIndex(2)
            self.momentum.setValue(layer.momentum)
            self.eps.setValue(layer.eps)
        elif isinstance(layer, DropoutLayer):
            self.editor.setCurrentIndex(3)
            self.p.setValue(layer.p)
        elif isinstance(layer, ActivationLayer):
            self.editor.setCurrentIndex(4)
            self.activation_type.setCurrentIndex(self.activation_type.findData(layer.type))
        else:
            self.editor.setCurrentIndex(0)
        del blockers

    # -- public ------------------------------------------------------------------------------

    def set_output(self, units: int, activation_label: str) -> None:
        """Describe the automatic output layer, e.g. ``(3, "softmax")``; the main window calls
        this whenever the data (classes or targets) changes."""
        self._output_units = units
        self._output_activation = activation_label
        self._update_output_label()

    def set_run(self, run) -> None:
        """A new run (``RunInfo``): its output layer, which the data decides."""
        self.set_output(run.n_outputs, run.output_activation)

    def show_snapshot(self, snap) -> None:
        """The layer list does not move with training."""

    def layers(self) -> tuple[Layer, ...]:
        """The stack as the list shows it, top to bottom."""
        return tuple(self.list.item(i).data(_LAYER_ROLE) for i in range(self.list.count()))

    # -- model -> view -----------------------------------------------------------------------

    def _on_changed(self, config: RunConfig, part: str) -> None:
        if part in ("model", "all"):
            self._refresh(config)

    def _refresh(self, config: RunConfig) -> None:
        """Redraw from the config. Rows are updated in place (never cleared), so a refresh
        during the list's own drag-and-drop signal is safe."""
        layers = config.model.layers
        row = self.list.currentRow() if self._select is None else self._select
        self._select = None
        with QSignalBlocker(self.list):
            while self.list.count() > len(layers):
                self.list.takeItem(self.list.count() - 1)
            while self.list.count() < len(layers):
                item = QListWidgetItem()
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsDragEnabled)
                self.list.addItem(item)
            for i, layer in enumerate(layers):
                item = self.list.item(i)
                item.setText(f"{i + 1}. {layer_text(layer)}")
                item.setData(_LAYER_ROLE, layer)
            row = min(row, len(layers) - 1)
            self.list.setCurrentRow(row)
        self.list.viewport().update()
        with QSignalBlocker(self.perceptron):
            self.perceptron.setChecked(config.model.type == "perceptron")
        self.stack_box.setEnabled(config.model.type != "perceptron")
        self._fill_editor(layers[row] if row >= 0 else None)
        self._update_buttons()
        self._update_output_label()
        warnings = stack_warnings(layers) if config.model.type == "mlp" else []
        self.warning_label.setText("\n".join(warnings))
        self.warning_label.setVisible(bool(warnings))
        self._show_error(None)

    def _update_output_label(self) -> None:
        if self._model.config.model.type == "perceptron":
            text = "Output: step unit (perceptron)"
        elif self._output_units:
            text = (f"Output: Dense {self._output_units} · {self._output_activation}"
                    " (from the data)")
        else:
            text = "Output: Dense (from the data)"
        self.output_label.setText(text)
        self.output_label.setAccessibleDescription(text)

    def _update_buttons(self) -> None:
        row, n = self.list.currentRow(), self.list.count()
        self.remove.setEnabled(row >= 0)
        self.move_up.setEnabled(row > 0)
        self.move_down.setEnabled(0 <= row < n - 1)

    def _show_error(self, message: str | None) -> None:
        """Beside the layer editor (the row's fields), or the perceptron switch."""
        anchor = None
        if message:
            anchor = self.editor if self.editor.isVisible() else self.list
            if "perceptron" in message.lower():
                anchor = self.perceptron
        self.error_label.report(message, anchor)

    # -- view -> model -----------------------------------------------------------------------

    def _commit(self, layers: tuple[Layer, ...], select: int | None = None) -> None:
        """Send a new stack to the model; show its refusal inline and redraw the old one."""
        self._select = select
        error = self._model.update_model(layers=tuple(layers))
        self._select = None
        if error:
            self._refresh(self._model.config)
            self._show_error(error)

    def _insert(self, layer: Layer) -> None:
        layers = list(self._model.config.model.layers)
        at = self.list.currentRow() + 1 if self.list.currentRow() >= 0 else len(layers)
        layers.insert(at, layer)
        self._commit(tuple(layers), select=at)

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        layers = list(self._model.config.model.layers)
        del layers[row]
        self._commit(tuple(layers), select=min(row, len(layers) - 1))

    def _move(self, step: int) -> None:
        row = self.list.currentRow()
        layers = list(self._model.config.model.layers)
        to = row + step
        if row < 0 or not 0 <= to < len(layers):
            return
        layers[row], layers[to] = layers[to], layers[row]
        self._commit(tuple(layers), select=to)

    def _on_rows_moved(self, _parent, start: int, _end: int, _dest, row: int) -> None:
        """A drag-and-drop moved a row: the list order is the new stack."""
        to = row if row < start else row - 1
        self._commit(self.layers(), select=max(0, min(to, self.list.count() - 1)))

    def _edit(self, **changes) -> None:
        row = self.list.currentRow()
        layers = list(self._model.config.model.layers)
        if not 0 <= row < len(layers):
            return
        layers[row] = dataclasses.replace(layers[row], **changes)
        self._commit(tuple(layers))

    def _replace_current(self, layer: Layer) -> None:
        row = self.list.currentRow()
        layers = list(self._model.config.model.layers)
        if 0 <= row < len(layers):
            layers[row] = layer
            self._commit(tuple(layers))

    def _on_row(self, row: int) -> None:
        layers = self._model.config.model.layers
        self._fill_editor(layers[row] if 0 <= row < len(layers) else None)
        self._update_buttons()

    def _on_perceptron(self, checked: bool) -> None:
        error = self._model.update_model(type="perceptron" if checked else "mlp")
        if error:
            self._refresh(self._model.config)
            self._show_error(error)


if __name__ == "__main__":  # preview: python -m playground.ui.layer_builder_panel
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    panel = LayerBuilderPanel(ConfigModel())
    panel.set_output(1, "sigmoid")
    panel.resize(320, 600)
    panel.setWindowTitle("Layers")
    panel.show()
    sys.exit(app.exec())

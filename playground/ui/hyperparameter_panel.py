"""The training panel: optimizer and its options, learning rate, batching, loss, regularization,
clipping, schedule, precision. Menus and option rows come from the engine's registries; every edit
goes through ``ConfigModel.update_train``/``update_optimizer``/``update_schedule``.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QSpinBox,
    QVBoxLayout, QWidget,
)

from playground.config import DTYPES, REGULARIZATIONS, ClipConfig, RegularizationConfig, RunConfig
from playground.engine import formulas
from playground.engine.clipping import CLIP_KINDS
from playground.engine.losses import LOSSES
from playground.engine.optimizers import OPTIMIZER_DEFAULTS
from playground.engine.schedulers import SCHEDULE_DEFAULTS
from playground.errors import ConfigError
from playground.ui.config_model import ConfigModel
from playground.ui.formula_tips import FormulaTips
from playground.ui.option_info import INT_MAX, OPTION_INFO
from playground.ui.widgets import InlineError, heading

_INT_MAX = INT_MAX
_INT_OPTIONS = ("step_size", "patience", "t_max")
_OPTION_INFO = OPTION_INFO
NESTEROV_OFF_TIP = ("Nesterov needs a Momentum above 0 and a Dampening of 0 (as PyTorch's "
                    "SGD): raise Momentum to use it")


class SciSpinBox(QDoubleSpinBox):
    """A double spin box that shows and reads ``%g`` (1e-08, 0.0001, 0.9). With the default step
    type, arrows step by x10 below 1e-2, where an additive step would be useless."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(15)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        try:
            float(text)
            return QValidator.Acceptable, text, pos
        except ValueError:
            return QValidator.Intermediate, text, pos

    def stepBy(self, steps: int) -> None:
        v = self.value()
        tiny = 0 < v < 1e-2 or (v == 1e-2 and steps < 0)
        if tiny and self.stepType() == QDoubleSpinBox.DefaultStepType:
            self.setValue(v * 10.0 ** steps)
        else:
            super().stepBy(steps)


class HyperparameterPanel(QWidget):
    """Edits ``config.train``; option rows show only for the chosen optimizer and schedule."""

    def __init__(self, model: ConfigModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        self.error_label = InlineError(self, "Training settings error")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.form = form

        # -- optimizer
        form.addRow(heading("Optimizer"))
        self.optimizer_combo = self._combo(tuple(OPTIMIZER_DEFAULTS), "Optimizer",
                                           "The torch.optim update rule")
        self.optimizer_combo.activated.connect(
            lambda _i: self._show_result(self.model.update_optimizer(
                self.optimizer_combo.currentText()), self.optimizer_combo))
        form.addRow("Optimizer:", self.optimizer_combo)

        self.lr_spin = SciSpinBox()  # %g text: 1e-06 stays readable (5 decimals would show 0)
        self.lr_spin.setRange(0.0, 10.0)
        self.lr_spin.setStepType(QDoubleSpinBox.AdaptiveDecimalStepType)
        self._describe(self.lr_spin, "Learning rate",
                       "How far each update moves the weights along the gradient: "
                       "w -= lr·g. Too high and the loss jumps about or blows up; too low "
                       "and it crawls")
        self.lr_spin.valueChanged.connect(
            lambda v: self._show_result(self.model.update_optimizer(lr=v), self.lr_spin))
        form.addRow("Learning rate:", self.lr_spin)

        self.optimizer_options: dict[str, QWidget] = {}
        keys = [k for d in OPTIMIZER_DEFAULTS.values() for k in d if k != "lr"]
        for key in dict.fromkeys(keys):
            widget = self._option_widget(key, OPTIMIZER_DEFAULTS, self.model.update_optimizer)
            self.optimizer_options[key] = widget
            form.addRow(widget.accessibleName() + ":", widget)

        self.perceptron_note = QLabel("The perceptron learns by Rosenblatt's rule, one sample "
                                      "at a time: only the learning rate applies.")
        self.perceptron_note.setWordWrap(True)
        self.perceptron_note.setAccessibleName("Perceptron note")
        form.addRow(self.perceptron_note)

        # -- training
        form.addRow(heading("Training"))
        self.batch_spin = self._int_spin(0, _INT_MAX, "Batch size",
                                         "Samples averaged into each update; smaller "
                                         "batches take more, noisier steps per epoch. "
                                         "0 = the whole training set")
        self.batch_spin.setSpecialValueText("full batch")
        self.batch_spin.valueChanged.connect(
            lambda v: self._train(self.batch_spin, batch_size=v))
        form.addRow("Batch size:", self.batch_spin)
        self.epochs_spin = self._int_spin(0, 10_000_000, "Epochs",
                                          "How many passes over the training set Play "
                                          "makes before it stops (0 = no limit)")
        self.epochs_spin.valueChanged.connect(
            lambda v: self._train(self.epochs_spin, epochs=v))
        form.addRow("Epochs:", self.epochs_spin)
        self.loss_combo = self._combo(LOSSES, "Loss",
                                      "What training minimises. auto: binary cross-entropy "
                                      "for two classes, cross-entropy for more, mean squared "
                                      "error for regression")
        self.loss_combo.activated.connect(
            lambda _i: self._train(self.loss_combo, loss=self.loss_combo.currentText()))
        form.addRow("Loss:", self.loss_combo)
        self.shuffle_check = QCheckBox("Shuffle every epoch")
        self._describe(self.shuffle_check, "Shuffle",
                       "Deal the training samples into batches in a new random order every "
                       "epoch (the seed fixes the order)")
        self.shuffle_check.toggled.connect(
            lambda on: self._train(self.shuffle_check, shuffle=on))
        form.addRow("", self.shuffle_check)
        self.dtype_combo = self._combo(DTYPES, "Precision",
                                       "The network's number type: float32 (fast, as "
                                       "PyTorch's default) or float64 (exact to about 16 "
                                       "digits)")
        self.dtype_combo.activated.connect(
            lambda _i: self._train(self.dtype_combo, dtype=self.dtype_combo.currentText()))
        form.addRow("Precision:", self.dtype_combo)

        self.reg_combo = self._combo(REGULARIZATIONS, "Regularization",
                                     "A penalty on large dense weights, which keeps the "
                                     "model simpler: L1 adds rate·sign(w) to each gradient "
                                     "(drives weights to exactly 0), L2 adds rate·w (shrinks "
                                     "them all)")
        self.reg_rate = self._sci_spin(0.0, 1e3, "Regularization rate",
                                       "How strong the penalty is")
        self.reg_combo.activated.connect(lambda _i: self._on_regularization())
        self.reg_rate.valueChanged.connect(lambda _v: self._on_regularization())
        form.addRow("Regularization:", _pair(self.reg_combo, self.reg_rate))

        self.clip_combo = self._combo(CLIP_KINDS, "Gradient clipping",
                                      "Caps the gradient before each update, so one bad "
                                      "batch cannot throw the weights far. norm: scale the "
                                      "whole gradient down to a maximum length; value: "
                                      "clamp each entry")
        self.clip_threshold = self._sci_spin(0.0, 1e6, "Clipping threshold",
                                             "The maximum norm or value (> 0)")
        self.clip_threshold.setValue(1.0)
        self.clip_combo.activated.connect(lambda _i: self._on_clip())
        self.clip_threshold.valueChanged.connect(lambda _v: self._on_clip())
        form.addRow("Clipping:", _pair(self.clip_combo, self.clip_threshold))

        # -- schedule
        form.addRow(heading("Learning-rate schedule"))
        self.schedule_combo = self._combo(tuple(SCHEDULE_DEFAULTS), "Schedule",
                                          "How the learning rate changes from epoch to "
                                          "epoch: large steps first, fine ones later")
        self.schedule_combo.activated.connect(
            lambda _i: self._show_result(self.model.update_schedule(
                self.schedule_combo.currentText()), self.schedule_combo))
        form.addRow("Schedule:", self.schedule_combo)
        self.schedule_options: dict[str, QWidget] = {}
        keys = [k for d in SCHEDULE_DEFAULTS.values() for k in d]
        for key in dict.fromkeys(keys):
            widget = self._option_widget(key, SCHEDULE_DEFAULTS, self.model.update_schedule)
            self.schedule_options[key] = widget
            form.addRow(widget.accessibleName() + ":", widget)

        outer.addLayout(form)
        outer.addStretch(1)
        self.formula_tips = self._add_formulas()
        model.changed.connect(self._on_changed)
        self.refresh()

    def _add_formulas(self) -> FormulaTips:
        """Hovering a choice, or an option of it, shows the choice's formula card; hovering
        an entry of a menu's list shows that entry's (``formula_tips``, typeset on demand)."""
        tips = FormulaTips(self)
        for kind, combo, extra in (
                ("optimizer", self.optimizer_combo,
                 [self.lr_spin, *self.optimizer_options.values()]),
                ("loss", self.loss_combo, []),
                ("regularization", self.reg_combo, [self.reg_rate]),
                ("clip", self.clip_combo, [self.clip_threshold]),
                ("schedule", self.schedule_combo, list(self.schedule_options.values()))):
            keys = lambda k=kind, c=combo: _keys(k, c.currentText())  # noqa: E731
            for widget in [combo, *extra]:
                for each in getattr(widget, "spins", [widget]):
                    tips.add(each, keys)
            tips.add_items(combo, lambda name, k=kind: _keys(k, name))
        tips.add(self.perceptron_note, lambda: [("model", "perceptron")])
        return tips

    # -- widget factories

    @staticmethod
    def _describe(widget: QWidget, name: str, tip: str) -> None:
        widget.setAccessibleName(name)
        widget.setToolTip(tip)

    def _combo(self, items, name: str, tip: str) -> QComboBox:
        combo = QComboBox()
        combo.addItems(list(items))
        self._describe(combo, name, tip)
        return combo

    def _int_spin(self, lo: int, hi: int, name: str, tip: str) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(lo, hi)
        spin.setKeyboardTracking(False)
        self._describe(spin, name, tip)
        return spin

    def _sci_spin(self, lo: float, hi: float, name: str, tip: str) -> SciSpinBox:
        spin = SciSpinBox()
        spin.setRange(lo, hi)
        spin.setSingleStep(0.1 if hi <= 1 else 1.0)
        self._describe(spin, name, tip)
        return spin

    def _option_widget(self, key: str, registry: dict, update) -> QWidget:
        """One option's editor, typed after its default in ``registry``; edits call ``update``."""
        label, tip, lo, hi = _OPTION_INFO.get(key, (key.replace("_", " ").capitalize(), key,
                                                    0.0, 1e6))
        default = next(d[key] for d in registry.values() if key in d)
        holder: list[QWidget] = []
        apply = lambda v, k=key: self._show_result(update(**{k: v}), holder[0])  # noqa: E731
        if isinstance(default, bool):
            widget = QCheckBox()
            self._describe(widget, label, tip)
            widget.toggled.connect(apply)
        elif key == "betas":
            widget = QWidget()
            row = QHBoxLayout(widget)
            row.setContentsMargins(0, 0, 0, 0)
            widget.spins = []
            for i in range(2):
                spin = QDoubleSpinBox()
                spin.setDecimals(4)
                spin.setRange(lo, hi)
                spin.setSingleStep(0.001 if i else 0.01)
                spin.setKeyboardTracking(False)
                self._describe(spin, f"Beta {i + 1}", tip)
                spin.valueChanged.connect(
                    lambda _v, w=widget: apply(tuple(s.value() for s in w.spins)))
                widget.spins.append(spin)
                row.addWidget(spin)
            widget.setAccessibleName(label)
        elif key in _INT_OPTIONS:
            widget = self._int_spin(lo, hi, label, tip)
            if key == "t_max":  # 0 shows as auto and means None
                widget.setSpecialValueText("auto")
                widget.valueChanged.connect(lambda v: apply(v or None))
            else:
                widget.valueChanged.connect(apply)
        else:
            widget = self._sci_spin(lo, hi, label, tip)
            widget.valueChanged.connect(apply)
        holder.append(widget)
        return widget

    # -- edits -> model

    def _show_result(self, error: str | None, anchor: QWidget | None = None) -> None:
        """Show a refused edit beside its control and put the widgets back; clear on
        success."""
        if error:
            self.refresh()
        self.error_label.report(error, anchor)

    def _train(self, anchor: QWidget, **changes) -> None:
        self._show_result(self.model.update_train(**changes), anchor)

    def _on_regularization(self) -> None:
        try:
            reg = RegularizationConfig(self.reg_combo.currentText(), self.reg_rate.value())
        except ConfigError as exc:
            self._show_result(str(exc), self.reg_rate)
            return
        self._train(self.reg_rate, regularization=reg)

    def _on_clip(self) -> None:
        kind = self.clip_combo.currentText()
        try:
            clip = ClipConfig() if kind == "none" else ClipConfig(
                **{kind: self.clip_threshold.value()})
        except ConfigError as exc:
            self._show_result(str(exc), self.clip_threshold)
            return
        self._train(self.clip_threshold, clip=clip)

    # -- model -> widgets

    def _on_changed(self, config: RunConfig, part: str) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Show ``model.config.train`` without feeding edits back; hide options that don't apply."""
        train = self.model.config.train
        opt, sched = train.optimizer, train.schedule
        widgets = [self.optimizer_combo, self.lr_spin, self.batch_spin, self.epochs_spin,
                   self.loss_combo, self.shuffle_check, self.dtype_combo, self.reg_combo,
                   self.reg_rate, self.clip_combo, self.clip_threshold, self.schedule_combo]
        for w in [*self.optimizer_options.values(), *self.schedule_options.values()]:
            widgets.extend(getattr(w, "spins", [w]))
        blockers = [QSignalBlocker(w) for w in widgets]
        self.optimizer_combo.setCurrentText(opt.name)
        self.lr_spin.setValue(opt.lr)
        self._show_options(self.optimizer_options, dict(opt.options))
        self._enable_nesterov(dict(opt.options))
        self.batch_spin.setValue(min(train.batch_size, _INT_MAX))
        self.epochs_spin.setValue(train.epochs)
        self.loss_combo.setCurrentText(train.loss)
        self.shuffle_check.setChecked(train.shuffle)
        self.dtype_combo.setCurrentText(train.dtype)
        self.reg_combo.setCurrentText(train.regularization.kind)
        self.reg_rate.setValue(train.regularization.rate)
        self.reg_rate.setEnabled(train.regularization.kind != "none")
        clip = train.clip
        kind = "norm" if clip.norm is not None else "value" if clip.value is not None else "none"
        self.clip_combo.setCurrentText(kind)
        if kind != "none":
            self.clip_threshold.setValue(getattr(clip, kind))
        self.clip_threshold.setEnabled(kind != "none")
        self.schedule_combo.setCurrentText(sched.name)
        self._show_options(self.schedule_options, dict(sched.options))
        self._show_perceptron(self.model.config.model.type == "perceptron")
        del blockers

    def _enable_nesterov(self, options: dict) -> None:
        """Nesterov is offered only where torch.optim.SGD accepts it: momentum > 0 and no
        dampening; otherwise it is greyed, and its tooltip says what it needs. (A checked
        Nesterov keeps momentum from going to 0: the model refuses that, beside Momentum.)"""
        box = self.optimizer_options["nesterov"]
        usable = options.get("momentum", 0.0) > 0 and options.get("dampening", 0.0) == 0
        box.setEnabled(usable or bool(options.get("nesterov")))
        box.setToolTip(_OPTION_INFO["nesterov"][1] if usable else NESTEROV_OFF_TIP)

    def _show_perceptron(self, on: bool) -> None:
        """Rosenblatt's rule has a learning rate and nothing else of an optimizer: hide the
        rest rather than offer settings that would do nothing."""
        self.form.setRowVisible(self.perceptron_note, on)
        for widget in (self.optimizer_combo, self.batch_spin, self.loss_combo,
                       self.reg_combo.parentWidget(), self.clip_combo.parentWidget()):
            self.form.setRowVisible(widget, not on)
        if on:
            for widget in self.optimizer_options.values():
                self.form.setRowVisible(widget, False)

    def _show_options(self, widgets: dict[str, QWidget], options: dict) -> None:
        for key, widget in widgets.items():
            self.form.setRowVisible(widget, key in options)
            if key not in options:
                continue
            value = options[key]
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif key == "betas":
                for spin, beta in zip(widget.spins, value):
                    spin.setValue(beta)
            elif key == "t_max":
                widget.setValue(value or 0)
            elif isinstance(value, float) and not math.isfinite(value):
                continue
            else:
                widget.setValue(value)


def _keys(kind: str, name: str) -> list[tuple[str, str]]:
    """The formula cards of a choice: its own, or every loss for ``auto`` (none for "none")."""
    if kind == "loss" and name == "auto":
        return [("loss", n) for n in LOSSES if n != "auto"]
    return [(kind, name)] if formulas.formula(kind, name) else []


def _pair(first: QWidget, second: QWidget) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(first, 1)
    row.addWidget(second, 1)
    return box


if __name__ == "__main__":
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    panel = HyperparameterPanel(ConfigModel())
    panel.resize(320, 700)
    panel.show()
    sys.exit(app.exec())

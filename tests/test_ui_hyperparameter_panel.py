"""HyperparameterPanel: edits reach the config, config reaches the widgets, options follow the
optimizer and schedule, refusals show inline."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit,
)

from playground.config import (  # noqa: E402
    ClipConfig, OptimizerConfig, RegularizationConfig, ScheduleConfig, TrainConfig,
)
from playground.engine.optimizers import OPTIMIZER_DEFAULTS  # noqa: E402
from playground.engine.schedulers import SCHEDULE_DEFAULTS  # noqa: E402
from playground.ui.config_model import DEFAULT_CONFIG, ConfigModel  # noqa: E402
from playground.ui.hyperparameter_panel import HyperparameterPanel  # noqa: E402


@pytest.fixture
def panel(qtbot):
    widget = HyperparameterPanel(ConfigModel(DEFAULT_CONFIG))
    qtbot.addWidget(widget)
    return widget


def choose(combo, text):
    """Pick ``text`` as a user would (``activated`` fires only on user choices)."""
    index = combo.findText(text)
    assert index >= 0, text
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def shown(panel, widgets):
    return {k for k, w in widgets.items() if w.isVisibleTo(panel)}


@pytest.mark.parametrize("name", list(OPTIMIZER_DEFAULTS))
def test_optimizer_options_follow_the_optimizer(panel, name):
    panel.show()
    choose(panel.optimizer_combo, name)
    assert panel.model.config.train.optimizer.name == name
    assert shown(panel, panel.optimizer_options) == set(OPTIMIZER_DEFAULTS[name]) - {"lr"}
    assert panel.lr_spin.value() == pytest.approx(0.03)  # the rate is kept across optimizers


@pytest.mark.parametrize("name", list(SCHEDULE_DEFAULTS))
def test_schedule_options_follow_the_schedule(panel, name):
    panel.show()
    choose(panel.schedule_combo, name)
    assert panel.model.config.train.schedule.name == name
    assert shown(panel, panel.schedule_options) == set(SCHEDULE_DEFAULTS[name])


def test_edits_reach_the_config(panel):
    panel.lr_spin.setValue(0.1)
    panel.optimizer_options["momentum"].setValue(0.9)
    panel.batch_spin.setValue(0)
    panel.epochs_spin.setValue(50)
    choose(panel.loss_combo, "mse")
    choose(panel.dtype_combo, "float64")
    panel.shuffle_check.setChecked(False)
    train = panel.model.config.train
    assert train.optimizer.lr == pytest.approx(0.1)
    assert train.optimizer.option("momentum") == pytest.approx(0.9)
    assert (train.batch_size, train.epochs, train.loss, train.dtype, train.shuffle) == (
        0, 50, "mse", "float64", False)
    assert panel.batch_spin.text() == "full batch"


def test_adam_betas_and_schedule_options(panel):
    choose(panel.optimizer_combo, "adam")
    panel.optimizer_options["betas"].spins[0].setValue(0.8)
    panel.optimizer_options["eps"].setValue(1e-6)
    assert panel.model.config.train.optimizer.option("betas") == pytest.approx((0.8, 0.999))
    assert panel.model.config.train.optimizer.option("eps") == pytest.approx(1e-6)
    choose(panel.schedule_combo, "cosine")
    assert panel.schedule_options["t_max"].text() == "auto"
    panel.schedule_options["t_max"].setValue(20)
    assert panel.model.config.train.schedule.option("t_max") == 20
    panel.schedule_options["t_max"].setValue(0)  # 0 = auto = None
    assert panel.model.config.train.schedule.option("t_max") is None


def test_regularization_and_clipping(panel):
    choose(panel.reg_combo, "l2")
    panel.reg_rate.setValue(0.001)
    assert panel.model.config.train.regularization == RegularizationConfig("l2", 0.001)
    assert panel.reg_rate.isEnabled()
    choose(panel.clip_combo, "norm")
    assert panel.model.config.train.clip == ClipConfig(norm=1.0)
    panel.clip_threshold.setValue(0.5)
    choose(panel.clip_combo, "value")
    assert panel.model.config.train.clip == ClipConfig(value=0.5)
    choose(panel.clip_combo, "none")
    assert panel.model.config.train.clip == ClipConfig()
    assert not panel.clip_threshold.isEnabled()


def test_config_change_shows_in_widgets(panel):
    config = DEFAULT_CONFIG.replace(train=TrainConfig(
        loss="bce", epochs=7, batch_size=32, shuffle=False, dtype="float64",
        optimizer=OptimizerConfig(
            "rmsprop", (("lr", 0.005), ("centered", True))),
        regularization=RegularizationConfig("l1", 0.01), clip=ClipConfig(value=2.0),
        schedule=ScheduleConfig("step", (("step_size", 5), ("gamma", 0.5)))))
    panel.show()
    panel.model.set_config(config)
    assert panel.optimizer_combo.currentText() == "rmsprop"
    assert panel.lr_spin.value() == pytest.approx(0.005)
    assert panel.optimizer_options["centered"].isChecked()
    assert shown(panel, panel.optimizer_options) == {"alpha", "eps", "momentum", "centered",
                                                     "weight_decay"}
    assert (panel.epochs_spin.value(), panel.batch_spin.value()) == (7, 32)
    assert (panel.loss_combo.currentText(), panel.dtype_combo.currentText()) == ("bce", "float64")
    assert not panel.shuffle_check.isChecked()
    assert (panel.reg_combo.currentText(), panel.reg_rate.value()) == ("l1", 0.01)
    assert (panel.clip_combo.currentText(), panel.clip_threshold.value()) == ("value", 2.0)
    assert panel.schedule_combo.currentText() == "step"
    assert panel.schedule_options["step_size"].value() == 5
    assert panel.schedule_options["gamma"].value() == pytest.approx(0.5)
    assert panel.model.config == config  # refreshing fed nothing back


def test_refused_learning_rate_shows_inline(panel):
    before = panel.model.config
    panel.lr_spin.lineEdit().setText("0")
    panel.lr_spin.interpretText()  # as if typed and confirmed
    assert panel.model.config == before
    assert not panel.error_label.isHidden()
    assert panel.error_label.text() == "Learning rate must be > 0, got 0"  # the user's words
    assert panel.error_label.anchor is panel.lr_spin
    assert panel.lr_spin.value() == pytest.approx(0.03)  # put back
    panel.lr_spin.setValue(0.01)  # a valid edit clears the message
    assert panel.error_label.isHidden() and panel.error_label.text() == ""
    assert panel.model.config.train.optimizer.lr == pytest.approx(0.01)


def test_tiny_rates_stay_readable(panel):
    panel.lr_spin.setValue(1e-6)
    assert panel.model.config.train.optimizer.lr == pytest.approx(1e-6)
    assert panel.lr_spin.text() == "1e-06"
    choose(panel.optimizer_combo, "adam")
    assert panel.optimizer_options["eps"].text() == "1e-08"


def test_nesterov_is_offered_only_with_momentum(panel):
    nesterov, momentum = (panel.optimizer_options[k] for k in ("nesterov", "momentum"))
    assert not nesterov.isEnabled() and "Momentum above 0" in nesterov.toolTip()
    momentum.setValue(0.9)
    assert nesterov.isEnabled() and "look one momentum step ahead" in nesterov.toolTip()
    nesterov.setChecked(True)
    assert panel.model.config.train.optimizer.option("nesterov") is True
    panel.optimizer_options["dampening"].setValue(0.5)  # refused: said beside Dampening
    assert panel.model.config.train.optimizer.option("dampening") == 0
    assert panel.error_label.anchor is panel.optimizer_options["dampening"]
    assert panel.error_label.text().startswith("Nesterov needs a Momentum above 0")
    assert "train." not in panel.error_label.text() and "torch" not in panel.error_label.text()
    assert "set Dampening to 0" in panel.error_label.text()        # the fix that applies
    assert "raise Momentum first" not in panel.error_label.text()  # momentum is 0.9 already
    nesterov.setChecked(False)
    momentum.setValue(0.0)
    assert not nesterov.isEnabled()


def test_refusal_floats_beside_its_control_and_the_form_stays(panel, qtbot):
    panel.resize(340, 900)
    panel.show()
    qtbot.waitExposed(panel)
    rows = {w: w.geometry() for w in (panel.lr_spin, panel.batch_spin, panel.epochs_spin)}
    panel.lr_spin.lineEdit().setText("0")
    panel.lr_spin.interpretText()
    balloon = panel.error_label
    assert balloon.isVisible()
    assert {w: w.geometry() for w in rows} == rows        # nothing moved
    top_left = panel.lr_spin.mapTo(panel, panel.lr_spin.rect().bottomLeft())
    assert 0 <= balloon.y() - top_left.y() <= 6            # just below the field
    assert balloon.geometry().right() <= panel.width()     # and inside the panel


def test_refusal_goes_when_its_control_is_hidden(panel, qtbot):
    panel.show()
    qtbot.waitExposed(panel)
    choose(panel.schedule_combo, "step")
    step = panel.schedule_options["step_size"]
    panel._show_result("train.schedule.step_size must be >= 1, got 0", step)
    assert panel.error_label.isVisible() and panel.error_label.text().startswith("Step size")
    choose(panel.schedule_combo, "constant")   # step_size no longer applies
    assert not step.isVisible()
    assert panel.error_label.isHidden() and panel.error_label.anchor is None


def test_every_input_has_an_accessible_name(panel):
    inputs = [w for cls in (QAbstractSpinBox, QComboBox, QAbstractButton, QLineEdit)
              for w in panel.findChildren(cls)]
    assert len(inputs) > 20
    # a spin box's or combo's inner line edit is named through its owner
    missing = [w for w in inputs if not w.accessibleName()
               and not (isinstance(w, QLineEdit) and isinstance(w.parent(), (
                   QAbstractSpinBox, QComboBox)))]
    assert missing == []


NESTEROV = ("train.optimizer.nesterov needs momentum > 0 and dampening 0 "
            "(as torch.optim.SGD)")


@pytest.mark.parametrize("momentum, dampening, fix, wrong", [
    ("0.9", "0.5", "set Dampening to 0 (it is 0.5)", "Momentum"),
    ("0", "0", "raise Momentum above 0", "Dampening to 0"),
    ("0", "0.25", "raise Momentum above 0 and set Dampening to 0", None),
])
def test_the_nesterov_refusal_names_the_setting_that_is_off(momentum, dampening, fix, wrong):
    from playground.ui.messages import in_user_words
    text = in_user_words(f"{NESTEROV}; got momentum {momentum}, dampening {dampening}")
    assert text.startswith("Nesterov needs a Momentum above 0 and a Dampening of 0: ")
    assert fix in text
    if wrong is not None:
        assert wrong not in text.split(": ", 1)[1]


@pytest.mark.parametrize("options, fix, wrong", [
    ({"momentum": 0.0}, "raise Momentum", "set Dampening to 0"),
    ({"momentum": 0.9, "dampening": 0.5}, "set Dampening to 0", "raise Momentum"),
])
def test_the_engines_nesterov_refusal_never_gives_the_wrong_fix(options, fix, wrong):
    """Whether or not the engine's message gives the values, the fix that applies is named
    and the other is offered only with its condition ("... if it is 0", "... if it is not")."""
    from playground.config import ConfigError, OptimizerConfig
    from playground.ui.messages import in_user_words
    with pytest.raises(ConfigError) as refused:
        OptimizerConfig("sgd", tuple({"nesterov": True, **options}.items()))
    text = in_user_words(str(refused.value))
    assert text.startswith("Nesterov needs") and fix in text and "first" not in text
    assert wrong not in text or re.search(re.escape(wrong) + r" if it is (0|not)\b", text)

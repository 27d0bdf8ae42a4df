"""Formula cards: hovering a choice in the Training and Layers panels shows the registry's
formula for it, typeset; where the notebook is wrong the card says so; nothing is typeset
before a hover (start-up pays nothing)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip("pytestqt")
pytest.importorskip("matplotlib")

from PySide6.QtCore import QEvent, QPoint  # noqa: E402
from PySide6.QtGui import QCursor, QHelpEvent  # noqa: E402
from PySide6.QtWidgets import QApplication, QToolTip  # noqa: E402

from playground.config import ClipConfig, DropoutLayer  # noqa: E402
from playground.engine import formulas  # noqa: E402
from playground.ui import formula_render, formula_tips, theme  # noqa: E402
from playground.ui.config_model import DEFAULT_CONFIG, ConfigModel  # noqa: E402
from playground.ui.formula_tips import card_html, latex_of  # noqa: E402
from playground.ui.hyperparameter_panel import HyperparameterPanel  # noqa: E402
from playground.ui.layer_builder_panel import LayerBuilderPanel  # noqa: E402

ALL = list(formulas.registry())


def _size() -> float:
    return QToolTip.font().pointSizeF() + formula_tips.POINT_STEP


@pytest.fixture
def typeset(qapp):
    """Every formula typeset ahead, so each card is complete on its first hover."""
    for latex in latex_of(ALL):
        formula_render.render(latex, None, _size())


@pytest.fixture
def model():
    return ConfigModel(DEFAULT_CONFIG)


@pytest.fixture
def hyper(qtbot, model, typeset):
    panel = HyperparameterPanel(model)
    qtbot.addWidget(panel)
    panel.show()
    return panel


@pytest.fixture
def layers(qtbot, model, typeset):
    panel = LayerBuilderPanel(model)
    qtbot.addWidget(panel)
    panel.set_output(3, "softmax")
    panel.show()
    return panel


def hover(target, pos: QPoint | None = None) -> str:
    """The tooltip a hover over ``target`` at ``pos`` (default: its centre) shows."""
    QToolTip.hideText()
    pos = target.rect().center() if pos is None else pos
    QApplication.sendEvent(target, QHelpEvent(QEvent.ToolTip, pos, target.mapToGlobal(pos)))
    return QToolTip.text()


def hover_item(combo, text: str) -> str:
    combo.showPopup()
    view = combo.view()
    index = view.model().index(combo.findText(text), 0)
    html = hover(view.viewport(), view.visualRect(index).center())
    combo.hidePopup()
    return html


def title(kind: str, name: str) -> str:
    return f"<b>{formulas.formula(kind, name).title}</b>"


def test_the_choice_shown_is_the_choice_made(hyper, model):
    html = hover(hyper.optimizer_combo)
    assert title("optimizer", model.config.train.optimizer.name) in html
    assert "The torch.optim update rule" in html      # the widget's own tip comes first
    assert html.count("data:image/png;base64,") == len(
        formulas.formula("optimizer", model.config.train.optimizer.name).latex)
    model.update_optimizer("adam")
    assert title("optimizer", "adam") in hover(hyper.optimizer_combo)
    # its options and the learning rate show the optimizer they belong to
    assert title("optimizer", "adam") in hover(hyper.optimizer_options["amsgrad"])
    assert title("optimizer", "adam") in hover(hyper.lr_spin)
    assert title("optimizer", "adam") in hover(hyper.optimizer_options["betas"].spins[0])


@pytest.mark.parametrize("attr,kind", [("optimizer_combo", "optimizer"), ("loss_combo", "loss"),
                                       ("reg_combo", "regularization"), ("clip_combo", "clip"),
                                       ("schedule_combo", "schedule")])
def test_every_entry_of_every_training_menu_has_its_card(hyper, attr, kind):
    combo = getattr(hyper, attr)
    for i in range(combo.count()):
        name = combo.itemText(i)
        html = hover_item(combo, name)
        if formulas.formula(kind, name):
            assert title(kind, name) in html, name
            assert "data:image/png;base64," in html and "typesetting" not in html
        elif name == "auto":
            assert all(title("loss", n) in html for n in ("bce", "cross_entropy", "mse"))
        else:
            assert "<b>" not in html, name  # "none": no formula to show


def test_auto_loss_shows_the_three_it_picks_from(hyper):
    html = hover(hyper.loss_combo)
    assert all(title("loss", n) in html for n in ("bce", "cross_entropy", "mse"))
    assert "wrong here" not in html  # compact; the full cards come from the list


@pytest.mark.parametrize("name", ["bce", "cross_entropy"])
def test_notebook_errors_in_the_loss_cards(hyper, name):
    html = hover_item(hyper.loss_combo, name)
    err = formulas.formula("loss", name).reference_error
    assert "The reference notebook is wrong here." in html and "Correct:" in html
    assert err.note.split(".")[0].replace("'", "&#x27;") in html
    assert html.count("data:image/png;base64,") == (
        len(formulas.formula("loss", name).latex) + 1 + len(err.correct))


def test_schedule_and_clipping_options_show_their_rule(hyper, model):
    model.update_schedule("plateau")
    assert title("schedule", "plateau") in hover(hyper.schedule_options["patience"])
    assert "<b>" not in hover(hyper.clip_threshold)  # clipping off: no rule to show
    model.update_train(clip=ClipConfig(value=0.5))
    assert title("clip", "value") in hover(hyper.clip_threshold)


def test_a_changed_tip_stays_current(hyper):
    """The Nesterov box sets its own tip (what it needs); the card follows it."""
    html = hover(hyper.optimizer_options["nesterov"])
    assert "Momentum above 0" in html and title("optimizer", "sgd") in html


def test_layers_panel_cards(layers, model):
    panel = layers
    model.update_model(layers=(model.config.model.layers[0], DropoutLayer(0.3)))
    panel.list.setCurrentRow(0)
    assert title("activation", panel.activation.currentData()) in hover(panel.activation)
    assert title("init", panel.init.currentData()) in hover(panel.init)
    html = hover_item(panel.init, "xavier_normal")
    assert title("init", "xavier_normal") in html and "wrong here" in html
    assert "LeCun" in html
    for widget, name in ((panel.p, "dropout"), (panel.add_dropout, "dropout"),
                         (panel.momentum, "batchnorm"), (panel.units, "dense")):
        assert title("layer", name) in hover(widget)
    dropout = hover(panel.p)
    assert "wrong here" in dropout and "inverted dropout" in dropout.lower()
    # the rows: a dense layer with its activation, the dropout layer
    row = panel.list.visualItemRect(panel.list.item(1)).center()
    assert title("layer", "dropout") in hover(panel.list.viewport(), row)
    row = panel.list.visualItemRect(panel.list.item(0)).center()
    dense = hover(panel.list.viewport(), row)
    assert title("layer", "dense") in dense
    # the output layer: the loss its activation belongs to (softmax: cross-entropy)
    assert title("loss", "cross_entropy") in hover(panel.output_label)
    assert title("model", "perceptron") in hover(panel.perceptron)


def test_activation_menu_entries(layers):
    menu = layers.activation_menu
    menu.popup(QPoint(50, 50))
    for action in menu.actions():
        html = hover(menu, menu.actionGeometry(action).center())
        assert title("activation", action.data()) in html
    menu.hide()


def test_dark_theme_cards_use_dark_colours(qapp):
    html, _ = card_html([("layer", "dropout")], pal=theme.palette("dark"))
    assert formula_tips._WRONG["dark"] in html
    html, _ = card_html([("layer", "dropout")], pal=theme.palette("light"))
    assert formula_tips._WRONG["light"] in html


def test_every_formula_fits_the_card(qapp):
    for latex in latex_of(ALL):
        width = formula_render.render(latex, None, _size()).deviceIndependentSize().width()
        assert width <= formula_tips.WIDTH, latex


def test_first_hover_typesets_in_the_background(qtbot, model):
    formula_render.clear_cache()
    formula_tips._IMAGES._uris.clear()
    panel = HyperparameterPanel(model)
    qtbot.addWidget(panel)
    panel.show()
    combo = panel.schedule_combo
    QCursor.setPos(combo.mapToGlobal(combo.rect().center()))
    html = hover(combo)
    assert title("schedule", "constant") in html and "typesetting" in html  # words at once
    qtbot.waitUntil(lambda: "data:image/png;base64," in QToolTip.text(), timeout=10_000)
    assert "typesetting" not in QToolTip.text()


def test_building_the_panels_typesets_nothing():
    code = ("import sys\n"
            "from PySide6.QtWidgets import QApplication\n"
            "app = QApplication([])\n"
            "from playground.ui.config_model import ConfigModel\n"
            "from playground.ui.hyperparameter_panel import HyperparameterPanel\n"
            "from playground.ui.layer_builder_panel import LayerBuilderPanel\n"
            "m = ConfigModel()\n"
            "HyperparameterPanel(m).show(); LayerBuilderPanel(m).show()\n"
            "app.processEvents()\n"
            "print('matplotlib' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
                         timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr

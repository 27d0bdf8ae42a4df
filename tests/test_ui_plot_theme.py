"""The plots follow the window's theme: a dark ground in the dark theme, axes and text that
read on it (WCAG 4.5:1), curves that show (3:1), restyled at run time, not only when made."""

from __future__ import annotations

import re

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pg = pytest.importorskip("pyqtgraph")

import shiboken6  # noqa: E402
from PySide6.QtCore import QEvent  # noqa: E402
from PySide6.QtGui import QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication, QLabel  # noqa: E402

from playground.ui import plot_style as ps  # noqa: E402
from playground.ui.config_model import DEFAULT_CONFIG  # noqa: E402
from playground.ui import theme  # noqa: E402
from playground.ui.decision_plot import DecisionRegionPlot  # noqa: E402
from playground.ui.loss_plot import LossPlot  # noqa: E402
from playground.ui.lr_plot import LearningRatePlot  # noqa: E402
from playground.ui.prediction_plot import PredictionPlot  # noqa: E402
from test_ui_plots import dataset, grid, snapshot  # noqa: E402

TEXT, MARKS = 4.5, 3.0


@pytest.fixture
def views(qtbot):
    """Every plotting view, made in the light theme, with something drawn."""
    theme.apply("light")
    made = []
    for cls in (LossPlot, LearningRatePlot, DecisionRegionPlot, PredictionPlot):
        w = cls()
        qtbot.addWidget(w)
        w.resize(400, 300)
        made.append(w)
    loss, lr, regions, predictions = made
    ds = dataset()
    loss.set_dataset(ds)
    loss.show_snapshot(snapshot(5))
    lr.show_snapshot(snapshot(5))
    regions.set_dataset(ds)
    regions.show_snapshot(snapshot(5, grid=grid(2)))
    predictions.set_range(np.linspace(-1, 1, 9))
    predictions.show_predictions(np.linspace(-1, 1, 9), np.linspace(-0.9, 1.1, 9))
    yield made
    theme.apply("system")


def plot_widgets(view) -> list[pg.PlotWidget]:
    return view.findChildren(pg.PlotWidget)


def ground(widget: pg.PlotWidget):
    return widget.backgroundBrush().color()


def label_color(html: str) -> str:
    return re.search(r"color:\s*(#[0-9a-fA-F]{6,8})", html).group(1)


def check_readable(view) -> None:
    for widget in plot_widgets(view):
        bg = ground(widget)
        plot = widget.getPlotItem()
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            assert ps.contrast_ratio(axis.textPen().color(), bg) >= TEXT
            assert ps.contrast_ratio(axis.pen().color(), bg) >= MARKS
            assert ps.contrast_ratio(axis.labelStyle["color"], bg) >= TEXT
        if plot.titleLabel.text:
            assert ps.contrast_ratio(label_color(plot.titleLabel.item.toHtml()), bg) >= TEXT
        if plot.legend is not None:
            for _sample, label in plot.legend.items:
                assert ps.contrast_ratio(label_color(label.item.toHtml()), bg) >= TEXT
        for item in plot.listDataItems():
            pen = item.opts["pen"]
            if isinstance(view, DecisionRegionPlot):
                continue     # drawn over the regions (class colours), not over the ground
            if pen is not None and item.opts["symbol"] is None:
                assert ps.contrast_ratio(pg.mkPen(pen).color(), bg) >= MARKS, item.name()


@pytest.mark.parametrize("name", ["light", "dark"])
def test_every_plot_reads_on_its_ground(views, name):
    theme.apply(name)
    expected = ps.THEMES[name]
    for view in views:
        widgets = plot_widgets(view)
        assert widgets
        for widget in widgets:
            assert ground(widget).name() == expected.background
        check_readable(view)
    loss, lr, _regions, predictions = views
    curves = {"train": loss.train_curve, "test": loss.test_curve, "lr": lr.curve,
              "acc train": loss.acc_train_curve}
    for role, curve in curves.items():
        color = curve.opts["pen"].color()
        assert color.name() == getattr(expected, role.split()[-1])
        assert ps.contrast_ratio(color, expected.background) >= MARKS
    # the predicted-vs-true points: blue, ringed in the ground's colour
    assert ps.contrast_ratio(ps.BLUE, expected.background) >= MARKS
    assert predictions.scatter.opts["pen"].color().name() == expected.background
    assert ps.contrast_ratio(predictions.identity.opts["pen"].color(),
                             expected.background) >= MARKS


def test_a_theme_switch_restyles_existing_plots_and_new_ones_start_in_it(views, qtbot):
    loss = views[0]
    assert ground(loss.loss_widget).name() == ps.LIGHT.background
    assert loss.train_curve.opts["pen"].color().name() == ps.LIGHT.train
    theme.apply("dark")
    assert ps.theme() is ps.DARK
    assert ground(loss.loss_widget).name() == ps.DARK.background
    assert loss.train_curve.opts["pen"].color().name() == ps.DARK.train
    assert loss.plot.getAxis("left").textPen().color().name() == ps.DARK.foreground
    fresh = LossPlot()
    qtbot.addWidget(fresh)
    assert ground(fresh.acc_widget).name() == ps.DARK.background
    assert fresh.acc_test_curve.opts["pen"].color().name() == ps.DARK.test
    theme.apply("light")
    for w in (loss, fresh):
        assert ground(w.loss_widget).name() == ps.LIGHT.background
        assert w.test_curve.opts["pen"].color().name() == ps.LIGHT.test


def test_a_lone_dot_and_the_hover_marker_follow_the_theme(views):
    loss = views[0]
    loss.show_snapshot(snapshot(1))
    theme.apply("dark")
    assert pg.mkPen(loss.train_curve.opts["symbolPen"]).color().name() == ps.DARK.train
    assert pg.mkPen(loss.marker.opts["symbolPen"]).color().name() == ps.DARK.foreground
    assert pg.mkPen(loss.partial_marker.opts["symbolPen"]).color().name() == ps.DARK.train


@pytest.mark.parametrize("name", ["light", "dark"])
@pytest.mark.parametrize("tone", ["info", "good", "bad"])
def test_the_perceptron_banner_reads_on_the_window(views, name, tone):
    regions = views[2]
    theme.apply("light" if name == "dark" else "dark")   # made in the other theme
    regions.set_banner("Converged at epoch 3", tone)
    theme.apply(name)
    window = QApplication.instance().palette().color(QPalette.Window)
    color = label_color(regions.banner.styleSheet())
    assert ps.contrast_ratio(color, window) >= TEXT, (name, tone, color, window.name())


def test_the_dark_palette_and_the_plots_share_one_ground(qapp):
    assert theme.palette("dark").color(QPalette.Base).name() == ps.DARK.background
    assert theme.plot_theme(theme.palette("dark")) == "dark"
    assert theme.plot_theme(theme.palette("light")) == "light"
    with pytest.raises(ValueError, match="plot theme must be one of light, dark"):
        ps.set_theme("sepia")


def test_followers_die_with_their_owners(qapp):
    label = QLabel()
    ps.style_banner(label, "good")
    label.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(label)      # the C++ label is gone: no restyle, no error
    ps.set_theme("dark")
    ps.set_theme("light")


# --- coloured words on the window's ground, and the confusion matrix's tints -----------------

def window_and_base() -> tuple:
    pal = QApplication.instance().palette()
    return pal.color(QPalette.Window), pal.color(QPalette.Base)


def other(name: str) -> str:
    return "light" if name == "dark" else "dark"


def error_label(qtbot, _tmp):
    from playground.ui.widgets import ErrorLabel
    label = ErrorLabel("Some error")
    qtbot.addWidget(label)
    return label, label


def duplicate_error(qtbot, _tmp):
    from playground.ui.duplicate_dialog import DuplicateDialog
    dialog = DuplicateDialog(DEFAULT_CONFIG, "run 1", lambda *_: None)
    qtbot.addWidget(dialog)
    return dialog, dialog.error


def sweep_error(qtbot, tmp_path):
    from playground.ui.sweep_dialog import SweepDialog
    dialog = SweepDialog(DEFAULT_CONFIG, "run 1", str(tmp_path), 1)
    qtbot.addWidget(dialog)
    return dialog, dialog.error


def layer_warning(qtbot, _tmp):
    from playground.ui.config_model import ConfigModel
    from playground.ui.layer_builder_panel import LayerBuilderPanel
    panel = LayerBuilderPanel(ConfigModel())
    qtbot.addWidget(panel)
    return panel, panel.warning_label


#: each label (made with the widget that owns it, kept alive by the test), and the theme
#: colour its text takes; the diagram's message is an ErrorLabel too
WORDS = {"ErrorLabel": ("error", error_label),
         "duplicate dialog error": ("error", duplicate_error),
         "sweep dialog error": ("error", sweep_error),
         "layer builder warning": ("warning", layer_warning)}


@pytest.mark.parametrize("name", ["light", "dark"])
@pytest.mark.parametrize("what", list(WORDS))
def test_error_and_warning_text_reads_on_the_window_and_follows_a_switch(qtbot, tmp_path,
                                                                         name, what):
    role, make = WORDS[what]
    theme.apply(other(name))                    # made in the other theme, then switched
    try:
        _owner, label = make(qtbot, tmp_path)
        before = label_color(label.styleSheet())
        theme.apply(name)
        color = label_color(label.styleSheet())
        assert color == getattr(ps.THEMES[name], role)
        assert color != before, "the label kept the other theme's colour"
        for ground in window_and_base():        # a dialog's ground, or a panel's
            assert ps.contrast_ratio(color, ground) >= TEXT, (what, name, color, ground.name())
    finally:
        theme.apply("system")


def test_the_text_roles_read_in_both_themes_on_the_window_and_the_plots(qapp):
    # e.g. the dark error #ff8a80 on the dark window #2b2d30: 6.05 (the red it replaced,
    # #c62828, was 2.46); the light one #b3261e on #efefef: 5.68
    for name in ("light", "dark"):
        pal = theme.palette(name)
        t = ps.THEMES[name]
        for role in ps.TEXT_ROLES:
            for ground in (pal.color(QPalette.Window), pal.color(QPalette.Base), t.background):
                assert ps.contrast_ratio(getattr(t, role), ground) >= TEXT, (name, role)
    with pytest.raises(ValueError, match="text role must be one of error, warning, good, "
                                         "bad, got 'loud'"):
        ps.style_text(QLabel(), "loud")


def test_the_dark_placeholder_and_muted_text_reads(qapp):
    # the lessons panel writes its muted notes in the placeholder colour, on the window
    pal = theme.palette("dark")
    for ground in (QPalette.Window, QPalette.Base):
        assert ps.contrast_ratio(pal.color(QPalette.PlaceholderText),
                                 pal.color(ground)) >= TEXT


@pytest.mark.parametrize("name", ["light", "dark"])
def test_the_diverged_mark_reads_on_the_plot_and_follows_a_switch(views, name):
    loss = views[0]
    theme.apply(other(name))
    before = loss.blowup_line.label.color.name()
    theme.apply(name)
    t = ps.THEMES[name]
    text, pen = loss.blowup_line.label.color, loss.blowup_line.pen.color()
    assert text.name() == pen.name() == t.error != before
    assert ps.contrast_ratio(text, ground(loss.loss_widget)) >= TEXT
    assert ps.contrast_ratio(pen, ground(loss.loss_widget)) >= MARKS


def test_the_confusion_hues_are_no_class_colour(qapp):
    pairs = [(a, b) for i, a in enumerate(ps.PALETTE) for b in ps.PALETTE[i + 1:]]
    closest_classes = min(ps.color_distance(a, b) for a, b in pairs)     # 16.2: grey/brown
    # the margin: farther from every class colour than the closest two classes are apart
    assert ps.CONFUSION_MARGIN > closest_classes
    old = {"#1a9850": "#2ca02c", "#d73027": "#d62728"}     # what they were, and looked like
    for hue, twin in old.items():
        assert ps.color_distance(hue, twin) < 8             # 7.3 and 1.7: no margin at all
    for t in (ps.LIGHT, ps.DARK):
        for hue in (t.right, t.wrong):
            for cls in ps.PALETTE:
                assert ps.color_distance(hue, cls) >= ps.CONFUSION_MARGIN, (t.name, hue, cls)
            # a full cell stands off the table's ground (WCAG's 3:1 for marks)
            assert ps.contrast_ratio(hue, t.background) >= MARKS, (t.name, hue)
        assert ps.color_distance(t.right, t.wrong) > 2 * ps.CONFUSION_MARGIN   # right, wrong


@pytest.mark.parametrize("lab1, lab2, expected", [
    # pairs of Sharma, Wu and Dalal's CIEDE2000 test data (2005), to the 4 decimals given
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0009), 7.1792),   # hues almost opposite: the
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0011), 7.2195),   # mean hue flips across 180
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((2.0776, 0.0795, -1.135), (0.9033, -0.0636, -0.5514), 0.9082),
])
def test_the_colour_distance_is_ciede2000(lab1, lab2, expected):
    assert ps.delta_e_2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert ps.delta_e_2000(lab2, lab1) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("name", ["light", "dark"])
def test_confusion_cells_follow_a_theme_switch_and_their_counts_read(qtbot, name):
    from types import SimpleNamespace

    from playground.ui.confusion_view import ConfusionView
    from test_ui_plots import dataset as make_dataset
    theme.apply(other(name))
    try:
        view = ConfusionView()
        qtbot.addWidget(view)
        view.set_run(SimpleNamespace(dataset=make_dataset(k=3)))
        m = np.array([[30, 0, 0], [0, 0, 20], [5, 5, 10]])    # whole rows: full tints
        view.show_matrix(m)
        cell = lambda r, c: view.table.item(r, c).background().color()  # noqa: E731
        before = {(r, c): cell(r, c).name() for r in range(3) for c in range(3)}
        theme.apply(name)
        qtbot.wait(20)                    # the palette reaches the table after its view
        t = ps.THEMES[name]
        assert cell(0, 0).name() == t.right and cell(1, 2).name() == t.wrong
        ground = view.table.palette().color(QPalette.ColorRole.Base).name()
        assert cell(0, 1).name() == ground and cell(1, 0).name() == ground  # empty: ground
        for r in range(3):
            for c in range(3):
                item = view.table.item(r, c)
                bg, fg = item.background().color(), item.foreground().color()
                assert ps.contrast_ratio(bg, fg) >= TEXT, (r, c, bg.name(), fg.name())
                if m[r, c]:
                    assert bg.name() != before[r, c]
                    if r == c:
                        assert 90 <= bg.hue() <= 160, bg.name()        # green
                    else:
                        assert bg.hue() <= 15 or bg.hue() >= 345, bg.name()   # red
    finally:
        theme.apply("system")


@pytest.mark.parametrize("name", ["light", "dark"])
def test_the_lesson_checks_marks_read_and_follow_a_switch(qtbot, name):
    from types import SimpleNamespace

    from playground.ui.lessons_panel import LessonsPanel
    theme.apply(other(name))
    try:
        panel = LessonsPanel(controller=None)
        qtbot.addWidget(panel)
        results = [SimpleNamespace(holds=True, sentence="It learns", problem=None),
                   SimpleNamespace(holds=False, sentence="It overfits", problem=None)]
        panel._show_results(results, "Your run")
        before = re.findall(r"color:\s*(#[0-9a-fA-F]{6})", panel.result.text())
        theme.apply(name)
        t = ps.THEMES[name]
        marks = re.findall(r"color:\s*(#[0-9a-fA-F]{6})", panel.result.text())
        assert marks == [t.good, t.error] and marks != before
        window, _base = window_and_base()
        for color in marks:
            assert ps.contrast_ratio(color, window) >= TEXT, (name, color)
        assert "Your run: not every claim holds yet" in panel.result.text()
    finally:
        theme.apply("system")


@pytest.mark.parametrize("name", ["light", "dark"])
def test_a_checked_feature_toggle_has_ink_of_its_own(qtbot, name):
    from playground.ui.dataset_panel import _TOGGLE_STYLE
    checked = re.search(r"QToolButton:checked \{([^}]*)\}", _TOGGLE_STYLE).group(1)
    background = re.search(r"background:\s*(#[0-9a-fA-F]{6})", checked).group(1)
    ink = re.search(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{6})", checked)
    # without its own ink a checked toggle wrote the dark theme's #e6e6e6 on its pale blue
    assert ink is not None, "the checked toggle takes the palette's text colour"
    assert ps.contrast_ratio(ink.group(1), background) >= TEXT

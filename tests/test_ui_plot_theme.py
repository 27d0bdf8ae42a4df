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

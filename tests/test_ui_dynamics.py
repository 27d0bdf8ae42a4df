"""The Dynamics view: its curves hold the snapshot's recorded dynamics, the heat map shows the
chosen layer's weight histograms, the plots follow the theme, and the window has it as the
"Dynamics" tab, found by its accessible name."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pg = pytest.importorskip("pyqtgraph")

from PySide6.QtWidgets import QWidget  # noqa: E402

from conftest import run_config  # noqa: E402
from playground.engine.dynamics import BINS  # noqa: E402
from playground.engine.session import Session  # noqa: E402
from playground.engine.trainer import Trainer  # noqa: E402
from playground.run_info import RunInfo  # noqa: E402
from playground.ui import plot_style as ps  # noqa: E402
from playground.ui import theme  # noqa: E402
from playground.ui.dynamics_view import DynamicsView, module_names  # noqa: E402
from ui_helpers import errors, make_window, settings  # noqa: E402, F401

LAYERS = [{"type": "dense", "units": 6, "activation": "tanh"}, {"type": "batchnorm"},
          {"type": "dense", "units": 5, "activation": "relu"}]


def trained(epochs: int = 6, every: int = 1, **train) -> tuple[Trainer, Session]:
    t = Trainer(run_config(LAYERS, source="spiral", data={"samples": 80}, batch_size=10,
                           clip={"norm": 0.3}, optimizer={"name": "adam", "lr": 0.05},
                           **train))
    t.dynamics.set_every(every)
    session = Session(t)
    t.run_epochs(epochs)
    return t, session


@pytest.fixture
def view(qtbot):
    theme.apply("light")
    v = DynamicsView()
    qtbot.addWidget(v)
    v.resize(700, 450)
    v.show()
    yield v
    theme.apply("system")


def shown(view: DynamicsView, trainer: Trainer, session: Session):
    view.set_run(RunInfo.of(trainer))
    snap = session.snapshot()
    view.show_snapshot(snap)
    view.flush()
    return snap


def test_the_curves_hold_the_snapshots_dynamics(view):
    t, session = trained()
    snap = shown(view, t, session)
    curves = snap.dynamics.curves
    assert set(view.grad_curves) == set(t.dynamics.tensors) == {0, 2, 3, 5}
    for i in t.dynamics.tensors:
        for plot_curves, prefix in ((view.grad_curves, "grad_norm"),
                                    (view.ratio_curves, "update_ratio")):
            c = plot_curves[i]
            np.testing.assert_array_equal(c.xData, curves["epoch"])
            np.testing.assert_array_equal(c.yData, curves[f"{prefix}.{i}"])
    assert set(view.health_curves) == {1, 4}
    np.testing.assert_array_equal(view.health_curves[1].yData, curves["saturated.1"])
    np.testing.assert_array_equal(view.health_curves[4].yData, curves["dead.4"])
    # epochs in which clipping acted are marked
    clipped = curves["epoch"][curves["clipped"] > 0]
    assert clipped.size and np.array_equal(view.clip_marks.xData, clipped)
    # the legend names the layers as the diagram does
    text = view.legend.text()
    assert "layer 1" in text and "layer 2" in text and "output" in text
    assert "batchnorm γ" in text and not view.note.isVisible()


def test_a_new_run_of_the_same_layers_reuses_the_curves_emptied(view):
    """A new dataset or a reset keeps the layers: their curves are kept, emptied, then
    filled by the new run's snapshots; other layers get their own curves."""
    t, session = trained()
    shown(view, t, session)
    kept = dict(view.grad_curves)
    t2, session2 = trained(epochs=2)
    view.set_run(RunInfo.of(t2))
    assert view.grad_curves == kept                      # the same curve objects
    assert all(len(c.xData if c.xData is not None else []) == 0
               for c in view.grad_curves.values())      # emptied until the new run draws
    snap = session2.snapshot()
    view.show_snapshot(snap)
    view.flush()
    np.testing.assert_array_equal(view.grad_curves[0].xData, snap.dynamics.curves["epoch"])
    other = Trainer(run_config([{"type": "dense", "units": 4, "activation": "relu"}],
                               source="spiral", data={"samples": 40}))
    view.set_run(RunInfo.of(other))
    assert set(view.grad_curves) != set(kept) or any(
        view.grad_curves[i] is not kept[i] for i in view.grad_curves)


def test_the_heat_map_shows_the_chosen_layers_histograms(view):
    t, session = trained()
    snap = shown(view, t, session)
    hists = snap.dynamics.histograms
    for index in (0, 3, 5, 2):
        view.select_layer(index)
        image = view.heat_image()
        counts = hists[index].counts.astype(np.float64)
        expected = counts / counts.max(axis=1, keepdims=True)
        assert image.shape == (len(hists[index].epochs), BINS)
        np.testing.assert_allclose(image, expected)
        assert view.combo.currentText() == {0: "layer 1", 3: "layer 2", 5: "output",
                                            2: "layer 1 batchnorm γ"}[index]
    r = hists[2].half_range
    rect = view.heat.mapRectToParent(view.heat.boundingRect())
    assert rect.top() == pytest.approx(-r) and rect.bottom() == pytest.approx(r)


def test_the_plots_follow_the_theme(view):
    t, session = trained()
    shown(view, t, session)
    for name in ("light", "dark"):
        theme.apply(name)
        expected = ps.THEMES[name]
        colors = ps.layer_colors(3, expected)
        for widget in view.findChildren(pg.PlotWidget):
            assert widget.backgroundBrush().color().name() == expected.background
            axis = widget.getPlotItem().getAxis("left")
            assert ps.contrast_ratio(axis.textPen().color(), expected.background) >= 4.5
        for i, group in ((0, 0), (3, 1), (5, 2), (2, 0)):
            pen = view.grad_curves[i].opts["pen"]
            assert pen.color().name() == colors[group]
            assert ps.contrast_ratio(pen.color(), expected.background) >= 3.0
        assert view.grad_curves[2].opts["pen"].style() == pg.QtCore.Qt.PenStyle.DashLine
        assert view.health_curves[1].opts["pen"].color().name() == colors[0]
        assert colors[0] in view.legend.text()


def test_the_view_waits_for_the_first_record_and_says_when(view):
    t, session = trained(epochs=1, every=4)
    shown(view, t, session)
    assert view.note.isVisible() and "end of epoch 4" in view.note.text()
    assert view.grad_curves[0].xData is None or not len(view.grad_curves[0].xData)
    t.run_epochs(3)
    view.show_snapshot(session.snapshot())
    view.flush()
    assert not view.note.isVisible() and len(view.grad_curves[0].xData) == 1


def test_a_hidden_view_draws_nothing_until_shown(qtbot):
    holder = QWidget()
    qtbot.addWidget(holder)
    v = DynamicsView(holder)
    v.hide()
    t, session = trained()
    v.set_run(RunInfo.of(t))
    snap = session.snapshot()
    v.show_snapshot(snap)
    qtbot.wait(250)
    assert v.grad_curves[0].xData is None or not len(v.grad_curves[0].xData)
    holder.show()
    v.show()
    qtbot.waitUntil(lambda: v.heat_image() is not None, timeout=3000)
    np.testing.assert_array_equal(v.grad_curves[0].yData, snap.dynamics.curves["grad_norm.0"])


def test_layers_are_named_as_the_diagram_names_them():
    t, _ = trained(epochs=0)
    names = module_names(RunInfo.of(t).modules)
    assert names == {0: ("layer 1", 0), 1: ("layer 1 tanh", 0), 2: ("layer 1 batchnorm", 0),
                     3: ("layer 2", 1), 4: ("layer 2 relu", 1), 5: ("output", 2)}


def test_the_window_has_a_dynamics_tab_that_updates_live(make_window, qtbot):
    window = make_window({"data": {"source": "xor", "samples": 200},
                          "model": {"type": "mlp", "layers": LAYERS},
                          "train": {"batch_size": 10, "epochs": 40}})
    found = [w for w in window.findChildren(QWidget)
             if w.accessibleName() == "Training dynamics"]
    assert len(found) == 1
    page = found[0]
    tabs = window.output_tabs
    index = tabs.indexOf(page)
    assert tabs.tabText(index) == "Dynamics" and tabs.isTabVisible(index)
    tabs.setCurrentIndex(index)
    every = window.trainer.dynamics.every
    for _ in range(every):
        window.controller.step_epoch()
    qtbot.waitUntil(lambda: page.grad_curves[0].xData is not None
                    and len(page.grad_curves[0].xData) >= 1, timeout=20000)
    assert page.grad_curves[0].xData[-1] == every


def test_behind_another_tab_a_new_runs_curves_are_made_when_the_tab_opens(make_window, qtbot):
    """A layer added while Curves is in front makes no Dynamics curves (a dozen cost the
    window 30-40 ms); opening the tab makes them, one per tracked tensor, and they draw."""
    window = make_window({"data": {"source": "xor", "samples": 200},
                          "model": {"type": "mlp", "layers": LAYERS},
                          "train": {"batch_size": 10, "epochs": 40}})
    page, tabs = window.dynamics_view, window.output_tabs
    assert tabs.currentWidget() is not page
    made = []
    real = page._curve
    page._curve = lambda plot, s: (made.append(s.index), real(plot, s))[1]
    window.layer_panel.add_dense.click()
    qtbot.waitUntil(lambda: window.trainer is window.controller._worker._session.trainer)
    assert made == []
    tabs.setCurrentIndex(tabs.indexOf(page))
    assert made and set(page._grad_curves) == set(window.trainer.dynamics.tensors)
    for _ in range(window.trainer.dynamics.every):
        window.controller.step_epoch()
    qtbot.waitUntil(lambda: page._grad_curves[0].xData is not None
                    and len(page._grad_curves[0].xData) >= 1, timeout=20000)


def test_a_perceptron_has_no_dynamics_tab(make_window):
    window = make_window({"data": {"source": "xor"}, "model": {"type": "perceptron"}})
    tabs = window.output_tabs
    assert not tabs.isTabVisible(tabs.indexOf(window.dynamics_view))

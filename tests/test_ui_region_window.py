"""The decision plot in the real window: the regions fill the view after every way a run
changes, the legend follows each new run, and a perceptron's lines on iris all show and
read on the regions under them."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPointF  # noqa: E402
from PySide6.QtGui import QColor  # noqa: E402

from playground.ui import perceptron_view  # noqa: E402
from playground.ui import plot_style as ps  # noqa: E402
from ui_helpers import errors, make_window, settings, snapshot_after  # noqa: E402, F401


def covers_view(plot) -> bool:
    """The region image reaches every edge of the view (no white band anywhere)."""
    if plot.image.image is None:
        return False
    (x0, x1), (y0, y1) = plot.plot.getViewBox().viewRange()
    r = plot.image.mapRectToParent(plot.image.boundingRect())
    eps = 1e-9 * max(x1 - x0, y1 - y0)
    return (r.left() <= x0 + eps and r.right() >= x1 - eps and r.top() <= y0 + eps
            and r.bottom() >= y1 - eps)


def test_regions_fill_the_view_after_every_change(qtbot, make_window):
    w = make_window({"data": {"source": "plane"}, "model": {"type": "mlp", "layers": [
        {"type": "dense", "units": 4, "activation": "tanh"}]}, "train": {"epochs": 100}})
    plot = w.decision_plot
    qtbot.waitUntil(lambda: covers_view(plot), timeout=30000)
    paths = (
        ("reset", w.reset, True),
        ("layer change", lambda: w.model.update_model(           # a second hidden layer
            layers=tuple(w.model.config.model.layers) * 2), True),
        ("schedule change", lambda: w.model.update_schedule("step"), False),
        # the same extent (both 2-D generators fill [-6, 6]): the view range holds
        ("dataset switch", lambda: w.model.update_data(source="multigauss"), True),
        ("zoom out, then reset", lambda: (plot.plot.getViewBox().scaleBy((1.6, 1.6)),
                                          w.reset()), True),
    )
    for name, change, new_run in paths:
        run_id = w.trainer.run_id
        view = plot.plot.getViewBox().viewRange()
        change()
        assert (w.trainer.run_id != run_id) == new_run, name
        qtbot.waitUntil(lambda: covers_view(plot), timeout=10000)
        qtbot.wait(250)          # and it stays so once the view has settled
        assert covers_view(plot), name
        if name == "dataset switch":
            assert np.allclose(plot.plot.getViewBox().viewRange(), view, rtol=0.05)


def test_the_legend_follows_each_run(qtbot, make_window, tmp_path):
    w = make_window({"data": {"source": "iris"}, "model": {"type": "mlp", "layers": []}})
    legend = w.decision_plot.legend
    assert legend.texts == ["setosa", "versicolor", "virginica"]
    assert w.model.update_data(source="digits") is None
    qtbot.waitUntil(lambda: legend.texts == list("0123456789"), timeout=10000)
    csv = tmp_path / "pets.csv"
    rng = np.random.default_rng(0)
    rows = [f"{a:.3f},{b:.3f},{label}" for (a, b), label in
            zip(rng.normal(size=(60, 2)), ["emu", "cat", "dog"] * 20)]
    csv.write_text("a,b,label\n" + "\n".join(rows) + "\n")
    assert w.model.update_data(source="csv", path=str(csv), target="label") is None
    qtbot.waitUntil(lambda: legend.texts == ["cat", "dog", "emu"], timeout=10000)
    colors = [e.color for e in legend.entries]
    assert colors == [QColor(c).name() for c in ps.PALETTE[:3]]
    assert w.model.update_data(source="diabetes", path=None, target=None) is None
    qtbot.waitUntil(lambda: not legend.item.isVisible(), timeout=10000)
    assert w.decision_plot.colorbar.isVisible()


def test_iris_perceptron_lines_all_show_and_read_on_their_regions(qtbot, make_window):
    w = make_window({"data": {"source": "iris", "test_fraction": 0.3},
                     "model": {"type": "perceptron"}, "train": {"epochs": 100}})
    plot = w.decision_plot
    for epoch in range(1, 11):
        snap = snapshot_after(qtbot, w, w.controller.step_epoch,
                              until=lambda s, e=epoch: s.epoch == e)
    qtbot.waitUntil(lambda: covers_view(plot) and plot.overlay.lines
                    and all(len(line.getData()[0]) for line in plot.overlay.lines),
                    timeout=10000)
    assert snap.units is not None
    lines = plot.overlay.lines
    assert len(lines) == 3
    shown = plot.overlay.in_view()
    visible = [line for line in lines if line.isVisible() and len(line.getData()[0])]
    assert len(visible) == sum(shown) == 3       # every one-vs-rest line crosses the view
    for text, inside in zip(plot.legend.texts, shown):
        assert text.endswith("(line outside the view)") != inside
    rgb = plot.drawn_rgb()
    casing = QColor(perceptron_view.casing_pens("#000")[0].color())
    rows, cols = rgb.shape[:2]
    for line in lines:
        x, y = line.getData()
        ok = np.isfinite(x)
        for px, py in zip(x[ok][::4], y[ok][::4]):
            p = plot.image.mapFromParent(QPointF(px, py))
            region = QColor(*rgb[min(max(int(p.y()), 0), rows - 1),
                                 min(max(int(p.x()), 0), cols - 1)])
            assert ps.contrast_ratio(casing, region) >= 3, region.name()

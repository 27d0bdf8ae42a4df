"""The decision plot reads as a finished tool: a legend names each class's colour, ten classes'
regions stay apart, the axes say what they are (no "x1e-12"), lattice points are drawn apart,
a regression has its colour bar, a perceptron's every line shows and reads on any region,
and the confusion matrix has colours of its own with readable counts. Everything is read off
the widgets' items."""

from __future__ import annotations

import dataclasses
import itertools
import math
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pg = pytest.importorskip("pyqtgraph")

from PySide6.QtCore import QPointF  # noqa: E402
from PySide6.QtGui import QColor  # noqa: E402

from playground.data.dataset import Dataset  # noqa: E402
from playground.data.plane import pca_plane  # noqa: E402
from playground.engine.session import CURVE_KEYS, Snapshot  # noqa: E402
from playground.ui import perceptron_view  # noqa: E402
from playground.ui import plot_style as ps  # noqa: E402
from playground.ui.decision_plot import (JITTER, MIN_STRENGTH, DecisionRegionPlot,  # noqa: E402
                                         region_colors)


def dataset(task="classification", k=2, f=2, n=60, test=0, seed=0, x=None, names=None,
            class_names=None):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n + test, f)) if x is None else x
    y = np.arange(len(x)) % k if task == "classification" else x.sum(axis=1)
    ds = Dataset.from_arrays(x[:n], y[:n], x[n:] if test else None, y[n:] if test else None,
                             task=task, class_names=class_names)
    return dataclasses.replace(ds, input_names=tuple(names)) if names else ds


def snapshot(grid=None, **fields) -> Snapshot:
    curves = {key: np.full(1, math.nan) for key in CURVE_KEYS}
    curves["epoch"] = np.ones(1)
    return Snapshot(epoch=1, steps=1, lr=0.1, steps_per_second=0.0, curves=curves, weights={},
                    grid=grid, **fields)


def view_grid(w, r=24, k=3):
    """Class probabilities over the plot's view: class c where c/k < (x - x0)/width."""
    (x0, x1), (y0, y1) = w.plot.getViewBox().viewRange()
    xs, ys = np.linspace(x0, x1, r), np.linspace(y0, y1, r)
    band = np.minimum(((xs - x0) / (x1 - x0) * k).astype(int), k - 1)
    out = np.full((r, r, k), 0.1 / max(k - 1, 1))
    out[:, np.arange(r), band] = 0.9
    return xs, ys, out


@pytest.fixture
def make(qtbot):
    def build(ds=None, size=(460, 460)):
        w = DecisionRegionPlot()
        qtbot.addWidget(w)
        w.resize(*size)
        w.show()
        qtbot.waitExposed(w)
        if ds is not None:
            w.set_dataset(ds)
        return w
    return build


def lab(rgb) -> np.ndarray:
    """CIE L*a*b* (D65) of sRGB colours (..., 3) in 0..255."""
    c = np.asarray(rgb, np.float64) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                  [0.0193, 0.1192, 0.9505]])
    xyz = c @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]),
                     200 * (f[..., 1] - f[..., 2])], axis=-1)


# --- 1. a legend maps colour to class -------------------------------------------------------

def test_legend_names_each_class_in_its_colour(make, qtbot):
    iris = dataset(k=3, f=4, class_names=("setosa", "versicolor", "virginica"))
    w = make(iris)
    assert w.legend.texts == ["setosa", "versicolor", "virginica"]
    assert [e.color for e in w.legend.entries] == [QColor(c).name() for c in ps.PALETTE[:3]]
    assert w.legend.item.isVisible()
    # the points of each class are drawn in the colour its entry shows
    w.show_snapshot(snapshot(plane=pca_plane(iris)))
    drawn = [b.color().name() for b in w.train_scatter.data["brush"]]
    for k, entry in enumerate(w.legend.entries):
        assert {drawn[i] for i in np.flatnonzero(iris.y_train == k)} == {entry.color}

    w.set_dataset(dataset(k=2))                       # a new run: the legend follows
    assert w.legend.texts == ["class 0", "class 1"]
    assert [e.color for e in w.legend.entries] == [ps.ORANGE, ps.BLUE]
    w.set_dataset(dataset(k=2, class_names=("no", "yes")))   # a CSV's text labels, sorted
    assert w.legend.texts == ["no", "yes"]
    w.set_dataset(dataset("regression"))
    assert not w.legend.item.isVisible()


def test_legend_is_small_translucent_and_keeps_off_the_points(make, qtbot):
    w = make(dataset(k=10, n=400, class_names=tuple("0123456789")))
    qtbot.wait(50)
    assert w.legend.texts == list("0123456789")
    card = w.legend.item.boundingRect()
    vb = w.plot.getViewBox()
    assert card.height() <= 50 and card.width() * card.height() <= 0.1 * vb.width() * vb.height()
    from playground.ui.region_legend import CARD
    assert CARD[3] < 255                               # the regions show through
    points = w.drawn_points()
    # the data sits in a disc in the middle: a place at the edge covers almost none of it
    assert w.legend.covered(points) <= 0.02 * len(points)
    # the legend goes where the points are not: all in the top right, it moves away
    corner = np.array([[1.9, 1.9]]) + 0.05 * np.random.default_rng(1).normal(size=(300, 2))
    w.set_dataset(dataset(k=10, x=np.vstack([corner, [[-2.0, -2.0]]]), n=301))
    qtbot.wait(50)
    assert w.legend.where != "top right" and w.legend.covered(w.drawn_points()) == 0


# --- 3. ten classes stay apart --------------------------------------------------------------

@pytest.mark.parametrize("confidence", [0.11, 0.3, 0.5, 0.9, 1.0])
def test_ten_classes_regions_stay_apart_at_any_confidence(confidence):
    # digits: K = 10; "typical" confidence runs from about a coin toss (0.1) early on to
    # near 1. Threshold: CIE76 delta-E >= 10, about four just-noticeable differences (2.3):
    # two adjacent regions read as different colours at a glance. When the colour faded to
    # white the closest pair (brown, grey) was at delta-E 2.3 at a coin toss, 7.0 at 0.5.
    k = 10
    out = np.full((1, k, k), (1 - confidence) / (k - 1))
    out[0, np.arange(k), np.arange(k)] = confidence       # pixel c: class c, that sure
    rgb = region_colors(out)[0]
    lab_ = lab(rgb)
    gaps = [np.linalg.norm(lab_[i] - lab_[j]) for i, j in itertools.combinations(range(k), 2)]
    assert min(gaps) >= 10, (confidence, min(gaps))
    if confidence <= 0.5:   # and confidence still shows: a sure region is deeper
        sure = lab(region_colors(np.eye(k)[None])[0])
        assert np.linalg.norm(sure - lab_, axis=1).min() > 2.3


def test_multiclass_image_fades_no_further_than_min_strength(make):
    w = make(dataset(k=10, class_names=tuple("0123456789")))
    xs, ys, out = view_grid(w, k=10)
    out[...] = 0.1                                        # a coin toss everywhere
    w.show_snapshot(snapshot(grid=(xs, ys, out)))
    assert np.array_equal(w.drawn_rgb(), region_colors(out))
    neutral = np.array(QColor(ps.NEUTRAL).getRgb()[:3], float)
    from playground.ui.decision_plot import REGION_OPACITY
    full = REGION_OPACITY * ps.palette_rgb(10)[0] + (1 - REGION_OPACITY) * 255
    grey = REGION_OPACITY * neutral + (1 - REGION_OPACITY) * 255
    got = w.drawn_rgb()[0, 0].astype(float)
    assert np.linalg.norm(got - grey) >= 0.95 * MIN_STRENGTH * np.linalg.norm(full - grey)


# --- 4. axis labels say what the axis is -----------------------------------------------------

def test_axes_have_no_si_prefix_and_say_what_they_are(make, qtbot):
    # diabetes' inputs come scaled to about +-0.1: pyqtgraph's "age (x0.001)"
    x = np.random.default_rng(0).normal(scale=0.05, size=(80, 4))
    x[:, 1] = 0.0                                        # and a constant input (a blank pixel)
    w = make(dataset("regression", f=4, n=80, x=x, names=("age", "pixel_0_0", "bmi", "bp")))
    w.set_axes(0, 1)
    qtbot.wait(50)
    for name, text in (("bottom", "age"), ("left", "pixel_0_0")):
        axis = w.plot.getAxis(name)
        assert axis.labelText == text and "(x" not in axis.labelString()
        assert axis.autoSIPrefixScale == 1.0
    # the constant input spans its value +- 0.5 (0.55 with the margin), not +- 1e-10
    (y0, y1) = w.plot.getViewBox().viewRange()[1]
    assert y1 - y0 == pytest.approx(1.1, rel=0.05)
    w.set_plane_spec("pca")
    ds = w.dataset
    w.show_snapshot(snapshot(plane=pca_plane(ds)))
    assert w.plot.getAxis("bottom").labelText.startswith("PC 1 (")
    assert w.plot.getAxis("left").labelText.endswith("% of the variance)")
    for name in ("left", "bottom", "right", "top"):
        assert not w.colorbar.getAxis(name).autoSIPrefix


# --- 5. lattice points are drawn apart -------------------------------------------------------

def test_points_on_a_lattice_are_jittered_in_the_drawing_only(make):
    # digits in the plane of two raw pixels: values 0..16, hundreds of points on 289 spots
    rng = np.random.default_rng(0)
    x = rng.integers(0, 17, size=(900, 3)).astype(np.float64)
    ds = dataset(k=10, f=3, n=900, x=x)
    w = make(ds)
    w.set_axes(0, 1)
    drawn = w.drawn_points()
    data = ds.raw_train[:, :2]
    assert len(np.unique(data, axis=0)) <= 17 * 17 < len(drawn)
    assert len(np.unique(np.round(drawn, 9), axis=0)) == len(drawn)   # every point apart
    # each point stays nearest its own value (within JITTER of the one-unit step)
    assert np.abs(drawn - data).max() <= JITTER + 1e-9
    assert np.array_equal(ds.raw_train[:, :2], data)                   # the data untouched
    w.set_axes(1, 2)
    w.set_axes(0, 1)
    assert np.array_equal(w.drawn_points(), drawn)                     # seeded: it holds still
    # continuous data is drawn where it is
    w.set_dataset(dataset(k=2))
    assert np.array_equal(w.drawn_points(), w.dataset.raw_train)


# --- 7. a regression's colour bar -----------------------------------------------------------

def test_regression_colour_bar_names_the_target_and_matches_the_surface(make, qtbot):
    ds = dataclasses.replace(dataset("regression", n=60), target_names=("progression",))
    w = make(ds)
    bar = w.colorbar
    assert bar.isVisible() and bar in [w.plot.layout.itemAt(i)
                                       for i in range(w.plot.layout.count())]
    assert "progression" in bar.getAxis("bottom").labelText
    lo, hi = ds.y_train.min(), ds.y_train.max()        # in the data's units
    (x0, x1), (y0, y1) = w.plot.getViewBox().viewRange()
    xs, ys = np.linspace(x0, x1, 16), np.linspace(y0, y1, 16)
    # a surface from below the targets' range to above it, rising to the right
    surface = np.tile(np.linspace(lo - 1, hi + 1, 16), (16, 1))[..., None]
    w.show_snapshot(snapshot(grid=(xs, ys, surface)))
    assert tuple(bar.levels()) == pytest.approx((lo, hi))
    assert tuple(w.image.getLevels()) == pytest.approx(tuple(bar.levels()))
    # the bar's two ends are the colours the surface is drawn in at (and beyond) them
    ends = bar.colorMap().getLookupTable(0.0, 1.0, 2, alpha=False).astype(int)
    rgb = w.drawn_rgb().astype(int)
    assert np.abs(rgb[0, 0] - ends[0]).max() <= 2 and np.abs(rgb[0, -1] - ends[1]).max() <= 2
    assert np.abs(ends[0] - ends[1]).max() > 100        # orange to blue: a scale, not a blot
    w.set_dataset(dataset(k=3))                          # classification: no bar, no room
    assert not bar.isVisible()
    assert bar not in [w.plot.layout.itemAt(i) for i in range(w.plot.layout.count())]


def test_discretize_applies_to_classes_only(make):
    w = make(dataset("regression", n=60))
    assert not w.discretize_check.isEnabled()
    assert "nothing to discretize" in w.discretize_check.toolTip()
    w.discretize_check.setChecked(True)       # ticked before: still a continuous surface
    surface = np.linspace(0.0, 1.0, 16 * 16).reshape(16, 16, 1)
    np.testing.assert_array_equal(w._image_from_outputs(surface), surface[..., 0])
    w.set_dataset(dataset(k=2))
    assert w.discretize_check.isEnabled()
    assert "predicted class" in w.discretize_check.toolTip()


# --- 8. a perceptron's lines ----------------------------------------------------------------

def perceptron_run(k=3, f=4):
    names = ("setosa", "versicolor", "virginica")[:k] if k == 3 else None
    ds = dataset(k=k, f=f, n=90, class_names=names)
    return SimpleNamespace(dataset=ds, output_activation="step", n_outputs=k if k > 2 else 1)


def unit_sums(w, offsets):
    """Weighted sums over the view, unit k's zero line at x = x0 + offsets[k] * width."""
    (x0, x1), (y0, y1) = w.plot.getViewBox().viewRange()
    us, vs = np.linspace(x0, x1, 40), np.linspace(y0, y1, 40)
    gx, _ = np.meshgrid(us, vs)
    z = np.stack([gx - (x0 + o * (x1 - x0)) for o in offsets], axis=-1)
    return (us, vs), z


def line_points(line):
    x, y = line.getData()
    ok = np.isfinite(x)
    return np.column_stack([x[ok], y[ok]])


def test_every_perceptron_line_shows_or_the_legend_says_where_it_is(make, qtbot):
    run = perceptron_run()
    w = make()
    w.set_run(run)
    w.show_snapshot(snapshot(plane=pca_plane(run.dataset)))
    axes, z = unit_sums(w, [0.2, 0.5, 0.8])
    w.show_snapshot(snapshot(units=(z,), unit_axes=axes))
    visible = [line for line in w.overlay.lines if line.isVisible() and len(line_points(line))]
    assert len(visible) == 3 and w.overlay.in_view() == [True] * 3
    assert w.legend.texts == ["setosa", "versicolor", "virginica"]
    assert all(e.line for e in w.legend.entries)
    axes, z = unit_sums(w, [0.2, 0.5, 1.7])            # virginica's line left the view
    w.show_snapshot(snapshot(units=(z,), unit_axes=axes))
    assert w.overlay.in_view() == [True, True, False]
    assert w.legend.texts[2] == "virginica (line outside the view)"
    assert w.legend.texts[:2] == ["setosa", "versicolor"]


def test_a_perceptron_line_contrasts_with_the_region_under_it(make, qtbot):
    run = perceptron_run()
    w = make()
    w.set_run(run)
    w.show_snapshot(snapshot(plane=pca_plane(run.dataset)))
    xs, ys, out = view_grid(w, k=3)
    axes, z = unit_sums(w, [1 / 6, 0.5, 5 / 6])        # each line inside its own region
    w.show_snapshot(snapshot(grid=(xs, ys, out), units=(z,), unit_axes=axes))
    rgb = w.drawn_rgb()
    casing, band, core = (QColor(p.color()) for p in perceptron_view.casing_pens("#000"))
    for k, (line, under) in enumerate(zip(w.overlay.lines, w.overlay.casings)):
        assert under.opts["shadowPen"].widthF() > under.opts["pen"].widthF() \
            > line.opts["pen"].widthF()                  # casing, band, core, outside in
        assert QColor(under.opts["shadowPen"].color()) == casing
        assert QColor(line.opts["pen"].color()).name() == QColor(ps.PALETTE[k]).name()
        for x, y in line_points(line)[::5]:
            p = w.image.mapFromParent(QPointF(x, y))
            region = QColor(*rgb[min(int(p.y()), 23), min(int(p.x()), 23)])
            assert region.name() == QColor(*region_colors(out)[0, int(p.x())]).name()
            # the outer stroke against the region: WCAG's 3:1 for graphics
            assert ps.contrast_ratio(casing, region) >= 3, (k, region.name())
        assert ps.contrast_ratio(casing, band) >= 7       # and the strokes apart


def test_one_unit_perceptron_has_a_dark_line_in_the_legend(make):
    run = perceptron_run(k=2, f=2)
    w = make()
    w.set_run(run)
    assert w.legend.texts == ["class 0", "class 1", "decision line"]
    assert [e.line for e in w.legend.entries] == [False, False, True]


# --- 2. the confusion matrix's own colours --------------------------------------------------

def test_confusion_cells_use_no_class_colour_and_their_counts_read(qtbot):
    from playground.ui.confusion_view import ConfusionView
    view = ConfusionView()
    qtbot.addWidget(view)
    view.set_run(SimpleNamespace(dataset=dataset(k=4)))
    m = np.array([[50, 1, 0, 0], [3, 40, 7, 0], [0, 0, 1, 30], [12, 12, 12, 12]])
    view.show_matrix(m)
    t = view.table
    palette = {QColor(c).name() for c in ps.PALETTE[:4]}
    hue = {}
    for r in range(4):
        for c in range(4):
            item = t.item(r, c)
            bg, fg = item.background().color(), item.foreground().color()
            assert ps.contrast_ratio(bg, fg) >= 4.5, (r, c, bg.name(), fg.name())
            assert bg.name() not in palette
            assert item.font().bold() == (r == c)       # right and wrong apart without colour
            if m[r, c]:
                hue.setdefault(r == c, set()).add(bg.hue())
            else:
                assert bg == t.palette().color(t.palette().ColorRole.Base)
    # the diagonal green, the rest red (the hue of a tint of white): neither orange nor blue
    assert all(90 <= h <= 160 for h in hue[True])
    assert all(h <= 15 or h >= 345 for h in hue[False])
    # deeper with the share of the row
    lightness = lambda r, c: t.item(r, c).background().color().lightness()  # noqa: E731
    assert lightness(0, 0) < lightness(2, 2)            # 50 of 51 over 1 of 31
    assert lightness(1, 2) < lightness(1, 0)            # 7 of 50 over 3 of 50

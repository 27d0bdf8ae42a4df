"""Perceptron mode on the decision plot: each unit's decision line, the sample of the last
update, and a sentence saying where training stands (converged, or why it cannot).

The line is where the unit's weighted sum is zero: the zero level of the weighted sums the
engine computed over the plot's input plane (the snapshot's unit grids, made on the worker
through the data's own preprocessing), so with feature maps such as x1^2 it bends as it truly
does in the input plane. Nothing is computed from the weights here.

Each line is a double-cased stroke, outside in: a dark casing, a white band, the unit's colour
(``casing_pens``): the casing stands out from every (light) region, its own class's
included, and the white band from the casing and from any core colour. A line that does not
cross the view is not drawn; ``in_view`` says which are, so the legend can say so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg

from playground.data.names import GENERATORS_2D
from playground.ui import plot_style as ps

RESOLUTION = 96
LINE_WIDTH = 3
#: the white band and the dark casing around it, in pixels either side of the line
BAND, CASING = 1.0, 1.25


def casing_pens(color: str, scale: float = 1.0) -> list:
    """The pens of a cased line, drawn in this order (outermost first): the dark casing
    (the ink drawn over the light regions in either theme), a white band, ``color``;
    ``scale`` shrinks them (the legend's sample)."""
    core = LINE_WIDTH * scale
    return [pg.mkPen(ps.FOREGROUND, width=core + 2 * (BAND + CASING) * scale),
            pg.mkPen("w", width=core + 2 * BAND * scale),
            pg.mkPen(color, width=core)]


def line_colors(n_units: int) -> list[str]:
    """One unit (binary): dark ink; one unit per class (one-vs-rest): the class colours."""
    return ([ps.FOREGROUND] if n_units == 1 else
            [ps.PALETTE[k % len(ps.PALETTE)] for k in range(n_units)])


class PerceptronOverlay:
    """Plot items created once per run, then updated with ``show``."""

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.lines: list[pg.PlotDataItem] = []
        self.casings: list[pg.PlotDataItem] = []
        self.marker = pg.ScatterPlotItem(size=22, symbol="o", brush=None,
                                         pen=pg.mkPen(ps.MISTAKE_COLOR, width=3))
        self.marker.setZValue(20)
        plot.addItem(self.marker)
        self.bounds = (0.0, 1.0, 0.0, 1.0)
        self.set_run(None, 0)

    def set_run(self, dataset, n_units: int) -> None:
        """A new run: ``n_units`` lines (0 hides the overlay, for MLPs)."""
        for line in self.lines + self.casings:
            self.plot.removeItem(line)
        self.lines, self.casings = [], []
        for color in line_colors(n_units):
            casing, band, core = casing_pens(color)
            # two items: the band over the casing (its shadow), then the line's colour
            under = pg.PlotDataItem([], [], pen=band, shadowPen=casing, connect="finite",
                                    antialias=True)
            line = pg.PlotDataItem([], [], pen=core, connect="finite", antialias=True)
            under.setZValue(14)
            line.setZValue(15)
            for item in (under, line):
                self.plot.addItem(item)
            self.casings.append(under)
            self.lines.append(line)
        self.marker.setData([], [])

    def set_view(self, bounds: tuple[float, float, float, float]) -> None:
        self.bounds = bounds

    def show_levels(self, us: np.ndarray, vs: np.ndarray, z: np.ndarray) -> None:
        """Each unit's z = 0 line from its weighted sums ``z`` (r, r, units) over the grid
        ``z[j, i]`` at (us[i], vs[j])."""
        z = np.asarray(z, np.float64)
        for k, (line, casing) in enumerate(zip(self.lines, self.casings)):
            if k < z.shape[-1]:
                xy = _zero_level(us, vs, z[..., k].T)
                line.setData(*xy)
                casing.setData(*xy)

    def in_view(self) -> list[bool]:
        """For each unit: does its line cross the view (``set_view``)?"""
        x0, x1, y0, y1 = self.bounds
        shown = []
        for line in self.lines:
            x, y = line.getData()
            if x is None or not len(x):
                shown.append(False)
                continue
            ok = np.isfinite(x) & np.isfinite(y)
            shown.append(bool(np.any(ok & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))))
        return shown

    def show_mistake(self, uv, converged: bool) -> None:
        """Circle the last update's sample (its place on the plane), unless it converged."""
        if uv is not None and not converged:
            self.marker.setData([uv[0]], [uv[1]])
        else:
            self.marker.setData([], [])


def _zero_level(xs: np.ndarray, ys: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The z = 0 contour as one polyline, pieces separated by NaN (drawn with connect=finite)."""
    if not np.isfinite(z).all():
        return np.empty(0), np.empty(0)
    paths = pg.functions.isocurve(z, 0.0, connected=True)
    if not paths:
        return np.empty(0), np.empty(0)
    dx = (xs[-1] - xs[0]) / (len(xs) - 1)
    dy = (ys[-1] - ys[0]) / (len(ys) - 1)
    px: list[float] = []
    py: list[float] = []
    for path in paths:
        a = np.asarray(path, dtype=np.float64) - 0.5   # isocurve counts from cell corners
        px.extend(xs[0] + a[:, 0] * dx)
        py.extend(ys[0] + a[:, 1] * dy)
        px.append(np.nan)
        py.append(np.nan)
    return np.array(px), np.array(py)


#: the features a straight line needs to separate a 2-D set's classes, and why: without
#: noise, a line separates them exactly when these are on (checked by linear programming
#: over every choice of the feature toggles, in tests/test_ui_modes.py)
SEPARATING: dict[str, tuple[tuple[str, ...], str]] = {
    "xor": (("x1*x2",), "XOR's class is the sign of x1*x2"),
    "circle": (("x1^2", "x2^2"), "the disc and the ring differ in x1^2 + x2^2"),
    "moons": (("x2", "sin(x1)"), "a line in x2 and sin(x1) runs between the moons"),
}
#: 2-D sets a straight line in x1, x2 already separates (when noise leaves them apart)
LINEAR: tuple[str, ...] = ("gauss",)
#: 2-D sets no choice of the feature toggles makes separable by a line
NEVER_SEPARABLE: tuple[str, ...] = ("spiral",)
_MLP = "a hidden layer can bend the boundary: untick Perceptron to train an MLP"
_TABLE = f"Perhaps no straight line separates these classes in these columns; {_MLP}."
_NOISE = "unless Noise puts some points on the wrong side: lower Noise, or give it more Epochs"


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def not_separable_hint(source: str | None, feature_names: Sequence[str] = (),
                       noise: float | None = None, features: bool = True) -> str:
    """Why a perceptron did not converge on ``source`` (``data.source``) with
    ``feature_names`` on, and what would help: the features still missing (never one already
    on), lower noise or more epochs, or, for the spiral and the tables, a hidden layer.
    ``features``: the data has the 2-D feature toggles; ``noise``: ``data.noise``."""
    if source is None:   # the caller did not say: advice that holds for every data set
        if not features:
            return _TABLE
        return ("No straight line separates these classes in the chosen features; a feature "
                f"such as x1*x2 (XOR) or x1^2 and x2^2 (circle) can make one, or {_MLP}.")
    if source not in GENERATORS_2D:
        return _TABLE
    if source in NEVER_SEPARABLE:
        return (f"No choice of features lets a straight line separate the {source}'s arms: "
                f"a perceptron cannot learn it, but {_MLP}.")
    if source in LINEAR:
        return f"A straight line in x1 and x2 separates the {source} classes {_NOISE}."
    if source not in SEPARATING:
        return f"No straight line separates these classes in the chosen features; {_MLP}."
    needed, why = SEPARATING[source]
    missing = [f for f in needed if f not in set(feature_names)]
    if not missing:
        if noise == 0:
            return f"With {_and(needed)} on a straight line separates them: give it more Epochs."
        return f"With {_and(needed)} on a straight line separates them {_NOISE}."
    text = (f"No straight line separates these classes in the chosen features: {why}, so "
            f"switch on {_and(missing)}.")
    if noise:
        text += " With Noise above 0 some points may still fall on the wrong side."
    return text


def status_text(epoch: int, epochs: int, mistakes: float | None, converged_epoch: int | None,
                last_mistake: int | None, true_class: str | None,
                features: bool = True, source: str | None = None,
                feature_names: Sequence[str] = (), noise: float | None = None) -> tuple[str, str]:
    """(sentence, tone) for the banner above the plot; tone is "good", "bad" or "info".
    ``features``: the data has the 2-D feature toggles (a table has not); ``source``
    (``data.source``), ``feature_names`` (the features on) and ``noise`` (``data.noise``)
    make the advice after a run that did not converge fit the data (``not_separable_hint``)."""
    if converged_epoch is not None:
        return (f"Converged at epoch {converged_epoch}: a whole epoch without a mistake, so "
                "the weights no longer change.", "good")
    if epochs > 0 and epoch >= epochs:
        left = "" if mistakes is None else f" ({mistakes:g} mistakes in the last epoch)"
        hint = not_separable_hint(source, feature_names, noise, features)
        return f"Did not converge in {epochs} epochs{left}. {hint}", "bad"
    if epoch == 0 and last_mistake is None:
        return ("Perceptron: Step sample shows one update of Rosenblatt's rule, "
                "w += lr * (y - y_hat) * x.", "info")
    parts = [f"Epoch {epoch}"]
    if mistakes is not None:
        parts.append(f"{mistakes:g} mistakes in the last epoch")
    if last_mistake is not None:
        parts.append(f"last update: training sample #{last_mistake}"
                     + (f" (class {true_class})" if true_class is not None else "")
                     + " was misclassified, circled")
    return " · ".join(parts) + ".", "info"

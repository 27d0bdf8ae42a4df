"""Shared colours, pens, axes and colour maps of the live plots (TensorFlow-Playground-like).

Class 0 / negative is orange, class 1 / positive is blue; probabilities between them use a
diverging map through a light grey, so 0.5 reads as "undecided". The class colours and the
regions they paint are the same in both themes; the plots' ground, axes, text and curves
follow the window's theme (``set_theme``, called by ``theme.apply``): a white pane inside
dark chrome glares. So do the coloured words on the window's ground (a status sentence, an
error, a warning: ``style_banner``, ``style_text``) and the confusion matrix's tints: a red
that reads on white is lost on a dark grey. Every plot and label made here restyles itself
when the theme changes.
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtGui import QColor, QFontMetricsF

ORANGE = "#f59322"          # class 0, negative
BLUE = "#0877bd"            # class 1, positive
NEUTRAL = "#e8eaeb"         # p = 0.5
#: dark ink for what is drawn over the (light) regions, in either theme
FOREGROUND = "#333333"
MISTAKE_COLOR = "#e0102f"   # the perceptron's misclassified sample: a red ring

#: qualitative palette for K > 2 classes; the first two match the binary colours
PALETTE = ("#f59322", "#0877bd", "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#e377c2",
           "#7f7f7f", "#bcbd22", "#17becf")


@dataclass(frozen=True)
class PlotTheme:
    """The colours of the plots in one window theme. ``background`` is the plots' ground
    (the window's Base colour); ``foreground`` their axes, tick labels, titles and legend;
    ``train``, ``test`` and ``lr`` the curves; ``good`` and ``bad`` the tones of a status
    sentence on the window's ground, ``error`` and ``warning`` the text of an error and of a
    warning there (and ``error`` a plot's divergence mark): each 4.5:1 on the Window colour
    and the Base one. ``right`` and ``wrong`` tint the confusion matrix's cells."""

    name: str
    background: str
    foreground: str
    train: str
    test: str
    lr: str
    good: str
    bad: str
    error: str
    warning: str
    right: str
    wrong: str


# the confusion hues are no class colour (orange and blue mean class 0 and 1, PALETTE the
# rest): each is at least CONFUSION_MARGIN from every one of PALETTE (CIEDE2000 ΔE, 21.1 the
# nearest), farther than PALETTE's two closest colours are from each other (16.2); dark and
# saturated on the light ground, light on the dark one, so a full cell stands off the ground
LIGHT = PlotTheme("light", background="#ffffff", foreground="#333333", train="#1f1f1f",
                  test="#d62728", lr="#6a3d9a", good="#1a7a37", bad="#b34700",
                  error="#b3261e", warning="#8a5a00", right="#1b5e20", wrong="#5c0011")
DARK = PlotTheme("dark", background="#1f2023", foreground="#d4d4d4", train="#f0f0f0",
                 test="#ff6b6b", lr="#b79cff", good="#5fd38a", bad="#ff9e5e",
                 error="#ff8a80", warning="#e8b04a", right="#7ef5a6", wrong="#ff8a80")
THEMES = {t.name: t for t in (LIGHT, DARK)}

_theme = LIGHT
_followers: list[tuple[weakref.ref, Callable]] = []
_pruned_at = 64


def theme() -> PlotTheme:
    """The plots' theme now."""
    return _theme


def set_theme(name: str) -> PlotTheme:
    """Colour the plots for a "light" or "dark" window and restyle every living follower."""
    global _theme
    if name not in THEMES:
        raise ValueError(f"plot theme must be one of {', '.join(THEMES)}, got {name!r}")
    _theme = THEMES[name]
    for owner, restyle in _living():
        if shiboken6.isValid(owner):    # an earlier restyle may have deleted it
            restyle(owner, _theme)
    return _theme


def follow_theme(owner, restyle: Callable | None = None) -> None:
    """Call ``restyle(owner, theme)`` now and after every theme change, while ``owner``
    lives (held weakly; ``restyle`` must not hold it). Without ``restyle``, the owner's
    ``apply_theme(theme)`` is called."""
    global _pruned_at
    restyle = restyle or (lambda o, t: o.apply_theme(t))
    _followers.append((weakref.ref(owner), restyle))
    if len(_followers) > 2 * _pruned_at:
        _pruned_at = max(64, len(_living()))
    restyle(owner, _theme)


def _living() -> list[tuple[object, Callable]]:
    """The followers whose owner (and its C++ object) still exists; the rest forgotten."""
    living, kept = [], []
    for ref, restyle in _followers:
        owner = ref()    # dereferenced once: a second call may find it gone
        if owner is not None and shiboken6.isValid(owner):
            living.append((owner, restyle))
            kept.append((ref, restyle))
    _followers[:] = kept
    return living


def luminance(color) -> float:
    """WCAG 2 relative luminance of a colour (anything ``pg.mkColor`` takes)."""
    c = np.asarray(pg.mkColor(color).getRgb()[:3], np.float64) / 255
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])


def contrast_ratio(a, b) -> float:
    """WCAG 2 contrast ratio (1 to 21) of two colours: text wants 4.5, lines and marks 3."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def lab(color) -> np.ndarray:
    """CIE L*a*b* (D65 white) of a colour: L* 0 (black) to 100 (white), a* green to red,
    b* blue to yellow."""
    c = np.asarray(pg.mkColor(color).getRgb()[:3], np.float64) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ c / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def color_distance(a, b) -> float:
    """How different two colours look: CIEDE2000 ΔE of their ``lab`` values (about 1 is the
    least difference seen; PALETTE's two closest colours are 16 apart)."""
    return delta_e_2000(lab(a), lab(b))


def delta_e_2000(lab1, lab2) -> float:
    """CIEDE2000 colour difference of two L*a*b* triples (Sharma, Wu and Dalal 2005):
    ΔE = sqrt((ΔL'/S_L)² + (ΔC'/S_C)² + (ΔH'/S_H)² + R_T (ΔC'/S_C)(ΔH'/S_H))."""
    (l1, a1, b1), (l2, a2, b2) = lab1, lab2
    c7 = ((math.hypot(a1, b1) + math.hypot(a2, b2)) / 2) ** 7
    g = 0.5 * (1 - math.sqrt(c7 / (c7 + 25 ** 7)))
    a1, a2 = (1 + g) * a1, (1 + g) * a2          # a* stretched: greys stay neutral
    c1, c2 = math.hypot(a1, b1), math.hypot(a2, b2)
    h1, h2 = math.degrees(math.atan2(b1, a1)) % 360, math.degrees(math.atan2(b2, a2)) % 360
    if c1 * c2 == 0:                             # a grey has no hue
        dh, h_mean = 0.0, h1 + h2
    else:
        dh = (h2 - h1 + 180) % 360 - 180         # the short way round
        h_mean = (h1 + h2) / 2 if abs(h1 - h2) <= 180 else (h1 + h2 + 360) / 2 % 360
    d_hue = 2 * math.sqrt(c1 * c2) * math.sin(math.radians(dh / 2))
    l_mean, c_mean = (l1 + l2) / 2, (c1 + c2) / 2
    t = (1 - 0.17 * math.cos(math.radians(h_mean - 30))
         + 0.24 * math.cos(math.radians(2 * h_mean))
         + 0.32 * math.cos(math.radians(3 * h_mean + 6))
         - 0.20 * math.cos(math.radians(4 * h_mean - 63)))
    s_l = 1 + 0.015 * (l_mean - 50) ** 2 / math.sqrt(20 + (l_mean - 50) ** 2)
    s_c, s_h = 1 + 0.045 * c_mean, 1 + 0.015 * c_mean * t
    c7 = c_mean ** 7
    r_t = (-2 * math.sqrt(c7 / (c7 + 25 ** 7))
           * math.sin(math.radians(60 * math.exp(-(((h_mean - 275) / 25) ** 2)))))
    dl, dc, dhh = (l2 - l1) / s_l, (c2 - c1) / s_c, d_hue / s_h
    return math.sqrt(dl ** 2 + dc ** 2 + dhh ** 2 + r_t * dc * dhh)


def readable_on(background) -> QColor:
    """Black or white, whichever reads better on ``background``."""
    black, white = QColor("#000000"), QColor("#ffffff")
    return black if contrast_ratio(background, black) >= contrast_ratio(background, white) \
        else white


def palette_rgb(k: int) -> np.ndarray:
    """(k, 3) uint8 colours for k classes (the palette repeats past ten)."""
    rgb = [pg.mkColor(PALETTE[i % len(PALETTE)]).getRgb()[:3] for i in range(k)]
    return np.array(rgb, dtype=np.uint8)


def diverging_colormap() -> pg.ColorMap:
    """Orange (0) -> light grey (0.5) -> blue (1)."""
    return pg.ColorMap([0.0, 0.5, 1.0], [pg.mkColor(ORANGE), pg.mkColor(NEUTRAL),
                                         pg.mkColor(BLUE)])


# --- axes ----------------------------------------------------------------------------------

#: a log axis labels 1, 2 and 5 of each decade while it spans fewer decades than this
FEW_DECADES = 1.5
_MANTISSAS = ((1, 2, 5), (1, 3), (1,))
_MINOR_LEVEL = 0.5      # the spacing tag of the unlabelled log ticks
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def log_ticks(lo: float, hi: float, length: float, gap: float) -> list[tuple[float, list]]:
    """Ticks of a log axis over log10 values [lo, hi], ``length`` pixels long, whose labels
    stay ``gap`` pixels apart: [(1.0, labelled), (_MINOR_LEVEL, unlabelled)] in log10 units.
    Labelled: 1-2-5 of each decade when the axis spans under ``FEW_DECADES``, else the
    decades, every k-th one when they crowd; unlabelled: the other 2..9 (or the skipped
    decades), as long as they stay two pixels apart."""
    lo, hi = sorted((lo, hi))
    if not (hi > lo and length > 0 and math.isfinite(lo) and math.isfinite(hi)):
        return []
    per_decade = length / (hi - lo)
    d0, d1 = math.floor(lo), math.ceil(hi)

    def inside(values):
        eps = 1e-9 * max(1.0, hi - lo)
        return [v for v in values if lo - eps <= v <= hi + eps]

    options = [inside(d + math.log10(m) for d in range(d0, d1 + 1) for m in ms)
               for ms in _MANTISSAS]
    for k in (2, 3, 5, 10, 20, 50, 100, 1000):
        options.append(inside(float(d) for d in range(d0, d1 + 1) if d % k == 0))

    def fits(values):
        return len(values) < 2 or min(np.diff(values)) * per_decade >= gap

    start = 0 if hi - lo < FEW_DECADES else len(_MANTISSAS) - 1
    fitting = [v for v in options[start:] if fits(v)]
    labelled = fitting[0] if fitting else options[-1]
    if len(labelled) < 2:  # zoomed into a decade: the densest set that fits and says more
        labelled = next((v for v in options if fits(v) and len(v) >= 2), labelled)
    minor = [d + math.log10(m) for d in range(d0, d1 + 1) for m in range(1, 10)]
    if per_decade * (1 - math.log10(9)) < 2:       # 8 and 9 would run together
        minor = [float(d) for d in range(d0, d1 + 1)] if per_decade >= 2 else []
    shown = set(np.round(labelled, 9))
    minor = [v for v in inside(minor) if round(v, 9) not in shown]
    return [(1.0, labelled), (_MINOR_LEVEL, minor)]


def log_label(value: float) -> str:
    """The label of log10 value ``value``: 0.001 to 1000 as plain numbers ("0.02", "5"),
    beyond with a power of ten ("10⁻⁴", "2·10⁵")."""
    x = 10.0 ** value
    exponent = math.floor(math.log10(x) + 1e-9)
    mantissa = round(x / 10.0 ** exponent, 6)
    if -3 <= exponent <= 3:
        return f"{x:.{max(0, -exponent)}f}" if exponent < 0 else f"{x:g}"
    power = "10" + str(exponent).translate(_SUPERSCRIPT)
    return power if mantissa == 1 else f"{mantissa:g}·{power}"


class PlotAxis(pg.AxisItem):
    """An axis whose tick labels never overlap and never carry an SI scale ("x1e-3"): linear
    ticks are pyqtgraph's; log ticks are ``log_ticks``, spaced for the tick font."""

    def __init__(self, orientation: str, **kwargs) -> None:
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)
        # the labels of the range's end ticks may reach this far past the axis (into the
        # plot's margins), so a range from 0 to a ceiling labels both ends
        self.setStyle(hideOverlappingLabels=16)

    def label_gap(self) -> float:
        """Pixels from one label's centre to the next that keep them apart."""
        metrics = QFontMetricsF(self.style["tickFont"] or self.font())
        if self.orientation in ("left", "right"):
            return 1.3 * metrics.height()
        return metrics.horizontalAdvance("5·10⁻⁰⁰") + 8

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802 (pyqtgraph's name)
        return log_ticks(minVal, maxVal, size, self.label_gap())

    def logTickStrings(self, values, scale, spacing):  # noqa: N802
        if spacing == _MINOR_LEVEL:
            return [""] * len(values)
        return [log_label(v) for v in values]


def style_plot(plot: pg.PlotItem, t: PlotTheme | None = None) -> None:
    """Axes, axis labels, title and legend in the theme's foreground; no grid."""
    t = t or _theme
    plot.showGrid(x=False, y=False)
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(t.foreground))
        axis.setTextPen(pg.mkPen(t.foreground))
    title = plot.titleLabel
    if title.text:
        title.setText(title.text, color=t.foreground)
    if plot.legend is not None:
        plot.legend.setLabelTextColor(t.foreground)
        for _sample, label in plot.legend.items:   # the colour shows once the text is set
            label.setText(label.text)


def _restyle_widget(widget: pg.PlotWidget, t: PlotTheme) -> None:
    widget.setBackground(t.background)
    style_plot(widget.getPlotItem(), t)


def make_plot_widget() -> pg.PlotWidget:
    """A plot on the theme's ground that restyles itself when the theme changes; its axes
    are ``PlotAxis``."""
    axes = {name: PlotAxis(name) for name in ("left", "bottom")}
    widget = pg.PlotWidget(axisItems=axes)
    widget.getPlotItem().setMenuEnabled(False)
    # room for the labels of ticks at the range's ends (0 to a ceiling: both are ticks)
    widget.getPlotItem().layout.setContentsMargins(2, 8, 16, 2)
    follow_theme(widget, _restyle_widget)
    return widget


def add_legend(plot: pg.PlotItem, **kwargs) -> pg.LegendItem:
    """A legend in the theme's foreground (it follows the theme with its plot's widget)."""
    return plot.addLegend(labelTextColor=_theme.foreground, **kwargs)


# --- curves --------------------------------------------------------------------------------

def live_curve(plot: pg.PlotItem, role: str | Callable[[PlotTheme], str],
               dashed: bool = False, name: str | None = None) -> pg.PlotDataItem:
    """A curve that redraws many times a second, in the theme's ``role`` colour ("train",
    "test", "lr"; or ``role(theme)``, a colour of the theme's): a one-pixel pen (thicker ones
    are stroked on the CPU, about three times the cost of the whole plot's paint), and at
    most about one point per pixel of the plot (peak-preserving downsampling). Show data
    with ``show_xy``."""
    style = pg.QtCore.Qt.PenStyle.DashLine if dashed else pg.QtCore.Qt.PenStyle.SolidLine
    curve = plot.plot([], [], name=name, symbolSize=6)
    curve.setDownsampling(auto=True, method="peak")
    curve.setClipToView(True)

    def restyle(c: pg.PlotDataItem, t: PlotTheme) -> None:
        color = role(t) if callable(role) else getattr(t, role)
        c.setPen(pg.mkPen(color, width=1, style=style))
        c.setSymbolPen(pg.mkPen(color))
        c.setSymbolBrush(pg.mkBrush(color))

    follow_theme(curve, restyle)
    return curve


def show_xy(curve: pg.PlotDataItem, x: np.ndarray, y: np.ndarray) -> None:
    """Set a curve's data; a lone point (a line needs two) is drawn as a dot."""
    one = len(x) == 1
    if (curve.opts["symbol"] is not None) != one:
        curve.setSymbol("o" if one else None)
    curve.setData(x, y)


def finite_xy(x: np.ndarray | None, y: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) pairs where both are finite (curves carry NaN where an epoch has no value)."""
    if x is None or y is None or not len(x):
        return np.empty(0), np.empty(0)
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n = min(len(x), len(y))
    x, y = x[:n], y[:n]
    ok = np.isfinite(x) & np.isfinite(y)
    return x[ok], y[ok]


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is >= value (> 0)."""
    if not value > 0 or not math.isfinite(value):
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 5.0, 10.0):
        if step * power >= value * (1 - 1e-12):
            return step * power
    return 10.0 * power


#: an empty plot's epochs, at most: a shorter run's empty frame is its own length
EMPTY_EPOCHS = 10


def epoch_frame(epochs: int = 0) -> tuple[float, float]:
    """The epoch axis of an empty plot for a run of ``epochs`` (0: unbounded)."""
    return 0.0, float(epochs if 0 < epochs < EMPTY_EPOCHS else EMPTY_EPOCHS)


#: the share of a stepped y range left free below and above it
Y_PADDING = 0.02


class SteppedRange:
    """An axis range that moves in steps, not every frame.

    Redrawing an axis (its ticks and labels) is the costliest part of a live plot's paint; a
    range that creeps with every new epoch redraws it every frame. This keeps the range while
    the data fits and fills at least ``min_fill`` of it, and otherwise jumps to a padded new
    range, so axes repaint a few times a run instead of thirty times a second. ``from_zero``:
    the range starts at 0 and ends at a 1-2-5 ceiling above the data (a loss rising from
    0.64 to 0.72 stays a small rise). ``log``: whole decades covering the (positive) data.
    Before any data, and after ``reset``, the range is the ``empty`` frame (in log mode the
    decade 0.1 to 1).
    """

    def __init__(self, plot: pg.PlotItem, axis: str, from_zero: bool = False,
                 min_fill: float = 0.5, empty: tuple[float, float] = (0.0, 1.0)) -> None:
        self.plot, self.axis = plot, axis
        self.from_zero, self.min_fill, self.empty = from_zero, min_fill, empty
        self.log = False
        self.range: tuple[float, float] | None = None
        plot.enableAutoRange(axis=axis, enable=False)
        self.reset()

    def set_log(self, on: bool) -> None:
        """Put the plot's axis in log mode (or back) and start from the empty frame."""
        self.log = bool(on)
        self.plot.setLogMode(**{self.axis: self.log})
        self.reset()

    def reset(self, empty: tuple[float, float] | None = None) -> None:
        """Back to the empty frame (a new run); ``empty`` replaces it."""
        if empty is not None:
            self.empty = empty
        self._set((-1.0, 0.0) if self.log else self.empty)

    def update(self, lo: float, hi: float) -> None:
        """Cover data from ``lo`` to ``hi`` (data units, > 0 in log mode)."""
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return
        if self.log:
            if lo > 0 and hi > 0:
                d0, d1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
                self._set((float(d0), float(max(d1, d0 + 1))))
            return
        if self.from_zero:
            lo = 0.0
        span = max(hi - lo, abs(hi) * 1e-6, 1e-12)
        current = self.range
        if current is not None:
            c_lo, c_hi = current
            fits = c_lo <= lo and hi <= c_hi
            if fits and span >= self.min_fill * (c_hi - c_lo):
                return
        if self.from_zero:
            new = (0.0, nice_ceiling(hi * 1.25) if hi > 0 else self.empty[1])
        else:
            pad = 0.15 * span
            new = (lo - pad, hi + pad)
        self._set(new)

    def _set(self, new: tuple[float, float]) -> None:
        if new == self.range:
            return
        self.range = new
        if self.axis == "x":
            self.plot.setXRange(*new, padding=0)
        else:  # a little room, so a curve at 0 (or the ceiling) is not lost in the axis
            self.plot.setYRange(*new, padding=Y_PADDING)


def layer_colors(n: int, t: PlotTheme | None = None) -> list[str]:
    """n colours for a network's layers, input side first: a sequential map (matplotlib's
    plasma: blue, purple, red, orange), its dark end left out on a dark ground and its light
    end on a light one, each colour then darkened or lightened until it contrasts 3:1 with
    the ground (WCAG's for marks)."""
    t = t or _theme
    dark = luminance(t.background) < 0.2
    lo, hi = (0.3, 0.95) if dark else (0.0, 0.78)
    cmap = pg.colormap.get("plasma")
    out = []
    for k in range(n):
        color = cmap.map(lo + (hi - lo) * (k / (n - 1) if n > 1 else 0.0), mode="qcolor")
        h, s, v, _ = color.getHsvF()
        while contrast_ratio(color, t.background) < 3.0 and 0.0 < v < 1.0:
            v = min(1.0, v + 0.04) if dark else max(0.0, v - 0.04)
            s = max(0.0, s - 0.03) if dark and v >= 1.0 else s
            color = QColor.fromHsvF(max(h, 0.0), s, v)
        out.append(color.name())
    return out


# --- the window's ground -------------------------------------------------------------------

def _restyle_banner(label, t: PlotTheme) -> None:
    tone = label.property("tone") or "info"
    color = {"good": t.good, "bad": t.bad}.get(tone, t.foreground)
    weight = "600" if tone in ("good", "bad") else "normal"
    label.setStyleSheet(f"color: {color}; font-weight: {weight}; padding: 2px 4px;")


def style_banner(label, tone: str = "info") -> None:
    """Colour a status sentence on the window's ground by ``tone`` ("good", "bad", "info")
    in the theme's colours, now and after a theme change."""
    label.setProperty("tone", tone)
    if label.property("follows_theme"):
        _restyle_banner(label, _theme)
    else:
        label.setProperty("follows_theme", True)
        follow_theme(label, _restyle_banner)


#: the theme colours a line of text on the window's ground may take (``style_text``)
TEXT_ROLES = ("error", "warning", "good", "bad")


def _restyle_text(label, t: PlotTheme) -> None:
    label.setStyleSheet(f"color: {getattr(t, label.property('text_role'))};")


def style_text(label, role: str) -> None:
    """Colour a label's text on the window's ground in the theme's ``role`` colour (one of
    ``TEXT_ROLES``: an error, a warning), now and after a theme change."""
    if role not in TEXT_ROLES:
        raise ValueError(f"text role must be one of {', '.join(TEXT_ROLES)}, got {role!r}")
    following = label.property("text_role") is not None
    label.setProperty("text_role", role)
    if following:
        _restyle_text(label, _theme)
    else:
        follow_theme(label, _restyle_text)


# --- the confusion matrix (not class colours: orange and blue mean class 0 and 1) ----------

#: a cell's tint grows with its share of its row (the true class): the theme's ``right`` on
#: the diagonal, ``wrong`` off it; the text is black or white, whichever reads
#: (``readable_on``). Each hue is at least this CIEDE2000 ΔE from every colour of PALETTE:
#: farther than PALETTE's two closest colours are from each other (16.2)
CONFUSION_MARGIN = 20.0

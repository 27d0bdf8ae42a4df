"""Formulas typeset as mathematics: matplotlib's mathtext rasterised into Qt pixmaps, cached.

    pixmap = render(r"z_j = \\sum_i W_{ji}\\, a_i + b_j")        # a QPixmap, typeset

``latex`` is mathtext, matplotlib's subset of TeX (``\\frac``, ``\\dfrac``, ``\\sqrt``,
``\\sum``, ``\\partial``, Greek letters, sub- and superscripts, ``\\mathrm``...): a formula
without ``$`` is typeset as mathematics whole (as the formula registry writes them); one
with ``$`` signs is text with mathematics between them. The glyphs are Computer Modern
(``FONTSET``), matplotlib's own fonts, so every machine typesets alike.

Rendering goes through ``matplotlib.mathtext.MathTextParser("agg")`` only: no pyplot, no GUI
backend, no figure window. It gives a coverage mask, coloured here into a premultiplied RGBA
``QImage`` (then a ``QPixmap`` at the screen's device pixel ratio, so it is sharp on HiDPI).
Masks are cached by (formula, point size, dpi) and pixmaps by colour too (least recently
used first out), so a formula is typeset once and a theme change only recolours.

Threads: ``image`` and ``prefetch`` may run anywhere (one lock serialises matplotlib, which
is not thread-safe); ``render`` and ``cached`` make QPixmaps, so they belong to the GUI
thread. The first typesetting imports matplotlib and loads its fonts (about a second): a
window calls ``prefetch`` for what it will show, and its ``on_ready`` runs on the GUI thread
once the pixmaps can be had from ``cached`` without waiting. Without matplotlib, or for a
formula mathtext cannot parse, the source text is drawn instead (never an exception).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QRectF, Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPalette, QPixmap

#: mathtext's font set: Computer Modern, as LaTeX typesets
FONTSET = "cm"
#: cache sizes (masks: one per formula, size and dpi; pixmaps: also per colour)
MAX_MASKS = 2048
MAX_PIXMAPS = 1024
#: what ``point_size=None`` adds to the application font's size (formulas read small)
SIZE_STEP = 1.0

Color = QColor | str | None

_typeset_lock = threading.Lock()    # matplotlib is not thread-safe: one formula at a time
_lock = threading.Lock()            # the mask cache (held briefly: never while typesetting)
_masks: OrderedDict[tuple, Mask] = OrderedDict()
_pixmaps: OrderedDict[tuple, QPixmap] = OrderedDict()
_parser = None
_executor: ThreadPoolExecutor | None = None
_notifier: _Notifier | None = None


@dataclass(frozen=True)
class Mask:
    """A typeset formula's coverage ``alpha`` (h, w) uint8 at ``dpi`` (device pixels),
    ``depth`` its descent below the baseline in device pixels, ``typeset`` False when it
    is the source text drawn plainly (no matplotlib, or a formula it cannot parse)."""

    alpha: np.ndarray
    depth: float
    typeset: bool


# --- sizes ----------------------------------------------------------------------------------

def _ratio() -> float:
    screen = QGuiApplication.primaryScreen() if QGuiApplication.instance() else None
    return float(screen.devicePixelRatio()) if screen is not None else 1.0


def _logical_dpi() -> float:
    screen = QGuiApplication.primaryScreen() if QGuiApplication.instance() else None
    dpi = float(screen.logicalDotsPerInchY()) if screen is not None else 96.0
    return dpi if dpi > 0 else 96.0


def _point_size(point_size: float | None) -> float:
    if point_size is not None:
        return float(point_size)
    size = QFont().pointSizeF() if QGuiApplication.instance() else -1.0
    return (size if size > 0 else 10.0) + SIZE_STEP


def _resolve(point_size: float | None, dpi: float | None) -> tuple[float, float, float]:
    """(point size, device dpi, device pixel ratio): ``dpi`` is the logical dots per inch
    (default the screen's); masks are made at dpi x the device pixel ratio."""
    ratio = _ratio()
    return _point_size(point_size), (dpi or _logical_dpi()) * ratio, ratio


def _color(color: Color) -> QColor:
    if color is None:
        app = QGuiApplication.instance()
        return app.palette().color(QPalette.Text) if app is not None else QColor("black")
    return QColor(color)


def _source(latex: str) -> str:
    """The mathtext string: a formula without ``$`` is mathematics whole."""
    return latex if "$" in latex else f"${latex}$"


# --- masks (any thread) ---------------------------------------------------------------------

def available() -> bool:
    """Whether matplotlib's mathtext can be imported (else formulas show as source text)."""
    try:
        import matplotlib.mathtext  # noqa: F401
    except ImportError:
        return False
    return True


def _typeset(latex: str, point_size: float, dpi: float) -> Mask:
    global _parser
    from matplotlib.font_manager import FontProperties
    from matplotlib.mathtext import MathTextParser
    if _parser is None:
        _parser = MathTextParser("agg")
    prop = FontProperties(size=point_size, math_fontfamily=FONTSET)
    parsed = _parser.parse(_source(latex), dpi=dpi, prop=prop, antialiased=True)
    alpha = np.array(parsed.image, dtype=np.uint8, copy=True)
    return Mask(alpha, float(parsed.depth), True)


def _plain(latex: str, point_size: float, dpi: float) -> Mask:
    """The source text drawn with Qt's default font (QImage painting works on any thread)."""
    font = QFont()
    font.setPointSizeF(point_size)
    font.setItalic(True)
    text = latex.replace("$", "")
    probe = QImage(1, 1, QImage.Format_Grayscale8)
    probe.setDotsPerMeterX(round(dpi / 0.0254))
    probe.setDotsPerMeterY(round(dpi / 0.0254))
    painter = QPainter(probe)
    painter.setFont(font)
    metrics = painter.fontMetrics()
    w, h = max(1, metrics.horizontalAdvance(text) + 2), max(1, metrics.height())
    descent = metrics.descent()
    painter.end()
    image = QImage(w, h, QImage.Format_Grayscale8)
    image.setDotsPerMeterX(probe.dotsPerMeterX())
    image.setDotsPerMeterY(probe.dotsPerMeterY())
    image.fill(0)
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    painter.drawText(QRectF(1, 0, w, h), Qt.AlignLeft | Qt.AlignVCenter, text)
    painter.end()
    ptr = image.constBits()
    alpha = np.frombuffer(ptr, np.uint8, image.bytesPerLine() * h).reshape(h, -1)[:, :w]
    return Mask(alpha.copy(), float(descent), False)


def mask(latex: str, point_size: float | None = None, dpi: float | None = None) -> Mask:
    """The formula's coverage mask at ``point_size`` and ``dpi`` (device pixels: dpi x the
    screen's pixel ratio), typeset once and then cached; any thread."""
    size, device_dpi, _ = _resolve(point_size, dpi)
    return _mask(latex, size, device_dpi)


def _mask(latex: str, size: float, device_dpi: float) -> Mask:
    key = (latex, size, device_dpi)
    with _lock:
        found = _masks.get(key)
        if found is not None:
            _masks.move_to_end(key)
            return found
    with _typeset_lock:
        try:
            made = _typeset(latex, size, device_dpi)
        except Exception:  # noqa: BLE001 (no matplotlib, or mathtext refused the formula)
            made = None
    if made is None or made.alpha.size == 0:
        made = _plain(latex, size, device_dpi)
    with _lock:
        _masks[key] = made
        while len(_masks) > MAX_MASKS:
            _masks.popitem(last=False)
    return made


def _has_mask(latex: str, size: float, device_dpi: float) -> bool:
    with _lock:
        return (latex, size, device_dpi) in _masks


def image(latex: str, color: Color = None, point_size: float | None = None,
          dpi: float | None = None) -> QImage:
    """The formula as a premultiplied RGBA QImage in ``color`` (default: the palette's text
    colour) on a transparent ground, in device pixels (``devicePixelRatio`` set); any
    thread."""
    size, device_dpi, ratio = _resolve(point_size, dpi)
    return _colored(_mask(latex, size, device_dpi), _color(color), ratio)


def _colored(m: Mask, color: QColor, ratio: float) -> QImage:
    h, w = m.alpha.shape
    a = m.alpha.astype(np.float32) * (color.alphaF())
    rgba = np.empty((h, w, 4), np.uint8)
    for k, channel in enumerate((color.redF(), color.greenF(), color.blueF())):
        rgba[..., k] = np.rint(a * channel).astype(np.uint8)     # premultiplied
    rgba[..., 3] = np.rint(a).astype(np.uint8)
    out = QImage(rgba.data, w, h, 4 * w, QImage.Format_RGBA8888_Premultiplied).copy()
    out.setDevicePixelRatio(ratio)
    return out


# --- pixmaps (the GUI thread) ---------------------------------------------------------------

def render(latex: str, color: Color = None, point_size: float | None = None,
           dpi: float | None = None) -> QPixmap:
    """The formula typeset in ``color`` (default: the palette's text colour) at
    ``point_size`` (default: the application font's size + ``SIZE_STEP``) for a screen of
    ``dpi`` logical dots per inch (default: the primary screen's), as a QPixmap whose
    ``deviceIndependentSize`` is its size on screen. Typesets now if it must (the first
    formula also imports matplotlib); cached. GUI thread."""
    size, device_dpi, ratio = _resolve(point_size, dpi)
    return _pixmap(latex, _color(color), size, device_dpi, ratio)


def cached(latex: str, color: Color = None, point_size: float | None = None,
           dpi: float | None = None) -> QPixmap | None:
    """``render``'s pixmap if the formula is typeset already (only recoloured here, which is
    cheap), else None: never calls matplotlib. GUI thread."""
    size, device_dpi, ratio = _resolve(point_size, dpi)
    if not _has_mask(latex, size, device_dpi):
        return None
    return _pixmap(latex, _color(color), size, device_dpi, ratio)


def _pixmap(latex: str, color: QColor, size: float, device_dpi: float,
            ratio: float) -> QPixmap:
    key = (latex, color.rgba(), size, device_dpi, ratio)
    found = _pixmaps.get(key)
    if found is not None:
        _pixmaps.move_to_end(key)
        return found
    pixmap = QPixmap.fromImage(_colored(_mask(latex, size, device_dpi), color, ratio))
    pixmap.setDevicePixelRatio(ratio)
    _pixmaps[key] = pixmap
    while len(_pixmaps) > MAX_PIXMAPS:
        _pixmaps.popitem(last=False)
    return pixmap


def baseline(latex: str, point_size: float | None = None, dpi: float | None = None
             ) -> float | None:
    """The distance from the top of ``render``'s pixmap to the formula's baseline, in
    logical pixels (to line text up with it); None while it is not typeset."""
    size, device_dpi, ratio = _resolve(point_size, dpi)
    with _lock:
        m = _masks.get((latex, size, device_dpi))
    if m is None:
        return None
    return (m.alpha.shape[0] - m.depth) / ratio


def is_typeset(latex: str, point_size: float | None = None, dpi: float | None = None) -> bool:
    """True when the formula's cached picture is mathtext's, False when it is the source
    text (unparseable, or no matplotlib) or not made yet."""
    size, device_dpi, _ = _resolve(point_size, dpi)
    with _lock:
        m = _masks.get((latex, size, device_dpi))
    return bool(m is not None and m.typeset)


# --- typesetting ahead, off the GUI thread ----------------------------------------------------

class _Notifier(QObject):
    """Lives on the GUI thread: a background batch's ``done`` is queued to it."""

    done = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.done.connect(self._call, Qt.QueuedConnection)

    @Slot(object)
    def _call(self, callback) -> None:
        callback()


def prefetch(latexes: Iterable[str], point_size: float | None = None,
             dpi: float | None = None, on_ready: Callable[[], None] | None = None) -> None:
    """Typeset ``latexes`` on a background thread; ``on_ready()`` then runs on the GUI
    thread (``cached`` has them all). Formulas cached already cost nothing; with all of
    them cached, ``on_ready`` still comes (queued, never inside this call). GUI thread."""
    global _executor, _notifier
    size, device_dpi, _ = _resolve(point_size, dpi)
    todo = [s for s in dict.fromkeys(latexes) if not _has_mask(s, size, device_dpi)]
    if _notifier is None:
        _notifier = _Notifier()
    notifier = _notifier

    def work() -> None:
        for s in todo:
            _mask(s, size, device_dpi)
        if on_ready is not None:
            try:
                notifier.done.emit(on_ready)
            except RuntimeError:  # the application is gone
                pass

    if not todo:
        if on_ready is not None:
            notifier.done.emit(on_ready)
        return
    if _executor is None:
        _executor = ThreadPoolExecutor(1, thread_name_prefix="formula-render")
    _executor.submit(work)


def warm_up() -> None:
    """Import matplotlib and load its fonts in the background, so that the first formula a
    window shows does not wait for them."""
    prefetch(["x"], point_size=_point_size(None))


def clear_cache() -> None:
    """Forget every typeset formula (tests; a font change)."""
    with _lock:
        _masks.clear()
    _pixmaps.clear()

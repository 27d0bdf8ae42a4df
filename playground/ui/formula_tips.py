"""Formula cards in tooltips: hovering a choice shows its definition, typeset, from the engine.

A ``FormulaTips`` is one event filter for a panel. ``add(widget, keys)`` makes the widget's
tooltip its own text (``widget.toolTip()``, so a tip the panel changes stays current) followed
by the formula cards of ``keys()``, the ``(kind, name)`` registry keys of what the widget edits
now (``playground.engine.formulas``); ``add_items`` does the same for each entry of a combo
box's list, a menu's actions or a list's rows. A card: the choice's name and PyTorch twin, its
meaning in words, the formula typeset by ``formula_render`` (a PNG in a data URI), what the
letters stand for and, where the reference notebook teaches it wrongly, what it wrote and the
correct formula.

Nothing is typeset until a tooltip asks (start-up pays nothing): the first hover shows the card's
words at once, typesets its formulas on ``formula_render``'s background thread and shows the
whole card when they are ready, if the pointer is still there.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Sequence

from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice, QObject, QPoint, Qt
from PySide6.QtGui import QColor, QCursor, QFontDatabase, QFontMetricsF, QPalette
from PySide6.QtWidgets import QAbstractItemView, QComboBox, QMenu, QToolTip, QWidget

from playground.engine import formulas
from playground.ui import formula_render

Key = tuple[str, str]
Keys = Callable[[], Sequence[Key]]
#: formulas are typeset this many points larger than the tooltip's text
POINT_STEP = 2.0
#: the card's text column (px): long words wrap inside it; a wider formula widens the card
WIDTH = 440
_WRONG = {"light": "#b3261e", "dark": "#ff8a80"}
_MUTED = {"light": "#5f6368", "dark": "#b0b3b8"}
_LINE_INDENT = 8
_LINE = ('<p style="margin-top:3px; margin-bottom:3px; '
         f'margin-left:{_LINE_INDENT}px">')


def _theme(pal: QPalette) -> str:
    return "dark" if pal.color(QPalette.ToolTipBase).lightness() < 128 else "light"


class _Images:
    """Data URIs of typeset formulas, by (latex, colour, size); None until typeset."""

    def __init__(self) -> None:
        self._uris: dict[tuple, str] = {}

    def uri(self, latex: str, color: QColor, size: float,
            max_width: int | None = None) -> str | None:
        """An ``<img>`` of the typeset formula (None while it is not typeset yet), scaled
        down to ``max_width`` logical px when it is wider: a label cannot wrap an image, so
        a wide one would widen its label past the panel that shows it."""
        key = (latex, color.rgba(), size)
        if key not in self._uris:
            pixmap = formula_render.cached(latex, color, size)
            if pixmap is None:
                return None
            data = QByteArray()
            buffer = QBuffer(data)
            buffer.open(QIODevice.WriteOnly)
            pixmap.save(buffer, "PNG")
            logical = pixmap.deviceIndependentSize()
            self._uris[key] = (f'data:image/png;base64,'
                               f'{base64.b64encode(bytes(data)).decode("ascii")}',
                               logical.width(), logical.height())
        src, w, h = self._uris[key]
        if max_width is not None and w > max_width > 0:
            w, h = max_width, h * max_width / w
        return f'<img src="{src}" width="{round(w)}" height="{round(h)}">'


_IMAGES = _Images()


def _code(text: str, max_width: int | None, point_size: float) -> str:
    """``text`` as code; within ``max_width`` logical px, in a smaller size where its
    longest unbroken run would not fit (a line breaks only at spaces, and a dotted path such
    as ``torch.nn.utils.clip_grad_norm_(...),`` has none; the characters stay as they are, so
    that copied code still runs)."""
    if max_width is None or point_size <= 0:
        return f"<code>{html.escape(text)}</code>"
    font = QFontDatabase.systemFont(QFontDatabase.FixedFont)
    font.setPointSizeF(point_size)
    metrics = QFontMetricsF(font)
    widest = max((metrics.horizontalAdvance(run) for run in text.split()), default=0.0)
    room = 0.92 * max_width          # the fixed font Qt picks for <code> may be a bit wider
    if widest <= room:
        return f"<code>{html.escape(text)}</code>"
    smaller = max(5.0, point_size * room / widest)
    return f'<code style="font-size:{smaller:.1f}pt">{html.escape(text)}</code>'


def latex_of(keys: Sequence[Key], full: bool = True) -> list[str]:
    """Every LaTeX line the cards of ``keys`` show."""
    out = []
    for key in keys:
        f = formulas.formula(*key)
        if f is None:
            continue
        out += f.latex
        if full and f.reference_error:
            out += (f.reference_error.wrote,) + f.reference_error.correct
    return out


def card_html(keys: Sequence[Key], tip: str = "", pal: QPalette | None = None,
              size: float | None = None, width: int | None = WIDTH,
              max_width: int | None = None) -> tuple[str, bool]:
    """(rich text, complete): ``tip`` then one card per key (compact when there are several);
    ``complete`` is False while a formula is not typeset yet (its place says so). ``width``
    fixes the text column (a tooltip's); None lets it follow the label it is shown in, and
    then ``max_width`` (logical px) caps the formulas' images to that label's width."""
    pal = pal or QToolTip.palette()
    theme = _theme(pal)
    text = pal.color(QPalette.ToolTipText)
    size = size or QToolTip.font().pointSizeF() + POINT_STEP
    complete = True

    def img(latex: str, color: QColor = text) -> str:
        nonlocal complete
        found = _IMAGES.uri(latex, color, size,
                            None if max_width is None else max_width - _LINE_INDENT)
        if found is None:
            complete = False
            return "<i>(typesetting...)</i>"
        return found

    full = len(keys) == 1
    parts = [f"<p>{html.escape(tip)}</p>"] if tip else []
    for key in keys:
        f = formulas.formula(*key)
        if f is None:
            continue
        parts.append(f'<p><b>{html.escape(f.title)}</b>&nbsp;&nbsp;'
                     f'<span style="color:{_MUTED[theme]}">PyTorch: '
                     f'{_code(f.torch, max_width, size - POINT_STEP)}</span></p>')
        if full:
            parts.append(f"<p>{html.escape(f.meaning)}</p>")
        parts += [_LINE + img(s) + "</p>" for s in f.latex]
        if full and f.symbols:
            parts.append(f'<p style="color:{_MUTED[theme]}">{html.escape(f.symbols)}</p>')
        err = f.reference_error
        if full and err:
            wrong = QColor(_WRONG[theme])
            parts.append(f'<p style="color:{wrong.name()}"><b>The reference notebook is wrong '
                         f'here.</b> {html.escape(err.note)}</p>'
                         f'<p style="color:{wrong.name()}">It wrote:</p>'
                         f'{_LINE}{img(err.wrote, wrong)}</p><p><b>Correct:</b></p>'
                         + "".join(_LINE + img(s) + "</p>" for s in err.correct))
    table = f'<table width="{width}">' if width else "<table>"
    return f'{table}<tr><td>{"".join(parts)}</td></tr></table>', complete


class FormulaTips(QObject):
    """The event filter that turns tooltips into formula cards, for one panel's widgets."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._widgets: dict[QObject, Keys] = {}
        self._lists: dict[QObject, tuple[QObject, Callable]] = {}

    def add(self, widget: QWidget, keys: Keys) -> None:
        """``widget``'s tooltip: its own text, then the cards of ``keys()`` (may be empty)."""
        self._widgets[widget] = keys
        widget.installEventFilter(self)

    def add_items(self, owner: QComboBox | QMenu | QAbstractItemView,
                  keys_of: Callable[[object], Sequence[Key]]) -> None:
        """Each entry of a combo box's list, a menu or a list view shows the cards of
        ``keys_of(data)``, ``data`` the entry's user data (else its text)."""
        if isinstance(owner, QComboBox):
            target = owner.view().viewport()
        elif isinstance(owner, QAbstractItemView):
            target = owner.viewport()
        else:
            target = owner
        self._lists[target] = (owner, keys_of)
        target.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QEvent.ToolTip:
            return False
        if obj in self._widgets:
            keys, tip = list(self._widgets[obj]()), obj.toolTip()
        elif obj in self._lists:
            keys, tip = self._entry(obj, event.pos())
        else:
            return False
        if not keys:
            return False
        self._show(obj, event.globalPos(), keys, tip)
        return True

    def _entry(self, target: QObject, pos: QPoint) -> tuple[list[Key], str]:
        owner, keys_of = self._lists[target]
        if isinstance(owner, QMenu):
            action = owner.actionAt(pos)
            if action is None:
                return [], ""
            return list(keys_of(action.data() or action.text())), ""
        view = owner.view() if isinstance(owner, QComboBox) else owner
        index = view.indexAt(pos)
        if not index.isValid():
            return [], ""
        data = index.data(Qt.UserRole)
        return list(keys_of(index.data() if data is None else data)), ""

    def _show(self, widget: QWidget, at: QPoint, keys: list[Key], tip: str) -> None:
        text, complete = card_html(keys, tip)
        QToolTip.showText(at, text, widget)
        if complete:
            return
        size = QToolTip.font().pointSizeF() + POINT_STEP

        def ready() -> None:
            if QToolTip.isVisible() and widget.rect().contains(widget.mapFromGlobal(QCursor.pos())):
                QToolTip.showText(QCursor.pos(), card_html(keys, tip)[0], widget)

        formula_render.prefetch(latex_of(keys, len(keys) == 1), size, on_ready=ready)


def output_loss(output_activation: str) -> list[Key]:
    """The loss a run's output activation belongs to (sigmoid: bce, ...), as registry keys."""
    from playground.engine.losses import OUTPUT_ACTIVATIONS
    names = [loss for loss, act in OUTPUT_ACTIVATIONS.items() if act == output_activation]
    return [("model", n) if n == "perceptron" else ("loss", n) for n in names]

"""The network diagram's hover card and inline editor, and what a card says about each kind
of item: a weight or a bias with its live value and last gradient (micrograd's
"data | grad" record), a unit with its range over the input plane (and, for an image input,
its weights as a picture), a bar with its layer's parameters. Rewritten from every snapshot
while the pointer stays, so it follows training.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFrame, QLabel, QLineEdit, QVBoxLayout

from playground.engine.session import Snapshot
from playground.ui import diagram_layout as dl
from playground.ui.diagram_scene import DiagramScene, qimage

WEIGHT_IMAGE = 112     # px a side of a unit's input weights shown as an image


class HoverCard(QFrame):
    """The card beside the pointer: a bold first line, a few more, an optional picture."""

    def __init__(self, parent) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.setObjectName("diagramCard")
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.RichText)
        self.image = QLabel(self)
        self.image.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addWidget(self.label)
        layout.addWidget(self.image)
        self.lines: list[str] = []
        self.setAccessibleName("Diagram hover card")
        self.hide()

    def set_lines(self, lines: list[str], image: QPixmap | None = None) -> None:
        self.lines = list(lines)
        head = f"<b>{html.escape(lines[0])}</b>" if lines else ""
        rest = "".join("<br>" + html.escape(line) for line in lines[1:])
        self.label.setText(head + rest)
        if image is None:
            self.image.hide()
        else:
            self.image.setPixmap(image)
            self.image.show()
        self.adjustSize()

    def text(self) -> str:
        """The card's lines as plain text."""
        return "\n".join(self.lines)

    def set_colors(self, background: str, text: str, border: str) -> None:
        self.setStyleSheet(f"#diagramCard {{ background: {background}; border: 1px solid "
                           f"{border}; border-radius: 4px; }} QLabel {{ color: {text}; }}")


class InlineEditor(QLineEdit):
    """Where a typed value goes in: Enter commits, Escape or a click elsewhere cancels."""

    def __init__(self, parent, commit: Callable[[str], None]) -> None:
        super().__init__(parent)
        self._commit = commit
        self.setAccessibleName("Edit value")
        self.setToolTip("Type a value; Enter sets it, Escape cancels")
        self.setFixedWidth(110)
        self.returnPressed.connect(lambda: self._commit(self.text()))
        self.hide()

    def keyPressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if event.key() == Qt.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.hide()


def num(value: float) -> str:
    value = float(value)
    return f"{value:.4g}" if math.isfinite(value) else str(value)


def value(snap: Snapshot | None, key: str, index: tuple) -> float | None:
    if snap is None or key not in snap.weights:
        return None
    return float(snap.weights[key][index])


def gradient(snap: Snapshot | None, key: str, index: tuple) -> float | None:
    grads = snap.grads if snap is not None else None
    if not grads or key not in grads:
        return None
    return float(grads[key][index])


def card(item, scene: DiagramScene, snap: Snapshot | None, playing: bool,
         picture: Callable[[int, int], np.ndarray | None]) -> tuple[list[str], QPixmap | None]:
    """(lines, picture) of the card for a hovered item."""
    kind = item.kind
    if kind in ("edge", "bias"):
        return _parameter(item, scene, snap, playing), None
    if kind == "bundle":
        unit = item.index[0]
        lines = [f"{scene.structure.columns[0].width:,} weights into {scene.unit_name(1, unit)}"]
        w = snap.weights.get(item.key) if snap else None
        if w is not None:
            row = np.asarray(w[unit], np.float64)
            lines.append(f"from {num(row.min())} to {num(row.max())}, "
                         f"norm {num(float(np.sqrt(np.sum(row ** 2))))}")
        return lines, weight_image(scene, snap, unit)
    if kind == "unit":
        return _unit(item, scene, snap, picture)
    if kind == "image":
        s = scene.structure.image_side
        return ([f"{s} × {s} image: {s * s:,} inputs", "the mean training image",
                 "hover a unit of the next column to see its weights as an image"], None)
    if kind == "more":
        col = scene.columns[item.column]
        return ([f"{item.hidden:,} more units in {scene.column_name(item.column)}",
                 f"the {len(col.shown)} drawn have the largest summed |weight| in and out",
                 "click to pick them again from the current weights"], None)
    if kind == "bar":
        return _bar(item.bar, snap), None
    return [], None


def _parameter(item, scene: DiagramScene, snap: Snapshot | None, playing: bool) -> list[str]:
    v = value(snap, item.key, item.index)
    where = f"{item.key}[{', '.join(map(str, item.index))}]"
    c = scene.column_of_linear(int(item.key.split(".")[0]))
    if item.kind == "edge":
        lines = [f"Weight is {'…' if v is None else num(v)}",
                 f"{scene.unit_name(c - 1, item.index[1])} → "
                 f"{scene.unit_name(c, item.index[0])}   {where}"]
    else:
        lines = [f"Bias is {'…' if v is None else num(v)}",
                 f"of {scene.unit_name(c, item.index[0])}   {where}"]
    g = gradient(snap, item.key, item.index)
    if g is not None:
        lines.append(f"gradient {num(g)} (last step)")
    lines.append("Pause training to edit" if playing else "Click to edit")
    return lines


def _unit(item, scene: DiagramScene, snap: Snapshot | None, picture
          ) -> tuple[list[str], QPixmap | None]:
    st = scene.structure
    col = scene.columns[item.column].column
    if col.kind == "input":
        if item.unit < 0:
            return [f"{item.label} is off", "click to add it to the inputs"], None
        lines = [f"{item.label} · input {item.unit + 1}"]
        pic = picture(-1, item.unit)
        if pic is not None:
            lines.append(f"over the plane: {num(np.nanmin(pic))} to {num(np.nanmax(pic))} "
                         "(as the model sees it)")
        if st.toggles:
            lines.append("click to switch it off")
        return lines, None
    what = f"{col.activation} of z" if col.kind == "output" else col.activation
    lines = [f"{scene.unit_name(item.column, item.unit)} · {what}"]
    pic = picture(item.picture_module, item.unit)
    if pic is not None:
        lines.append(f"{'z' if col.kind == 'output' else 'output'} over the plane: "
                     f"{num(np.nanmin(pic))} to {num(np.nanmax(pic))}")
    key = f"{col.linear}.bias"
    b = value(snap, key, (item.unit,))
    if b is not None:
        g = gradient(snap, key, (item.unit,))
        lines.append(f"bias {num(b)}" + ("" if g is None else f" · gradient {num(g)}"))
    image = weight_image(scene, snap, item.unit) if st.image_side and item.column == 1 else None
    if image is not None:
        lines.append(f"its {st.columns[0].width:,} input weights (orange < 0 < blue):")
    return lines, image


def _bar(bar: dl.Bar, snap: Snapshot | None) -> list[str]:
    m = bar.module
    if m.kind == "dropout":
        return [f"Dropout, p = {m.p:g}", f"module {m.index}; it acts only in training: the "
                "pictures and regions are in evaluation mode"]
    if m.kind == "activation":
        return [f"Activation layer: {m.activation}", f"module {m.index}"]
    lines = [f"BatchNorm1d (eps {m.eps:g}, momentum {m.momentum:g})", f"module {m.index}"]
    if snap is not None:
        for name, label in (("weight", "γ"), ("bias", "β"), ("running_mean", "running mean"),
                            ("running_var", "running var")):
            v = snap.weights.get(f"{m.index}.{name}")
            if v is not None and v.size:
                lines.append(f"{label} from {num(np.min(v))} to {num(np.max(v))}")
    return lines


def weight_image(scene: DiagramScene, snap: Snapshot | None, unit: int) -> QPixmap | None:
    """One unit's weights from an image input, as that image: orange negative, blue
    positive, levels +-max |w| of the unit."""
    st = scene.structure
    if snap is None or not st.image_side or len(st.columns) < 2:
        return None
    w = snap.weights.get(f"{st.columns[1].linear}.weight")
    if w is None:
        return None
    s = st.image_side
    row = np.nan_to_num(np.asarray(w[unit], np.float64)).reshape(s, s)
    lev = float(np.abs(row).max()) or 1.0
    lut = scene.lut
    k = np.rint((np.clip(row / lev, -1, 1) + 1) * 0.5 * (len(lut) - 1)).astype(np.intp)
    scale = max(1, WEIGHT_IMAGE // s)
    return QPixmap.fromImage(qimage(lut[k]).scaled(s * scale, s * scale, Qt.IgnoreAspectRatio,
                                                   Qt.FastTransformation))

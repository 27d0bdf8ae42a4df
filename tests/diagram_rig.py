"""What the network-diagram tests share: a diagram wired as the window wires it (a config
model whose gate builds the run, snapshots from a session, ``edit_weight`` applied as the
worker applies it), real mouse moves and clicks on its items, and what a diagram shows, read
off its scene items and compared with what its config says it must show."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt

from playground.config import (
    ActivationLayer, BatchNormLayer, DenseLayer, DropoutLayer, RunConfig,
)
from playground.data.names import FEATURES_2D
from playground.engine.session import Session
from playground.engine.trainer import Trainer
from playground.errors import PlaygroundError
from playground.run_info import RunInfo
from playground.ui.config_model import ConfigModel
from playground.ui.network_diagram import NetworkDiagram

#: the output activation each resolved loss fuses (what the output column must be headed)
HEADS = {"bce": "sigmoid", "cross_entropy": "softmax", "mse": "linear", "perceptron": "step"}


class Rig:
    """A shown diagram and its run, as the main window composes them."""

    def __init__(self, qtbot, config: RunConfig, dataset=None, size=(900, 560)) -> None:
        self.dataset = dataset
        self.model = ConfigModel(config)
        self.model.gate = self._gate
        self.edits: list[tuple] = []
        self.pending: Trainer | None = None
        self.diagram = NetworkDiagram(self.model, self._edit)
        self.diagram.adaptive = False    # every snapshot restyles at once, to be checked
        qtbot.addWidget(self.diagram)
        self.diagram.resize(*size)
        self.diagram.show()
        self.model.changed.connect(self._changed)
        self._start(self._trainer(config))

    def _trainer(self, config: RunConfig) -> Trainer:
        return Trainer(config, dataset=self.dataset)

    def _gate(self, config: RunConfig, part: str) -> None:
        self.pending = self._trainer(config)       # raises, with the reason, to refuse

    def _changed(self, config: RunConfig, part: str) -> None:
        self._start(self.pending)

    def _start(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.session = Session(trainer)
        self.run = RunInfo.of(trainer)
        self.diagram.set_run(self.run)

    def snap(self, steps: int = 0):
        """Train ``steps`` batches, then hand the diagram a snapshot with the unit grids."""
        if steps:
            self.trainer.run_steps(steps)
        snap = self.session.snapshot(with_grid=True)
        self.diagram.show_snapshot(snap)
        return snap

    def _edit(self, key, index, value, on_done) -> None:
        """The worker's part: set the value, report the old one, send a fresh snapshot."""
        self.edits.append((key, tuple(index), value))
        try:
            old = self.trainer.set_value(key, index, value)
        except PlaygroundError as exc:
            on_done(exc)
            return
        on_done(old)
        self.last = self.snap()


# --- the mouse --------------------------------------------------------------------------------

def point(diagram: NetworkDiagram, item) -> QPoint:
    """Where on the viewport to point at ``item``: an edge's middle, a node's centre, else
    the middle of its bounds."""
    kind = getattr(item, "kind", "")
    if kind in ("edge", "bundle"):
        p = item.mapToScene(item.path.pointAtPercent(0.5))
    elif kind in ("unit", "image"):
        p = item.mapToScene(QPointF(item.size / 2, item.size / 2))
    else:
        p = item.sceneBoundingRect().center()
    return diagram.mapFromScene(p)


def on_top(diagram: NetworkDiagram, item) -> bool:
    """Whether ``item`` is what the pointer would hit at ``point``."""
    return diagram.itemAt(point(diagram, item)) is item


def hover(qtbot, diagram: NetworkDiagram, item) -> None:
    assert on_top(diagram, item), "another item covers it"
    qtbot.mouseMove(diagram.viewport(), point(diagram, item))


def away(qtbot, diagram: NetworkDiagram) -> None:
    """The pointer to an empty corner of the view."""
    qtbot.mouseMove(diagram.viewport(), QPoint(diagram.viewport().width() - 3, 3))


def click(qtbot, diagram: NetworkDiagram, item) -> None:
    hover(qtbot, diagram, item)
    qtbot.mouseClick(diagram.viewport(), Qt.LeftButton, pos=point(diagram, item))


def button(diagram: NetworkDiagram, action: tuple, text: str | None = None):
    found = [b for b in diagram.items_of("button")
             if b.action == action and text in (None, b.text)]
    assert len(found) == 1, (action, [b.action for b in diagram.items_of("button")])
    return found[0]


def free_edge(diagram: NetworkDiagram, key: str | None = None):
    """An edge (of tensor ``key``) whose middle no other item covers."""
    for edge in diagram.items_of("edge"):
        if (key is None or edge.key == key) and on_top(diagram, edge):
            return edge
    raise AssertionError("every edge is covered")


def input_node(diagram: NetworkDiagram, name: str):
    return next(n for n in diagram.items_of("unit") if n.column == 0 and n.label == name)


# --- what is drawn, against what the config says ---------------------------------------------

def drawn(diagram: NetworkDiagram) -> list[tuple]:
    """The stages the scene shows, left to right, read off its items: ("inputs", ((name,
    on), ...)) or ("image", caption), ("dense", nodes, caption), ("bar", label),
    ("output", nodes, caption)."""
    items = diagram.scene().items()
    captions = {round(t.x() + t.boundingRect().width() / 2): t.text for t in items
                if type(t).__name__ == "TextItem" and round(t.y()) == 44}
    columns = defaultdict(list)
    stages = []
    for item in items:
        kind = getattr(item, "kind", None)
        if kind in ("unit", "image"):
            columns[item.column].append(item)
        elif kind == "bar":
            stages.append((item.x(), ("bar", item.bar.label)))
    last = max(columns)
    for c, nodes in columns.items():
        nodes.sort(key=lambda n: n.y())
        x = nodes[0].x()
        caption = captions.get(round(x + nodes[0].size / 2))
        if c == 0 and nodes[0].kind == "image":
            stage = ("image", caption)
        elif c == 0:
            stage = ("inputs", tuple((n.label, not n.off) for n in nodes))
        else:
            stage = ("output" if c == last else "dense", len(nodes), caption)
        stages.append((x, stage))
    return [s for _, s in sorted(stages, key=lambda p: p[0])]


def expected(config: RunConfig, trainer: Trainer) -> list[tuple]:
    """What ``drawn`` must give for ``config`` (small networks: nothing folded)."""
    if config.data.is_2d:
        out = [("inputs", tuple((f, f in config.data.features) for f in FEATURES_2D))]
    else:
        out = [("inputs", tuple((f, True) for f in trainer.dataset.feature_names))]
    if config.model.type == "mlp":
        for layer in config.model.layers:
            if isinstance(layer, DenseLayer):
                out.append(("dense", layer.units, f"{layer.units} · {layer.activation}"))
            elif isinstance(layer, BatchNormLayer):
                out.append(("bar", "batchnorm"))
            elif isinstance(layer, DropoutLayer):
                out.append(("bar", f"dropout {layer.p:g}"))
            elif isinstance(layer, ActivationLayer):
                out.append(("bar", layer.type))
    n = trainer.output_units
    out.append(("output", n, f"output · {HEADS[trainer.loss_name]}"))
    return out


def linear_tensors(trainer: Trainer) -> tuple[set, set]:
    """Every (key, index) of the Linear weights and of their biases."""
    state = trainer.state_dict()
    weights, biases = set(), set()
    for key, value in state.items():
        if key.endswith(".weight") and value.ndim == 2:
            weights |= {(key, idx) for idx in np.ndindex(value.shape)}
            bias = key.replace("weight", "bias")
            biases |= {(bias, idx) for idx in np.ndindex(state[bias].shape)}
    return weights, biases


def check(rig: Rig) -> None:
    """The diagram shows the model's config and every weight and bias of its run."""
    d, t = rig.diagram, rig.trainer
    assert t.config == rig.model.config
    assert drawn(d) == expected(rig.model.config, t)
    weights, biases = linear_tensors(t)
    assert {(e.key, tuple(e.index)) for e in d.items_of("edge")} == weights
    assert {(b.key, tuple(b.index)) for b in d.items_of("bias")} == biases
    assert not d.items_of("more")

"""NetworkDiagram: its items follow every structure edit (made here, or anywhere else in the
config), snapshots restyle them without making any, its pictures are the engine's per-layer
outputs, its cards show live values, and big networks fold into something readable."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QColor  # noqa: E402

from conftest import run_config  # noqa: E402
from diagram_rig import (  # noqa: E402
    Rig, away, button, check, click, drawn, expected, free_edge, hover, input_node,
)
from playground.config import (  # noqa: E402
    ActivationLayer, BatchNormLayer, DenseLayer, DropoutLayer,
)
from playground.data.dataset import Dataset  # noqa: E402
from playground.engine.trainer import Trainer  # noqa: E402
from playground.run_info import RunInfo  # noqa: E402
from playground.ui import diagram_layout as dl  # noqa: E402
from playground.ui import plot_style as ps  # noqa: E402
from playground.ui import theme  # noqa: E402
from playground.ui.config_model import ConfigModel  # noqa: E402
from playground.ui.diagram_card import num  # noqa: E402
from playground.ui.network_diagram import NetworkDiagram  # noqa: E402
from playground.ui.view import RunView  # noqa: E402

TANH = [{"type": "dense", "units": 4, "activation": "tanh"},
        {"type": "dense", "units": 2, "activation": "tanh"}]
SPIRAL = {"source": "spiral", "samples": 200, "noise": 0.1,
          "features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]}


def small(layers=TANH, **data):
    return run_config(layers, source="circle", data={"samples": 120, **data}, batch_size=10)


@pytest.fixture
def rig(qtbot):
    return Rig(qtbot, small())


def mnist_like(n=300, test=60, seed=0):
    """784 random 'pixels' and 10 classes: the shapes of MNIST."""
    rng = np.random.default_rng(seed)
    x = rng.random((n + test, 784))
    y = rng.integers(0, 10, n + test)
    y[:10] = np.arange(10)
    return Dataset.from_arrays(x[:n], y[:n], x[n:], y[n:])


BIG = [{"type": "dense", "units": 256, "activation": "relu"},
       {"type": "dense", "units": 128, "activation": "relu"}]


# --- structure ---------------------------------------------------------------------------

def test_it_is_a_run_view_named_for_assistive_tools(rig):
    assert isinstance(rig.diagram, RunView)
    assert rig.diagram.accessibleName() == "Network diagram"
    check(rig)


def test_header_buttons_edit_the_one_config_and_the_diagram_follows(qtbot, rig):
    d, model = rig.diagram, rig.model
    click(qtbot, d, button(d, ("units", 0, +1)))
    assert [layer.units for layer in model.config.model.layers] == [5, 2]
    check(rig)
    click(qtbot, d, button(d, ("units", 1, -1)))
    assert [layer.units for layer in model.config.model.layers] == [5, 1]
    check(rig)
    before = model.config
    click(qtbot, d, button(d, ("units", 1, -1)))          # 0 units: refused
    assert model.config is before
    assert d.message.isVisible() and "units" in d.message.text()
    check(rig)
    click(qtbot, d, button(d, ("add_layer",)))            # a copy of the last dense layer
    assert model.config.model.layers[-1] == DenseLayer(1, "tanh")
    check(rig)
    click(qtbot, d, button(d, ("remove", 2), "remove layer"))   # the last one
    assert [layer.units for layer in model.config.model.layers] == [5, 1]
    check(rig)
    click(qtbot, d, button(d, ("remove", 0), "×"))        # a column's own
    assert model.config.model.layers == (DenseLayer(1, "tanh"),)
    check(rig)


def test_inputs_toggle_their_feature_and_the_last_one_is_refused(qtbot, rig):
    d, model = rig.diagram, rig.model
    node = input_node(d, "x1^2")
    assert node.off and not d.items_of("edge")[0].key.startswith("x")
    click(qtbot, d, node)
    assert model.config.data.features == ("x1", "x2", "x1^2")
    check(rig)
    assert {e.index[1] for e in d.items_of("edge") if e.key == "0.weight"} == {0, 1, 2}
    click(qtbot, d, input_node(d, "x1"))
    assert model.config.data.features == ("x2", "x1^2")
    check(rig)
    click(qtbot, d, input_node(d, "x2"))
    before = model.config
    click(qtbot, d, input_node(d, "x1^2"))                # the last feature
    assert model.config is before and model.config.data.features == ("x1^2",)
    assert d.message.isVisible() and "features" in d.message.text()
    check(rig)


def test_batchnorm_dropout_activation_layers_and_a_perceptron_are_drawn_as_what_they_are(
        qtbot, rig):
    d, model = rig.diagram, rig.model
    stack = (BatchNormLayer(), DenseLayer(6, "linear"), ActivationLayer("relu"),
             BatchNormLayer(), DropoutLayer(0.3), DenseLayer(3, "sigmoid"))
    assert model.update_model(layers=stack) is None        # as the layer panel edits it
    check(rig)
    assert [s for s in drawn(d) if s[0] == "bar"] == [
        ("bar", "batchnorm"), ("bar", "relu"), ("bar", "batchnorm"), ("bar", "dropout 0.3")]
    modules = rig.run.modules
    pictures = [n.picture_module for n in d.nodes(1)]      # dense 6 linear: its Linear
    assert {modules[m].kind for m in pictures} == {"linear"}
    assert {modules[n.picture_module].kind for n in d.nodes(2)} == {"activation"}
    click(qtbot, d, button(d, ("remove", 4), "×"))        # under the dropout bar
    assert DropoutLayer(0.3) not in model.config.model.layers
    check(rig)
    assert model.update_model(type="perceptron") is None
    check(rig)
    assert drawn(d)[-1] == ("output", 1, "output · step")
    assert not d.items_of("button") and not d.items_of("bar")   # nothing to edit here


def test_structure_follows_the_config_before_the_run_comes(qtbot):
    """A view on its own: an accepted edit is drawn from the config at once."""
    model = ConfigModel(small())
    d = NetworkDiagram(model, lambda *a: None)
    qtbot.addWidget(d)
    trainer = Trainer(model.config)
    d.set_run(RunInfo.of(trainer))
    assert model.update_model(layers=(DenseLayer(3, "relu"), DropoutLayer(0.5))) is None
    want = expected(model.config, trainer)
    qtbot.waitUntil(lambda: drawn(d) == want)
    assert model.update_data(features=("x1", "sin(x2)")) is None
    want = expected(model.config, trainer)
    qtbot.waitUntil(lambda: drawn(d) == want)


# --- snapshots ----------------------------------------------------------------------------

def test_snapshots_restyle_the_items_and_make_none(rig):
    d = rig.diagram
    rig.snap()
    items = set(d.scene().items())
    scene = d.diagram_scene
    for steps in (5, 40):
        snap = rig.snap(steps)
        assert set(d.scene().items()) == items
        for edge in d.items_of("edge"):
            w = float(snap.weights[edge.key][edge.index])
            assert edge.pen.color() == scene.shade_color(int(dl.shade_index(w)))
            assert edge.pen.widthF() == pytest.approx(float(dl.width_of(w)), abs=0.25)
        for bias in d.items_of("bias"):
            b = float(snap.weights[bias.key][bias.index])
            assert bias.brush.color() == scene.shade_color(int(dl.shade_index(b)))


def test_one_layer_strokes_every_edge_in_its_own_pen(rig):
    from playground.ui.diagram_items import EdgeLayer
    d = rig.diagram
    rig.snap(40)
    layers = [i for i in d.scene().items() if isinstance(i, EdgeLayer)]
    edges = d.items_of("edge")
    assert sorted(id(e) for layer in layers for e in layer.edges) == sorted(map(id, edges))
    for layer in layers:
        groups = layer.groups()
        assert sorted(id(pen) for pen, _ in groups) == sorted({id(e.pen) for e in layer.edges})
        for pen, path in groups:     # each edge's curve exactly once, under its own pen
            mine = [e for e in layer.edges if e.pen is pen]
            assert path.elementCount() == sum(e.path.elementCount() for e in mine)
        widths = [pen.widthF() for pen, _ in groups]
        assert widths == sorted(widths)      # the strongest weights drawn last, on top


def test_an_edge_on_screen_takes_its_weights_colour(qtbot):
    rig = Rig(qtbot, run_config((), source="circle", data={"samples": 60, "features": ["x1"]}))
    d = rig.diagram
    [edge] = d.items_of("edge")
    seen = []
    for value in (3.0, -3.0):
        rig.trainer.set_value(edge.key, edge.index, value)
        rig.snap()
        qtbot.wait(20)
        pixel = d.viewport().grab().toImage().pixelColor(free_point(d, edge))
        want = d.diagram_scene.shade_color(int(dl.shade_index(value)))
        assert max(abs(pixel.red() - want.red()), abs(pixel.green() - want.green()),
                   abs(pixel.blue() - want.blue())) <= 8, (value, pixel.name(), want.name())
        seen.append(pixel.name())
    assert seen[0] != seen[1]


def free_point(d, edge):
    from diagram_rig import point
    p = point(d, edge)
    ratio = d.viewport().devicePixelRatioF()
    return type(p)(round(p.x() * ratio), round(p.y() * ratio))


def test_dear_paints_slow_the_restyling_but_not_the_values(qtbot, rig):
    d = rig.diagram
    d.adaptive = True
    rig.snap()
    d._paint_seconds = 0.04          # 40 ms a paint: restyle at most every 160 ms
    d._restyle()
    snap = rig.snap(60)
    views = d.diagram_scene.edges
    fresh = [dl.shade_index(snap.weights[f"{v.edges.linear}.weight"][v.edges.rows,
                                                                     v.edges.cols])
             for v in views]
    assert any((v.keys // 64 != f).any() for v, f in zip(views, fresh))   # not yet
    assert d._restyle_timer.isActive()
    hover(qtbot, d, free_edge(d, "2.weight"))
    edge = d._hovered
    assert d.card.lines[0] == f"Weight is {num(snap.weights[edge.key][edge.index])}"  # now
    qtbot.waitUntil(lambda: all((v.keys // 64 == f).all() for v, f in zip(views, fresh)),
                    timeout=2000)


def test_a_live_restyle_is_played_out_one_part_per_turn(qtbot, rig):
    """Adaptive (the app's), a snapshot's pictures and edges are applied a column or a layer
    per turn of the event loop, so no turn repaints the whole diagram; when the turns have
    run, every item shows that snapshot. A new structure mid-way drops the rest."""
    d = rig.diagram
    d.adaptive = True
    rig.snap()
    qtbot.waitUntil(lambda: not d._parts, timeout=2000)
    d._edges_due = 0.0
    d._restyle_due = 0.0
    snap = rig.snap(60)
    scene = d.diagram_scene
    views = scene.edges

    def fresh(v):
        return dl.shade_index(snap.weights[f"{v.edges.linear}.weight"][v.edges.rows,
                                                                       v.edges.cols])
    parts = len(scene.picture_parts(snap.units, snap.unit_inputs)) + len(
        scene.weight_parts(snap.weights))
    assert len(d._parts) == parts - 1            # the first part ran at once, the rest wait
    done = [bool((v.keys // 64 == fresh(v)).all()) for v in views]
    assert not all(done)
    qtbot.waitUntil(lambda: not d._parts, timeout=2000)
    assert all((v.keys // 64 == fresh(v)).all() for v in views)
    for bias in d.items_of("bias"):
        b = float(snap.weights[bias.key][bias.index])
        assert bias.brush.color() == scene.shade_color(int(dl.shade_index(b)))
    for node in d.nodes(1):
        assert node.image is not None
    d._edges_due = 0.0
    d._restyle_due = 0.0
    rig.snap(5)
    assert d._parts
    rig.model.update_model(layers=(DenseLayer(3, "relu"),))   # a rebuild while parts wait
    assert not d._parts
    qtbot.wait(50)                                # nothing left to touch the old items
    assert len(d.nodes(1)) == 3


def test_the_scales_are_tensorflow_playgrounds():
    np.testing.assert_allclose(dl.width_of([0, 2.5, 5, 50, -5]), [1, 5.5, 10, 10, 10])
    lut = dl.diverging_lut(ps.ORANGE, ps.NEUTRAL, ps.BLUE, dl.SHADES)
    shades = dl.shade_index([-3, -1, 0, 1, 7, np.nan])
    got = [QColor(*map(int, lut[k][:3])).name() for k in shades]
    assert got == [ps.ORANGE, ps.ORANGE, ps.NEUTRAL, ps.BLUE, ps.BLUE, ps.NEUTRAL]


def test_pictures_are_the_engines_per_layer_outputs_on_the_grid(qtbot):
    stack = [{"type": "dense", "units": 5, "activation": "tanh"}, {"type": "batchnorm"},
             {"type": "dense", "units": 3, "activation": "linear"}]
    rig = Rig(qtbot, run_config(stack, source="circle", batch_size=10, dtype="float64",
                                data={"samples": 100, "features": ["x1", "x2", "x1*x2"]}))
    d, t = rig.diagram, rig.trainer
    snap = rig.snap(30)
    us, vs = snap.unit_axes
    gu, gv = np.meshgrid(us, vs)
    plane = snap.plane
    x = t.dataset.preprocess(plane.to_raw(gu.ravel(), gv.ravel()))
    outputs = t.layer_outputs(x)                     # the engine's forward, module by module
    r = len(us)
    for c in range(1, len(d.structure.columns)):
        for node in d.nodes(c):
            m, u = node.picture_module, node.unit
            pic = d.picture(m, u)
            np.testing.assert_array_equal(pic, snap.units[m][..., u])
            np.testing.assert_allclose(pic, outputs[m][:, u].reshape(r, r), rtol=1e-6,
                                       atol=1e-9)
    for node in d.nodes(0):
        np.testing.assert_allclose(d.picture(-1, node.unit), x[:, node.unit].reshape(r, r))
    kinds = [rig.run.modules[n.picture_module].kind for c in (1, 2) for n in d.nodes(c)]
    assert kinds == ["activation"] * 5 + ["linear"] * 3   # after tanh; a linear unit's z
    # the thumbnail: top-left pixel is the grid's top-left corner (v grows upward), in the
    # diverging colours over [-1, 1] for a tanh column
    node = d.nodes(1)[0]
    v = float(snap.units[node.picture_module][r - 1, 0, node.unit])
    lut = d.diagram_scene.lut
    k = int(np.rint((np.clip(v, -1, 1) + 1) / 2 * (len(lut) - 1)))
    assert node.image.pixelColor(0, 0) == QColor(*map(int, lut[k][:3]))


def test_hovering_a_unit_emits_it_and_its_card(qtbot, rig):
    d = rig.diagram
    rig.snap(20)
    node = d.nodes(1)[2]
    with qtbot.waitSignal(d.unit_hovered) as hovered:
        hover(qtbot, d, node)
    assert hovered.args == [(node.picture_module, 2)]
    assert d.card.isVisible() and d.card.lines[0] == "layer 1, unit 3 · tanh"
    pic = d.picture(node.picture_module, 2)
    assert f"output over the plane: {num(pic.min())} to {num(pic.max())}" in d.card.text()
    assert d.describe(*hovered.args[0]) == "layer 1, unit 3 · tanh"
    assert d.describe(-1, 1) == "x2"
    out = d.nodes(3)[0]
    assert d.describe(out.picture_module, 0) == "output 1 (class 1) · z, before sigmoid"
    with qtbot.waitSignal(d.unit_hovered) as left:
        away(qtbot, d)
    assert left.args == [None] and not d.card.isVisible()


def test_a_hover_card_shows_the_live_value_and_gradient_and_follows_snapshots(qtbot, rig):
    d = rig.diagram
    snap = rig.snap(10)
    edge = free_edge(d, "2.weight")
    hover(qtbot, d, edge)
    assert d.card.isVisible()
    w, g = snap.weights[edge.key][edge.index], snap.grads[edge.key][edge.index]
    assert d.card.lines[0] == f"Weight is {num(w)}"
    assert f"gradient {num(g)} (last step)" in d.card.text()
    assert d.card.lines[-1] == "Click to edit"
    snap = rig.snap(50)                                   # training moves on
    w2 = snap.weights[edge.key][edge.index]
    assert w2 != w and d.card.lines[0] == f"Weight is {num(w2)}"
    assert f"gradient {num(snap.grads[edge.key][edge.index])}" in d.card.text()
    d.set_playing(True)
    assert d.card.lines[-1] == "Pause training to edit"
    bias = d.nodes(1)[0]
    hover(qtbot, d, next(b for b in d.items_of("bias") if b.node is bias))
    assert d.card.lines[0] == f"Bias is {num(snap.weights['0.bias'][0])}"


def test_a_snapshot_of_another_run_is_dropped(rig):
    other = Trainer(rig.model.config)
    other.run_steps(30)
    from playground.engine.session import Session
    stale = Session(other).snapshot(with_grid=True)
    rig.diagram.show_snapshot(stale)
    assert rig.diagram.picture(1, 0) is None


# --- big networks ------------------------------------------------------------------------

def test_784_256_128_10_folds_into_the_strongest_units_and_caps_its_edges(qtbot):
    rig = Rig(qtbot, run_config(BIG, source="digits", batch_size=64), dataset=mnist_like())
    d = rig.diagram
    assert [len(d.nodes(c)) for c in range(4)] == [0, 16, 16, 10]
    assert d.items_of("image") and not d.nodes(0)
    snap = rig.snap(5)
    w0, w2, w4 = (np.abs(snap.weights[f"{i}.weight"]) for i in (0, 2, 4))
    for c, score in ((1, w0.sum(1) + w2.sum(0)), (2, w2.sum(1) + w4.sum(0))):
        want = np.sort(np.argsort(-score, kind="stable")[:16])
        np.testing.assert_array_equal(d.shown_units(c), want)
        assert [n.unit for n in d.nodes(c)] == want.tolist()
    assert sorted(m.hidden for m in d.items_of("more")) == [112, 240]
    assert len(d.items_of("edge")) == 16 * 16 + 16 * 10
    assert len(d.items_of("bundle")) == 16
    assert "Showing 416 of 234,752 weights" in d.note.text() and d.note.isVisible()
    # a unit of the first layer shows its 784 input weights as a 28 x 28 image
    unit = d.nodes(1)[0]
    hover(qtbot, d, unit)
    assert d.card.image.isVisible()
    assert d.card.image.pixmap().width() == 28 * 4
    # with a tighter cap, the strongest weights of each pair of columns stay
    d.max_edges = 200
    click(qtbot, d, d.items_of("more")[0])                # pick again, with the cap
    edges = d.items_of("edge")
    assert len(edges) <= 200
    w = snap.weights["2.weight"]
    shown1, shown2 = d.shown_units(1), d.shown_units(2)
    kept = {tuple(e.index) for e in edges if e.key == "2.weight"}
    weakest_kept = min(abs(w[i]) for i in kept)
    left_out = [abs(w[r, c]) for r in shown2 for c in shown1 if (r, c) not in kept]
    assert left_out and max(left_out) <= weakest_kept
    assert "Showing 200 of 234,752" in d.note.text() or len(edges) < 200


def test_784_256_128_10_trains_on_the_worker_with_the_diagram_shown(qtbot):
    from playground.ui.worker import TrainingController
    cfg = run_config(BIG, source="digits", batch_size=64, epochs=0)
    t = Trainer(cfg, dataset=mnist_like(n=256))
    d = NetworkDiagram(ConfigModel(cfg), lambda *a: None)
    qtbot.addWidget(d)
    d.resize(1000, 620)
    d.show()
    d.set_run(RunInfo.of(t))
    controller = TrainingController(t)
    got = []
    controller.snapshot_ready.connect(d.show_snapshot)
    controller.snapshot_ready.connect(got.append)
    controller.playing_changed.connect(d.set_playing)
    try:
        controller.play()
        qtbot.waitUntil(lambda: any(s.steps >= 8 and s.units is not None for s in got),
                        timeout=60000)
        controller.pause()
        qtbot.waitUntil(lambda: not d._playing, timeout=10000)
    finally:
        controller.shutdown()
    assert d.diagram_scene.picked                       # the strongest units were picked
    assert len(d.items_of("edge")) == 416 and len(d.nodes(1)) == 16
    last = got[-1]
    assert d._snap is last
    node = d.nodes(2)[0]
    np.testing.assert_array_equal(d.picture(node.picture_module, node.unit),
                                  d._units[node.picture_module][..., node.unit])
    d.grab().save("/tmp/diagram_mnist.png")


def test_a_wide_table_folds_its_inputs(qtbot):
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(80, 30)), np.arange(80) % 2
    rig = Rig(qtbot, run_config([{"type": "dense", "units": 4, "activation": "relu"}],
                                source="breast_cancer"), dataset=Dataset.from_arrays(x, y))
    d = rig.diagram
    rig.snap(3)
    assert len(d.nodes(0)) == 16 and d.items_of("more")[0].hidden == 14
    score = np.abs(rig.session.snapshot().weights["0.weight"]).sum(0)
    np.testing.assert_array_equal(d.shown_units(0),
                                  np.sort(np.argsort(-score, kind="stable")[:16]))


# --- themes and screenshots ----------------------------------------------------------------

def _contrast(a: QColor, b: QColor) -> float:
    def lum(c):
        ch = [v / 255 for v in (c.red(), c.green(), c.blue())]
        ch = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize("name", ["light", "dark"])
def test_both_themes_read(qtbot, name):
    cfg = run_config([{"type": "dense", "units": 8, "activation": "tanh"}] * 2,
                     source="spiral", data=SPIRAL, batch_size=10,
                     optimizer={"name": "adam", "lr": 0.01})
    try:
        theme.apply(name)
        rig = Rig(qtbot, cfg)
        rig.snap(600)
        c = rig.diagram.colors
        assert c.dark == (name == "dark")
        assert _contrast(c.text, c.background) >= 7
        assert _contrast(c.muted, c.background) >= 3
        rig.diagram.grab().save(f"/tmp/diagram_spiral_{name}.png")
    finally:
        theme.apply("system")


def test_screenshot_of_the_spiral_net_after_training(qtbot):
    spiral = run_config([{"type": "dense", "units": 8, "activation": "tanh"}] * 3,
                        source="spiral", data={**SPIRAL, "samples": 500}, batch_size=10,
                        optimizer={"name": "adam", "lr": 0.01})
    rig = Rig(qtbot, spiral)
    rig.snap(25 * 300)
    edge = free_edge(rig.diagram, "4.weight")
    hover(qtbot, rig.diagram, edge)
    rig.diagram.grab().save("/tmp/diagram_spiral.png")
    assert rig.diagram.card.isVisible()


def test_screenshot_of_digits(qtbot):
    digits = run_config([{"type": "dense", "units": 32, "activation": "relu"},
                         {"type": "dropout", "p": 0.2},
                         {"type": "dense", "units": 16, "activation": "relu"}],
                        source="digits", batch_size=32, optimizer={"name": "adam", "lr": 0.01})
    rig = Rig(qtbot, digits, size=(900, 620))
    rig.snap(400)
    hover(qtbot, rig.diagram, rig.diagram.nodes(1)[3])
    rig.diagram.grab().save("/tmp/diagram_digits.png")
    assert rig.diagram.card.image.isVisible()

"""The Inspector: one sample's training step, typeset, and "Step sample".

Picking a sample by a click in the regions maps to the right training row (jittered points,
subsampled big sets); the numbers shown are the trace's; Step sample takes exactly the
traced step (float64, 1e-12 against ``step_batch``) and the loss shown is the one computed;
hovering a line lights its unit or weight in the diagram; one row through batchnorm offers
its batch; the animation visits every phase; formula_render typesets into pixmaps that grow
with the formula.
"""

from __future__ import annotations

import threading

import time

import numpy as np
import pytest
import sklearn  # noqa: F401  (see below)

pytest.importorskip("pytestqt")

# sklearn (and scipy under it) is imported here, on the main thread: imported for the first
# time by the file loader's thread (the digits window below) while the main thread collected
# garbage, this file's run crashed twice in ten (a segfault, a hang), under load

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget  # noqa: E402

from conftest import run_config  # noqa: E402
from playground.config import RunConfig  # noqa: E402
from playground.data.dataset import Dataset  # noqa: E402
from playground.engine import trace as traces  # noqa: E402
from playground.engine.trainer import Trainer  # noqa: E402
from playground.run_info import RunInfo  # noqa: E402
from playground.trace_text import num  # noqa: E402
from playground.ui import formula_render  # noqa: E402
from playground.ui import inspector_lines as il  # noqa: E402
from playground.ui.decision_plot import MAX_SHOWN_POINTS, DecisionRegionPlot  # noqa: E402
from playground.ui.diagram_items import BiasItem, EdgeItem, NodeItem  # noqa: E402
from playground.ui.inspector import LIVE_TRACES, Inspector  # noqa: E402
from playground.ui.widgets import on_screen  # noqa: E402
from ui_helpers import errors, finished, make_window, settings  # noqa: E402, F401

TOL = {"rtol": 0, "atol": 1e-12}
TANH = [{"type": "dense", "units": 5, "activation": "tanh"},
        {"type": "dense", "units": 3, "activation": "relu"}]


def window_config(layers=TANH, data=None, **train) -> dict:
    train = {"dtype": "float64", "epochs": 50, "batch_size": 10,
             "optimizer": {"name": "sgd", "lr": 0.1}, **train}
    return {"seed": 3, "data": {"source": "circle", "samples": 120, "test_fraction": 0.25,
                                **(data or {})},
            "model": {"type": "mlp", "layers": layers}, "train": train}


def traced(qtbot, inspector: Inspector, row: int | None = None):
    """Bring the inspector in front (it traces only for the user's eyes), pick ``row`` (if
    given) and wait until it shows that row's trace."""
    in_front(qtbot, inspector)
    if row is not None:
        inspector.pick(row)
    qtbot.waitUntil(lambda: inspector.current is not None and inspector.current.row ==
                    inspector.row and not inspector._pending and not inspector._dirty,
                    timeout=30000)
    return inspector.current


def in_front(qtbot, inspector: Inspector) -> None:
    """Its dock's tab chosen, as a user's click on "Inspector" does."""
    dock = inspector.parentWidget()
    while dock is not None and not isinstance(dock, QDockWidget):
        dock = dock.parentWidget()
    if dock is not None:
        dock.show()
        dock.raise_()
    qtbot.waitUntil(lambda: on_screen(inspector), timeout=5000)


def worker(qtbot, window, fn):
    """``fn(trainer)`` run on the worker thread, its result here."""
    return finished(qtbot, lambda done: window.controller.call(fn, done))


# --- formula_render ------------------------------------------------------------------------------

def test_formula_render_typesets_pixmaps_that_grow_with_the_formula(qtbot):
    small = formula_render.render("x", point_size=12)
    big = formula_render.render(r"z_j = \sum_i W_{ji}\,a_i + b_j", point_size=12)
    frac = formula_render.render(r"\dfrac{\partial L}{\partial z}", point_size=12)
    for pixmap in (small, big, frac):
        assert not pixmap.isNull() and pixmap.width() > 0 and pixmap.height() > 0
    assert big.width() > 2 * small.width()
    assert frac.height() > small.height()                       # a fraction stands taller
    assert formula_render.render("x", point_size=24).width() > small.width()
    assert formula_render.is_typeset("x", point_size=12)        # mathtext's, not the source
    image = formula_render.image("x", "#ff0000", point_size=12).convertToFormat(
        QImage.Format_RGBA8888)
    ink = [image.pixelColor(i, j) for i in range(image.width()) for j in range(image.height())
           if image.pixelColor(i, j).alpha() > 200]
    assert ink and all(c.red() > 200 and c.green() < 60 for c in ink)   # in the colour asked
    assert formula_render.cached("x", point_size=12) is not None
    assert formula_render.baseline("x", point_size=12) > 0


def test_formula_render_never_raises_and_prefetches_off_the_gui_thread(qtbot):
    bad = formula_render.render(r"\frac{unclosed", point_size=11)
    assert not bad.isNull() and not formula_render.is_typeset(r"\frac{unclosed", point_size=11)
    latex = [rf"\alpha_{{{k}}} + \beta" for k in range(4)]
    threads = []
    real = formula_render._typeset
    formula_render._typeset = lambda *a: (threads.append(threading.current_thread()), real(*a))[1]
    try:
        with qtbot.waitCallback(timeout=30000) as ready:
            formula_render.prefetch(latex, point_size=13, on_ready=ready)
    finally:
        formula_render._typeset = real
    assert all(formula_render.cached(s, point_size=13) is not None for s in latex)
    assert threads and threading.main_thread() not in threads


# --- picking a sample by a click --------------------------------------------------------------

def lattice_run(n: int) -> RunInfo:
    """A table whose two inputs take 6 values each (so its points are jittered apart) and
    more rows than the plot draws (so it draws every k-th)."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, size=(n, 2)).astype(float)
    y = (x.sum(axis=1) > 5).astype(int)
    ds = Dataset.from_arrays(x, y, task="classification")
    cfg = RunConfig.from_dict({"format": 1, "data": {"source": "csv", "path": "x.csv"},
                               "model": {"type": "mlp", "layers": []}})
    return RunInfo(1, cfg, ds, "bce", ())


def test_a_click_picks_the_nearest_drawn_training_point(qtbot):
    plot = DecisionRegionPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 600)
    plot.show()
    n = MAX_SHOWN_POINTS + 700
    plot.set_run(lattice_run(n))
    qtbot.waitUntil(lambda: len(plot.drawn_points()) > 0)
    drawn_rows = plot._train_rows
    assert len(drawn_rows) == MAX_SHOWN_POINTS < n                 # subsampled
    assert plot._jitter.get("train") is not None                    # and jittered
    vb, view = plot.plot.getViewBox(), plot.widget
    drawn = np.array([plot._project_row(int(r)) for r in drawn_rows])
    np.testing.assert_allclose(drawn, plot.drawn_points())          # rows <-> points

    def pixel(u, v) -> QPointF:
        return QPointF(view.mapFromScene(vb.mapViewToScene(QPointF(u, v))))

    clicked = []
    plot.sample_clicked.connect(clicked.append)
    for k in (0, 17, 1234, MAX_SHOWN_POINTS - 1):
        qtbot.wait(QApplication.doubleClickInterval() + 50)          # not a double-click
        # the drawn points in widget pixels (the map is affine: two points give it)
        p0, p1 = pixel(0.0, 0.0), pixel(1.0, 1.0)
        px = np.column_stack([p0.x() + drawn[:, 0] * (p1.x() - p0.x()),
                              p0.y() + drawn[:, 1] * (p1.y() - p0.y())])
        target = px[k] + (2, -1)                                     # a little off a point
        qtbot.mouseClick(view.viewport(), Qt.LeftButton,
                         pos=QPoint(round(target[0]), round(target[1])))
        qtbot.waitUntil(lambda: len(clicked) > 0)
        got = clicked.pop()
        assert got in drawn_rows                                     # a row that is drawn
        # the nearest drawn point to the click (to a pixel's rounding: points crowd here)
        d = np.hypot(*(px - np.round(target)).T)
        assert d[np.flatnonzero(drawn_rows == got)[0]] <= d.min() + 0.05, (got, k)
    far = vb.mapViewToScene(QPointF(100.0, 100.0))                   # nothing there
    assert plot.row_at(vb.mapSceneToView(far)) is None


def test_a_click_on_a_point_picks_its_row(qtbot):
    plot = DecisionRegionPlot()
    qtbot.addWidget(plot)
    plot.resize(600, 600)
    plot.show()
    plot.set_run(lattice_run(60))
    qtbot.waitUntil(lambda: len(plot.drawn_points()) > 0)
    vb, view = plot.plot.getViewBox(), plot.widget
    clicked = []
    plot.sample_clicked.connect(clicked.append)
    for row in (0, 7, 31, 59):
        qtbot.wait(QApplication.doubleClickInterval() + 50)
        u, v = plot._project_row(row)                                # jittered, as drawn
        scene = vb.mapViewToScene(QPointF(u, v))
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=view.mapFromScene(scene))
        qtbot.waitUntil(lambda: len(clicked) > 0)
        got = clicked.pop()
        np.testing.assert_allclose(plot._project_row(got), (u, v), atol=1e-9)   # that point


# --- the window ------------------------------------------------------------------------------

def test_the_inspector_is_found_by_its_accessible_name(make_window):
    window = make_window(window_config())
    found = [w for w in window.findChildren(QWidget) if w.accessibleName() == "Inspector"]
    assert found == [window.inspector]
    assert window.docks["inspector"].windowTitle() == "Inspector"


def test_the_numbers_shown_are_the_traces(qtbot, make_window):
    window = make_window(window_config(regularization={"kind": "l2", "rate": 0.01},
                                       optimizer={"name": "adam", "lr": 0.01}))
    ins = window.inspector
    got = traced(qtbot, ins, 7)
    tr = worker(qtbot, window, lambda t: t.trace([7]))
    np.testing.assert_array_equal(got.trace.rows, [7])
    lines = ins.canvas.lines
    assert lines is ins.lines and lines
    values = [line for line in lines if line.kind == "value"]
    by = {}
    for line in values:
        by.setdefault((line.phase, line.module, line.formula), []).append(line)

    def shown(phase, module, formula):
        (line,) = by[(phase, module, formula)][:1]
        return line

    checked = 0
    for m in tr.modules:
        width = m.output.shape[1]
        for j in range(width):
            symbol = "z" if m.torch == "Linear" else "a"
            line = shown("forward", m.index, il.sub(symbol, j))
            assert line.text.endswith(num(m.output[0, j])), line.text
            assert line.value == pytest.approx(float(m.output[0, j]), abs=1e-12)
            checked += 1
    assert shown("loss", tr.modules[-1].index, "L").value == pytest.approx(tr.loss.mean)
    for m in tr.modules:
        if m.torch != "Linear":
            continue
        for line in values:
            if line.phase == "backward" and line.module == m.index and \
                    line.formula.startswith(r"\partial L / \partial W_{") and \
                    line.text.endswith(num(line.value)):
                o, k = map(int, line.formula.split("{")[1].rstrip("}").split(","))
                if line.value == pytest.approx(float(m.grads["weight"][o, k]), abs=1e-12):
                    checked += 1
                else:   # after L2: the regularized gradient's line
                    assert line.value == pytest.approx(
                        float(tr.regularization.grads[f"{m.index}.weight"][o, k]), abs=1e-12)
    for key, after in tr.optimizer.params_after.items():
        m, name = int(key.split(".")[0]), key.split(".")[1]
        for idx in il.top(after, tr.update[key]):
            symbol = il.param_symbol(tr, m, name, idx)
            line = [v for v in by[("update", m, symbol)] if "(change" in v.text][0]
            assert line.value == pytest.approx(float(after[idx]), abs=1e-12)
            assert num(tr.update[key][idx]) in line.text
            checked += 1
    assert checked > 20
    # every shown number of a value line is the one computed, to its 6 digits
    for line in values:
        if line.value is not None and "=" in line.text:
            assert num(line.value) in line.text


def test_step_sample_is_step_batch_on_that_row(qtbot, make_window):
    """Batch size 1 without shuffling: step_batch's next batch is row 0; Step sample on row 0
    must write the same weights, optimizer state, step count and dropout stream."""
    layers = TANH + [{"type": "dropout", "p": 0.3}]
    cfg = window_config(layers, batch_size=1, shuffle=False,
                        optimizer={"name": "adam", "lr": 0.05})
    window = make_window(cfg)
    ins = window.inspector
    traced(qtbot, ins, 0)
    twin = Trainer(RunConfig.from_dict({"format": 1, **cfg}))
    assert np.array_equal(traces.next_rows(twin), [0])
    twin.step_batch()
    ins.step_sample()
    qtbot.waitUntil(lambda: "Stepped on row 0" in ins.step_result, timeout=30000)
    state, opt, steps, dropout = worker(qtbot, window, lambda t: (
        t.state_dict(), {k: v.copy() for k, v in t.optimizer.state.items()},
        (t.steps, t.optimizer.steps), t._dropout_rng.bit_generator.state))
    for key, value in twin.state_dict().items():
        np.testing.assert_allclose(state[key], value, **TOL, err_msg=key)
    for buf, value in twin.optimizer.state.items():
        np.testing.assert_allclose(opt[buf], value, **TOL, err_msg=buf)
    assert steps == (twin.steps, twin.optimizer.steps)
    assert dropout == twin._dropout_rng.bit_generator.state


def test_step_sample_shows_the_loss_falling_as_computed(qtbot, make_window):
    cfg = window_config(optimizer={"name": "sgd", "lr": 0.05})
    window = make_window(cfg)
    ins = window.inspector
    row = 11
    traced(qtbot, ins, row)
    twin = Trainer(RunConfig.from_dict({"format": 1, **cfg}))
    before = float(traces.row_losses(twin, [row])[0])
    twin.step_rows([row])
    after = float(traces.row_losses(twin, [row])[0])
    assert after < before           # computed: a small SGD step on the row lowers its loss
    ins.step_sample()
    qtbot.waitUntil(lambda: bool(ins.step_result), timeout=30000)
    text = ins.step_result
    assert f"{num(before)} → {num(after)}" in text and "fell" in text, text
    # the panel now traces the next step, from the stepped weights
    traced(qtbot, ins)
    assert ins.current.steps == 1
    assert ins.current.loss == pytest.approx(after, abs=1e-12)
    np.testing.assert_allclose(ins.current.weights["0.weight"], twin.state_dict()["0.weight"],
                               **TOL)


def test_hovering_a_line_lights_its_unit_or_weight(qtbot, make_window):
    window = make_window(window_config(), size=(1800, 1000))
    ins, diagram = window.inspector, window.diagram
    traced(qtbot, ins, 4)
    lines = ins.canvas.lines

    def hover(index):
        rect = ins.canvas.line_rect(index)
        ins.scroll.ensureVisible(0, rect.center().y(), 0, rect.height())
        qtbot.mouseMove(ins.canvas, QPoint(40, rect.center().y()))
        qtbot.waitUntil(lambda: ins.canvas.hover == index)
        return diagram.highlighted()

    z = next(i for i, line in enumerate(lines) if line.phase == "forward"
             and line.module == 0 and line.formula == "z_{2}")
    items = hover(z)
    nodes = [i for i in items if isinstance(i, NodeItem)]
    edges = [i for i in items if isinstance(i, EdgeItem)]
    biases = [i for i in items if isinstance(i, BiasItem)]
    assert [(n.column, n.unit) for n in nodes] == [(1, 2)]
    assert edges and all(e.key == "0.weight" and e.index[0] == 2 for e in edges)
    assert len(edges) == window.trainer.dataset.n_features
    assert [b.index for b in biases] == [(2,)] and biases[0].key == "0.bias"
    assert all(item.mark is not None for item in items)
    w = next(i for i, line in enumerate(lines) if line.phase == "backward"
             and line.formula.startswith(r"\partial L / \partial W_{"))
    o, k = map(int, lines[w].formula.split("{")[1].rstrip("}").split(","))
    (edge,) = hover(w)
    assert isinstance(edge, EdgeItem)
    assert (edge.key, edge.index) == (f"{lines[w].module}.weight", (o, k))
    qtbot.mouseMove(window.decision_plot, QPoint(10, 10))   # off the canvas: cleared
    qtbot.waitUntil(lambda: not diagram.highlighted())
    assert edge.mark is None


def test_one_row_through_batchnorm_offers_its_batch(qtbot, make_window):
    layers = [{"type": "dense", "units": 4, "activation": "tanh"}, {"type": "batchnorm"}]
    window = make_window(window_config(layers, batch_size=8))
    ins = window.inspector
    got = traced(qtbot, ins, 5)
    assert got.trace is None and got.suggested is not None and 5 in got.suggested
    assert "batchnorm" in ins.summary.text()
    assert ins.offer.isVisible() and "8 rows" in ins.offer.text()
    assert not ins.canvas.lines
    batch = worker(qtbot, window, lambda t: traces.batch_of(t, 5))
    qtbot.mouseClick(ins.offer, Qt.LeftButton)
    assert ins.batch_check.isChecked()
    got = traced(qtbot, ins)
    np.testing.assert_array_equal(got.trace.rows, batch)
    assert not ins.offer.isVisible()
    assert "in its batch of 8 rows" in ins.summary.text().replace("<b>", "").replace("</b>", "")
    assert any(line.formula == r"\mu_{0}" for line in ins.lines)   # the batch's mean


def test_the_animation_lights_every_phase_in_order(qtbot, make_window):
    layers = TANH + [{"type": "batchnorm"}, {"type": "dropout", "p": 0.2}]
    window = make_window(window_config(layers), size=(1800, 1000))
    ins, diagram = window.inspector, window.diagram
    ins.batch_check.setChecked(True)
    got = traced(qtbot, ins, 3)
    steps, lit = [], []
    ins.animated.connect(lambda phase, module: (steps.append((phase, module)),
                                                lit.append(len(diagram.highlighted()))))
    ins.play_button.click()
    assert ins.animating and ins.play_button.text() == "Stop animation"
    qtbot.waitUntil(lambda: not ins.animating, timeout=60000)
    assert steps == il.animation(got.trace)
    phases = [p for p, _ in steps]
    assert phases == sorted(phases, key=il.PHASES.index)      # forward, loss, backward, update
    assert set(phases) == set(il.PHASES)
    assert all(lit)                                            # each step lit something
    assert not diagram.highlighted() and ins.play_button.text() == "Play animation"
    # a new run stops a running animation cleanly
    ins.play_button.click()
    assert ins.animating
    window.reset()
    qtbot.waitUntil(lambda: not ins.animating, timeout=30000)


def test_next_misclassified_and_largest_error(qtbot, make_window):
    window = make_window(window_config())
    ins = window.inspector
    traced(qtbot, ins, 0)
    wrong = worker(qtbot, window, lambda t: np.flatnonzero(
        t.predict(t.x_train).argmax(axis=1) != t.dataset.y_train))
    assert wrong.size, "an untrained network gets some rows wrong"
    ins.next_misclassified()
    qtbot.waitUntil(lambda: ins.row == int(wrong[wrong > 0][0]), timeout=30000)
    assert traced(qtbot, ins).wrong and "misclassified" in ins.summary.text()
    window2 = make_window(window_config(data={"source": "plane", "samples": 80}))
    ins2 = window2.inspector
    assert ins2.next_button.text() == "Largest error"
    traced(qtbot, ins2, 0)
    worst = worker(qtbot, window2, lambda t: int(np.argmax(np.abs(
        t.predict(t.x_train) - np.asarray(t.dataset.y_train).reshape(t.n_train, -1)).sum(1))))
    ins2.next_misclassified()
    qtbot.waitUntil(lambda: ins2.row == worst, timeout=30000)


def test_a_perceptron_shows_its_rule_and_steps_it(qtbot, make_window):
    cfg = {"seed": 1, "data": {"source": "gauss", "samples": 60},
           "model": {"type": "perceptron"},
           "train": {"epochs": 5, "dtype": "float64", "optimizer": {"name": "sgd", "lr": 0.5}}}
    window = make_window(cfg)
    ins = window.inspector
    assert not ins.batch_check.isVisibleTo(ins)
    wrong = worker(qtbot, window, lambda t: int(np.flatnonzero(
        t.model.predict(t.x_train) != t.dataset.y_train)[0]))
    got = traced(qtbot, ins, wrong)
    assert got.trace.kind == "perceptron" and got.wrong
    assert any(line.kind == "rule" for line in ins.lines)
    assert any("a mistake" in line.text for line in ins.lines)
    expected = got.trace.params_after
    ins.step_sample()
    qtbot.waitUntil(lambda: "Stepped on row" in ins.step_result, timeout=30000)
    state = worker(qtbot, window, lambda t: t.state_dict())
    for key, value in expected.items():
        np.testing.assert_allclose(state[key], value, **TOL)


def test_gallery_images_are_picked_when_they_are_training_rows(qtbot, make_window):
    window = make_window({"seed": 0, "data": {"source": "digits", "test_fraction": 0.0},
                          "model": {"type": "mlp", "layers": []}, "train": {"epochs": 2}})
    ins, gallery = window.inspector, window.gallery
    traced(qtbot, ins, 0)
    assert gallery.split == "train"
    gallery.sample_selected.emit(9, "train")
    assert traced(qtbot, ins).row == 9
    ins.pick_from_gallery(4, "test")           # a test image: said, not traced
    assert ins.row == 9 and "test images" in ins.step_result


def test_a_click_in_the_regions_inspects_the_row_and_rings_it(qtbot, make_window):
    window = make_window(window_config(), size=(1100, 760))   # the inspector tabbed away
    plot, ins = window.decision_plot, window.inspector
    qtbot.waitUntil(lambda: len(plot.drawn_points()) > 0)
    plot.sample_clicked.emit(13)
    qtbot.waitUntil(lambda: ins.isVisible())
    assert traced(qtbot, ins).row == 13
    ring = plot.picked.data
    np.testing.assert_allclose([ring["x"][0], ring["y"][0]], plot._project_row(13))


def test_while_playing_it_traces_a_few_times_a_second(qtbot, make_window):
    window = make_window(window_config(epochs=0))
    ins = window.inspector
    traced(qtbot, ins, 2)
    calls = []
    real = window.controller.call

    def spy(fn, done, refresh=True):
        if refresh is False:
            calls.append((time.monotonic(), ins._playing))
        return real(fn, done, refresh)

    window.controller.call = spy
    paused_picks = ins.current.picks
    assert paused_picks
    window.controller.play()
    qtbot.waitUntil(lambda: ins._playing, timeout=10000)
    qtbot.waitUntil(lambda: sum(p for _, p in calls) >= 4, timeout=30000)
    qtbot.waitUntil(lambda: ins.current.steps > 0 and not ins._pending, timeout=10000)
    assert ins.current.picks == paused_picks     # the same entries, followed as they move
    window.controller.pause()
    qtbot.waitUntil(lambda: not ins._playing, timeout=10000)
    window.controller.call = real
    playing = [t for t, p in calls if p]
    gaps = np.diff(playing)            # it keeps tracing while the run moves, and
    assert gaps.min() >= 1 / LIVE_TRACES - 0.005, gaps    # never more often than allowed
    got = traced(qtbot, ins)        # paused: the trace catches up with the last weights
    steps = worker(qtbot, window, lambda t: t.steps)
    assert got.steps == steps


def test_kept_picks_show_the_same_entries_and_their_new_numbers(qtbot):
    """While training plays the inspector passes its last picks back: the lines show those
    entries of each tensor (with this trace's numbers) instead of the largest, so they can
    be followed; picks that are not entries of the tensor fall back to the largest."""
    from conftest import blobs
    ds = blobs(40, 2, 2)
    t = Trainer(run_config([{"type": "dense", "units": 6, "activation": "tanh"}],
                           source="xor", dtype="float64", batch_size=8,
                           optimizer={"name": "adam", "lr": 0.05}), dataset=ds)
    t.run_steps(2)
    lines, picks = il.lines_and_picks(t.trace(np.array([3])), 3)
    assert il.lines(t.trace(np.array([3])), 3) == lines
    key = "update:0.weight"
    assert picks[key] == il.top(t.state_dict()["0.weight"],
                                t.trace(np.array([3])).optimizer.update["0.weight"])
    t.run_steps(5)
    tr = t.trace(np.array([3]))
    update = tr.optimizer.update["0.weight"]
    smallest = [tuple(int(i) for i in np.unravel_index(j, update.shape))
                for j in np.argsort(np.abs(update), axis=None)[:3]]
    keep = {**picks, key: smallest}
    kept_lines, kept = il.lines_and_picks(tr, 3, keep=keep)
    assert kept[key] == smallest and kept[key] != il.top(tr.optimizer.params_before[
        "0.weight"], update)
    symbols = {line.formula for line in kept_lines if line.phase == "update"}
    for o, k in smallest:             # each kept entry's rule, with this trace's numbers
        assert any(f"W_{{{o},{k}}}" in f for f in symbols), (o, k)
    assert any("kept while it plays" in line.text for line in kept_lines)
    assert {k.split(":")[0] for k in picks} >= {"grad", "update"}
    assert il.lines_and_picks(tr, 3, keep=picks)[1] == picks   # every tensor's, kept
    _, fallback = il.lines_and_picks(tr, 3, keep={key: [(99, 0)]})
    assert fallback[key] == il.top(tr.optimizer.params_before["0.weight"], update)


def test_the_lines_of_every_layer_type_and_loss(qtbot):
    """Headless: every module kind, loss and optimizer gives lines whose values are the
    trace's, and whose formulas typeset."""
    from conftest import blobs
    kitchen = [{"type": "dense", "units": 6, "activation": "gelu"}, {"type": "batchnorm"},
               {"type": "dropout", "p": 0.3}, {"type": "dense", "units": 4},
               {"type": "sigmoid"}]
    for k, (task, opt) in enumerate((("classification", "rmsprop"), ("regression", "adamw"),
                                     ("classification", "sgd"))):
        ds = blobs(30, 3, 3 if k == 0 else 2, task=task)
        cfg = run_config(kitchen, source="xor" if task == "classification" else "plane",
                         dtype="float64", batch_size=6, clip={"value": 0.05},
                         optimizer={"name": opt, "lr": 0.01, **(
                             {"momentum": 0.9, "centered": True} if opt == "rmsprop" else
                             {"momentum": 0.5, "nesterov": True} if opt == "sgd" else {})})
        t = Trainer(cfg, dataset=ds)
        t.run_steps(3)
        rows = traces.batch_of(t, 4)
        tr = t.trace(rows)
        lines = il.lines(tr, 4, il.Names(ds.feature_names, tuple(map(str, ds.class_names))))
        r = int(np.flatnonzero(tr.rows == 4)[0])
        assert {line.phase for line in lines} == set(il.PHASES)
        loss = next(line for line in lines if line.formula == "L")
        assert loss.value == pytest.approx(float(tr.loss.per_row[r]), abs=1e-12)
        for m in tr.modules:
            if m.dropout is not None or m.batchnorm is not None:
                ys = [line for line in lines if line.module == m.index and line.phase ==
                      "forward" and line.formula == "y_{0}"]
                assert ys[0].value == pytest.approx(float(m.output[r, 0]), abs=1e-12)
        for line in lines:
            if line.value is not None and "=" in line.text:
                assert num(line.value) in line.text, line.text
        for latex in il.formulas(lines):
            formula_render.render(latex, point_size=11)
            assert formula_render.is_typeset(latex, point_size=11), latex


def test_formulas_typeset_while_playing_repaint_in_place_and_paused_lays_out(qtbot):
    """A full layout is the canvas's one real cost: a formula typeset while the run plays
    is drawn in the place laid out for its source (a repaint), and the next paused
    ``set_lines`` lays everything out again with the typeset sizes."""
    from playground.ui import formula_render
    from playground.ui.inspector_lines import Line
    from playground.ui.trace_canvas import TraceCanvas
    canvas = TraceCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(420, 300)
    canvas.show()
    layouts = []
    real = canvas._layout
    canvas._layout = lambda: (layouts.append(1), real())[1]
    fresh = r"\omega_{%d}" % id(canvas)           # typeset by no other test
    lines = [Line("section", "Forward"), Line("value", "= 1.5", formula=fresh, value=1.5)]
    canvas.set_lines(list(lines))                   # paused: laid out now
    qtbot.waitUntil(lambda: not canvas._waiting, timeout=20000)
    assert formula_render.cached(fresh, point_size=canvas.sizes()["value"]) is not None
    assert len(layouts) == 2                        # set_lines, then the typeset sizes
    later = r"\omega_{%d}" % (id(canvas) + 1)
    live = [lines[0], Line("value", "= 2.5", formula=later, value=2.5)]
    canvas.set_lines(live, relayout=False)          # playing: same kinds, a new symbol
    qtbot.waitUntil(lambda: not canvas._waiting, timeout=20000)
    qtbot.wait(20)
    assert len(layouts) == 2                        # repainted in place, not laid out
    canvas.set_lines(list(live))                    # paused again: laid out
    assert len(layouts) == 3

"""The Lessons panel and menu: every bundled lesson is offered; a step's run loads into the
window (with its hand-set tensors); "Run the experiment" shows exactly what the headless check
measures; "Check my run" measures the live run; a step whose claims hold is marked done."""

from __future__ import annotations

import html

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from playground import lessons  # noqa: E402
from playground.engine.trainer import Trainer  # noqa: E402
from playground.ui.widgets import on_screen  # noqa: E402
from ui_helpers import errors, finished, make_window, settings  # noqa: E402, F401


def panel_of(window):
    assert window.lessons_panel is not None
    return window.lessons_panel


def test_the_menu_offers_every_lesson_and_opens_its_panel(qtbot, make_window):
    window = make_window()
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Lessons")
    titles = [a.text() for a in menu.actions()]
    catalog = lessons.catalog()
    assert titles == [f"{i}. {lesson.title}" for i, lesson in enumerate(catalog, 1)]
    assert len(catalog) >= 14
    menu.actions()[2].trigger()
    panel = panel_of(window)
    qtbot.waitUntil(lambda: on_screen(panel), timeout=5000)
    assert panel.accessibleName() == "Lessons"
    assert panel.lesson.id == catalog[2].id and panel.index == 0
    step = catalog[2].steps[0]
    assert step.title in panel.body.text() and "Your turn." in panel.body.text()


def test_a_step_run_loads_into_the_window(qtbot, make_window, errors):
    window = make_window()
    panel = panel_of(window)
    window.open_lesson("activations")
    step = panel.step
    panel.load_run("relu")
    expected = step.configs()["relu"]
    qtbot.waitUntil(lambda: window.model.config == expected, timeout=10000)
    assert errors == [] and "(lesson)" in window.windowTitle()


def test_hand_set_tensors_go_in_with_their_run(qtbot, make_window, errors):
    window = make_window()
    panel = panel_of(window)
    window.open_lesson("feature-crosses")
    step = panel.step
    (name, tensors), = step.weights().items()
    panel.load_run(name)
    qtbot.waitUntil(lambda: window.model.config == step.configs()[name], timeout=10000)
    state = finished(qtbot, lambda done: window.controller.call(
        lambda t: t.state_dict() if t.config == step.configs()[name] else None, done))
    for key, value in tensors.items():
        np.testing.assert_allclose(state[key], value, rtol=1e-6)


def test_the_experiment_shows_what_the_headless_check_measures(qtbot, make_window):
    window = make_window()
    panel = panel_of(window)
    window.open_lesson("activations")
    step = panel.step
    panel.run_experiment()
    qtbot.waitUntil(lambda: bool(panel.results), timeout=120000)
    headless = lessons.check(step, lessons.train_step(step))
    assert [r.sentence for r in panel.results] == [r.sentence for r in headless]
    for r in headless:
        assert r.sentence in html.unescape(panel.result.text())
    assert all(r.holds for r in headless)
    assert (step_key := ("activations", 0)) in panel.done_steps, step_key
    assert "done" in panel.progress.text()


def test_check_my_run_measures_the_live_run(qtbot, make_window):
    window = make_window()
    panel = panel_of(window)
    window.open_lesson("iris-notebook")
    step = panel.step
    (name,) = step.run_names
    config = step.configs()[name]
    panel.load_run(name)
    qtbot.waitUntil(lambda: window.model.config == config, timeout=10000)
    epochs = config.train.epochs
    finished(qtbot, lambda done: window.controller.call(
        lambda t: t.run_epochs(epochs) if t.config == config else None, done), 120000)
    panel.check_live()
    qtbot.waitUntil(lambda: bool(panel.results), timeout=60000)
    trainer = Trainer(config)
    trainer.run_epochs(epochs)
    headless = lessons.check(step, {name: trainer})
    assert [(r.holds, r.sentence) for r in panel.results] == \
        [(r.holds, r.sentence) for r in headless]


def test_check_my_run_before_loading_a_run_says_what_to_do(make_window):
    window = make_window()
    panel = panel_of(window)
    window.open_lesson("activations")          # two runs: which one is the window's?
    panel.check_live()
    assert "Load one of this step's runs first" in html.unescape(panel.result.text())


def test_steps_are_walked_with_back_and_next(make_window):
    window = make_window()
    panel = panel_of(window)
    window.open_lesson("perceptron")
    n = len(panel.lesson.steps)
    assert n > 1 and not panel.back.isEnabled() and panel.next.isEnabled()
    for i in range(1, n):
        panel.next.click()
        assert panel.index == i and panel.step.title in panel.body.text()
    assert not panel.next.isEnabled() and panel.back.isEnabled()


def test_every_step_fits_the_width_of_its_panel(qtbot, make_window):
    """A label cannot wrap an image or a row of buttons: a wide formula or a step of six
    runs once widened the panel's text past its dock, clipping every line. Each step of
    every lesson, typeset, fits the panel's scroll area, in a wide and a narrow window."""
    window = make_window()
    panel = panel_of(window)
    window.open_lesson(lessons.catalog()[0].id)
    qtbot.waitUntil(lambda: on_screen(panel), timeout=5000)
    for size in ((1400, 900), (1024, 700)):
        window.resize(*size)
        qtbot.wait(150)
        for lesson in lessons.catalog():
            window.open_lesson(lesson.id)
            for i in range(len(lesson.steps)):
                panel.show_step(i)
                keys = panel._formula_keys()
                if keys:       # typeset (on a thread), then drawn with the images
                    from playground.ui import formula_render, formula_tips
                    qtbot.waitUntil(lambda: all(
                        formula_render.cached(t, panel.palette().text().color(),
                                              panel._formula_size()) is not None
                        for t in formula_tips.latex_of(keys)), timeout=20000)
                    panel._draw_step()
                inner = panel.scroll.widget()
                inner.layout().activate()
                room = panel.scroll.viewport().width()
                assert inner.minimumSizeHint().width() <= room, (size, lesson.id, i)
                qtbot.waitUntil(                # the scroll area places it on its turn
                    lambda: inner.width() <= panel.scroll.viewport().width(), timeout=1000)

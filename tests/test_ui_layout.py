"""The rebuilt window: left to right, sized to the screen, and no data set forces it wider.

At 1024x700 every source must fit (before, a table forced a minimum width of 1,186-1,259
px); the regions plot stays square and framed by the data; the first window takes most of
the screen it opens on.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QSize  # noqa: E402
from ui_helpers import errors, finished, make_window, opened, settings, snapshot_after  # noqa: E402, F401

from playground.ui.main_window import first_size  # noqa: E402

SOURCES = ["circle", "spiral", "iris", "wine", "breast_cancer", "digits", "diabetes"]


@pytest.mark.parametrize("source", SOURCES)
def test_no_data_set_forces_the_window_wider_than_1024x700(qtbot, make_window, tmp_path,
                                                           source):
    w = make_window(size=(1024, 700))
    cfg = json.loads(w.model.config.to_json())
    cfg["data"] = {"source": source}
    path = tmp_path / "run.json"
    path.write_text(json.dumps(cfg))
    assert opened(qtbot, w, path)
    snapshot_after(qtbot, w, w.controller.step_epoch, lambda s: s.epoch == 1)
    qtbot.wait(50)
    hint = w.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 700, (hint.width(), hint.height())
    assert (w.width(), w.height()) == (1024, 700)


def test_a_csv_with_long_column_names_fits(qtbot, make_window, tmp_path, errors):
    w = make_window(size=(1024, 700))
    names = [f"a_rather_long_measurement_name_{i}_in_millimetres" for i in range(6)]
    csv = tmp_path / "long.csv"
    csv.write_text(",".join(names) + ",label\n" + "".join(
        ",".join(str((i * (j + 3)) % 17) for j in range(6)) + f",{i % 3}\n" for i in range(60)))
    assert finished(qtbot, lambda done: w.open_csv(str(csv), on_done=done)), errors
    qtbot.wait(50)
    assert w.minimumSizeHint().width() <= 1024 and w.width() == 1024


def test_the_regions_plot_is_square_and_framed_by_the_data(qtbot, make_window):
    w = make_window({"data": {"source": "spiral", "noise": 0.0},
                     "model": {"type": "mlp", "layers": [{"type": "dense", "units": 4}]}},
                    size=(1400, 900))
    snapshot_after(qtbot, w, w.controller.step_epoch, lambda s: s.epoch == 1)
    qtbot.wait(150)
    plot = w.decision_plot.widget
    assert abs(plot.width() - plot.height()) <= 2
    (x0, x1), (y0, y1) = w.decision_plot.plot.getViewBox().viewRange()
    raw = w.trainer.dataset.raw_train
    # the view is the data's range plus a small margin: no half of it empty extrapolation
    span = max(raw[:, 0].max() - raw[:, 0].min(), raw[:, 1].max() - raw[:, 1].min())
    assert (x1 - x0) < 1.25 * span and (y1 - y0) < 1.25 * span
    assert x0 <= raw[:, 0].min() and x1 >= raw[:, 0].max()


@pytest.mark.parametrize("screen, expected", [
    ((1600, 1000), (1440, 900)), ((1920, 1080), (1728, 972)), ((3840, 2160), (1920, 1080)),
    ((1024, 700), (1024, 700)), ((900, 600), (900, 600))])
def test_the_first_window_takes_most_of_its_screen(screen, expected):
    size = first_size(QSize(*screen))
    assert (size.width(), size.height()) == expected


def test_the_code_tab_shows_a_whole_line_and_gives_the_width_back(qtbot, make_window):
    w = make_window(size=(1400, 900))
    qtbot.wait(50)
    before = w.main_split.sizes()
    w.center_tabs.setCurrentWidget(w.code_view)
    qtbot.wait(50)
    editor = w.code_view.editors["PyTorch"]
    longest = max(len(line) for line in editor.toPlainText().splitlines())
    shown = editor.viewport().width() // editor.fontMetrics().horizontalAdvance("M")
    assert shown >= longest, (shown, longest)
    w.center_tabs.setCurrentIndex(0)
    qtbot.wait(50)
    assert w.main_split.sizes() == before


def test_space_toggles_a_focused_checkbox_instead_of_playing(qtbot, make_window):
    from PySide6.QtCore import Qt
    w = make_window(size=(1400, 900))
    w.activateWindow()
    box = w.dataset_panel.standardize_check
    box.setFocus()
    qtbot.waitUntil(lambda: box.hasFocus(), timeout=2000)
    was = box.isChecked()
    qtbot.keyClick(box, Qt.Key_Space)
    qtbot.wait(100)
    assert box.isChecked() != was and not w._playing
    # with nothing that takes it focused, Space plays
    w.decision_plot.widget.setFocus()
    qtbot.keyClick(w.decision_plot.widget, Qt.Key_Space)
    qtbot.waitUntil(lambda: w._playing, timeout=5000)
    w.toggle_play()


def test_arrows_and_space_stay_with_a_focused_slider_tab_bar_or_guide(qtbot, make_window):
    from PySide6.QtCore import Qt
    w = make_window(size=(1400, 900))
    w.activateWindow()
    steps = w.trainer.steps

    def still():
        qtbot.wait(150)
        return w.trainer.steps == steps and not w._playing

    tabs = w.center_tabs
    tabs.setCurrentIndex([tabs.tabText(i) for i in range(tabs.count())].index("Runs"))
    slider = w.runs_view.plot.smooth_slider
    slider.setFocus()
    qtbot.waitUntil(slider.hasFocus, timeout=2000)
    value = slider.value()
    qtbot.keyClick(slider, Qt.Key_Right)
    assert slider.value() == value + slider.singleStep() and still()
    bar = w.output_tabs.tabBar()
    bar.setFocus()
    qtbot.waitUntil(bar.hasFocus, timeout=2000)
    index = w.output_tabs.currentIndex()
    qtbot.keyClick(bar, Qt.Key_Right)
    assert w.output_tabs.currentIndex() == index + 1 and still()
    w.show_guide()
    browser = w.guide.browser
    w.guide.activateWindow()
    browser.setFocus()
    qtbot.waitUntil(browser.hasFocus, timeout=2000)
    scroll = browser.verticalScrollBar()
    assert scroll.maximum() > 0
    qtbot.keyClick(browser, Qt.Key_Space)      # a reader's page down
    assert scroll.value() > 0 and still()
    w.guide.close()


def test_the_toolbar_holds_still_between_play_and_pause(qtbot, make_window):
    w = make_window(size=(1400, 900))
    from PySide6.QtWidgets import QToolButton
    step = next(b for b in w.findChildren(QToolButton) if b.defaultAction() is w.step_batch_action)
    x = step.x()
    w.play_action.setText("Pause")
    qtbot.wait(50)
    assert step.x() == x
    w.play_action.setText("Play")


def test_view_fit_frames_the_data_again_after_a_zoom(qtbot, make_window):
    from PySide6.QtCore import Qt
    from ui_helpers import action
    w = make_window({"data": {"source": "circle"},
                     "model": {"type": "mlp", "layers": [{"type": "dense", "units": 3}]}})
    snapshot_after(qtbot, w, w.controller.step_epoch, lambda s: s.epoch == 1)
    box = w.decision_plot.plot.getViewBox()
    framed = box.viewRange()
    box.scaleBy((0.3, 0.3))
    assert box.viewRange()[0][1] - box.viewRange()[0][0] < 0.5 * (framed[0][1] - framed[0][0])
    action(w, "Fit the regions to the data").trigger()
    after = box.viewRange()
    assert all(abs(a - b) < 1e-6 for pa, pb in zip(after, framed) for a, b in zip(pa, pb))
    # or a double-click on the plot, as a user tries first
    box.scaleBy((0.3, 0.3))
    view = w.decision_plot.widget
    centre = view.mapFromScene(box.sceneBoundingRect().center())
    qtbot.mouseDClick(view.viewport(), Qt.LeftButton, pos=centre)
    qtbot.mouseRelease(view.viewport(), Qt.LeftButton, pos=centre)  # a real one ends so
    qtbot.waitUntil(lambda: all(abs(a - b) < 1e-6 for pa, pb in zip(box.viewRange(), framed)
                                for a, b in zip(pa, pb)), timeout=3000)


def test_the_stall_meter_sees_a_blocked_event_loop(qtbot):
    import time

    from playground.ui.stall_meter import StallMeter
    meter = StallMeter()
    meter.start()
    qtbot.wait(50)
    time.sleep(0.3)                    # the UI thread does something long
    qtbot.wait(50)
    meter.stop()
    assert 0.28 < max(meter.gaps) < 1.0
    assert meter.stalls_ms()[-1] > 250 and meter.stalls_ms()[0] < 50
    assert meter.longest_busy() < 0.1  # sleeping is not work


def test_the_stall_meter_counts_the_ui_threads_own_work(qtbot):
    import time

    from playground.ui.stall_meter import StallMeter
    meter = StallMeter()
    meter.start()
    qtbot.wait(50)
    end = time.thread_time() + 0.3
    while time.thread_time() < end:  # the UI thread computes something long
        pass
    qtbot.wait(50)
    meter.stop()
    assert 0.28 < meter.longest_busy() < 1.0
    assert max(meter.gaps) >= meter.longest_busy()
    assert sorted(meter.busy)[len(meter.busy) // 2] < 0.05

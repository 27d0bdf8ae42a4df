"""The Runs view in the window: a replaced run is kept with its real scores, runs are shown
and hidden, their differences listed, curves smoothed, the table and plot exported, and a
duplicate with one change starts a run that differs in exactly that key."""

from __future__ import annotations

import csv
import dataclasses
import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("pytestqt")
pg = pytest.importorskip("pyqtgraph")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QWidget  # noqa: E402

from playground.runs import table  # noqa: E402
from playground.runs.compare import differences, duplicate_with  # noqa: E402
from playground.runs.smoothing import ema  # noqa: E402
from playground.ui import plot_style as ps  # noqa: E402
from playground.ui import theme  # noqa: E402
from ui_helpers import errors, make_window, settings, snapshot_after  # noqa: E402, F401

#: a small, quick run: 120 training rows (the dynamics are recorded every few epochs)
SMALL = {"seed": 3, "data": {"source": "xor", "samples": 160, "test_fraction": 0.25},
         "model": {"type": "mlp", "layers": [{"type": "dense", "units": 4,
                                              "activation": "tanh"}]},
         "train": {"epochs": 200, "batch_size": 16, "optimizer": {"name": "sgd",
                                                                  "lr": 0.1}}}


def epochs(qtbot, window, n: int) -> None:
    """Train ``n`` more epochs and wait for the snapshot that shows them."""
    target = window.trainer.epoch + n  # read on the UI thread before the worker moves on
    for _ in range(n):
        window.controller.step_epoch()
    snapshot_after(qtbot, window, lambda: None, lambda s: s.epoch >= target)


def replaced(qtbot, window, change) -> object:
    """Do ``change()`` (a Reset, an edit), wait until the outgoing run is kept; the trainer
    it had (no thread owns it any more)."""
    old, kept = window.trainer, len(window.runs_view.store)
    change()
    qtbot.waitUntil(lambda: len(window.runs_view.store) == kept + 1, timeout=30000)
    assert window.trainer is not old
    return old


@pytest.fixture
def window(make_window, qtbot):
    w = make_window(SMALL)
    assert w.runs_view is not None
    w.center_tabs.setCurrentWidget(w.runs_view)
    qtbot.waitExposed(w.runs_view)
    return w


def cell(view, row: int, header: str) -> str:
    t = view.table
    headers = [t.horizontalHeaderItem(j).text() for j in range(t.columnCount())]
    return t.item(row, headers.index(header)).text()


def test_the_view_is_found_by_its_name_and_lists_the_live_run(window, qtbot):
    found = [w for w in window.findChildren(QWidget) if w.accessibleName() == "Runs"]
    assert found == [window.runs_view]
    assert window.center_tabs.tabText(window.center_tabs.indexOf(window.runs_view)) == "Runs"
    view = window.runs_view
    assert view.table.rowCount() == 1
    assert view.table.verticalHeaderItem(0).text() == "live"
    epochs(qtbot, window, 3)
    view.flush()
    assert cell(view, 0, "epochs") == "3"
    assert cell(view, 0, "train loss") == table.format_score(
        "train_loss", window._last_snap.last("train_loss"))


def test_a_reset_keeps_the_old_run_with_its_real_scores(window, qtbot):
    view = window.runs_view
    replaced_before = len(view.store)
    window.reset()                      # no step trained: nothing to keep
    qtbot.wait(300)
    assert len(view.store) == replaced_before == 0
    epochs(qtbot, window, 4)
    live_name = view.live.name
    old = replaced(qtbot, window, window.reset)
    record = view.store.records[0]
    truth = old.evaluate()               # the trainer's own numbers, not the snapshot's
    assert record.final == truth and record.epochs == old.epoch == 4
    assert record.name == live_name and record.config == old.config
    assert record.best.train_loss == min(h["train_loss"] for h in old.history)
    assert view.table.rowCount() == 2 and view.table.verticalHeaderItem(1).text() == "live"
    assert view.table.item(0, 0).text() == live_name
    assert cell(view, 0, "train loss") == table.format_score("train_loss", truth.train_loss)
    assert cell(view, 0, "test acc.") == table.format_score("test_accuracy",
                                                            truth.test_accuracy)
    assert cell(view, 0, "epochs") == "4"
    # its curve is the old run's history
    raw, smooth = view.plot.curves(record.id)
    np.testing.assert_array_equal(smooth.yData, [h["test_loss"] for h in old.history])


def test_a_rebuild_keeps_the_run_and_the_table_shows_the_difference(window, qtbot):
    view = window.runs_view
    epochs(qtbot, window, 2)
    replaced(qtbot, window, lambda: window.model.update_train(batch_size=8))
    epochs(qtbot, window, 2)
    view.flush()
    headers = [view.table.horizontalHeaderItem(j).text() for j in range(view.table.columnCount())]
    assert "train.batch_size" in [view.table.horizontalHeaderItem(j).toolTip()
                                  for j in range(view.table.columnCount())]
    assert cell(view, 0, "train.batch_size") == "16" and cell(view, 1, "train.batch_size") == "8"
    assert headers[0] == "Run" and headers[-2:] == ["epochs", "time"]
    assert view.differences_shown() == {"train.batch_size": ["16", "8"]}


def test_runs_are_shown_and_hidden(window, qtbot):
    view = window.runs_view
    epochs(qtbot, window, 2)
    replaced(qtbot, window, window.reset)
    kept = view.store.records[0]
    item = view.table.item(0, 0)
    assert item.checkState() == Qt.Checked and kept.id in view.plot._items
    item.setCheckState(Qt.Unchecked)
    assert not view.store.is_shown(kept.id) and kept.id not in view.plot._items
    assert view.table.item(0, 0).checkState() == Qt.Unchecked
    assert "Tick two runs" in view.differences.note.text()
    view.table.item(0, 0).setCheckState(Qt.Checked)
    assert view.store.is_shown(kept.id) and kept.id in view.plot._items
    # the live run too
    live = view.live.id
    view.table.item(1, 0).setCheckState(Qt.Unchecked)
    assert not view.is_shown(live) and live not in view.plot._items
    # and a name edited in place
    view.table.item(0, 0).setText("baseline")
    qtbot.waitUntil(lambda: view.store.get(kept.id).name == "baseline")
    assert view.table.item(0, 0).text() == "baseline"


def test_smoothing_is_the_debiased_ema_with_the_raw_curve_behind(window, qtbot):
    view = window.runs_view
    epochs(qtbot, window, 12)
    replaced(qtbot, window, window.reset)
    record = view.store.records[0]
    raw, smooth = view.plot.curves(record.id)
    y = record.curves["test_loss"]
    assert raw.xData is None or len(raw.xData) == 0       # unsmoothed: one curve
    view.plot.set_smoothing(0.6)
    np.testing.assert_allclose(smooth.yData, ema(y, 0.6))
    np.testing.assert_array_equal(raw.yData, y)
    assert raw.opts["pen"].color().alpha() < smooth.opts["pen"].color().alpha()
    assert view.plot.smooth_label.text() == "0.60"
    view.plot.log_check.setChecked(True)
    assert view.plot.plot.getAxis("left").logMode
    np.testing.assert_allclose(smooth.yData, ema(y, 0.6))  # the data; pyqtgraph takes log10
    view.plot.set_metric("learning rate")
    np.testing.assert_allclose(raw.yData, record.curves["lr"])


def test_gradient_norms_are_a_metric_once_recorded(window, qtbot):
    view = window.runs_view
    every = window.run.dynamics_every
    assert 1 < every <= 40
    epochs(qtbot, window, 1)
    view.flush()
    assert not [m for m in view.plot._metrics if m.layer is not None]   # none recorded yet
    epochs(qtbot, window, every)
    view.flush()
    labels = [view.plot.metric_combo.itemText(i) for i in range(view.plot.metric_combo.count())]
    assert "gradient norm, layer 1" in labels and "gradient norm, output" in labels
    view.plot.set_metric("gradient norm, layer 1")
    _, smooth = view.plot.curves(view.live.id)
    dyn = window._last_snap.dynamics.curves
    np.testing.assert_array_equal(smooth.xData, dyn["epoch"])
    np.testing.assert_array_equal(smooth.yData, dyn["grad_norm.0"])


def test_the_csv_holds_the_table(window, qtbot, tmp_path):
    view = window.runs_view
    epochs(qtbot, window, 3)
    old = replaced(qtbot, window, lambda: window.model.update_optimizer(lr=0.05) or
                   window.model.update_train(batch_size=8))
    epochs(qtbot, window, 1)
    view.flush()
    path = tmp_path / "runs.csv"
    view.export_csv(path)
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 2 and rows[0]["name"] == view.store.records[0].name
    assert float(rows[0]["final_train_loss"]) == old.evaluate().train_loss
    assert rows[0]["train.batch_size"] == "16" and rows[1]["train.batch_size"] == "8"
    assert rows[0]["epochs"] == "3" and rows[1]["epochs"] == "1"
    assert not list(tmp_path.glob(".runs.csv.*"))            # no temporary file left
    with pytest.raises(OSError):
        view.export_csv(tmp_path / "missing" / "runs.csv")


@pytest.mark.parametrize("theme_name", ["light", "dark"])
def test_the_plot_exports_as_png_and_svg(window, qtbot, tmp_path, theme_name):
    theme.apply(theme_name)
    view = window.runs_view
    epochs(qtbot, window, 3)
    replaced(qtbot, window, window.reset)
    epochs(qtbot, window, 2)
    view.flush()
    assert view.plot.widget.backgroundBrush().color().name() == \
        ps.THEMES[theme_name].background
    png, svg = tmp_path / "runs.png", tmp_path / "runs.svg"
    view.export_plot(png)
    view.export_plot(svg)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = QImage(str(png))
    from playground.ui.runs_figure import FIGURE_SIZE
    assert not image.isNull() and image.width() == FIGURE_SIZE[0]
    assert image.height() > FIGURE_SIZE[1]                    # and a legend below
    corner = image.pixelColor(3, 3).name()                    # the theme's ground
    assert corner == ps.THEMES[theme_name].background
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    strokes = {e.get("stroke") for e in root.iter()}
    assert {r.colour for r in view.shown_records()} <= strokes   # every run's curve is in it
    assert any(e.tag.endswith("polyline") for e in root.iter())
    text = " ".join("".join(e.itertext()) for e in root.iter() if e.tag.endswith("text"))
    assert all(r.name in text for r in view.shown_records())     # named in its legend
    with pytest.raises(ValueError, match="PNG or SVG"):
        view.export_plot(tmp_path / "runs.gif")


def test_duplicate_with_one_change_starts_that_run(window, qtbot):
    view = window.runs_view
    epochs(qtbot, window, 2)
    source = window.model.config
    source_name = view.live.name
    old = replaced(qtbot, window, lambda: view.duplicate("train.optimizer.lr", 0.3))
    assert differences([source, window.trainer.config]) == {"train.optimizer.lr": (0.1, 0.3)}
    assert view.store.records[0].config == old.config == source
    assert view.live.name == f"{source_name}, optimizer.lr=0.3"
    # a layer's units, from the kept run (selected in the table)
    view.select(view.store.records[0].id)
    assert view.duplicate("model.layers[0].units", 7) is None
    qtbot.waitUntil(lambda: window.trainer.config.model.layers[0].units == 7)
    assert differences([source, window.trainer.config]) == {"model.layers[0].units": (4, 7)}
    # refusals are one line, and change nothing
    current = window.model.config
    for key, value, said in (("train.optimizer.lr", -1, "must be > 0"),
                             ("train.nope", 1, "nope"),
                             ("model.layers[5].units", 3, "does not exist"),
                             ("train.optimizer.lr", 0.1, "already")):
        view.select(view.store.records[0].id)
        error = view.duplicate(key, value)
        assert error and said in error and "\n" not in error, error
    assert window.model.config == current


def test_the_duplicate_dialog_says_what_is_wrong_inline(window, qtbot):
    from playground.ui.duplicate_dialog import DuplicateDialog, parse_value
    submitted = []

    def submit(key, value):
        submitted.append((key, value))
        return None if value == 0.2 else "train.optimizer.lr must be > 0, got -1"

    dialog = DuplicateDialog(window.model.config, "run 1", submit, window)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.key_edit.text() == "train.optimizer.lr" and dialog.now_label.text() == "0.1"
    dialog.key_edit.setText("model.layers[0].activation")
    assert dialog.now_label.text() == "tanh"
    dialog.key_edit.setText("train.optimizer.lr")
    dialog.accept()                                  # nothing typed
    assert dialog.isVisible() and "type the new value" in dialog.error.text()
    dialog.value_edit.setText("-1")
    dialog.accept()
    assert dialog.isVisible() and dialog.error.isVisible()
    assert dialog.error.text() == "train.optimizer.lr must be > 0, got -1"
    dialog.value_edit.setText("0.2")
    assert not dialog.error.isVisible()              # an edit clears it
    dialog.accept()
    assert not dialog.isVisible() and submitted[-1] == ("train.optimizer.lr", 0.2)
    assert parse_value("relu") == "relu" and parse_value("[1, 2]") == [1, 2]
    assert parse_value("True") is True and parse_value(" 1e-3 ") == 0.001


def test_the_live_row_is_not_drawn_while_the_tab_is_hidden(window, qtbot):
    view = window.runs_view
    window.center_tabs.setCurrentIndex(0)
    epochs(qtbot, window, 2)
    view.flush()
    assert view.live_record.epochs == 0                 # hidden: kept for later
    window.center_tabs.setCurrentWidget(view)
    qtbot.waitUntil(lambda: view.live_record.epochs == 2)


def test_a_workspace_keeps_the_runs_and_a_corrupt_one_is_said_in_one_line(
        window, qtbot, make_window, tmp_path):
    import json
    import zipfile

    from ui_helpers import finished, opened
    view = window.runs_view
    epochs(qtbot, window, 3)
    replaced(qtbot, window, lambda: window.model.update_train(batch_size=8))
    epochs(qtbot, window, 2)
    replaced(qtbot, window, window.reset)
    view.rename(view.store.records[0].id, "first")
    view.set_shown(view.store.records[1].id, False)
    epochs(qtbot, window, 1)
    path = tmp_path / "runs.playground"
    assert finished(qtbot, lambda done: window.workspaces.save(path, done))
    kept = [(r.name, r.final, r.epochs, r.config) for r in view.store]

    later = make_window()
    assert opened(qtbot, later, path)
    back = later.runs_view
    assert [(r.name, r.final, r.epochs, r.config) for r in back.store] == kept
    assert [back.store.is_shown(r.id) for r in back.store] == [True, False]
    assert later.trainer.epoch == 1 and back.errors == []

    # one entry spoiled: the others and the run open; a line says which was left out
    spoiled = tmp_path / "spoiled.playground"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(spoiled, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "runs.json":
                runs = json.loads(data)
                del runs[0]["record"]["curves"]
                data = json.dumps(runs).encode()
            dst.writestr(name, data)
    third = make_window()
    assert opened(qtbot, third, spoiled)
    assert [r.name for r in third.runs_view.store] == [kept[1][0]]
    assert len(third.runs_view.errors) == 1 and "\n" not in third.runs_view.errors[0]
    assert "saved run 1 cannot be read" in third.runs_view.count_label.text()


@pytest.mark.parametrize("config, score", [
    ({"data": {"source": "plane", "samples": 120, "test_fraction": 0.25},
      "model": {"type": "mlp", "layers": [{"type": "dense", "units": 3}]},
      "train": {"batch_size": 16}}, "test R²"),
    ({"data": {"source": "gauss", "samples": 80, "test_fraction": 0.25},
      "model": {"type": "perceptron"}}, "test acc."),
])
def test_regression_and_perceptron_runs_are_kept_with_their_scores(make_window, qtbot,
                                                                   config, score):
    window = make_window(config)
    view = window.runs_view
    window.center_tabs.setCurrentWidget(view)
    epochs(qtbot, window, 2)
    old = replaced(qtbot, window, window.reset)
    key = {"test R²": "test_r2", "test acc.": "test_accuracy"}[score]
    truth = getattr(old.evaluate(), key)
    assert getattr(view.store.records[0].final, key) == truth
    assert cell(view, 0, score) == table.format_score(key, truth)
    view.select(view.store.records[0].id)
    assert view.remove_button.isEnabled()
    view.remove_button.click()
    assert len(view.store) == 0 and view.table.rowCount() == 1


def test_a_sweep_from_the_app_joins_the_table_as_a_group(window, qtbot, tmp_path):
    """Two learning rates times two seeds, in worker processes (one core left to the
    window): four runs kept, a colour per learning rate, the folder written as
    ``playground sweep`` writes it."""
    from playground.runs.sweep import default_jobs
    from playground.ui.sweep_dialog import SweepDialog, parse_sets
    view = window.runs_view
    sweep = view.sweep
    assert sweep.runner.jobs == default_jobs(leave=1)
    config = window.model.config.replace(
        train=window.model.config.train.__class__.from_dict(
            {**window.model.config.train.to_dict(), "epochs": 3}))
    dialog = SweepDialog(config, "run 1", str(tmp_path), sweep.runner.jobs, None, view)
    qtbot.addWidget(dialog)
    dialog.sets_edit.setPlainText("train.optimizer.lr=0.05,0.2")
    dialog.seeds_spin.setValue(2)
    assert dialog.count_label.text() == "4 runs, 12 epochs in all"
    dialog.sets_edit.setPlainText("train.optimizer.lr=0.05,-1")
    dialog.accept()
    assert dialog.error.isVisibleTo(dialog) and "\n" not in dialog.error.text()
    assert "lr" in dialog.error.text() and dialog.plan() is None
    dialog.sets_edit.setPlainText("train.optimizer.lr=0.05,0.2")
    out = tmp_path / "sweep"
    dialog.out_edit.setText(str(out))
    dialog.accept()
    runs, folder, keys = dialog.plan()
    assert len(runs) == 4 and keys == ["train.optimizer.lr"]
    with pytest.raises(Exception, match="no values|give a key"):
        parse_sets("  \n")

    sweep.start(runs, folder, keys)
    assert sweep.bar.isVisibleTo(view) and not sweep.button.isEnabled()
    qtbot.waitUntil(lambda: sweep.result is not None or bool(view.errors), timeout=240000)
    assert not view.errors, view.errors
    assert (out / "summary.csv").is_file() and sweep.button.isEnabled()
    kept = view.store.records
    assert sorted(r.name for r in kept) == sorted(f"sweep 1: {name}" for name, _ in runs)
    colours = {r.config.train.optimizer.lr: set() for r in kept}
    for r in kept:
        colours[r.config.train.optimizer.lr].add(r.colour)
    assert all(len(c) == 1 for c in colours.values())                # one per group
    assert len({c.pop() for c in colours.values()}) == 2
    assert all(r.epochs == 3 for r in kept)
    assert "train.optimizer.lr" in [view.table.horizontalHeaderItem(j).toolTip()
                                    for j in range(view.table.columnCount())]


def test_a_sweeps_finished_runs_join_together_not_one_redraw_each(window, qtbot):
    """Runs that finish within JOIN_INTERVAL of each other join the table in one refill
    (a refill of a dozen rows, the plot and the differences is tens of ms: one per run
    was the window's longest stall while a sweep ran); the last ones join when it ends."""
    from types import SimpleNamespace

    from playground.runs.record import RunRecord
    from playground.ui import runs_sweep
    view = window.runs_view
    sweep = view.sweep
    refills = []    # a refill, or rows added to the table: each redraws the plot once
    real = view.plot.show_runs
    view.plot.show_runs = lambda *a: (refills.append(len(view.store)), real(*a))[1]
    before = len(view.store)
    records = [RunRecord.of(window.trainer, name=f"r{i}") for i in range(4)]
    for i, record in enumerate(records[:3]):
        sweep._progressed(SimpleNamespace(epochs_done=i, runs_done=i + 1, runs_total=4,
                                          finished=record))
    assert len(view.store) == before and refills == []       # none redrawn one by one
    qtbot.waitUntil(lambda: len(view.store) == before + 3,
                    timeout=int(4000 * runs_sweep.JOIN_INTERVAL))
    assert refills == [before + 3]                            # all three in one refill
    sweep._progressed(SimpleNamespace(epochs_done=4, runs_done=4, runs_total=4,
                                      finished=records[3]))
    drawn = []
    plot = view.plot
    real_draw = plot._draw
    plot._draw = lambda record: (drawn.append(record.name), real_draw(record))[1]
    sweep._done("done")                                       # the sweep ends: it joins now
    assert len(view.store) == before + 4 and refills == [before + 3, before + 4]
    assert drawn == ["r3"]               # the curves already drawn are left as they are
    plot.log_check.setChecked(True)      # a setting that changes them redraws them all
    assert {"r0", "r1", "r2", "r3"} <= set(drawn)


def _table_cells(view) -> list:
    t = view.table
    return ([t.horizontalHeaderItem(j).text() for j in range(t.columnCount())],
            [t.verticalHeaderItem(i).text() for i in range(t.rowCount())],
            [[(t.item(i, j).text(), t.item(i, j).font().italic(),
               int(t.item(i, j).textAlignment()))
              for j in range(t.columnCount())] for i in range(t.rowCount())],
            [t.item(i, 0).checkState() for i in range(t.rowCount())])


def test_runs_that_join_are_rows_inserted_as_a_refill_would_draw_them(window, qtbot):
    """Kept runs whose joining changes no column get rows of their own above the live row;
    the other rows keep their items (a refill remakes every row: a long sweep's joins grew
    dearer one after another). The table reads as a refill draws it; a join that brings a
    new column (a key that now differs) refills."""
    from playground.runs.record import RunRecord
    view = window.runs_view
    base = window.trainer.config
    def with_lr(lr):
        config = duplicate_with(base, "train.optimizer.lr", lr)
        return dataclasses.replace(RunRecord.of(window.trainer, name=f"lr {lr}"),
                                   config=config)
    first = [with_lr(lr) for lr in (0.01, 0.02)]
    view.store.add_many(first)       # lr now differs: a new column, so a refill
    before = [view.table.item(i, 0) for i in range(view.table.rowCount())]
    refills = []
    real = view._refill
    view._refill = lambda: (refills.append(1), real())[1]
    more = [with_lr(lr) for lr in (0.03, 0.04)]
    view.store.add_many(more)
    assert refills == []
    t = view.table
    assert t.rowCount() == len(before) + 2
    assert [t.item(i, 0) for i in range(len(before) - 1)] == before[:-1]   # kept items
    assert t.item(t.rowCount() - 1, 0) is before[-1]                       # the live row
    inserted = _table_cells(view)
    view._refill = real
    view._refill()
    assert _table_cells(view) == inserted
    assert [t.item(i, 0).text() for i in range(t.rowCount())][-3:-1] == ["lr 0.03", "lr 0.04"]
    other = duplicate_with(base, "seed", base.seed + 7)
    view._refill = lambda: (refills.append(1), real())[1]
    view.store.add(dataclasses.replace(RunRecord.of(window.trainer, name="seed"),
                                       config=other))
    assert refills == [1]            # seed now differs too: a new column, a refill
    assert "seed" in _table_cells(view)[0]


def test_a_sweeps_curves_are_made_ahead_and_taken_when_its_runs_join(window, qtbot):
    """``reserve`` makes the curves of runs about to join over several event-loop turns,
    hidden (out of the view's range); joining runs take them, drawn and shown, instead of
    making theirs in the join's turn."""
    from playground.runs.record import RunRecord
    view = window.runs_view
    plot = view.plot
    made = []
    real_new = plot._new_pair
    plot._new_pair = lambda: (made.append(1), real_new())[1]
    plot.reserve(3)
    assert len(plot._spares) < 3                      # not all in the caller's turn
    qtbot.waitUntil(lambda: len(plot._spares) == 3)
    assert all(not item.isVisible() for pair in plot._spares for item in pair)
    made.clear()
    spares = [item for pair in plot._spares for item in pair]
    records = [RunRecord.of(window.trainer, name=f"r{i}") for i in range(2)]
    view.store.add_many(records)
    assert made == []                                 # taken, none made in this turn
    for record in records:
        pair = plot.curves(record.id)
        assert all(item.isVisible() and any(item is s for s in spares) for item in pair)
    assert len(plot._spares) == 1 and plot._reserved == 1
    qtbot.wait(50)
    assert len(plot._spares) == 1                     # no more made than reserved


def test_a_colours_swatch_is_painted_once_and_shows_the_colour(qtbot):
    from playground.ui.runs_differences import SWATCH, swatch
    red, again, blue = swatch("#d62728"), swatch("#d62728"), swatch("#1f77b4")
    assert red.cacheKey() == again.cacheKey() != blue.cacheKey()
    middle = red.pixmap(SWATCH, SWATCH).toImage().pixelColor(SWATCH // 2, SWATCH // 2)
    assert middle.name() == "#d62728"

"""The sample gallery: thumbnails are the raw rows, misclassified first, a click names its row;
and the engine side (which rows, which predicted classes) against ``Trainer.predict``."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from conftest import run_config, trainer  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QColor  # noqa: E402

from playground.data.dataset import Dataset  # noqa: E402
from playground.engine import sample_predictions as sp  # noqa: E402
from playground.engine.trainer import Trainer  # noqa: E402
from playground.run_info import RunInfo  # noqa: E402
from playground.ui import theme  # noqa: E402
from playground.ui.sample_gallery import (FRAME, WARNING_DARK, WARNING_LIGHT,  # noqa: E402
                                          SampleGallery)
from playground.ui.view import RunView  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    """A digits run (8 x 8 pixels, 0..16), 20% test, trained for one epoch."""
    t = Trainer(run_config(source="digits", data={"test_fraction": 0.2}, epochs=1))
    t.run_epochs(1)
    return t


def images(n=10, side=4, k=3, seed=0, test=0):
    """Random "pictures" with raw values in [-3, 5] (so the min-max scale is not 0..1)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3.0, 5.0, size=(n + test, side * side))
    x[0, 0], x[1, 1] = -3.0, 5.0
    y = np.arange(n + test) % k
    return Dataset.from_arrays(x[:n], y[:n], x[n:] if test else None, y[n:] if test else None)


@pytest.fixture
def make(qtbot):
    def build(t: Trainer) -> SampleGallery:
        w = SampleGallery()
        qtbot.addWidget(w)
        w.resize(520, 420)
        w.show()
        qtbot.waitExposed(w)
        w.set_run(RunInfo.of(t))
        return w
    return build


def icon_grey(w: SampleGallery, row: int) -> np.ndarray:
    """The grey levels (side, side) drawn in a thumbnail's icon, read at each square's centre."""
    item = w.item_of(row)
    image = item.icon().pixmap(w.list.iconSize()).toImage()
    side = w.side
    k = (image.width() - 2 * FRAME) // side
    return np.array([[QColor(image.pixel(FRAME + c * k + k // 2, FRAME + r * k + k // 2)).red()
                      for c in range(side)] for r in range(side)])


def caption_color(w: SampleGallery, row: int) -> str | None:
    brush = w.item_of(row).data(Qt.ItemDataRole.ForegroundRole)
    return None if brush is None else QColor(brush.color() if hasattr(brush, "color")
                                             else brush).name()


# --- thumbnails ------------------------------------------------------------------------------

def test_is_a_run_view(make, digits):
    w = make(digits)
    assert isinstance(w, RunView)
    assert w.accessibleName() == "Sample gallery"


def test_digits_thumbnails_are_the_raw_test_rows_reshaped(make, digits):
    w = make(digits)
    ds = digits.dataset
    assert (w.side, w.split) == (8, "test")
    rows = w.shown_rows()
    assert len(rows) == 200 == w.list.count()          # 359 test rows: capped
    for row in (rows[0], rows[57], rows[-1]):
        # digits' pixels run 0..16 over the whole set: grey = 255 * value / 16
        expected = np.rint(255 * ds.raw_test[row] / 16.0).reshape(8, 8)
        np.testing.assert_array_equal(w.pixels(row), expected)
        np.testing.assert_array_equal(icon_grey(w, row), expected)


def test_thumbnails_use_the_raw_rows_scaled_over_the_whole_set(make):
    ds = images(n=12, side=28, test=5, seed=3)       # a 784-column table: 28 x 28
    w = make(trainer(dataset=ds))
    assert (w.side, w.split) == (28, "test")
    lo = min(ds.raw_train.min(), ds.raw_test.min())
    hi = max(ds.raw_train.max(), ds.raw_test.max())
    assert sorted(w.shown_rows()) == list(range(5))
    for row in range(5):
        expected = np.rint(255 * (ds.raw_test[row] - lo) / (hi - lo)).reshape(28, 28)
        np.testing.assert_array_equal(w.pixels(row), expected)
        np.testing.assert_array_equal(icon_grey(w, row), expected)


def test_without_a_test_split_the_training_rows_are_shown(make):
    ds = images(n=9)
    w = make(trainer(dataset=ds))
    assert w.split == "train"
    assert sorted(w.shown_rows()) == list(range(9))
    lo, hi = ds.raw_train.min(), ds.raw_train.max()
    np.testing.assert_array_equal(
        w.pixels(4), np.rint(255 * (ds.raw_train[4] - lo) / (hi - lo)).reshape(4, 4))


def test_the_grid_reflows_with_the_width(make, digits, qtbot):
    w = make(digits)

    def per_row() -> int:
        top = w.list.visualItemRect(w.list.item(0)).top()
        return sum(w.list.visualItemRect(w.list.item(i)).top() == top
                   for i in range(w.list.count()))

    w.resize(300, 400)
    qtbot.waitUntil(lambda: per_row() <= 4, timeout=2000)
    narrow = per_row()
    w.resize(900, 400)
    qtbot.waitUntil(lambda: per_row() > narrow + 3, timeout=2000)
    assert w.list.verticalScrollBar().maximum() > 0        # 200 thumbnails: it scrolls


# --- order and captions ----------------------------------------------------------------------

def test_misclassified_first_in_the_warning_colour(make):
    ds = images(n=10, k=3)                      # true classes 0 1 2 0 1 2 0 1 2 0
    w = make(trainer(dataset=ds))
    rows = np.arange(10)
    predicted = ds.y_train.copy()
    predicted[[7, 2, 5]] = [0, 0, 1]            # rows 2, 5, 7 wrong
    items = [w.item_of(r) for r in rows]
    w.show_predictions(rows, predicted)
    assert w.shown_rows() == [2, 5, 7, 0, 1, 3, 4, 6, 8, 9]
    assert w.misclassified() == [2, 5, 7]
    assert w.item_of(5).text() == "✗ 2 → 1"
    assert w.item_of(4).text() == "1 → 1"
    assert [caption_color(w, r) for r in (2, 5, 7)] == [WARNING_LIGHT] * 3
    assert all(caption_color(w, r) is None for r in (0, 1, 3, 4, 6, 8, 9))
    assert "3 misclassified" in w.summary.text()
    # the model moves on: the same items, re-captioned and re-ordered
    predicted = ds.y_train.copy()
    predicted[9] = 2
    w.show_snapshot(SimpleNamespace(gallery=(rows, predicted), run_id=0))
    assert w.shown_rows() == [9, 0, 1, 2, 3, 4, 5, 6, 7, 8]
    assert caption_color(w, 2) is None and caption_color(w, 9) == WARNING_LIGHT
    assert all(w.item_of(r) is item for r, item in zip(rows, items))


def test_the_warning_colour_follows_the_theme(make, qtbot):
    ds = images(n=6)
    w = make(trainer(dataset=ds))
    predicted = (ds.y_train + 1) % 3
    w.show_predictions(np.arange(6), predicted)
    try:
        # the palette reaches the widgets as events
        theme.apply("dark")
        qtbot.waitUntil(lambda: caption_color(w, 0) == WARNING_DARK, timeout=2000)
        theme.apply("light")
        qtbot.waitUntil(lambda: caption_color(w, 0) == WARNING_LIGHT, timeout=2000)
    finally:
        theme.apply("system")


def test_snapshots_without_a_gallery_or_of_another_run_change_nothing(make, digits):
    w = make(digits)
    rows = sp.gallery_rows(digits.dataset)
    w.show_snapshot(SimpleNamespace(run_id=digits.run_id))            # no gallery field
    assert "waiting for predictions" in w.summary.text()
    w.show_snapshot(SimpleNamespace(gallery=(rows, np.zeros(len(rows), np.int64)),
                                    run_id=digits.run_id + 1000))    # a replaced run's
    assert w.misclassified() == []
    w.show_snapshot(SimpleNamespace(gallery=sp.gallery(digits), run_id=digits.run_id))
    assert "waiting" not in w.summary.text()


# --- selection -------------------------------------------------------------------------------

def test_clicking_a_thumbnail_emits_its_row_and_split(make, digits, qtbot):
    w = make(digits)
    w.show_predictions(*sp.gallery(digits))
    shown = w.shown_rows()
    item = w.list.item(3)
    rect = w.list.visualItemRect(item)
    with qtbot.waitSignal(w.sample_selected, timeout=2000) as blocker:
        qtbot.mouseClick(w.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [shown[3], "test"]
    assert w.selected_row == shown[3]
    # the keyboard: Right moves to the next thumbnail and selects it
    with qtbot.waitSignal(w.sample_selected, timeout=2000) as blocker:
        qtbot.keyClick(w.list, Qt.Key.Key_Right)
    assert blocker.args == [shown[4], "test"]


def test_focus_alone_selects_nothing_and_a_reorder_keeps_the_selection(make, qtbot):
    ds = images(n=8)
    w = make(trainer(dataset=ds))
    got = []
    w.sample_selected.connect(lambda row, split: got.append((row, split)))
    w.list.setFocus()
    qtbot.wait(10)
    assert got == [] and w.selected_row is None
    w.select_row(6)
    assert got == [(6, "train")]
    predicted = ds.y_train.copy()
    predicted[6] = (predicted[6] + 1) % 3
    w.show_predictions(np.arange(8), predicted)      # row 6 moves to the front
    assert w.shown_rows()[0] == 6 and w.selected_row == 6
    assert got == [(6, "train")]


# --- data with no gallery --------------------------------------------------------------------

def test_a_table_that_is_not_an_image_says_so_in_one_line(make):
    t = Trainer(run_config(source="wine", data={"test_fraction": 0.2}))
    w = make(t)
    assert w.pages.currentWidget() is w.message
    text = w.message.text()
    assert "13 inputs of wine" in text and "square image" in text and "\n" not in text
    assert w.list.count() == 0 and not w.applies
    w.show_snapshot(SimpleNamespace(gallery=(np.arange(3), np.zeros(3, np.int64)),
                                    run_id=t.run_id))
    assert w.list.count() == 0


def test_image_shaped_regression_says_so(make):
    rng = np.random.default_rng(0)
    ds = Dataset.from_arrays(rng.normal(size=(12, 16)), rng.normal(size=12),
                             task="regression")
    w = make(trainer(dataset=ds))
    assert w.pages.currentWidget() is w.message and not w.applies
    assert "regression" in w.message.text()


def test_a_new_run_replaces_the_thumbnails(make, digits):
    w = make(digits)
    assert w.list.count() == 200 and w.applies
    w.set_run(RunInfo.of(Trainer(run_config(source="wine"))))
    assert w.list.count() == 0 and w.pages.currentWidget() is w.message
    w.set_run(RunInfo.of(digits))
    assert w.list.count() == 200 and w.pages.currentWidget() is not w.message


# --- the engine side -------------------------------------------------------------------------

@pytest.mark.parametrize("n, side", [(64, 8), (784, 28), (16, 4), (256, 16), (13, None),
                                     (9, None), (4, None), (1, None), (63, None)])
def test_image_side(n, side):
    assert sp.image_side(n) == side


def test_gallery_rows_spread_evenly_up_to_the_limit(digits):
    ds = digits.dataset
    rows = sp.gallery_rows(ds)
    assert len(rows) == sp.GALLERY_LIMIT == 200
    assert rows[0] == 0 and rows[-1] == len(ds.y_test) - 1
    assert np.all(np.diff(rows) >= 1)
    np.testing.assert_array_equal(sp.gallery_rows(ds, limit=1000), np.arange(len(ds.y_test)))
    assert len(sp.gallery_rows(ds, limit=50)) == 50
    assert sp.gallery_rows(images(n=7)).tolist() == list(range(7))


def test_no_gallery_rows_for_tables_or_regression():
    wine = Trainer(run_config(source="wine")).dataset
    assert sp.gallery_rows(wine).size == 0
    rng = np.random.default_rng(0)
    reg = Dataset.from_arrays(rng.normal(size=(12, 16)), rng.normal(size=12), task="regression")
    assert sp.gallery_rows(reg).size == 0


def test_predicted_classes_match_trainer_predict(digits):
    rows = sp.gallery_rows(digits.dataset)
    expected = digits.predict(digits.x_test[rows]).argmax(axis=1)
    got = sp.predicted_classes(digits, rows)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)
    g_rows, g_predicted = sp.gallery(digits)
    np.testing.assert_array_equal(g_rows, rows)
    np.testing.assert_array_equal(g_predicted, expected)
    # rows in any order, and none at all
    some = np.array([17, 3, 250])
    np.testing.assert_array_equal(sp.predicted_classes(digits, some),
                                  digits.predict(digits.x_test[some]).argmax(axis=1))
    assert sp.predicted_classes(digits, np.zeros(0, np.int64)).shape == (0,)


def test_predicted_classes_use_the_training_split_without_a_test_split():
    t = trainer(dataset=images(n=20, k=3), epochs=1)
    t.run_epochs(3)
    rows, predicted = sp.gallery(t)
    np.testing.assert_array_equal(rows, np.arange(20))
    np.testing.assert_array_equal(predicted, t.predict(t.x_train).argmax(axis=1))
    assert sp.gallery(Trainer(run_config(source="wine"))) is None


def test_binary_predicted_classes_read_the_positive_probability():
    ds = images(n=12, k=2)
    t = trainer(dataset=ds)
    probs = t.predict(t.x_train)
    assert probs.shape[1] == 2                   # bce: [1 - p, p]
    np.testing.assert_array_equal(sp.predicted_classes(t, np.arange(12)),
                                  (probs[:, 1] > probs[:, 0]).astype(np.int64))

"""The confusion matrix is counts[true, predicted], in the engine and in every table that draws
it: checked on cells of an asymmetric matrix, so a transpose anywhere shows."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import run_config
from playground.engine.session import Session
from playground.engine.trainer import Trainer


def wine_run(kind: str) -> Trainer:
    """A linear model on wine (3 classes; 11, 26, 16 test rows): "class 0" predicts class 0
    for every row; "shifted" is a trained model with its output rows rolled, so it predicts
    (its class + 1) mod 3: counts off the diagonal, one side only."""
    t = Trainer(run_config([], source="wine", data={"test_fraction": 0.3}, dtype="float64",
                           epochs=5))
    state = t.state_dict()
    if kind == "class 0":
        state["0.weight"] = np.zeros_like(state["0.weight"])
        state["0.bias"] = np.array([3.0, 0.0, 0.0])
    else:
        t.run_epochs(5)
        state = t.state_dict()
        state = {k: np.roll(v, 1, axis=0) for k, v in state.items()}
    t.load_state_dict(state)
    return t


def counted_by_hand(t: Trainer) -> np.ndarray:
    """counts[i, j] = test rows of true class i that ``trainer.predict`` puts in class j."""
    y = t.dataset.y_test
    predicted = t.predict(t.x_test).argmax(axis=1)
    k = t.dataset.n_classes
    counts = np.zeros((k, k), np.int64)
    for true, guess in zip(y, predicted):
        counts[true, guess] += 1
    return counts


@pytest.fixture(scope="module", params=["class 0", "shifted"])
def run(request):
    return wine_run(request.param)


def test_a_model_that_always_says_class_0_fills_column_0():
    t = wine_run("class 0")
    counts = np.bincount(t.dataset.y_test, minlength=3)
    assert counts.tolist() == [11, 26, 16]
    m = Session(t).confusion()
    # rows are the true class: all of class 1's 26 rows sit in row 1, column 0
    assert m[1, 0] == 26 and m[2, 0] == 16 and m[0, 0] == 11
    assert m[0, 1] == 0 and m[0, 2] == 0 and m[:, 1:].sum() == 0


def test_the_session_confusion_is_true_by_predicted(run):
    expected = counted_by_hand(run)
    assert not np.array_equal(expected, expected.T)      # a transpose would show
    s = Session(run)
    np.testing.assert_array_equal(s.confusion(), expected)
    np.testing.assert_array_equal(s.snapshot(with_grid=True).confusion, expected)


# --- the tables that draw it -----------------------------------------------------------------

def _confusion_view(qtbot, t, snap):
    from playground.run_info import RunInfo
    from playground.ui.confusion_view import ConfusionView
    view = ConfusionView()
    qtbot.addWidget(view)
    view.set_run(RunInfo.of(t))
    view.show_snapshot(snap)
    return view, view.table


@pytest.mark.parametrize("draw", [_confusion_view], ids=["ConfusionView"])
def test_the_drawn_table_has_true_rows_and_predicted_columns(qtbot, run, draw):
    expected = counted_by_hand(run)
    snap = Session(run).snapshot(with_grid=True)
    _owner, table = draw(qtbot, run, snap)   # the owner keeps the table alive
    names = run.dataset.class_names                      # class_0, class_1, class_2
    assert (table.rowCount(), table.columnCount()) == (3, 3)
    for i in range(3):
        assert table.verticalHeaderItem(i).text().endswith(names[i])     # true class
        assert table.horizontalHeaderItem(i).text().endswith(names[i])   # predicted class
        for j in range(3):
            assert table.item(i, j).text() == str(expected[i, j]), (i, j)
    if expected[1, 0] == 26:     # "class 0": class_1's rows, all predicted class_0
        assert table.item(1, 0).text() == "26" and table.item(0, 1).text() == "0"

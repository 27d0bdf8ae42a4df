"""The kept runs, Qt-free: the store's order, bound and events; the table's columns and CSV;
the overlay's metrics (per-layer gradient norms) and the live run's provisional record."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from conftest import run_config
from playground.engine.trainer import Trainer
from playground.runs import table
from playground.runs.compare import duplicate_with
from playground.runs.record import RunRecord
from playground.runs.series import (
    Metric, curve_key, linear_indices, live_record, metrics_for, series,
)
from playground.runs.store import MAX_KEPT, RunStore, compact, entries_from_json

HIDDEN = [{"type": "dense", "units": 4, "activation": "tanh"}]


def trained(epochs=6, layers=HIDDEN, every=1, **train) -> Trainer:
    cfg = run_config(layers, data={"samples": 40, "test_fraction": 0.25}, epochs=epochs,
                     batch_size=0, **train)
    t = Trainer(cfg)
    t.dynamics.set_every(every)
    t.run_epochs(epochs)
    return t


@pytest.fixture(scope="module")
def two():
    """Two runs differing in the learning rate only."""
    a = trained(optimizer={"name": "sgd", "lr": 0.1})
    b = Trainer(duplicate_with(a.config, "train.optimizer.lr", 0.5))
    b.dynamics.set_every(1)
    b.run_epochs(6)
    return RunRecord.of(a, name="a"), RunRecord.of(b, name="b")


def fake(run_id: int, points: int = 3) -> RunRecord:
    """A small record without training (store bookkeeping only)."""
    r = RunRecord.of(Trainer(run_config(HIDDEN, data={"samples": 20})), id=run_id)
    epochs = np.arange(1, points + 1, dtype=np.float64)
    curves = {k: np.full(points, 0.5) for k in r.curves if k != "epoch"}
    from dataclasses import replace
    return replace(r, curves={"epoch": epochs, **curves}, epochs=points)


# --- the store -------------------------------------------------------------------------------

def test_the_store_keeps_runs_in_order_and_tells_its_listeners(two):
    store = RunStore()
    heard = []
    store.subscribe(lambda kind, ids: heard.append((kind, ids)))
    a, b = two
    store.add(a)
    store.add(b, shown=False)
    assert [r.name for r in store] == ["a", "b"] and len(store) == 2 and a.id in store
    assert store.shown() == (store.get(a.id),) and not store.is_shown(b.id)
    store.set_shown(b.id, True)
    store.set_shown(b.id, True)          # no change: nothing said
    store.rename(a.id, "first")
    store.recolour(a.id, "#000000")
    assert store.get(a.id).name == "first" and store.get(a.id).colour == "#000000"
    with pytest.raises(ValueError):
        store.recolour(a.id, "red")
    store.remove(b.id)
    assert heard == [("added", (a.id,)), ("added", (b.id,)), ("changed", (b.id,)),
                     ("changed", (a.id,)), ("changed", (a.id,)), ("removed", (b.id,))]
    store.clear()
    assert len(store) == 0 and heard[-1] == ("removed", (a.id,))


def test_the_store_drops_the_histograms_it_never_draws(two):
    a, _ = two
    assert any(k.startswith("hist.") for k in a.curves)
    kept = compact(a)
    assert not any(k.startswith(("hist.", "hist_range.")) for k in kept.curves)
    assert kept.nbytes < a.nbytes
    for key in ("epoch", "test_loss", "grad_norm.0", "update_ratio.0"):
        np.testing.assert_array_equal(kept.curves[key], a.curves[key])
    assert kept.final == a.final and kept.best == a.best and compact(kept) is kept


def test_the_store_is_bounded_dropping_the_oldest_hidden_first():
    store = RunStore(limit=3)
    for i in range(1, 4):
        store.add(fake(i))
    store.set_shown(2, False)
    dropped = store.add(fake(4))
    assert [r.id for r in dropped] == [2]               # the hidden one, not the oldest
    assert [r.id for r in store] == [1, 3, 4]
    dropped = store.add(fake(5))                        # all shown: the oldest goes
    assert [r.id for r in dropped] == [1] and [r.id for r in store] == [3, 4, 5]
    assert RunStore().limit == MAX_KEPT
    with pytest.raises(ValueError):
        RunStore(limit=0)


def test_add_many_keeps_each_in_turn_and_tells_once():
    store = RunStore(limit=3)
    heard = []
    store.subscribe(lambda kind, ids: heard.append((kind, ids)))
    store.add(fake(1))
    store.set_shown(1, False)
    heard.clear()
    dropped = store.add_many([fake(2), fake(3), fake(4)])
    assert [r.id for r in dropped] == [1]               # the hidden one, not the batch's
    assert [r.id for r in store] == [2, 3, 4]
    assert heard == [("added", (2, 3, 4)), ("removed", (1,))]   # one redraw for the batch
    heard.clear()
    dropped = store.add_many([fake(i) for i in range(5, 10)])  # more than the limit
    assert [r.id for r in store] == [7, 8, 9] and len(dropped) == 5
    assert heard == [("added", (7, 8, 9)), ("removed", (2, 3, 4))]   # never the batch's own
    assert store.add_many([]) == () and heard[-1] == ("removed", (2, 3, 4))


def test_many_long_runs_stay_small():
    """A 10,000-epoch run's record is at most MAX_POINTS points, and the store keeps at most
    ``limit`` of them: the bound of memory with many runs."""
    t = trained(epochs=10_000, every=50)
    record = compact(RunRecord.of(t))
    assert len(record.curves["epoch"]) <= 2000
    assert record.nbytes < 2000 * 8 * 30         # about 30 curves of 2,000 float64 at most
    store = RunStore(limit=50)
    for _ in range(60):
        from dataclasses import replace
        from playground.runs.record import next_id
        store.add(replace(record, id=next_id()))
    assert len(store) == 50
    assert sum(r.nbytes for r in store) < 50 * 500_000


def test_runs_round_trip_through_json_and_a_corrupt_entry_is_one_line(two):
    store = RunStore()
    a, b = two
    store.add(a)
    store.add(b, shown=False)
    text = store.json_bytes()
    saved = json.loads(text)
    assert saved == json.loads(json.dumps(saved, allow_nan=False))       # strict JSON
    assert len(store._texts) == 2 and store.json_bytes() == text         # encoded once
    store.rename(a.id, "renamed")
    assert store.to_json()[0]["record"]["name"] == "renamed" and len(store._texts) == 2
    assert store.to_json()[1]["record"] == saved[1]["record"]
    loaded, errors = entries_from_json(saved)
    assert errors == [] and [shown for _, shown in loaded] == [True, False]
    assert loaded[0][0] == compact(a) and loaded[1][0] == compact(b)

    bad = json.loads(json.dumps(saved))
    bad[0]["record"]["curves"]["test_loss"] = [1.0]          # the wrong length
    bad.insert(1, {"record": {"name": "x"}})                  # no curves
    bad.append("nonsense")
    bad.append({"record": {**saved[1]["record"], "colour": "red"}})
    loaded, errors = entries_from_json(bad)
    assert [r.name for r, _ in loaded] == ["b"]
    assert len(errors) == 4 and all("\n" not in e and "left out" in e for e in errors)
    assert errors[0].startswith("saved run 1 cannot be read (curve test_loss has 1 points")
    assert entries_from_json({"not": "a list"})[1] == [
        "the saved runs must be a list, got dict"]

    fresh = RunStore()
    assert fresh.load_json(saved) == []
    assert [r.name for r in fresh] == ["a", "b"] and not fresh.is_shown(fresh.records[1].id)
    assert {r.id for r in fresh}.isdisjoint({a.id, b.id})      # new ids of this session


# --- the table -------------------------------------------------------------------------------

def test_the_table_has_the_differing_keys_and_the_scores(two):
    a, b = two
    tbl = table.build([a, b])
    assert tbl.keys == ("train.optimizer.lr",) and tbl.values == ((0.1,), (0.5,))
    headers = [s.header for s in tbl.scores]
    assert headers == ["train loss", "test loss", "train acc.", "test acc.",
                       "best train loss", "best test loss", "best train acc.",
                       "best test acc."]
    assert tbl.scores[1].value(b) == b.final.test_loss
    assert tbl.scores[5].value(b) == b.best.test_loss
    assert table.build([a]).keys == ()
    assert table.short_key("train.optimizer.lr") == "optimizer.lr"
    assert table.short_key("model.layers[0].units") == "layers[0].units"
    assert table.short_key("seed") == "seed"


def test_an_optimizers_untouched_defaults_are_not_differences(two):
    a, _ = two
    adam = RunRecord.of(Trainer(duplicate_with(a.config, "train.optimizer.name", "adam")))
    assert table.build([a, adam]).keys == ("train.optimizer.name",)


@pytest.mark.parametrize("value, text", [(None, "—"), (True, "true"), (0.030000001, "0.03"),
                                         (3, "3"), ((0.9, 0.999), "0.9, 0.999"),
                                         ("relu", "relu")])
def test_values_as_the_cells_show_them(value, text):
    assert table.format_value(value) == text


def test_scores_and_times_as_the_cells_show_them():
    assert table.format_score("test_accuracy", 0.9312) == "93.1%"
    assert table.format_score("test_loss", 0.123456) == "0.1235"
    assert table.format_score("test_loss", None) == ""
    assert table.format_score("train_loss", math.nan) == "NaN"
    assert [table.format_time(s) for s in (None, 12.34, 245, 3723)] == [
        "", "12.3 s", "4:05", "1:02:03"]


def test_the_csv_holds_every_run_exactly(two):
    a, b = two
    text = table.csv_text(table.build([a, b]), [True, False])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == ["a", "b"]
    assert [r["shown"] for r in rows] == ["true", "false"]
    assert [float(r["train.optimizer.lr"]) for r in rows] == [0.1, 0.5]
    for row, record in zip(rows, (a, b)):
        assert float(row["final_test_loss"]) == record.final.test_loss       # exact (repr)
        assert float(row["best_train_accuracy"]) == record.best.train_accuracy
        assert int(row["epochs"]) == 6 and row["time_s"] == "" and row["diverged"] == "false"
        assert "final_train_r2" not in row


# --- the overlay's metrics -------------------------------------------------------------------

def test_gradient_norms_are_compared_layer_by_layer_from_the_input(two):
    a, _ = two
    deep = trained(layers=[{"type": "dense", "units": 3, "activation": "relu"},
                           {"type": "batchnorm"},
                           {"type": "dense", "units": 3, "activation": "relu"}])
    d = RunRecord.of(deep)
    assert linear_indices(deep.config.model) == (0, 3, 5)
    labels = [m.label for m in metrics_for([a, d])]
    assert labels == ["test loss", "train loss", "test accuracy", "train accuracy",
                      "learning rate", "gradient norm, layer 1", "gradient norm, layer 2",
                      "gradient norm, output"]
    first, second, out = (Metric("", layer=k) for k in (0, 1, -1))
    assert curve_key(d, first) == "grad_norm.0" and curve_key(d, second) == "grad_norm.3"
    assert curve_key(d, out) == "grad_norm.5" and curve_key(a, out) == "grad_norm.2"
    assert curve_key(a, second) is None               # a has one hidden layer
    x, y = series(d, second)
    np.testing.assert_array_equal(x, d.curves["epoch"])
    np.testing.assert_array_equal(y, d.curves["grad_norm.3"])


def test_the_live_record_is_the_snapshots_curves_on_one_epoch_axis():
    from playground.engine.session import Session
    t = trained(epochs=0, every=2)
    session = Session(t)
    t.run_epochs(7)
    snap = session.snapshot()
    r = live_record(9, "live", "#123456", t.config, snap.curves, snap.epoch,
                    snap.dynamics.curves, wall_time=2.0)
    np.testing.assert_array_equal(r.curves["epoch"], np.arange(1, 8))
    np.testing.assert_array_equal(r.curves["test_loss"], snap.curves["test_loss"])
    grad = r.curves["grad_norm.0"]
    recorded = snap.dynamics.curves["epoch"]
    np.testing.assert_array_equal(r.curves["epoch"][np.isfinite(grad)], recorded)
    assert r.final.test_loss == snap.curves["test_loss"][-1]
    assert r.best.train_loss == snap.curves["train_loss"].min()
    assert r.final.train_r2 is None and r.epochs == 7 and r.wall_time == 2.0
    empty = live_record(10, "new", "#123456", t.config, {"epoch": []}, 0)
    assert math.isnan(empty.final.train_loss)
    assert table.Score("final", "train_loss", "").value(empty) is None


# --- in a workspace --------------------------------------------------------------------------

def test_a_workspace_keeps_the_runs_as_json_and_opens_without_readable_ones(two, tmp_path):
    import zipfile

    from playground.io.workspace import RUNS, encode_workspace, load_workspace
    store = RunStore()
    for r in two:
        store.add(r)
    t = trained(epochs=2)
    path = tmp_path / "w.playground"
    path.write_bytes(encode_workspace(t, {"plane": "default"}, store.encoder()()))
    with zipfile.ZipFile(path) as zf:
        assert RUNS in zf.namelist() and not any(n.endswith(".pkl") for n in zf.namelist())
    ws = load_workspace(path)
    assert ws.runs == store.to_json() and ws.runs_error is None
    back = RunStore()
    assert back.load_json(ws.runs) == []
    assert [(r.name, r.final, r.epochs) for r in back] == [(r.name, r.final, r.epochs)
                                                           for r in store]
    assert load_workspace(tmp_path / "w.playground").trainer.epoch == 2

    # runs.json that does not parse: the run opens, the runs are left out, in one line
    broken = tmp_path / "broken.playground"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(broken, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, b'[{"record": ' if name == RUNS else src.read(name))
    ws = load_workspace(broken)
    assert ws.runs is None and ws.trainer.epoch == 2
    assert ws.runs_error.startswith("runs.json: ") and "\n" not in ws.runs_error
    assert ws.runs_error.endswith("the saved runs were left out")
    # no runs: no member
    plain = encode_workspace(t)
    (tmp_path / "plain.playground").write_bytes(plain)
    assert load_workspace(tmp_path / "plain.playground").runs is None

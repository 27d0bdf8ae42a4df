"""Training dynamics (``engine.dynamics``): every recorded figure against the engine's own
numbers, step by step: gradient norms against ``Trainer.gradients()``, update ratios against
state dicts before and after each step, clipping against the trace, dead and saturated units
against ``Trainer.layer_outputs``, histograms against NumPy; then their journey through
snapshots, workspaces (old ones included) and ``playground train --history``."""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile

import numpy as np
import pytest

from conftest import run_config
from playground import cli
from playground.engine import dynamics, kernels
from playground.engine.dynamics import (
    BINS, MARK, DynamicsSeries, every_for, merge_thirds, sample_rows, thirds_between,
)
from playground.engine.history import History
from playground.engine.session import Session
from playground.engine.trainer import Trainer
from playground.errors import WorkspaceError
from playground.io.history_csv import columns, history_csv
from playground.io.workspace import load_workspace, save_workspace

TANH = {"type": "dense", "units": 6, "activation": "tanh"}
RELU = {"type": "dense", "units": 5, "activation": "relu"}
SPIRAL = {"samples": 80, "noise": 0.1, "test_fraction": 0.25}

#: every tracked kind (linear, batchnorm), every watched activation family, both clip modes,
#: L1/L2, dropout, optimizers with state, both dtypes
CASES = {
    "tanh batchnorm relu sigmoid, adam, l2, clip norm, float64": dict(
        layers=[TANH, {"type": "batchnorm"}, RELU, {"type": "sigmoid"}], source="spiral",
        data=SPIRAL, batch_size=12, dtype="float64", optimizer={"name": "adam", "lr": 0.05},
        regularization={"kind": "l2", "rate": 1e-3}, clip={"norm": 0.3}),
    "leaky elu dropout, sgd momentum, l1, clip value, float64": dict(
        layers=[{"type": "dense", "units": 7, "activation": "leaky_relu"},
                {"type": "dropout", "p": 0.2}, {"type": "dense", "units": 4},
                {"type": "elu"}], source="moons", data=SPIRAL, batch_size=10,
        dtype="float64", optimizer={"name": "sgd", "lr": 0.1, "momentum": 0.9},
        regularization={"kind": "l1", "rate": 1e-3}, clip={"value": 0.2}),
    "gelu silu, rmsprop, no clip, float32": dict(
        layers=[{"type": "dense", "units": 6, "activation": "gelu"},
                {"type": "dense", "units": 6, "activation": "silu"}], source="iris",
        data={"test_fraction": 0.2}, batch_size=16, optimizer={"name": "rmsprop", "lr": 0.01}),
}


def make(case: str, backend: str = "auto", every: int = 1, **changes) -> Trainer:
    kw = {**CASES[case], **changes}
    t = Trainer(run_config(kw.pop("layers"), **kw), backend=backend)
    t.dynamics.set_every(every)
    return t


def rel(t: Trainer) -> float:
    return 1e-12 if t.dtype == np.float64 else 2e-5


def _clipping_active(t: Trainer) -> bool:
    """Whether the step the trainer takes next clips (the trace shows it, untaken)."""
    clip = t.trace().clip
    if clip.kind == "norm":
        return clip.factor < 1.0
    if clip.kind == "value":
        return any(bool(m.any()) for m in clip.clipped.values())
    return False


@pytest.mark.parametrize("backend", ["auto", "numpy"])
@pytest.mark.parametrize("case", CASES)
def test_gradient_norms_update_ratios_and_clipping_are_the_steps_own(case, backend):
    t = make(case, backend)
    t.run_epochs(1)  # the optimizer has state; the second epoch is measured step by step
    tracked = t.dynamics.tensors
    norms = {i: [] for i in tracked}
    ratios = {i: [] for i in tracked}
    clipped = []
    while True:
        clipped.append(_clipping_active(t))
        before = t.state_dict()
        t.step_batch()
        after, grads = t.state_dict(), t.gradients()
        for i in tracked:
            key = f"{i}.weight"
            norms[i].append(np.linalg.norm(grads[key].astype(np.float64)))
            w = before[key].astype(np.float64)
            ratios[i].append(np.linalg.norm(after[key] - w) / np.linalg.norm(w))
        if t.at_epoch_start:
            break
    record = t.history[-1]
    assert record["epoch"] == 2 and len(clipped) == t.batches_per_epoch
    kinds = [t.model.modules[i].kind for i in tracked]
    assert kinds.count("linear") == len(t.model.linears)
    for i in tracked:
        rms = math.sqrt(np.mean(np.square(norms[i])))
        assert record[f"grad_norm.{i}"] == pytest.approx(rms, rel=rel(t)), i
        assert record[f"update_ratio.{i}"] == pytest.approx(np.mean(ratios[i]), rel=rel(t)), i
    assert record[MARK] == np.mean(clipped)
    if t.config.train.clip.norm or t.config.train.clip.value:
        assert 0 < record[MARK] < 1, "the case should clip on some steps, not all"


def _numpy_health(t: Trainer, record: dict) -> dict[str, float]:
    """Dead and saturated shares straight from ``Trainer.layer_outputs`` on the sample."""
    rows = sample_rows(t.n_train)
    x = t.x_train[rows]
    outputs = t.layer_outputs(x)
    out = {}
    for j, m in enumerate(t.model.modules):
        if m.kind != "activation" or m.name == "linear":
            continue
        y = outputs[j].astype(np.float64)
        z = (x if j == 0 else outputs[j - 1]).astype(np.float64)
        if m.name == "sigmoid":
            out[f"saturated.{j}"] = float(np.mean((y < 0.01) | (y > 0.99)))
        elif m.name == "tanh":
            out[f"saturated.{j}"] = float(np.mean(np.abs(y) > 0.99))
        else:
            out[f"dead.{j}"] = float(np.mean(np.all(z <= 0, axis=0)))
    return out


@pytest.mark.parametrize("case", CASES)
def test_dead_and_saturated_shares_are_those_of_the_layer_outputs(case):
    t = make(case, optimizer={"name": "sgd", "lr": 1e-9})  # the weights hold still
    # weights scaled up and biases pushed down: some units saturate, some die
    state = t.state_dict()
    for key in state:
        if key.endswith(".weight") and state[key].ndim == 2:
            state[key] = state[key] * 4
        if key.endswith(".bias") and state[key].ndim == 1 and state[key].size > 1:
            state[key] = state[key] - np.linspace(0, 20, state[key].size).astype(t.dtype)
    t.load_state_dict(state)
    t.run_epochs(1)
    record = t.history[-1]
    expected = _numpy_health(t, record)
    assert expected and {k for k in record if k.split(".")[0] in ("dead", "saturated")} \
        == set(expected)
    for key, value in expected.items():
        assert record[key] == pytest.approx(value, abs=1e-12), key
    assert any(0 < v < 1 for v in expected.values()), expected


def test_a_relu_units_is_dead_when_its_output_is_zero_on_every_sample_row():
    t = Trainer(run_config([{"type": "dense", "units": 4, "activation": "relu",
                             "bias_init": -50.0}], source="xor", data={"samples": 40},
                           optimizer={"name": "sgd", "lr": 1e-9}))
    t.dynamics.set_every(1)
    t.run_epochs(1)
    outputs = t.layer_outputs(t.x_train[sample_rows(t.n_train)])
    assert (outputs[1] == 0).all()
    assert t.history[-1]["dead.1"] == 1.0


def test_histograms_count_every_weight_over_a_range_that_covers_them():
    t = make("tanh batchnorm relu sigmoid, adam, l2, clip norm, float64")
    t.run_epochs(3)
    state = t.state_dict()
    for i in t.dynamics.tensors:
        w = state[f"{i}.weight"].ravel()
        r = t.history[-1][f"hist_range.{i}"]
        counts = t.history[-1][f"hist.{i}"]
        assert len(counts) == BINS and sum(counts) == w.size
        assert np.abs(w).max() <= r
        first = t.history[0][f"hist_range.{i}"]   # a power of two, then tripled
        assert math.log2(first) == round(math.log2(first))
        assert r == first * 3 ** thirds_between(first, r)
        assert counts == _hist(w, r).tolist()


def _hist(values: np.ndarray, half: float) -> np.ndarray:
    """The histogram ``kernels.weight_histograms`` makes, in NumPy."""
    values = np.asarray(values, np.float64).ravel()
    idx = np.clip(np.floor((values + half) * (BINS / (2 * half))), 0, BINS - 1)
    return np.bincount(idx.astype(int), minlength=BINS)


def test_a_range_grows_by_threes_and_older_histograms_merge_onto_it_exactly():
    t = make("gelu silu, rmsprop, no clip, float32", optimizer={"name": "sgd", "lr": 1e-12})
    t.run_epochs(1)
    r0 = t.history[-1]["hist_range.0"]
    before = t.state_dict()["0.weight"]
    t.set_value("0.weight", (0, 0), 2.5 * r0)     # beyond the range: it must triple
    t.run_epochs(1)
    r1 = t.history[-1]["hist_range.0"]
    assert r1 == 3 * r0
    now = t.state_dict()["0.weight"]
    assert t.history[-1]["hist.0"] == _hist(now, r1).tolist()
    old = np.array(t.history[0]["hist.0"])
    np.testing.assert_array_equal(old, _hist(before, r0))
    # epoch 1's histogram on epoch 2's range is epoch 1's weights histogrammed there
    np.testing.assert_array_equal(merge_thirds(old), _hist(before, r1))


def test_merge_thirds_is_the_histogram_over_three_times_the_range(rng):
    r = 0.75
    w = rng.uniform(-r, r, 5000)
    np.testing.assert_array_equal(merge_thirds(_hist(w, r)), _hist(w, 3 * r))
    np.testing.assert_array_equal(merge_thirds(_hist(w, r), 2), _hist(w, 9 * r))
    assert merge_thirds(_hist(w, r)[None], 1).shape == (1, BINS)


def test_weight_histograms_kernel_equals_numpy(rng):
    params = np.concatenate([rng.normal(0, 0.3, 50), [np.nan, np.inf], np.zeros(7),
                             rng.normal(0, 4, 20)]).astype(np.float32)
    ranges = np.array([[0, 52], [52, 59], [59, 79]], np.int64)
    half = np.array([0.0, 0.0, 2.0])
    counts = np.zeros((3, BINS), np.int64)
    kernels.weight_histograms(params, ranges, half, counts)
    finite = params[:50].astype(np.float64)
    assert half[0] == 2.0 ** math.ceil(math.log2(np.abs(finite).max()))
    assert half[1] == 1.0                   # all zeros: the unit range
    top = np.abs(params[59:]).max()
    assert half[2] >= top and half[2] / 3 < top and half[2] == 2.0 * 3 ** thirds_between(2, half[2])
    for q, (lo, hi) in enumerate(ranges):
        w = params[lo:hi].astype(np.float64)
        np.testing.assert_array_equal(counts[q], _hist(w[np.isfinite(w)], half[q]))


# --- spacing: every k-th epoch, never per step in Python -------------------------------------

def test_records_come_every_kth_epoch_from_the_training_rows():
    assert [every_for(n) for n in (1, 125, 250, 499, 500, 1000, 2000, 5000)] == [
        2048, 16, 8, 8, 4, 2, 1, 1]
    t = Trainer(run_config([TANH], source="spiral", data={"samples": 500, "test_fraction": 0.5},
                           batch_size=10))
    assert t.n_train == 250 and t.dynamics.every == 8
    t.run_epochs(17)
    assert [r["epoch"] for r in t.history if MARK in r] == [8, 16]
    assert sample_rows(t.n_train).size == 250
    assert sample_rows(1000).tolist()[:3] == [0, 3, 7] and sample_rows(1000).size == 256


def test_a_perceptron_records_no_dynamics_and_its_csv_has_none():
    t = Trainer(run_config(model_type="perceptron", source="xor", optimizer={"name": "sgd",
                                                                             "lr": 0.1}))
    t.dynamics.set_every(1)
    assert t.dynamics.every == 0
    t.run_epochs(2)
    assert MARK not in t.history[-1]
    assert columns(t)[-1] == "mistakes"


# --- snapshots -------------------------------------------------------------------------------

def test_snapshots_carry_the_recorded_curves_and_histograms():
    t = make("tanh batchnorm relu sigmoid, adam, l2, clip norm, float64", every=2)
    session = Session(t)
    assert session.snapshot().dynamics is None
    t.run_epochs(6)
    snap = session.snapshot()
    d = snap.dynamics
    recorded = [r for r in t.history if MARK in r]
    np.testing.assert_array_equal(d.curves["epoch"], [r["epoch"] for r in recorded])
    for key in ("clipped", "grad_norm.0", "update_ratio.2", "dead.4", "saturated.5"):
        np.testing.assert_array_equal(d.curves[key], [r[key] for r in recorded])
    assert set(d.histograms) == set(t.dynamics.tensors)
    h = d.histograms[0]
    np.testing.assert_array_equal(h.epochs, [2, 4, 6])
    assert (h.counts.sum(axis=1) == t.state_dict()["0.weight"].size).all()
    assert h.half_range == recorded[-1]["hist_range.0"] and h.edges()[-1] == h.half_range
    assert session.snapshot().dynamics is d        # nothing new: the same object
    t.run_epochs(2)
    assert session.snapshot().dynamics is not d


def test_snapshot_dynamics_stay_bounded_and_evenly_spaced():
    h = History()
    for epoch in range(1, 5001):
        h.append({"epoch": epoch, **({MARK: 0.0, "grad_norm.0": float(epoch),
                                      "hist_range.0": 1.0, "hist.0": [1] * BINS}
                                     if epoch % 2 == 0 else {})})
    series = DynamicsSeries(max_points=100, max_columns=20)
    data = None
    for stop in range(50, 5001, 50):   # snapshots as training goes on
        data = series.update(_Upto(h, stop))
    epochs = data.curves["epoch"]
    assert 50 <= epochs.size <= 100 and np.unique(np.diff(epochs)).size == 1
    np.testing.assert_array_equal(data.curves["grad_norm.0"], epochs)
    assert 10 <= data.histograms[0].epochs.size <= 20


class _Upto:
    """A history as it stood at epoch ``stop`` (for ``DynamicsSeries.update``)."""

    def __init__(self, history: History, stop: int) -> None:
        self.history, self.stop = history, stop

    def since(self, epoch: int) -> list[dict]:
        return [r for r in self.history.since(epoch) if r["epoch"] <= self.stop]


def test_a_grown_range_merges_the_snapshot_histograms_kept_so_far():
    h = History()
    old = [0] * BINS
    old[15], old[30] = 5, 2
    h.append({"epoch": 1, MARK: 0.0, "hist_range.3": 0.5, "hist.3": old})
    new = [0] * BINS
    new[0] = 7
    h.append({"epoch": 2, MARK: 0.0, "hist_range.3": 1.5, "hist.3": new})
    hist = DynamicsSeries().update(h).histograms[3]
    assert hist.half_range == 1.5
    np.testing.assert_array_equal(hist.counts[0], merge_thirds(np.array(old)))
    assert hist.counts[0][15] == 5 and hist.counts[0][20] == 2
    np.testing.assert_array_equal(hist.counts[1], new)


# --- workspaces --------------------------------------------------------------------------------

def _saved_mid_epoch(tmp_path, case="tanh batchnorm relu sigmoid, adam, l2, clip norm, float64"):
    reference, saved = make(case, every=2), make(case, every=2)
    for t in (reference, saved):
        t.run_epochs(3)
        t.run_steps(2)        # mid-way through epoch 4, a recorded one
    assert saved.dynamics.active
    path = tmp_path / "run.playground"
    save_workspace(path, saved)
    return reference, path


def test_a_workspace_saved_mid_epoch_records_that_epoch_as_if_never_stopped(tmp_path):
    reference, path = _saved_mid_epoch(tmp_path)
    resumed = load_workspace(path).trainer
    assert resumed.dynamics.every == 2 and resumed.dynamics.active
    for t in (reference, resumed):
        t.run_epochs(3)
    assert list(resumed.history) == list(reference.history)
    assert MARK in resumed.history[3] and MARK in resumed.history[5]


def _rewrite(path, change) -> None:
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    state = json.loads(members["state.json"])
    change(state)
    members["state.json"] = json.dumps(state).encode()
    with np.load(io.BytesIO(members["state.npz"])) as npz:   # the arrays still referenced
        arrays = {k: npz[k] for k in npz.files if k in json.dumps(state)}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    members["state.npz"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _make_old(state: dict) -> None:
    """What a playground before the dynamics wrote: no recorder state, records without it."""
    del state["dynamics"]
    history = state["history"]
    del history["dynamics"]
    for record in history["kept"] + ([history["latest"]] if history["latest"] else []):
        for key in [k for k in record if k == MARK or dynamics.split_key(k)]:
            del record[key]


def test_an_old_workspace_without_dynamics_opens_and_records_from_the_next_epoch(tmp_path):
    reference, path = _saved_mid_epoch(tmp_path)
    _rewrite(path, _make_old)
    resumed = load_workspace(path).trainer
    assert not any(MARK in r for r in resumed.history)
    assert not resumed.dynamics.active        # the epoch under way has no sums: unrecorded
    assert resumed.dynamics.every == every_for(resumed.n_train)   # the default spacing
    resumed.dynamics.set_every(2)                                  # as the reference's
    for t in (reference, resumed):
        t.run_epochs(3)
    for key, value in reference.state_dict().items():   # training itself is unchanged
        np.testing.assert_array_equal(value, resumed.state_dict()[key], err_msg=key)
    assert MARK not in resumed.history[3]     # epoch 4 was under way when saved
    ours, theirs = resumed.history[5], reference.history[5]   # epoch 6: recorded as ever
    assert ours.keys() == theirs.keys()
    for key in ours:   # the histogram ranges start again (no recorder state was stored)
        if not key.startswith("hist"):
            assert ours[key] == theirs[key], key
    curves = Session(resumed).snapshot().dynamics.curves
    np.testing.assert_array_equal(curves["epoch"], [6])


def test_a_workspace_keeps_the_histograms_as_arrays_not_json(tmp_path):
    _, path = _saved_mid_epoch(tmp_path)
    with zipfile.ZipFile(path) as zf:
        state = json.loads(zf.read("state.json"))
        with np.load(io.BytesIO(zf.read("state.npz"))) as npz:
            counts = npz["history.dynamics.counts"]
    table = state["history"]["dynamics"]
    assert table["counts"] == {"$array": "history.dynamics.counts"}
    assert counts.shape == (1, 4, BINS) and table["keys"][0] == MARK
    assert not any(k.startswith("hist") for r in state["history"]["kept"] for k in r)


def _bad_table(change):
    def edit(state):
        change(state["history"]["dynamics"])
    return edit


@pytest.mark.parametrize("change,message", [
    (_bad_table(lambda t: t.update(keys=t["keys"][1:])),
     "history.dynamics.keys must list distinct dynamics keys with 'clipped'"),
    (_bad_table(lambda t: t.update(keys=t["keys"] + ["loss"])),
     "history.dynamics.keys must list distinct dynamics keys"),
    (_bad_table(lambda t: t.update(epochs=[2])),
     "history.dynamics.epochs must be an int64 array of shape"),
    (lambda s: s["history"].update(kept=s["history"]["kept"][2:]),
     "history.dynamics.epochs must be increasing epochs of history.kept, got 2"),
    (lambda s: s["history"]["kept"][1].update({"hist.0": [1] * 30}),
     "history.kept[1].hist.0 must be a list of 31 whole counts >= 0"),
    (lambda s: s["history"]["kept"][1].update({"hist.0": [-1] + [0] * 30}),
     "history.kept[1].hist.0 must be a list of 31 whole counts >= 0"),
    (lambda s: s["history"]["kept"][1].update({"grad_norm.0": [1.0]}),
     "history.kept[1].grad_norm.0 must be a number or null"),
    (lambda s: s["dynamics"].update(every=0), "dynamics.every must be >= 1, got 0"),
    (lambda s: s["dynamics"].update(extra=1), "dynamics has an unexpected key 'extra'"),
    (lambda s: s["dynamics"].pop("active"), "dynamics lacks the key 'active'"),
])
def test_bad_dynamics_in_a_workspace_are_named(change, message, tmp_path):
    _, path = _saved_mid_epoch(tmp_path)
    _rewrite(path, change)
    with pytest.raises(WorkspaceError, match="state.json: " + message.replace("[", r"\[")
                       .replace("]", r"\]")):
        load_workspace(path)


# --- playground train --history ----------------------------------------------------------------

CONFIG = {"format": 1, "seed": 3,
          "data": {"source": "moons", "samples": 60, "noise": 0.1, "test_fraction": 0.25},
          "model": {"type": "mlp", "layers": [TANH, {"type": "batchnorm"}, RELU]},
          "train": {"epochs": 5, "batch_size": 9, "clip": {"norm": 0.4},
                    "optimizer": {"name": "adam", "lr": 0.02}}}


def _cell(text: str):
    return None if text == "" else float(text)


def test_history_csv_holds_every_epoch_and_the_dynamics_of_the_recorded_ones(tmp_path, capsys):
    config = tmp_path / "run.json"
    config.write_text(json.dumps(CONFIG))
    out = tmp_path / "history.csv"
    status = cli.main(["train", str(config), "--history", str(out), "--dynamics-every", "2",
                       "--quiet"])
    assert status == 0, capsys.readouterr().err
    assert f"wrote {out}" in capsys.readouterr().out
    reader = list(csv.reader(out.read_text().splitlines()))
    header, rows = reader[0], reader[1:]
    twin = Trainer(run_config(CONFIG["model"]["layers"], source="moons", data=CONFIG["data"],
                              seed=3, **CONFIG["train"]))
    twin.dynamics.set_every(2)
    twin.run_epochs(5)
    assert header == columns(twin)
    assert header[:7] == ["epoch", "lr", "batch_loss", "train_loss", "test_loss",
                          "train_accuracy", "test_accuracy"]
    assert header[7:12] == ["clipped", "grad_norm.0", "grad_norm.2", "grad_norm.3",
                            "grad_norm.5"]
    assert "dead.4" in header and "saturated.1" in header and "hist.5.30" in header
    assert len(rows) == 5
    for row, record in zip(rows, twin.history):
        cells = dict(zip(header, row))
        assert int(cells["epoch"]) == record["epoch"]
        for key in header:
            value = record.get(key)
            if key.startswith("hist.") and key.count(".") == 2:
                name, _, k = key.rpartition(".")
                value = record[name][int(k)] if name in record else None
            assert _cell(cells[key]) == value, (record["epoch"], key)
    assert rows[0][header.index("grad_norm.0")] == ""          # epoch 1: not recorded
    assert float(rows[1][header.index("train_loss")]) == twin.history[1]["train_loss"]
    assert history_csv(twin) == out.read_text()


@pytest.mark.parametrize("argv,expected", [
    (["--history", "{d}/h.txt"], "--history {d}/h.txt must end in .csv"),
    (["--history", "{d}/no/h.csv"], "folder {d}/no does not exist"),
    (["--history", "{d}"], "--history {d} is a folder"),
    (["--history", ""], "--history is an empty string"),
    (["--history", "{d}/run.json"], "must end in .csv"),
    (["--dynamics-every", "-1"], "must be >= 0"),
])
def test_bad_history_options_exit_2_with_one_line_and_write_nothing(argv, expected, tmp_path,
                                                                      capsys):
    config = tmp_path / "run.json"
    config.write_text(json.dumps(CONFIG))
    before = set(tmp_path.iterdir())
    status = cli.main(["train", str(config), *(a.format(d=tmp_path) for a in argv)])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and expected.format(d=tmp_path) in err, err
    assert set(tmp_path.iterdir()) == before


def test_history_csv_refuses_to_overwrite_the_configs_csv(tmp_path, capsys):
    data = tmp_path / "data.csv"
    data.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n" for i in range(20)))
    config = tmp_path / "run.json"
    config.write_text(json.dumps({**CONFIG, "data": {"source": "csv", "path": "data.csv"}}))
    status = cli.main(["train", str(config), "--history", str(data)])
    err = capsys.readouterr().err
    assert status == 2 and "would overwrite the CSV file" in err

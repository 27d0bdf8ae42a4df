"""Workspace files: saving, reopening and training on gives bit for bit the run that never stopped.

Each case trains a reference run straight through, and a twin that is saved part way
(at an epoch boundary or mid-epoch), reopened from the file and trained on the same amount;
weights, optimizer and schedule state, random streams, history, lr, epoch and steps must be
identical, not merely close.
"""

from __future__ import annotations

import io
import json
import math
import zipfile

import numpy as np
import pytest

from conftest import blobs, run_config
from playground.config import RunConfig
from playground.engine.history import History
from playground.engine.trainer import Trainer
from playground.io.workspace import (
    EXTENSION, MEMBERS, encode_workspace, is_workspace_path, load_workspace, save_workspace,
)

DENSE = {"type": "dense", "units": 6, "activation": "tanh"}
SPIRAL = {"samples": 70, "noise": 0.1, "test_fraction": 0.3}

#: name -> (run_config keyword arguments); every optimizer, schedule, regularization, clip,
#: batchnorm, dropout, shuffle on/off, both dtypes, regression and the perceptron
CASES = {
    "adam batchnorm dropout plateau": dict(
        layers=[DENSE, {"type": "batchnorm"}, {"type": "dropout", "p": 0.25},
                {"type": "dense", "units": 4, "activation": "relu"}],
        source="spiral", data={**SPIRAL, "features": ["x1", "x2", "sin(x1)"]}, batch_size=10,
        optimizer={"name": "adam", "lr": 0.02, "amsgrad": True},
        schedule={"name": "plateau", "factor": 0.5, "patience": 1}),
    "adamw cosine l1 clip-norm float64": dict(
        layers=[DENSE, {"type": "dropout", "p": 0.1}], source="moons", data=SPIRAL,
        batch_size=9, dtype="float64", optimizer={"name": "adamw", "lr": 0.01},
        regularization={"kind": "l1", "rate": 1e-3}, clip={"norm": 0.5},
        schedule={"name": "cosine", "t_max": 4, "eta_min": 1e-4}),
    "sgd nesterov step l2 clip-value": dict(
        layers=[DENSE, {"type": "batchnorm", "momentum": 0.2}], source="circle", data=SPIRAL,
        batch_size=5, optimizer={"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True,
                                 "weight_decay": 1e-3},
        regularization={"kind": "l2", "rate": 1e-3}, clip={"value": 0.3},
        schedule={"name": "step", "step_size": 2, "gamma": 0.5}),
    "rmsprop centered momentum exponential": dict(
        layers=[DENSE, {"type": "elu"}, {"type": "dense", "units": 3}], source="gauss",
        data=SPIRAL, batch_size=10,
        optimizer={"name": "rmsprop", "lr": 0.01, "centered": True, "momentum": 0.5},
        schedule={"name": "exponential", "gamma": 0.9}),
    "sgd no shuffle float64": dict(
        layers=[DENSE], source="xor", data=SPIRAL, batch_size=15, shuffle=False,
        dtype="float64", optimizer={"name": "sgd", "lr": 0.1}),
    "regression mse": dict(
        layers=[DENSE, {"type": "dropout", "p": 0.2}], source="plane", data=SPIRAL,
        batch_size=7, optimizer={"name": "adam", "lr": 0.01},
        schedule={"name": "plateau", "patience": 0}),
    "multiclass cross-entropy": dict(
        layers=[DENSE], source="iris", data={"test_fraction": 0.2}, batch_size=16,
        optimizer={"name": "adam", "lr": 0.01}),
    "perceptron xor": dict(model_type="perceptron", source="xor", data=SPIRAL,
                           optimizer={"name": "sgd", "lr": 0.1}),
}


def make(case: str, seed: int = 0, backend: str = "auto", **changes) -> Trainer:
    kw = {**CASES[case], **changes}
    return Trainer(run_config(kw.pop("layers", ()), seed=seed, **kw), backend=backend)


def mid_epoch(t: Trainer) -> None:
    t.run_epochs(2)
    t.run_steps(3)
    assert not t.at_epoch_start


def epoch_boundary(t: Trainer) -> None:
    t.run_epochs(2)
    assert t.at_epoch_start


def train_on(t: Trainer) -> None:
    t.run_epochs(3)
    t.run_steps(2)
    t.step_epoch()


def assert_same_tree(a, b, path="run state"):
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype, path
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), path
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), path
        for key in a:
            assert_same_tree(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_tree(x, y, f"{path}[{i}]")
    elif isinstance(a, float):  # np.float64 (the NumPy backend's losses) is a float too
        assert isinstance(b, float) and (a == b or math.isnan(a) and math.isnan(b)), path
    elif isinstance(a, (bool, str)) or a is None:
        assert type(a) is type(b) and a == b, (path, a, b)
    else:
        assert isinstance(a, (int, np.integer)) and isinstance(b, (int, np.integer)), path
        assert not isinstance(b, bool) and a == b, (path, a, b)


def assert_same_run(a: Trainer, b: Trainer) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for key in sa:
        assert sa[key].dtype == sb[key].dtype, key
        assert np.array_equal(sa[key], sb[key], equal_nan=sa[key].dtype.kind == "f"), key
    if not a.diverged:  # NaN != NaN, so diverged histories are compared below only
        assert a.history == b.history
    assert_same_tree(list(a.history), list(b.history), "history")
    assert (a.lr, a.epoch, a.steps) == (b.lr, b.epoch, b.steps)
    assert a.config == b.config
    assert_same_tree(a.run_state(), b.run_state())


def reopened(t: Trainer, tmp_path, name="run.playground", **kw) -> Trainer:
    path = tmp_path / name
    save_workspace(path, t, **kw)
    return load_workspace(path, backend=t.backend if t.backend == "numpy" else "auto").trainer


@pytest.mark.parametrize("stop", [epoch_boundary, mid_epoch], ids=["boundary", "mid-epoch"])
@pytest.mark.parametrize("case", CASES)
def test_training_on_after_reopening_is_bit_exact(case, stop, tmp_path):
    reference, saved = make(case), make(case)
    stop(reference)
    stop(saved)
    resumed = reopened(saved, tmp_path)
    assert_same_run(saved, resumed)  # nothing lost on the way
    train_on(reference)
    train_on(resumed)
    assert_same_run(reference, resumed)
    x = resumed.x_test if resumed.x_test.size else resumed.x_train
    assert np.array_equal(reference.predict(x), resumed.predict(x))


@pytest.mark.parametrize("backend", ["loops", "blas", "numpy"])
@pytest.mark.parametrize("case", ["adam batchnorm dropout plateau",
                                  "rmsprop centered momentum exponential"])
def test_every_backend_resumes_bit_exact(case, backend, tmp_path):
    reference, saved = make(case, backend=backend), make(case, backend=backend)
    mid_epoch(reference)
    mid_epoch(saved)
    path = tmp_path / "run.playground"
    save_workspace(path, saved)
    resumed = load_workspace(path, backend=backend).trainer
    assert resumed.backend == reference.backend
    train_on(reference)
    train_on(resumed)
    assert_same_run(reference, resumed)


def test_a_live_change_before_saving_is_kept(tmp_path):
    case = "sgd nesterov step l2 clip-value"
    reference, saved = make(case), make(case)
    for t in (reference, saved):
        t.run_epochs(2)
        t.run_steps(1)
        new = RunConfig.from_dict({**t.config.to_dict(), "train": {
            **t.config.train.to_dict(), "epochs": 7,
            "optimizer": {"name": "sgd", "lr": 0.02, "momentum": 0.8},
            "schedule": {"name": "cosine"}, "clip": {"norm": 1.0}}})
        assert t.update_train(new.train)
        t.run_steps(2)
    resumed = reopened(saved, tmp_path)
    assert resumed.config.train.optimizer.lr == 0.02
    assert resumed.scheduler.options["t_max"] == 7  # resolved when the schedule changed
    train_on(reference)
    train_on(resumed)
    assert_same_run(reference, resumed)


def test_a_changed_epoch_count_keeps_the_resolved_cosine_period(tmp_path):
    saved = make("adamw cosine l1 clip-norm float64", schedule={"name": "cosine"}, epochs=5)
    saved.run_epochs(2)
    resumed = reopened(saved, tmp_path)
    assert resumed.scheduler.options["t_max"] == 5
    resumed.update_train(RunConfig.from_dict({**resumed.config.to_dict(), "train": {
        **resumed.config.train.to_dict(), "epochs": 50}}).train)
    assert resumed.scheduler.options["t_max"] == 5  # as in a run that never stopped


def test_a_csv_run_reopens_after_its_file_is_deleted(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(60, 3))
    labels = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no")
    csv = tmp_path / "data.csv"
    csv.write_text("a,b,c,label\n" + "".join(f"{r[0]},{r[1]},{r[2]},{lab}\n"
                                               for r, lab in zip(x, labels)))
    cfg = run_config([DENSE, {"type": "batchnorm"}], source="csv",
                     data={"path": "data.csv", "test_fraction": 0.25}, batch_size=8,
                     optimizer={"name": "adam", "lr": 0.01})
    reference = Trainer(cfg, base_dir=tmp_path)
    saved = Trainer(cfg, base_dir=tmp_path)
    mid_epoch(reference)
    mid_epoch(saved)
    path = tmp_path / "run.playground"
    save_workspace(path, saved)
    csv.unlink()
    resumed = load_workspace(path).trainer
    assert resumed.dataset.class_names == ("no", "yes")
    assert resumed.dataset.input_names == ("a", "b", "c")
    for key in ("x_train", "x_test", "raw_train", "raw_test", "y_train", "y_test", "mean", "std"):
        assert np.array_equal(getattr(resumed.dataset, key), getattr(saved.dataset, key)), key
    train_on(reference)
    train_on(resumed)
    assert_same_run(reference, resumed)


def test_model_inputs_are_stored_only_when_they_cannot_be_recomputed(tmp_path):
    t = make("adam batchnorm dropout plateau")
    save_workspace(tmp_path / "a.playground", t)
    with zipfile.ZipFile(tmp_path / "a.playground") as zf:
        assert "x_train.npy" not in zipfile.ZipFile(io.BytesIO(zf.read("data.npz"))).namelist()
    # arrays that are not the feature map of the raw inputs (hand-made data) travel as they are
    ds = blobs(30, test=6)
    odd = type(ds)(**{**{f: getattr(ds, f) for f in ds.__dataclass_fields__},
                      "x_train": ds.x_train * 2, "x_test": ds.x_test * 2})
    t = Trainer(run_config([DENSE]), dataset=odd)
    back = reopened(t, tmp_path, "b.playground").dataset
    assert np.array_equal(back.x_train, odd.x_train) and np.array_equal(back.raw_train,
                                                                        odd.raw_train)


def test_non_finite_values_round_trip(tmp_path):
    t = make("regression mse", optimizer={"name": "sgd", "lr": 1e8}, dtype="float64",
             schedule={"name": "plateau"})
    assert t.scheduler.best == math.inf  # before any epoch: infinity in the run state
    resumed = reopened(t, tmp_path, "fresh.playground")
    assert resumed.scheduler.best == math.inf
    t.run_epochs(3)
    t.run_steps(1)
    assert t.diverged and not all(math.isfinite(r["batch_loss"]) for r in t.history)
    resumed = reopened(t, tmp_path)
    assert_same_run(t, resumed)
    assert resumed.diverged


def test_a_bounded_history_keeps_its_stride(tmp_path):
    reference, saved = make("perceptron xor"), make("perceptron xor")
    for t in (reference, saved):
        t.history = History(max_records=4)
        t.run_epochs(11)
    resumed = reopened(saved, tmp_path)
    assert resumed.history.stride == saved.history.stride == 4
    reference.run_epochs(9)
    resumed.run_epochs(9)
    assert_same_run(reference, resumed)
    assert [r["epoch"] for r in resumed.history] == [8, 16, 20]


def test_perceptron_fields_round_trip(tmp_path):
    t = Trainer(run_config(model_type="perceptron", source="gauss",
                           data={"samples": 60, "test_fraction": 0}))
    t.run_epochs(20)
    t.run_steps(5)
    assert t.converged_epoch is not None and t.last_mistake is not None
    resumed = reopened(t, tmp_path)
    assert (resumed.converged_epoch, resumed.last_mistake) == (t.converged_epoch,
                                                               t.last_mistake)
    assert_same_run(t, resumed)


def test_a_fresh_run_and_evaluate_epochs_round_trip(tmp_path):
    t = Trainer(run_config([DENSE], source="xor", data=SPIRAL), evaluate_epochs=False)
    resumed = reopened(t, tmp_path)
    assert resumed.evaluate_epochs is False and resumed.epoch == 0 and resumed.at_epoch_start
    assert_same_run(t, resumed)
    t.run_epochs(2)
    resumed.run_epochs(2)
    assert_same_run(t, resumed)
    assert "train_loss" not in resumed.history[-1]


def test_saving_changes_nothing_and_gives_the_same_bytes(tmp_path):
    case = "adam batchnorm dropout plateau"
    reference, saved = make(case), make(case)
    mid_epoch(reference)
    mid_epoch(saved)
    first = encode_workspace(saved, ui={"grid": {"x": 0, "y": 1}})
    assert encode_workspace(saved, ui={"grid": {"x": 0, "y": 1}}) == first
    train_on(reference)
    train_on(saved)
    assert_same_run(reference, saved)


def test_ui_extras_and_members(tmp_path):
    t = make("sgd no shuffle float64")
    path = tmp_path / "run.playground"
    ui = {"grid_inputs": [0, 1], "note": "héllo", "zoom": 1.5, "panels": None}
    save_workspace(path, t, ui=ui)
    workspace = load_workspace(path)
    assert workspace.ui == ui
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == [*MEMBERS, "ui.json"]
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())
        assert RunConfig.from_dict(json.loads(zf.read("config.json"))) == t.config
    save_workspace(path, t)
    assert load_workspace(path).ui is None


def test_the_weights_member_is_a_plain_npz(tmp_path):
    t = make("adam batchnorm dropout plateau")
    save_workspace(tmp_path / "run.playground", t)
    with zipfile.ZipFile(tmp_path / "run.playground") as zf:
        npz = np.load(io.BytesIO(zf.read("weights.npz")), allow_pickle=False)
        assert list(npz.files) == list(t.state_dict())
        for key, value in t.state_dict().items():
            assert np.array_equal(npz[key], value)


def test_workspace_paths():
    assert EXTENSION == ".playground"
    assert is_workspace_path("a/run.playground") and is_workspace_path("RUN.PLAYGROUND")
    assert not is_workspace_path("run.json") and not is_workspace_path("playground")

"""``data.standardize_target`` and ``data.columns`` through the data layer, the trainer, the
workspaces and the weights files: statistics from the training split, losses on z-scores,
predictions in the data's units, every file carrying what it needs."""

from __future__ import annotations

import dataclasses
import io
import json
import zipfile

import numpy as np
import pytest

from conftest import run_config
from playground import cli
from playground.config import RunConfig
from playground.data import load_dataset
from playground.data.dataset import Dataset
from playground.data.loader import check_fits_dtype, raw_key
from playground.engine.trainer import EVALUATION_KEYS, Trainer
from playground.errors import DataError, WeightsError
from playground.io.export_metadata import export_metadata
from playground.io.export_spec import Preprocessing
from playground.io.weights import load_weights, save_weights
from playground.io.workspace import load_workspace, save_workspace
from playground.open_files import build_run, open_csv

DENSE = {"type": "dense", "units": 5, "activation": "tanh"}


def _data(**kw) -> RunConfig:
    return RunConfig.from_dict({"format": 1, "data": kw, "model": {"type": "mlp"}}).data


# --- the data layer ---------------------------------------------------------------------------

@pytest.mark.parametrize("source", ["plane", "multigauss", "diabetes"])
def test_statistics_come_from_the_training_split(source):
    ds = load_dataset(_data(source=source, samples=80, test_fraction=0.25), seed=3)
    np.testing.assert_array_equal(ds.y_mean, ds.y_train.mean(axis=0))
    np.testing.assert_array_equal(ds.y_std, ds.y_train.std(axis=0))  # population std
    # the targets stay in the data's units; the network's are the z-scores
    raw = load_dataset(_data(source=source, samples=80, test_fraction=0.25,
                             standardize_target=False), seed=3)
    np.testing.assert_array_equal(ds.y_test, raw.y_test)
    assert raw.y_mean is None and raw.preprocessing()["standardize_target"] is None
    z = ds.scaled_targets(ds.y_train)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), 1, rtol=1e-12)
    np.testing.assert_allclose(ds.unscaled_targets(z), ds.y_train, rtol=1e-12)
    meta = ds.preprocessing()["standardize_target"]
    assert meta == {"mean": ds.y_mean.tolist(), "std": ds.y_std.tolist()}


def test_default_follows_standardize_and_classification_has_none():
    assert load_dataset(_data(source="plane", standardize=False), 0).y_mean is None
    assert load_dataset(_data(source="plane", standardize=False, standardize_target=True),
                        0).y_mean is not None
    assert load_dataset(_data(source="iris"), 0).y_mean is None


def test_an_inferred_class_target_refuses_explicit_scaling(tmp_path):
    (tmp_path / "d.csv").write_text("a,y\n1,0\n2,1\n3,0\n4,1\n5,0\n")
    with pytest.raises(DataError, match="data.standardize_target applies to regression only; "
                                        "the target of d.csv is classification"):
        load_dataset(_data(source="csv", path="d.csv", standardize_target=True), 0, tmp_path)
    assert load_dataset(_data(source="csv", path="d.csv"), 0, tmp_path).y_mean is None


def test_the_overflow_check_looks_at_what_the_loss_sees():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 2)), rng.normal(size=(20, 1)) * 1e30
    plain = Dataset.from_arrays(x, y, task="regression")
    with pytest.raises(DataError, match="turn on data.standardize_target"):
        check_fits_dtype(plain, "float32")
    check_fits_dtype(Dataset.from_arrays(x, y, task="regression", standardize_target=True),
                     "float32")


def test_columns_are_part_of_the_raw_key(tmp_path):
    a = _data(source="csv", path="d.csv")
    b = dataclasses.replace(a, columns=("x1",))
    c = dataclasses.replace(a, columns=("x2", "x1"))
    keys = {raw_key(d, 0, tmp_path) for d in (a, b, c)}
    assert len(keys) == 3
    # what only the split or the scaling changes keeps the key (the samples are reused)
    assert raw_key(dataclasses.replace(c, standardize_target=False, test_fraction=0.5), 0,
                   tmp_path) == raw_key(c, 0, tmp_path)


def test_a_run_built_with_columns_uses_them_and_a_new_csv_starts_afresh(tmp_path):
    (tmp_path / "d.csv").write_text("id,x1,x2,y\n" + "".join(
        f"r{i},{i % 5},{(i * 7) % 3},{i * 0.5}\n" for i in range(30)))
    cfg = run_config([DENSE], source="csv",
                     data={"path": str(tmp_path / "d.csv"), "columns": ["x2", "x1"]})
    run = build_run(cfg)
    assert run.trainer.dataset.input_names == ("x2", "x1")
    assert run.key == raw_key(cfg.data, cfg.seed)
    (tmp_path / "e.csv").write_text("p,q\n" + "".join(f"{i},{i * 2.5}\n" for i in range(30)))
    opened = open_csv(tmp_path / "e.csv", cfg)
    assert opened.config.data.columns is None and opened.config.data.standardize_target is None
    assert opened.run.trainer.dataset.input_names == ("p",)


# --- the trainer ------------------------------------------------------------------------------

def _blobs(standardize_target: bool) -> Dataset:
    rng = np.random.default_rng(11)
    x = rng.normal(size=(48, 3))
    y = np.column_stack([np.tanh(x @ rng.normal(size=3)) * 30 + 200, x[:, 0] * 0.01])
    return Dataset.from_arrays(x[:36], y[:36], x[36:], y[36:], task="regression",
                               standardize_target=standardize_target)


@pytest.mark.parametrize("backend", ["auto", "numpy"])
def test_training_on_standardized_targets_is_training_on_their_z_scores(backend):
    """The run with standardize_target is the plain run on pre-z-scored targets, bit for bit:
    the same weights and losses; only R², MAE and predictions are in other units."""
    scaled = _blobs(True)
    z = Dataset.from_arrays(scaled.x_train, scaled.scaled_targets(scaled.y_train),
                            scaled.x_test, scaled.scaled_targets(scaled.y_test),
                            task="regression")
    cfg = run_config([DENSE, {"type": "dropout", "p": 0.2}], source="plane", dtype="float64",
                     batch_size=8, epochs=4, optimizer={"name": "adam", "lr": 0.02})
    a, b = Trainer(cfg, dataset=scaled, backend=backend), Trainer(cfg, dataset=z,
                                                                  backend=backend)
    a.run_epochs(4)
    b.run_epochs(4)
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(value, b.state_dict()[key], err_msg=key)
    for ra, rb in zip(a.history, b.history):
        assert (ra["batch_loss"], ra["train_loss"], ra["test_loss"]) == \
               (rb["batch_loss"], rb["train_loss"], rb["test_loss"])
    # predictions in the data's units are the z-score undone
    np.testing.assert_allclose(a.predict(scaled.x_test),
                               b.predict(z.x_test) * scaled.y_std + scaled.y_mean, rtol=1e-14)
    assert a.evaluate().test_mae == pytest.approx(
        np.abs(a.predict(scaled.x_test) - scaled.y_test).mean(axis=0).mean(), rel=1e-12)


def test_history_records_and_curves_carry_the_metrics():
    from playground.engine.session import CURVE_KEYS, Session
    assert set(EVALUATION_KEYS) <= set(CURVE_KEYS)
    t = Trainer(run_config([DENSE], source="plane", data={"samples": 60}, epochs=3))
    session = Session(t)
    t.run_epochs(3)
    curves = session.snapshot().curves
    for key in ("train_r2", "test_r2", "train_mae", "test_mae"):
        assert curves[key].shape == (3,) and np.isfinite(curves[key]).all(), key
        assert curves[key][-1] == t.history[-1][key]
    assert np.isnan(curves["train_accuracy"]).all()
    c = Trainer(run_config([DENSE], source="xor", data={"samples": 40}, epochs=2))
    session = Session(c)
    c.run_epochs(2)
    curves = session.snapshot().curves
    assert np.isnan(curves["train_r2"]).all() and np.isfinite(curves["train_accuracy"]).all()


# --- workspaces -------------------------------------------------------------------------------

def _rewrite(path, change) -> None:
    """Rewrite a workspace's members through ``change(members) -> members``."""
    with zipfile.ZipFile(path) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members = change(members)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _make_old(members: dict) -> dict:
    """What a playground before standardize_target and R²/MAE wrote: no such config key, no
    target statistics, epoch records without the metrics."""
    config = json.loads(members["config.json"])
    del config["data"]["standardize_target"]
    members["config.json"] = json.dumps(config).encode()
    with np.load(io.BytesIO(members["data.npz"])) as npz:
        arrays = {k: npz[k] for k in npz.files if k not in ("y_mean", "y_std")}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    members["data.npz"] = buffer.getvalue()
    state = json.loads(members["state.json"])
    history = state["history"]
    for record in history["kept"] + ([history["latest"]] if history["latest"] else []):
        for key in ("train_r2", "test_r2", "train_mae", "test_mae"):
            record.pop(key, None)
    members["state.json"] = json.dumps(state).encode()
    return members


def test_an_old_workspace_opens_and_trains_on_as_it_did(tmp_path):
    cfg = run_config([DENSE], source="plane", data={"samples": 60, "standardize_target": False},
                     batch_size=8, epochs=6)
    reference, saved = Trainer(cfg), Trainer(cfg)
    reference.run_epochs(2)
    saved.run_epochs(2)
    path = tmp_path / "old.playground"
    save_workspace(path, saved)
    _rewrite(path, _make_old)
    resumed = load_workspace(path).trainer
    # no statistics stored: the run trained on raw targets, and goes on doing so
    assert resumed.dataset.y_mean is None
    assert resumed.config.data.standardize_target is False
    assert "train_r2" not in resumed.history[-1]
    reference.run_epochs(2)
    resumed.run_epochs(2)
    for key, value in reference.state_dict().items():
        np.testing.assert_array_equal(value, resumed.state_dict()[key], err_msg=key)
    assert resumed.history[-1]["train_r2"] == reference.history[-1]["train_r2"]
    from playground.engine.session import Session
    curves = Session(resumed).snapshot().curves
    assert np.isnan(curves["train_r2"][:2]).all() and np.isfinite(curves["train_r2"][2:]).all()


def test_standardized_targets_and_columns_round_trip_in_a_workspace(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("id,a,b,y\n" + "".join(f"n{i},{i % 7},{i % 3},{i * 10.0 + i % 4}\n"
                                          for i in range(40)))
    cfg = run_config([DENSE], source="csv", data={"path": "d.csv", "columns": ["b", "a"]},
                     batch_size=8)
    saved = Trainer(cfg, base_dir=tmp_path)
    saved.run_epochs(2)
    path = tmp_path / "run.playground"
    save_workspace(path, saved)
    csv.unlink()
    resumed = load_workspace(path).trainer
    assert resumed.config == saved.config and resumed.config.data.columns == ("b", "a")
    assert resumed.dataset.input_names == ("b", "a")
    np.testing.assert_array_equal(resumed.dataset.y_mean, saved.dataset.y_mean)
    np.testing.assert_array_equal(resumed.dataset.y_std, saved.dataset.y_std)
    assert resumed.evaluate() == saved.evaluate()


def test_stored_statistics_the_config_does_not_ask_for_are_refused(tmp_path):
    from playground.errors import WorkspaceError
    t = Trainer(run_config([DENSE], source="plane", data={"samples": 40}))
    path = tmp_path / "w.playground"
    save_workspace(path, t)

    def turn_off(members):
        config = json.loads(members["config.json"])
        config["data"]["standardize_target"] = False
        members["config.json"] = json.dumps(config).encode()
        return members
    _rewrite(path, turn_off)
    with pytest.raises(WorkspaceError, match="holds target statistics"):
        load_workspace(path)


# --- weights files ----------------------------------------------------------------------------

@pytest.mark.parametrize("ext", [".safetensors", ".npz", ".json"])
def test_weights_files_carry_the_target_statistics(tmp_path, ext):
    t = Trainer(run_config([DENSE], source="plane", data={"samples": 40}, epochs=2))
    t.run_epochs(2)
    save_weights(tmp_path / f"w{ext}", t.state_dict(), export_metadata(t))
    _, meta = load_weights(tmp_path / f"w{ext}")
    pre = Preprocessing.from_dict(meta["preprocessing"])
    assert pre.y_mean == tuple(t.dataset.y_mean) and pre.y_std == tuple(t.dataset.y_std)
    # the sample predictions every export carries are in the data's units
    np.testing.assert_allclose(meta["samples"]["predictions"],
                               t.predict(t.dataset.x_train[:5]), rtol=1e-6)


@pytest.mark.parametrize("change, message", [
    ({"standardize_target": {"mean": [1.0, 2.0], "std": [1.0, 1.0]}},
     r"standardize_target.mean must be 1 finite numbers \(one per target\)"),
    ({"standardize_target": {"mean": [1.0], "std": [0.0]}}, "standardize_target.std must be > 0"),
    ({"standardize_target": [1.0]}, "standardize_target must be null or an object"),
])
def test_bad_target_statistics_in_metadata_are_named(change, message):
    t = Trainer(run_config([DENSE], source="plane", data={"samples": 40}))
    pre = {**t.dataset.preprocessing(), **change}
    with pytest.raises(WeightsError, match=message):
        Preprocessing.from_dict(pre)
    old = {k: v for k, v in t.dataset.preprocessing().items() if k != "standardize_target"}
    assert Preprocessing.from_dict(old).y_mean is None  # an export older than the key
    iris = Trainer(run_config([DENSE], source="iris")).dataset.preprocessing()
    with pytest.raises(WeightsError, match="applies to regression only"):
        Preprocessing.from_dict({**iris, "standardize_target": {"mean": [0.0], "std": [1.0]}})


def test_init_from_an_export_round_trips_weights_and_statistics(tmp_path, capsys):
    config = tmp_path / "run.json"
    config.write_text(run_config([DENSE], source="diabetes", epochs=3).to_json())
    first, second = tmp_path / "a.safetensors", tmp_path / "b.npz"
    assert cli.main(["train", str(config), "--quiet", "--export", str(first)]) == 0
    out = capsys.readouterr().out
    assert "R^2" in out and "MAE" in out and "accuracy" not in out
    assert cli.main(["train", str(config), "--quiet", "--epochs", "0", "--init", str(first),
                     "--export", str(second)]) == 0
    capsys.readouterr()
    (sa, ma), (sb, mb) = load_weights(first), load_weights(second)
    for key in sa:
        np.testing.assert_array_equal(sa[key], sb[key], err_msg=key)
    assert ma["preprocessing"] == mb["preprocessing"]
    assert ma["preprocessing"]["standardize_target"] is not None

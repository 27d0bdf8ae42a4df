"""`playground train`: training, exports, --init, and bad input that exits 2 with one line."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from playground import cli
from playground.config import RunConfig
from playground.engine.trainer import Trainer
from playground.io.weights import load_weights, save_weights

CONFIG = {
    "format": 1, "seed": 3,
    "data": {"source": "moons", "samples": 60, "noise": 0.1, "test_fraction": 0.25},
    "model": {"type": "mlp", "layers": [
        {"type": "dense", "units": 6, "activation": "tanh"}, {"type": "batchnorm"},
        {"type": "dense", "units": 4, "activation": "relu"}]},
    "train": {"epochs": 4, "batch_size": 9, "optimizer": {"name": "adam", "lr": 0.02}},
}


def write_config(folder, obj=None, name="run.json"):
    path = folder / name
    path.write_text(json.dumps(CONFIG if obj is None else obj))
    return path


def run(argv, capsys):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_regression_summary_reports_r2_and_mae_in_the_datas_units(tmp_path, capsys):
    from sklearn.metrics import mean_absolute_error, r2_score
    obj = {**CONFIG, "data": {"source": "diabetes", "test_fraction": 0.25}}
    status, out, err = run(["train", write_config(tmp_path, obj), "--quiet"], capsys)
    assert status == 0, err
    lines = dict(line.split(" ", 1) for line in out.splitlines()[1:3])
    t = Trainer(RunConfig.from_dict(obj))
    t.run_epochs(4)
    ds = t.dataset
    for split, x, y in (("train", ds.x_train, ds.y_train), ("test ", ds.x_test, ds.y_test)):
        p = t.predict(x)
        assert lines[split.strip()].strip() == (
            f"loss {getattr(t.evaluate(), split.strip() + '_loss'):.6g}  "
            f"R^2 {r2_score(y, p):.6g}  MAE {mean_absolute_error(y, p):.6g}")
    assert "accuracy" not in out


def test_train_prints_a_summary_and_exports_every_format(tmp_path, capsys):
    cfg = write_config(tmp_path)
    exports = [tmp_path / f"m{ext}" for ext in (".safetensors", ".npz", ".json")]
    argv = ["train", cfg, "--quiet"] + [x for p in exports for x in ("--export", p)]
    status, out, err = run(argv, capsys)
    assert status == 0, err
    assert "epochs: 4" in out and "train loss" in out and "test  loss" in out
    assert "accuracy" in out
    # every export holds the same tensors as the trainer trained in-process
    t = Trainer(RunConfig.from_dict(CONFIG), base_dir=tmp_path)
    t.run_epochs(4)
    for path in exports:
        state, meta = load_weights(path)
        assert list(state) == list(t.state_dict())
        for key, value in t.state_dict().items():
            np.testing.assert_array_equal(state[key], value, err_msg=f"{path.name} {key}")
        assert meta["config"] == t.config.to_dict()
        assert meta["preprocessing"]["features"] == ["x1", "x2"]
        assert len(meta["preprocessing"]["standardize"]["mean"]) == 2
    assert state["2.num_batches_tracked"].dtype == np.int64
    assert state["2.num_batches_tracked"].shape == ()


def test_epochs_zero_exports_the_initial_weights(tmp_path, capsys):
    cfg = write_config(tmp_path)
    out_path = tmp_path / "init.safetensors"
    status, _, err = run(["train", cfg, "--epochs", 0, "--export", out_path], capsys)
    assert status == 0, err
    fresh = Trainer(RunConfig.from_dict(CONFIG), base_dir=tmp_path).state_dict()
    state, _ = load_weights(out_path)
    for key in fresh:
        np.testing.assert_array_equal(state[key], fresh[key])


def test_seed_override_changes_the_initial_weights(tmp_path, capsys):
    cfg = write_config(tmp_path)
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    run(["train", cfg, "--epochs", 0, "--export", a], capsys)
    run(["train", cfg, "--epochs", 0, "--seed", 99, "--export", b], capsys)
    assert not np.array_equal(load_weights(a)[0]["0.weight"], load_weights(b)[0]["0.weight"])
    assert load_weights(b)[1]["config"]["seed"] == 99


def test_init_continues_from_given_weights(tmp_path, capsys):
    """Two epochs, export, then two more from that export, equal four epochs straight
    (shuffle off and no batchnorm statistics lost: the state dict holds everything)."""
    obj = json.loads(json.dumps(CONFIG))
    obj["train"].update(shuffle=False, optimizer={"name": "sgd", "lr": 0.05})
    cfg = write_config(tmp_path, obj)
    mid, end, straight = tmp_path / "mid.json", tmp_path / "end.json", tmp_path / "all.json"
    run(["train", cfg, "--epochs", 2, "--export", mid], capsys)
    status, _, err = run(["train", cfg, "--epochs", 2, "--init", mid, "--export", end], capsys)
    assert status == 0, err
    run(["train", cfg, "--epochs", 4, "--export", straight], capsys)
    a, b = load_weights(end)[0], load_weights(straight)[0]
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-6, atol=1e-7)


def test_perceptron_reports_convergence(tmp_path, capsys):
    obj = {"format": 1, "data": {"source": "gauss", "samples": 100, "test_fraction": 0},
           "model": {"type": "perceptron"}, "train": {"epochs": 500}}
    status, out, _ = run(["train", write_config(tmp_path, obj), "--quiet"], capsys)
    assert status == 0 and "perceptron converged at epoch" in out
    obj["data"]["source"] = "xor"
    obj["train"]["epochs"] = 30
    status, out, _ = run(["train", write_config(tmp_path, obj), "--quiet"], capsys)
    assert status == 0 and "did not converge within 30 epochs" in out


def test_divergence_exits_1_and_writes_nothing(tmp_path, capsys):
    obj = {"format": 1, "data": {"source": "plane", "samples": 50},
           "model": {"type": "mlp", "layers": [{"type": "dense", "units": 8,
                                                "activation": "relu"}]},
           "train": {"epochs": 20, "optimizer": {"name": "sgd", "lr": 1e8}}}
    out_path = tmp_path / "w.npz"
    status, _, err = run(["train", write_config(tmp_path, obj), "--export", out_path], capsys)
    assert status == 1 and "diverged" in err and err.count("\n") == 1
    assert not out_path.exists()


def test_divergence_names_the_first_epoch_whose_loss_is_not_finite(tmp_path, capsys):
    """The CLI trains in chunks of epochs (one kernel call each where it can): the epoch it
    names is still the first one whose loss was not finite, as epoch by epoch."""
    import math

    from playground.config import RunConfig
    from playground.engine.trainer import Trainer
    obj = {"format": 1, "data": {"source": "plane", "samples": 50},
           "model": {"type": "mlp", "layers": [{"type": "dense", "units": 8,
                                                "activation": "relu"}]},
           "train": {"epochs": 60, "optimizer": {"name": "sgd", "lr": 0.35, "momentum": 0.9}}}
    reference = Trainer(RunConfig.from_dict(obj), evaluate_epochs=False)
    first = next(r["epoch"] for r in (reference.step_epoch() for _ in range(60))
                 if not math.isfinite(r["batch_loss"]))
    assert first > 4   # inside a chunk of several epochs, not the first
    status, _, err = run(["train", write_config(tmp_path, obj), "--quiet"], capsys)
    assert status == 1 and f"training diverged at epoch {first}:" in err


# --- bad input: exit 2, one line, no traceback, no file ------------------------------------

def _bad_csv(tmp_path, text):
    (tmp_path / "data.csv").write_text(text)
    return {**CONFIG, "data": {"source": "csv", "path": "data.csv"}}


def _mismatched_weights(tmp_path):
    path = tmp_path / "other.safetensors"
    save_weights(path, {"0.weight": np.zeros((3, 2), np.float32),
                        "0.bias": np.zeros(3, np.float32)}, {})
    return path


BAD = {
    "missing config": lambda p: ["train", p / "nope.json"],
    "config is a folder": lambda p: ["train", p],
    "invalid json": lambda p: ["train", _text(p, "{oops")],
    "bad value": lambda p: ["train", write_config(p, {**CONFIG, "seed": -5})],
    "unknown key": lambda p: ["train", write_config(p, {**CONFIG, "trian": {}})],
    "future format": lambda p: ["train", write_config(p, {**CONFIG, "format": 9})],
    "bad epochs": lambda p: ["train", write_config(p), "--epochs", "-1"],
    "epochs not a number": lambda p: ["train", write_config(p), "--epochs", "ten"],
    "unknown option": lambda p: ["train", write_config(p), "--fast"],
    "no config": lambda p: ["train"],
    "export extension": lambda p: ["train", write_config(p), "--export", p / "w.pt"],
    "export folder missing": lambda p: ["train", write_config(p), "--export",
                                        p / "no" / "w.npz"],
    "init missing": lambda p: ["train", write_config(p), "--init", p / "none.npz"],
    "init garbage": lambda p: ["train", write_config(p), "--init", _text(p, "xx", "g.npz")],
    "init mismatched": lambda p: ["train", write_config(p), "--init", _mismatched_weights(p)],
    "csv missing": lambda p: ["train", write_config(p, {**CONFIG, "data": {
        "source": "csv", "path": "missing.csv"}})],
    "csv ragged": lambda p: ["train", write_config(p, _bad_csv(p, "a,b,y\n1,2,0\n3,1\n"))],
    "csv text feature": lambda p: ["train", write_config(p, _bad_csv(
        p, "a,b,y\n1,2,0\n3,x,1\n4,4,1\n"))],
    "csv nan": lambda p: ["train", write_config(p, _bad_csv(p, "a,b,y\n1,nan,0\n3,1,1\n"))],
    "csv one class": lambda p: ["train", write_config(p, _bad_csv(
        p, "a,b,y\n1,2,0\n3,1,0\n5,5,0\n"))],
    "csv unknown target": lambda p: ["train", write_config(p, {**_bad_csv(
        p, "a,b,y\n1,2,0\n3,1,1\n"), "data": {"source": "csv", "path": "data.csv",
                                               "target": "label"}})],
    "batchnorm batch of one": lambda p: ["train", write_config(p, {**CONFIG, "train": {
        **CONFIG["train"], "batch_size": 11}})],
    "loss does not fit": lambda p: ["train", write_config(p, {**CONFIG, "train": {
        **CONFIG["train"], "loss": "mse"}})],
}


def _text(folder, text, name="bad.json"):
    path = folder / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("case", BAD)
def test_bad_input_exits_2_with_one_line(case, tmp_path, capsys):
    argv = BAD[case](tmp_path) + ["--export", tmp_path / "out.npz"]
    before = set(tmp_path.iterdir())
    status, out, err = run(argv, capsys)
    assert status == 2, (case, err)
    assert err.startswith("playground: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert set(tmp_path.iterdir()) == before  # no output, no temp file


@pytest.mark.parametrize("argv,expected", [
    (["train", "missing.json"], "config file not found"),
    (["train", "x.json", "--epochs", "0", "--export", "w.unknown"], "must end in"),
])
def test_entry_point_in_a_real_process(argv, expected, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "playground", *argv], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert expected in proc.stderr and proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr


def test_help_prints_usage(capsys):
    status, out, _ = run(["--help"], capsys)
    assert status == 0 and "playground train CONFIG" in out


def test_opening_a_missing_file_in_the_app_is_refused(tmp_path, capsys):
    status, _, err = run([tmp_path / "nope.json"], capsys)
    assert status == 2 and "file not found" in err and err.count("\n") == 1


def test_exports_get_ordinary_file_permissions(tmp_path, capsys):
    import os
    out_path = tmp_path / "w.npz"
    run(["train", write_config(tmp_path), "--epochs", 0, "--export", out_path], capsys)
    umask = os.umask(0)
    os.umask(umask)
    assert out_path.stat().st_mode & 0o777 == 0o666 & ~umask

"""`playground trace`: the text (formulas with their numbers), --json (PRODUCT.md's keys), a
workspace's next step, summarised large layers, and bad input that exits 2 with one line."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from playground import cli
from playground.config import RunConfig
from playground.engine.trainer import Trainer
from playground.io.weights import save_weights
from playground.io.workspace import load_workspace, save_workspace

CONFIG = {
    "format": 1, "seed": 3,
    "data": {"source": "moons", "samples": 60, "noise": 0.1, "test_fraction": 0.25},
    "model": {"type": "mlp", "layers": [
        {"type": "dense", "units": 6, "activation": "tanh"}, {"type": "batchnorm"},
        {"type": "dropout", "p": 0.2}, {"type": "dense", "units": 4, "activation": "relu"}]},
    "train": {"epochs": 4, "batch_size": 9, "dtype": "float64",
              "optimizer": {"name": "adam", "lr": 0.02},
              "regularization": {"kind": "l2", "rate": 0.001}, "clip": {"norm": 0.5}},
}


def write(folder, obj, name="run.json"):
    path = folder / name
    path.write_text(json.dumps(obj))
    return path


def run(argv, capsys):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def traced_json(argv, capsys) -> dict:
    status, out, err = run(["trace", *argv, "--json"], capsys)
    assert status == 0, err
    return json.loads(out)


def check_is_the_next_step(doc: dict, t: Trainer) -> None:
    """The traced ``update`` is what ``t.step_batch()`` then does, to 1e-12."""
    before = t.state_dict()
    t.step_batch()
    for key, value in t.state_dict().items():
        if key in doc["update"]:
            np.testing.assert_allclose(before[key] + np.array(doc["update"][key]), value,
                                       rtol=0, atol=1e-12, err_msg=key)


def test_json_has_product_keys_and_the_engines_numbers(tmp_path, capsys):
    cfg = write(tmp_path, CONFIG)
    doc = traced_json([cfg], capsys)
    t = Trainer(RunConfig.from_dict(CONFIG), base_dir=tmp_path)
    tr = t.trace()
    assert {"rows", "loss", "modules", "grads", "update"} <= set(doc)
    assert doc["rows"] == tr.rows.tolist()
    assert doc["loss"] == tr.loss.mean
    assert [m["kind"] for m in doc["modules"]] == ["linear", "tanh", "batchnorm", "dropout",
                                                   "linear", "relu", "linear"]
    assert [m["index"] for m in doc["modules"]] == list(range(7))
    for m, step in zip(doc["modules"], tr.modules):
        assert np.array(m["output"]).shape == step.output.shape
        np.testing.assert_array_equal(m["output"], step.output)
        np.testing.assert_array_equal(m["grad_output"], step.grad_output)
    assert list(doc["grads"]) == list(t.state_spec())[:2] + ["2.weight", "2.bias", "4.weight",
                                                            "4.bias", "6.weight", "6.bias"]
    for key in doc["grads"]:
        np.testing.assert_array_equal(doc["grads"][key], tr.grads[key])
        np.testing.assert_array_equal(doc["update"][key], tr.update[key])
    check_is_the_next_step(doc, t)  # the step the command did not take
    assert doc["clip"]["kind"] == "norm" and doc["regularization"]["kind"] == "l2"
    assert doc["optimizer"]["name"] == "adam" and doc["optimizer"]["step"] == 1


def test_rows_option_traces_those_rows(tmp_path, capsys):
    cfg = write(tmp_path, CONFIG)
    doc = traced_json([cfg, "--rows", "4,0,30"], capsys)
    assert doc["rows"] == [4, 0, 30]
    tr = Trainer(RunConfig.from_dict(CONFIG), base_dir=tmp_path).trace([4, 0, 30])
    for key in doc["update"]:
        np.testing.assert_array_equal(doc["update"][key], tr.update[key])


def worked_example(tmp_path):
    """The classic 2-2-(1) worked example: inputs 0.05, 0.10; w1..w4 0.15 0.20 0.25 0.30,
    b1 0.35; output weights 0.40 0.45, b2 0.60; sigmoid hidden layer, mse."""
    (tmp_path / "d.csv").write_text("x1,x2,y\n0.05,0.10,0.01\n0.2,0.3,0.5\n")
    cfg = {"format": 1, "seed": 0,
           "data": {"source": "csv", "path": "d.csv", "test_fraction": 0, "standardize": False,
                    "task": "regression"},
           "model": {"type": "mlp", "layers": [{"type": "dense", "units": 2,
                                                "activation": "sigmoid"}]},
           "train": {"batch_size": 1, "shuffle": False, "dtype": "float64",
                     "optimizer": {"name": "sgd", "lr": 0.5}}}
    weights = {"0.weight": np.array([[0.15, 0.20], [0.25, 0.30]]),
               "0.bias": np.array([0.35, 0.35]), "2.weight": np.array([[0.40, 0.45]]),
               "2.bias": np.array([0.60])}
    save_weights(tmp_path / "w.npz", weights)
    return write(tmp_path, cfg), tmp_path / "w.npz"


def test_text_is_formulas_with_their_numbers(tmp_path, capsys):
    cfg, weights = worked_example(tmp_path)
    status, out, err = run(["trace", cfg, "--init", weights, "--rows", "0"], capsys)
    assert status == 0, err
    assert "z[0] = W[0,:]·a + b[0] = 0.15·0.05 + 0.2·0.1 + 0.35 = 0.3775" in out
    assert "z[1] = W[1,:]·a + b[1] = 0.25·0.05 + 0.3·0.1 + 0.35 = 0.3925" in out
    assert "a[0] = sigmoid(0.3775) = 0.59327" in out
    for title in ("Forward", "Loss: mse", "Backward", "Regularization: none", "Clipping: none",
                  "Update: sgd"):
        assert title in out
    # every "lhs = a·b + c·d + ... = v" line adds up, to the 6 digits shown
    checked = 0
    for line in out.splitlines():
        parts = [p.strip() for p in line.split(" = ")]
        if len(parts) < 3:
            continue
        expr, value = parts[-2], parts[-1]
        if ("·" not in expr or not re.fullmatch(r"[\d.e+\-·() /]+", expr)
                or not re.fullmatch(r"-?[\d.e+-]+", value)):
            continue
        scale = max(abs(float(v)) for v in re.findall(r"\d[\d.e+-]*", expr))
        got = eval(expr.replace("·", "*"))  # only digits, signs, products and parentheses
        assert got == pytest.approx(float(value), abs=1e-5 * (1 + scale)), line
        checked += 1
    assert checked >= 4
    # the update line is the real step's
    t = Trainer(RunConfig.from_dict(json.loads(cfg.read_text())), base_dir=tmp_path)
    from playground.io.weights import load_weights
    t.load_state_dict(load_weights(weights)[0])
    t.step_batch()
    new = t.state_dict()["0.weight"][0, 0]
    assert f"w = w - lr·g = 0.15 - 0.5·" in out and f"= {new:.6g}" in out


def test_a_workspace_traces_its_next_step(tmp_path, capsys):
    t = Trainer(RunConfig.from_dict(CONFIG), base_dir=tmp_path)
    t.run_steps(7)  # mid epoch 2: shuffled order, Adam with state, dropout stream moved
    path = tmp_path / "run.playground"
    save_workspace(path, t)
    doc = traced_json([path], capsys)
    tr = t.trace()
    assert doc["rows"] == tr.rows.tolist()
    assert doc["optimizer"]["step"] == 8
    check_is_the_next_step(doc, load_workspace(path).trainer)
    status, out, err = run(["trace", path], capsys)
    assert status == 0 and "workspace run.playground: after 1 epochs and 7 steps" in out


def test_large_layers_are_summarised_and_json_is_complete(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 30))
    rows = "\n".join(",".join(f"{v:.4f}" for v in r) + f",{int(r[0] > 0)}" for r in x)
    (tmp_path / "wide.csv").write_text(",".join(f"f{i}" for i in range(30)) + ",y\n" + rows)
    cfg = write(tmp_path, {"format": 1, "data": {"source": "csv", "path": "wide.csv",
                                                 "test_fraction": 0},
                           "model": {"type": "mlp", "layers": [
                               {"type": "dense", "units": 50, "activation": "relu"}]},
                           "train": {"batch_size": 16}})
    status, out, err = run(["trace", cfg], capsys)
    assert status == 0, err
    lines = out.splitlines()
    assert len(lines) < 250 and max(len(line) for line in lines) < 400
    assert "more units (--json lists all)" in out and "more terms" in out
    assert "more rows" in out and "entries of 0.weight" in out
    doc = traced_json([cfg], capsys)
    assert np.array(doc["modules"][0]["output"]).shape == (16, 50)
    assert np.array(doc["update"]["0.weight"]).shape == (50, 30)


def test_perceptron_trace(tmp_path, capsys):
    cfg = write(tmp_path, {"format": 1, "seed": 1, "data": {"source": "gauss", "samples": 40},
                           "model": {"type": "perceptron"},
                           "train": {"optimizer": {"name": "sgd", "lr": 0.1}}})
    status, out, err = run(["trace", cfg, "--rows", "0,1,2"], capsys)
    assert status == 0, err
    assert "y_hat = " in out and ("mistake" in out or "correct" in out)
    doc = traced_json([cfg, "--rows", "0,1,2"], capsys)
    assert doc["kind"] == "perceptron" and doc["rows"] == [0, 1, 2] and doc["grads"] is None
    assert set(doc["update"]) == {"0.weight", "0.bias"}


BAD = {
    "row out of range": (["--rows", "0,99"], "row 99 is out of range: the training split has 45"),
    "rows not numbers": (["--rows", "1,x"], "argument --rows: must be training-row indices"),
    "rows empty": (["--rows", ""], "argument --rows"),
    "one row through batchnorm": (["--rows", "3"],
                                  "Expected more than 1 value per channel when training"),
    "init mismatch": (["--init", "W"], "--init"),
    "unknown option": (["--epochs", "3"], "unrecognized arguments"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_one_line(case, tmp_path, capsys):
    cfg = write(tmp_path, CONFIG)
    args, message = BAD[case]
    if "W" in args:
        save_weights(tmp_path / "w.npz", {"0.weight": np.zeros((3, 2))})
        args = [a if a != "W" else tmp_path / "w.npz" for a in args]
    status, out, err = run(["trace", cfg, *args], capsys)
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("playground: error: ")
    assert message in err


def test_bad_files_exit_2(tmp_path, capsys):
    for argv in (["trace", tmp_path / "gone.json"], ["trace", tmp_path / "gone.playground"],
                 ["trace", write(tmp_path, {"format": 1}, "bad.json")]):
        status, out, err = run(argv, capsys)
        assert status == 2 and out == "" and len(err.strip().splitlines()) == 1
    t = Trainer(RunConfig.from_dict(CONFIG), base_dir=tmp_path)
    save_workspace(tmp_path / "r.playground", t)
    save_weights(tmp_path / "w.npz", t.state_dict())
    status, _, err = run(["trace", tmp_path / "r.playground", "--init", tmp_path / "w.npz"],
                         capsys)
    assert status == 2 and "--init does not apply to a workspace" in err

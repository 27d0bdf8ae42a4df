"""`playground train --export` with the model exports (.onnx, .py, .weights.h5): written after
training from the same run, refused up front with one line and exit 2 when the path is bad,
and never half done: if one export cannot be built, none is written."""

from __future__ import annotations

import ast
import dataclasses
import io
import json

import h5py
import numpy as np
import onnx
import pytest

from playground import cli
from playground.config import RunConfig
from playground.engine.trainer import Trainer
from playground.errors import WeightsError
from playground.io import weights as weights_mod

CONFIG = {
    "format": 1, "seed": 3,
    "data": {"source": "moons", "samples": 60, "noise": 0.1, "test_fraction": 0.25,
             "features": ["x1", "x2", "x1*x2", "sin(x1)"]},
    "model": {"type": "mlp", "layers": [
        {"type": "dense", "units": 6, "activation": "tanh"}, {"type": "batchnorm"},
        {"type": "dense", "units": 4, "activation": "gelu"}]},
    "train": {"epochs": 4, "batch_size": 9, "optimizer": {"name": "adam", "lr": 0.02}},
}
EXPORTS = ("m.onnx", "m.py", "m.weights.h5")


def run(argv, capsys):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(CONFIG))
    return path


def test_train_writes_every_model_export(tmp_path, config, capsys):
    argv = ["train", config, "--quiet"]
    for name in EXPORTS:
        argv += ["--export", tmp_path / name]
    status, out, err = run(argv, capsys)
    assert status == 0, err
    assert [line for line in out.splitlines() if line.startswith("wrote")] == \
        [f"wrote {tmp_path / name}" for name in EXPORTS]
    t = Trainer(RunConfig.from_dict(CONFIG), base_dir=tmp_path)
    t.run_epochs(4)
    ort = pytest.importorskip("onnxruntime")
    raw = np.concatenate([t.dataset.raw_train, t.dataset.raw_test])
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    (probabilities,) = session.run(None, {"input": raw.astype(np.float32)})
    np.testing.assert_allclose(probabilities, t.predict(t.dataset.preprocess(raw)),
                               rtol=1e-5, atol=1e-5)
    model = onnx.load(tmp_path / "m.onnx")
    assert json.loads({p.key: p.value for p in model.metadata_props}["config"]) == \
        t.config.to_dict()
    script = (tmp_path / "m.py").read_text(encoding="utf-8")
    ast.parse(script)
    assert "nn.BatchNorm1d(6, eps=1e-05, momentum=0.1)" in script
    with h5py.File(io.BytesIO((tmp_path / "m.weights.h5").read_bytes())) as f:
        np.testing.assert_array_equal(f["layers/dense/vars/0"][()],
                                      t.state_dict()["0.weight"].T)


def test_unknown_extension_lists_every_format(tmp_path, config, capsys):
    status, _, err = run(["train", config, "--export", tmp_path / "m.h5"], capsys)
    assert status == 2 and err.count("\n") == 1
    assert err.strip().endswith("the file name must end in .safetensors, .npz, .json, .onnx, "
                                ".py or .weights.h5")
    assert list(tmp_path.iterdir()) == [config]


@pytest.mark.parametrize("name", EXPORTS)
def test_model_exports_cannot_be_loaded_with_init(tmp_path, config, capsys, name):
    run(["train", config, "--epochs", 0, "--quiet", "--export", tmp_path / name], capsys)
    status, _, err = run(["train", config, "--init", tmp_path / name], capsys)
    assert status == 2 and err.count("\n") == 1
    assert "is export-only; load weights from .safetensors, .npz, .json" in err


@pytest.mark.parametrize("name", EXPORTS)
def test_bad_export_folder_exits_2_before_training(tmp_path, config, capsys, name):
    status, out, err = run(["train", config, "--export", tmp_path / "missing" / name], capsys)
    assert status == 2 and err.count("\n") == 1 and "does not exist" in err
    assert out == ""  # refused before training: no summary


def test_an_export_that_cannot_be_built_leaves_no_file(tmp_path, config, capsys, monkeypatch):
    def refuse(state, metadata):
        raise WeightsError("cannot be built here")

    real = weights_mod.WEIGHT_FORMATS[".onnx"]
    monkeypatch.setitem(weights_mod.WEIGHT_FORMATS, ".onnx",
                        dataclasses.replace(real, write=refuse))
    argv = ["train", config, "--quiet", "--export", tmp_path / "first.npz",
            "--export", tmp_path / "m.onnx", "--export", tmp_path / "last.py"]
    status, _, err = run(argv, capsys)
    assert status == 2 and err.count("\n") == 1
    assert f"--export {tmp_path / 'm.onnx'}: cannot be built here" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]


def test_exports_carry_sample_rows_with_the_apps_predictions(tmp_path, config, capsys):
    run(["train", config, "--quiet", "--export", tmp_path / "m.json"], capsys)
    t = Trainer(RunConfig.from_dict(CONFIG), base_dir=tmp_path)
    t.run_epochs(4)
    samples = json.loads((tmp_path / "m.json").read_text())["metadata"]["samples"]
    np.testing.assert_array_equal(samples["inputs"], t.dataset.raw_train[:5])
    np.testing.assert_allclose(samples["predictions"], t.predict(t.dataset.x_train[:5]),
                               rtol=1e-6)

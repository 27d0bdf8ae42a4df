"""The .py export: a standalone PyTorch script. Without torch it must compile and hold the
model's modules and exact weights; with torch (skipped otherwise) ``python model.py`` must print
the app's predictions, and ``predict(raw)`` must reproduce ``Trainer.predict`` on raw inputs.

Tolerance 1e-5 as for ONNX: torch's float32 kernels and the engine's differ by rounding only.
"""

from __future__ import annotations

import ast
import runpy
import subprocess
import sys

import numpy as np
import pytest

from conftest import trained_export
from playground.errors import WeightsError
from playground.io import pytorch_script
from playground.io.export_spec import spec_from_metadata
from playground.io.weights import save_weights

CASES = {
    "binary, feature map, batchnorm, dropout": dict(
        layers=[{"type": "dense", "units": 6, "activation": "gelu"}, {"type": "batchnorm"},
                {"type": "dropout", "p": 0.2}, {"type": "dense", "units": 4,
                                                "activation": "leaky_relu"}, {"type": "silu"}],
        source="moons", data={"samples": 80, "features": ["x1", "x2", "x1^2", "sin(x2)",
                                                          "x1*x2"]}),
    "iris, float64": dict(layers=[{"type": "dense", "units": 8, "activation": "elu"}],
                          source="iris", dtype="float64"),
    "regression, no standardization": dict(
        layers=[{"type": "dense", "units": 5, "activation": "sigmoid"}, {"type": "tanh"}],
        source="plane", data={"samples": 60, "standardize": False}),
    "regression, standardized targets": dict(
        layers=[{"type": "dense", "units": 5, "activation": "tanh"}], source="diabetes"),
    "perceptron, 3 classes": dict(model_type="perceptron", source="iris"),
    "perceptron, binary": dict(model_type="perceptron", source="gauss",
                               data={"samples": 60, "features": ["x1", "x2", "x1*x2"]}),
}


@pytest.fixture(scope="module", params=list(CASES))
def export(request):
    kw = dict(CASES[request.param])
    return trained_export(kw.pop("layers", []), epochs=4, batch_size=8, **kw)


def _module_calls(tree: ast.Module) -> list[str]:
    build = next(n for n in tree.body if isinstance(n, ast.FunctionDef)
                 and n.name == "build_model")
    seq = next(n for n in ast.walk(build) if isinstance(n, ast.Call)
               and ast.unparse(n.func) == "nn.Sequential")
    return [ast.unparse(arg.func) for arg in seq.args]


def test_script_compiles_with_the_modules_and_exact_weights(export):
    t, state, meta = export
    source = pytorch_script.script(state, meta)
    tree = ast.parse(compile(source, "model.py", "exec", ast.PyCF_ONLY_AST))
    imports = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
               for a in n.names}
    imports |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imports == {"numpy", "torch"}
    spec = spec_from_metadata(state, meta, "test")
    kinds = {"linear": "nn.Linear", "batchnorm": "nn.BatchNorm1d", "dropout": "nn.Dropout"}
    calls = _module_calls(tree)
    assert len(calls) == len(spec.modules)
    for call, m in zip(calls, spec.modules):
        assert call == kinds.get(m.kind, call), m
    weights = next(n.value for n in tree.body if isinstance(n, ast.Assign)
                   and ast.unparse(n.targets[0]) == "WEIGHTS")
    keys = [ast.literal_eval(k) for k in weights.keys]
    assert keys == list(state)
    for key, value in zip(keys, weights.values):
        dtype, data = value.elts
        assert ast.unparse(dtype) == f"torch.{state[key].dtype.name}"
        np.testing.assert_array_equal(np.array(ast.literal_eval(data), state[key].dtype),
                                      state[key], err_msg=key)  # bit-exact
    assert "load_state_dict(state, strict=True)" in source
    assert 'if __name__ == "__main__":' in source
    # a run with standardized targets embeds their statistics, exactly, and predict undoes them
    scaling = meta["preprocessing"].get("standardize_target")
    constants = {ast.unparse(n.targets[0]): ast.literal_eval(n.value) for n in tree.body
                 if isinstance(n, ast.Assign)
                 and ast.unparse(n.targets[0]) in ("TARGET_MEAN", "TARGET_STD")}
    if scaling is None:
        assert constants == {}
    else:
        assert constants == {"TARGET_MEAN": scaling["mean"], "TARGET_STD": scaling["std"]}
        assert "z.numpy() * np.array(TARGET_STD) + np.array(TARGET_MEAN)" in source


def test_script_needs_metadata():
    with pytest.raises(WeightsError, match="a .py export rebuilds the model"):
        pytorch_script.write({"0.weight": np.zeros((1, 2), np.float32)}, {})


def test_bad_sample_rows_are_refused(export):
    _, state, meta = export
    meta = {**meta, "samples": {"inputs": [[1.0]], "predictions": None}}
    with pytest.raises(WeightsError, match="samples.inputs must be rows of"):
        pytorch_script.write(state, meta)


def test_without_samples_the_script_says_so(export):
    _, state, meta = export
    meta = {k: v for k, v in meta.items() if k != "samples"}
    source = pytorch_script.script(state, meta)
    assert "SAMPLE_INPUTS = []" in source and "APP_PREDICTIONS = None" in source


# ------------------------------------------------------------------- with torch installed

def test_running_the_script_prints_the_apps_predictions(export, tmp_path):
    pytest.importorskip("torch")
    t, state, meta = export
    path = tmp_path / "model.py"
    save_weights(path, state, meta)
    proc = subprocess.run([sys.executable, str(path)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("->")[1].split() for line in proc.stdout.splitlines() if "->" in line]
    printed = np.array(rows[1:], dtype=np.float64)  # rows[0] is the header
    expected = t.predict(t.dataset.x_train[:5])
    np.testing.assert_allclose(printed, expected, rtol=1e-5, atol=1e-5)
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("largest difference from the app's predictions:")
    # float32 rounding is relative: targets in the hundreds (diabetes) differ by ~1e-5
    assert float(last.split(":")[1]) < 1e-5 * max(1.0, np.abs(expected).max())


def test_predict_reproduces_the_app_on_raw_inputs(export, tmp_path):
    pytest.importorskip("torch")
    t, state, meta = export
    path = tmp_path / "model.py"
    save_weights(path, state, meta)
    ns = runpy.run_path(str(path))
    raw = np.concatenate([t.dataset.raw_train, t.dataset.raw_test])
    np.testing.assert_allclose(ns["predict"](raw), t.predict(t.dataset.preprocess(raw)),
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="expected raw inputs of shape"):
        ns["predict"](np.zeros((2, 9)))

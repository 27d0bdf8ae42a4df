"""The .onnx export: a checked opset-17 graph from raw inputs that onnxruntime runs to the app's
predictions (``Trainer.predict(dataset.preprocess(raw))``).

Tolerance: the graph computes in float32 from float32 raw inputs, the app in float64 for the
preprocessing and the run's dtype after it, so outputs differ by float32 rounding carried
through a few layers: ~1e-7 on probabilities; 1e-5 (relative, and absolute near 0) leaves
room while any wrong operation (a missing eps, a swapped mean/std, another gelu) shows at 1e-3
or more.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import onnx
import pytest

from conftest import trained_export
from playground.data.dataset import Dataset
from playground.engine.activations import ACTIVATIONS
from playground.errors import WeightsError
from playground.io import onnx_format
from playground.io.weights import encode_weights, save_weights

ort = pytest.importorskip("onnxruntime")
FEATURES_ALL = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]
TOL = {"rtol": 1e-5, "atol": 1e-5}


def _stack(act: str) -> list[dict]:
    return [{"type": "dense", "units": 6, "activation": act}, {"type": "batchnorm"},
            {"type": "dropout", "p": 0.25}, {"type": "dense", "units": 4}, {"type": act}]


def _multi_target(standardize: bool):
    """Two regression targets; with standardization fitted as load_dataset would."""
    rng = np.random.default_rng(5)
    raw = rng.normal(3.0, 2.0, size=(60, 3))
    y = np.column_stack([np.sin(raw).sum(axis=1), raw[:, 0] * raw[:, 1]])
    ds = Dataset.from_arrays(raw[:48], y[:48], raw[48:], y[48:], task="regression")
    if standardize:
        mean, std = raw[:48].mean(axis=0), raw[:48].std(axis=0)
        ds = dataclasses.replace(ds, x_train=(ds.raw_train - mean) / std,
                                 x_test=(ds.raw_test - mean) / std, mean=mean, std=std)
    return ds


CASES = {
    **{f"{act}, batchnorm, dropout, every feature": dict(
        layers=_stack(act), source="moons",
        data={"samples": 80, "noise": 0.2, "features": FEATURES_ALL}) for act in ACTIVATIONS},
    "sin features only, no standardization": dict(
        layers=_stack("tanh"), source="circle",
        data={"samples": 60, "features": ["sin(x1)", "sin(x2)", "x1*x2"], "standardize": False}),
    "raw x1 x2, float64": dict(layers=_stack("gelu"), source="spiral", dtype="float64",
                               data={"samples": 60}),
    "iris, softmax": dict(layers=[{"type": "dense", "units": 8, "activation": "relu"},
                                  {"type": "batchnorm"}], source="iris"),
    "binary with cross_entropy (2 outputs)": dict(layers=_stack("silu"), source="xor",
                                                  loss="cross_entropy", data={"samples": 60}),
    "digits, 64 inputs, float64": dict(layers=[{"type": "dense", "units": 16,
                                                "activation": "elu"}],
                                       source="digits", dtype="float64"),
    "plane regression": dict(layers=_stack("leaky_relu"), source="plane",
                             data={"samples": 60, "features": ["x1", "x2", "x1^2"]}),
    "diabetes regression, float64": dict(layers=[{"type": "dense", "units": 8,
                                                  "activation": "sigmoid"}],
                                         source="diabetes", dtype="float64"),
    "two targets, standardized": dict(layers=_stack("elu"), dataset=_multi_target(True),
                                      source="plane"),
    "two targets, raw": dict(layers=_stack("relu"), dataset=_multi_target(False),
                             source="plane"),
    "perceptron, 2 classes": dict(model_type="perceptron", source="gauss",
                                  data={"samples": 60, "noise": 0.3}),
    "perceptron, 3 classes": dict(model_type="perceptron", source="iris"),
    "perceptron, 2 classes, float64, feature map": dict(
        model_type="perceptron", source="circle", dtype="float64",
        data={"samples": 60, "features": ["x1^2", "x2^2"]}),
}


def _run(case: str):
    kw = dict(CASES[case])
    layers = kw.pop("layers", [])
    return trained_export(layers, epochs=4, batch_size=8, **kw)


def _raw(t) -> np.ndarray:
    return np.concatenate([t.dataset.raw_train, t.dataset.raw_test])


def _session(data: bytes):
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


@pytest.mark.parametrize("case", CASES)
def test_onnxruntime_reproduces_the_apps_predictions(case):
    t, state, meta = _run(case)
    data = onnx_format.write(state, meta)
    model = onnx.load_from_string(data)
    onnx.checker.check_model(model, full_check=True)
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 17)]
    assert model.ir_version == 8
    raw = _raw(t)
    (out,) = _session(data).run(None, {"input": raw.astype(np.float32)})
    expected = t.predict(t.dataset.preprocess(raw))
    assert out.dtype == np.float32 and out.shape == expected.shape
    if t.perceptron:  # hard 0/1 decisions: equal, unless a logit sits at the boundary
        z = t.logits(t.dataset.preprocess(raw))
        clear = (np.abs(z) > 1e-4).all(axis=1) if z.shape[1] == 1 else \
            np.diff(np.sort(z, axis=1)[:, -2:], axis=1)[:, 0] > 1e-4
        np.testing.assert_array_equal(out[clear], expected[clear])
        assert clear.mean() > 0.9
    else:
        np.testing.assert_allclose(out, expected, **TOL)


def test_graph_interface_and_initializers():
    t, state, meta = _run("relu, batchnorm, dropout, every feature")
    model = onnx.load_from_string(onnx_format.write(state, meta))
    (inp,), (out,) = model.graph.input, model.graph.output
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    assert inp.name == "input" and dims == ["N", 2]
    assert out.name == "probabilities"
    assert [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim] == ["N", 2]
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    for key, value in state.items():
        if key.endswith("num_batches_tracked"):
            assert key not in inits
            continue
        assert inits[key].dtype == np.float32, key
        np.testing.assert_array_equal(inits[key], value.astype(np.float32), err_msg=key)
    ops = {n.op_type for n in model.graph.node}
    assert {"Gemm", "BatchNormalization", "Sin", "Concat", "Sub", "Div"} <= ops
    assert "Dropout" not in ops
    props = {p.key: p.value for p in model.metadata_props}
    assert set(props) == {"config", "preprocessing"}


def test_regression_output_is_named_prediction():
    t, state, meta = _run("two targets, standardized")
    model = onnx.load_from_string(onnx_format.write(state, meta))
    (out,) = model.graph.output
    assert out.name == "prediction"
    assert [d.dim_param or d.dim_value for d in out.type.tensor_type.shape.dim] == ["N", 2]


def test_standardized_targets_come_back_in_the_datas_units():
    """data.standardize_target: the graph ends in Mul(target_std), Add(target_mean), so that
    onnxruntime predicts y = y_std * z + y_mean, in the data's units, as the app does."""
    base = _multi_target(True)
    y_train, y_test = base.y_train * [1e3, 0.01] + [5e4, -3], base.y_test * [1e3, 0.01] + [5e4, -3]
    ds = Dataset.from_arrays(base.raw_train, y_train, base.raw_test, y_test, task="regression",
                             standardize_target=True)
    ds = dataclasses.replace(ds, x_train=base.x_train, x_test=base.x_test, mean=base.mean,
                             std=base.std)
    t, state, meta = trained_export(_stack("tanh"), dataset=ds, source="plane", epochs=4,
                                    batch_size=8)
    model = onnx_format.build(state, meta)
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    np.testing.assert_array_equal(inits["target_std"], ds.y_std.astype(np.float32))
    np.testing.assert_array_equal(inits["target_mean"], ds.y_mean.astype(np.float32))
    (out,) = _session(model.SerializeToString()).run(
        None, {"input": ds.raw_test.astype(np.float32)})
    z = t.logits(ds.x_test).astype(np.float64)
    want = z * ds.y_std + ds.y_mean
    for j in range(2):  # each target at float32 precision of its own scale
        np.testing.assert_allclose(out[:, j], want[:, j], rtol=1e-5,
                                   atol=1e-5 * np.abs(y_test[:, j]).max())
    assert abs(out[:, 0].mean() - 5e4) < 5e3  # the data's scale, not z-scores
    plain = onnx_format.build(*_run("two targets, raw")[1:])
    assert not {i.name for i in plain.graph.initializer} & {"target_std", "target_mean"}


def test_a_standardized_binary_model_classifies_raw_data_as_the_app():
    """Raw, unstandardized inputs in; the same accuracy out as the app reports."""
    t, state, meta = trained_export(
        [{"type": "dense", "units": 8, "activation": "tanh"}], source="moons", epochs=40,
        batch_size=10, optimizer={"name": "adam", "lr": 0.03},
        data={"samples": 200, "noise": 0.1, "test_fraction": 0.3})
    assert t.dataset.mean is not None and np.abs(t.dataset.mean).max() > 0.05
    session = _session(onnx_format.write(state, meta))
    ev = t.evaluate()
    for raw, y, app_accuracy in ((t.dataset.raw_train, t.dataset.y_train, ev.train_accuracy),
                                 (t.dataset.raw_test, t.dataset.y_test, ev.test_accuracy)):
        (p,) = session.run(None, {"input": raw.astype(np.float32)})
        accuracy = float(np.mean(p.argmax(axis=1) == y))
        assert accuracy == app_accuracy
    assert ev.train_accuracy > 0.8


def test_dynamic_batch_size():
    t, state, meta = _run("iris, softmax")
    session = _session(onnx_format.write(state, meta))
    for n in (1, 3, 150):
        (out,) = session.run(None, {"input": np.zeros((n, 4), np.float32)})
        assert out.shape == (n, 3)
        np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-6)


def test_float64_weights_beyond_float32_are_refused():
    t, state, meta = _run("raw x1 x2, float64")
    state = {**state, "0.bias": np.full_like(state["0.bias"], 1e300)}
    with pytest.raises(WeightsError, match="tensor 0.bias holds 1e\\+300, beyond float32"):
        onnx_format.write(state, meta)


def test_save_weights_writes_onnx_and_refuses_to_read_it(tmp_path):
    t, state, meta = _run("iris, softmax")
    path = tmp_path / "m.onnx"
    save_weights(path, state, meta)
    assert path.read_bytes() == encode_weights(path, state, meta)  # deterministic
    from playground.io.weights import load_weights
    with pytest.raises(WeightsError, match="export-only"):
        load_weights(path)


def test_metadata_is_required(tmp_path):
    _, state, _ = _run("iris, softmax")
    with pytest.raises(WeightsError, match="a .onnx export rebuilds the model, so it needs "
                                           "the run's config and preprocessing"):
        save_weights(tmp_path / "m.onnx", state, {})
    assert list(tmp_path.iterdir()) == []

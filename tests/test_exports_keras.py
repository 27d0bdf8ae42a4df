"""The .weights.h5 export (Keras 3's layout, read here with h5py; Keras is not needed) and the
generated Keras code, which must parse for every layer, optimizer, schedule, clip and
regularization the engine has.

The layout was checked against Keras 3.15 itself (torch backend): the equivalent
keras.Sequential from ``codegen.keras_code`` loads these files with ``load_weights`` and predicts
as the app, and its own ``save_weights`` writes the same groups and datasets.
"""

from __future__ import annotations

import ast
import dataclasses
import io
import json

import h5py
import numpy as np
import pytest

from conftest import trained_export
from playground.io import keras_h5_format
from playground.io.codegen import keras_code
from playground.io.export_spec import spec_from_metadata
from playground.io.keras_layers import keras_layers
from playground.io.weights import format_of, save_weights

STACK = [{"type": "dense", "units": 5, "activation": "tanh"}, {"type": "batchnorm"},
         {"type": "dropout", "p": 0.2}, {"type": "dense", "units": 4, "activation": "leaky_relu"},
         {"type": "batchnorm", "momentum": 0.25, "eps": 1e-3}, {"type": "relu"},
         {"type": "leaky_relu"}, {"type": "dense", "units": 3}]


def _tree(data: bytes) -> dict[str, object]:
    """Every group and dataset path -> its attrs (groups) or array (datasets)."""
    out: dict[str, object] = {}
    with h5py.File(io.BytesIO(data), "r") as f:
        out["/"] = dict(f.attrs)
        f.visititems(lambda name, obj: out.__setitem__(
            name, obj[()] if isinstance(obj, h5py.Dataset) else dict(obj.attrs)))
    return out


@pytest.fixture(scope="module", params=["float32", "float64"])
def export(request):
    return trained_export(STACK, source="moons", dtype=request.param, epochs=2,
                          data={"samples": 60, "features": ["x1", "x2", "x1*x2"]})


def test_layer_names_follow_keras_counters(export):
    _, state, meta = export
    layers = keras_layers(spec_from_metadata(state, meta, "test"))
    assert [(k.name, k.cls, k.torch_index) for k in layers] == [
        ("dense", "Dense", 0),                 # Linear 0 + Tanh 1
        ("batch_normalization", "BatchNormalization", 2),
        ("dropout", "Dropout", None),
        ("dense_1", "Dense", 4),
        ("leaky_re_lu", "LeakyReLU", None),    # module 5: Keras's "leaky_relu" is slope 0.2
        ("batch_normalization_1", "BatchNormalization", 6),
        ("activation", "Activation", None),
        ("leaky_re_lu_1", "LeakyReLU", None),
        ("dense_2", "Dense", 9),
        ("dense_3", "Dense", 10),              # the output
    ]


def test_weights_h5_holds_every_tensor_at_its_keras_path(export):
    t, state, meta = export
    tree = _tree(keras_h5_format.write(state, meta))
    expected: dict[str, np.ndarray] = {}
    for dense, i in (("dense", 0), ("dense_1", 4), ("dense_2", 9), ("dense_3", 10)):
        expected[f"layers/{dense}/vars/0"] = state[f"{i}.weight"].T  # kernel (in, out)
        expected[f"layers/{dense}/vars/1"] = state[f"{i}.bias"]
    for bn, i in (("batch_normalization", 2), ("batch_normalization_1", 6)):
        for n, name in enumerate(("weight", "bias", "running_mean", "running_var")):
            expected[f"layers/{bn}/vars/{n}"] = state[f"{i}.{name}"]
    datasets = {k: v for k, v in tree.items() if isinstance(v, np.ndarray)}
    assert sorted(datasets) == sorted(expected)
    for key, value in expected.items():
        assert datasets[key].dtype == np.dtype(t.config.train.dtype), key
        np.testing.assert_array_equal(datasets[key], value, err_msg=key)
    names = [k.name for k in keras_layers(spec_from_metadata(state, meta, "test"))]
    groups = {k: v for k, v in tree.items() if not isinstance(v, np.ndarray) and k != "/"}
    assert set(groups) == ({"layers", "vars"} | {f"layers/{n}" for n in names}
                           | {f"layers/{n}/vars" for n in names})
    for n in names:  # Keras writes each layer's name on its vars group, empty or not
        assert groups[f"layers/{n}/vars"] == {"name": n}
    assert groups["vars"] == {"name": "sequential"}
    assert json.loads(tree["/"]["config"]) == meta["config"]
    assert json.loads(tree["/"]["preprocessing"]) == meta["preprocessing"]


def test_keras_momentum_is_one_minus_torchs(export):
    _, state, meta = export
    layers = keras_layers(spec_from_metadata(state, meta, "test"))
    assert "momentum=0.9" in layers[1].args and "epsilon=1e-05" in layers[1].args
    assert "momentum=0.75" in layers[5].args and "epsilon=0.001" in layers[5].args


def test_perceptron_is_one_dense(tmp_path):
    t, state, meta = trained_export(model_type="perceptron", source="iris", epochs=2)
    tree = _tree(keras_h5_format.write(state, meta))
    np.testing.assert_array_equal(tree["layers/dense/vars/0"], state["0.weight"].T)
    assert tree["layers/dense/vars/0"].shape == (4, 3)


def test_extension_and_atomic_write(tmp_path, export):
    _, state, meta = export
    assert format_of("model.weights.h5") == ".weights.h5"
    save_weights(tmp_path / "model.weights.h5", state, meta)
    assert (tmp_path / "model.weights.h5").read_bytes() == keras_h5_format.write(state, meta)
    assert [p.name for p in tmp_path.iterdir()] == ["model.weights.h5"]


# ------------------------------------------------------------------ generated Keras code

def test_keras_code_names_the_layers_of_the_weights_file(export):
    t, state, meta = export
    code = keras_code(t.config, t.dataset.n_features, t.model.n_outputs, loss=t.loss_name)
    tree = ast.parse(code)
    build = next(n for n in tree.body if isinstance(n, ast.FunctionDef)
                 and n.name == "build_model")
    calls = [c.func.attr for c in ast.walk(build) if isinstance(c, ast.Call)
             and isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Name)
             and c.func.value.id == "layers"]
    layers = keras_layers(spec_from_metadata(state, meta, "test"))
    assert calls == [k.cls for k in layers]
    if t.config.train.dtype == "float64":
        assert 'keras.config.set_floatx("float64")' in code


def test_keras_predict_undoes_the_target_scaling(monkeypatch):
    """The generated predict() on the run's logits gives the app's predictions in the data's
    units. Keras is stood in for by the two things predict() calls (the network's forward
    pass is the engine's, whose weights .weights.h5 holds)."""
    import sys
    import types
    t, state, meta = trained_export([{"type": "dense", "units": 4, "activation": "tanh"}],
                                    source="diabetes", epochs=2)
    keras = types.ModuleType("keras")
    keras.layers = keras.regularizers = types.SimpleNamespace()
    keras.ops = types.SimpleNamespace(convert_to_numpy=np.asarray)
    monkeypatch.setitem(sys.modules, "keras", keras)
    model = lambda x, training: t.logits(x)  # noqa: E731 - the Keras model's call
    x = t.dataset.x_test
    ns: dict = {}
    exec(compile(keras_code(t.config, t.dataset.n_features, t.model.n_outputs,
                            loss=t.loss_name, preprocessing=meta["preprocessing"]),
                 "generated", "exec"), ns)
    assert ns["TARGET_MEAN"] == meta["preprocessing"]["standardize_target"]["mean"]
    np.testing.assert_allclose(ns["predict"](model, x), t.predict(x), rtol=1e-6)
    # from the config alone the statistics are placeholders, named as such
    code = keras_code(t.config, t.dataset.n_features, t.model.n_outputs, loss=t.loss_name)
    assert "placeholders here" in code and "TARGET_MEAN = [0.0]" in code
    plain = t.config.replace(data=dataclasses.replace(t.config.data, standardize_target=False))
    assert "TARGET_MEAN" not in keras_code(plain, t.dataset.n_features, t.model.n_outputs,
                                           loss=t.loss_name)

"""The model description every rebuilding export shares: the module list must be the engine's,
and metadata that cannot rebuild the model is refused with one line."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from conftest import run_config, trained_export
from playground.engine.activations import ACTIVATIONS
from playground.engine.network import Network
from playground.engine.perceptron import Perceptron
from playground.errors import WeightsError
from playground.io.export_spec import spec_from_metadata, state_spec, torch_modules

STACKS = {
    "empty": [],
    "every activation in dense and alone": [
        layer for act in ACTIVATIONS
        for layer in ({"type": "dense", "units": 3, "activation": act}, {"type": act})],
    "batchnorm and dropout": [{"type": "dense", "units": 4}, {"type": "batchnorm", "eps": 1e-3,
                                                              "momentum": 0.2},
                              {"type": "dropout", "p": 0.1}, {"type": "batchnorm"}],
    "leading batchnorm": [{"type": "batchnorm"}, {"type": "relu"},
                          {"type": "dense", "units": 2, "activation": "tanh"}],
}


@pytest.mark.parametrize("name", STACKS)
@pytest.mark.parametrize("n_in,n_out", [(2, 1), (7, 3)])
def test_module_list_names_the_engines_tensors(name, n_in, n_out):
    cfg = run_config(STACKS[name])
    net = Network(cfg.model, n_in, n_out, "float32", np.random.default_rng(0))
    modules = torch_modules(cfg.model, n_in, n_out)
    assert state_spec(modules) == net.state_spec()
    assert len(modules) == len(net.modules)
    for m, engine in zip(modules, net.modules):
        assert m.kind == engine.kind
        if m.kind == "activation":
            assert m.activation == engine.name
        if m.kind == "batchnorm":
            assert (m.eps, m.momentum) == (engine.eps, engine.momentum)
        if m.kind == "dropout":
            assert m.p == engine.p


@pytest.mark.parametrize("classes", [2, 4])
def test_perceptron_is_one_linear(classes):
    cfg = run_config(model_type="perceptron")
    engine = Perceptron(3, classes, "zeros", "float64", np.random.default_rng(0))
    assert state_spec(torch_modules(cfg.model, 3, engine.n_units)) == engine.state_spec()


@pytest.fixture(scope="module")
def export():
    return trained_export([{"type": "dense", "units": 4, "activation": "tanh"},
                           {"type": "batchnorm"}], source="moons", epochs=1)


def test_spec_from_metadata(export):
    t, state, meta = export
    spec = spec_from_metadata(state, meta, "a test export")
    assert spec.loss == t.loss_name == "bce"
    assert (spec.n_inputs, spec.n_features, spec.n_outputs) == (2, 2, 1)
    assert spec.output_names == ("0", "1")
    assert spec.preprocessing.mean == tuple(t.dataset.mean)


def _edit(meta, path, value):
    meta = copy.deepcopy(meta)
    *keys, last = path
    node = meta
    for key in keys:
        node = node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return meta


BAD_METADATA = {
    "no config": (("config",), KeyError, "needs the run's config in the metadata"),
    "no preprocessing": (("preprocessing",), KeyError, "needs the run's preprocessing"),
    "config invalid": (("config", "train", "optimizer", "lr"), -1,
                       "config is not a valid run config: train.optimizer.lr must be > 0"),
    "unknown task": (("preprocessing", "task"), "ranking", "preprocessing.task must be"),
    "mean too short": (("preprocessing", "standardize", "mean"), [0.0],
                       "standardize.mean must be 2 finite numbers"),
    "std zero": (("preprocessing", "standardize", "std"), [1.0, 0.0], "std must be > 0"),
    "unknown feature": (("preprocessing", "features"), ["x1", "x3"], "unknown feature 'x3'"),
    "one class": (("preprocessing", "classes"), ["a"], "at least 2 classes"),
    "another model": (("config", "model", "layers", 0, "units"), 5,
                      "0.weight has shape (4, 2), the model expects (5, 2)"),
}


@pytest.mark.parametrize("case", BAD_METADATA)
def test_metadata_that_cannot_rebuild_the_model_is_refused(export, case):
    _, state, meta = export
    path, value, fragment = BAD_METADATA[case]
    with pytest.raises(WeightsError, match=fragment.replace("(", r"\(").replace(")", r"\)")) \
            as info:
        spec_from_metadata(state, _edit(meta, path, value), "a test export")
    assert "\n" not in str(info.value)

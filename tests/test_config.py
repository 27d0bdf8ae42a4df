"""The run config: defaults, round trips, and errors that name the key path."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground import config as cfgmod
from playground.config import RunConfig
from playground.engine.activations import ACTIVATIONS
from playground.engine.initializers import INITIALIZERS
from playground.engine.optimizers import OPTIMIZER_DEFAULTS
from playground.engine.schedulers import SCHEDULE_DEFAULTS
from playground.errors import ConfigError

PRODUCT_EXAMPLE = {
    "format": 1, "seed": 0,
    "data": {"source": "spiral", "samples": 500, "noise": 0.1, "test_fraction": 0.5,
             "features": ["x1", "x2"], "standardize": True},
    "model": {"type": "mlp", "layers": [
        {"type": "dense", "units": 8, "activation": "tanh", "init": "xavier_uniform"},
        {"type": "batchnorm"}, {"type": "dropout", "p": 0.2}, {"type": "dense", "units": 8},
        {"type": "relu"}], "output_init": "xavier_uniform"},
    "train": {"loss": "auto", "epochs": 100, "batch_size": 10, "shuffle": True,
              "dtype": "float32", "optimizer": {"name": "adam", "lr": 0.01},
              "regularization": {"kind": "l2", "rate": 0.0001}, "clip": {"norm": 1.0},
              "schedule": {"name": "plateau", "factor": 0.5, "patience": 5}},
}
MINIMAL = {"format": 1, "data": {"source": "xor"}, "model": {"type": "mlp"}}


def test_product_example_loads_and_keeps_its_values():
    cfg = RunConfig.from_dict(PRODUCT_EXAMPLE)
    assert cfg.data.noise == 0.1 and cfg.train.optimizer.lr == 0.01
    assert cfg.model.layers[2].p == 0.2 and cfg.train.clip.norm == 1.0
    assert cfg.train.schedule.option("patience") == 5


def test_minimal_config_takes_defaults():
    cfg = RunConfig.from_dict(MINIMAL)
    assert cfg.seed == 0 and cfg.train.optimizer.name == "adam"
    # unset optimizer options are torch.optim's defaults
    for key, value in OPTIMIZER_DEFAULTS["adam"].items():
        assert cfg.train.optimizer.option(key) == value
    assert cfg.data.features == ("x1", "x2")


@pytest.mark.parametrize("name", OPTIMIZER_DEFAULTS)
def test_optimizer_defaults_are_torchs(name):
    cfg = RunConfig.from_dict({**MINIMAL, "train": {"optimizer": {"name": name}}})
    assert dict(cfg.train.optimizer.options) == OPTIMIZER_DEFAULTS[name]


@pytest.mark.parametrize("source", ["PRODUCT", "MINIMAL"])
def test_round_trip(tmp_path, source):
    cfg = RunConfig.from_dict(PRODUCT_EXAMPLE if source == "PRODUCT" else MINIMAL)
    path = tmp_path / "run.json"
    cfgmod.save(cfg, path)
    assert cfgmod.load(path) == cfg
    assert json.loads(path.read_text())["format"] == 1
    assert list(tmp_path.iterdir()) == [path]  # the atomic write left no temp file


layer = st.one_of(
    st.builds(lambda u, a, i: {"type": "dense", "units": u, "activation": a, "init": i},
              st.integers(1, 64), st.sampled_from(ACTIVATIONS), st.sampled_from(list(INITIALIZERS))),
    st.builds(lambda m, e: {"type": "batchnorm", "momentum": m, "eps": e},
              st.floats(0, 1), st.floats(1e-8, 1e-2)),
    st.builds(lambda p: {"type": "dropout", "p": p}, st.floats(0, 0.99)),
    st.sampled_from(ACTIVATIONS).map(lambda a: {"type": a}),
)
optimizer = st.sampled_from(list(OPTIMIZER_DEFAULTS)).flatmap(
    lambda n: st.builds(lambda lr: {"name": n, "lr": lr}, st.floats(1e-6, 1.0)))
schedule = st.sampled_from(list(SCHEDULE_DEFAULTS)).map(lambda n: {"name": n})


@settings(max_examples=60, deadline=None)
@given(layers=st.lists(layer, max_size=6), opt=optimizer, sched=schedule,
       seed=st.integers(0, 2**32), epochs=st.integers(0, 1000), bs=st.integers(0, 512),
       dtype=st.sampled_from(["float32", "float64"]))
def test_any_valid_config_round_trips(layers, opt, sched, seed, epochs, bs, dtype):
    obj = {"format": 1, "seed": seed, "data": {"source": "moons", "noise": 0.2},
           "model": {"type": "mlp", "layers": layers},
           "train": {"epochs": epochs, "batch_size": bs, "dtype": dtype, "optimizer": opt,
                     "schedule": sched}}
    cfg = RunConfig.from_dict(obj)
    assert cfgmod.loads(cfg.to_json()) == cfg
    assert cfgmod.loads(cfg.to_json()).to_dict() == cfg.to_dict()


def _with(path: str, value):
    """PRODUCT_EXAMPLE with one key set (value DELETE removes it)."""
    obj = copy.deepcopy(PRODUCT_EXAMPLE)
    *parents, last = path.split(".")
    node = obj
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is DELETE:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return obj


DELETE = object()

MALFORMED = [
    ("train.optimizer.lr", -1, "train.optimizer.lr must be > 0, got -1"),
    ("train.optimizer.lr", "fast", "train.optimizer.lr must be a number"),
    ("train.optimizer.betas", [0.9], "train.optimizer.betas must be a list of two numbers"),
    ("train.optimizer.momentum", 0.9, "train.optimizer.momentum is not an option of adam"),
    ("train.optimizer.name", "lbfgs", "train.optimizer.name must be one of sgd, rmsprop, adam"),
    ("train.optimzer", {}, "train.optimzer is not a known key"),
    ("train.epochs", 1.5, "train.epochs must be an integer"),
    ("train.epochs", True, "train.epochs must be an integer"),
    ("train.batch_size", -3, "train.batch_size must be >= 0"),
    ("train.shuffle", "yes", "train.shuffle must be true or false"),
    ("train.dtype", "float16", "train.dtype must be one of float32, float64"),
    ("train.loss", "hinge", "train.loss must be one of auto, bce, cross_entropy, mse"),
    ("train.clip", {"norm": 1, "value": 1}, "train.clip takes norm or value, not both"),
    ("train.clip", {"norm": 0}, "train.clip.norm must be > 0"),
    ("train.regularization", {"kind": "l3", "rate": 1}, "train.regularization.kind must be one of"),
    ("train.regularization.rate", -1, "train.regularization.rate must be >= 0"),
    ("train.schedule", {"name": "step", "gamma": 0}, "train.schedule.gamma must be > 0"),
    ("train.schedule", {"name": "step", "patience": 3}, "train.schedule.patience is not an option of step"),
    ("train.schedule", {"name": "cosine", "t_max": 0}, "train.schedule.t_max must be >= 1"),
    ("train.schedule", {"name": "plateau", "factor": 1.5}, "train.schedule.factor must be < 1"),
    ("model.layers.0.units", 0, "model.layers[0].units must be >= 1"),
    ("model.layers.0.activation", "swish", "model.layers[0].activation must be one of linear"),
    ("model.layers.0.init", "glorot", "model.layers[0].init must be one of xavier_uniform"),
    ("model.layers.0", {"type": "dense"}, "model.layers[0].units is required"),
    ("model.layers.1", {"type": "conv"}, "model.layers[1].type must be one of dense, batchnorm"),
    ("model.layers.2.p", 1.0, "model.layers[2].p must be < 1"),
    ("model.layers.4", {"type": "relu", "slope": 2}, "model.layers[4].slope is not a known key"),
    ("model.layers", {"type": "dense"}, "model.layers must be a list"),
    ("model.type", "cnn", "model.type must be one of mlp, perceptron"),
    ("model.type", DELETE, "model.type is required"),
    ("model.output_init", "ones", "model.output_init must be one of"),
    ("data.source", "mnist", "data.source must be one of circle, xor"),
    ("data.source", DELETE, "data.source is required"),
    ("data.samples", 1, "data.samples must be >= 2"),
    ("data.noise", -0.1, "data.noise must be >= 0"),
    ("data.test_fraction", 0.95, "data.test_fraction must be <= 0.9"),
    ("data.features", ["x1", "x3"], "data.features[1] must be one of x1, x2"),
    ("data.features", [], "data.features must be a non-empty list"),
    ("data.path", "a.csv", "data.path applies to source csv only"),
    ("data.task", "ranking", "data.task must be one of classification, regression"),
    ("seed", -1, "seed must be >= 0"),
    ("format", 2, "format must be 1, got 2 (written by a newer version"),
    ("format", DELETE, "format is required"),
    ("data", DELETE, "data is required"),
    ("data", [], "data must be a JSON object"),
]


@pytest.mark.parametrize("path,value,message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_configs_name_the_key(path, value, message):
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(_with(path, value))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_features_only_for_2d_sources():
    with pytest.raises(ConfigError, match="data.features applies to the 2-D sources only"):
        RunConfig.from_dict({**MINIMAL, "data": {"source": "iris", "features": ["x1"]}})


def test_csv_needs_a_path():
    with pytest.raises(ConfigError, match="data.path is required when data.source is csv"):
        RunConfig.from_dict({**MINIMAL, "data": {"source": "csv"}})


def test_nesterov_needs_momentum():
    with pytest.raises(ConfigError, match="nesterov needs momentum > 0"):
        RunConfig.from_dict({**MINIMAL, "train": {"optimizer": {"name": "sgd", "nesterov": True}}})


@pytest.mark.parametrize("text,message", [
    ("{", "not valid JSON"),
    ('{"format": 1, "data": {"source": "xor", "noise": NaN}, "model": {"type": "mlp"}}',
     "NaN is not valid JSON"),
    ("[1, 2]", "the config must be a JSON object"),
])
def test_bad_json(text, message):
    with pytest.raises(ConfigError, match=message):
        cfgmod.loads(text)


def test_load_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        cfgmod.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_with("train.epochs", -1)))
    with pytest.raises(ConfigError, match=r"bad.json: train.epochs must be >= 0"):
        cfgmod.load(bad)
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not UTF-8"):
        cfgmod.load(binary)


@pytest.mark.parametrize("schedule,message", [
    ({"name": "step", "gamma": None}, "train.schedule.gamma must be a number, got null"),
    ({"name": "plateau", "patience": None}, "train.schedule.patience must be an integer, got null"),
])
def test_null_options_are_refused(schedule, message):
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_dict({**MINIMAL, "train": {"schedule": schedule}})


def test_cosine_t_max_may_be_null_for_the_runs_epochs():
    cfg = RunConfig.from_dict({**MINIMAL, "train": {"schedule": {"name": "cosine", "t_max": None}}})
    assert cfg.train.schedule.option("t_max") is None


# --- data.columns and data.standardize_target ------------------------------------------------

CSV = {"format": 1, "data": {"source": "csv", "path": "d.csv"}, "model": {"type": "mlp"}}


def _csv(**data) -> dict:
    return {**CSV, "data": {**CSV["data"], **data}}


@pytest.mark.parametrize("data, message", [
    ({"columns": []}, "data.columns must be a non-empty list of column names; got []"),
    ({"columns": "a"}, "data.columns must be a non-empty list of column names; got \"a\""),
    ({"columns": ["a", 3]}, "data.columns[1] must be a non-empty string, got 3"),
    ({"columns": ["a", ""]}, "data.columns[1] must be a non-empty string"),
    ({"columns": ["a", "b", "a"]}, "data.columns lists column \"a\" twice"),
    ({"columns": ["a", "y"], "target": "y"},
     "data.columns lists the target column \"y\"; the target cannot also be a feature"),
    ({"standardize_target": "yes"}, "data.standardize_target must be true or false"),
    ({"standardize_target": True, "task": "classification"},
     "data.standardize_target applies to regression only; data.task is classification"),
])
def test_csv_columns_and_target_scaling_errors_name_the_key(data, message):
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(_csv(**data))
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("source", ["iris", "spiral", "xor", "digits"])
def test_standardize_target_true_is_refused_for_classification_sets(source):
    cfg = {**MINIMAL, "data": {"source": source, "standardize_target": True}}
    with pytest.raises(ConfigError, match=f"applies to regression only; source {source} is a "
                                          "classification set"):
        RunConfig.from_dict(cfg)
    cfg["data"]["standardize_target"] = False  # nothing to scale: allowed, and kept
    assert RunConfig.from_dict(cfg).data.standardize_target is False


def test_columns_apply_to_csv_only():
    with pytest.raises(ConfigError, match="data.columns applies to source csv only, not iris"):
        RunConfig.from_dict({**MINIMAL, "data": {"source": "iris", "columns": ["a"]}})


@pytest.mark.parametrize("data, scales", [
    ({}, True),                                    # follows standardize (true)
    ({"standardize": False}, False),
    ({"standardize": False, "standardize_target": True}, True),
    ({"standardize_target": False}, False),
])
def test_standardize_target_defaults_to_standardize(data, scales):
    cfg = RunConfig.from_dict({**MINIMAL, "data": {"source": "plane", **data}})
    assert cfg.data.scales_target("regression") is scales
    assert cfg.data.scales_target("classification") is False
    assert ("standardize_target" in cfg.to_dict()["data"]) == ("standardize_target" in data)


def test_columns_and_target_scaling_round_trip(tmp_path):
    cfg = RunConfig.from_dict(_csv(columns=["b", "a"], target="y", standardize_target=False))
    assert cfg.data.columns == ("b", "a")
    out = cfg.to_dict()["data"]
    assert out["columns"] == ["b", "a"] and out["standardize_target"] is False
    cfgmod.save(cfg, tmp_path / "run.json")
    assert cfgmod.load(tmp_path / "run.json") == cfg
    assert "columns" not in RunConfig.from_dict(CSV).to_dict()["data"]


def test_unknown_data_key_lists_the_new_keys():
    with pytest.raises(ConfigError) as info:
        RunConfig.from_dict(_csv(column=["a"]))
    assert "standardize_target" in str(info.value) and "columns" in str(info.value)

"""``model.init_seed``: new initial weights, everything else of the run unchanged."""

import numpy as np
import pytest

from playground.config import ConfigError, RunConfig
from playground.data.loader import load_dataset as load
from playground.engine.trainer import Trainer


def _config(**model):
    return RunConfig.from_dict({
        "format": 1, "seed": 3,
        "data": {"source": "xor", "samples": 80, "noise": 0.1, "test_fraction": 0.25},
        "model": {"type": "mlp", "layers": [{"type": "dense", "units": 5,
                                              "activation": "tanh"},
                                             {"type": "dropout", "p": 0.3}], **model},
        "train": {"epochs": 3, "batch_size": 8, "dtype": "float64",
                  "optimizer": {"name": "sgd", "lr": 0.1}},
    })


def _trainer(config):
    return Trainer(config, load(config.data, config.seed))


def test_init_seed_moves_only_the_initial_weights():
    base, moved = _trainer(_config()), _trainer(_config(init_seed=4))
    np.testing.assert_array_equal(base.x_train, moved.x_train)
    np.testing.assert_array_equal(base.x_test, moved.x_test)
    w0, w1 = base.state_dict(), moved.state_dict()
    assert w0.keys() == w1.keys()
    assert any(not np.array_equal(w0[k], w1[k]) for k in w0 if k.endswith("weight"))
    # the shuffle and dropout streams are the run seed's: same batches and masks, so with
    # the same starting weights the two trainers take the same steps
    moved.load_state_dict(w0)
    base.run_epochs(2)
    moved.run_epochs(2)
    for k, v in base.state_dict().items():
        np.testing.assert_array_equal(v, moved.state_dict()[k])


def test_absent_init_seed_is_the_run_seed():
    same = _trainer(_config(init_seed=3)).state_dict()
    for k, v in _trainer(_config()).state_dict().items():
        np.testing.assert_array_equal(v, same[k])


def test_init_seed_round_trips_and_is_checked():
    cfg = _config(init_seed=9)
    assert RunConfig.from_dict(cfg.to_dict()) == cfg
    assert "init_seed" not in _config().to_dict()["model"]
    with pytest.raises(ConfigError, match="model.init_seed"):
        _config(init_seed=-1)
    with pytest.raises(ConfigError, match="model.init_seed"):
        _config(init_seed="x")
    perceptron = RunConfig.from_dict({"format": 1, "data": {"source": "xor"},
                                      "model": {"type": "perceptron", "init_seed": 2}})
    assert perceptron.model.init_seed == 2
    assert RunConfig.from_dict(perceptron.to_dict()) == perceptron

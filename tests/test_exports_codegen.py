"""Generated PyTorch and Keras code: it parses for every layer, optimizer, schedule, clip,
regularization and loss the engine has (the registries are iterated, so a new entry without
code fails here), and, where torch is installed, the PyTorch code builds the engine's model
and trains it to the engine's weights.

Parity tolerance (float64, a few epochs, no shuffle or dropout): both sides compute the same
formulas in a different order, ~1e-16 per operation; 1e-9 relative leaves room for a few hundred
steps while a wrong argument (momentum, eps, a missed clip or penalty) shows at 1e-4 or more.
"""

from __future__ import annotations

import ast
import itertools

import numpy as np
import pytest

from conftest import run_config
from playground.config import DTYPES
from playground.engine.activations import ACTIVATIONS
from playground.engine.clipping import CLIP_KINDS
from playground.engine.optimizers import OPTIMIZER_DEFAULTS, OPTIMIZERS
from playground.engine.schedulers import SCHEDULES
from playground.engine.trainer import Trainer
from playground.io.codegen import keras_code, pytorch_code

LAYERS = ([{"type": "dense", "units": 3, "activation": act} for act in ACTIVATIONS]
          + [{"type": act} for act in ACTIVATIONS]
          + [{"type": "batchnorm", "momentum": 0.3, "eps": 1e-4}, {"type": "dropout", "p": 0.1}])
#: every option set away from its default (in one of the sets), so each reaches the code
OPTIONS = {
    "sgd": [{"momentum": 0.5, "dampening": 0.1, "weight_decay": 1e-3},
            {"momentum": 0.9, "nesterov": True}],  # nesterov needs dampening 0
    "rmsprop": [{"alpha": 0.9, "eps": 1e-6, "momentum": 0.3, "centered": True,
                 "weight_decay": 1e-3}],
    "adam": [{"betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 1e-3, "amsgrad": True}],
    "adamw": [{"betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.05, "amsgrad": True}],
}
SCHEDULE_OPTIONS = {"constant": {}, "step": {"step_size": 2, "gamma": 0.5},
                    "exponential": {"gamma": 0.9}, "cosine": {"t_max": 5, "eta_min": 1e-4},
                    "plateau": {"factor": 0.5, "patience": 2, "threshold": 1e-3,
                                "min_lr": 1e-5}}
CLIPS = {"none": None, "norm": {"norm": 1.0}, "value": {"value": 0.5}}
REGULARIZATIONS = {"none": None, "l1": {"kind": "l1", "rate": 1e-3},
                   "l2": {"kind": "l2", "rate": 1e-3}}
HEADS = {"bce": (1, "mse"), "cross_entropy": (3, "bce"), "mse": (2, "bce"),
         "perceptron": (3, None)}


def test_the_option_tables_cover_the_registries():
    assert set(OPTIONS) == set(OPTIMIZERS) and set(SCHEDULE_OPTIONS) == set(SCHEDULES)
    assert set(CLIPS) == set(CLIP_KINDS)
    for name, sets in OPTIONS.items():
        assert set().union(*sets) | {"lr"} == set(OPTIMIZER_DEFAULTS[name]), name


def _config(loss, opt, schedule, clip, reg, dtype, options=0):
    train = {"optimizer": {"name": opt, "lr": 0.05, **OPTIONS[opt][options]}, "dtype": dtype,
             "schedule": {"name": schedule, **SCHEDULE_OPTIONS[schedule]}, "epochs": 7}
    if clip != "none":
        train["clip"] = CLIPS[clip]
    if reg != "none":
        train["regularization"] = REGULARIZATIONS[reg]
    if loss == "perceptron":
        return run_config(model_type="perceptron", optimizer={"name": "sgd", "lr": 0.5},
                          dtype=dtype, shuffle=schedule != "step")
    return run_config(LAYERS, **train, loss=loss if loss != "mse" else "auto",
                      source="plane" if loss == "mse" else "xor")


@pytest.mark.parametrize("loss", HEADS)
def test_code_parses_for_every_combination(loss):
    n_out = HEADS[loss][0]
    seen = set()
    for (opt, options), schedule, clip, reg, dtype in itertools.product(
            [(o, i) for o in OPTIMIZERS for i in range(len(OPTIONS[o]))], SCHEDULES,
            CLIP_KINDS, REGULARIZATIONS, DTYPES):
        cfg = _config(loss, opt, schedule, clip, reg, dtype, options)
        for code in (pytorch_code(cfg, 5, n_out, loss=loss),
                     keras_code(cfg, 5, n_out, loss=loss)):
            if code in seen:  # a perceptron ignores most of the training settings
                continue
            seen.add(code)
            compile(code, f"<{loss} {opt} {schedule} {clip} {reg} {dtype}>", "exec")


def _calls(code: str, prefix: str) -> list[str]:
    """Dotted names of the calls whose name starts with ``prefix``, in source order."""
    out = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name.startswith(prefix) and name.replace(".", "").replace("_", "").isalnum():
                out.append((node.lineno, node.col_offset, name))
    return [name for *_, name in sorted(out)]


def _kwargs(code: str, name: str) -> dict:
    """The keyword arguments (as values) of the one call of ``name`` in ``code``."""
    (call,) = [node for node in ast.walk(ast.parse(code))
               if isinstance(node, ast.Call) and ast.unparse(node.func) == name]
    return {k.arg: ast.literal_eval(k.value) for k in call.keywords}


def test_pytorch_code_names_every_module_and_setting():
    cfg = _config("bce", "sgd", "plateau", "norm", "l1", "float64")
    code = pytorch_code(cfg, 5, 1, loss="bce")
    modules = _calls(code, "nn.")
    assert modules[:2] == ["nn.Sequential", "nn.Linear"]
    assert modules.count("nn.Linear") == len(ACTIVATIONS) + 1
    assert "nn.GELU" in modules and "nn.LeakyReLU" in modules and "nn.BatchNorm1d" in modules
    assert _kwargs(code, "torch.optim.SGD") == {"lr": 0.05, "momentum": 0.5, "dampening": 0.1,
                                                "nesterov": False, "weight_decay": 1e-3}
    assert _kwargs(code, "torch.optim.lr_scheduler.ReduceLROnPlateau") == {
        "mode": "min", "factor": 0.5, "patience": 2, "threshold": 1e-3,
        "threshold_mode": "rel", "min_lr": 1e-5}
    assert _kwargs(code, "torch.nn.utils.clip_grad_norm_") == {"max_norm": 1.0}
    assert "m.weight.grad.add_(torch.sign(m.weight), alpha=0.001)" in code
    assert "DTYPE = torch.float64" in code


def test_keras_code_converts_the_settings():
    code = keras_code(_config("cross_entropy", "adam", "plateau", "norm", "l2", "float32"),
                      5, 3, loss="cross_entropy")
    assert "kernel_regularizer=regularizers.L2(0.0005)" in code  # rate / 2
    assert _kwargs(code, "keras.optimizers.Adam") == {
        "learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-6,
        "amsgrad": True, "weight_decay": 1e-3, "global_clipnorm": 1.0}
    assert "patience=3" in code  # torch's 2, counted the Keras way
    assert "SparseCategoricalCrossentropy(from_logits=True)" in code
    assert "LeakyReLU(negative_slope=0.01)" in code
    value = keras_code(_config("mse", "sgd", "step", "value", "l1", "float32"), 5, 2, loss="mse")
    assert "clipvalue=0.5" in value and "regularizers.L1(0.001)" in value
    assert "epoch % 2 == 0" in value


# ------------------------------------------------------------------- with torch installed

PARITY = {
    "sgd nesterov, l2, clip norm, step, batchnorm, bce": dict(
        layers=[{"type": "dense", "units": 5, "activation": "tanh"}, {"type": "batchnorm"},
                {"type": "dense", "units": 3, "activation": "gelu"}],
        source="moons", optimizer={"name": "sgd", "lr": 0.1, "momentum": 0.9,
                                   "nesterov": True},
        regularization={"kind": "l2", "rate": 1e-2}, clip={"norm": 0.3},
        schedule={"name": "step", "step_size": 1, "gamma": 0.5}),
    "rmsprop centered, l1, clip value, exponential, cross_entropy": dict(
        layers=[{"type": "dense", "units": 6, "activation": "elu"}, {"type": "silu"}],
        source="iris", optimizer={"name": "rmsprop", "lr": 0.01, "momentum": 0.5,
                                  "centered": True, "weight_decay": 1e-3},
        regularization={"kind": "l1", "rate": 1e-3}, clip={"value": 0.05},
        schedule={"name": "exponential", "gamma": 0.8}),
    "adam amsgrad, cosine, batchnorm, mse": dict(
        layers=[{"type": "dense", "units": 6, "activation": "leaky_relu"},
                {"type": "batchnorm", "momentum": 0.3}, {"type": "sigmoid"}],
        source="plane", optimizer={"name": "adam", "lr": 0.02, "amsgrad": True},
        schedule={"name": "cosine", "t_max": 2, "eta_min": 1e-3}),
    "adamw, plateau, full batch, bce": dict(
        layers=[{"type": "dense", "units": 4, "activation": "relu"}],
        source="xor", optimizer={"name": "adamw", "lr": 0.05, "weight_decay": 0.1},
        schedule={"name": "plateau", "factor": 0.5, "patience": 0}, batch_size=0),
    "sgd dampening, constant, mse": dict(
        layers=[{"type": "dense", "units": 4, "activation": "tanh"}], source="plane",
        optimizer={"name": "sgd", "lr": 0.05, "momentum": 0.5, "dampening": 0.3}),
    "perceptron, 3 classes": dict(model_type="perceptron", source="iris",
                                  optimizer={"name": "sgd", "lr": 0.5}),
}


@pytest.mark.parametrize("case", PARITY)
def test_pytorch_code_trains_like_the_engine(case):
    torch = pytest.importorskip("torch")
    kw = dict(PARITY[case])
    layers = kw.pop("layers", [])
    kw.setdefault("batch_size", 8)
    epochs = 4
    cfg = run_config(layers, dtype="float64", shuffle=False, epochs=epochs,
                     data={"samples": 60} if kw["source"] != "iris" else None, **kw)
    t = Trainer(cfg)
    initial = t.state_dict()
    n_out = t.model.n_units if t.perceptron else t.model.n_outputs
    ns: dict = {}
    exec(compile(pytorch_code(cfg, t.dataset.n_features, n_out, loss=t.loss_name,
                              preprocessing=t.dataset.preprocessing()), "generated", "exec"), ns)
    # mse runs standardize their targets by default: the code names the statistics to use
    assert ("TARGET_MEAN" in ns) == (t.loss_name == "mse")
    model = ns["build_model"]()
    assert list(model.state_dict()) == list(initial)
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == \
        {k: v.shape for k, v in initial.items()}
    model.load_state_dict({k: torch.from_numpy(v) for k, v in initial.items()}, strict=True)

    def targets(y):
        if t.loss_name == "bce":
            return torch.from_numpy(y.reshape(-1, 1).astype(np.float64))
        if "TARGET_MEAN" in ns:  # as fit()'s docstring asks: (y - TARGET_MEAN) / TARGET_STD
            y = (y - np.array(ns["TARGET_MEAN"])) / np.array(ns["TARGET_STD"])
        return torch.from_numpy(np.ascontiguousarray(y))

    x, xt = torch.from_numpy(t.x_train), torch.from_numpy(t.x_test)
    if t.perceptron:
        ns["fit"](model, x, targets(t.dataset.y_train), epochs=epochs)
    else:
        ns["fit"](model, x, targets(t.dataset.y_train), xt, targets(t.dataset.y_test),
                  epochs=epochs)
    t.run_epochs(epochs)
    for key, value in t.state_dict().items():
        got = model.state_dict()[key].numpy()
        np.testing.assert_allclose(got, value, rtol=1e-9, atol=1e-12, err_msg=key)
    assert not np.array_equal(t.state_dict()["0.weight"], initial["0.weight"])

"""The generated code's optimizer, schedule and clipping arguments, read back with ``ast``
(neither torch nor keras is imported) and checked against the torch -> Keras mapping stated
here, independently of playground/io/codegen.py.

Why: a Keras RMSprop written with ``rho=1 - alpha`` still parses and runs, and the PyTorch
parity tests that would notice a wrong torch argument skip where torch is not installed. Every
option below is away from its default and distinct from the others in its set, so a dropped,
swapped or transformed argument shows.
"""

from __future__ import annotations

import ast
import io
import math
import tokenize

import pytest

from conftest import run_config
from playground.engine.optimizers import OPTIMIZER_DEFAULTS, OPTIMIZERS
from playground.engine.schedulers import SCHEDULE_DEFAULTS
from playground.io.codegen import keras_code, pytorch_code

#: each optimizer's option sets, all away from torch's defaults (nesterov needs dampening 0;
#: adamw with weight_decay 0 because Keras's AdamW defaults to 0.004, so 0 must be written)
OPTIONS = {
    "sgd": [{"lr": 0.03, "momentum": 0.7, "dampening": 0.2, "weight_decay": 0.004},
            {"lr": 0.03, "momentum": 0.9, "nesterov": True},
            {"lr": 0.03, "weight_decay": 0.004}],  # plain SGD: the one exact weight decay
    "rmsprop": [{"lr": 0.03, "alpha": 0.8, "eps": 1e-5, "momentum": 0.4, "centered": True,
                 "weight_decay": 0.002}],
    "adam": [{"lr": 0.03, "betas": (0.85, 0.95), "eps": 1e-6, "weight_decay": 0.002,
              "amsgrad": True}],
    "adamw": [{"lr": 0.03, "betas": (0.7, 0.9), "eps": 1e-5, "weight_decay": 0.05,
               "amsgrad": True},
              {"lr": 0.03, "weight_decay": 0.0}],
}
CASES = [(name, i) for name in OPTIMIZERS for i in range(len(OPTIONS[name]))]

#: torch.optim signatures (pytorch.org/docs/stable/optim.html): SGD(params, lr, momentum,
#: dampening, weight_decay, nesterov), RMSprop(params, lr, alpha, eps, weight_decay, momentum,
#: centered), Adam/AdamW(params, lr, betas, eps, weight_decay, amsgrad): the config's option
#: names are torch's, so the PyTorch code passes each one as it is.
TORCH_CLASSES = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam", "adamw": "AdamW"}

#: Keras 3 (keras.io/api/optimizers/): SGD(learning_rate, momentum, nesterov, weight_decay),
#: RMSprop(learning_rate, rho, momentum, epsilon, centered), Adam(learning_rate, beta_1,
#: beta_2, epsilon, amsgrad), AdamW(learning_rate, weight_decay, beta_1, beta_2, epsilon,
#: amsgrad); every optimizer also takes weight_decay, clipnorm, clipvalue, global_clipnorm.
#: torch option -> Keras keyword. The values carry over unchanged: torch's RMSprop alpha IS
#: Keras's rho (both weight the old squared-gradient average: v = rho v + (1 - rho) g^2), and
#: Adam's betas split into beta_1, beta_2. None: no Keras counterpart (SGD's dampening).
TO_KERAS = {
    "sgd": ("SGD", {"lr": "learning_rate", "momentum": "momentum", "nesterov": "nesterov",
                    "weight_decay": "weight_decay", "dampening": None}),
    "rmsprop": ("RMSprop", {"lr": "learning_rate", "alpha": "rho", "momentum": "momentum",
                            "eps": "epsilon", "centered": "centered",
                            "weight_decay": "weight_decay"}),
    "adam": ("Adam", {"lr": "learning_rate", "betas": ("beta_1", "beta_2"), "eps": "epsilon",
                      "amsgrad": "amsgrad", "weight_decay": "weight_decay"}),
    "adamw": ("AdamW", {"lr": "learning_rate", "betas": ("beta_1", "beta_2"),
                        "eps": "epsilon", "amsgrad": "amsgrad",
                        "weight_decay": "weight_decay"}),
}
#: Keras keywords that may be left out: their Keras default means the same as the torch value
#: (weight_decay=None is no decay; AdamW is absent here, its default is 0.004)
KERAS_OMITTABLE = {"sgd": {"weight_decay": 0.0}, "rmsprop": {"weight_decay": 0.0},
                   "adam": {"weight_decay": 0.0}, "adamw": {}}
#: where Keras differs, docs/exports.md's table says so and the code must say it in a comment:
#: (optimizer, option, when) -> a word the comment must hold
KERAS_NOTES = [
    ("sgd", "dampening", lambda o: o["dampening"] != 0, "dampening"),
    ("rmsprop", "eps", lambda o: True, "epsilon"),  # inside the square root in Keras
    ("adam", "eps", lambda o: True, "epsilon"),     # Keras's is Adam's "epsilon hat"
    ("adamw", "eps", lambda o: True, "epsilon"),
    # torch's weight decay is added to the gradient, Keras's is decoupled: equal for plain SGD
    ("sgd", "weight_decay", lambda o: o["weight_decay"] != 0 and o["momentum"] != 0,
     "decoupled"),
    ("rmsprop", "weight_decay", lambda o: o["weight_decay"] != 0, "decoupled"),
    ("adam", "weight_decay", lambda o: o["weight_decay"] != 0, "decoupled"),
]

#: clipping: torch clip_grad_norm_(max_norm) over all parameters is Keras's global_clipnorm
#: (clipnorm would clip each variable alone); clip_grad_value_(clip_value) is clipvalue
CLIPS = {"none": None, "norm": {"norm": 0.7}, "value": {"value": 0.2}}
TORCH_CLIPS = {"norm": ("torch.nn.utils.clip_grad_norm_", "max_norm"),
               "value": ("torch.nn.utils.clip_grad_value_", "clip_value")}
KERAS_CLIPS = {"norm": "global_clipnorm", "value": "clipvalue"}

SCHEDULES = {"step": {"step_size": 3, "gamma": 0.5}, "exponential": {"gamma": 0.8},
             "cosine": {"t_max": 5, "eta_min": 0.002}, "cosine_epochs": {"eta_min": 0.002},
             "plateau": {"factor": 0.3, "patience": 4, "threshold": 0.01, "min_lr": 1e-4}}
EPOCHS = 9
LR0 = 0.03


def _lr_torch(name: str, o: dict, epoch: int) -> float:
    """The learning rate during epoch ``epoch`` (0-based), torch.optim.lr_scheduler's closed
    forms: StepLR lr0 gamma^(e // step_size), ExponentialLR lr0 gamma^e, CosineAnnealingLR
    eta_min + (lr0 - eta_min)(1 + cos(pi e / T_max)) / 2."""
    if name == "step":
        return LR0 * o["gamma"] ** (epoch // o["step_size"])
    if name == "exponential":
        return LR0 * o["gamma"] ** epoch
    t_max = o.get("t_max") or EPOCHS  # no t_max: the run's epochs
    return o["eta_min"] + (LR0 - o["eta_min"]) * (1 + math.cos(math.pi * epoch / t_max)) / 2


def _config(opt="adam", options=None, clip="none", schedule=None):
    options = options if options is not None else {"lr": LR0}
    train = {"optimizer": {"name": opt, **{k: list(v) if isinstance(v, tuple) else v
                                           for k, v in options.items()}},
             "epochs": EPOCHS}
    if clip != "none":
        train["clip"] = CLIPS[clip]
    if schedule:
        train["schedule"] = {"name": schedule.split("_")[0], **SCHEDULES[schedule]}
    return run_config([{"type": "dense", "units": 3, "activation": "tanh"}], **train)


def _call(code: str, name: str) -> ast.Call:
    """The one call of ``name`` (dotted) in ``code``."""
    calls = [node for node in ast.walk(ast.parse(code))
             if isinstance(node, ast.Call) and ast.unparse(node.func) == name]
    assert len(calls) == 1, f"{len(calls)} calls of {name}"
    return calls[0]


def _kwargs(call: ast.Call) -> dict:
    """Keyword values as Python values; a name (``monitor=monitor``) as its source."""
    out = {}
    for k in call.keywords:
        try:
            out[k.arg] = ast.literal_eval(k.value)
        except ValueError:
            out[k.arg] = ast.unparse(k.value)
    return out


def _comments(code: str) -> str:
    return " ".join(t.string for t in tokenize.generate_tokens(io.StringIO(code).readline)
                    if t.type == tokenize.COMMENT)


def _options(name, i):
    return {**OPTIMIZER_DEFAULTS[name], **OPTIONS[name][i]}


def test_the_tables_cover_every_option():
    assert set(OPTIONS) == set(TO_KERAS) == set(TORCH_CLASSES) == set(OPTIMIZERS)
    assert {s.split("_")[0] for s in SCHEDULES} == set(SCHEDULE_DEFAULTS) - {"constant"}
    for name, sets in OPTIONS.items():
        assert set(TO_KERAS[name][1]) == set(OPTIMIZER_DEFAULTS[name]), name
        moved = {k for s in sets for k, v in s.items() if v != OPTIMIZER_DEFAULTS[name][k]}
        # every option reaches the code away from torch's default in some set
        assert moved == set(OPTIMIZER_DEFAULTS[name]), name


@pytest.mark.parametrize("clip", CLIPS)
@pytest.mark.parametrize("name, i", CASES)
def test_pytorch_optimizer_and_clip_arguments(name, i, clip):
    o = _options(name, i)
    code = pytorch_code(_config(name, OPTIONS[name][i], clip), 2, 1, loss="bce")
    call = _call(code, f"torch.optim.{TORCH_CLASSES[name]}")
    assert [ast.unparse(a) for a in call.args] == ["model.parameters()"]
    assert _kwargs(call) == o  # torch's names, the values as given
    for kind, (fn, kw) in TORCH_CLIPS.items():
        if kind == clip:
            assert _kwargs(_call(code, fn)) == {kw: CLIPS[clip][kind]}
        else:
            assert fn not in code


@pytest.mark.parametrize("clip", CLIPS)
@pytest.mark.parametrize("name, i", CASES)
def test_keras_optimizer_and_clip_arguments(name, i, clip):
    o = _options(name, i)
    code = keras_code(_config(name, OPTIONS[name][i], clip), 2, 1, loss="bce")
    keras_class, mapping = TO_KERAS[name]
    (opt_call,) = [node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Call)
                   and ast.unparse(node.func).startswith("keras.optimizers.")]
    assert ast.unparse(opt_call.func) == f"keras.optimizers.{keras_class}"
    assert opt_call.args == []
    got = _kwargs(opt_call)
    expected = {}
    for option, keyword in mapping.items():
        if keyword is None:
            continue
        if isinstance(keyword, tuple):  # betas -> beta_1, beta_2
            expected.update(zip(keyword, o[option]))
        else:
            expected[keyword] = o[option]
    for keyword, value in KERAS_OMITTABLE[name].items():
        if expected.get(keyword) == value and keyword not in got:
            del expected[keyword]
    if clip != "none":
        expected[KERAS_CLIPS[clip]] = CLIPS[clip][clip]
    assert got == expected
    comments = _comments(code)
    for opt, option, when, word in KERAS_NOTES:
        if opt == name and when(o):
            assert word in comments, f"no comment on {name}'s {option} ({word!r})"


def _torch_schedule(name: str, o: dict) -> tuple[str, dict]:
    """torch.optim.lr_scheduler's class and keywords for the schedule: StepLR(step_size,
    gamma), ExponentialLR(gamma), CosineAnnealingLR(T_max, eta_min), ReduceLROnPlateau(mode,
    factor, patience, threshold, threshold_mode, min_lr); the engine's plateau is min, rel."""
    if name == "step":
        return "StepLR", {"step_size": o["step_size"], "gamma": o["gamma"]}
    if name == "exponential":
        return "ExponentialLR", {"gamma": o["gamma"]}
    if name == "cosine":
        return "CosineAnnealingLR", {"T_max": o["t_max"] or EPOCHS, "eta_min": o["eta_min"]}
    return "ReduceLROnPlateau", {"mode": "min", "factor": o["factor"],
                                 "patience": o["patience"], "threshold": o["threshold"],
                                 "threshold_mode": "rel", "min_lr": o["min_lr"]}


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_schedule_arguments(schedule):
    name = schedule.split("_")[0]
    o = {**SCHEDULE_DEFAULTS[name], **SCHEDULES[schedule]}
    cfg = _config(schedule=schedule)
    torch_src, keras_src = pytorch_code(cfg, 2, 1, loss="bce"), keras_code(cfg, 2, 1, loss="bce")
    cls, kwargs = _torch_schedule(name, o)
    call = _call(torch_src, f"torch.optim.lr_scheduler.{cls}")
    assert [ast.unparse(a) for a in call.args] == ["optimizer"] and _kwargs(call) == kwargs
    if name == "plateau":
        # torch reduces after more than `patience` bad epochs, Keras once `patience` are
        # reached: Keras's patience is torch's + 1. min_delta is absolute in Keras, torch's
        # threshold relative: said in a comment.
        call = _call(keras_src, "keras.callbacks.ReduceLROnPlateau")
        assert _kwargs(call) == {"monitor": "monitor", "factor": o["factor"],
                                 "patience": o["patience"] + 1, "min_delta": o["threshold"],
                                 "min_lr": o["min_lr"], "mode": "min"}
        assert "relative" in _comments(keras_src)
        return
    # Keras calls schedule(epoch, lr) at each epoch's start (epoch 0-based) with the current
    # lr; run the generated lambda the same way and compare with torch's closed form
    (lam,) = _call(keras_src, "keras.callbacks.LearningRateScheduler").args
    rule = eval(compile(ast.Expression(lam), "lambda", "eval"), {"math": math})
    lr = LR0
    for epoch in range(EPOCHS):
        lr = rule(epoch, lr)
        assert lr == pytest.approx(_lr_torch(name, o, epoch), rel=1e-12), epoch

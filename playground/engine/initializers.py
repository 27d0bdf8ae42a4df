"""Weight initializers, defined as torch.nn.init defines them (gain 1 unless stated).

Weights have PyTorch's Linear shape ``(fan_out, fan_in)``.

================  ==============================================================
name              distribution
================  ==============================================================
xavier_uniform    U(-b, b),  b = sqrt(6 / (fan_in + fan_out))      (Glorot; var 2/(fan_in+fan_out))
xavier_normal     N(0, 2 / (fan_in + fan_out))
he_uniform        U(-b, b),  b = sqrt(6 / fan_in)                 (kaiming_uniform_, fan_in, relu)
he_normal         N(0, 2 / fan_in)                                (kaiming_normal_, fan_in, relu)
lecun_normal      N(0, 1 / fan_in)                                (kaiming_normal_, nonlinearity linear;
                                                                   Keras' lecun_normal truncates, this does not)
uniform           U(-0.5, 0.5)                                    (TensorFlow Playground)
zeros             0
================  ==============================================================
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from playground.engine.formulas import Formula, NotebookError

Init = Callable[[np.random.Generator, tuple[int, int]], np.ndarray]


def _uniform(rng: np.random.Generator, shape: tuple[int, ...], bound: float) -> np.ndarray:
    return rng.uniform(-bound, bound, size=shape)


def xavier_uniform(rng, shape):
    fan_out, fan_in = shape
    return _uniform(rng, shape, math.sqrt(6.0 / (fan_in + fan_out)))


def xavier_normal(rng, shape):
    fan_out, fan_in = shape
    return rng.normal(0.0, math.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def he_uniform(rng, shape):
    return _uniform(rng, shape, math.sqrt(6.0 / shape[1]))


def he_normal(rng, shape):
    return rng.normal(0.0, math.sqrt(2.0 / shape[1]), size=shape)


def lecun_normal(rng, shape):
    return rng.normal(0.0, math.sqrt(1.0 / shape[1]), size=shape)


def uniform(rng, shape):
    return _uniform(rng, shape, 0.5)


def zeros(rng, shape):
    return np.zeros(shape)


INITIALIZERS: dict[str, Init] = {
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
    "lecun_normal": lecun_normal,
    "uniform": uniform,
    "zeros": zeros,
}

#: Bias initializers: a name here, or a number for a constant bias.
BIAS_INITIALIZERS: tuple[str, ...] = ("zeros", "uniform")


def init_weight(name: str, rng: np.random.Generator, fan_out: int, fan_in: int) -> np.ndarray:
    """A float64 ``(fan_out, fan_in)`` weight drawn from the named initializer."""
    return INITIALIZERS[name](rng, (fan_out, fan_in))


def init_bias(spec: str | float, rng: np.random.Generator, n: int) -> np.ndarray:
    """A float64 bias of length n: ``zeros``, ``uniform`` (U(-0.5, 0.5)) or a constant."""
    if spec == "zeros":
        return np.zeros(n)
    if spec == "uniform":
        return _uniform(rng, (n,), 0.5)
    return np.full(n, float(spec))


# -- formulas: what the app, docs/formulas.md and tests/test_formulas.py show and check ---------
# Each twin gives the distribution as written, for a layer of fan_in inputs and fan_out units.

_GLOROT_ERROR = NotebookError(
    r"W \sim \mathcal{N}\left(0, \dfrac{1}{n_{in}}\right)\quad \mathrm{(called\ Xavier)}",
    (r"W \sim \mathcal{N}\left(0, \dfrac{2}{n_{in} + n_{out}}\right)\quad\mathrm{or}\quad "
     r"W \sim \mathcal{U}(-a, a),\ a = \sqrt{\dfrac{6}{n_{in} + n_{out}}}",),
    "Its \"Xavier\" N(0, 1/n_in), and the code with it, is LeCun's initialization "
    "(lecun_normal). Glorot's variance averages the fan-in and the fan-out, 2/(n_in + n_out), "
    "so that both the forward signal and the backward gradient keep their scale (the "
    "notebook's own Keras cell, GlorotUniform, uses the uniform bound below).")
_FANS = "n_in is the layer's number of inputs (fan_in), n_out its number of units (fan_out)."


def _bound(a):
    return ("uniform", -a, a)


FORMULAS: dict[tuple[str, str], Formula] = {
    ("init", "xavier_uniform"): Formula(
        "Xavier uniform",
        (r"W \sim \mathcal{U}(-a, a),\quad a = \sqrt{\dfrac{6}{n_{in} + n_{out}}}",
         r"\mathrm{Var}[W] = \dfrac{a^2}{3} = \dfrac{2}{n_{in} + n_{out}}"),
        "Glorot's uniform weights: a variance that keeps the scale of the signal forward and "
        "of the gradient backward; suits tanh and sigmoid.",
        "torch.nn.init.xavier_uniform_(w)", lambda n_in, n_out: _bound(
            math.sqrt(6 / (n_in + n_out))),
        symbols=_FANS, reference_error=_GLOROT_ERROR),
    ("init", "xavier_normal"): Formula(
        "Xavier normal",
        (r"W \sim \mathcal{N}\left(0, \sigma^2\right),\quad "
         r"\sigma^2 = \dfrac{2}{n_{in} + n_{out}}",),
        "Glorot's normal weights: the same variance as Xavier uniform, drawn from a normal.",
        "torch.nn.init.xavier_normal_(w)",
        lambda n_in, n_out: ("normal", 0.0, 2 / (n_in + n_out)),
        symbols=_FANS, reference_error=_GLOROT_ERROR),
    ("init", "he_uniform"): Formula(
        "He uniform",
        (r"W \sim \mathcal{U}(-a, a),\quad a = \sqrt{\dfrac{6}{n_{in}}}",
         r"\mathrm{Var}[W] = \dfrac{a^2}{3} = \dfrac{2}{n_{in}}"),
        "Kaiming He's weights for ReLU: twice LeCun's variance, since a ReLU zeroes about "
        "half of its inputs.",
        "torch.nn.init.kaiming_uniform_(w, mode='fan_in', nonlinearity='relu')",
        lambda n_in, n_out: _bound(math.sqrt(6 / n_in)), symbols=_FANS),
    ("init", "he_normal"): Formula(
        "He normal",
        (r"W \sim \mathcal{N}\left(0, \sigma^2\right),\quad \sigma^2 = \dfrac{2}{n_{in}}",),
        "Kaiming He's normal weights for ReLU: variance 2/n_in.",
        "torch.nn.init.kaiming_normal_(w, mode='fan_in', nonlinearity='relu')",
        lambda n_in, n_out: ("normal", 0.0, 2 / n_in), symbols=_FANS),
    ("init", "lecun_normal"): Formula(
        "LeCun normal",
        (r"W \sim \mathcal{N}\left(0, \sigma^2\right),\quad \sigma^2 = \dfrac{1}{n_{in}}",),
        "LeCun's weights: variance 1/n_in keeps the forward signal's scale through linear "
        "units (the reference notebook calls this Xavier).",
        "torch.nn.init.kaiming_normal_(w, nonlinearity='linear')",
        lambda n_in, n_out: ("normal", 0.0, 1 / n_in),
        symbols=_FANS + " Keras' LecunNormal truncates the normal; torch's does not.",
        reference_error=NotebookError(
            _GLOROT_ERROR.wrote, (r"\mathrm{LeCun:}\ W \sim \mathcal{N}\left(0, "
                                  r"\dfrac{1}{n_{in}}\right),\quad \mathrm{Xavier:}\ W \sim "
                                  r"\mathcal{N}\left(0, \dfrac{2}{n_{in} + n_{out}}\right)",),
            "It names this distribution Xavier (Glorot); it is LeCun's. Glorot's variance is "
            "2/(n_in + n_out): xavier_normal.")),
    ("init", "uniform"): Formula(
        "Uniform", (r"W \sim \mathcal{U}(-0.5, 0.5)",),
        "TensorFlow Playground's weights: the same range whatever the layer's size.",
        "torch.nn.init.uniform_(w, -0.5, 0.5)", lambda n_in, n_out: _bound(0.5)),
    ("init", "zeros"): Formula(
        "Zeros", (r"W = 0",),
        "Every weight 0: units of one layer get the same gradient and stay copies of each "
        "other, so use it for the perceptron, not for hidden layers.",
        "torch.nn.init.zeros_(w)", lambda n_in, n_out: ("constant", 0.0)),
}

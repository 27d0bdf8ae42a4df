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

"""Activation functions as PyTorch defines them, compiled by Numba and selected by integer code.

One code per activation lets a handful of compiled kernels serve every configuration.
Backward passes use the pre-activation ``z`` (PyTorch's ``*_backward`` take the input), so the
derivative at a kink matches PyTorch exactly: ReLU'(0) = 0, LeakyReLU'(0) = 0.01, ELU'(0) = 1.

===========  =====================================  ==============================================
name         f(z)                                   f'(z)
===========  =====================================  ==============================================
linear       z                                      1
sigmoid      1 / (1 + e^-z)                         f(z) (1 - f(z))
tanh         tanh z                                 1 - f(z)^2
relu         max(z, 0)                              1 if z > 0 else 0
leaky_relu   z if z > 0 else 0.01 z                 1 if z > 0 else 0.01
elu          z if z > 0 else e^z - 1                1 if z > 0 else e^z
gelu         z Phi(z) = z/2 (1 + erf(z/sqrt 2))     Phi(z) + z phi(z)   (exact erf form, PyTorch's default)
silu         z sigmoid(z)                           s (1 + z (1 - s)),  s = sigmoid(z)
===========  =====================================  ==============================================
"""

from __future__ import annotations

import math

import numba
import numpy as np

ACTIVATIONS: tuple[str, ...] = (
    "linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu",
)
ACTIVATION_CODES: dict[str, int] = {name: code for code, name in enumerate(ACTIVATIONS)}
LEAKY_SLOPE = 0.01
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@numba.njit(cache=True, nogil=True, inline="always")
def _sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@numba.njit(cache=True, nogil=True, inline="always")
def act(code, x):
    """f(x) for one value; shared by the array kernels and the fused training kernel."""
    if code == 0:
        return x
    if code == 1:
        return _sigmoid(x)
    if code == 2:
        return math.tanh(x)
    if code == 3:
        return x if (x > 0 or x != x) else 0.0  # NaN passes, as in torch.relu
    if code == 4:
        return x if x > 0 else LEAKY_SLOPE * x
    if code == 5:
        return x if x > 0 else math.expm1(x)
    if code == 6:
        return 0.5 * x * (1.0 + math.erf(x * _INV_SQRT2))
    return x * _sigmoid(x)


@numba.njit(cache=True, nogil=True, inline="always")
def act_grad(code, x, y, g):
    """g * f'(x) for one value, given y = f(x)."""
    if code == 0:
        return g
    if code == 1:
        return g * (1.0 - y) * y
    if code == 2:
        return g * (1.0 - y * y)
    if code == 3:
        return g if x > 0 else 0.0
    if code == 4:
        return g if x > 0 else g * LEAKY_SLOPE
    if code == 5:
        return g if x > 0 else g * math.exp(x)
    if code == 6:
        cdf = 0.5 * (1.0 + math.erf(x * _INV_SQRT2))
        pdf = math.exp(-0.5 * x * x) * _INV_SQRT_2PI
        return g * (cdf + x * pdf)
    s = _sigmoid(x)
    return g * s * (1.0 + x * (1.0 - s))


@numba.njit(cache=True, nogil=True)
def activation_forward(code: int, z: np.ndarray, out: np.ndarray) -> None:
    """out = f(z), elementwise over C-contiguous arrays of equal shape (out may be z)."""
    zf = z.reshape(-1)
    of = out.reshape(-1)
    for i in range(zf.size):
        of[i] = act(code, zf[i])


@numba.njit(cache=True, nogil=True)
def activation_backward(code: int, z: np.ndarray, a: np.ndarray, grad_out: np.ndarray,
                        grad_in: np.ndarray) -> None:
    """grad_in = grad_out * f'(z), given z and a = f(z); grad_in may alias grad_out."""
    zf = z.reshape(-1)
    af = a.reshape(-1)
    gf = grad_out.reshape(-1)
    rf = grad_in.reshape(-1)
    for i in range(zf.size):
        rf[i] = act_grad(code, zf[i], af[i], gf[i])


def apply(name: str, z: np.ndarray) -> np.ndarray:
    """f(z) as a new array (convenience for tests, traces and plots)."""
    z = np.ascontiguousarray(z)
    out = np.empty_like(z)
    activation_forward(ACTIVATION_CODES[name], z, out)
    return out


def derivative(name: str, z: np.ndarray) -> np.ndarray:
    """f'(z) as a new array."""
    z = np.ascontiguousarray(z)
    a = apply(name, z)
    out = np.empty_like(z)
    activation_backward(ACTIVATION_CODES[name], z, a, np.ones_like(z), out)
    return out

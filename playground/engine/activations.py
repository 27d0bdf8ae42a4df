"""Activation functions as PyTorch defines them, compiled by Numba and selected by integer code.

One code per activation lets a handful of compiled kernels serve every configuration; their
compiled forms (``act``, ``act_grad``, ``act_array``, ``act_grad_array``) live in
``activation_kernels``, which imports Numba, so that the registry, the config and the NumPy
backend load without it (a third of a second at the app's start). The
per-array calls outside the fused kernels (``activation_forward``, ``activation_backward``,
``apply``, ``derivative``: the layers, traces and plots) are their NumPy twins, so the NumPy
backend trains while the kernels compile, never waiting for Numba.
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

import numpy as np

from playground.engine.formulas import Formula

ACTIVATIONS: tuple[str, ...] = (
    "linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu",
)
ACTIVATION_CODES: dict[str, int] = {name: code for code, name in enumerate(ACTIVATIONS)}
LEAKY_SLOPE = 0.01
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
def activation_forward(code: int, z: np.ndarray, out: np.ndarray) -> None:
    """out = f(z), elementwise over arrays of equal shape (out may be z). Plain NumPy, the
    twin of ``activation_kernels.act_array``: the layers (the NumPy backend, ``layer_outputs``), traces and
    plots call it, so nothing outside the fused kernels waits for Numba to compile."""
    out[...] = _numpy_forward(code, z)


def activation_backward(code: int, z: np.ndarray, a: np.ndarray, grad_out: np.ndarray,
                        grad_in: np.ndarray) -> None:
    """grad_in = grad_out * f'(z), given z and a = f(z); grad_in may alias grad_out. Plain
    NumPy, the twin of ``activation_kernels.act_grad_array``."""
    grad_in[...] = _numpy_backward(code, z, a, grad_out)


def _np_sigmoid(z: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(z))  # never overflows; NaN stays NaN
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


_ERF = np.vectorize(math.erf, otypes=[np.float64])


def _np_erf(z: np.ndarray) -> np.ndarray:
    """math.erf elementwise, as the kernels call it (no dependency beyond NumPy), in z's
    dtype."""
    z = np.asarray(z)
    return _ERF(z).astype(z.dtype, copy=False) if z.size else np.zeros_like(z)


def _numpy_forward(code: int, z: np.ndarray) -> np.ndarray:
    if code == 0:
        return z
    if code == 1:
        return _np_sigmoid(z)
    if code == 2:
        return np.tanh(z)
    if code == 3:
        return np.maximum(z, 0)  # NaN passes, as in torch.relu
    if code == 4:
        return np.where(z > 0, z, LEAKY_SLOPE * z)
    if code == 5:
        return np.where(z > 0, z, np.expm1(np.minimum(z, 0)))
    if code == 6:
        return 0.5 * z * (1 + _np_erf(z * _INV_SQRT2))
    return z * _np_sigmoid(z)


def _numpy_backward(code: int, z: np.ndarray, y: np.ndarray, g: np.ndarray) -> np.ndarray:
    if code == 0:
        return g
    if code == 1:
        return g * (1 - y) * y
    if code == 2:
        return g * (1 - y * y)
    if code == 3:
        return np.where(z > 0, g, 0)
    if code == 4:
        return np.where(z > 0, g, g * LEAKY_SLOPE)
    if code == 5:
        return np.where(z > 0, g, g * np.exp(np.minimum(z, 0)))
    if code == 6:
        cdf = 0.5 * (1 + _np_erf(z * _INV_SQRT2))
        pdf = np.exp(-0.5 * z * z) * _INV_SQRT_2PI
        return g * (cdf + z * pdf)
    s = _np_sigmoid(z)
    return g * s * (1 + z * (1 - s))


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


# -- formulas: what the app, docs/formulas.md and tests/test_formulas.py show and check ---------
# Each twin computes (f(z), f'(z)) from the formula as written, in plain NumPy.

def _sig(z):
    return 1 / (1 + np.exp(-z))


def _phi(z):
    return 0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2)))


def _branch(z, right, left):
    """The formulas' "right if z > 0, else left" (z = 0 takes the left branch, as PyTorch)."""
    return np.where(z > 0, right, left)


_IF = r"\ \mathrm{if}\ z > 0,\ \mathrm{else}\ "
FORMULAS: dict[tuple[str, str], Formula] = {
    ("activation", "linear"): Formula(
        "Linear", (r"f(z) = z", r"f'(z) = 1"),
        "No activation: the unit passes its weighted sum on unchanged.",
        "torch.nn.Identity()", lambda z: (z, np.ones_like(z))),
    ("activation", "sigmoid"): Formula(
        "Sigmoid", (r"f(z) = \sigma(z) = \dfrac{1}{1 + e^{-z}}",
                    r"f'(z) = \sigma(z)\,(1 - \sigma(z))"),
        "Squashes any input into (0, 1); its slope is at most 1/4, so gradients shrink "
        "through every sigmoid layer.",
        "torch.nn.Sigmoid()", lambda z: (_sig(z), _sig(z) * (1 - _sig(z)))),
    ("activation", "tanh"): Formula(
        "Tanh", (r"f(z) = \tanh z = \dfrac{e^{z} - e^{-z}}{e^{z} + e^{-z}}",
                 r"f'(z) = 1 - \tanh^2 z"),
        "Squashes any input into (−1, 1), centred on 0; its slope is 1 at 0 and vanishes "
        "for large |z|.",
        "torch.nn.Tanh()",
        lambda z: ((np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z)),
                   1 - ((np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))) ** 2)),
    ("activation", "relu"): Formula(
        "ReLU", (r"f(z) = \max(z, 0)", r"f'(z) = 1" + _IF + "0"),
        "Passes positive inputs, zeroes negative ones; a unit whose input stays negative "
        "gets no gradient (a dead unit).",
        "torch.nn.ReLU()", lambda z: (np.maximum(z, 0), _branch(z, 1.0, 0.0))),
    ("activation", "leaky_relu"): Formula(
        "Leaky ReLU", (r"f(z) = z" + _IF + r"0.01\,z", r"f'(z) = 1" + _IF + "0.01"),
        "ReLU with a small slope for negative inputs, so no unit dies.",
        "torch.nn.LeakyReLU(0.01)",
        lambda z: (_branch(z, z, 0.01 * z), _branch(z, 1.0, 0.01))),
    ("activation", "elu"): Formula(
        "ELU", (r"f(z) = z" + _IF + r"e^{z} - 1", r"f'(z) = 1" + _IF + r"e^{z}"),
        "ReLU for positive inputs, a smooth curve down to −1 for negative ones.",
        "torch.nn.ELU(alpha=1.0)",
        lambda z: (_branch(z, z, np.exp(z) - 1), _branch(z, 1.0, np.exp(z)))),
    ("activation", "gelu"): Formula(
        "GELU", (r"f(z) = z\,\Phi(z) = \dfrac{z}{2}\left(1 + \mathrm{erf}"
                 r"\dfrac{z}{\sqrt{2}}\right)",
                 r"f'(z) = \Phi(z) + z\,\varphi(z),\quad "
                 r"\varphi(z) = \dfrac{e^{-z^2/2}}{\sqrt{2\pi}}"),
        "Weighs each input by the chance that a standard normal lies below it: close to "
        "ReLU, but smooth.",
        "torch.nn.GELU(approximate='none')",
        lambda z: (z * _phi(z), _phi(z) + z * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)),
        symbols="Φ and φ are the standard normal distribution function and density; this is "
                "the exact erf form, not the tanh approximation."),
    ("activation", "silu"): Formula(
        "SiLU", (r"f(z) = z\,\sigma(z)", r"f'(z) = \sigma(z)\,(1 + z\,(1 - \sigma(z)))"),
        "The input weighed by its own sigmoid (also called swish): smooth, and slightly "
        "negative just below 0.",
        "torch.nn.SiLU()",
        lambda z: (z * _sig(z), _sig(z) * (1 + z * (1 - _sig(z))))),
}

"""Activation functions as PyTorch defines them, compiled by Numba and selected by integer code.

One code per activation lets a handful of compiled kernels serve every configuration. The
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

import numba
import numpy as np
from numba import types
from numba.extending import overload

from playground.engine.formulas import Formula

ACTIVATIONS: tuple[str, ...] = (
    "linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu",
)
ACTIVATION_CODES: dict[str, int] = {name: code for code, name in enumerate(ACTIVATIONS)}
LEAKY_SLOPE = 0.01
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
#: numba options of every kernel: fastmath without nnan/ninf (a diverging run must still show
#: NaN), and NumPy's error model (x/0 is inf, not an exception), which lets loops vectorize.
JIT = dict(cache=True, nogil=True, error_model="numpy",
           fastmath={"reassoc", "contract", "arcp", "nsz"})

# tanh, float32: Eigen's rational minimax approximation (odd degree-13 / even degree-6 on
# [-7.905, 7.905], where float32 tanh saturates), within 3e-7 relative of the exact value, and
# branch-free so loops vectorize.
_F32 = np.float32
_T32_CLAMP = _F32(7.90531110763549805)
_T32_TINY = _F32(0.0004)
_T32_ONE = _F32(9.0)  # beyond it float32 tanh is exactly +-1
_T32_A = tuple(_F32(v) for v in (4.89352455891786e-03, 6.37261928875436e-04,
                                  1.48572235717979e-05, 5.12229709037114e-08,
                                  -8.60467152213735e-11, 2.00018790482477e-13,
                                  -2.76076847742355e-16))
_T32_B = tuple(_F32(v) for v in (4.89352518554385e-03, 2.26843463243900e-03,
                                  1.18534705686654e-04, 1.19825839466702e-06))
# tanh, float64: tanh|x| = -m / (2 + m) with m = expm1(-2|x|), and expm1(-y) for y = k/4 + r
# from a table (exp(-k/4), expm1(-k/4)) and a degree-13 Taylor polynomial of expm1(-r) on
# [0, 1/4) (truncation < 3e-18): within 1e-15 relative, about 5x faster than libm's tanh.
_T64_STEPS = 4.0
# tuples, not arrays: Numba freezes a global tuple into the compiled code, so it caches
_T64_E = tuple(float(v) for v in np.exp(-np.arange(162) / _T64_STEPS))
_T64_EM1 = tuple(float(v) for v in np.expm1(-np.arange(162) / _T64_STEPS))
_T64_C = tuple((-1.0) ** n / math.factorial(n) for n in range(1, 14))


def fast_tanh(x):
    """tanh(x), vectorizable inside Numba kernels (dispatch by float width)."""
    return math.tanh(x)


@overload(fast_tanh, jit_options=JIT)
def _fast_tanh(x):
    if isinstance(x, types.Float) and x.bitwidth == 32:
        a1, a3, a5, a7, a9, a11, a13 = _T32_A
        b0, b2, b4, b6 = _T32_B

        def tanh32(x):
            c = min(max(x, -_T32_CLAMP), _T32_CLAMP)
            x2 = c * c
            p = c * (a1 + x2 * (a3 + x2 * (a5 + x2 * (a7 + x2 * (a9 + x2 * (a11 + x2 * a13))))))
            q = b0 + x2 * (b2 + x2 * (b4 + x2 * b6))
            r = p / q if abs(x) < _T32_ONE else (_F32(1.0) if x > 0 else _F32(-1.0))
            r = x if abs(x) < _T32_TINY else r
            return x if x != x else r
        return tanh32
    c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13 = _T64_C
    table_e, table_em1 = _T64_E, _T64_EM1

    def tanh64(x):
        ax = abs(x)
        if not ax <= 20.0:  # tanh(20) rounds to 1; NaN takes this branch too
            ax = 20.0
        y = 2.0 * ax
        k = int(y * _T64_STEPS)
        r = y - k / _T64_STEPS
        q = r * (c1 + r * (c2 + r * (c3 + r * (c4 + r * (c5 + r * (c6 + r * (
            c7 + r * (c8 + r * (c9 + r * (c10 + r * (c11 + r * (c12 + r * c13))))))))))))
        m = table_em1[k] + table_e[k] * q
        t = (0.0 - m) / (2.0 + m)
        if x != x:
            return x
        return t if x >= 0 else -t
    return tanh64


@numba.njit(**JIT)
def _sigmoid(x):
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@numba.njit(**JIT)
def act(code, x):
    """f(x) for one value; shared by the array kernels and the fused training kernel."""
    if code == 0:
        return x
    if code == 1:
        return _sigmoid(x)
    if code == 2:
        return fast_tanh(x)
    if code == 3:
        return x if (x > 0 or x != x) else 0.0  # NaN passes, as in torch.relu
    if code == 4:
        return x if x > 0 else LEAKY_SLOPE * x
    if code == 5:
        return x if x > 0 else math.expm1(x)
    if code == 6:
        return 0.5 * x * (1.0 + math.erf(x * _INV_SQRT2))
    return x * _sigmoid(x)


@numba.njit(**JIT)
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


@numba.njit(**JIT, inline="always")
def act_array(code, src, dst):
    """dst = f(src) over 1-D arrays; one loop per code so each loop vectorizes."""
    if code == 2:
        for i in range(src.size):
            dst[i] = fast_tanh(src[i])
    elif code == 3:
        for i in range(src.size):
            x = src[i]
            dst[i] = x if (x > 0 or x != x) else 0.0
    elif code == 0:
        for i in range(src.size):
            dst[i] = src[i]
    else:
        for i in range(src.size):
            dst[i] = act(code, src[i])


@numba.njit(**JIT, inline="always")
def act_grad_array(code, x, y, g, out):
    """out = g * f'(x) over 1-D arrays (y = f(x)); one loop per code."""
    if code == 2:
        for i in range(x.size):
            out[i] = g[i] * (1.0 - y[i] * y[i])
    elif code == 3:
        for i in range(x.size):
            out[i] = g[i] if x[i] > 0 else 0.0
    elif code == 0:
        for i in range(x.size):
            out[i] = g[i]
    else:
        for i in range(x.size):
            out[i] = act_grad(code, x[i], y[i], g[i])


def activation_forward(code: int, z: np.ndarray, out: np.ndarray) -> None:
    """out = f(z), elementwise over arrays of equal shape (out may be z). Plain NumPy, the
    twin of ``act_array``: the layers (the NumPy backend, ``layer_outputs``), traces and
    plots call it, so nothing outside the fused kernels waits for Numba to compile."""
    out[...] = _numpy_forward(code, z)


def activation_backward(code: int, z: np.ndarray, a: np.ndarray, grad_out: np.ndarray,
                        grad_in: np.ndarray) -> None:
    """grad_in = grad_out * f'(z), given z and a = f(z); grad_in may alias grad_out. Plain
    NumPy, the twin of ``act_grad_array``."""
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

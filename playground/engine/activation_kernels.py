"""The activations compiled by Numba, selected by the integer codes of ``activations``: the
forms the fused kernels (``kernels``) inline. Their definitions, and their NumPy twins that the
NumPy backend, traces and plots call, are in ``activations``, which does not import Numba."""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types
from numba.extending import overload

from playground.engine.activations import LEAKY_SLOPE, _INV_SQRT2, _INV_SQRT_2PI

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

"""Curve smoothing: the debiased exponential moving average of TensorBoard's scalar charts.

For the finite values x_1, x_2, ... of a curve, in order, and a weight beta in [0, 1):

    s_0 = 0,   s_t = beta s_{t-1} + (1 - beta) x_t,   smoothed_t = s_t / (1 - beta^t)

Dividing by 1 - beta^t (the weights' sum, (1 - beta) (1 + beta + ... + beta^(t-1))) removes
the pull towards s_0 = 0 that an undebiased average has at the start, so the first smoothed
value is x_1 itself. A NaN or infinite value is skipped: it is kept as it is in the output and
neither enters s nor counts in t (TensorBoard does the same). beta = 0 gives the raw curve.
"""

from __future__ import annotations

import numpy as np


def ema(values, beta: float) -> np.ndarray:
    """The debiased EMA of ``values`` (n,) along its first axis, as float64; a 2-D
    ``values`` (n, k) is smoothed column by column (each column skips its own NaNs)."""
    beta = float(beta)
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"the smoothing weight must be in [0, 1), got {beta}")
    x = np.array(values, dtype=np.float64)  # a copy: non-finite entries stay as they are
    if x.ndim == 2:
        for j in range(x.shape[1]):
            x[:, j] = ema(x[:, j], beta)
        return x
    if x.ndim != 1:
        raise ValueError(f"values must be 1-D or 2-D, got shape {x.shape}")
    finite = np.isfinite(x)
    if beta == 0.0 or not finite.any():
        return x
    xs = x[finite]
    s = _recursion(xs, beta)
    t = np.arange(1, xs.size + 1)
    x[finite] = s / -np.expm1(t * np.log(beta))   # 1 - beta^t, accurate for beta near 1
    return x


#: largest beta^-j a block of ``_recursion`` scales by (terms stay far from overflow), and
#: most values in a block (a cumulative sum's rounding grows with its length)
_BLOCK_SCALE, _BLOCK = 1e150, 256


def _recursion(xs: np.ndarray, beta: float) -> np.ndarray:
    """s_t = beta s_{t-1} + (1 - beta) x_t from s_0 = 0, in NumPy (no SciPy import, which
    would hold the window's GIL for a second on a thread). Within a block of L values after
    a carried s_0:  s_j = beta^j (s_0 + (1 - beta) sum_{i<=j} beta^-i x_i),  a cumulative
    sum; L <= 256 and beta^-L <= 1e150. As accurate as the float64 loop (measured against
    a long-double loop on a 20,000-value random walk: at most 1.9e-12 relative where the
    loop's is 4.7e-12, at betas 0.9 to 0.9999)."""
    n = xs.size
    out = np.empty(n)
    block = int(max(1, min(n, _BLOCK, np.log(_BLOCK_SCALE) // -np.log(beta))))
    j = np.arange(1, block + 1, dtype=np.float64)
    up, down = beta ** -j, beta ** j
    carry = 0.0
    for start in range(0, n, block):
        m = min(block, n - start)
        c = np.cumsum(up[:m] * xs[start:start + m])
        out[start:start + m] = down[:m] * (carry + (1.0 - beta) * c)
        carry = out[start + m - 1]
    return out

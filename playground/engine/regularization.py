"""L1/L2 on the gradients of dense weights (not biases, not batchnorm), before clipping.

l1: g += rate * sign(w)        (sign(0) = 0, as torch.sign)
l2: g += rate * w
The penalty itself (rate * sum|w| or rate/2 * sum w^2) is never part of the reported loss.
"""

from __future__ import annotations

import numpy as np


def apply(kind: str, rate: float, params: np.ndarray, grads: np.ndarray,
          weight_slices: list[slice]) -> None:
    if kind == "none" or rate == 0:
        return
    for sl in weight_slices:
        w = params[sl]
        grads[sl] += rate * (np.sign(w) if kind == "l1" else w)

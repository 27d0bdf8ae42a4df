"""Gradient clipping over all parameters at once, as torch.nn.utils does it.

norm:  total = ||g||_2 over every parameter;  g *= min(1, c / (total + 1e-6))   (clip_grad_norm_)
value: g = clamp(g, -c, c)                                                       (clip_grad_value_)
"""

from __future__ import annotations

import numpy as np

CLIP_KINDS: tuple[str, ...] = ("none", "norm", "value")


def clip_norm(grads: np.ndarray, max_norm: float) -> float:
    """Scale grads in place; returns the total norm before clipping."""
    total = np.sqrt(np.dot(grads, grads))
    coef = min(max_norm / (float(total) + 1e-6), 1.0)
    grads *= grads.dtype.type(coef)
    return float(total)


def clip_value(grads: np.ndarray, value: float) -> None:
    np.clip(grads, -value, value, out=grads)

"""Gradient clipping over all parameters at once, as torch.nn.utils does it.

norm:  total = ||g||_2 over every parameter;  g *= min(1, c / (total + 1e-6))   (clip_grad_norm_)
value: g = clamp(g, -c, c)                                                       (clip_grad_value_)
"""

from __future__ import annotations

import numpy as np

from playground.engine.formulas import Formula

CLIP_KINDS: tuple[str, ...] = ("none", "norm", "value")


def clip_norm(grads: np.ndarray, max_norm: float) -> float:
    """Scale grads in place; returns the total norm before clipping."""
    total = np.sqrt(np.dot(grads, grads))
    coef = min(max_norm / (float(total) + 1e-6), 1.0)
    grads *= grads.dtype.type(coef)
    return float(total)


def clip_value(grads: np.ndarray, value: float) -> None:
    np.clip(grads, -value, value, out=grads)


# -- formulas: what the app, docs/formulas.md and tests/test_formulas.py show and check ---------

_ALL = "g is the gradient of every parameter at once, after L1/L2; c is the threshold."
FORMULAS = {
    ("clip", "norm"): Formula(
        "Clip by norm",
        (r"\|g\| = \sqrt{\sum_j g_j^2}",
         r"g \leftarrow g\,\min\left(1, \dfrac{c}{\|g\| + 10^{-6}}\right)"),
        "Scales the whole gradient down to length c when it is longer; its direction is kept.",
        "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=c)",
        lambda g, c: g * min(1.0, c / (np.sqrt(np.sum(g ** 2)) + 1e-6)), symbols=_ALL),
    ("clip", "value"): Formula(
        "Clip by value", (r"g_j \leftarrow \min(\max(g_j, -c), c)",),
        "Clamps each gradient entry to [−c, c]; the direction can change.",
        "torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=c)",
        lambda g, c: np.minimum(np.maximum(g, -c), c), symbols=_ALL),
}

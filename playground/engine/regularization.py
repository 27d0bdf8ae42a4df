"""L1/L2 on the gradients of dense weights (not biases, not batchnorm), before clipping.

l1: g += rate * sign(w)        (sign(0) = 0, as torch.sign)
l2: g += rate * w
The penalty itself (rate * sum|w| or rate/2 * sum w^2) is never part of the reported loss.
"""

from __future__ import annotations

import numpy as np

from playground.engine.formulas import Formula


def apply(kind: str, rate: float, params: np.ndarray, grads: np.ndarray,
          weight_slices: list[slice]) -> None:
    if kind == "none" or rate == 0:
        return
    for sl in weight_slices:
        w = params[sl]
        grads[sl] += rate * (np.sign(w) if kind == "l1" else w)


# -- formulas: what the app, docs/formulas.md and tests/test_formulas.py show and check ---------

_WHERE = ("W is every dense layer's weight (nn.Linear.weight, the output layer's too; not "
          "biases, not batchnorm), r the rate; added before clipping. PyTorch has no built-in: "
          "add the penalty to the loss.")
FORMULAS = {
    ("regularization", "l1"): Formula(
        "L1", (r"\dfrac{\partial L}{\partial W} \leftarrow \dfrac{\partial L}{\partial W} + "
               r"r\,\mathrm{sign}(W)",
               r"\mathrm{the\ gradient\ of}\quad r\sum |W|"),
        "Pulls every weight towards 0 by the same step, so small ones reach exactly 0: a "
        "sparse model that uses few inputs.",
        "loss + r * sum(w.abs().sum() for w in linear_weights)",
        lambda w, rate: rate * np.sign(w), symbols=_WHERE + " sign(0) = 0."),
    ("regularization", "l2"): Formula(
        "L2", (r"\dfrac{\partial L}{\partial W} \leftarrow \dfrac{\partial L}{\partial W} + r\,W",
               r"\mathrm{the\ gradient\ of}\quad \dfrac{r}{2}\sum W^2"),
        "Pulls every weight towards 0 in proportion to its size: all of them shrink, none "
        "vanishes.",
        "loss + r / 2 * sum((w ** 2).sum() for w in linear_weights)",
        lambda w, rate: rate * w, symbols=_WHERE),
}

"""Rosenblatt's perceptron: a step unit trained one sample at a time.

    y_hat = 1 if w . x + b > 0 else 0          (labels 0/1)
    w += lr (y - y_hat) x,   b += lr (y - y_hat)

Only mistakes change anything. For K > 2 classes, K units learn one-vs-rest (unit k sees label
[y == k]) and the prediction is the unit with the largest w . x + b. An epoch without a mistake
is convergence: the weights no longer change, so every later epoch is mistake-free too. On data
that is not linearly separable (XOR) that never happens.
"""

from __future__ import annotations

import threading

import numpy as np

from playground.engine.formulas import Formula
from playground.engine.initializers import init_weight


def _steps(weight, bias, x, targets, order, start, stop, lr, mistakes):
    """Train on samples order[start:stop]; count mistakes per unit; return the position of the
    last sample that caused an update, or -1."""
    last = -1
    n_units, n_features = weight.shape
    for pos in range(start, stop):
        i = order[pos]
        for k in range(n_units):
            z = bias[k]
            for j in range(n_features):
                z += weight[k, j] * x[i, j]
            y_hat = 1.0 if z > 0 else 0.0
            err = targets[i, k] - y_hat
            if err != 0:
                step = lr * err
                for j in range(n_features):
                    weight[k, j] += step * x[i, j]
                bias[k] += step
                mistakes[k] += 1
                last = pos
    return last


_COMPILE_LOCK = threading.Lock()
_kernel = None


def steps_kernel():
    """``_steps`` compiled by Numba (``cache=True, nogil=True``), made on first use: importing
    Numba costs about a third of a second, which nothing else at the app's start needs.
    Also readable as ``perceptron.perceptron_steps``."""
    global _kernel
    with _COMPILE_LOCK:   # the warm-up and the worker may ask at once: one dispatcher
        if _kernel is None:
            import numba
            _kernel = numba.njit(cache=True, nogil=True)(_steps)
    return _kernel


def __getattr__(name: str):
    if name == "perceptron_steps":
        return steps_kernel()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class Perceptron:
    """One step unit (binary) or K one-vs-rest units; torch twin: ``nn.Sequential(nn.Linear)``."""

    def __init__(self, n_inputs: int, n_classes: int, init: str, dtype,
                 rng: np.random.Generator) -> None:
        self.dtype = np.dtype(dtype)
        self.n_units = 1 if n_classes == 2 else n_classes
        self.weight = np.ascontiguousarray(
            init_weight(init, rng, self.n_units, n_inputs), dtype=self.dtype)
        self.bias = np.zeros(self.n_units, self.dtype)

    #: no optimizer state: Rosenblatt's rule is the whole update (``Network.n_params`` twin)
    n_params = 0

    @property
    def modules(self) -> list:
        """The modules with state, as ``Network.modules``: the perceptron is its one unit."""
        return [self]

    @property
    def n_outputs(self) -> int:
        """The output width, as ``Network.n_outputs``: one unit, or one per class."""
        return self.n_units

    def targets(self, y: np.ndarray) -> np.ndarray:
        """0/1 targets (n, n_units) for class indices y."""
        if self.n_units == 1:
            return y.reshape(-1, 1).astype(self.dtype)
        return (y[:, None] == np.arange(self.n_units)).astype(self.dtype)

    def decision(self, x: np.ndarray) -> np.ndarray:
        return x @ self.weight.T + self.bias

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        """The units' values for model inputs x (n, n_inputs), as ``Network.layer_outputs``:
        [weighted sums z = x w^T + b (n, n_units) (the logits), steps [z > 0] (n, n_units)]."""
        z = self.decision(x)
        return [z, (z > 0).astype(self.dtype)]

    #: what ``layer_outputs`` holds: the linear unit, then its step
    module_kinds: tuple[str, ...] = ("linear", "step")

    @property
    def module_widths(self) -> tuple[int, ...]:
        return (self.n_units, self.n_units)

    def predict(self, x: np.ndarray) -> np.ndarray:
        z = self.decision(x)
        if self.n_units == 1:
            return (z[:, 0] > 0).astype(np.int64)
        return z.argmax(axis=1)

    def train(self, x, targets, order, start, stop, lr) -> tuple[np.ndarray, int]:
        mistakes = np.zeros(self.n_units, np.int64)
        last = steps_kernel()(self.weight, self.bias, x, targets, order, start, stop,
                              self.dtype.type(lr), mistakes)
        return mistakes, int(last)

    def state_spec(self) -> dict[str, tuple[tuple[int, ...], str]]:
        return {"0.weight": (self.weight.shape, "float"), "0.bias": (self.bias.shape, "float")}

    def state_dict(self) -> dict[str, np.ndarray]:
        return {"0.weight": self.weight.copy(), "0.bias": self.bias.copy()}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.weight[...] = state["0.weight"]
        self.bias[...] = state["0.bias"]


# -- formula: what the app, docs/formulas.md and tests/test_formulas.py show and check ----------

def _rule_twin(w, b, x, y, lr):
    """One sample through Rosenblatt's rule, as written: w (units, features), x (features,)."""
    y_hat = (w @ x + b > 0).astype(float)
    return w + lr * np.outer(y - y_hat, x), b + lr * (y - y_hat)


FORMULAS = {
    ("model", "perceptron"): Formula(
        "Perceptron rule",
        (r"\hat{y} = 1\ \mathrm{if}\ w \cdot x + b > 0,\ \mathrm{else}\ 0",
         r"w \leftarrow w + \eta\,(y - \hat{y})\,x,\qquad b \leftarrow b + \eta\,(y - \hat{y})"),
        "Rosenblatt's rule, one sample at a time: only a mistake moves the weights, adding "
        "the input (a missed 1) or subtracting it (a false 1).",
        "with torch.no_grad(): w += lr * (y - y_hat) * x", _rule_twin,
        symbols="η is the learning rate; y in {0, 1} the label, one-vs-rest for K > 2 "
                "classes. No torch.optim rule does this: PyTorch writes it by hand."),
}

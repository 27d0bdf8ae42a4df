"""The network's layers as PyTorch defines them; parameters are views into one flat buffer.

Each layer caches what its backward pass needs during a training forward pass.
Shapes: inputs and outputs ``(n_samples, n_units)``; Linear weights ``(out, in)``.

Linear      y = x W^T + b                      dW = g^T x,  db = sum_n g,  dx = g W
Activation  y = f(x)                           dx = g f'(x)                      (see activations)
BatchNorm   train: y = gamma (x - mu_B) / sqrt(var_B + eps) + beta, var_B biased;
            running = (1 - m) running + m stat, with the unbiased var_B n/(n-1) (BatchNorm1d)
            eval: the running statistics instead of the batch's
            dx = gamma / (n sqrt(var_B + eps)) (n g - sum g - xhat sum(g xhat))
Dropout     train: y = x mask / (1 - p), mask_i = [u_i >= p], u ~ U[0, 1)   (inverted dropout)
            eval: y = x
"""

from __future__ import annotations

import numpy as np

from playground.engine.activations import (
    ACTIVATION_CODES, activation_backward, activation_forward,
)
from playground.engine.formulas import Formula, NotebookError


class Linear:
    kind = "linear"

    def __init__(self, n_in: int, n_out: int) -> None:
        self.n_in, self.n_out = n_in, n_out
        self.param_shapes = {"weight": (n_out, n_in), "bias": (n_out,)}
        self.weight = self.bias = self.grad_weight = self.grad_bias = None

    def forward(self, x: np.ndarray, training: bool, rng) -> np.ndarray:
        if training:
            self._x = x
        return x @ self.weight.T + self.bias

    def backward(self, g: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        np.matmul(g.T, self._x, out=self.grad_weight)
        np.sum(g, axis=0, out=self.grad_bias)
        return g @ self.weight if input_grad else None


class Activation:
    kind = "activation"
    param_shapes: dict = {}

    def __init__(self, name: str) -> None:
        self.name = name
        self.code = ACTIVATION_CODES[name]

    def forward(self, x: np.ndarray, training: bool, rng) -> np.ndarray:
        if self.code == 0:
            out = x
        else:
            x = np.ascontiguousarray(x)
            out = np.empty_like(x)
            activation_forward(self.code, x, out)
        if training:
            self._x, self._y = x, out
        return out

    def backward(self, g: np.ndarray) -> np.ndarray:
        if self.code == 0:
            return g
        g = np.ascontiguousarray(g)
        out = np.empty_like(g)
        activation_backward(self.code, self._x, self._y, g, out)
        return out


class BatchNorm:
    kind = "batchnorm"

    def __init__(self, n: int, momentum: float, eps: float, dtype) -> None:
        self.n, self.momentum, self.eps = n, momentum, eps
        self.param_shapes = {"weight": (n,), "bias": (n,)}
        self.weight = self.bias = self.grad_weight = self.grad_bias = None
        self.running_mean = np.zeros(n, dtype)
        self.running_var = np.ones(n, dtype)
        self.num_batches_tracked = np.int64(0)

    def forward(self, x: np.ndarray, training: bool, rng) -> np.ndarray:
        if not training:
            return (x - self.running_mean) / np.sqrt(self.running_var + self.eps) * self.weight \
                + self.bias
        n = x.shape[0]
        mean, var, invstd, xhat = batch_statistics(x, self.eps)
        m = self.momentum
        self.running_mean *= 1 - m
        self.running_mean += m * mean
        self.running_var *= 1 - m
        self.running_var += m * (var * (n / (n - 1)))
        self.num_batches_tracked = np.int64(self.num_batches_tracked + 1)
        self._xhat, self._invstd = xhat, invstd
        return xhat * self.weight + self.bias

    def backward(self, g: np.ndarray) -> np.ndarray:
        dx, self.grad_weight[...], self.grad_bias[...] = batchnorm_backward(
            g, self._xhat, self._invstd, self.weight)
        return dx


def batch_statistics(x: np.ndarray, eps: float) -> tuple[np.ndarray, ...]:
    """(mean, biased variance, invstd, xhat) of a batch x (n, units) per unit, as a training
    pass of BatchNorm1d computes them: invstd = 1 / sqrt(var + eps), xhat = (x - mean) invstd."""
    mean = x.mean(axis=0)
    centered = x - mean
    var = (centered * centered).mean(axis=0)
    invstd = 1 / np.sqrt(var + eps)
    return mean, var, invstd, centered * invstd


def batchnorm_backward(g: np.ndarray, xhat: np.ndarray, invstd: np.ndarray,
                       gamma: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(dL/dx, dL/dgamma, dL/dbeta) from g = dL/dy (n, units) of a training pass."""
    n = g.shape[0]
    sum_g = g.sum(axis=0)
    sum_gx = (g * xhat).sum(axis=0)
    return (gamma * invstd / n) * (n * g - sum_g - xhat * sum_gx), sum_gx, sum_g


class Dropout:
    kind = "dropout"
    param_shapes: dict = {}

    def __init__(self, p: float) -> None:
        self.p = p

    def forward(self, x: np.ndarray, training: bool, rng: np.random.Generator) -> np.ndarray:
        if not training:
            return x
        keep = rng.random(x.shape) >= self.p
        self._mask = keep.astype(x.dtype) / x.dtype.type(1 - self.p)
        return x * self._mask

    def backward(self, g: np.ndarray) -> np.ndarray:
        return g * self._mask


# -- formulas: what the app, docs/formulas.md and tests/test_formulas.py show and check ---------

def _batchnorm_twin(x, gamma, beta, eps, momentum, running_mean, running_var):
    """A training-mode pass as written: (y, new running mean, new running variance)."""
    n = x.shape[0]
    mu = x.sum(axis=0) / n
    var = ((x - mu) ** 2).sum(axis=0) / n
    y = gamma * (x - mu) / np.sqrt(var + eps) + beta
    return (y, (1 - momentum) * running_mean + momentum * mu,
            (1 - momentum) * running_var + momentum * var * n / (n - 1))


def _dropout_twin(x, u, p, training):
    return np.where(u >= p, 1.0, 0.0) * x / (1 - p) if training else x


FORMULAS = {
    ("layer", "dense"): Formula(
        "Dense",
        (r"y = x\,W^{\mathsf{T}} + b",
         r"\dfrac{\partial L}{\partial W} = g^{\mathsf{T}} x,\quad "
         r"\dfrac{\partial L}{\partial b} = \sum_{n} g,\quad "
         r"\dfrac{\partial L}{\partial x} = g\,W"),
        "Each unit's weighted sum of the previous layer's outputs, plus its bias.",
        "torch.nn.Linear(n_in, n_out)", lambda x, w, b: x @ w.T + b,
        symbols="x is the batch (n, n_in), W the weight (n_out, n_in) as PyTorch stores it, "
                "g = dL/dy."),
    ("layer", "batchnorm"): Formula(
        "Batch normalization",
        (r"\mu_B = \dfrac{1}{n}\sum_{i} x_i,\quad \sigma_B^2 = \dfrac{1}{n}\sum_{i}(x_i - \mu_B)^2",
         r"\hat{x} = \dfrac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}},\quad "
         r"y = \gamma\,\hat{x} + \beta",
         r"\hat{\mu} \leftarrow (1 - m)\,\hat{\mu} + m\,\mu_B,\quad \hat{\sigma}^2 \leftarrow "
         r"(1 - m)\,\hat{\sigma}^2 + m\,\dfrac{n}{n - 1}\,\sigma_B^2",
         r"\mathrm{evaluation:}\quad y = \gamma\,\dfrac{x - \hat{\mu}}{\sqrt{\hat{\sigma}^2 + "
         r"\epsilon}} + \beta"),
        "Rescales each unit to mean 0 and variance 1 over the batch while training (then "
        "by the learned γ and β), and keeps running averages for evaluation.",
        "torch.nn.BatchNorm1d(units, momentum=0.1, eps=1e-5)", _batchnorm_twin,
        symbols="Per unit, over the n samples of the batch; m is the momentum, μ̂ and σ̂² the "
                "running mean and variance (which start at 0 and 1)."),
    ("layer", "dropout"): Formula(
        "Dropout",
        (r"\mathrm{training:}\quad y_i = \dfrac{m_i\,x_i}{1 - p},\quad m_i = [u_i \geq p],"
         r"\ u_i \sim \mathcal{U}[0, 1)",
         r"\mathrm{evaluation:}\quad y = x"),
        "Inverted dropout: while training each unit is zeroed with probability p and the kept "
        "ones scaled up by 1/(1 − p), so nothing changes at test time.",
        "torch.nn.Dropout(p)", _dropout_twin,
        symbols="[u ≥ p] is 1 when true, else 0: each unit is kept with probability 1 − p.",
        reference_error=NotebookError(
            r"h_i^{\mathrm{drop}} = \dfrac{h_i}{1 - p}\quad \mathrm{(at\ test\ time)}",
            (r"\mathrm{training:}\quad y_i = \dfrac{m_i\,x_i}{1 - p},\qquad "
             r"\mathrm{test:}\quad y_i = x_i",),
            "It mixes two conventions: it scales at test time, by 1/(1 − p) in its formula and "
            "by (1 − p) in its text. PyTorch and Keras use inverted dropout: the kept units "
            "are scaled by 1/(1 − p) during training, and at test time dropout does nothing. "
            "Either way the expected output is x.")),
}

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

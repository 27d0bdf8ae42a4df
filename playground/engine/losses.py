"""Losses with their output activation fused, as PyTorch's BCEWithLogitsLoss, CrossEntropyLoss and
MSELoss (reduction 'mean'). Each takes logits ``z`` of shape ``(n, k)`` and returns the loss and
dL/dz, so the output activation is never a layer and never saturates the gradient.

bce            L = mean(max(z, 0) - z y + log(1 + e^-|z|))          dL/dz = (sigmoid(z) - y) / n
cross_entropy  L = mean(logsumexp(z_i) - z_i[y_i])                  dL/dz = (softmax(z) - onehot(y)) / n
mse            L = mean((z - y)^2) over all n k elements            dL/dz = 2 (z - y) / (n k)

Softmax's Jacobian is diag(p) - p p^T (not just its diagonal p(1 - p)); composed with
cross-entropy it collapses to p - y, which is why the two are fused.
"""

from __future__ import annotations

import numpy as np

LOSSES: tuple[str, ...] = ("auto", "bce", "cross_entropy", "mse")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Numerically stable logistic function."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def bce(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """z, y: (n, 1); y in {0, 1} as floats."""
    loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    return float(loss.mean()), (sigmoid(z) - y) / z.size


def cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """z: (n, k) logits; y: (n,) integer class indices."""
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    lse = np.log(np.exp(shifted).sum(axis=1))
    rows = np.arange(n)
    loss = lse - shifted[rows, y]
    grad = np.exp(shifted - lse[:, None])
    grad[rows, y] -= 1
    return float(loss.mean()), grad / n


def mse(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """z, y: (n, t)."""
    d = z - y
    return float((d * d).mean()), (2 / d.size) * d


LOSS_FUNCTIONS = {"bce": bce, "cross_entropy": cross_entropy, "mse": mse}

#: The output activation each resolved loss fuses (a perceptron's is its step).
OUTPUT_ACTIVATIONS = {"bce": "sigmoid", "cross_entropy": "softmax", "mse": "linear",
                      "perceptron": "step"}


def resolve(loss: str, task: str, n_classes: int) -> str:
    """The concrete loss for ``auto``: bce (binary), cross_entropy (K > 2), mse (regression)."""
    if loss != "auto":
        return loss
    if task == "regression":
        return "mse"
    return "bce" if n_classes == 2 else "cross_entropy"


def output_units(loss: str, n_classes: int, n_targets: int) -> int:
    """Width of the automatic output layer for a resolved loss."""
    if loss == "bce":
        return 1
    if loss == "cross_entropy":
        return n_classes
    return n_targets

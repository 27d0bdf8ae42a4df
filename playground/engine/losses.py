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

from playground.engine.formulas import Formula, NotebookError

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


# -- formulas: what the app, docs/formulas.md and tests/test_formulas.py show and check ---------
# Each twin computes (L, dL/dz) from the formula as written: the probabilities first, then the
# loss and the gradient the chain rule gives (cross-entropy through softmax's full Jacobian).

def _bce_twin(z, y):
    n = z.shape[0]
    p = 1 / (1 + np.exp(-z))
    return -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p)) / n, (p - y) / n


def _cross_entropy_twin(z, y):
    n, k = z.shape
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).sum() / n
    grad = np.empty_like(z)
    for i in range(n):
        jacobian = np.diag(p[i]) - np.outer(p[i], p[i])  # dp_k/dz_j = p_k (delta_kj - p_j)
        dl_dp = np.zeros(k)
        dl_dp[y[i]] = -1 / (n * p[i, y[i]])
        grad[i] = jacobian.T @ dl_dp
    return loss, grad


def _mse_twin(z, y):
    return np.sum((z - y) ** 2) / z.size, 2 * (z - y) / z.size


FORMULAS: dict[tuple[str, str], Formula] = {
    ("loss", "bce"): Formula(
        "Binary cross-entropy",
        (r"p_i = \sigma(z_i),\quad L = -\dfrac{1}{n}\sum_{i=1}^{n}"
         r"\left[y_i \log\,p_i + (1 - y_i)\log(1 - p_i)\right]",
         r"\dfrac{\partial L}{\partial z_i} = \dfrac{p_i - y_i}{n}"),
        "The mean surprise at the true labels, −log of the probability the sigmoid output "
        "gave them; fused with the sigmoid, its gradient is simply p − y.",
        "torch.nn.BCEWithLogitsLoss()", _bce_twin,
        symbols="z is the output unit's logit, y in {0, 1} the label, n the batch size.",
        reference_error=NotebookError(
            r"J(\theta) = -\dfrac{1}{m}\sum_{i=1}^{m} y_i \log(\hat{y}_i) + (1 - y_i)"
            r"\log(1 - \hat{y}_i)",
            (r"J(\theta) = -\dfrac{1}{m}\sum_{i=1}^{m}\left[y_i \log\,\hat{y}_i + (1 - y_i)"
             r"\log(1 - \hat{y}_i)\right]",),
            "Its sum has no brackets, so it ends after the first term: the (1 − y) log(1 − "
            "ŷ) term, which scores the negative samples, falls outside the sum and the "
            "mean. The brackets must enclose both terms.")),
    ("loss", "cross_entropy"): Formula(
        "Cross-entropy",
        (r"p_{ik} = \dfrac{e^{z_{ik}}}{\sum_j e^{z_{ij}}},\quad "
         r"L = -\dfrac{1}{n}\sum_{i=1}^{n}\log\,p_{i,y_i}",
         r"\dfrac{\partial p_k}{\partial z_j} = p_k\,(\delta_{kj} - p_j)",
         r"\dfrac{\partial L}{\partial z_{ik}} = \dfrac{p_{ik} - [k = y_i]}{n}"),
        "The mean surprise at the true classes, −log of the probability the softmax gave "
        "each; fused with the softmax, its gradient is simply p − y.",
        "torch.nn.CrossEntropyLoss()", _cross_entropy_twin,
        symbols="Sample i has K logits z and a class y; δ is 1 when k = j (else 0), and "
                "[k = y] is 1 for the true class (else 0).",
        reference_error=NotebookError(
            r"\dfrac{\partial f}{\partial z_i} = f(z_i)\,(1 - f(z_i))",
            (r"\dfrac{\partial f(z_i)}{\partial z_j} = f(z_i)\,(\delta_{ij} - f(z_j)),"
             r"\quad J = \mathrm{diag}(p) - p\,p^{\mathsf{T}}",
             r"\mathrm{with\ cross\ entropy:}\quad \dfrac{\partial L}{\partial z} = p - y"),
            "It gives only the diagonal of softmax's Jacobian. Every output shares one "
            "denominator, so each logit moves every probability: the entries off the diagonal "
            "are minus the product of the two probabilities. Chained with cross-entropy, the "
            "whole Jacobian collapses to p − y; the diagonal alone would never push the wrong "
            "classes' logits down.")),
    ("loss", "mse"): Formula(
        "Mean squared error",
        (r"L = \dfrac{1}{nT}\sum_{i=1}^{n}\sum_{t=1}^{T}(z_{it} - y_{it})^2",
         r"\dfrac{\partial L}{\partial z_{it}} = \dfrac{2\,(z_{it} - y_{it})}{nT}"),
        "The mean of the squared differences between outputs and targets, over every "
        "output of every sample; the output is linear (no activation).",
        "torch.nn.MSELoss()", _mse_twin,
        symbols="T is the number of targets (output units)."),
}

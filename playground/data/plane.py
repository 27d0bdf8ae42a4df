"""Input planes: which 2-D slice of the raw input space a decision map and its points show.

A ``Plane`` maps plane coordinates (u, v) to full raw input rows and projects raw rows back:

axis plane (inputs i, j)   raw = center, with raw_i = u and raw_j = v;   (u, v) = (raw_i, raw_j)
                           center: the training split's raw mean (every other input held there)
PCA plane                  raw = mean + std * (u pc1 + v pc2);   (u, v) = ((raw - mean) / std) . pc
                           mean, std: the training split's (std 0 -> 1, as the z-score); pc1, pc2:
                           the first two principal axes of the z-scored training rows, each signed
                           so that its largest-|loading| entry is positive (deterministic)

Shapes: raw rows (n, n_inputs); plane coordinates (n,) each, or (n, 2) stacked.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from playground.data.dataset import Dataset
from playground.data.preprocessing import fit_standardize, standardize

KINDS = ("axis", "pca")


@dataclass(frozen=True)
class Plane:
    """A 2-D plane through the raw input space; compared and hashed by value.

    ``center``, ``scale`` (n_inputs,) and ``components`` (2, n_inputs) are tuples of floats;
    ``inputs`` the axis plane's two raw inputs; ``explained`` the PCA plane's fractions of
    the z-scored variance along pc1 and pc2.
    """

    kind: str
    labels: tuple[str, str]
    center: tuple[float, ...] = field(repr=False)
    scale: tuple[float, ...] = field(repr=False)
    components: tuple[tuple[float, ...], tuple[float, ...]] = field(repr=False)
    inputs: tuple[int, int] | None = None
    explained: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"plane kind must be one of {', '.join(KINDS)}, got {self.kind!r}")

    @property
    def n_inputs(self) -> int:
        return len(self.center)

    @cached_property
    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (np.array(self.center, np.float64), np.array(self.scale, np.float64),
                np.array(self.components, np.float64).reshape(2, self.n_inputs))

    def to_raw(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Raw input rows (n, n_inputs) float64 at plane points (u[k], v[k]), u and v (n,)."""
        u = np.asarray(u, np.float64).reshape(-1)
        v = np.asarray(v, np.float64).reshape(-1)
        center, scale, pcs = self._arrays
        if self.kind == "axis":
            raw = np.repeat(center[None, :], u.size, axis=0)
            i, j = self.inputs
            raw[:, i], raw[:, j] = u, v
            return raw
        return center + scale * (u[:, None] * pcs[0] + v[:, None] * pcs[1])

    def project(self, raw: np.ndarray) -> np.ndarray:
        """Plane coordinates (n, 2) float64 of raw input rows (n, n_inputs)."""
        raw = np.asarray(raw, np.float64)
        if self.kind == "axis":
            return raw[:, list(self.inputs)].copy()
        center, scale, pcs = self._arrays
        return ((raw - center) / scale) @ pcs.T

    def extent(self, raw: np.ndarray, margin: float = 0.05) -> tuple[float, float, float, float]:
        """(u0, u1, v0, v1): the projected rows' range, padded by ``margin`` of its width on
        each side (a zero width counts as 1e-9)."""
        uv = self.project(raw)
        lo, hi = uv.min(axis=0), uv.max(axis=0)
        pad = margin * np.maximum(hi - lo, 1e-9)
        return (float(lo[0] - pad[0]), float(hi[0] + pad[0]),
                float(lo[1] - pad[1]), float(hi[1] + pad[1]))


def _tuple(a: np.ndarray) -> tuple[float, ...]:
    return tuple(float(x) for x in a)


def axis_plane(dataset: Dataset, i: int, j: int) -> Plane:
    """The plane of raw inputs i (u) and j (v), every other input at its training mean.
    With i == j the one input follows v (u is ignored), as a 1-input set's plot needs."""
    n = len(dataset.input_names)
    for k in (i, j):
        if not 0 <= k < n:
            raise ValueError(f"input index {k} out of range for {n} inputs")
    eye = np.eye(n)
    mean = dataset.raw_train.mean(axis=0)
    return Plane("axis", (dataset.input_names[i], dataset.input_names[j]), _tuple(mean),
                 (1.0,) * n, (_tuple(eye[i]), _tuple(eye[j])), inputs=(int(i), int(j)))


def principal_axes(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first two principal axes (2, d) of centred rows z (n, d) and their fractions of
    the total variance (2,), by the SVD of the Gram matrix z^T z (d x d: cheaper than z's
    own SVD when n >> d, and the same axes). Each axis is signed so that its largest-|entry|
    is positive; with d == 1 the second axis is zero; with no variance the fractions are 0."""
    d = z.shape[1]
    _, s, vt = np.linalg.svd(z.T @ z)
    axes = np.zeros((2, d))
    axes[:min(d, 2)] = vt[:2]
    for a in axes:
        k = int(np.argmax(np.abs(a)))
        if a[k] < 0:
            a *= -1
    total = float(s.sum())
    share = np.zeros(2)
    if total > 0:
        share[:min(d, 2)] = s[:2] / total
    return axes, share


def pca_plane(dataset: Dataset) -> Plane:
    """The plane of the training split's first two principal components of the z-scored raw
    inputs; axis labels "PC1 (xx%)", "PC2 (yy%)": the share of the variance each explains."""
    mean, std = fit_standardize(dataset.raw_train)
    axes, share = principal_axes(standardize(dataset.raw_train, mean, std))
    labels = (f"PC1 ({100 * share[0]:.0f}%)", f"PC2 ({100 * share[1]:.0f}%)")
    return Plane("pca", labels, _tuple(mean), _tuple(std), (_tuple(axes[0]), _tuple(axes[1])),
                 explained=(float(share[0]), float(share[1])))


def input_scores(dataset: Dataset) -> np.ndarray:
    """How informative each raw input is on the training split (n_inputs,), -inf for a
    constant one: classification, the ANOVA F statistic of the input across classes
    (sklearn's ``f_classif``); regression, |correlation| with the first target. A score that
    cannot be computed (one class present, a constant target) is -inf as well."""
    raw = dataset.raw_train
    scores = np.full(raw.shape[1], -np.inf)
    varying = np.flatnonzero(np.ptp(raw, axis=0) > 0) if raw.shape[0] else np.zeros(0, int)
    if varying.size == 0:
        return scores
    x = raw[:, varying]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if dataset.task == "classification":
            from sklearn.feature_selection import f_classif
            values = f_classif(x, dataset.y_train)[0]
        else:
            y = np.asarray(dataset.y_train, np.float64).reshape(len(raw), -1)[:, 0]
            xc, yc = x - x.mean(axis=0), y - y.mean()
            values = np.abs(xc.T @ yc) / np.sqrt((xc * xc).sum(axis=0) * (yc @ yc))
    scores[varying] = np.where(np.isnan(values), -np.inf, values)
    return scores


def informative_pair(dataset: Dataset) -> tuple[int, int]:
    """The two raw inputs with the highest ``input_scores`` (best first; ties and unscored
    inputs by index). A 1-input set gives (0, 0)."""
    scores = input_scores(dataset)
    if scores.size == 1:
        return 0, 0
    order = np.argsort(-scores, kind="stable")  # -(-inf) = inf: the unscored sort last
    return int(order[0]), int(order[1])


def default_plane(dataset: Dataset) -> Plane:
    """A source with at most 2 raw inputs (the 2-D generators): the axis plane (0, 1) (a
    1-input set: (0, 0)); a table: its PCA plane."""
    n = len(dataset.input_names)
    if n <= 2:
        return axis_plane(dataset, 0, min(1, n - 1))
    return pca_plane(dataset)

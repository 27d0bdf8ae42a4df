"""The prepared data of a run: model-ready train/test arrays plus the preprocessing that made them.

Model inputs are ``standardize(feature_map(raw))``. The raw inputs are kept so that plots can draw
the input plane and exports can take raw features; ``preprocessing()`` is the metadata every
export carries. Targets stay in the data's units; with ``y_mean``/``y_std`` set (regression
with ``data.standardize_target``) the network learns ``scaled_targets(y)`` and its outputs
mean ``unscaled_targets(z)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, eq=False)
class Dataset:
    """Shapes: ``x_*`` (n, n_features) float64 model inputs; ``raw_*`` (n, n_inputs) float64;
    ``y_*`` (n,) int64 class indices for classification, (n, n_targets) float64 for regression.
    With no test split the test arrays have zero rows. ``y_mean``, ``y_std`` (n_targets,):
    the training split's target statistics when regression targets are standardized."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    raw_train: np.ndarray
    raw_test: np.ndarray
    task: str
    input_names: tuple[str, ...]
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...] = ()
    target_names: tuple[str, ...] = ()
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    y_mean: np.ndarray | None = None
    y_std: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_targets(self) -> int:
        return self.y_train.shape[1] if self.task == "regression" else 1

    @property
    def has_test(self) -> bool:
        return self.x_test.shape[0] > 0

    def preprocess(self, raw: np.ndarray) -> np.ndarray:
        """Raw inputs (n, n_inputs) -> model inputs (n, n_features): feature map, then z-score."""
        from playground.data.features import feature_map
        x = feature_map(np.asarray(raw, dtype=np.float64), self.input_names, self.feature_names)
        if self.mean is not None:
            x = (x - self.mean) / self.std
        return x

    def scaled_targets(self, y: np.ndarray) -> np.ndarray:
        """Targets in the data's units (n, n_targets) -> what the network learns:
        ``(y - y_mean) / y_std``, or ``y`` itself without target standardization."""
        if self.y_mean is None:
            return y
        from playground.data.preprocessing import standardize
        return standardize(y, self.y_mean, self.y_std)

    def unscaled_targets(self, z: np.ndarray) -> np.ndarray:
        """Network outputs (n, n_targets) -> predictions in the data's units, float64:
        ``y_std * z + y_mean`` (``z`` as float64 without target standardization)."""
        z = np.asarray(z, dtype=np.float64)
        return z if self.y_mean is None else z * self.y_std + self.y_mean

    def preprocessing(self) -> dict[str, Any]:
        """JSON-ready metadata that lets an export take raw inputs and predict in the data's
        units (``standardize_target``: the statistics whose z-score the network learned)."""
        return {
            "task": self.task,
            "inputs": list(self.input_names),
            "features": list(self.feature_names),
            "standardize": None if self.mean is None else {
                "mean": [float(v) for v in self.mean], "std": [float(v) for v in self.std]},
            "standardize_target": None if self.y_mean is None else {
                "mean": [float(v) for v in self.y_mean], "std": [float(v) for v in self.y_std]},
            "classes": list(self.class_names),
            "targets": list(self.target_names),
        }

    @classmethod
    def from_arrays(cls, x_train: np.ndarray, y_train: np.ndarray,
                    x_test: np.ndarray | None = None, y_test: np.ndarray | None = None, *,
                    task: str = "classification",
                    class_names: tuple[str, ...] | None = None,
                    standardize_target: bool = False) -> Dataset:
        """Model-ready arrays used as they are (no feature map, no input scaling): tests and
        fixtures. ``standardize_target`` (regression) fits the target statistics on
        ``y_train``, as ``load_dataset`` does."""
        x_train = np.asarray(x_train, dtype=np.float64)
        f = x_train.shape[1]
        x_test = np.empty((0, f)) if x_test is None else np.asarray(x_test, dtype=np.float64)
        if task == "classification":
            y_train = np.asarray(y_train, dtype=np.int64).reshape(-1)
            y_test = (np.empty(0, np.int64) if y_test is None
                      else np.asarray(y_test, dtype=np.int64).reshape(-1))
            if class_names is None:
                k = int(max(y_train.max(), y_test.max() if y_test.size else 0)) + 1
                class_names = tuple(str(i) for i in range(k))
            targets: tuple[str, ...] = ()
        else:
            y_train = np.asarray(y_train, dtype=np.float64).reshape(len(x_train), -1)
            t = y_train.shape[1]
            y_test = (np.empty((0, t)) if y_test is None
                      else np.asarray(y_test, dtype=np.float64).reshape(len(x_test), t))
            class_names = ()
            targets = ("y",) if t == 1 else tuple(f"y{i + 1}" for i in range(t))
        names = tuple(f"x{i + 1}" for i in range(f))
        y_mean = y_std = None
        if standardize_target and task == "regression":
            from playground.data.preprocessing import fit_standardize
            y_mean, y_std = fit_standardize(y_train)
        return cls(x_train, y_train, x_test, y_test, x_train.copy(), x_test.copy(), task,
                   names, names, tuple(class_names), targets, y_mean=y_mean, y_std=y_std)

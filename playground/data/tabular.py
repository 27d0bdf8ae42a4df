"""scikit-learn's bundled tabular sets (no download): iris, wine, breast_cancer, digits, diabetes.

Rows stay in scikit-learn's order (iris is sorted by class; the seeded split and the per-epoch
shuffle mix them). Inputs are named by ``feature_names`` (digits: ``pixel_<row>_<col>``), classes
by ``target_names`` as strings (digits: "0".."9"). diabetes is ``load_diabetes()`` as scikit-learn
gives it by default (scaled features), its target (n, 1) named "target".
scikit-learn is imported on first use, so importing the data layer stays fast.
"""

from __future__ import annotations

import numpy as np

from playground.data.names import CLASSIFICATION_SETS, REGRESSION_SETS, SKLEARN_SETS
from playground.data.raw_data import RawData

__all__ = ["CLASSIFICATION_SETS", "REGRESSION_SETS", "load_tabular", "tabular_task"]


def tabular_task(name: str) -> str:
    return "regression" if name in REGRESSION_SETS else "classification"


def load_tabular(name: str) -> RawData:
    """One bundled set as RawData: x (n, d) float64; y (n,) int64 or (n, 1) float64."""
    if name not in SKLEARN_SETS:
        raise ValueError(f"unknown scikit-learn set {name!r}; one of {', '.join(SKLEARN_SETS)}")
    from sklearn import datasets
    bunch = getattr(datasets, f"load_{name}")()
    x = np.ascontiguousarray(bunch.data, dtype=np.float64)
    inputs = tuple(str(f) for f in bunch.feature_names)
    if tabular_task(name) == "regression":
        y = np.asarray(bunch.target, dtype=np.float64).reshape(-1, 1)
        return RawData(x, y, "regression", inputs, target_names=("target",))
    y = np.asarray(bunch.target, dtype=np.int64)
    classes = tuple(str(c) for c in bunch.target_names)
    return RawData(x, y, "classification", inputs, class_names=classes)


def preload() -> None:
    """Import scikit-learn's dataset loaders now (seconds on a cold start, mostly SciPy), so
    that the first ``load_tabular`` is quick; the app does it on a background thread."""
    from sklearn import datasets  # noqa: F401

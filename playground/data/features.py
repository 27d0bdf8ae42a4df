"""The 2-D sources' feature map (TensorFlow Playground's input column): raw (x1, x2) -> features.

Features: x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2) (``names.FEATURES_2D``). Other sources use
their raw inputs as features (the identity map).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from playground.data.names import FEATURES_2D
from playground.errors import DataError

FEATURE_FUNCTIONS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}
INPUTS_2D: tuple[str, ...] = ("x1", "x2")


def feature_map(raw: np.ndarray, input_names: Sequence[str],
                feature_names: Sequence[str]) -> np.ndarray:
    """raw (n, len(input_names)) -> (n, len(feature_names)) float64, a new array.

    The identity (a copy) when ``feature_names == input_names``; otherwise the inputs must be
    ("x1", "x2") and each feature one of ``FEATURES_2D``, computed from those two columns.
    """
    raw = np.asarray(raw, dtype=np.float64)
    if raw.ndim != 2 or raw.shape[1] != len(input_names):
        raise DataError(f"expected raw inputs of shape (n, {len(input_names)}) for inputs "
                        f"{', '.join(input_names)}; got shape {raw.shape}")
    if tuple(feature_names) == tuple(input_names):
        return raw.copy()
    if tuple(input_names) != INPUTS_2D:
        raise DataError(f"features {', '.join(feature_names)} need the 2-D inputs x1, x2; "
                        f"this source's inputs are {', '.join(input_names)}")
    unknown = [f for f in feature_names if f not in FEATURE_FUNCTIONS]
    if unknown:
        raise DataError(f"unknown feature {unknown[0]!r}; allowed: {', '.join(FEATURES_2D)}")
    x1, x2 = raw[:, 0], raw[:, 1]
    out = np.empty((raw.shape[0], len(feature_names)), dtype=np.float64)
    for j, name in enumerate(feature_names):
        out[:, j] = FEATURE_FUNCTIONS[name](x1, x2)
    return out

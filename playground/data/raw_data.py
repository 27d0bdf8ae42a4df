"""The raw samples of a source before split, feature map and scaling: what every source returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class RawData:
    """``x`` (n, n_inputs) float64; ``y`` (n,) int64 class indices 0..K-1 for classification,
    (n, n_targets) float64 for regression. ``class_names[k]`` names class index k."""

    x: np.ndarray
    y: np.ndarray
    task: str
    input_names: tuple[str, ...]
    class_names: tuple[str, ...] = ()
    target_names: tuple[str, ...] = ()

    @property
    def n_samples(self) -> int:
        return self.x.shape[0]

"""Random streams: one ``np.random.SeedSequence(seed)`` spawns an independent generator per use.

Separate streams keep each use stable when another changes: adding a layer does not move the
data, and turning shuffling off does not change the initial weights.

========  ==================================================================================
stream    what it draws, in order
========  ==================================================================================
data      the 2-D generators' points and noise, then ``permutation(n)`` to mix the classes
split     ``permutation(n)``; the first round(n * test_fraction) indices are the test set
init      each dense layer's weight then bias, input to output, then the output layer
shuffle   ``permutation(n_train)`` at the start of each epoch when ``train.shuffle`` is true
dropout   for each training forward pass, each dropout layer in order: ``random((batch, units))``;
          a unit is kept where the draw is >= p and scaled by 1 / (1 - p)
========  ==================================================================================
"""

from __future__ import annotations

import numpy as np

STREAMS: tuple[str, ...] = ("data", "split", "init", "shuffle", "dropout")


def streams(seed: int) -> dict[str, np.random.Generator]:
    """One fresh generator per stream, all derived from ``seed``."""
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return {name: np.random.default_rng(child) for name, child in zip(STREAMS, children)}


def stream(seed: int, name: str) -> np.random.Generator:
    """The fresh generator of one stream."""
    return streams(seed)[name]

"""Compile the engine's kernels ahead of use, e.g. on a background thread while a window opens.

The first run on a machine compiles the Numba kernels (tens of seconds; then they are cached
on disk and load in about a second). ``warm_up`` trains a tiny network of every kind the fused
kernel runs, so later calls with real data find their compiled code ready.
"""

from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from playground.config import RunConfig
from playground.data.dataset import Dataset


def warm_up(dtypes: tuple[str, ...] = ("float32",)) -> None:
    """Compile (or load from the cache) the kernels a run in each dtype will call, and
    import scikit-learn's data loaders (0.7 s), so the first pick of a table is quick."""
    import sklearn.datasets  # noqa: F401

    from playground.engine.trainer import Trainer
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 2))
    y = np.array([0, 1] * 4)
    data = Dataset.from_arrays(x, y, x, y)
    for dtype in dtypes:
        cfg = RunConfig.from_dict({
            "format": 1, "data": {"source": "xor"},
            "model": {"type": "mlp", "layers": [{"type": "dense", "units": 2,
                                                 "activation": "tanh"}]},
            "train": {"batch_size": 4, "dtype": dtype}})
        trainer = Trainer(cfg, dataset=data)
        trainer.step_epoch()
        trainer.predict(trainer.x_test)


def warm_up_in_background(on_done: Callable[[], None] | None = None,
                          dtypes: tuple[str, ...] = ("float32",)) -> threading.Thread:
    """Start ``warm_up`` on a daemon thread; ``on_done`` runs on that thread when it ends.
    Then the same thread imports scikit-learn's datasets (2-5 s on a cold start), so that a
    first pick of a table does not freeze the window while they load."""
    def run() -> None:
        try:
            warm_up(dtypes)
        finally:
            if on_done is not None:
                on_done()
        from playground.data import tabular
        tabular.preload()

    thread = threading.Thread(target=run, name="playground-warm-up", daemon=True)
    thread.start()
    return thread

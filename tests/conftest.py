"""Shared helpers: small configs and trainers, and the central-difference gradient."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from playground.config import RunConfig  # noqa: E402
from playground.data.dataset import Dataset  # noqa: E402
from playground.engine.trainer import Trainer  # noqa: E402


_COLLECTOR = None


@pytest.fixture(autouse=True)
def gui_thread_gc(request):
    """From the first Qt test on, garbage is collected on the GUI thread only, as the app
    does (playground.ui.gui_gc), and for the rest of the session: a collection on a loader,
    worker or typesetting thread that meets an earlier test's widget destroys it off its
    thread, which deadlocked and crashed test runs (a thread of one test may still run
    during the next). Each test's teardown collects what the thresholds call for."""
    global _COLLECTOR
    if _COLLECTOR is None and "qtbot" in request.fixturenames:
        request.getfixturevalue("qapp")
        from playground.ui.gui_gc import GuiThreadCollector
        _COLLECTOR = GuiThreadCollector()
    yield
    if _COLLECTOR is not None:
        import gc
        enabled = gc.isenabled()
        gc.disable()    # whatever the test did, background threads must not collect
        _COLLECTOR.check()
        assert not enabled, "the test switched automatic garbage collection back on"


def run_config(layers=(), *, model_type="mlp", source="xor", data=None, seed=0,
               **train) -> RunConfig:
    """A format-1 config from a hidden stack and train options (others at their defaults)."""
    model = {"type": model_type} if model_type == "perceptron" else {"type": model_type,
                                                                     "layers": list(layers)}
    return RunConfig.from_dict({"format": 1, "seed": seed,
                                "data": {"source": source, **(data or {})},
                                "model": model, "train": train})


def blobs(n=40, f=2, k=2, seed=0, task="classification", test=0):
    """Random features with a learnable target; split off `test` rows."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n + test, f))
    if task == "classification":
        score = x @ rng.normal(size=(f, k))
        y = score.argmax(axis=1)
        y[:k] = np.arange(k)  # every class present
    else:
        y = np.sin(x).sum(axis=1, keepdims=True)
    return Dataset.from_arrays(x[:n], y[:n], x[n:] if test else None, y[n:] if test else None,
                               task=task)


def trainer(layers=(), dataset=None, **train) -> Trainer:
    dataset = dataset if dataset is not None else blobs()
    source = "xor" if dataset.task == "classification" else "plane"
    return Trainer(run_config(layers, source=source, **train), dataset=dataset)


def central_difference(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d f / d x for a scalar f of a float64 array, by (f(x + h) - f(x - h)) / 2h, in place."""
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        up = f()
        flat[i] = old - h
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * h)
    return grad


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def trained_export(layers=(), *, epochs=3, dataset=None, **kw):
    """(trainer, state dict, export metadata) of a run trained for a few epochs: what an
    export writer receives from ``playground train --export``."""
    from playground.io.export_metadata import export_metadata
    cfg = run_config(layers, **kw)
    t = Trainer(cfg, dataset=dataset)
    t.run_epochs(epochs)
    return t, t.state_dict(), export_metadata(t)

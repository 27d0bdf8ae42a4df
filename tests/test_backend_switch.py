"""Trainable at once (issue #14): the NumPy backend calls nothing compiled, so the app trains on
it while the kernels compile; ``Trainer.use_backend`` then moves a run to the fused kernels
between two steps, losing and repeating nothing.

Measured (10 epochs, 3 features, 8 tanh + 6 relu units, batch 7, step schedule): the two
backends are not bit-identical (BLAS versus loops sum in other orders, the kernel rounds the
optimizer's arithmetic in float64), but they agree to rounding: weights within 7e-15 in
float64 and 7e-7 in float32, with or without a switch. So the tests compare at those scales,
where a lost optimizer state or random stream shows as differences of 1e-3 and more, and
compare counters, random streams and step counts exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import blobs, run_config
from playground.engine.trainer import Trainer

#: weights of order 1 after 4 + 6 epochs; the backends' own gap is 7e-15 / 7e-7 (measured);
#: and the history's values (losses, dynamics: a float32 update ratio |w1 - w0| / |w0|
#: cancels, 1e-6 relative)
TOL = {"float64": dict(rtol=0, atol=1e-12), "float32": dict(rtol=0, atol=2e-5)}
HISTORY_REL = {"float64": 1e-9, "float32": 1e-4}
OPTIMIZERS = {"sgd momentum": {"name": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True},
              "adam": {"name": "adam", "lr": 0.01, "weight_decay": 1e-3}}
EXTRAS = {"plain": (), "dropout": ("dropout",), "batchnorm": ("batchnorm",),
          "batchnorm dropout": ("batchnorm", "dropout")}
DATA = blobs(n=60, f=3, k=3, test=20)


def _config(optimizer: str, extras: tuple[str, ...], dtype: str):
    layers = [{"type": "dense", "units": 8, "activation": "tanh"}]
    if "batchnorm" in extras:
        layers.append({"type": "batchnorm"})
    if "dropout" in extras:
        layers.append({"type": "dropout", "p": 0.2})
    layers.append({"type": "dense", "units": 6, "activation": "relu"})
    return run_config(layers, batch_size=7, optimizer=OPTIMIZERS[optimizer], dtype=dtype,
                      regularization={"kind": "l2", "rate": 1e-3}, clip={"norm": 5.0},
                      schedule={"name": "step", "step_size": 3, "gamma": 0.5})


def _train(config, plan: list[tuple[str, int]], every: int = 1) -> Trainer:
    """A run trained ``steps`` batch steps on each backend of ``plan`` in turn, the backend
    switched between two of them (by ``use_backend``, as the app's worker does), with the
    dynamics recorded every ``every``-th epoch (every epoch: a switch mid-epoch carries the
    epoch's running sums over)."""
    t = Trainer(config, dataset=DATA)
    t.dynamics.set_every(every)
    for backend, steps in plan:
        t.use_backend(backend)
        t.run_steps(steps)
    return t


def _assert_same_run(a: Trainer, b: Trainer, dtype: str) -> None:
    tol = TOL[dtype]
    # counters exact: no step lost or repeated, no draw of a random stream skipped or redone
    assert (a.epoch, a.steps, a.optimizer.steps) == (b.epoch, b.steps, b.optimizer.steps)
    assert a._shuffle_rng.bit_generator.state == b._shuffle_rng.bit_generator.state
    assert a._dropout_rng.bit_generator.state == b._dropout_rng.bit_generator.state
    np.testing.assert_array_equal(a._order, b._order)
    assert a.lr == pytest.approx(b.lr, rel=1e-15)
    sa, sb = a.state_dict(), b.state_dict()   # weights, batchnorm's running stats and count
    assert sa.keys() == sb.keys()
    for key in sa:
        np.testing.assert_allclose(sa[key], sb[key], **tol, err_msg=key)
    # momentum buffers, Adam's m and v; a buffer one side never made is zeros (the kernel
    # makes Adam's max_exp_avg_sq also without amsgrad, and leaves it at 0)
    zeros = np.zeros_like(a.model.params)
    for key in a.optimizer.state.keys() | b.optimizer.state.keys():
        np.testing.assert_allclose(a.optimizer.state.get(key, zeros),
                                   b.optimizer.state.get(key, zeros), **tol, err_msg=key)
    assert len(a.history) == len(b.history)
    for ra, rb in zip(a.history, b.history):
        assert ra.keys() == rb.keys()   # the dynamics recorded in the same epochs
        for key, value in ra.items():
            if isinstance(value, list):  # a weight histogram: counts
                assert np.abs(np.subtract(value, rb[key])).sum() <= 2, key
            elif value is not None:
                assert value == pytest.approx(rb[key], rel=HISTORY_REL[dtype], abs=1e-9), key


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("extras", list(EXTRAS))
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_numpy_then_fused_is_one_run(optimizer, extras, dtype):
    """N epochs (and 3 batches into the next) on NumPy, then the rest on the fused kernels,
    equal N+M epochs on either backend alone."""
    config = _config(optimizer, EXTRAS[extras], dtype)
    bpe = Trainer(config, dataset=DATA).batches_per_epoch
    n, total = 4 * bpe + 3, 10 * bpe
    switched = _train(config, [("numpy", n), ("preferred", total - n)])
    assert switched.backend == "fused"
    for backend in ("numpy", "auto"):
        _assert_same_run(switched, _train(config, [(backend, total)]), dtype)


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_switching_back_and_forth_every_few_steps_is_one_run(optimizer):
    config = _config(optimizer, EXTRAS["batchnorm dropout"], "float64")
    plan = [("numpy", 5), ("auto", 7), ("numpy", 11), ("loops", 3), ("numpy", 1),
            ("blas", 13), ("numpy", 40)]
    total = sum(steps for _, steps in plan)
    _assert_same_run(_train(config, plan), _train(config, [("auto", total)]), "float64")


def test_use_backend_names_and_the_preferred_backend():
    config = _config("adam", (), "float64")
    t = Trainer(config, dataset=DATA, backend="loops")
    assert t.preferred_backend == "loops" and t.blas_min == 2**62
    assert t.use_backend("numpy") == "numpy" == t.backend
    assert t.use_backend("preferred") == "fused" and t.blas_min == 2**62  # loops again
    assert t.use_backend("blas") == "fused" and t.blas_min == 0
    with pytest.raises(ValueError, match="backend must be one of"):
        t.use_backend("gpu")
    assert t.backend == "fused" and t.blas_min == 0
    perceptron = Trainer(run_config(model_type="perceptron"), dataset=blobs())
    assert perceptron.use_backend("numpy") == "perceptron"


#: A fresh interpreter trains, evaluates, predicts, records dynamics and takes snapshots on the
#: NumPy backend, every activation and layer kind and loss; then no Numba dispatcher of the
#: package holds a compiled (or cache-loaded) signature: nothing compiled was called, so
#: nothing could have waited for the warm-up's compilation.
_NOTHING_COMPILED = r"""
import json, sys
import numba, numpy as np
from playground.config import RunConfig
from playground.data.dataset import Dataset
from playground.engine.session import Session
from playground.engine.trainer import Trainer

rng = np.random.default_rng(0)
acts = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu", "linear"]
layers = [{"type": "dense", "units": 5, "activation": a} for a in acts]
layers[1:1] = [{"type": "batchnorm"}, {"type": "dropout", "p": 0.3}]
x = rng.normal(size=(48, 16))
cases = {"bce": x[:, 0] > 0, "cross_entropy": np.argmax(x[:, :3], axis=1),
         "mse": np.sin(x[:, :2])}
for loss, y in cases.items():
    task = "regression" if loss == "mse" else "classification"
    data = Dataset.from_arrays(x[:32], y[:32].astype(float if task == "regression" else int),
                               x[32:], y[32:].astype(float if task == "regression" else int),
                               task=task)
    cfg = RunConfig.from_dict({"format": 1, "data": {"source": "xor"},
                               "model": {"type": "mlp", "layers": layers},
                               "train": {"batch_size": 6, "loss": loss,
                                         "clip": {"value": 1.0},
                                         "optimizer": {"name": "rmsprop", "lr": 0.01}}})
    t = Trainer(cfg, dataset=data, backend="numpy")
    t.dynamics.set_every(1)
    session = Session(t)
    t.step_batch()
    session.run_for(0.05)
    t.step_epoch()
    t.evaluate(), t.predict(t.x_test), t.layer_outputs(t.x_test)
    t.predict_grid(16), t.unit_grids(8), t.trace(), t.step_rows([0, 1])
    snap = session.snapshot(with_grid=True)
    assert snap.engine == "numpy" and snap.grid is not None and snap.units is not None
    assert (snap.gallery is not None) == (task == "classification")
    assert t.history[-1].get("clipped") is not None   # the dynamics were recorded
compiled = sorted({f"{name}.{attr}" for name, mod in list(sys.modules.items())
                   if name.startswith("playground")
                   for attr, f in vars(mod).items()
                   if isinstance(f, numba.core.dispatcher.Dispatcher) and f.signatures})
print(json.dumps(compiled))
"""


def test_the_numpy_backend_calls_nothing_compiled(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    out = subprocess.run([sys.executable, "-c", _NOTHING_COMPILED], env=env,
                         cwd=Path(__file__).parents[1], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert json.loads(out.stdout.splitlines()[-1]) == []


def test_a_background_warm_up_compiles_in_a_child_only_what_the_cache_lacks(monkeypatch):
    from playground.data import tabular
    from playground.engine import warmup
    calls = []
    monkeypatch.setattr(warmup, "warm_up", lambda dtypes: calls.append(("here", dtypes)))
    monkeypatch.setattr(warmup, "compile_in_child",
                        lambda dtypes: calls.append(("child", warmup.compiling())))
    monkeypatch.setattr(tabular, "preload", lambda: None)
    for is_cached, expected in ((False, [("child", True), ("here", ("float64",))]),
                                (True, [("here", ("float64",))])):
        monkeypatch.setattr(warmup, "cached", lambda dtypes, answer=is_cached: answer)
        calls.clear()
        done = []
        warmup.warm_up_in_background(lambda: done.append(warmup.compiling()),
                                     dtypes=("float64",)).join(30)
        # the child compiles while compiling() is True; it is False when on_done runs
        assert calls == expected and done == [False] and not warmup.compiling()


def test_a_delayed_warm_up_reports_compiling_at_once_and_starts_after_the_delay(monkeypatch):
    """The app starts the warm-up a moment after show(): meanwhile compiling() is already
    True, so a Step pressed in that moment trains on NumPy instead of compiling inline."""
    import time
    from playground.data import tabular
    from playground.engine import warmup
    started = []
    monkeypatch.setattr(warmup, "cached", lambda dtypes: started.append(time.monotonic()))
    monkeypatch.setattr(warmup, "compile_in_child", lambda dtypes: None)
    monkeypatch.setattr(warmup, "warm_up", lambda dtypes: None)
    monkeypatch.setattr(tabular, "preload", lambda: None)
    t0 = time.monotonic()
    thread = warmup.warm_up_in_background(dtypes=("float64",), start_after=0.3)
    assert warmup.compiling() and not started
    thread.join(30)
    assert started[0] - t0 >= 0.3 and not warmup.compiling()


def test_the_cache_is_read_for_each_dtype_and_a_frozen_app_compiles_in_process(monkeypatch,
                                                                                tmp_path):
    from playground.engine import warmup
    warmup.compile_kernels(("float32",))  # compiled here, or loaded from this cache
    assert warmup.cached(("float32",))
    empty = subprocess.run(
        [sys.executable, "-c", "from playground.engine import warmup; "
                               "print(warmup.cached(('float32',)))"],
        env={**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}, cwd=Path(__file__).parents[1],
        capture_output=True, text=True, timeout=120)
    assert empty.stdout.split() == ["False"], empty.stderr[-2000:]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert warmup.compile_in_child(("float32",)) is False


def test_the_warm_up_compiles_what_the_apps_play_calls():
    """After ``compile_kernels`` a live run (evaluated epochs, dynamics every few epochs,
    fused between them) calls no kernel in types it has not compiled: a fresh install's first
    Play compiled ``train_epochs`` on the worker for 8 s when the warm-up left it out."""
    from playground.engine import kernels, perceptron, warmup
    warmup.compile_kernels(("float32",))
    dispatchers = [k for k in (*vars(kernels).values(), perceptron.perceptron_steps)
                   if hasattr(k, "signatures") and hasattr(k, "py_func")]
    before = {d.py_func.__name__: len(d.signatures) for d in dispatchers}
    assert before["train_epochs"] > 0 and before["train_batches"] > 0
    t = Trainer(run_config([{"type": "dense", "units": 6, "activation": "relu"},
                            {"type": "dense", "units": 5, "activation": "tanh"}],
                           batch_size=8, dtype="float32"), dataset=blobs(n=64, k=3, test=16))
    t.dynamics.set_every(4)
    t.run_steps(10 * t.batches_per_epoch + 3)
    t.predict(t.x_test)
    assert t.epoch == 10 and len(t.history) == 10
    after = {d.py_func.__name__: len(d.signatures) for d in dispatchers}
    assert after == before

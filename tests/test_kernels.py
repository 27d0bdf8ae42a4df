"""The fused Numba kernels against their NumPy twin, and the fast tanh against libm."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import blobs, trainer
from playground.engine.activations import apply

WIDE = [{"type": "dense", "units": 70, "activation": "tanh"}, {"type": "batchnorm"},
        {"type": "dropout", "p": 0.3}, {"type": "dense", "units": 65, "activation": "relu"},
        {"type": "dense", "units": 9}, {"type": "silu"}]


@pytest.mark.parametrize("dtype,rtol", [("float64", 1e-9), ("float32", 2e-4)])
@pytest.mark.parametrize("backend", ["loops", "blas", "auto"])
def test_kernel_paths_match_the_numpy_path(backend, dtype, rtol):
    data = blobs(n=90, f=66, k=4, test=20)
    options = dict(batch_size=16, dtype=dtype, optimizer={"name": "adam", "lr": 0.003},
                   regularization={"kind": "l2", "rate": 1e-3}, clip={"norm": 2.0})
    ref = trainer(WIDE, data, **options)
    ref_backend = ref.backend
    ref = type(ref)(ref.config, dataset=data, backend="numpy")
    fast = type(ref)(ref.config, dataset=data, backend=backend)
    assert ref_backend == "fused" and fast.backend == "fused" and ref.backend == "numpy"
    ref.run_epochs(3)
    fast.run_epochs(3)
    for key, value in ref.state_dict().items():
        np.testing.assert_allclose(fast.state_dict()[key], value, rtol=rtol, atol=rtol / 10,
                                   err_msg=key)
    for a, b in zip(ref.history, fast.history):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=rtol)
        assert b["test_accuracy"] == a["test_accuracy"]
    np.testing.assert_allclose(fast.predict(fast.x_test), ref.predict(ref.x_test), rtol=rtol,
                               atol=rtol / 10)


def test_one_batch_at_a_time_equals_a_whole_epoch_in_the_kernel():
    data = blobs(n=50, f=3, k=3)
    a = trainer(WIDE[:3] + WIDE[4:], data, batch_size=8)
    b = trainer(WIDE[:3] + WIDE[4:], data, batch_size=8)
    for _ in range(2 * a.batches_per_epoch):
        a.step_batch()
    b.run_epochs(2)
    for key, value in a.state_dict().items():
        np.testing.assert_array_equal(b.state_dict()[key], value, err_msg=key)


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 2e-15), (np.float32, 4e-7)])
def test_fast_tanh_is_accurate(dtype, rtol):
    x = np.concatenate([np.random.default_rng(0).normal(scale=4, size=20000),
                        np.linspace(-25, 25, 2001), [0.0, 1e-30, -1e-8, 3e-4, 4e-4, 7.9, 8.0]])
    x = x.astype(dtype)
    exact = np.tanh(x.astype(np.float64))
    got = apply("tanh", x)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, exact, rtol=rtol, atol=0)
    assert (np.abs(got) <= 1).all()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fast_tanh_edges(dtype):
    got = apply("tanh", np.array([np.nan, np.inf, -np.inf, 0.0], dtype))
    assert np.isnan(got[0]) and got[1] == 1 and got[2] == -1 and got[3] == 0


def test_warm_up_in_background_compiles_and_reports():
    import threading

    from playground.engine.warmup import warm_up_in_background
    done = threading.Event()
    thread = warm_up_in_background(done.set, dtypes=("float32", "float64"))
    thread.join(timeout=600)
    assert done.is_set() and not thread.is_alive()

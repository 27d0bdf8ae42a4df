"""Compile the engine's kernels ahead of use, e.g. on a background thread while a window opens.

The first run on a machine compiles the Numba kernels (tens of seconds; then they are cached
on disk and load in about a second). ``warm_up`` trains tiny runs of every kind the kernels
serve (a perceptron first: its kernel is small and it has no NumPy twin; then an MLP with
its training dynamics recorded, so the histogram and activation-health kernels compile too),
so later calls with real data find their compiled code ready.

While a background warm-up runs (``compiling()``), the app trains on the NumPy backend, which
calls nothing compiled (``Trainer.use_backend``); when it ends, the run moves to the fused
kernels between two steps. When Numba's cache does not hold the kernels yet (a first start),
the background warm-up compiles them in a child process, which fills the cache, and then loads
them: compiling is mostly Python (Numba's type inference), and on a thread of the app's own it
would hold the interpreter lock for tens of seconds, in turns with the window and the training
thread, stalling the window for seconds while NumPy trains.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
import time
from typing import Callable

import numpy as np

from playground.config import RunConfig
from playground.data.dataset import Dataset

_lock = threading.Lock()
_running = 0   # background warm-ups under way in this process
_children: list[subprocess.Popen] = []   # compile_in_child's processes running now


def compiling() -> bool:
    """Whether a background warm-up (``warm_up_in_background``) is compiling or loading the
    kernels now. Without one (the CLI, tests, benchmarks) this is False and the kernels
    compile when first called, as always."""
    return _running > 0


def warm_up(dtypes: tuple[str, ...] = ("float32",)) -> None:
    """Compile (or load from the cache) the kernels a run in each dtype will call, and
    import scikit-learn's data loaders (0.7 s), so the first pick of a table is quick."""
    import sklearn.datasets  # noqa: F401
    compile_kernels(dtypes)


def compile_kernels(dtypes: tuple[str, ...] = ("float32",)) -> None:
    """Compile (or load from the cache) the kernels a run in each dtype will call."""
    from playground.engine.trainer import Trainer
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 2))
    y = np.array([0, 1] * 4)
    data = Dataset.from_arrays(x, y, x, y)
    for model in ({"type": "perceptron"},
                  {"type": "mlp", "layers": [{"type": "dense", "units": 2,
                                              "activation": "tanh"}]}):
        for dtype in dtypes:
            cfg = RunConfig.from_dict({
                "format": 1, "data": {"source": "xor"}, "model": model,
                "train": {"batch_size": 4, "dtype": dtype}})
            trainer = Trainer(cfg, dataset=data)
            trainer.dynamics.set_every(1)  # the dynamics kernels run at the epoch's end
            trainer.step_epoch()
            trainer.dynamics.set_every(0)  # evaluated epochs in one call: the app's Play
            trainer.run_epochs(2)
            trainer.predict(trainer.x_test)


def cached(dtypes: tuple[str, ...] = ("float32",)) -> bool:
    """Whether Numba's cache holds every kernel of ``compile_kernels`` for each dtype, for
    the sources as they are: then loading them takes a second or two. False when unsure
    (this reads Numba's cache index, an internal of Numba's)."""
    try:
        from playground.engine import kernels, perceptron
        for kernel in (kernels.train_batches, kernels.train_epochs, kernels.evaluate,
                       kernels.forward_eval, kernels.weight_histograms, kernels.activation_health,
                       perceptron.perceptron_steps):
            index = kernel._cache._cache_file._load_index()
            signatures = [str(key[0]) for key in index]
            if not all(any(f"Array({dtype}," in sig for sig in signatures)
                       for dtype in dtypes):
                return False
        return True
    except Exception:  # another Numba's internals: compile as if nothing were cached
        return False


def compile_in_child(dtypes: tuple[str, ...] = ("float32",), timeout: float = 900) -> bool:
    """``compile_kernels`` in a child process of this interpreter, which writes Numba's
    cache (the same cache folder: NUMBA_CACHE_DIR or the package's, as here); True when it
    succeeded. False, and nothing done, for a frozen app (no interpreter to start)."""
    if getattr(sys, "frozen", False):
        return False
    import playground
    root = os.path.dirname(os.path.dirname(os.path.abspath(playground.__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root] + ([env["PYTHONPATH"]]
                                                  if env.get("PYTHONPATH") else []))
    code = ("from playground.engine.warmup import compile_kernels; "
            f"compile_kernels({tuple(dtypes)!r})")
    try:
        child = subprocess.Popen([sys.executable, "-c", code], env=env,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL,
                                 creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0))
    except OSError:
        return False
    _children.append(child)
    try:
        return child.wait(timeout) == 0
    except subprocess.TimeoutExpired:
        child.kill()
        return False
    finally:
        _children.remove(child)


@atexit.register
def _stop_children() -> None:
    """An app that quits while a child compiles stops it (Numba writes each cache file
    under a temporary name and renames it when whole: none is left half written)."""
    for child in list(_children):
        child.kill()


def warm_up_in_background(on_done: Callable[[], None] | None = None,
                          dtypes: tuple[str, ...] = ("float32",),
                          start_after: float = 0.0) -> threading.Thread:
    """Start ``warm_up`` on a daemon thread, ``start_after`` seconds from now; ``compiling()``
    is True from now until it ends, then ``on_done`` runs on that thread. Kernels not in
    Numba's cache yet are compiled in a child process first (``compile_in_child``), so that
    this process only loads them. Then the same thread imports scikit-learn's datasets (2-5 s
    on a cold start), so that a first pick of a table does not freeze the window while they
    load. The app waits a moment before starting, so that the window's first layout and paint
    do not share the two cores of a small machine with the compiler."""
    global _running
    with _lock:
        _running += 1

    def run() -> None:
        global _running
        try:
            if start_after > 0:
                time.sleep(start_after)
            if not cached(dtypes):
                compile_in_child(dtypes)   # if it fails, warm_up compiles here, as it can
            warm_up(dtypes)
        finally:
            with _lock:
                _running -= 1
            if on_done is not None:
                on_done()
        from playground.data import tabular
        tabular.preload()

    thread = threading.Thread(target=run, name="playground-warm-up", daemon=True)
    thread.start()
    return thread

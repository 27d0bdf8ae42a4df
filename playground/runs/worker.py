"""What a sweep's worker process does: train one run as ``playground train`` trains it.

Imported first thing in a freshly spawned process, so its top imports nothing heavy: ``init``
pins BLAS to one thread before NumPy loads (one process per core; an oversubscribed OpenBLAS
on a busy machine runs many times slower), then imports the engine once for the process's
many runs.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: How often a worker reports a run's epochs while it trains (seconds).
REPORT_EVERY = 0.1

_state: dict[str, Any] = {}


def init(queue, stop) -> None:
    """Per-process set-up (the pool's initializer): ``queue`` takes (run index, epochs
    done) reports; ``stop`` (a multiprocessing Event) asks the runs under way to end."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    _state.update(queue=queue, stop=stop)
    import playground.cli  # noqa: F401  (the engine, loaded once per process)
    import playground.engine.trainer  # noqa: F401


@dataclass(frozen=True)
class Task:
    index: int
    name: str
    config_json: str
    folder: str          # DIR/<run> (in the sweep's temporary folder)
    max_points: int


@dataclass(frozen=True)
class Outcome:
    index: int
    record: Any          # RunRecord
    #: why the run stopped early and wrote no weights (a diverged loss or weight), else None
    failure: str | None


def train_one(task: Task) -> Outcome:
    """Write ``config.json``, train it as ``playground train config.json`` does (the same
    loading, seed and epoch loop), then write ``weights.safetensors``: the bytes that
    ``playground train config.json --export weights.safetensors`` writes."""
    import numpy as np

    from playground import config as config_mod
    from playground.cli import export_metadata, load_trainer
    from playground.io.atomic import atomic_write_bytes, atomic_write_text
    from playground.io.weights import encode_weights
    from playground.progress import Cancelled
    from playground.runs.record import RunRecord

    folder = Path(task.folder)
    folder.mkdir()
    config_path = folder / "config.json"
    atomic_write_text(config_path, task.config_json)
    cfg = config_mod.load(config_path)
    trainer = load_trainer(cfg, config_path.resolve().parent)
    trainer.evaluate_epochs = True  # the curves; the weights come out the same (tested)
    queue, stop = _state.get("queue"), _state.get("stop")
    start = last_report = time.perf_counter()
    failure = None
    for _ in range(max(cfg.train.epochs - trainer.epoch, 0)):
        if stop is not None and stop.is_set():
            raise Cancelled()
        loss = trainer.step_epoch()["batch_loss"]
        now = time.perf_counter()
        if queue is not None and now - last_report >= REPORT_EVERY:
            queue.put((task.index, trainer.epoch))
            last_report = now
        if not np.isfinite(loss):
            failure = f"diverged at epoch {trainer.epoch}: the loss is {loss}"
            break
        if trainer.converged_epoch is not None:
            break
    wall = time.perf_counter() - start
    state = trainer.state_dict()
    bad = next((k for k, v in state.items()
                if v.dtype.kind == "f" and not np.isfinite(v).all()), None)
    if failure is None and bad is not None:
        failure = f"diverged by epoch {trainer.epoch}: {bad} became NaN or infinite"
    if failure is None:
        atomic_write_bytes(folder / "weights.safetensors",
                           encode_weights("weights.safetensors", state,
                                          export_metadata(trainer)))
    if queue is not None:
        queue.put((task.index, trainer.epoch))
    record = RunRecord.of(trainer, id=task.index + 1, name=task.name, wall_time=wall,
                          max_points=task.max_points)
    return Outcome(task.index, record, failure)

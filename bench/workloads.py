"""The benchmark workloads, shared by run.py, startup.py and profile_engine.py.

Each workload is a format-1 run config (plus, for D, synthetic arrays) and the numbers the
PyTorch and scikit-learn twins need to do the same work: layer sizes, activation, optimizer,
learning rate, batch size and the exact training rows our engine sees (after split, feature map
and standardization), so all three libraries train on identical data.

The twins themselves live in peers.py, which run.py starts in processes of their own that
import nothing of ours: ``write_peer_data`` puts the rows and the initial weights in a folder,
``peer_spec`` describes the rest as JSON. Only NumPy is imported here at module level; the
playground package by the functions that build a Trainer.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The playground source tree to benchmark: this checkout, or PLAYGROUND_SRC (run.py --src), e.g.
# an exported older commit to compare against. `python bench/run.py` puts bench/ first on
# sys.path, not the repo, so the tree is put in front explicitly.
REPO = Path(os.environ.get("PLAYGROUND_SRC") or Path(__file__).resolve().parent.parent).resolve()
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

D_ROWS, D_FEATURES, D_CLASSES, D_SEED = 4000, 784, 10, 0


def cpu_name() -> str:
    """The CPU's model name (/proc/cpuinfo), else what platform knows, for the tables."""
    import platform
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f
                        if line.startswith("model name")), cpu)
    except OSError:
        pass
    return cpu


@dataclass(frozen=True)
class Workload:
    key: str
    title: str            # short label for the table
    source: str           # data source ("synthetic" for D)
    hidden: tuple[int, ...]
    activation: str       # relu / tanh
    optimizer: str        # adam / sgd
    lr: float
    batch: int
    test_fraction: float
    target_ratio: float   # ours/PyTorch goal (steps/s, training only, like for like)
    note: str = ""

    def config_dict(self) -> dict[str, Any]:
        """The format-1 run config (what `playground train` reads)."""
        if self.source == "synthetic":
            # Never loaded: the Trainer gets the arrays of synthetic_dataset() directly.
            data: dict[str, Any] = {"source": "csv", "path": "synthetic-4000x784.csv",
                                    "task": "classification", "test_fraction": 0.0,
                                    "standardize": False}
        elif self.source == "spiral":
            data = {"source": "spiral", "samples": 500, "noise": 0.0,
                    "test_fraction": self.test_fraction}
        else:
            data = {"source": self.source, "test_fraction": self.test_fraction}
        layers = [{"type": "dense", "units": u, "activation": self.activation}
                  for u in self.hidden]
        return {
            "format": 1, "seed": 0, "data": data,
            "model": {"type": "mlp", "layers": layers},
            "train": {"epochs": 100, "batch_size": self.batch, "shuffle": True,
                      "dtype": "float32",
                      "optimizer": {"name": self.optimizer, "lr": self.lr}},
        }


WORKLOADS: dict[str, Workload] = {w.key: w for w in (
    Workload("A", "iris 4-16-8-3 relu, adam", "iris", (16, 8), "relu", "adam", 0.01, 16, 0.2,
             80.0),
    Workload("B", "spiral 2-8x6-1 tanh, sgd", "spiral", (8, 8, 8, 8, 8, 8), "tanh", "sgd", 0.03,
             10, 0.5, 50.0,
             note="TF Playground's largest: 500 samples, 50% test (its default ratio), "
                  "6 hidden layers of 8"),
    Workload("C", "digits 64-128-64-10 relu, adam", "digits", (128, 64), "relu", "adam", 0.001,
             32, 0.2, 6.0),
    Workload("D", "synth 784-256-128-10 relu, adam", "synthetic", (256, 128), "relu", "adam",
             0.001, 128, 0.0, 1.2,
             note="4,000 seeded N(0,1) rows x 784, 10 random classes, no test split"),
)}

B_EVAL_TARGET = 2000.0  # epochs/s on B, evaluating train and test every epoch


def synthetic_xy() -> tuple[np.ndarray, np.ndarray]:
    """Workload D's rows: standard-normal features and uniform labels from D_SEED (bench/cli.py
    writes the same rows to a CSV for the command line's timing)."""
    rng = np.random.default_rng(D_SEED)
    return rng.standard_normal((D_ROWS, D_FEATURES)), rng.integers(0, D_CLASSES, D_ROWS)


def synthetic_dataset():
    from playground.data.dataset import Dataset
    x, y = synthetic_xy()
    return Dataset.from_arrays(x, y, class_names=tuple(str(i) for i in range(D_CLASSES)))


def make_trainer(w: Workload, backend: str | None = None):
    """A fresh engine Trainer for the workload (loads or generates its data). ``backend`` is
    passed on only when given (Trainers before the fused path have no such argument)."""
    from playground.config import RunConfig
    from playground.engine.trainer import Trainer
    cfg = RunConfig.from_dict(w.config_dict())
    dataset = synthetic_dataset() if w.source == "synthetic" else None
    kw = {} if backend in (None, "auto") else {"backend": backend}
    return Trainer(cfg, dataset=dataset, **kw)


@dataclass
class Arrays:
    """The rows our engine trains on, for the twins: float32 inputs, int64 class labels."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def n_train(self) -> int:
        return self.x_train.shape[0]


def arrays_of(trainer) -> Arrays:
    ds = trainer.dataset
    return Arrays(np.ascontiguousarray(trainer.x_train, dtype=np.float32),
                  np.asarray(ds.y_train, dtype=np.int64).reshape(-1),
                  np.ascontiguousarray(trainer.x_test, dtype=np.float32),
                  np.asarray(ds.y_test, dtype=np.int64).reshape(-1),
                  ds.n_classes)


def batches_per_epoch(n: int, batch: int) -> int:
    return -(-n // batch)


# --- what the peers' processes get ----------------------------------------------------------

def write_peer_data(trainer, folder: str | os.PathLike) -> bool:
    """The rows our Trainer trains on (x float32, y int64 labels: x_train.npy, y_train.npy,
    x_test.npy, y_test.npy) and its initial weights (init.npz, named as the equivalent
    torch.nn.Sequential's state_dict) into ``folder``, for peers.py. Call it before any
    training. Returns whether the weights were written (Trainers before state_dict: no)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    a = arrays_of(trainer)
    for name in ("x_train", "y_train", "x_test", "y_test"):
        np.save(folder / f"{name}.npy", getattr(a, name))
    state = getattr(trainer, "state_dict", None)
    if state is None:
        return False
    np.savez(folder / "init.npz", **{k: np.asarray(v) for k, v in state().items()})
    return True


def layer_sizes(n_features: int, w: Workload, n_out: int) -> list[int]:
    return [n_features, *w.hidden, n_out]


def dense_macs_per_row(sizes: list[int]) -> int:
    """Multiply-adds of one row's forward pass through the dense layers: sum of in x out."""
    return sum(a * b for a, b in zip(sizes, sizes[1:]))


def _jsonable(v: Any) -> Any:
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        return v.item()
    return v


def trainer_info(trainer) -> dict[str, Any]:
    """What peer_spec needs of our Trainer, as JSON-able values: the output units, the loss,
    the optimizer's options as resolved (defaults filled in), the input width, the classes."""
    ds = trainer.dataset
    n_out = int(getattr(trainer, "output_units", 1 if ds.n_classes == 2 else ds.n_classes))
    options = dict(getattr(getattr(trainer, "optimizer", None), "options", {}) or {})
    return {"n_out": n_out,
            "loss": getattr(trainer, "loss_name", "bce" if n_out == 1 else "cross_entropy"),
            "optimizer_options": {k: _jsonable(v) for k, v in options.items() if k != "lr"},
            "n_features": int(trainer.x_train.shape[1]), "n_classes": int(ds.n_classes)}


def peer_spec(w: Workload, info: dict[str, Any], data_dir: str, threads: int) -> dict[str, Any]:
    """Everything but the arrays a twin needs, as JSON-able values: the workload's shapes and
    hyperparameters as our Trainer resolved them (``info`` comes from our side's process)."""
    return {"key": w.key, "title": w.title, "hidden": list(w.hidden),
            "activation": w.activation, "optimizer": w.optimizer, "lr": w.lr,
            "options": info["optimizer_options"], "batch": w.batch, "seed": 0,
            "loss": info["loss"], "n_features": info["n_features"], "n_out": info["n_out"],
            "n_classes": info["n_classes"], "data": str(data_dir), "threads": int(threads)}

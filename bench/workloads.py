"""The benchmark workloads, shared by run.py, startup.py and profile_engine.py.

Each workload is a format-1 run config (plus, for D, synthetic arrays) and the numbers the
PyTorch and scikit-learn twins need to do the same work: layer sizes, activation, optimizer,
learning rate, batch size and the exact training rows our engine sees (after split, feature map
and standardization), so all three libraries train on identical data.

Only NumPy and the playground package are imported here; torch and scikit-learn are imported
by the functions that use them, so a missing library only skips its column.
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
    target_ratio: float   # ours/PyTorch goal (steps/s)
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
             30.0),
    Workload("B", "spiral 2-8x6-1 tanh, sgd", "spiral", (8, 8, 8, 8, 8, 8), "tanh", "sgd", 0.03,
             10, 0.5, 30.0,
             note="TF Playground's largest: 500 samples, 50% test (its default ratio), "
                  "6 hidden layers of 8"),
    Workload("C", "digits 64-128-64-10 relu, adam", "digits", (128, 64), "relu", "adam", 0.001,
             32, 0.2, 5.0),
    Workload("D", "synth 784-256-128-10 relu, adam", "synthetic", (256, 128), "relu", "adam",
             0.001, 128, 0.0, 0.9,
             note="4,000 seeded N(0,1) rows x 784, 10 random classes, no test split"),
)}

B_EVAL_TARGET = 2000.0  # epochs/s on B, evaluating train and test every epoch


def _synthetic_xy() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(D_SEED)
    return rng.standard_normal((D_ROWS, D_FEATURES)), rng.integers(0, D_CLASSES, D_ROWS)


def synthetic_dataset():
    from playground.data.dataset import Dataset
    x, y = _synthetic_xy()
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


def synthetic_arrays() -> Arrays:
    """D's rows exactly as arrays_of(make_trainer(D)) gives them, without importing playground
    (so that the torch memory measurement carries none of our engine)."""
    x, y = _synthetic_xy()
    return Arrays(x.astype(np.float32), y.astype(np.int64),
                  np.empty((0, D_FEATURES), np.float32), np.empty(0, np.int64), D_CLASSES)


def batches_per_epoch(n: int, batch: int) -> int:
    return -(-n // batch)


# --- PyTorch twin ----------------------------------------------------------------------------

class TorchTwin:
    """The same network, loss, optimizer and batching in PyTorch (CPU, float32).

    One step: zero_grad, forward, loss, backward, optimizer.step. Data are tensors made once;
    each epoch draws torch.randperm, gathers the shuffled copy once and slices batches from it.
    ``evaluate=True`` adds, per epoch, what our Trainer's epoch end does: an eval-mode,
    no-grad pass over train and test with loss and accuracy read back as Python floats.
    """

    def __init__(self, w: Workload, a: Arrays, seed: int = 0) -> None:
        import torch
        from torch import nn
        self.torch = torch
        torch.manual_seed(seed)
        act = {"relu": nn.ReLU, "tanh": nn.Tanh}[w.activation]
        mods: list = []
        width = a.x_train.shape[1]
        for units in w.hidden:
            mods += [nn.Linear(width, units), act()]
            width = units
        self.binary = a.n_classes == 2
        mods.append(nn.Linear(width, 1 if self.binary else a.n_classes))
        self.model = nn.Sequential(*mods)
        if self.binary:
            self.loss_fn = nn.BCEWithLogitsLoss()
            to_y = lambda y: torch.from_numpy(y.astype(np.float32).reshape(-1, 1))  # noqa: E731
        else:
            self.loss_fn = nn.CrossEntropyLoss()
            to_y = lambda y: torch.from_numpy(y.copy())  # noqa: E731
        self.x = torch.from_numpy(a.x_train.copy())
        self.y = to_y(a.y_train)
        self.xt = torch.from_numpy(a.x_test.copy())
        self.yt = to_y(a.y_test)
        params = self.model.parameters()
        if w.optimizer == "adam":
            self.opt = torch.optim.Adam(params, lr=w.lr)
        else:
            self.opt = torch.optim.SGD(params, lr=w.lr)
        self.n = a.n_train
        self.batch = w.batch
        self.bpe = batches_per_epoch(self.n, self.batch)

    def _metrics(self, x, y) -> tuple[float, float]:
        out = self.model(x)
        loss = self.loss_fn(out, y).item()
        if self.binary:
            acc = ((out[:, 0] > 0) == (y[:, 0] > 0.5)).float().mean().item()
        else:
            acc = (out.argmax(dim=1) == y).float().mean().item()
        return loss, acc

    def run_epochs(self, k: int, evaluate: bool = False) -> None:
        torch, model, opt, loss_fn = self.torch, self.model, self.opt, self.loss_fn
        n, bs = self.n, self.batch
        for _ in range(k):
            perm = torch.randperm(n)
            xs, ys = self.x[perm], self.y[perm]
            for i in range(0, n, bs):
                xb, yb = xs[i:i + bs], ys[i:i + bs]
                opt.zero_grad()
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()
            if evaluate:
                model.eval()
                with torch.no_grad():
                    self._metrics(self.x, self.y)
                    if self.xt.shape[0]:
                        self._metrics(self.xt, self.yt)
                model.train()


# --- scikit-learn twin -----------------------------------------------------------------------

class SklearnTwin:
    """MLPClassifier with the same hidden sizes, activation, solver, learning rate and batch
    size; no L2 (alpha 0), plain SGD (momentum 0) for B, shuffling on, early stopping off,
    tol 0 and n_iter_no_change huge so that ``fit`` runs exactly max_iter epochs."""

    def __init__(self, w: Workload, a: Arrays, seed: int = 0) -> None:
        self.w, self.a, self.seed = w, a, seed
        self.bpe = batches_per_epoch(a.n_train, w.batch)

    def run_epochs(self, k: int) -> None:
        import warnings
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier
        w = self.w
        kw: dict[str, Any] = {}
        if w.optimizer == "sgd":
            kw.update(learning_rate="constant", momentum=0.0, nesterovs_momentum=False)
        clf = MLPClassifier(hidden_layer_sizes=w.hidden, activation=w.activation,
                            solver=w.optimizer, alpha=0.0, batch_size=w.batch,
                            learning_rate_init=w.lr, max_iter=k, shuffle=True,
                            random_state=self.seed, tol=0.0, n_iter_no_change=10**9,
                            early_stopping=False, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(self.a.x_train, self.a.y_train)
        if clf.n_iter_ != k:
            raise RuntimeError(f"sklearn ran {clf.n_iter_} epochs, asked for {k}")

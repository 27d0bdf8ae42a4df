"""The peers' side of bench/run.py: the PyTorch and scikit-learn twins, each timed in a process
of its own, and one core's float32 matrix-product peak.

This file imports only the standard library, NumPy and the one library it times: never the
playground package, nor bench/workloads.py (each hello reports the check on sys.modules).
Everything a twin needs comes from the parent: the workload's shapes and hyperparameters as
JSON on the command line (--spec), the rows our engine trains on and its initial weights as
.npy/.npz files in the spec's "data" folder (written by our side's process, float32 inputs,
int64 labels, the weights named as torch.nn.Sequential's state_dict).

    python bench/peers.py torch   --spec JSON [--threads N]   serve run.py's timing protocol
    python bench/peers.py sklearn --spec JSON [--threads N]
    python bench/peers.py peak [--size 2048] [--reps 5]       one core's float32 GFLOP/s
    python bench/peers.py rss-torch --spec JSON --epochs N    peak RSS of the torch twin
    python bench/peers.py train-torch --spec JSON --epochs N  train N epochs, print the loss
                                                              (bench/cli.py times it whole)

The timing harness (Job, timed, serve) is also what our side's process in run.py uses, so both
sides are timed by the same code. Protocol: one JSON object per line; the worker answers
{"hello": {...}, "jobs": {name: steps per epoch}} once built, then one line per command
{"op": "calibrate", "job": NAME, "seconds": S} -> {"k": epochs per timed run, ...},
{"op": "time", "job": NAME} -> {"t": seconds}, {"op": "finish"} -> {...}, {"op": "quit"}.
A failure answers {"error": traceback, "missing": module name or null} and ends the worker.
"""

from __future__ import annotations

import os
import sys

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS")


def _early_threads(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return None


if __name__ == "__main__":  # before NumPy (and its BLAS) is imported
    _t = _early_threads(sys.argv[1:])
    if _t is not None:
        for _var in THREAD_VARS:
            os.environ[_var] = _t

import gc  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402


# --- timing harness (shared with our side's process) ----------------------------------------

def timed(fn: Callable[[int], None], k: int) -> float:
    """Seconds of fn(k), gc off meanwhile (as timeit does)."""
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        fn(k)
        return time.perf_counter() - t0
    finally:
        if was_enabled:
            gc.enable()


class Job:
    """One number to measure: fn(k) runs k whole epochs of steps_per_unit steps each."""

    def __init__(self, fn: Callable[[int], None], steps_per_unit: int,
                 warmup_units: int = 2) -> None:
        self.fn, self.steps_per_unit, self.warmup_units = fn, steps_per_unit, warmup_units
        self.k = 1

    def calibrate(self, seconds: float) -> dict[str, Any]:
        """Warm up, grow k until a run takes a tenth of the target, then size k for it."""
        t0 = time.perf_counter()
        self.fn(self.warmup_units)
        warmup = time.perf_counter() - t0
        k = 1
        while True:
            t = timed(self.fn, k)
            if t >= max(0.1 * seconds, 0.01) or k >= 1 << 20:
                break
            k *= 2
        self.k = max(1, math.ceil(k * seconds / max(t, 1e-9)))
        return {"k": self.k, "warmup_s": warmup}


def loaded_ours() -> list[str]:
    """Modules of ours in this process (the peers must have none)."""
    return sorted(m for m in sys.modules
                  if m.split(".")[0] in ("playground", "workloads", "run"))


def threadpools() -> str:
    try:
        from threadpoolctl import threadpool_info
        return ", ".join(f"{p['internal_api']}={p['num_threads']}"
                         for p in threadpool_info()) or "none loaded"
    except Exception:  # threadpoolctl missing or confused: informational only
        return "unknown"


def serve(build: Callable[[], tuple[dict[str, Job], dict[str, Any],
                                    Callable[[], dict[str, Any]]]]) -> int:
    """Build the jobs, answer hello, then serve commands from stdin until quit or EOF.

    The protocol keeps a private copy of stdout; fd 1 itself is pointed at stderr, so that
    whatever a library prints cannot garble the answers."""
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    sys.stdout.flush()
    os.dup2(2, 1)

    def send(obj: dict[str, Any]) -> None:
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    def fail(exc: BaseException) -> int:
        missing = exc.name if isinstance(exc, ImportError) else None
        send({"error": traceback.format_exc(), "missing": missing})
        return 1

    try:
        jobs, hello, finish = build()
    except Exception as exc:  # reported to the parent, which decides (skip or stop)
        return fail(exc)
    send({"hello": hello, "jobs": {name: job.steps_per_unit for name, job in jobs.items()}})
    for line in sys.stdin:
        if not line.strip():
            continue
        msg = json.loads(line)
        op = msg.get("op")
        try:
            if op == "calibrate":
                send(jobs[msg["job"]].calibrate(float(msg["seconds"])))
            elif op == "time":
                job = jobs[msg["job"]]
                send({"t": timed(job.fn, job.k)})
            elif op == "finish":
                send(finish())
            elif op == "quit":
                send({})
                return 0
            else:
                raise ValueError(f"unknown op {op!r}")
        except Exception as exc:
            return fail(exc)
    return 0


# --- data and spec ---------------------------------------------------------------------------

def load_data(spec: dict[str, Any]) -> dict[str, Any]:
    """The rows and initial weights our side's process wrote (numpy only)."""
    d = Path(spec["data"])
    out: dict[str, Any] = {name: np.load(d / f"{name}.npy")
                           for name in ("x_train", "y_train", "x_test", "y_test")}
    assert out["x_train"].dtype == np.float32 and out["x_train"].flags.c_contiguous
    init = d / "init.npz"
    out["init"] = dict(np.load(init)) if init.exists() else None
    return out


def batches_per_epoch(n: int, batch: int) -> int:
    return -(-n // batch)


def _finite(x: float | None) -> bool:
    return x is not None and math.isfinite(x)


# --- PyTorch twin ----------------------------------------------------------------------------

class TorchTwin:
    """The same network, loss, optimizer and batching in PyTorch (CPU, float32).

    One step: zero_grad, forward, loss, backward, optimizer.step (torch.optim's default
    implementation). Data are tensors made once; each epoch draws torch.randperm, gathers the
    shuffled copy once and slices batches from it. ``evaluate=True`` adds, per epoch, what our
    Trainer's epoch end does: an eval-mode, no-grad pass over train and test with loss and
    accuracy read back as Python floats. The initial weights are ours (spec data's init.npz,
    loaded strictly); without that file, torch's own initialization with manual_seed(seed).
    """

    def __init__(self, spec: dict[str, Any], data: dict[str, Any]) -> None:
        import torch
        from torch import nn
        self.torch = torch
        torch.manual_seed(spec["seed"])
        act = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[spec["activation"]]
        mods: list = []
        width = spec["n_features"]
        for units in spec["hidden"]:
            mods += [nn.Linear(width, units), act()]
            width = units
        mods.append(nn.Linear(width, spec["n_out"]))
        self.model = nn.Sequential(*mods)
        self.init = "torch's own (manual_seed)"
        if data["init"] is not None:
            self.model.load_state_dict({k: torch.from_numpy(v.copy())
                                        for k, v in data["init"].items()}, strict=True)
            self.init = "ours"
        self.binary = spec["loss"] == "bce"
        if self.binary:
            self.loss_fn = nn.BCEWithLogitsLoss()
            to_y = lambda y: torch.from_numpy(y.astype(np.float32).reshape(-1, 1))  # noqa: E731
        elif spec["loss"] == "cross_entropy":
            self.loss_fn = nn.CrossEntropyLoss()
            to_y = lambda y: torch.from_numpy(y.astype(np.int64))  # noqa: E731
        else:
            raise ValueError(f"loss {spec['loss']!r} has no twin")
        self.x = torch.from_numpy(data["x_train"].copy())
        self.y = to_y(data["y_train"])
        self.xt = torch.from_numpy(data["x_test"].copy())
        self.yt = to_y(data["y_test"])
        opts = {k: (tuple(v) if isinstance(v, list) else v)
                for k, v in spec["options"].items() if k != "lr"}
        params = self.model.parameters()
        cls = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "adamw": torch.optim.AdamW,
               "rmsprop": torch.optim.RMSprop}[spec["optimizer"]]
        self.opt = cls(params, lr=spec["lr"], **opts)
        self.n = self.x.shape[0]
        self.batch = spec["batch"]
        self.bpe = batches_per_epoch(self.n, self.batch)

    def metrics(self, x, y) -> tuple[float, float]:
        out = self.model(x)
        loss = self.loss_fn(out, y).item()
        if self.binary:
            acc = ((out[:, 0] > 0) == (y[:, 0] > 0.5)).float().mean().item()
        else:
            acc = (out.argmax(dim=1) == y).float().mean().item()
        return loss, acc

    def train_loss(self) -> float:
        self.model.eval()
        with self.torch.no_grad():
            loss = self.metrics(self.x, self.y)[0]
        self.model.train()
        return loss

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
                    self.metrics(self.x, self.y)
                    if self.xt.shape[0]:
                        self.metrics(self.xt, self.yt)
                model.train()


def _torch_setup(spec: dict[str, Any]):
    import torch
    threads = int(spec["threads"])
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:  # only settable before the first parallel work
        pass
    return torch


def build_torch(spec: dict[str, Any]):
    torch = _torch_setup(spec)
    twin = TorchTwin(spec, load_data(spec))
    hello = {"library": "torch", "version": torch.__version__,
             "torch_threads": torch.get_num_threads(),
             "interop_threads": torch.get_num_interop_threads(),
             "numpy": np.__version__, "python": platform.python_version(),
             "blas": threadpools(), "ours_loaded": loaded_ours(), "init": twin.init,
             "init_train_loss": twin.train_loss(), "bpe": twin.bpe}
    jobs = {"train": Job(twin.run_epochs, twin.bpe),
            "with_eval": Job(lambda k: twin.run_epochs(k, evaluate=True), twin.bpe)}

    def finish() -> dict[str, Any]:
        loss = twin.train_loss()
        return {"final_train_loss": loss, "finite": _finite(loss)}
    return jobs, hello, finish


# --- scikit-learn twin -----------------------------------------------------------------------

def _log_loss(p: np.ndarray, y: np.ndarray, binary: bool) -> float:
    eps = np.finfo(p.dtype).eps
    p = np.clip(p, eps, 1 - eps)
    if binary:
        q = p[:, 0]
        return float(-np.mean(y * np.log(q) + (1 - y) * np.log1p(-q)))
    return float(-np.mean(np.log(p[np.arange(y.shape[0]), y])))


def _accuracy(p: np.ndarray, y: np.ndarray, binary: bool) -> float:
    pred = (p[:, 0] > 0.5).astype(np.int64) if binary else p.argmax(axis=1)
    return float(np.mean(pred == y))


class SklearnTwin:
    """MLPClassifier with the same hidden sizes, activation, solver, learning rate, Adam
    constants and batch size; no L2 (alpha 0), plain SGD (momentum 0) for B, shuffling on,
    early stopping off, tol 0 and n_iter_no_change huge so that ``fit`` runs exactly max_iter
    epochs. A fresh estimator per call (its set-up is included, amortized over k epochs).

    Two hooks of a subclass (private methods of scikit-learn's MLP, checked at every call):
    ``_init_coef`` hands out our initial weights (transposed to sklearn's (in, out) layout)
    instead of sklearn's Glorot draw, and ``_update_no_improvement_count``, which fit calls at
    every epoch end, adds the per-epoch evaluation when asked: a forward pass
    (``_forward_pass_fast``) over train and test with log-loss and accuracy, in NumPy.
    """

    def __init__(self, spec: dict[str, Any], data: dict[str, Any]) -> None:
        from sklearn.neural_network import MLPClassifier
        self.spec, self.data = spec, data
        self.binary = spec["loss"] == "bce"
        self.bpe = batches_per_epoch(data["x_train"].shape[0], spec["batch"])
        init = data["init"]
        self.init_layers = None
        if init is not None:
            n_layers = len(spec["hidden"]) + 1
            keys = [k for k in init if k.endswith(".weight")]
            if len(keys) == n_layers:
                idx = sorted(int(k.split(".")[0]) for k in keys)
                self.init_layers = [(np.ascontiguousarray(init[f"{i}.weight"].T),
                                     init[f"{i}.bias"].copy()) for i in idx]
        twin = self

        class BenchMLP(MLPClassifier):
            def _init_coef(self, fan_in, fan_out, dtype):
                if twin.init_layers is None:
                    return super()._init_coef(fan_in, fan_out, dtype)
                w, b = twin.init_layers[self._bench_layer]
                self._bench_layer += 1
                if w.shape != (fan_in, fan_out):
                    raise ValueError(f"initial weight {w.shape} != ({fan_in}, {fan_out})")
                return w.astype(dtype, copy=True), b.astype(dtype, copy=True)

            def _update_no_improvement_count(self, *args, **kwargs):
                out = super()._update_no_improvement_count(*args, **kwargs)
                self._bench_epochs += 1
                if self._bench_evaluate:
                    twin.evaluate(self)
                return out

        self.cls = BenchMLP
        self.init = "ours" if self.init_layers is not None else "sklearn's own (random_state)"
        self.last_loss: float | None = None

    def evaluate(self, clf) -> None:
        d, b = self.data, self.binary
        p = clf._forward_pass_fast(d["x_train"], check_input=False)
        _log_loss(p, d["y_train"], b), _accuracy(p, d["y_train"], b)
        if d["x_test"].shape[0]:
            p = clf._forward_pass_fast(d["x_test"], check_input=False)
            _log_loss(p, d["y_test"], b), _accuracy(p, d["y_test"], b)

    def run_epochs(self, k: int, evaluate: bool = False) -> None:
        import warnings
        from sklearn.exceptions import ConvergenceWarning
        s = self.spec
        kw: dict[str, Any] = {}
        o = s["options"]
        if s["optimizer"] == "sgd":
            if o.get("momentum", 0.0) or o.get("nesterov") or o.get("weight_decay", 0.0):
                raise ValueError("the sklearn twin only does plain SGD")
            kw.update(learning_rate="constant", momentum=0.0, nesterovs_momentum=False)
        elif s["optimizer"] == "adam":
            if o.get("weight_decay", 0.0) or o.get("amsgrad"):
                raise ValueError("the sklearn twin only does plain Adam")
            beta_1, beta_2 = o.get("betas", (0.9, 0.999))
            kw.update(beta_1=beta_1, beta_2=beta_2, epsilon=o.get("eps", 1e-8))
        else:
            raise ValueError(f"optimizer {s['optimizer']!r} has no sklearn twin")
        clf = self.cls(hidden_layer_sizes=tuple(s["hidden"]), activation=s["activation"],
                       solver=s["optimizer"], alpha=0.0, batch_size=s["batch"],
                       learning_rate_init=s["lr"], max_iter=k, shuffle=True,
                       random_state=s["seed"], tol=0.0, n_iter_no_change=10**9,
                       early_stopping=False, **kw)
        clf._bench_layer, clf._bench_epochs, clf._bench_evaluate = 0, 0, evaluate
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(self.data["x_train"], self.data["y_train"])
        if clf.n_iter_ != k or clf._bench_epochs != k:
            raise RuntimeError(f"sklearn ran {clf.n_iter_} epochs ({clf._bench_epochs} epoch "
                               f"ends seen), asked for {k}")
        if self.init_layers is not None and clf._bench_layer != len(self.init_layers):
            raise RuntimeError("sklearn did not take our initial weights")
        if clf.coefs_[0].dtype != np.float32:
            raise RuntimeError(f"sklearn trained in {clf.coefs_[0].dtype}, not float32")
        self.last_loss = float(clf.loss_)


def build_sklearn(spec: dict[str, Any]):
    import sklearn
    twin = SklearnTwin(spec, load_data(spec))
    hello = {"library": "sklearn", "version": sklearn.__version__, "numpy": np.__version__,
             "python": platform.python_version(), "blas": threadpools(),
             "ours_loaded": loaded_ours(), "init": twin.init, "bpe": twin.bpe}
    jobs = {"train": Job(twin.run_epochs, twin.bpe, warmup_units=1),
            "with_eval": Job(lambda k: twin.run_epochs(k, evaluate=True), twin.bpe,
                             warmup_units=1)}

    def finish() -> dict[str, Any]:
        return {"final_train_loss": twin.last_loss, "finite": _finite(twin.last_loss)}
    return jobs, hello, finish


# --- one core's peak -------------------------------------------------------------------------

def peak(size: int, reps: int) -> dict[str, Any]:
    """Best GFLOP/s of `reps` float32 (size x size) @ (size x size) products with NumPy's BLAS
    (after one untimed product), 2 * size**3 floating-point operations each."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    c = np.empty((size, size), np.float32)
    np.matmul(a, b, out=c)
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        np.matmul(a, b, out=c)
        times.append(time.perf_counter() - t0)
    flop = 2.0 * size ** 3
    return {"size": size, "times_s": times, "gflops": [flop / t / 1e9 for t in times],
            "best_gflops": flop / min(times) / 1e9, "numpy": np.__version__,
            "blas": threadpools(), "ours_loaded": loaded_ours()}


# --- peak RSS of the torch twin --------------------------------------------------------------

def _maxrss_mb() -> float:
    import resource
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return r / 2**20 if sys.platform == "darwin" else r / 1024  # bytes on macOS, KiB on Linux


def _vmhwm_mb() -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def rss_torch(spec: dict[str, Any], epochs: int) -> dict[str, Any]:
    _torch_setup(spec)
    after_import = _maxrss_mb()
    twin = TorchTwin(spec, load_data(spec))
    twin.run_epochs(epochs)
    return {"after_import_mb": after_import, "peak_mb": _maxrss_mb(), "vmhwm_mb": _vmhwm_mb(),
            "ours_loaded": loaded_ours()}


def train_torch(spec: dict[str, Any], epochs: int) -> dict[str, Any]:
    """The twin as a command, like `playground train`: build, train, report the final loss."""
    _torch_setup(spec)
    twin = TorchTwin(spec, load_data(spec))
    twin.run_epochs(epochs)
    loss = twin.train_loss()
    return {"epochs": epochs, "final_train_loss": loss, "finite": _finite(loss),
            "ours_loaded": loaded_ours()}


def main(argv: list[str] | None = None) -> int:
    import argparse
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("what", choices=("torch", "sklearn", "peak", "rss-torch", "train-torch"))
    p.add_argument("--spec", help="the workload as JSON (run.py's peer_spec)")
    p.add_argument("--threads", default="1")
    p.add_argument("--size", type=int, default=2048)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--epochs", type=int, default=10)
    args = p.parse_args(argv)
    if args.what == "peak":
        print(json.dumps(peak(args.size, args.reps)))
        return 0
    spec = json.loads(args.spec)
    spec.setdefault("threads", int(args.threads))
    if args.what == "rss-torch":
        print(json.dumps(rss_torch(spec, args.epochs)))
        return 0
    if args.what == "train-torch":
        print(json.dumps(train_torch(spec, args.epochs)))
        return 0
    build = build_torch if args.what == "torch" else build_sklearn
    return serve(lambda: build(spec))


if __name__ == "__main__":
    raise SystemExit(main())

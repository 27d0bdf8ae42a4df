"""The facade between the engine and its users (the app, the CLI, tests): one run's whole state.

A ``Trainer`` owns the config, the data (cast to the run's dtype), the network, the optimizer,
the schedule, the random streams and the history. Stepping a batch at a time, an epoch at a
time or many epochs at once gives the same numbers.

One batch step (MLP), as a PyTorch training loop does it:
    logits = net(x_B) in train mode;  loss, dL/dlogits = loss_fn(logits, y_B);  backward
    grads += L1/L2 of the dense weights;  clip (norm or value);  optimizer step at the current lr
End of an epoch: a full evaluation-mode pass over train and test (loss without penalty,
accuracy; R² and MAE for regression), recorded in ``history``; then the schedule steps (plateau
watches the test loss when there is a test split, else the train loss).

Regression targets with ``data.standardize_target``: the network trains on the z-scored
targets (``Dataset.scaled_targets``), so losses are in standardized units; ``predict``, R² and
MAE undo it (``Dataset.unscaled_targets``) and are in the data's units.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from playground import rng as rng_streams
from playground.config import BatchNormLayer, RunConfig
from playground.data import plane as planes
from playground.data.dataset import Dataset
from playground.data.plane import Plane
from playground.engine import clipping, losses, metrics, regularization
from playground.engine import run_state as run_states
from playground.engine.dynamics import Recorder
from playground.engine.history import History
from playground.engine.lazy_kernels import kernels
from playground.engine.network import Network
from playground.engine.optimizers import Optimizer
from playground.engine.perceptron import Perceptron
from playground.engine.schedulers import Scheduler
from playground.errors import ConfigError, PlaygroundError

#: Inside the fused kernel, a dense layer's product over a batch of at least this many
#: multiply-adds (rows x inputs x outputs) goes through BLAS; smaller ones run as plain loops,
#: where BLAS's call overhead would dominate (measured in bench/).
BLAS_MIN_MACS = 8192
BACKENDS = ("auto", "loops", "blas", "numpy")
#: The train settings a run is built with, which no live change may alter.
LIVE_FIXED = ("loss", "batch_size", "shuffle", "dtype")
_NO_UNIFORMS = np.zeros(0)
_RUN_IDS = itertools.count(1)
#: The planes ``Trainer.plane`` knows by name.
PLANE_NAMES = ("default", "pca", "informative")


@dataclass(frozen=True)
class Evaluation:
    """Full-pass, evaluation-mode metrics; test values are None without a test split,
    accuracies are None for regression, and R² and MAE (in the data's units,
    ``engine.metrics``) are None for classification."""

    train_loss: float
    test_loss: float | None
    train_accuracy: float | None
    test_accuracy: float | None
    train_r2: float | None = None
    test_r2: float | None = None
    train_mae: float | None = None
    test_mae: float | None = None

    def record(self) -> dict[str, float | None]:
        """The metrics as a history record's entries (``EVALUATION_KEYS``)."""
        return {key: getattr(self, key) for key in EVALUATION_KEYS}


#: The metrics an evaluation gives, as history records and snapshot curves name them.
EVALUATION_KEYS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy", "train_r2",
                   "test_r2", "train_mae", "test_mae")


class Trainer:
    """config + data + network + optimizer + schedule + history, with stepping and evaluation."""

    def __init__(self, config: RunConfig, dataset: Dataset | None = None,
                 base_dir: str | Path | None = None, backend: str = "auto",
                 evaluate_epochs: bool = True) -> None:
        if dataset is None:
            from playground.data import load_dataset
            dataset = load_dataset(config.data, config.seed, base_dir)
        self.config = config
        self.dataset = dataset
        self.run_id = next(_RUN_IDS)  # unique in the process: which run a snapshot shows
        self.dtype = np.dtype(config.train.dtype)
        self.perceptron = config.model.type == "perceptron"
        self.loss_name = self._resolve_loss()
        streams = rng_streams.streams(config.seed)
        if config.model.init_seed is not None:
            streams["init"] = rng_streams.stream(config.model.init_seed, "init")
        self._shuffle_rng = streams["shuffle"]
        self._dropout_rng = streams["dropout"]
        self.x_train = np.ascontiguousarray(dataset.x_train, dtype=self.dtype)
        self.x_test = np.ascontiguousarray(dataset.x_test, dtype=self.dtype)
        #: the targets the loss sees (standardized when ``dataset.y_mean`` is set)
        self.y_train = self._targets(dataset.scaled_targets(dataset.y_train))
        self.y_test = self._targets(dataset.scaled_targets(dataset.y_test))
        self._yf_test, self._yi_test = self._kernel_targets(self.y_test)
        self._yf, self._yi = self._kernel_targets(self.y_train)
        self.n_train = self.x_train.shape[0]
        train = config.train
        bs = train.batch_size
        self.batch_size = self.n_train if bs == 0 or bs >= self.n_train else bs
        if self.perceptron:
            self.model = Perceptron(dataset.n_features, dataset.n_classes, config.model.init,
                                    self.dtype, streams["init"])
            self._perceptron_targets = self.model.targets(dataset.y_train)
            self.batch_size = 1
        else:
            self._check_batchnorm()
            n_out = losses.output_units(self.loss_name, dataset.n_classes, dataset.n_targets)
            self.model = Network(config.model, dataset.n_features, n_out, self.dtype,
                                 streams["init"])
        self.backend = self._choose_backend(backend)
        #: the backend asked for at construction, which ``use_backend("preferred")`` restores
        self.preferred_backend = backend
        self.optimizer = Optimizer(train.optimizer.name, dict(train.optimizer.options),
                                   self.model.n_params, self.dtype)
        self.lr = float(train.optimizer.lr)
        self.scheduler = Scheduler(train.schedule.name, dict(train.schedule.options), self.lr,
                                   train.epochs)
        self.epoch = 0            # finished epochs
        self.steps = 0            # finished batch steps (samples, for a perceptron)
        self.history = History()  # bounded: long runs keep evenly spaced epochs
        #: per-layer training dynamics, into every ``dynamics.every``-th epoch's record
        self.dynamics = Recorder(None if self.perceptron else self.model, self.x_train)
        #: evaluate train/test at every epoch end (the app's curves); the CLI turns it off and
        #: evaluates once at the end, unless the plateau schedule needs the metric
        self.evaluate_epochs = evaluate_epochs
        self._epoch_loss = 0.0
        self._epoch_batches = 0
        self.converged_epoch: int | None = None
        self.last_mistake: int | None = None   # training-row index of the last perceptron update
        self._order: np.ndarray | None = None
        self._pos = 0
        self._epoch_mistakes = 0
        self._planes: dict[tuple[int, int], Plane] = {}   # axis planes by input pair
        self._extents: dict[Plane, tuple[float, float, float, float]] = {}
        #: how many times ``set_value`` changed a weight by hand (a snapshot session sees
        #: the count move and evaluates the edited model at once)
        self.edits = 0
        #: the gradient buffer holds the last batch step's gradient (not a loaded model's)
        self._has_grads = False

    # --- set-up checks ----------------------------------------------------------------------

    def _resolve_loss(self) -> str:
        ds, loss = self.dataset, self.config.train.loss
        if self.perceptron:
            if ds.task != "classification":
                raise ConfigError("model.type perceptron needs a classification task; the data "
                                  "is regression (use model.type mlp)")
            return "perceptron"
        name = losses.resolve(loss, ds.task, ds.n_classes)
        if ds.task == "regression" and name != "mse":
            raise ConfigError(f"train.loss {name} is for classification; the data is regression "
                              "(use mse or auto)")
        if ds.task == "classification" and name == "mse":
            raise ConfigError("train.loss mse is for regression; the data is classification "
                              "(use bce, cross_entropy or auto)")
        if name == "bce" and ds.n_classes != 2:
            raise ConfigError(f"train.loss bce needs 2 classes; the data has {ds.n_classes} "
                              "(use cross_entropy or auto)")
        return name

    def _choose_backend(self, backend: str) -> str:
        """'fused': one Numba call per run of batches, each dense layer as loops or BLAS by its
        size (``auto``), or all loops / all BLAS (``loops``, ``blas``: for tests and bench/);
        'numpy': the reference NumPy path, one Python call per operation."""
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        self.blas_min = {"loops": 2**62, "blas": 0}.get(backend, BLAS_MIN_MACS)
        if self.perceptron:
            return "perceptron"
        return "numpy" if backend == "numpy" else "fused"

    def use_backend(self, name: str) -> str:
        """Train, evaluate and predict on backend ``name`` from the next call on: one of
        ``BACKENDS``, or "preferred" for the one this trainer was built with. Returns the
        backend now running ("fused", "numpy"; a perceptron has one, "perceptron").

        The backends share every piece of a run's state: the flat parameters and gradients,
        batchnorm's running statistics and counters, the optimizer's buffers and step count,
        the learning rate and schedule, the random streams (shuffle order, dropout draws),
        the position in the epoch, the history and the dynamics' running sums. So a switch
        between two steps, mid-epoch too, loses and repeats nothing: training goes on as it
        would have on the new backend, to rounding (tests/test_backend_switch.py). The app
        trains on "numpy", which calls nothing compiled, while the kernels compile
        (``engine.warmup``), then switches to "preferred"."""
        if name == "preferred":
            name = self.preferred_backend
        self.backend = self._choose_backend(name)
        return self.backend

    def _check_batchnorm(self) -> None:
        if not any(isinstance(layer, BatchNormLayer) for layer in self.config.model.layers):
            return
        last = self.n_train % self.batch_size or self.batch_size
        if last == 1:
            raise ConfigError(
                f"train.batch_size {self.config.train.batch_size} leaves a batch of 1 sample "
                f"(of {self.n_train} training samples), and batchnorm needs at least 2 per batch "
                "in training (as torch.nn.BatchNorm1d); choose another batch size")

    def _kernel_targets(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The kernels take float targets (bce, mse) and class indices (cross_entropy) as
        separate arguments; the one a loss does not use is a placeholder."""
        if y.dtype == np.int64:
            return np.zeros((1, 1), self.dtype), y
        return y, np.zeros(1, np.int64)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        if self.loss_name == "bce":
            return y.reshape(-1, 1).astype(self.dtype)
        if self.loss_name == "mse":
            return np.ascontiguousarray(y, dtype=self.dtype)
        return np.ascontiguousarray(y, dtype=np.int64)

    # --- live changes -----------------------------------------------------------------------

    #: train keys that change a running model without a reset (the app applies them live)
    LIVE_KEYS = ("optimizer", "regularization", "clip", "schedule", "epochs")

    @property
    def can_converge(self) -> bool:
        """Whether training can end by itself before ``train.epochs``: a perceptron stops
        changing after an epoch without a mistake (``converged_epoch``)."""
        return self.perceptron

    @property
    def output_units(self) -> int:
        """The output layer's width (a perceptron's units: one, or one per class)."""
        return self.model.n_outputs

    def applies_live(self, train) -> bool:
        """Whether ``update_train(train)`` can apply mid-run: the loss, batch size, shuffling
        and dtype are fixed when the run is built (and a perceptron has no other optimizer)."""
        old = self.config.train
        fixed = [k for k in LIVE_FIXED if getattr(old, k) != getattr(train, k)]
        return not fixed and not (self.perceptron and train.optimizer.name != old.optimizer.name)

    def update_train(self, train) -> bool:
        """Apply a new ``train`` config mid-run when only live keys differ (learning rate and
        optimizer options, regularization, clipping, schedule); returns False when the change
        needs a new run (loss, batch size, shuffle, dtype). Optimizer state is kept when the
        optimizer stays the same; a new schedule starts from the current learning rate."""
        if not self.applies_live(train):
            return False
        old = self.config.train
        if train.optimizer != old.optimizer:
            if train.optimizer.name != old.optimizer.name:
                self.optimizer = Optimizer(train.optimizer.name, dict(train.optimizer.options),
                                           self.model.n_params, self.dtype)
                self.optimizer.steps = 0
            else:
                self.optimizer.options = dict(train.optimizer.options)
            self.lr = float(train.optimizer.lr)
        if train.schedule != old.schedule or train.optimizer.lr != old.optimizer.lr:
            self.scheduler = Scheduler(train.schedule.name, dict(train.schedule.options),
                                       self.lr, train.epochs)
        self.config = self.config.replace(train=train)
        return True

    # --- weights ----------------------------------------------------------------------------

    def state_spec(self) -> dict[str, tuple[tuple[int, ...], str]]:
        return self.model.state_spec()

    def state_dict(self) -> dict[str, np.ndarray]:
        """Every tensor, named as the equivalent torch.nn.Sequential's state_dict()."""
        return self.model.state_dict()

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Replace the weights; keys and shapes must match (the first mismatch is named)."""
        from playground.io.weights import check_state_dict
        check_state_dict(self.state_spec(), state)
        self.model.load_state_dict(state)
        self._has_grads = False  # the last step's gradient was of other weights

    def set_value(self, key: str, index: tuple[int, ...], value: float) -> float:
        """Set one entry of a float tensor by hand (the network diagram's editor), in place:
        ``state_dict()[key][index] = value`` cast to the run's dtype. Returns the old value.
        PlaygroundError, and nothing changes, for an unknown key, an index outside the
        tensor's shape, an integer tensor or a value that is not a finite number. No training
        step is taken; the optimizer's state stays as it is."""
        spec = self.state_spec()
        if key not in spec:
            names = list(spec)
            raise PlaygroundError(f"no tensor named {key!r} in this model; it has "
                                  f"{', '.join(names[:8])}{', ...' if len(names) > 8 else ''}")
        shape, kind = spec[key]
        if kind != "float":
            raise PlaygroundError(f"{key} is a counter, not a parameter, and cannot be edited")
        index = tuple(int(i) for i in np.atleast_1d(index)) if shape else ()
        if len(index) != len(shape) or not all(0 <= i < n for i, n in zip(index, shape)):
            raise PlaygroundError(f"index {list(index)} is outside {key} of shape "
                                  f"{list(shape)}")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise PlaygroundError(f"{key}{list(index)} must be a number, got "
                                  f"{value!r:.40}") from None
        with np.errstate(over="ignore"):
            cast = self.dtype.type(number)
        if not (math.isfinite(number) and np.isfinite(cast)):
            raise PlaygroundError(f"{key}{list(index)} must be a finite number, got {number} "
                                  f"(as {self.dtype.name}: {float(cast)})")
        module_index, name = key.split(".", 1)
        modules = self.model.modules
        tensor = getattr(modules[int(module_index)], name)
        old = float(tensor[index])
        tensor[index] = cast
        self.edits += 1
        return old

    def gradients(self) -> dict[str, np.ndarray] | None:
        """A copy of the last batch step's gradient, keyed and shaped as ``state_dict()``'s
        trainable tensors (after L1/L2 and clipping: what the optimizer was handed); None
        before the first step, after weights were loaded, and for a perceptron (its rule
        has no gradient). One copy of the flat buffer; the entries are views into it."""
        net = self.model
        if not self._has_grads or not hasattr(net, "grads"):
            return None
        flat = net.grads.copy()
        spec = net.state_spec()
        return {key: flat[sl].reshape(spec[key][0]) for key, sl in net.param_slices.items()}

    # --- run state (workspaces) -------------------------------------------------------------

    def run_state(self) -> dict[str, Any]:
        """Everything beyond config, data and weights that training on depends on: optimizer
        and schedule state, the random streams, the position in the epoch, the history (see
        ``playground.engine.run_state``). Plain values and copied arrays."""
        return run_states.capture(self)

    def restore_run_state(self, state: dict[str, Any]) -> None:
        """Put back a ``run_state()`` into a trainer built from the same config and data, its
        weights loaded: training then goes on bit for bit. WorkspaceError naming the first bad
        entry, and the trainer is unchanged."""
        run_states.restore(self, state)

    # --- stepping ---------------------------------------------------------------------------

    @property
    def batches_per_epoch(self) -> int:
        return -(-self.n_train // self.batch_size)

    @property
    def at_epoch_start(self) -> bool:
        return self._order is None

    @property
    def partial_epoch(self) -> tuple[float, float] | None:
        """The epoch under way, after Step batch: (epoch + batches done / batches per epoch,
        the mean loss of its batches so far; a perceptron's share of mistakes), or None at
        an epoch's start."""
        if self._order is None or not self._epoch_batches:
            return None
        return (self.epoch + self._epoch_batches / self.batches_per_epoch,
                self._epoch_loss / self._epoch_batches)

    def _begin_epoch(self) -> None:
        if self.config.train.shuffle:
            self._order = self._shuffle_rng.permutation(self.n_train)
        else:
            self._order = np.arange(self.n_train)
        self._pos = 0
        self._epoch_mistakes = 0
        self._epoch_loss = 0.0
        self._epoch_batches = 0
        self.dynamics.begin_epoch(self.epoch + 1)

    def step_batch(self) -> float:
        """One optimizer step on the next batch (one sample for a perceptron); returns the
        batch's loss (the number of mistakes for a perceptron). Ends the epoch after its last batch."""
        return self._train(1)

    def trace(self, rows=None):
        """The step ``step_batch`` would take on training rows ``rows`` (default: the next
        batch), computed and not taken: a ``StepTrace`` (a ``PerceptronTrace`` for a
        perceptron) of ``playground.engine.trace``. Changes nothing; TraceError for bad rows."""
        from playground.engine.trace import trace
        return trace(self, rows)

    def step_rows(self, rows) -> float:
        """Take the step ``trace(rows)`` shows: one optimizer step on training rows ``rows``
        as one batch (a perceptron: its rule on each row in turn), by the very code
        ``step_batch`` runs, so it equals ``step_batch`` on a batch of those rows: weights,
        optimizer state and step count, batchnorm's running statistics and counter, the
        dropout stream's draw, ``steps``. The step is taken outside the epoch's order: the
        epoch's position, its running loss and the history stay as they were. Returns the
        batch's loss (a perceptron's mistakes); TraceError for rows ``trace`` refuses."""
        from playground.engine.trace import trainable_rows
        rows = trainable_rows(self, rows)
        kept = (self._order, self._pos, self.batch_size, self._epoch_loss,
                self._epoch_batches, self._epoch_mistakes)
        self._order, self.batch_size = rows, (1 if self.perceptron else rows.size)
        try:
            return self._train_range(0, rows.size, rows.size if self.perceptron else 1)
        finally:
            (self._order, self._pos, self.batch_size, self._epoch_loss, self._epoch_batches,
             self._epoch_mistakes) = kept

    def step_epoch(self) -> dict[str, Any]:
        """Finish the current epoch (all of it, from its start); returns its history record."""
        self._train(None)
        return self.history[-1]

    def run_epochs(self, n: int) -> np.ndarray:
        """n whole epochs: as n ``step_epoch`` calls, to the bit (history, weights, random
        streams), but epochs that need nothing of Python between them (no dynamics recorded
        but at the last of them, no metric for the schedule, no evaluation in the data's
        units, which regression's R² and MAE are) train in one kernel call. Returns
        the n epochs' batch losses (the history may keep only some of their records)."""
        out = np.empty(max(n, 0))
        done = 0
        while done < n:
            k = self._fusable_epochs(n - done)
            if k > 1:
                out[done:done + k] = self._train_epochs(k)
            else:
                self._train(None)
                out[done] = self.history.latest["batch_loss"]
                k = 1
            done += k
        return out

    #: most shuffled rows one fused call of ``run_epochs`` holds (epochs x rows, int64)
    FUSED_ROWS = 1 << 18

    def _fusable_epochs(self, n: int) -> int:
        """How many of the next n epochs ``_train_epochs`` may train in one call (0 or 1:
        train them one by one)."""
        if (self.backend != "fused" or self.perceptron or self._order is not None
                or (self.evaluate_epochs and self.loss_name == "mse")
                or self.scheduler.needs_metric):
            return 0
        every = self.dynamics.every
        if every > 0:   # up to the next recorded epoch, which ends the call
            n = min(n, (self.epoch // every + 1) * every - self.epoch)
        return min(n, max(self.FUSED_ROWS // max(self.n_train, 1), 1))

    @np.errstate(all="ignore")
    def _train_epochs(self, k: int) -> np.ndarray:
        """k whole epochs from an epoch's start in one ``kernels.train_epochs`` call: the
        orders, dropout draws and learning rates that k ``_train(None)`` calls would take,
        drawn and scheduled up front; their k history records afterwards. Returns their
        batch losses."""
        net, train, opt = self.model, self.config.train, self.optimizer
        n, nb = self.n_train, self.batches_per_epoch
        orders = np.broadcast_to(np.arange(n), (k, n)).copy()
        if train.shuffle:   # k permutation(n) draws, in one call (the same stream, tested)
            orders = self._shuffle_rng.permuted(orders, axis=1, out=orders)
        uniforms = (self._dropout_rng.random(k * n * net.dropout_width)
                    if net.dropout_width else _NO_UNIFORMS)
        lrs = np.empty(k)
        lr = self.lr
        for e in range(k):
            lrs[e] = lr
            lr = float(self.scheduler.step(lr, None))
        hyper = kernels.hyper_vector(self.lr, opt.options, train.regularization, train.clip)
        buf0, buf1, buf2, first = opt.kernel_state()
        losses_out = np.empty((k, nb))
        metrics = np.empty((k if self.evaluate_epochs else 0, 4))
        self.dynamics.begin_epoch(self.epoch + k)   # the last epoch may be a recorded one
        opt.steps = kernels.train_epochs(
            net.plan, net.fplan, net.params, net.grads, net.stats, self.x_train, self._yf,
            self._yi, orders, nb, self.batch_size, kernels.LOSS_CODES[self.loss_name], hyper,
            lrs, kernels.OPT_CODES[opt.name], buf0, buf1, buf2, opt.steps, first,
            net.weight_ranges, uniforms, losses_out, self.blas_min, self.x_test,
            self._yf_test, self._yi_test, metrics, *self.dynamics.epochs_kernel_args())
        for bn in net.batchnorms:
            bn.num_batches_tracked = np.int64(bn.num_batches_tracked + k * nb)
        self.steps += k * nb
        self._has_grads = True
        dynamics = self.dynamics.end_epoch(self, measured=True)   # {} unless recorded
        epoch_losses = losses_out.sum(axis=1) / nb
        has_test = self.x_test.shape[0] > 0
        for e in range(k):
            record = {"epoch": self.epoch + e + 1, "lr": float(lrs[e]),
                      "batch_loss": float(epoch_losses[e])}
            if metrics.shape[0]:   # as evaluate() records a classification's epoch
                m = metrics[e].tolist()
                record.update(Evaluation(
                    m[0], m[2] if has_test else None, None if m[1] < 0 else m[1],
                    None if not has_test or m[3] < 0 else m[3]).record())
            if e == k - 1:
                record.update(dynamics)
            self.history.append(record)
        self.epoch += k
        self.lr = lr
        return epoch_losses

    def run_steps(self, n: int) -> None:
        """n batch steps (samples, for a perceptron), across epoch ends; the whole epochs
        among them as ``run_epochs`` trains them (in one kernel call where it can)."""
        while n > 0:
            if self._order is None and n >= self.batches_per_epoch:
                epochs = n // self.batches_per_epoch
                self.run_epochs(epochs)
                n -= epochs * self.batches_per_epoch
                continue
            k = min(n, self._remaining_batches())
            self._train(k)
            n -= k

    def steps_until(self, epoch: int) -> int:
        """Batch steps (samples, for a perceptron) left until ``epoch`` epochs are finished."""
        if epoch <= self.epoch:
            return 0
        return self._remaining_batches() + (epoch - self.epoch - 1) * self.batches_per_epoch

    def _remaining_batches(self) -> int:
        pos = 0 if self._order is None else self._pos
        return -(-(self.n_train - pos) // self.batch_size)

    def _train(self, n_batches: int | None) -> float:
        """Train the next n_batches of the current epoch (None: the rest of it); end the
        epoch after its last batch. Returns the last batch's loss."""
        if self._order is None:
            self._begin_epoch()
        remaining = self._remaining_batches()
        n = remaining if n_batches is None else min(n_batches, remaining)
        start = self._pos
        stop = min(start + n * self.batch_size, self.n_train)
        value = self._train_range(start, stop, n)
        self._pos = stop
        if stop == self.n_train:
            self._end_epoch()
        return value

    @np.errstate(all="ignore")  # a diverging run shows up as a NaN loss, not warnings
    def _train_range(self, start: int, stop: int, n_batches: int) -> float:
        if self.perceptron:
            self.steps += stop - start
            mistakes, last = self.model.train(self.x_train, self._perceptron_targets,
                                              self._order, start, stop, self.lr)
            count = int(mistakes.max())
            self._epoch_mistakes += count
            self._epoch_loss += count
            self._epoch_batches += stop - start
            if last >= 0:
                self.last_mistake = int(self._order[last])
            return float(count)
        self.steps += n_batches
        self._has_grads = True
        if self.backend == "fused":
            return self._train_fused(start, stop, n_batches)
        loss = math.nan
        for lo in range(start, stop, self.batch_size):
            loss = self._train_numpy(self._order[lo:min(lo + self.batch_size, stop)])
            self._epoch_loss += loss
            self._epoch_batches += 1
        return loss

    def _train_fused(self, start: int, stop: int, n_batches: int) -> float:
        net, train, opt = self.model, self.config.train, self.optimizer
        uniforms = (self._dropout_rng.random((stop - start) * net.dropout_width)
                    if net.dropout_width else _NO_UNIFORMS)
        hyper = kernels.hyper_vector(self.lr, opt.options, train.regularization, train.clip)
        buf0, buf1, buf2, first = opt.kernel_state()
        losses_out = np.empty(n_batches)
        opt.steps = kernels.train_batches(
            net.plan, net.fplan, net.params, net.grads, net.stats, self.x_train, self._yf,
            self._yi, self._order, start, n_batches, self.batch_size,
            kernels.LOSS_CODES[self.loss_name], hyper, kernels.OPT_CODES[opt.name],
            buf0, buf1, buf2, opt.steps, first, net.weight_ranges, uniforms, losses_out,
            self.blas_min, *self.dynamics.kernel_args())
        for bn in net.batchnorms:
            bn.num_batches_tracked = np.int64(bn.num_batches_tracked + n_batches)
        self._epoch_loss += float(losses_out.sum())
        self._epoch_batches += n_batches
        return float(losses_out[-1])

    def _train_numpy(self, idx: np.ndarray) -> float:
        net = self.model
        x, y = self.x_train[idx], self.y_train[idx]
        logits = net.forward(x, training=True, rng=self._dropout_rng)
        loss, grad = losses.LOSS_FUNCTIONS[self.loss_name](logits, y)
        net.backward(grad)
        train = self.config.train
        regularization.apply(train.regularization.kind, train.regularization.rate,
                             net.params, net.grads, net.weight_slices)
        clipped = False
        if train.clip.norm is not None:
            total = clipping.clip_norm(net.grads, train.clip.norm)
            clipped = not train.clip.norm / (total + 1e-6) >= 1.0
        elif train.clip.value is not None:
            clipped = bool(np.abs(net.grads).max() > train.clip.value)
            clipping.clip_value(net.grads, train.clip.value)
        self.dynamics.before_update(net.params, net.grads)
        self.optimizer.step(net.params, net.grads, self.lr)
        self.dynamics.after_update(net.params, clipped)
        return loss

    def _end_epoch(self) -> None:
        self._order = None
        self.epoch += 1
        record: dict[str, Any] = {"epoch": self.epoch, "lr": self.lr,
                                  "batch_loss": self._epoch_loss / max(self._epoch_batches, 1)}
        ev = None
        if self.evaluate_epochs or self.scheduler.needs_metric:
            ev = self.evaluate()
            record.update(ev.record())
        record.update(self.dynamics.end_epoch(self))
        if self.perceptron:
            record["mistakes"] = self._epoch_mistakes
            if self._epoch_mistakes == 0 and self.converged_epoch is None:
                self.converged_epoch = self.epoch
        self.history.append(record)
        metric = None if ev is None else (ev.test_loss if ev.test_loss is not None
                                          else ev.train_loss)
        self.lr = float(self.scheduler.step(self.lr, metric))

    # --- evaluation -------------------------------------------------------------------------

    def logits(self, x: np.ndarray) -> np.ndarray:
        """Evaluation-mode outputs before the output activation, for model inputs x."""
        x = np.ascontiguousarray(x, dtype=self.dtype)
        if self.perceptron:
            return self.model.decision(x)
        if self.backend == "fused":
            net = self.model
            out = np.empty((x.shape[0], net.n_outputs), self.dtype)
            kernels.forward_eval(net.plan, net.fplan, net.params, net.stats, x, out,
                                 self.blas_min)
            return out
        return self.model.forward(x, training=False)

    @np.errstate(all="ignore")
    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probabilities (n, K) for classification (binary: [1 - p, p]); predictions (n, T)
        for regression, in the data's units (a standardized target's z-score undone, in
        float64). The run's dtype otherwise; a perceptron gives hard 0/1 probabilities."""
        z = self.logits(x)
        if self.perceptron:
            cls = self.model.predict(np.ascontiguousarray(x, dtype=self.dtype))
            return np.eye(self.dataset.n_classes, dtype=self.dtype)[cls]
        if self.loss_name == "bce":
            p = losses.sigmoid(z)
            return np.concatenate([1 - p, p], axis=1)
        if self.loss_name == "cross_entropy":
            return losses.softmax(z)
        return self._in_data_units(z)

    def _in_data_units(self, z: np.ndarray) -> np.ndarray:
        """Regression outputs -> the app's predictions: the targets' z-score undone
        (``Dataset.unscaled_targets``, float64, so that a float32 run's predictions of large
        targets keep their digits) when they were standardized, else ``z`` itself."""
        if self.dataset.y_mean is None:
            return z
        return self.dataset.unscaled_targets(z)

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        """Every module's evaluation-mode output for model inputs x (n, n_features), in the
        order of ``model.module_kinds``, each (n, model.module_widths[k]) in the run's dtype:
        an MLP's last entry is ``logits(x)``; a perceptron gives [weighted sums, steps]."""
        return self.model.layer_outputs(np.ascontiguousarray(x, dtype=self.dtype))

    def plane(self, plane: Plane | tuple[int, int] | str = (0, 1)) -> Plane:
        """``plane`` itself, or the axis plane of raw inputs (i, j) (the others at their
        training mean), or by name: "pca" (the training data's first two principal
        components), "informative" (the axis plane of the two most informative inputs),
        "default" (the PCA plane of a table, the (x1, x2) plane of 2-D data); ValueError for
        a plane of another input count or an unknown name."""
        if isinstance(plane, str):
            if plane not in PLANE_NAMES:
                raise ValueError(f"unknown plane {plane!r}; one of {', '.join(PLANE_NAMES)}")
            if plane == "default":
                n = len(self.dataset.input_names)
                plane = "pca" if n > 2 else (0, min(1, n - 1))  # one input: (0, 0)
            if plane == "informative":
                plane = planes.informative_pair(self.dataset)
            elif plane == "pca":
                if plane not in self._planes:
                    self._remember(self._planes, plane, planes.pca_plane(self.dataset))
                return self._planes[plane]
        if isinstance(plane, Plane):
            if plane.n_inputs != len(self.dataset.input_names):
                raise ValueError(f"the plane spans {plane.n_inputs} raw inputs; the data has "
                                 f"{len(self.dataset.input_names)}")
            return plane
        key = (int(plane[0]), int(plane[1]))
        if key not in self._planes:
            self._remember(self._planes, key, planes.axis_plane(self.dataset, *key))
        return self._planes[key]

    def plane_extent(self, plane: Plane | tuple[int, int] = (0, 1)
                     ) -> tuple[float, float, float, float]:
        """(u0, u1, v0, v1): the range of every row (train and test) on the plane, padded by
        5% (``Plane.extent``); computed once per plane."""
        plane = self.plane(plane)
        if plane not in self._extents:
            ds = self.dataset
            self._remember(self._extents, plane,
                           plane.extent(np.concatenate([ds.raw_train, ds.raw_test])))
        return self._extents[plane]

    @staticmethod
    def _remember(cache: dict, key, value, size: int = 8) -> None:
        if len(cache) >= size:
            del cache[next(iter(cache))]
        cache[key] = value

    def _grid_rows(self, resolution: int, plane, bounds) -> tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]:
        """(us (r,), vs (r,), model inputs (r * r, n_features)): row k = j * r + i is the
        plane point (us[i], vs[j])."""
        plane = self.plane(plane)
        if bounds is None:
            bounds = self.plane_extent(plane)
        us = np.linspace(bounds[0], bounds[1], resolution)
        vs = np.linspace(bounds[2], bounds[3], resolution)
        gu, gv = np.meshgrid(us, vs)
        return us, vs, self.dataset.preprocess(plane.to_raw(gu.ravel(), gv.ravel()))

    def predict_grid(self, resolution: int = 64, plane: Plane | tuple[int, int] = (0, 1),
                     bounds: tuple[float, float, float, float] | None = None, *,
                     inputs: tuple[int, int] | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Predictions over a resolution x resolution grid of an input plane, for the
        decision-region plot: a ``Plane``, or raw inputs (i, j) (also as ``inputs=``) with the
        others held at their training mean.

        Returns (us (r,), vs (r,), outputs (r, r, K)) with outputs[j, i] = predict at the
        plane point (us[i], vs[j]); bounds (u0, u1, v0, v1) default to ``plane_extent``.
        One batched pass.
        """
        us, vs, x = self._grid_rows(resolution, plane if inputs is None else inputs, bounds)
        return us, vs, self.predict(x).reshape(resolution, resolution, -1)

    @np.errstate(all="ignore")  # a diverged run's grids hold NaN, not warnings
    def unit_grids(self, resolution: int = 64, plane: Plane | tuple[int, int] = (0, 1),
                   bounds: tuple[float, float, float, float] | None = None
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
        """Every unit's value over the grid of ``predict_grid``: TensorFlow Playground's
        node heatmaps, in one batched pass.

        Returns (us (r,), vs (r,), inputs (r, r, n_features): the model inputs after feature
        map and standardization, outputs: ``layer_outputs`` as a list of (r, r, width_k)),
        with [j, i] at the plane point (us[i], vs[j]), in the run's dtype.
        """
        us, vs, x = self._grid_rows(resolution, plane, bounds)
        x = np.ascontiguousarray(x, dtype=self.dtype)
        outputs = [y.reshape(resolution, resolution, -1) for y in self.layer_outputs(x)]
        return us, vs, x.reshape(resolution, resolution, -1), outputs

    def _metrics(self, x: np.ndarray, y: np.ndarray, y_data: np.ndarray) -> tuple:
        """(loss, accuracy, R², MAE) of one split: ``y`` as the loss sees it, ``y_data`` in
        the data's units (the same for classification)."""
        if self.perceptron:
            pred = self.model.predict(x)
            acc = float(np.mean(pred == y))
            return 1.0 - acc, acc, None, None
        z = None
        if self.backend == "fused":
            net = self.model
            yf, yi = self._kernel_targets(y)
            loss, acc = kernels.evaluate(net.plan, net.fplan, net.params, net.stats, x, yf, yi,
                                         kernels.LOSS_CODES[self.loss_name], self.blas_min)
            loss, acc = float(loss), (None if acc < 0 else float(acc))
        else:
            z = self.logits(x)
            loss, _ = losses.LOSS_FUNCTIONS[self.loss_name](z, y)
            if self.loss_name == "bce":
                acc = float(np.mean((z[:, 0] > 0) == (y[:, 0] > 0.5)))
            elif self.loss_name == "cross_entropy":
                acc = float(np.mean(z.argmax(axis=1) == y))
            else:
                acc = None
        if self.loss_name != "mse":
            return loss, acc, None, None
        predicted = self._in_data_units(self.logits(x) if z is None else z)  # as predict()
        return (loss, acc, metrics.r2_score(y_data, predicted),
                metrics.mean_absolute_error(y_data, predicted))

    @np.errstate(all="ignore")
    def evaluate(self) -> Evaluation:
        """Loss (without the regularization penalty; the error rate for a perceptron), and
        accuracy (classification) or R² and MAE in the data's units (regression), over the
        full train and test sets, in evaluation mode."""
        ds = self.dataset
        train = self._metrics(self.x_train, self.y_train, ds.y_train)
        test = (None,) * 4
        if self.x_test.shape[0] > 0:
            test = self._metrics(self.x_test, self.y_test, ds.y_test)
        return Evaluation(train[0], test[0], train[1], test[1], train_r2=train[2],
                          test_r2=test[2], train_mae=train[3], test_mae=test[3])

    @property
    def diverged(self) -> bool:
        """True when the last epoch's mean batch loss is NaN or infinite."""
        return bool(self.history) and not math.isfinite(self.history[-1]["batch_loss"])

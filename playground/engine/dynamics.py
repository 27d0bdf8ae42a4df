"""Training dynamics per layer, recorded in the history: TensorBoard's scalars and histograms.

Tracked tensors are the weight of every Linear module and every BatchNorm1d's gamma (the
``{i}.weight`` of the state dict, ``i`` the module index); the activation modules are watched
for their health. Every ``every``-th epoch (``Recorder.every``, see ``every_for``) the epoch's
history record gets, for tracked tensors ``i`` and activation modules ``j``:

================  ===========================================================================
key               value
================  ===========================================================================
clipped           the share of the epoch's steps in which clipping changed the gradient
                  (norm: the factor c / (||g|| + 1e-6) was below 1; value: an entry lay beyond
                  +-c); 0 without clipping
grad_norm.i       sqrt(mean over the epoch's steps s of ||g_s||^2): the RMS of the Frobenius
                  norm of the gradient the optimizer was handed (after L1/L2 and clipping,
                  what ``Trainer.gradients()`` returns after step s)
update_ratio.i    mean over the epoch's steps of ||w_after - w_before|| / ||w_before||: the
                  update-to-weight ratio of one step (about 1e-3 is the usual healthy value)
hist.i            BINS counts of w's finite entries at the epoch's end over equal bins of
                  [-R, R] (an entry at an end counts in the end bin): they sum to w.size
hist_range.i      R: a power of two at the first record (the one at or above max |w|), then
                  tripled whenever max |w| outgrows it, never shrunk; so an older histogram
                  maps onto a newer range exactly (``merge_thirds``)
dead.j            ReLU-like modules (relu, leaky_relu, elu, gelu, silu): the share of units
                  whose input is <= 0 on every row of the sample (for relu: whose output is 0)
saturated.j       sigmoid and tanh: the share of outputs (rows x units) on the sample with
                  sigmoid outside [0.01, 0.99] or |tanh| > 0.99
================  ===========================================================================

The sample is ``sample_rows``: up to SAMPLE_ROWS training rows spread evenly over the split,
run through the evaluation-mode network at the epoch's end.

Cost: never per step in Python. During a recorded epoch the fused kernel adds, per step, the
squared gradient norms and the update ratios (``kernels.dynamics_before_update`` and
``dynamics_after_update``, O(weights)); at its end one kernel histograms the weights and one
runs the sample forward (``kernels.weight_histograms``, ``kernels.activation_health``),
inside ``kernels.train_epochs`` when the epoch ends a fused call (``epochs_kernel_args``).
The NumPy backend, which trains while the kernels compile, records the same through NumPy
twins of those four kernels (``Recorder.before_update``, ``after_update``, ``weight_histograms``,
``activation_health``), calling nothing compiled.
``every_for`` spaces the records so that at least ROWS_PER_RECORD training rows pass between
two of them: the sample's forward pass then costs a small share of the training between
(bench/dynamics.py measures it against the 10% budget of issue #12).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from playground.engine.lazy_kernels import kernels

BINS = 31
SAMPLE_ROWS = 256
ROWS_PER_RECORD = 2000
RELU_LIKE = ("relu", "leaky_relu", "elu", "gelu", "silu")
#: the outputs a saturating activation keeps inside; beyond is saturated
SATURATION = {"sigmoid": (0.01, 0.99), "tanh": (-0.99, 0.99)}
#: per-tensor and per-module keys of a record, as ``{prefix}.{module index}``
TENSOR_PREFIXES = ("grad_norm", "update_ratio", "hist_range", "hist")
HEALTH_PREFIXES = ("dead", "saturated")
SCALAR_PREFIXES = ("grad_norm", "update_ratio", "dead", "saturated")
#: a record holds the dynamics when it holds this key
MARK = "clipped"


def every_for(n_train: int) -> int:
    """The record spacing in epochs: the smallest power of two k with k n_train >=
    ROWS_PER_RECORD (spiral's 250 training rows: every 8th epoch; 2,000 rows or more:
    every epoch). A power of two, so that the history's strides keep recorded epochs."""
    k = 1
    while k * max(n_train, 1) < ROWS_PER_RECORD:
        k *= 2
    return k


def sample_rows(n_train: int) -> np.ndarray:
    """The training-split rows whose activations are watched: floor(k n / m) for k < m,
    m = min(SAMPLE_ROWS, n) (every row of a split up to SAMPLE_ROWS)."""
    m = min(SAMPLE_ROWS, n_train)
    return (np.arange(m, dtype=np.int64) * n_train) // max(m, 1)


def health_of(activation: str) -> str | None:
    """"dead", "saturated" or None (linear): what a module of this activation is watched for."""
    if activation in SATURATION:
        return "saturated"
    return "dead" if activation in RELU_LIKE else None


def split_key(key: str) -> tuple[str, int] | None:
    """("grad_norm", 0) for "grad_norm.0"; None for a key that is not per module."""
    prefix, _, index = key.rpartition(".")
    if prefix in TENSOR_PREFIXES + HEALTH_PREFIXES and index.isdigit():
        return prefix, int(index)
    return None


def merge_thirds(counts: np.ndarray, times: int = 1) -> np.ndarray:
    """Histograms (..., BINS) over [-R, R] as histograms over [-3^times R, 3^times R]: each
    new bin is the sum of the three old bins it covers exactly (BINS is odd, so the centre
    bin stays centred). Sums are kept."""
    out = np.asarray(counts)
    centre = BINS // 2
    reach = -(-(centre - 1) // 3)             # new bins centre +- reach hold old ones
    pad = centre + 3 * reach + 1 - (BINS - 1)
    for _ in range(times):
        padded = np.zeros(out.shape[:-1] + (BINS + 2 * pad,), out.dtype)
        padded[..., pad:pad + BINS] = out
        first = centre + pad - 3 * reach - 1  # where new bin centre - reach starts
        starts = first + 3 * np.arange(2 * reach + 1)
        merged = padded[..., starts[:, None] + np.arange(3)].sum(axis=-1)
        out = np.zeros_like(out)
        out[..., centre - reach:centre + reach + 1] = merged
    return out


def thirds_between(small: float, large: float) -> int:
    """j with large = 3^j small (the ranges of one tensor's histograms differ so)."""
    if not (small > 0 and large > 0):
        return 0
    return max(0, round(math.log(large / small, 3)))


class Recorder:
    """The dynamics of one run: which tensors and modules, the running sums of the epoch
    under way, each tensor's histogram range. ``every`` 0 records nothing (a perceptron)."""

    def __init__(self, network, x_train: np.ndarray) -> None:
        tracked, health = [], []
        if network is not None:
            for i, m in enumerate(network.modules):
                if m.kind in ("linear", "batchnorm"):
                    tracked.append((i, network.param_slices[f"{i}.weight"]))
                elif m.kind == "activation" and health_of(m.name) is not None:
                    health.append((i, m.name))
        self.tensors = tuple(i for i, _ in tracked)
        self.ranges = np.array([[sl.start, sl.stop] for _, sl in tracked],
                               np.int64).reshape(-1, 2)
        self.modules = np.array([i for i, _ in health], np.int64)
        self.bounds = np.array([SATURATION.get(name, (math.nan, math.nan))
                                for _, name in health], np.float64).reshape(-1, 2)
        self.health_keys = tuple(f"{health_of(name)}.{i}" for i, name in health)
        n = x_train.shape[0]
        self.sample = np.ascontiguousarray(x_train[sample_rows(n)])
        self.every = every_for(n) if tracked else 0
        self.active = False
        self.sums = np.zeros((len(tracked), 3))   # sum ||g||^2, sum ratio, ||w||^2 now
        self.counts = np.zeros(2, np.int64)
        self.half_ranges = np.zeros(len(tracked))
        size = network.params.size if network is not None else 0
        self._prev = np.zeros(size, network.params.dtype if network is not None else None)
        self._idle = (np.zeros((0, 2), np.int64), np.zeros((0, 3)), np.zeros(2, np.int64),
                      self._prev)
        self._keys = {p: tuple(f"{p}.{i}" for i in self.tensors) for p in TENSOR_PREFIXES}
        self._hist = np.zeros((len(tracked), BINS), np.int64)
        self._health = np.zeros(len(health))

    def set_every(self, k: int) -> None:
        """Record every k-th epoch from the next epoch on (0: never; a run without weights
        records nothing whatever k)."""
        self.every = int(k) if self.tensors else 0

    # --- the epoch ---------------------------------------------------------------------------

    def begin_epoch(self, epoch: int) -> None:
        """Epoch ``epoch`` (1-based) starts: recorded when it is a multiple of ``every``."""
        self.active = self.every > 0 and epoch % self.every == 0
        if self.active:
            self.sums[...] = 0.0
            self.counts[...] = 0

    def kernel_args(self) -> tuple[np.ndarray, ...]:
        """``kernels.train_batches``'s dyn_ranges, dyn_sums, dyn_counts, dyn_prev."""
        if not self.active:
            return self._idle
        return self.ranges, self.sums, self.counts, self._prev

    def epochs_kernel_args(self) -> tuple[np.ndarray, ...]:
        """``kernels.train_epochs``'s dyn_* arguments: ``kernel_args()`` and what the call
        fills at its end when its last epoch is recorded (then ``end_epoch(trainer,
        measured=True)``)."""
        return (*self.kernel_args(), self.half_ranges, self._hist, self.sample, self.modules,
                self.bounds, self._health)

    def before_update(self, params: np.ndarray, grads: np.ndarray) -> None:
        """The NumPy backend's step, before the optimizer (the kernel does it itself): plain
        NumPy, the twin of ``kernels.dynamics_before_update``."""
        if not self.active:
            return
        for q, (lo, hi) in enumerate(self.ranges):
            g = grads[lo:hi].astype(np.float64)
            p = params[lo:hi]
            self.sums[q, 0] += g @ g
            self._prev[lo:hi] = p
            p = p.astype(np.float64)
            self.sums[q, 2] = p @ p

    def after_update(self, params: np.ndarray, clipped: bool) -> None:
        """The twin of ``kernels.dynamics_after_update``."""
        if not self.active:
            return
        for q, (lo, hi) in enumerate(self.ranges):
            d = params[lo:hi].astype(np.float64) - self._prev[lo:hi]
            with np.errstate(all="ignore"):  # all-zero weights: inf or NaN, as the kernel
                self.sums[q, 1] += np.sqrt(np.float64(d @ d) / self.sums[q, 2])
        self.counts[0] += 1
        self.counts[1] += int(clipped)

    def end_epoch(self, trainer, measured: bool = False) -> dict[str, Any]:
        """The epoch's record entries (none for an epoch not recorded). ``measured``: the
        histograms and the activation health are in already (``kernels.train_epochs`` took
        them, given ``epochs_kernel_args``)."""
        steps = int(self.counts[0])
        if not self.active or steps == 0:
            self.active = False
            return {}
        self.active = False
        if not measured:
            self._measure(trainer)
        hist, health = self._hist, self._health
        record: dict[str, Any] = {MARK: float(self.counts[1]) / steps}
        keys = self._keys
        with np.errstate(all="ignore"):
            record.update(zip(keys["grad_norm"], np.sqrt(self.sums[:, 0] / steps).tolist()))
            record.update(zip(keys["update_ratio"], (self.sums[:, 1] / steps).tolist()))
        record.update(zip(keys["hist_range"], self.half_ranges.tolist()))
        record.update(zip(keys["hist"], hist.tolist()))
        record.update(zip(self.health_keys, health.tolist()))
        return record

    def _measure(self, trainer) -> None:
        """The weights' histograms and the sample's activation health, at the epoch's end."""
        net = trainer.model
        if trainer.backend == "fused":
            kernels.weight_histograms(net.params, self.ranges, self.half_ranges, self._hist)
            if self.modules.size:
                kernels.activation_health(net.plan, net.fplan, net.params, net.stats,
                                          self.sample, self.modules, self.bounds,
                                          self._health, trainer.blas_min)
        else:  # the NumPy backend calls nothing compiled (it runs while the kernels compile)
            weight_histograms(net.params, self.ranges, self.half_ranges, self._hist)
            if self.modules.size:
                activation_health(net, self.sample, self.modules, self.bounds, self._health)

    # --- run state (workspaces) --------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        return {"every": self.every, "active": self.active, "sums": self.sums.copy(),
                "counts": self.counts.copy(), "half_ranges": self.half_ranges.copy()}

    def restore(self, every: int, active: bool, sums: np.ndarray, counts: np.ndarray,
                half_ranges: np.ndarray) -> None:
        """Put back a ``state()`` (its arrays checked by the caller)."""
        self.every, self.active = every, active
        self.sums[...], self.counts[...], self.half_ranges[...] = sums, counts, half_ranges


def weight_histograms(params: np.ndarray, ranges: np.ndarray, half_ranges: np.ndarray,
                      counts: np.ndarray) -> None:
    """The NumPy twin of ``kernels.weight_histograms`` (the same counts and ranges)."""
    bins = counts.shape[1]
    for q, (lo, hi) in enumerate(ranges):
        w = params[lo:hi].astype(np.float64)
        w = w[np.isfinite(w)]
        top = float(np.abs(w).max()) if w.size else 0.0
        r = float(half_ranges[q])
        if r <= 0.0:
            r = 2.0 ** math.ceil(math.log2(top)) if top > 0.0 else 1.0
        while top > r:
            r *= 3.0
        half_ranges[q] = r
        i = np.floor((w + r) * (bins / (2.0 * r))).astype(np.int64)
        counts[q] = np.bincount(np.clip(i, 0, bins - 1), minlength=bins)


def activation_health(network, x: np.ndarray, modules: np.ndarray, bounds: np.ndarray,
                      out: np.ndarray) -> None:
    """The NumPy twin of ``kernels.activation_health``, through ``network.layer_outputs(x)``:
    out[q] is module modules[q]'s saturated share (outputs outside bounds[q]) or, with
    bounds[q] NaN, its dead share (units whose input is <= 0 on every row)."""
    outputs = network.layer_outputs(x)
    for q, m in enumerate(modules):
        lo, hi = bounds[q]
        if lo == lo:
            y = outputs[m]
            out[q] = np.count_nonzero((y > hi) | (y < lo)) / y.size
        else:
            a = outputs[m - 1] if m > 0 else x
            out[q] = np.count_nonzero(np.all(a <= 0, axis=0)) / a.shape[1]


def is_dynamics_key(key: str) -> bool:
    return key == MARK or split_key(key) is not None


def is_hist_key(key: str) -> bool:
    """Whether ``key`` is a weight histogram's ("hist.0"), a list of counts."""
    split = split_key(key)
    return split is not None and split[0] == "hist"


def pack(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """(the records without their dynamics, the dynamics as a table of arrays), for a
    workspace: thousands of records of 31-bin histograms would be a million JSON numbers,
    seconds to write; as arrays they go to the workspace's npz. The table: ``keys`` (the
    dynamics keys in record order), ``epochs`` (m,) the records that hold them, ``values``
    (m, scalar keys) float64, ``counts`` (m, histogram keys, BINS) int32. None (and the
    records as they are) when no record holds dynamics, or they do not all hold the first's
    keys (others stay in their records)."""
    rows = [r for r in records if MARK in r]
    if not rows:
        return [dict(r) for r in records], None
    keys = [k for k in rows[0] if is_dynamics_key(k)]
    dyn = set(keys)
    if any(not dyn <= r.keys() for r in rows):
        return [dict(r) for r in records], None
    hist = [k for k in keys if is_hist_key(k)]
    scalars = [k for k in keys if k not in hist]
    table = {"keys": keys, "epochs": np.array([r["epoch"] for r in rows], np.int64),
             "values": np.array([[_num(r[k]) for k in scalars] for r in rows],
                                np.float64).reshape(len(rows), len(scalars)),
             "counts": np.array([[r[k] for k in hist] for r in rows],
                                np.int32).reshape(len(rows), len(hist), BINS)}
    plain = [{k: v for k, v in r.items() if k not in dyn} for r in records]
    return plain, table


def unpack(records: list[dict[str, Any]], table: dict[str, Any]) -> list[dict[str, Any]]:
    """``pack`` undone: each record whose epoch the table lists gets its dynamics back, in
    their order, after its other keys. The table's shapes are the caller's to check."""
    keys = list(table["keys"])
    hist = [k for k in keys if is_hist_key(k)]
    column = {k: j for j, k in enumerate(k for k in keys if k not in hist)}
    plane = {k: j for j, k in enumerate(hist)}
    at = {int(e): row for row, e in enumerate(table["epochs"])}
    values, counts = table["values"], table["counts"]
    out = []
    for record in records:
        record = dict(record)
        row = at.get(record.get("epoch"))
        if row is not None:
            for k in keys:
                record[k] = (counts[row, plane[k]].tolist() if k in plane
                             else float(values[row, column[k]]))
        out.append(record)
    return out


def check_record_value(key: str, value: Any) -> str | None:
    """What is wrong with a record's ``key: value`` (a workspace's), or None: numbers or
    null, but a "hist.i" holds BINS whole counts >= 0."""
    if is_hist_key(key):
        ok = (isinstance(value, list) and len(value) == BINS
              and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                      for v in value))
        return None if ok else f"must be a list of {BINS} whole counts >= 0"
    if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        return None
    return "must be a number or null"


# --- as arrays, for plots ---------------------------------------------------------------------

@dataclass(frozen=True)
class WeightHistogram:
    """One tensor's histograms over time: ``counts[t]`` (BINS,) at ``epochs[t]``, all over
    the same bins of [-half_range, half_range] (older ones merged up, ``merge_thirds``)."""

    epochs: np.ndarray
    counts: np.ndarray
    half_range: float

    def edges(self) -> np.ndarray:
        return np.linspace(-self.half_range, self.half_range, BINS + 1)


@dataclass(frozen=True)
class DynamicsData:
    """A snapshot's dynamics: ``curves`` maps "epoch", "clipped" and the scalar per-module
    keys ("grad_norm.0", "dead.1", ...) to float arrays over the recorded epochs;
    ``histograms`` maps a tracked tensor's module index to its ``WeightHistogram``."""

    curves: dict[str, np.ndarray]
    histograms: dict[int, WeightHistogram]


class _Track:
    """Rows (one per epoch) of a fixed shape, grown in place and thinned to at most
    ``limit`` by keeping the epochs that are multiples of a doubling stride (evenly spaced,
    like the curves)."""

    def __init__(self, limit: int, shape: tuple[int, ...], dtype) -> None:
        self.limit = limit
        self.stride = 1
        self.n = 0
        self.epochs = np.zeros(64, np.int64)
        self.rows = np.zeros((64,) + shape, dtype)

    def accepts(self, epoch: int) -> bool:
        return epoch % self.stride == 0

    def append(self, epoch: int, row) -> None:
        if self.n == self.epochs.size:
            self.epochs = np.resize(self.epochs, 2 * self.n)
            self.rows = np.resize(self.rows, (2 * self.n,) + self.rows.shape[1:])
        self.rows[self.n] = row
        self.epochs[self.n] = epoch
        self.n += 1
        while self.n > self.limit:
            self.stride *= 2
            keep = np.flatnonzero(self.epochs[:self.n] % self.stride == 0)
            self.epochs[:keep.size] = self.epochs[keep]
            self.rows[:keep.size] = self.rows[keep]
            self.n = keep.size


class DynamicsSeries:
    """A run's dynamics records (from its ``History``) as plot-ready arrays, grown at each
    ``update``: at most ``max_points`` epochs of curves and ``max_columns`` of histograms,
    each thinned to evenly spaced epochs. ``data()`` is the same object until new records
    arrive, so a snapshot costs nothing while nothing changed. The keys are read from the
    first record with dynamics (a run's records all hold the same ones)."""

    def __init__(self, max_points: int = 512, max_columns: int = 256) -> None:
        self.max_points, self.max_columns = max_points, max_columns
        self._seen = 0
        self._keys: tuple[str, ...] = ()
        self._tensors: tuple[int, ...] = ()
        self._curves: _Track | None = None
        self._hists: _Track | None = None
        self._ranges = np.zeros(0)
        self._data: DynamicsData | None = None

    def _start(self, record: dict[str, Any]) -> None:
        self._keys = tuple(k for k in record if k == MARK or _scalar(k))
        self._tensors = tuple(split_key(k)[1] for k in record if is_hist_key(k))
        self._curves = _Track(self.max_points, (len(self._keys),), np.float64)
        self._hists = _Track(self.max_columns, (len(self._tensors), BINS), np.int64)
        self._ranges = np.zeros(len(self._tensors))
        self._hist_keys = tuple(f"hist.{i}" for i in self._tensors)
        self._range_keys = tuple(f"hist_range.{i}" for i in self._tensors)

    def update(self, history) -> DynamicsData | None:
        """Take the records after the last one seen; the data, None before any record."""
        new = history.since(self._seen)
        if new:
            self._seen = new[-1]["epoch"]
        changed = False
        for record in new:
            if MARK not in record:
                continue
            if self._curves is None:
                self._start(record)
            epoch = record["epoch"]
            if self._curves.accepts(epoch):
                self._curves.append(epoch, [_num(record.get(k)) for k in self._keys])
                changed = True
            if self._tensors and self._hists.accepts(epoch):
                self._hists.append(epoch, self._histograms(record))
                changed = True
        if changed:
            self._data = self._build()
        return self._data

    def _histograms(self, record: dict[str, Any]) -> np.ndarray:
        """The record's histograms on this series' ranges: every column of a tensor shares
        one range, so a grown range merges the columns kept so far."""
        counts = np.array([record[k] for k in self._hist_keys], np.int64)
        ranges = np.array([_num(record.get(k)) for k in self._range_keys])
        kept = self._hists.rows[:self._hists.n]
        for q in range(len(self._tensors)):
            r, have = ranges[q], self._ranges[q]
            if not r > 0:
                continue
            if have == 0:
                self._ranges[q] = r
            elif r > have:
                kept[:, q] = merge_thirds(kept[:, q], thirds_between(have, r))
                self._ranges[q] = r
            elif r < have:
                counts[q] = merge_thirds(counts[q], thirds_between(r, have))
        return counts

    def _build(self) -> DynamicsData:
        c, h = self._curves, self._hists
        curves = {"epoch": c.epochs[:c.n].astype(np.float64)}
        values = c.rows[:c.n].T.copy()
        curves.update(zip(self._keys, values))
        epochs = h.epochs[:h.n].astype(np.float64)
        hists = {i: WeightHistogram(epochs, h.rows[:h.n, q].copy(),
                                    float(self._ranges[q]) or 1.0)
                 for q, i in enumerate(self._tensors)}
        return DynamicsData(curves, hists)


def _scalar(key: str) -> bool:
    split = split_key(key)
    return split is not None and split[0] in SCALAR_PREFIXES


def _num(value) -> float:
    return math.nan if value is None else float(value)

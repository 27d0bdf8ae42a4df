"""A trainer's run state: everything beyond config, data and weights that the next step reads.

``capture(trainer)`` returns it as plain values (int, float, bool, str, None, lists, dicts)
and NumPy arrays. ``restore(trainer, state)`` checks every entry against a trainer built from
the same config and data (its weights already loaded), then puts the state in place: training
goes on bit for bit as if it had never stopped. Workspace files store it
(``playground.io.workspace``); ``Trainer.run_state()`` and ``Trainer.restore_run_state()`` are
the public face.

===============  ============================================================================
key              what it holds
===============  ============================================================================
epoch, steps     finished epochs; finished batch steps (samples, for a perceptron)
lr               the learning rate of the next step (schedules and live edits change it)
evaluate_epochs  whether each epoch end evaluates train and test (the app's curves)
optimizer        ``name``, ``options`` (as the config's), ``steps`` (torch's step count for
                 the bias corrections), ``buffers``: name -> (n_params,) array. Which buffers
                 exist matters too: SGD's first momentum step copies the gradient.
scheduler        ``name``, ``options`` (cosine's t_max resolved), ``base_lr``, ``last_epoch``,
                 ``best`` and ``num_bad_epochs`` (plateau; ``best`` may be infinite)
random           ``shuffle``, ``dropout``: the PCG64 states of the two streams still drawn
                 from, the 128-bit integers as decimal strings (JSON readers other than
                 Python's round integers beyond 2^53)
position         ``order``: this epoch's sample order (n_train,) int64, or None at an epoch
                 boundary; ``pos``: samples done this epoch; ``epoch_loss``, ``epoch_batches``,
                 ``epoch_mistakes``: the epoch's running sums (its record's batch_loss)
perceptron       ``converged_epoch``, ``last_mistake`` (None for an MLP)
history          ``History.state()``: the bounded per-epoch records
dynamics         optional (older workspaces lack it): the ``engine.dynamics`` recorder's
                 ``every``, ``active`` (this epoch is recorded), ``sums`` (n_tensors, 3) and
                 ``counts`` (2,) so far this epoch, ``half_ranges`` (n_tensors,) of the
                 histograms; without it the epoch under way is not recorded
===============  ============================================================================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from playground.config import ScheduleConfig
from playground.engine import dynamics
from playground.engine.dynamics import check_record_value
from playground.engine.history import History
from playground.engine.optimizers import Optimizer
from playground.engine.schedulers import SCHEDULE_DEFAULTS, Scheduler
from playground.errors import ConfigError, WorkspaceError

if TYPE_CHECKING:
    from playground.engine.trainer import Trainer

KEYS = ("epoch", "steps", "lr", "evaluate_epochs", "optimizer", "scheduler", "random",
        "position", "perceptron", "history")
OPTIONAL_KEYS = ("dynamics",)
DYNAMICS_KEYS = ("every", "active", "sums", "counts", "half_ranges")
HISTORY_KEYS = ("max_records", "stride", "kept", "latest")
RNG_KEYS = ("bit_generator", "state", "inc", "has_uint32", "uinteger")


def capture(t: Trainer) -> dict[str, Any]:
    """The trainer's run state (copies: later training does not change it)."""
    opt, sched, history = t.optimizer, t.scheduler, t.history.state()
    kept, table = dynamics.pack(history["kept"])
    return {
        "epoch": t.epoch, "steps": t.steps, "lr": t.lr, "evaluate_epochs": t.evaluate_epochs,
        "optimizer": {"name": opt.name, "options": _plain(opt.options), "steps": int(opt.steps),
                      "buffers": {k: v.copy() for k, v in opt.state.items()}},
        "scheduler": {"name": sched.name, "options": dict(sched.options),
                      **sched.state_dict()},
        "random": {"shuffle": _rng_state(t._shuffle_rng), "dropout": _rng_state(t._dropout_rng)},
        "position": {"order": None if t._order is None else t._order.copy(), "pos": t._pos,
                     "epoch_loss": t._epoch_loss, "epoch_batches": t._epoch_batches,
                     "epoch_mistakes": t._epoch_mistakes},
        "perceptron": {"converged_epoch": t.converged_epoch, "last_mistake": t.last_mistake},
        "history": {**history, "kept": kept,
                    "latest": None if history["latest"] is None else dict(history["latest"]),
                    **({} if table is None else {"dynamics": table})},
        "dynamics": t.dynamics.state(),
    }


def restore(t: Trainer, state: Any) -> None:
    """Check ``state`` against ``t`` and put it in place; WorkspaceError naming the first bad
    entry (``optimizer.steps must be an integer >= 0, got -1``), and ``t`` is then unchanged."""
    top = _Fields(state, "", KEYS + OPTIONAL_KEYS, optional=OPTIONAL_KEYS)
    epoch = top.int("epoch")
    steps = top.int("steps")
    lr = top.float("lr")
    evaluate = top.bool("evaluate_epochs")
    optimizer = _optimizer(t, top.fields("optimizer", ("name", "options", "steps", "buffers")))
    scheduler = _scheduler(t, top.fields("scheduler", ("name", "options", "base_lr",
                                                       "last_epoch", "best", "num_bad_epochs")))
    rand = top.fields("random", ("shuffle", "dropout"))
    shuffle, dropout = _rng(rand, "shuffle"), _rng(rand, "dropout")
    pos = top.fields("position", ("order", "pos", "epoch_loss", "epoch_batches",
                                  "epoch_mistakes"))
    order = _order(t, pos)
    at = pos.int("pos", hi=t.n_train)
    if order is not None and (at >= t.n_train or at % t.batch_size):
        _bad("position.pos", f"must be a multiple of the batch size {t.batch_size} below "
                             f"{t.n_train} mid-epoch, got {at}")
    epoch_loss = pos.float("epoch_loss")
    epoch_batches = pos.int("epoch_batches")
    epoch_mistakes = pos.int("epoch_mistakes")
    per = top.fields("perceptron", ("converged_epoch", "last_mistake"))
    converged = per.optional_int("converged_epoch", 1, max(epoch, 1))
    last_mistake = per.optional_int("last_mistake", 0, t.n_train - 1)
    if not t.perceptron and (converged, last_mistake) != (None, None):
        _bad("perceptron", "must hold nulls for an mlp")
    history = _history(_Fields(top.get("history"), "history", HISTORY_KEYS + ("dynamics",),
                               optional=("dynamics",)))
    dynamics = (_dynamics(t, top.fields("dynamics", DYNAMICS_KEYS), order is not None)
                if "dynamics" in top.obj else None)

    # every entry checked: now change the trainer
    t.epoch, t.steps, t.lr, t.evaluate_epochs = epoch, steps, lr, evaluate
    t.optimizer, t.scheduler, t.history = optimizer, scheduler, history
    t._shuffle_rng.bit_generator.state = shuffle
    t._dropout_rng.bit_generator.state = dropout
    t._order, t._pos = order, at
    t._epoch_loss, t._epoch_batches, t._epoch_mistakes = epoch_loss, epoch_batches, epoch_mistakes
    t.converged_epoch, t.last_mistake = converged, last_mistake
    if dynamics is not None:
        t.dynamics.restore(*dynamics)
    else:  # an older workspace: the epoch under way has no sums, so it goes unrecorded
        t.dynamics.active = False


# --- the parts ---------------------------------------------------------------------------------

def _plain(options: dict[str, Any]) -> dict[str, Any]:
    """Options as JSON holds them (betas as a list)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in options.items()}


def _optimizer(t: Trainer, f: _Fields) -> Optimizer:
    cfg = t.config.train.optimizer
    if f.get("name") != cfg.name:
        _bad("optimizer.name", f"is {_show(f.get('name'))} but train.optimizer.name is "
                               f"{cfg.name}")
    if f.get("options") != _plain(dict(cfg.options)):
        _bad("optimizer.options", "differ from train.optimizer in the config")
    size = getattr(t.model, "n_params", 0)
    allowed = [k for k in Optimizer.KERNEL_BUFFERS[cfg.name] if k]
    buffers = _Fields(f.get("buffers"), "optimizer.buffers", allowed, optional=True)
    opt = Optimizer(cfg.name, dict(cfg.options), size, t.dtype)
    opt.steps = f.int("steps")
    opt.state = {k: buffers.array(k, (size,), t.dtype).copy() for k in allowed
                 if k in buffers.obj}
    return opt


def _scheduler(t: Trainer, f: _Fields) -> Scheduler:
    name = t.config.train.schedule.name
    if f.get("name") != name:
        _bad("scheduler.name", f"is {_show(f.get('name'))} but train.schedule.name is {name}")
    raw = _Fields(f.get("options"), "scheduler.options", tuple(SCHEDULE_DEFAULTS[name]))
    try:
        options = dict(ScheduleConfig(name, tuple(raw.obj.items()),
                                      _path="scheduler.options").options)
    except ConfigError as exc:
        raise WorkspaceError(str(exc)) from None
    if name == "cosine" and options["t_max"] is None:
        _bad("scheduler.options.t_max", "must be an integer >= 1, got null")
    sched = Scheduler(name, options, f.float("base_lr"), t.config.train.epochs)
    sched.options = options
    sched.load_state_dict({"last_epoch": f.int("last_epoch"), "best": f.float("best"),
                           "num_bad_epochs": f.int("num_bad_epochs"),
                           "base_lr": f.float("base_lr")})
    return sched


def _rng_state(gen: np.random.Generator) -> dict[str, Any]:
    s = gen.bit_generator.state
    return {"bit_generator": s["bit_generator"], "state": str(s["state"]["state"]),
            "inc": str(s["state"]["inc"]), "has_uint32": int(s["has_uint32"]),
            "uinteger": int(s["uinteger"])}


def _rng(parent: _Fields, key: str) -> dict[str, Any]:
    """The ``bit_generator.state`` dict for a stream, checked."""
    f = parent.fields(key, RNG_KEYS)
    if f.get("bit_generator") != "PCG64":
        _bad(f"{f.path}.bit_generator", f"must be \"PCG64\", got {_show(f.get('bit_generator'))}")
    words = {}
    for word in ("state", "inc"):
        text = f.get(word)
        if not (isinstance(text, str) and text.isdigit() and len(text) <= 39
                and int(text) < 2**128):
            _bad(f"{f.path}.{word}", f"must be a decimal string of an integer below 2^128, "
                                     f"got {_show(text)}")
        words[word] = int(text)
    return {"bit_generator": "PCG64", "state": words,
            "has_uint32": f.int("has_uint32", hi=1), "uinteger": f.int("uinteger", hi=2**32 - 1)}


def _order(t: Trainer, f: _Fields) -> np.ndarray | None:
    if f.get("order") is None:
        return None
    order = f.array("order", (t.n_train,), np.int64)
    if not np.array_equal(np.sort(order), np.arange(t.n_train)):
        _bad("position.order", f"must be a permutation of 0..{t.n_train - 1}")
    if not t.config.train.shuffle and not np.array_equal(order, np.arange(t.n_train)):
        _bad("position.order", "must be 0..n-1 in order when train.shuffle is false")
    return np.array(order, np.int64)


def _history(f: _Fields) -> History:
    max_records = f.int("max_records", lo=2)
    stride = f.int("stride", lo=1)
    kept = f.get("kept")
    if not isinstance(kept, list):
        _bad("history.kept", f"must be a list of records, got {_show(kept)}")
    for i, record in enumerate(kept):
        _record(record, f"history.kept[{i}]")
    if "dynamics" in f.obj:
        kept = dynamics.unpack(kept, _table(f.fields("dynamics", TABLE_KEYS), kept))
    latest = f.get("latest")
    if latest is not None:
        _record(latest, "history.latest")
    return History.from_state({"max_records": max_records, "stride": stride, "kept": kept,
                               "latest": latest})


TABLE_KEYS = ("keys", "epochs", "values", "counts")


def _table(f: _Fields, kept: list) -> dict[str, Any]:
    """``history.dynamics``: the kept records' dynamics as arrays (``dynamics.pack``)."""
    keys = f.get("keys")
    if (not isinstance(keys, list) or not all(isinstance(k, str) for k in keys)
            or len(set(keys)) != len(keys) or dynamics.MARK not in keys
            or not all(dynamics.is_dynamics_key(k) for k in keys)):
        _bad("history.dynamics.keys", f"must list distinct dynamics keys with "
                                      f"{dynamics.MARK!r}, got {_show(keys)}")
    n_hist = sum(1 for k in keys if dynamics.is_hist_key(k))
    epochs, values, counts = f.get("epochs"), f.get("values"), f.get("counts")
    m = epochs.shape[0] if isinstance(epochs, np.ndarray) and epochs.ndim == 1 else -1
    for key, value, shape, dtype in (
            ("epochs", epochs, (m,), np.int64),
            ("values", values, (m, len(keys) - n_hist), np.float64),
            ("counts", counts, (m, n_hist, dynamics.BINS), np.int32)):
        if m < 0 or not isinstance(value, np.ndarray) or value.shape != shape \
                or value.dtype != dtype:
            name = np.dtype(dtype).name
            _bad(f"history.dynamics.{key}", f"must be {'an' if name[0] in 'aeiou' else 'a'} "
                                            f"{name} array of shape "
                                            f"{shape if m >= 0 else '(m,)'}, got {_show(value)}")
    held = {r["epoch"] for r in kept}
    missing = [int(e) for e in epochs if int(e) not in held]
    if missing or (m > 1 and not (np.diff(epochs) > 0).all()):
        _bad("history.dynamics.epochs", "must be increasing epochs of history.kept, got "
                                        f"{missing[0] if missing else 'an unsorted list'}")
    if counts.size and counts.min() < 0:
        _bad("history.dynamics.counts", "must be whole counts >= 0")
    return {"keys": keys, "epochs": epochs, "values": values, "counts": counts}


def _record(record: Any, path: str) -> None:
    """An epoch record: string keys, an integer "epoch" >= 1, numbers or nulls (a weight
    histogram "hist.i": a list of whole counts, ``dynamics.check_record_value``)."""
    if not isinstance(record, dict):
        _bad(path, f"must be an object, got {_show(record)}")
    epoch = record.get("epoch")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
        _bad(f"{path}.epoch", f"must be an integer >= 1, got {_show(epoch)}")
    for key, value in record.items():
        if not isinstance(key, str):
            _bad(f"{path}.{_show(key)}", "must be a string key")
        problem = check_record_value(key, value)
        if problem:
            _bad(f"{path}.{key}", f"{problem}, got {_show(value)}")


def _dynamics(t: Trainer, f: _Fields, mid_epoch: bool) -> tuple:
    """The recorder's state, as ``Recorder.restore`` takes it."""
    rec = t.dynamics
    n = len(rec.tensors)
    every = f.int("every")
    if (every == 0) != (n == 0):
        _bad("dynamics.every", f"must be {'0 for a run without weights' if n == 0 else '>= 1'}"
                               f", got {every}")
    active = f.bool("active")
    if active and not mid_epoch:
        _bad("dynamics.active", "must be false at an epoch boundary")
    sums = f.array("sums", (n, 3), np.float64)
    counts = f.array("counts", (2,), np.int64)
    if counts.min(initial=0) < 0 or counts[1] > counts[0]:
        _bad("dynamics.counts", f"must be (steps, clipped steps) with 0 <= clipped <= steps, "
                                f"got {counts.tolist()}")
    half_ranges = f.array("half_ranges", (n,), np.float64)
    if not (np.isfinite(half_ranges).all() and (half_ranges >= 0).all()):
        _bad("dynamics.half_ranges", "must be finite and >= 0")
    return every, active, sums, counts, half_ranges


# --- checked access ----------------------------------------------------------------------------

def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _bad(path: str, message: str) -> None:
    raise WorkspaceError(f"{path} {message}")


class _Fields:
    """An object of the state whose keys are exactly ``keys`` (or a subset, if ``optional``);
    typed getters raise WorkspaceError naming the key path."""

    def __init__(self, obj: Any, path: str, keys, optional: bool | tuple = False) -> None:
        """``optional``: True (any key may be missing) or the keys that may be."""
        self.path = path
        name = path or "the run state"
        if not isinstance(obj, dict):
            _bad(name, f"must be an object, got {_show(obj)}")
        extra = [k for k in obj if k not in keys]
        if extra:
            _bad(name, f"has an unexpected key {_show(extra[0])}")
        missing = [k for k in keys if k not in obj
                   and not (optional is True or k in (optional or ()))]
        if missing:
            _bad(name, f"lacks the key {missing[0]!r}")
        self.obj = obj

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> Any:
        return self.obj[key]

    def fields(self, key: str, keys) -> _Fields:
        return _Fields(self.obj[key], self.at(key), keys)

    def int(self, key: str, lo: int = 0, hi: int | None = None) -> int:
        value = self.obj[key]
        if (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo
                or (hi is not None and value > hi)):
            limits = f">= {lo}" + ("" if hi is None else f" and <= {hi}")
            _bad(self.at(key), f"must be an integer {limits}, got {_show(value)}")
        return int(value)

    def optional_int(self, key: str, lo: int, hi: int) -> int | None:
        return None if self.obj[key] is None else self.int(key, lo, hi)

    def float(self, key: str) -> float:
        value = self.obj[key]
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
            _bad(self.at(key), f"must be a number, got {_show(value)}")
        return float(value)

    def bool(self, key: str) -> bool:
        value = self.obj[key]
        if not isinstance(value, bool):
            _bad(self.at(key), f"must be true or false, got {_show(value)}")
        return value

    def array(self, key: str, shape: tuple[int, ...], dtype) -> np.ndarray:
        value = self.obj[key]
        dtype = np.dtype(dtype)
        if not isinstance(value, np.ndarray):
            _bad(self.at(key), f"must be an array, got {_show(value)}")
        if value.shape != shape or value.dtype != dtype:
            article = "an" if dtype.name[0] in "aeiou" else "a"
            _bad(self.at(key), f"must be {article} {dtype} array of shape {shape}, got "
                               f"{value.dtype} {value.shape}")
        return value

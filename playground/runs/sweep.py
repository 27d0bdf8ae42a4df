"""Sweeps: a grid of config values times seeds, trained in worker processes (PRODUCT.md s. 2).

``grid`` builds the runs: every combination of the values (the first key varies slowest),
each for ``seeds`` seeds (``seed``, ``seed + 1``, ...), validated as config files are.
``run_sweep`` trains them ``jobs`` at a time in ``spawn``-started worker processes (one pool
for the whole sweep, so each worker pays its start-up once; one BLAS thread each), each run
exactly as ``playground train DIR/<run>/config.json`` trains it, and writes

    DIR/<run>/config.json           the exact config the run trained
    DIR/<run>/weights.safetensors   the bytes ``playground train ... --export`` writes
    DIR/summary.csv                 one row per run: run, each key, seed, epochs, final losses
                                    and accuracies (empty where not defined)
    DIR/curves.png                  the curves, the mean and a band over seeds (``runs.plot``)

into a temporary folder beside DIR, renamed to DIR at the end: a sweep that fails or is
cancelled leaves nothing behind. Qt-free; the app runs it on a worker thread.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import multiprocessing
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from playground.config import RunConfig
from playground.errors import ConfigError, PlaygroundError
from playground.runs.compare import editable_dict, get_key, parse_path, set_key
from playground.runs.record import next_id

#: A grid larger than this is refused (a typo such as 1000 values, not a sweep).
MAX_RUNS = 10_000
#: summary.csv's columns after ``run`` and the keys.
SUMMARY_TAIL = ("seed", "epochs", "train_loss", "test_loss", "train_accuracy", "test_accuracy")
SUMMARY_FILE, CURVES_FILE = "summary.csv", "curves.png"
CONFIG_FILE, WEIGHTS_FILE = "config.json", "weights.safetensors"
_UNSAFE = re.compile(r"[^A-Za-z0-9._+\-]+")


class SweepError(PlaygroundError):
    """A sweep that cannot be run as asked (a bad grid or output folder); one line."""


def default_jobs(leave: int = 0) -> int:
    """The cores this process may use, less ``leave`` (the app leaves one to its UI), at
    least 1."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores - leave)


# --- the grid ----------------------------------------------------------------------------------

def grid(config: RunConfig, sets: Sequence[tuple[str, Sequence[Any]]], seeds: int = 1,
         base_dir: str | os.PathLike | None = None) -> list[tuple[str, RunConfig]]:
    """(run name, config) for every combination of the values of ``sets`` ((key path,
    values) pairs) and each of ``seeds`` seeds, in order: the first key varies slowest, the
    seed fastest. A CSV ``data.path`` is made absolute against ``base_dir`` (the config
    file's folder), so that each run's config.json finds its data from DIR/<run>/.
    ConfigError naming the key path for an unknown key or a value the config refuses;
    SweepError for a key given twice, a value listed twice, no values, ``seed`` as a key
    (the seeds are ``seeds``) or a grid of more than MAX_RUNS runs."""
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise SweepError(f"the number of seeds must be a whole number >= 1, got {seeds!r}")
    keys = [path for path, _ in sets]
    for i, (path, values) in enumerate(sets):
        parse_path(path)
        if path in keys[:i]:
            raise SweepError(f"{path} is given twice; list all its values once "
                             f"({path}=V1,V2,...)")
        if path == "seed":
            raise SweepError("seed is not swept by value: the runs take seed, seed+1, ... "
                             "(give the number of seeds instead)")
        if not values:
            raise SweepError(f"{path} has no values")
        for j, value in enumerate(values):
            if any(_same_value(value, v) for v in values[:j]):
                raise SweepError(f"{path} lists {value_text(value)} twice")
    count = math.prod(len(v) for _, v in sets) * seeds
    if count > MAX_RUNS:
        raise SweepError(f"the grid has {count} runs, more than {MAX_RUNS}; sweep fewer "
                         "values or seeds")
    base = editable_dict(config)
    for path, values in sets:  # each key alone first: an error names the one key at fault
        for value in values:
            RunConfig.from_dict(set_key(base, path, value))
    # names show the keys that vary (all of them if none does)
    named = [i for i, (_, values) in enumerate(sets) if len(values) > 1] or range(len(sets))
    labels = short_labels([keys[i] for i in named])
    runs: list[tuple[str, RunConfig]] = []
    names: set[str] = set()
    for combo in itertools.product(*(values for _, values in sets)):
        obj = base
        for path, value in zip(keys, combo):
            obj = set_key(obj, path, value)
        try:
            combined = RunConfig.from_dict(obj)
        except ConfigError as exc:
            shown = ", ".join(f"{k}={value_text(v)}" for k, v in zip(keys, combo))
            raise ConfigError(f"{shown}: {exc}") from None
        combined = portable(combined, base_dir)
        for s in range(seeds):
            # replace() validates: a seed beyond the config's range is a ConfigError
            cfg = combined if s == 0 else combined.replace(seed=combined.seed + s)
            name = run_name(labels, [combo[i] for i in named], cfg.seed, len(runs), names)
            names.add(name.casefold())
            runs.append((name, cfg))
    return runs


def portable(config: RunConfig, base_dir: str | os.PathLike | None) -> RunConfig:
    """``config`` with a relative CSV path made absolute against ``base_dir``."""
    if config.data.source != "csv" or base_dir is None:
        return config
    from playground.data.csv_source import resolve_path
    path = resolve_path(config.data.path, base_dir)
    if str(path) == config.data.path:
        return config
    obj = config.to_dict()
    obj["data"]["path"] = str(Path(os.path.abspath(path)))
    return RunConfig.from_dict(obj)


def short_labels(keys: Sequence[str]) -> list[str]:
    """Each key path's shortest tail that no other key shares, for run names and legends:
    ``train.optimizer.lr`` -> ``lr``; two layers' units -> ``layers.0.units``,
    ``layers.1.units``."""
    tokens = [parse_path(k) for k in keys]

    def tail(t: list, n: int) -> str:
        return ".".join(str(x) for x in t[-n:])

    labels = []
    for i, t in enumerate(tokens):
        n = 1
        while n < len(t) and (isinstance(t[-n], int) or any(
                tail(u, n) == tail(t, n) for j, u in enumerate(tokens) if j != i)):
            n += 1
        labels.append(tail(t, n))
    return labels


def value_text(value: Any) -> str:
    """A value as a person types it: text as it is, a float in its shortest exact form
    (``1e+08``, not ``100000000.0``), anything else as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        short = f"{value:g}"
        return short if float(short) == value and len(short) < len(repr(value)) else repr(value)
    return json.dumps(value)


def run_name(labels: Sequence[str], combo: Sequence[Any], seed: int, index: int,
             taken: set[str]) -> str:
    """``lr=0.01_units=8_seed=0``: a folder name (unsafe characters become ``_``), made
    unique with the run's number if it clashes, or the number alone if it is too long.
    ``taken`` holds the names so far casefolded: on Windows and macOS ``target=A`` and
    ``target=a`` would be one folder."""
    parts = [f"{label}={_UNSAFE.sub('_', value_text(v))[:40]}"
             for label, v in zip(labels, combo)]
    name = "_".join([*parts, f"seed={seed}"])
    if len(name) > 150:
        name = f"run{index:05d}_seed={seed}"
    return name if name.casefold() not in taken else f"{name}_{index}"


def group_label(labels: Sequence[str], obj: dict[str, Any], keys: Sequence[str]) -> str:
    """``lr=0.01, units=8``: what the runs of one value combination share (``obj`` is the
    config's dict)."""
    return ", ".join(f"{label}={value_text(get_key(obj, k))}" for label, k in zip(labels, keys))


def _same_value(a: Any, b: Any) -> bool:
    return a == b and (type(a) is bool) == (type(b) is bool)


# --- running it --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SweepProgress:
    """How far a sweep is: finished runs, and epochs (a finished run counts all its
    ``train.epochs``, even when it stopped early); ``finished`` is the run that just ended."""

    runs_done: int
    runs_total: int
    epochs_done: int
    epochs_total: int
    finished: Any = None  # RunRecord


@dataclass(frozen=True)
class SweepRun:
    """One run of a finished sweep: its record, and why it wrote no weights (it diverged:
    ``playground train`` of its config exits 1 too), else None."""

    name: str
    record: Any  # RunRecord
    failure: str | None = None


@dataclass(frozen=True)
class SweepResult:
    out: Path
    keys: tuple[str, ...]
    runs: tuple[SweepRun, ...]
    #: DIR/curves.png, or None when matplotlib is not installed
    curves: Path | None
    wall_time: float
    jobs: int

    def groups(self) -> list[tuple[str, list]]:
        """(label, records) per value combination, in grid order: the runs that differ only
        in their seed."""
        dicts = [run.record.config.to_dict() for run in self.runs]
        keys = [k for k in self.keys
                if len({value_text(get_key(d, k)) for d in dicts}) > 1] or list(self.keys)
        labels = short_labels(keys)
        out: dict[str, list] = {}
        for run, obj in zip(self.runs, dicts):
            label = group_label(labels, obj, keys) or "runs"
            out.setdefault(label, []).append(run.record)
        return list(out.items())


def check_out(out: str | os.PathLike) -> Path:
    """The output folder, refused (SweepError) when it is a file or a folder that is not
    empty, or its parent folder is missing or not writable."""
    path = Path(out)
    if str(out) == "":
        raise SweepError("the output folder is an empty string; give a folder name")
    if path.exists() and not path.is_dir():
        raise SweepError(f"{out} is a file, not a folder; give a new folder name")
    if path.is_dir() and any(path.iterdir()):
        raise SweepError(f"{out} is a folder that is not empty; give a new folder name (a "
                         "sweep does not overwrite or mix with earlier results)")
    parent = path.resolve().parent
    if not parent.is_dir():
        raise SweepError(f"{out}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise SweepError(f"{out}: folder {parent} is not writable")
    return path


def check_runs(runs: Sequence[tuple[str, RunConfig]]) -> None:
    """Build each run's data and model without training, so a config that validates but
    cannot run (a data error, a loss that does not fit the data) is refused before any run
    trains: the PlaygroundError of the first such run, naming it."""
    from playground.cli import load_trainer
    seen: set[str] = set()
    for name, cfg in runs:
        text = cfg.to_json()
        if text in seen:
            continue
        seen.add(text)
        try:
            load_trainer(cfg, None)
        except PlaygroundError as exc:
            raise type(exc)(f"run {name}: {exc}") from None


def run_sweep(runs: Sequence[tuple[str, RunConfig]], out: str | os.PathLike, *,
              keys: Sequence[str] = (), jobs: int = 1,
              on_progress: Callable[[SweepProgress], None] | None = None,
              cancelled: Callable[[], bool] | None = None, plot: bool = True,
              max_points: int | None = None, plot_in_worker: bool = False) -> SweepResult:
    """Train ``runs`` (from ``grid``) ``jobs`` at a time and write DIR (see the module's
    doc); ``keys`` are the swept key paths (summary.csv's columns). ``on_progress`` is
    called on this thread as runs advance; ``cancelled()`` true stops the sweep
    (``playground.progress.Cancelled``). On any error nothing is left of DIR.
    ``plot_in_worker`` draws curves.png in a worker process, not in this one: the app's
    choice, where matplotlib's import and drawing on a thread would hold the window's GIL
    (its event loop then waits for it, in turns of 5 ms, at every call into Qt); the
    command line keeps it here, where matplotlib loads while the workers train."""
    from playground.engine.session import MAX_POINTS
    from playground.io.atomic import atomic_write_bytes, atomic_write_text
    from playground.runs import worker

    if not runs:
        raise SweepError("the sweep has no runs")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise SweepError(f"the number of jobs must be a whole number >= 1, got {jobs!r}")
    out = check_out(out)
    jobs = min(jobs, len(runs))
    start = time.perf_counter()
    ctx = multiprocessing.get_context("spawn")
    queue, stop = ctx.Queue(), ctx.Event()
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=worker.init,
                               initargs=(queue, stop))
    if plot and not plot_in_worker:  # matplotlib loads while the workers train, not after
        threading.Thread(target=_load_plotting, name="sweep-plot-import", daemon=True).start()
    tmp = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp",
                                    dir=out.resolve().parent))
        os.chmod(tmp, _folder_mode())
        tasks = [worker.Task(i, name, cfg.to_json() + "\n", str(tmp / name),
                             max_points or MAX_POINTS) for i, (name, cfg) in enumerate(runs)]
        outcomes = _collect(pool, tasks, [cfg.train.epochs for _, cfg in runs], queue,
                            on_progress, cancelled)
        result = SweepResult(out, tuple(keys), tuple(
            SweepRun(name, o.record, o.failure) for (name, _), o in zip(runs, outcomes)),
            None, 0.0, jobs)
        drawn = pool.submit(_png, result) if plot and plot_in_worker else None
        pool.shutdown(wait=False)  # the workers exit while the summary and plot are made
        atomic_write_text(tmp / SUMMARY_FILE, summary_csv(result))
        png = drawn.result() if drawn is not None else _png(result) if plot else None
        if png is not None:
            atomic_write_bytes(tmp / CURVES_FILE, png)
        if out.is_dir():
            out.rmdir()  # empty (check_out): the sweep takes its place
        os.rename(tmp, out)
    except BaseException:
        stop.set()  # the runs under way end at their next epoch
        pool.shutdown(wait=True, cancel_futures=True)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        pool.shutdown(wait=True)
        queue.close()
    return replace(result, curves=out / CURVES_FILE if png is not None else None,
                   wall_time=time.perf_counter() - start)


def _collect(pool: ProcessPoolExecutor, tasks: list, totals: list[int], queue,
             on_progress: Callable[[SweepProgress], None] | None,
             cancelled: Callable[[], bool] | None) -> list:
    """Submit every task, then wait for their outcomes (in task order), reporting progress
    from the workers' queue; a run's error is raised naming the run."""
    from playground.progress import Cancelled
    from playground.runs import worker

    futures: dict[Future, int] = {pool.submit(worker.train_one, t): t.index for t in tasks}
    epochs = [0] * len(tasks)
    outcomes: dict[int, Any] = {}

    def report(finished=None) -> None:
        if on_progress is not None:
            on_progress(SweepProgress(len(outcomes), len(tasks), sum(epochs), sum(totals),
                                      finished))

    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=0.1, return_when=FIRST_COMPLETED)
        moved = _drain(queue, epochs, outcomes)
        if cancelled is not None and cancelled():
            raise Cancelled()
        for future in done:
            i = futures[future]
            exc = future.exception()
            if isinstance(exc, PlaygroundError):
                raise type(exc)(f"run {tasks[i].name}: {exc}") from None
            if exc is not None:
                raise exc
            outcome = future.result()
            # an id unique in this process: the app keeps a sweep's runs beside its own
            outcomes[i] = replace(outcome, record=replace(outcome.record, id=next_id()))
            epochs[i] = totals[i]
            report(outcomes[i].record)
        if moved and not done:
            report()
    return [outcomes[i] for i in range(len(tasks))]


def _drain(queue, epochs: list[int], outcomes: dict) -> bool:
    """Take the workers' (run, epochs done) reports; whether any moved the count."""
    import queue as queues
    moved = False
    while True:
        try:
            i, n = queue.get_nowait()
        except (queues.Empty, OSError, ValueError):
            return moved
        if i not in outcomes and n != epochs[i]:
            epochs[i] = n
            moved = True


def _folder_mode() -> int:
    """What a plain mkdir gives (0777 less the umask): mkdtemp's 0700 would stay on DIR."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


def _load_plotting() -> None:
    try:
        import playground.runs.plot  # noqa: F401
        from matplotlib.backends import backend_agg  # noqa: F401
        from matplotlib import figure  # noqa: F401
    except ImportError:
        pass


def _png(result: SweepResult) -> bytes | None:
    """curves.png's bytes, or None without matplotlib."""
    from playground.runs.plot import curves_png
    try:
        return curves_png(result.groups())
    except ImportError:
        return None


# --- summary.csv -------------------------------------------------------------------------------

def summary_rows(result: SweepResult) -> list[list[str]]:
    """summary.csv's rows, header first: ``run``, each key (the value the run's config
    holds), ``seed``, ``epochs`` and the final train/test loss and accuracy (empty where not
    defined: no test split, a regression, or a diverged run's accuracy)."""
    rows = [["run", *result.keys, *SUMMARY_TAIL]]
    for run in result.runs:
        r = run.record
        obj = r.config.to_dict()
        final = r.final
        accuracy = (None, None) if run.failure else (final.train_accuracy, final.test_accuracy)
        rows.append([run.name, *(_cell(get_key(obj, k)) for k in result.keys), str(r.seed),
                     str(r.epochs), _cell(final.train_loss), _cell(final.test_loss),
                     _cell(accuracy[0]), _cell(accuracy[1])])
    return rows


def summary_csv(result: SweepResult) -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(summary_rows(result))
    return text.getvalue()


def _cell(value: Any) -> str:
    """A CSV cell: empty for None, floats in full (shortest round-trip), text as it is."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return value_text(value)

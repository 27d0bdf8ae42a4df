"""Everything a user can open, loaded headless and whole: a config, a workspace, a CSV, weights.

The app runs these on a background thread (with a ``Progress`` it shows and may cancel) and
changes its state only from the finished result, so a file that fails at any point, however
late (a CSV whose training split holds one class, weights of the wrong shape), leaves the app
exactly as it was. Each function checks the file first (a regular file: a FIFO would block
the reader forever) and raises ``PlaygroundError`` with one line naming the file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from playground import config as config_io
from playground import rng as streams
from playground.config import RunConfig
from playground.data import csv_source
from playground.data.csv_source import resolve_path
from playground.data.loader import check_fits_dtype, load_dataset, load_raw, raw_key
from playground.data.dataset import Dataset
from playground.data.preprocessing import split
from playground.data.raw_data import RawData
from playground.engine.trainer import Trainer
from playground.errors import ConfigError, WeightsError
from playground.progress import Progress, Stage
from playground.userfiles import check_file

Tracker = Progress | Stage | None


@dataclass(frozen=True)
class Run:
    """A built run: the trainer, and the raw samples it was built from (keyed by
    ``loader.raw_key``), so that a later edit of the split or scaling need not read again.
    ``raw`` may be a function that makes them, for samples that are only rarely needed again
    (a workspace's: putting them back together costs a copy of the data)."""

    trainer: Trainer
    raw: RawData | Callable[[], RawData]
    key: tuple


def build_run(config: RunConfig, base_dir: str | Path | None = None,
              samples: Mapping[tuple, RawData | Callable[[], RawData]] | None = None,
              progress: Tracker = None) -> Run:
    """The trainer for ``config``, every check made (the data loads, fits the dtype, suits
    the model). ``samples`` maps ``raw_key``s to raw samples already loaded: when it holds
    this config's, nothing is read or generated again."""
    key = raw_key(config.data, config.seed, base_dir)
    raw = (samples or {}).get(key)
    if callable(raw):
        raw = raw()
    if raw is None:
        raw = load_raw(config.data, config.seed, base_dir, progress)
    dataset = load_dataset(config.data, config.seed, base_dir, raw=raw)
    source = (Path(config.data.path).name if config.data.source == "csv"
              else config.data.source)
    check_fits_dtype(dataset, config.train.dtype, source)
    return Run(Trainer(config, dataset=dataset), raw, key)


@dataclass(frozen=True)
class Opened:
    """What a file gave: for a config or CSV, the new ``config`` and its built ``run``; for a
    workspace, the ``run`` as saved and its ``ui`` extras; for weights, the ``state`` dict."""

    kind: str
    path: Path
    config: RunConfig | None = None
    run: Run | None = None
    ui: Any = None
    state: dict | None = None
    columns: tuple[str, ...] = ()
    #: a CSV's text columns that ``open_csv`` left out of the features
    left_out: tuple[str, ...] = ()
    #: a workspace's kept runs (``Workspace.runs``, ``runs_error``)
    runs: Any = None
    runs_error: str | None = None


def open_config(path: str | Path, progress: Tracker = None) -> Opened:
    """A run config and the run it describes (its CSV, if any, read and checked)."""
    path = Path(path)
    check_file(path, "config file", ConfigError)
    config = config_io.load(path)
    base_dir = path.resolve().parent
    columns = ()
    if config.data.source == "csv":
        columns = tuple(csv_source.csv_columns(config.data.path, base_dir))
    run = build_run(config, base_dir, progress=progress)
    return Opened("config", path, config=config, run=run, columns=columns)


def open_workspace(path: str | Path, progress: Tracker = None) -> Opened:
    """A workspace: the run exactly as saved, ready to train on."""
    from playground.io.workspace import load_workspace
    path = Path(path)
    workspace = load_workspace(path, progress=progress)
    trainer = workspace.trainer
    key = raw_key(trainer.config.data, trainer.config.seed, path.resolve().parent)
    return Opened("workspace", path, config=trainer.config,
                  run=Run(trainer, partial(unsplit, trainer.dataset, trainer.config), key),
                  ui=workspace.ui, runs=workspace.runs, runs_error=workspace.runs_error)


def unsplit(ds: Dataset, cfg: RunConfig) -> RawData:
    """The raw samples in their source order, put back together from a run's split (the
    seeded split is a function of the row count, test fraction and seed), so that a workspace
    whose CSV is gone can still be re-split, re-scaled or re-featured."""
    n = ds.raw_train.shape[0] + ds.raw_test.shape[0]
    train_idx, test_idx = split(n, cfg.data.test_fraction, streams.stream(cfg.seed, "split"))
    if len(train_idx) != ds.raw_train.shape[0]:  # not split this way: keep the stored order
        train_idx = np.arange(ds.raw_train.shape[0])
        test_idx = np.arange(ds.raw_train.shape[0], n)
    x = np.empty((n, ds.raw_train.shape[1]), np.float64)
    y = np.empty((n, *ds.y_train.shape[1:]), ds.y_train.dtype)
    x[train_idx], x[test_idx] = ds.raw_train, ds.raw_test
    y[train_idx], y[test_idx] = ds.y_train, ds.y_test
    return RawData(x, y, ds.task, ds.input_names, class_names=ds.class_names,
                   target_names=ds.target_names)


def open_csv(path: str | Path, config: RunConfig, target: str | None = None,
             progress: Tracker = None, columns: tuple[str, ...] | None = None) -> Opened:
    """``config`` with its data taken from the CSV file at ``path`` (``target`` column, by
    default the last), and that run built: every check of the data made before anything
    changes. What described the old data starts afresh: the task is inferred, and target
    standardization follows ``data.standardize``. The features are ``columns``; by default
    every other column but those holding text (a name, a city), which a network cannot take
    as numbers: they are left out (``Opened.left_out``), so a file with a text column opens
    as a user expects, and the config says which columns it uses."""
    import dataclasses
    path = Path(path).resolve()
    header = tuple(csv_source.csv_columns(path))
    target = header[-1] if target is None and header else target
    left_out: tuple[str, ...] = ()
    if columns is None:
        left_out = tuple(c for c in csv_source.text_columns(path) if c != target)
        if left_out:
            columns = tuple(c for c in header if c != target and c not in left_out)
    data = dataclasses.replace(config.data, source="csv", path=str(path), target=target,
                               features=None, task=None,
                               columns=tuple(columns) if columns else None,
                               standardize_target=None)
    new = config.replace(data=data)
    return Opened("csv", path, config=new, run=build_run(new, progress=progress),
                  columns=header, left_out=left_out)


def columns_for_target(path: str | Path, data, target: str) -> tuple[str, ...] | None:
    """The features to keep when the open CSV's target becomes ``target``: the user's
    choice of columns (``data.columns``) stays, the new target leaves it and the old one
    joins it unless it holds text. None (every numeric column) when no choice was made."""
    if data.columns is None:
        return None
    header = csv_source.csv_columns(Path(path))
    text = set(csv_source.text_columns(Path(path)))
    keep = set(data.columns) | ({data.target} - text)
    return tuple(c for c in header if c in keep and c != target)


def open_weights(path: str | Path, progress: Tracker = None) -> Opened:
    """A weights file's tensors (read and checked as a file; whether they fit the model is
    the trainer's check, made where the trainer lives)."""
    from playground.io.weights import load_weights
    path = Path(path)
    check_file(path, "weights file", WeightsError)
    if progress is not None:
        progress.advance(0, 1, f"Reading {path.name}")
    state, _metadata = load_weights(path)
    return Opened("weights", path, state=state)


def resolved_csv(config: RunConfig, base_dir: str | Path | None) -> Path | None:
    """The CSV file a config reads, resolved; None for other sources."""
    if config.data.source != "csv":
        return None
    return resolve_path(config.data.path, base_dir)

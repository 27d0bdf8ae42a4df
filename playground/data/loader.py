"""``load_dataset``: a DataConfig and a seed -> the run's Dataset.

Pipeline: raw samples (a 2-D generator on stream "data", a scikit-learn set, or a CSV file) ->
``split`` on stream "split" -> ``feature_map`` -> z-score fitted on the training rows only.
Regression targets are z-scored too when ``data.standardize_target`` (by default
``data.standardize``) is on: the Dataset keeps them in the data's units and carries the
training split's ``y_mean``/``y_std``, which the trainer applies to train on and undoes to
predict. The same config and seed always give identical arrays.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from playground import rng as streams
from playground.data.csv_source import load_csv, resolve_path
from playground.data.dataset import Dataset
from playground.data.features import feature_map
from playground.data.generators import GENERATORS, generate, generator_task
from playground.data.preprocessing import fit_standardize, split, standardize
from playground.data.raw_data import RawData
from playground.data.tabular import load_tabular, tabular_task
from playground.errors import DataError
from playground.progress import Progress, Stage

if TYPE_CHECKING:  # config imports data.names, so a run-time import here would be circular
    from playground.config import DataConfig


def source_task(source: str) -> str | None:
    """The fixed task of a built-in source; None for csv (inferred from the file)."""
    if source in GENERATORS:
        return generator_task(source)
    if source == "csv":
        return None
    return tabular_task(source)


def _check_task(cfg: DataConfig) -> None:
    fixed = source_task(cfg.source)
    if cfg.task is not None and fixed is not None and cfg.task != fixed:
        raise DataError(f"data.task is {cfg.task} but source {cfg.source} is a {fixed} set; "
                        f"omit data.task or use {fixed}")


def raw_key(cfg: DataConfig, seed: int, base_dir: str | Path | None = None) -> tuple:
    """What the raw samples depend on: two configs with the same key load the same samples,
    whatever their split, features and scaling (so the app reuses them instead of reading a
    CSV again). A CSV is keyed by its resolved path, not its content: a fresh read is the
    caller's choice."""
    if cfg.source in GENERATORS:
        return (cfg.source, cfg.samples, cfg.noise, seed)
    if cfg.source == "csv":
        return ("csv", str(resolve_path(cfg.path, base_dir)), cfg.target, cfg.columns,
                cfg.task)
    return (cfg.source,)


def load_raw(cfg: DataConfig, seed: int, base_dir: str | Path | None = None,
             progress: Progress | Stage | None = None) -> RawData:
    """The source's samples before split and preprocessing; checks ``data.task`` against it.
    ``progress`` follows (and may cancel) a CSV read."""
    _check_task(cfg)
    if cfg.source in GENERATORS:
        return generate(cfg.source, cfg.samples, cfg.noise, streams.stream(seed, "data"))
    if cfg.source == "csv":
        return load_csv(cfg.path, cfg.target, cfg.task, base_dir, progress=progress,
                        columns=cfg.columns)
    return load_tabular(cfg.source)


def load_dataset(cfg: DataConfig, seed: int, base_dir: str | Path | None = None,
                 raw: RawData | None = None) -> Dataset:
    """Generate or read the data, split it, map features and standardize (train statistics).

    ``base_dir`` is the folder a relative ``data.path`` resolves against (the config file's);
    ``raw``, when given, is the source's samples already loaded (``load_raw`` of a config with
    the same ``raw_key``). Raises DataError for a source that cannot be loaded, a task that
    contradicts the source, or a training split with a single class.
    """
    _check_task(cfg)
    if raw is None:
        raw = load_raw(cfg, seed, base_dir)
    train_idx, test_idx = split(raw.n_samples, cfg.test_fraction, streams.stream(seed, "split"))
    raw_train = np.ascontiguousarray(raw.x[train_idx])
    raw_test = np.ascontiguousarray(raw.x[test_idx])
    y_train = np.ascontiguousarray(raw.y[train_idx])
    y_test = np.ascontiguousarray(raw.y[test_idx])
    if raw.task == "classification" and np.unique(y_train).size < 2:
        raise DataError(f"the training split of {cfg.source} holds a single class "
                        f"({raw.class_names[int(y_train[0])]!r}); use more samples or a lower "
                        f"data.test_fraction")
    features = cfg.features if cfg.features is not None else raw.input_names
    x_train = feature_map(raw_train, raw.input_names, features)
    x_test = feature_map(raw_test, raw.input_names, features)
    mean = std = None
    if cfg.standardize:
        mean, std = fit_standardize(x_train)
        x_train = standardize(x_train, mean, std)
        x_test = standardize(x_test, mean, std)
    if cfg.standardize_target and raw.task != "regression":
        label = Path(cfg.path).name if cfg.source == "csv" else cfg.source
        raise DataError(f"data.standardize_target applies to regression only; the target of "
                        f"{label} is classification (leave data.standardize_target out, or set "
                        "data.task regression)")
    y_mean = y_std = None
    if cfg.scales_target(raw.task):
        y_mean, y_std = fit_standardize(y_train)
    return Dataset(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                   raw_train=raw_train, raw_test=raw_test, task=raw.task,
                   input_names=raw.input_names, feature_names=tuple(features),
                   class_names=raw.class_names, target_names=raw.target_names,
                   mean=mean, std=std, y_mean=y_mean, y_std=y_std)


def check_fits_dtype(ds: Dataset, dtype: str, source: str = "the data") -> None:
    """DataError if the model inputs or regression targets cannot be trained on in ``dtype``.

    Every model input must be representable (a float32 cast of 1e39 is infinity), and a
    regression target small enough that the squared error summed over the training rows
    stays finite; otherwise the first epoch would report a meaningless "diverged".
    """
    info = np.finfo(np.dtype(dtype))
    x = np.concatenate([ds.x_train, ds.x_test]) if ds.has_test else ds.x_train
    if x.size:
        peak = np.abs(x).max(axis=0)
        over = np.flatnonzero(peak > info.max)
        if over.size:
            j = int(over[0])
            raise DataError(
                f"{source}: input {ds.feature_names[j]!r} holds {peak[j]:.3g}, beyond the "
                f"{dtype} range (|value| <= {info.max:.3g}); use train.dtype float64 or turn "
                "on data.standardize")
    if ds.task == "regression" and ds.y_train.size:
        y = np.concatenate([ds.y_train, ds.y_test]) if ds.has_test else ds.y_train
        y = ds.scaled_targets(y)  # what the loss sees
        limit = float(np.sqrt(info.max / max(ds.y_train.shape[0], 1)) / 2)
        peak = np.abs(y).max(axis=0)
        over = np.flatnonzero(peak > limit)
        if over.size:
            j = int(over[0])
            name = ds.target_names[j] if j < len(ds.target_names) else f"target {j}"
            raise DataError(
                f"{source}: target {name!r} holds {peak[j]:.3g}; the squared error of values "
                f"beyond {limit:.3g} overflows {dtype}; rescale the target"
                + (" or turn on data.standardize_target" if ds.y_mean is None else "")
                + (" or use train.dtype float64" if dtype == "float32" else ""))

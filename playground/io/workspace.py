"""Workspace files (``.playground``): a whole run, saved and reopened exactly where it was.

A workspace is one zip archive (``archive``: deflated, JSON and ``.npz`` members, no pickle):

=============  ===============================================================================
member         holds
=============  ===============================================================================
manifest.json  ``{"format": 1, "app_version": "0.1.0"}``: the workspace format, and the
               playground that wrote it
config.json    the run config (PRODUCT.md, format 1) as the run has it now, live edits included
data.json      ``task``, ``inputs``, ``features``, ``classes``, ``targets``: the data's names
data.npz       ``raw_train``, ``raw_test`` (n, n_inputs) float64; ``y_train``, ``y_test``
               (int64 class indices, or (n, n_targets) float64, in the data's units);
               ``mean``, ``std`` when standardized; ``y_mean``, ``y_std`` (n_targets,) when
               regression targets are; ``x_train``, ``x_test`` only when the feature map and
               z-score of the raw inputs do not give the model inputs back exactly
weights.npz    the state dict, named as torch's ``nn.Sequential`` (``np.load`` reads it)
state.json     the run state (``playground.engine.run_state``): optimizer and schedule state,
               random streams, epoch position, history; arrays as ``{"$array": name}`` and
               NaN/infinity as ``{"$float": "nan"}`` (``json_tree``)
state.npz      the run state's arrays (optimizer buffers, this epoch's sample order)
ui.json        optional: whatever JSON the app keeps with the run (view settings, ...)
runs.json      optional: the app's other runs, kept to compare (``playground.runs.store``): a
               list of ``{"record": RunRecord.to_dict(), "shown": bool}``; one that does not
               parse is left out with a one-line reason (``Workspace.runs_error``) and the
               run itself still opens
=============  ===============================================================================

The data travels inside, so a workspace opens after its CSV file was moved, changed or
deleted, and no data file is read when loading. Reopening and training on gives bit for bit
the numbers of a run that never stopped.

Versioning: ``format`` counts incompatible changes of this layout. A reader refuses a format
it does not know, naming the newer one and asking for an update; a newer playground keeps
reading older formats. Additions that old files simply lack keep the format: a workspace
written before ``data.standardize_target`` existed has no ``y_mean`` and trained on the raw
targets, so it opens with ``standardize_target`` false and trains on as it did; epoch records
without R² and MAE read as having none.

Reading is defensive (``load_workspace``): a file that is not a zip, a missing or unexpected
member, an oversized member, bad JSON, arrays of the wrong dtype or shape, a config that no
longer validates, weights that do not fit the config, or a run state that does not fit the
run raise ``WorkspaceError`` with one line naming the file and the problem.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from playground import __version__
from playground.config import RunConfig
from playground.data.dataset import Dataset
from playground.data.features import feature_map
from playground.data.names import TASKS
from playground.data.preprocessing import standardize
from playground.engine.trainer import Trainer
from playground.errors import PlaygroundError, WorkspaceError
from playground.io import archive, json_tree
from playground.io.atomic import atomic_write_bytes
from playground.progress import Progress, Stage
from playground.userfiles import check_file

FORMAT = 1
EXTENSION = ".playground"
MANIFEST = "manifest.json"
MEMBERS = (MANIFEST, "config.json", "data.json", "data.npz", "weights.npz", "state.json",
           "state.npz")
RUNS = "runs.json"
OPTIONAL_MEMBERS = ("ui.json", RUNS)
DATA_NAMES = ("task", "inputs", "features", "classes", "targets")
_READ_SHARE = 0.9  # of a load's progress, reading the members; the rest builds the run


@dataclass(frozen=True)
class Workspace:
    """An opened workspace: the trainer, ready to train on, and the app's ``ui`` extras (JSON,
    None when the file has none); ``runs``, the kept runs' JSON (None without them), or
    ``runs_error``, why they could not be read."""

    trainer: Trainer
    ui: Any = None
    app_version: str = __version__
    runs: Any = None
    runs_error: str | None = None


def is_workspace_path(path: str | os.PathLike) -> bool:
    """Whether ``path`` names a workspace file (its extension, case-insensitive)."""
    return str(path).lower().endswith(EXTENSION)


# --- writing -----------------------------------------------------------------------------------

def encode_workspace(trainer: Trainer, ui: Any = None, runs: bytes | None = None) -> bytes:
    """The workspace file's bytes. Reads the trainer, so call it where the trainer lives (the
    worker thread) or while training is paused; writing the bytes can happen anywhere.
    ``runs`` is ``runs.json`` as the caller encoded it (``RunStore.json_bytes``, which
    formats each run once). WorkspaceError if ``ui`` is not finite JSON or the workspace
    would be too large."""
    state, state_arrays = json_tree.encode(trainer.run_state())
    data_names, data_arrays = _dataset_parts(trainer.dataset)
    members = {
        MANIFEST: archive.json_bytes({"format": FORMAT, "app_version": __version__}),
        "config.json": (trainer.config.to_json() + "\n").encode(),
        "data.json": archive.json_bytes(data_names),
        "data.npz": archive.npz_bytes(data_arrays),
        "weights.npz": archive.npz_bytes(trainer.state_dict()),
        "state.json": archive.json_bytes(state),
        "state.npz": archive.npz_bytes(state_arrays),
    }
    if ui is not None:
        try:
            members["ui.json"] = archive.json_bytes(ui)
        except (TypeError, ValueError) as exc:
            raise WorkspaceError(f"the app's ui data cannot be stored as JSON ({exc})") from None
    if runs is not None:
        members[RUNS] = bytes(runs)
    return archive.zip_bytes(members)


def save_workspace(path: str | os.PathLike, trainer: Trainer, ui: Any = None) -> None:
    """Write the trainer's whole run (and ``ui``) to ``path``, atomically: a failure leaves
    an existing file as it was. WorkspaceError naming the file if it cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise WorkspaceError(f"cannot write {path}: it is a folder")
    data = encode_workspace(trainer, ui)
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise WorkspaceError(f"cannot write {path}: {exc.strerror or exc}") from None


def _model_inputs(raw: np.ndarray, names: dict[str, Any], mean, std) -> np.ndarray:
    """standardize(feature_map(raw)), exactly as ``load_dataset`` computes the model inputs."""
    x = feature_map(raw, names["inputs"], names["features"])
    return x if mean is None else standardize(x, mean, std)


def _dataset_parts(ds: Dataset) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    names = {"task": ds.task, "inputs": list(ds.input_names), "features": list(ds.feature_names),
             "classes": list(ds.class_names), "targets": list(ds.target_names)}
    y_dtype = np.int64 if ds.task == "classification" else np.float64
    arrays = {"raw_train": np.asarray(ds.raw_train, np.float64),
              "raw_test": np.asarray(ds.raw_test, np.float64),
              "y_train": np.asarray(ds.y_train, y_dtype), "y_test": np.asarray(ds.y_test, y_dtype)}
    if ds.mean is not None:
        arrays.update(mean=np.asarray(ds.mean, np.float64), std=np.asarray(ds.std, np.float64))
    if ds.y_mean is not None:
        arrays.update(y_mean=np.asarray(ds.y_mean, np.float64),
                      y_std=np.asarray(ds.y_std, np.float64))
    try:
        rebuilt = all(np.array_equal(_model_inputs(arrays[raw], names, ds.mean, ds.std), x)
                      for raw, x in (("raw_train", ds.x_train), ("raw_test", ds.x_test)))
    except (PlaygroundError, ValueError):
        rebuilt = False
    if not rebuilt:
        arrays.update(x_train=np.asarray(ds.x_train, np.float64),
                      x_test=np.asarray(ds.x_test, np.float64))
    return names, arrays


# --- reading -----------------------------------------------------------------------------------

def load_workspace(path: str | os.PathLike, backend: str = "auto",
                   progress: Progress | Stage | None = None) -> Workspace:
    """Open a workspace: the run as it was saved, ready to train on (``backend`` as
    ``Trainer``'s). WorkspaceError with one line naming the file and the problem.

    ``progress`` (a ``playground.progress`` Progress or Stage) hears the bytes read over the
    members' declared sizes, then the building of the run; a cancel raises ``Cancelled``
    within a megabyte of reading, and nothing is left open or changed.
    """
    path = Path(path)
    _check_file(path)
    reading = Stage(progress, 0.0, _READ_SHARE)
    try:
        zf = archive.Archive(path, reading)
    except WorkspaceError as exc:
        raise WorkspaceError(f"{path} is not a playground workspace ({exc})") from None
    with zf:
        app_version = _manifest(zf, path)
        try:
            workspace = _read(zf, backend, app_version, reading)
        except WorkspaceError as exc:
            raise WorkspaceError(f"{path}: {exc}") from None
        except MemoryError:
            raise WorkspaceError(f"{path}: too large to open in the memory available") from None
    Stage(progress, _READ_SHARE, 1.0).advance(1, 1, f"Opened {path.name}")
    return workspace


def _check_file(path: Path) -> None:
    check_file(path, "workspace file", WorkspaceError)
    if not os.access(path, os.R_OK):
        raise WorkspaceError(f"cannot read workspace file {path}: permission denied")


def _manifest(zf: archive.Archive, path: Path) -> str:
    """The writer's app version, once the format is one this version reads."""
    if MANIFEST not in zf.names:
        raise WorkspaceError(f"{path} is not a playground workspace (it has no {MANIFEST})")
    try:
        manifest = zf.json(MANIFEST)
    except WorkspaceError as exc:
        raise WorkspaceError(f"{path}: {exc}") from None
    if not isinstance(manifest, dict) or set(manifest) != {"format", "app_version"}:
        raise WorkspaceError(f"{path}: {MANIFEST} must be an object with the keys format and "
                             "app_version")
    fmt, version = manifest["format"], manifest["app_version"]
    if isinstance(fmt, bool) or not isinstance(fmt, int) or fmt < 1:
        raise WorkspaceError(f"{path}: {MANIFEST} format must be an integer >= 1, got {fmt!r}")
    if not isinstance(version, str):
        raise WorkspaceError(f"{path}: {MANIFEST} app_version must be a string")
    if fmt > FORMAT:
        raise WorkspaceError(
            f"{path} was written by a newer version of playground (playground {version[:40]}, "
            f"workspace format {fmt}; this version reads {FORMAT}); update playground")
    return version


def _read(zf: archive.Archive, backend: str, app_version: str, progress: Stage) -> Workspace:
    names = zf.names
    missing = [m for m in MEMBERS if m not in names]
    if missing:
        raise WorkspaceError(f"member {missing[0]} is missing")
    extra = [n for n in names if n not in MEMBERS + OPTIONAL_MEMBERS]
    if extra:
        raise WorkspaceError(f"unexpected member {extra[0][:80]}")
    config = zf.json("config.json")
    if not isinstance(config, dict):
        raise WorkspaceError("config.json must hold a JSON object (the run config)")
    try:
        config = RunConfig.from_dict(config)
    except PlaygroundError as exc:
        raise WorkspaceError(f"config.json: {exc}") from None
    dataset = _dataset(zf.json("data.json"), zf.npz("data.npz"))
    config = _agree_on_targets(config, dataset)
    weights = zf.npz("weights.npz")
    try:
        state = json_tree.decode(zf.json("state.json"), zf.npz("state.npz"))
    except ValueError as exc:
        raise WorkspaceError(f"state.json: {exc}") from None
    ui = zf.json("ui.json") if "ui.json" in names else None
    runs = runs_error = None
    if RUNS in names:   # the other runs: never a reason to refuse the run itself
        try:
            runs = zf.json(RUNS)
        except WorkspaceError as exc:
            runs_error = f"{exc}; the saved runs were left out"
    progress.check()
    try:
        trainer = Trainer(config, dataset=dataset, backend=backend)
    except PlaygroundError as exc:
        raise WorkspaceError(f"config.json does not fit the stored data: {exc}") from None
    progress.check()
    _load_weights(trainer, weights)
    try:
        trainer.restore_run_state(state)
    except WorkspaceError as exc:
        raise WorkspaceError(f"state.json: {exc}") from None
    return Workspace(trainer, ui, app_version, runs, runs_error)


def _agree_on_targets(config: RunConfig, dataset: Dataset) -> RunConfig:
    """The config, told what the stored data says about target standardization: targets
    stored without statistics were trained on as they are (a workspace older than
    ``data.standardize_target``), so the config says false, and a later re-split of the data
    keeps training the same way. Stored statistics the config does not ask for are an error."""
    scales = config.data.scales_target(dataset.task)
    if scales and dataset.y_mean is None:
        return config.replace(data=dataclasses.replace(config.data, standardize_target=False))
    if dataset.y_mean is not None and not scales:
        raise WorkspaceError("data.npz holds target statistics (y_mean, y_std) but the config's "
                             "data.standardize_target is off")
    return config


def _load_weights(trainer: Trainer, weights: dict[str, np.ndarray]) -> None:
    try:
        trainer.load_state_dict(weights)
    except PlaygroundError as exc:
        raise WorkspaceError(f"weights.npz: {exc}") from None
    for key, (_, kind) in trainer.state_spec().items():
        expected = trainer.dtype if kind == "float" else np.dtype(np.int64)
        if weights[key].dtype != expected:
            raise WorkspaceError(f"weights.npz: {key} is {weights[key].dtype}; the run's "
                                 f"tensors are {expected}")


def _strings(names: dict[str, Any], key: str, nonempty: bool) -> tuple[str, ...]:
    value = names[key]
    if (not isinstance(value, list) or not all(isinstance(v, str) for v in value)
            or (nonempty and not value)):
        raise WorkspaceError(f"data.json: {key} must be a {'non-empty ' if nonempty else ''}"
                             "list of strings")
    return tuple(value)


def _array(arrays: dict[str, np.ndarray], key: str, dtype, shape) -> np.ndarray:
    """arrays[key], checked: ``shape`` may hold None for any length."""
    a = arrays[key]
    ok = (a.dtype == np.dtype(dtype) and a.ndim == len(shape)
          and all(s is None or s == n for s, n in zip(shape, a.shape)))
    if not ok:
        want = "(" + ", ".join("n" if s is None else str(s) for s in shape) + \
               ("," if len(shape) == 1 else "") + ")"
        raise WorkspaceError(f"data.npz: {key} must be {_a(np.dtype(dtype).name)} array of shape "
                             f"{want}, got {a.dtype} {a.shape}")
    return a


def _a(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _dataset(names: Any, arrays: dict[str, np.ndarray]) -> Dataset:
    """The stored Dataset, every array checked against the names and each other."""
    if not isinstance(names, dict) or set(names) != set(DATA_NAMES):
        raise WorkspaceError(f"data.json must be an object with the keys {', '.join(DATA_NAMES)}")
    task = names["task"]
    if task not in TASKS:
        raise WorkspaceError(f"data.json: task must be one of {', '.join(TASKS)}, got {task!r}")
    inputs, features = _strings(names, "inputs", True), _strings(names, "features", True)
    classes = _strings(names, "classes", task == "classification")
    targets = _strings(names, "targets", task == "regression")
    if (classes if task == "regression" else targets):
        raise WorkspaceError(f"data.json: a {task} set has no "
                             f"{'classes' if task == 'regression' else 'targets'}")
    known = {"raw_train", "raw_test", "y_train", "y_test", "mean", "std", "y_mean", "y_std",
             "x_train", "x_test"}
    for key in arrays:
        if key not in known:
            raise WorkspaceError(f"data.npz: unexpected array {key[:80]}")
    for group in (("raw_train", "raw_test", "y_train", "y_test"), ("mean", "std"),
                  ("y_mean", "y_std"), ("x_train", "x_test")):
        present = [k for k in group if k in arrays]
        if present and len(present) < len(group) or group[0] == "raw_train" and not present:
            lacking = next(k for k in group if k not in arrays)
            raise WorkspaceError(f"data.npz: array {lacking} is missing")
    raw_train = _array(arrays, "raw_train", np.float64, (None, len(inputs)))
    raw_test = _array(arrays, "raw_test", np.float64, (None, len(inputs)))
    n, m = raw_train.shape[0], raw_test.shape[0]
    if n < 1:
        raise WorkspaceError("data.npz: raw_train has no rows; a run needs training data")
    if task == "classification":
        y_train = _array(arrays, "y_train", np.int64, (n,))
        y_test = _array(arrays, "y_test", np.int64, (m,))
        y = np.concatenate([y_train, y_test])
        if y.size and (y.min() < 0 or y.max() >= len(classes)):
            raise WorkspaceError(f"data.npz: class indices must be in 0..{len(classes) - 1} "
                                 f"(data.json lists {len(classes)} classes)")
    else:
        y_train = _array(arrays, "y_train", np.float64, (n, len(targets)))
        y_test = _array(arrays, "y_test", np.float64, (m, len(targets)))
    mean = std = None
    if "mean" in arrays:
        mean = _array(arrays, "mean", np.float64, (len(features),))
        std = _array(arrays, "std", np.float64, (len(features),))
    y_mean = y_std = None
    if "y_mean" in arrays:
        if task != "regression":
            raise WorkspaceError("data.npz: y_mean and y_std apply to regression only")
        y_mean = _array(arrays, "y_mean", np.float64, (len(targets),))
        y_std = _array(arrays, "y_std", np.float64, (len(targets),))
        if not (np.isfinite(y_mean).all() and np.isfinite(y_std).all() and (y_std > 0).all()):
            raise WorkspaceError("data.npz: y_mean must be finite and y_std finite and > 0")
    if "x_train" in arrays:
        x_train = _array(arrays, "x_train", np.float64, (n, len(features)))
        x_test = _array(arrays, "x_test", np.float64, (m, len(features)))
    else:
        try:
            x_train = _model_inputs(raw_train, names, mean, std)
            x_test = _model_inputs(raw_test, names, mean, std)
        except PlaygroundError as exc:
            raise WorkspaceError(f"data.json: {exc}") from None
    return Dataset(x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test,
                   raw_train=raw_train, raw_test=raw_test, task=task, input_names=inputs,
                   feature_names=features, class_names=classes, target_names=targets,
                   mean=mean, std=std, y_mean=y_mean, y_std=y_std)

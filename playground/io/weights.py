"""Weight files: one writer (and, for importable formats, one reader) per file extension.

A state dict is ``dict[str, np.ndarray]`` named as ``torch.nn.Sequential.state_dict()``
("0.weight" ``(out, in)``, "0.bias", "1.running_mean", "1.running_var",
"1.num_batches_tracked" 0-d int64, ...), float32/float64 tensors. Metadata is a dict of JSON
values (``{"config": ..., "preprocessing": ...}``) that travels with the weights.

``WEIGHT_FORMATS`` maps an extension to its ``WeightFormat``; the CLI, the File menus and
``save_weights``/``load_weights`` all read it, so a new export is one entry. Writers return the
whole file as bytes, which ``atomic_write_bytes`` then puts in place: a failure at any point
leaves no partial file and an existing file untouched. The export-only formats (``.onnx``,
``.py``, ``.weights.h5``) rebuild the model, so they need the run config and preprocessing in
the metadata; they are imported on first use (onnx and h5py take a while to import).

Readers never unpickle, and every malformed file raises ``WeightsError`` with one line naming
the file and the problem.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from playground.errors import WeightsError
from playground.io import json_format, npz_format, safetensors_format
from playground.io.atomic import atomic_write_bytes
from playground.io.snippets import LOAD_SNIPPETS
from playground.userfiles import check_file, read_bytes

StateDict = dict[str, np.ndarray]
Writer = Callable[[StateDict, dict[str, Any]], bytes]
Reader = Callable[[bytes], tuple[StateDict, dict[str, Any]]]

#: Tensor dtypes a weights file may hold: the engine's two float dtypes and torch's counters.
DTYPES: tuple[str, ...] = ("float32", "float64", "int64")
_HINT = "the config must describe the model the weights were trained with"


@dataclass(frozen=True)
class WeightFormat:
    """One file format. ``write`` gets a validated state dict (C-contiguous, native byte
    order, a supported dtype, finite) and the metadata, and returns the file's bytes;
    ``read`` gets the file's bytes and returns (tensors, metadata), or is None for an
    export-only format. ``snippet`` shows how to load the file (the export dialog shows it)."""

    extension: str
    label: str  # for file dialogs: "Safetensors (*.safetensors)"
    write: Writer
    read: Reader | None = None
    snippet: str = ""


def _deferred(module: str) -> Writer:
    """The ``write`` of ``playground.io.<module>``, imported when first called."""
    def write(state_dict: StateDict, metadata: dict[str, Any]) -> bytes:
        return importlib.import_module(f"playground.io.{module}").write(state_dict, metadata)
    return write


WEIGHT_FORMATS: dict[str, WeightFormat] = {
    fmt.extension: fmt for fmt in (
        WeightFormat(".safetensors", "Safetensors", safetensors_format.write,
                     safetensors_format.read, LOAD_SNIPPETS[".safetensors"]),
        WeightFormat(".npz", "NumPy archive", npz_format.write, npz_format.read,
                     LOAD_SNIPPETS[".npz"]),
        WeightFormat(".json", "JSON", json_format.write, json_format.read,
                     LOAD_SNIPPETS[".json"]),
        WeightFormat(".onnx", "ONNX model", _deferred("onnx_format"),
                     snippet=LOAD_SNIPPETS[".onnx"]),
        WeightFormat(".py", "PyTorch script", _deferred("pytorch_script"),
                     snippet=LOAD_SNIPPETS[".py"]),
        WeightFormat(".weights.h5", "Keras weights", _deferred("keras_h5_format"),
                     snippet=LOAD_SNIPPETS[".weights.h5"]),
    )
}


def format_of(path: str | os.PathLike) -> str:
    """The registry key for ``path``'s extension (case-insensitive; the longest match wins,
    so ``model.weights.h5`` can be told from ``model.h5``)."""
    name = Path(path).name.lower()
    matches = [ext for ext in WEIGHT_FORMATS if name.endswith(ext.lower())]
    if not matches:
        *rest, last = WEIGHT_FORMATS
        allowed = f"{', '.join(rest)} or {last}" if rest else last
        raise WeightsError(f"cannot tell the weights format of {Path(path).name}: the file "
                           f"name must end in {allowed}")
    return max(matches, key=len)


def _checked(key: Any, value: Any) -> np.ndarray:
    """``value`` as a C-contiguous native-order array; WeightsError if no file should hold it."""
    if not isinstance(key, str):
        raise WeightsError(f"tensor name {key!r} must be a string")
    if not isinstance(value, (np.ndarray, np.generic)):
        raise WeightsError(f"tensor {key} must be a NumPy array, got {type(value).__name__}")
    array = np.asarray(value)
    if array.dtype.name not in DTYPES:
        raise WeightsError(f"tensor {key} has unsupported dtype {array.dtype}; allowed dtypes "
                           f"are {', '.join(DTYPES)}")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        raise WeightsError(f"tensor {key} holds NaN or infinite values; weights must be finite")
    # A copy: native byte order and C order for every writer, and a writable array that
    # shares nothing with the caller's (or a reader's read-only buffer).
    return np.array(array, dtype=array.dtype.newbyteorder("="), order="C", copy=True)


def encode_weights(path: str | os.PathLike, state_dict: Mapping[str, np.ndarray],
                   metadata: Mapping[str, Any] | None = None) -> bytes:
    """The bytes ``save_weights`` would write to ``path``, without writing: several exports
    can then all be built before any is written."""
    fmt = WEIGHT_FORMATS[format_of(path)]
    tensors = {key: _checked(key, value) for key, value in state_dict.items()}
    return fmt.write(tensors, dict(metadata or {}))


def save_weights(path: str | os.PathLike, state_dict: Mapping[str, np.ndarray],
                 metadata: Mapping[str, Any] | None = None) -> None:
    """Write ``state_dict`` (in its key order) and ``metadata`` to ``path`` in the format
    its extension names, atomically. WeightsError for an unknown extension, a non-finite or
    unsupported tensor, non-JSON metadata, metadata an export cannot rebuild the model from,
    or a file that cannot be written."""
    path = Path(path)
    format_of(path)
    if path.is_dir():
        raise WeightsError(f"cannot write {path}: it is a folder")
    data = encode_weights(path, state_dict, metadata)
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise WeightsError(f"cannot write {path}: {exc.strerror or exc}") from None


def load_weights(path: str | os.PathLike) -> tuple[StateDict, dict[str, Any]]:
    """(state dict in file order with the stored dtypes, metadata) from any importable format.

    Every problem raises WeightsError with one line: missing file, folder, unknown or
    export-only extension, corrupt or truncated file, pickled objects, unsupported dtype,
    NaN/infinite values, ragged or mis-shaped JSON data, bad metadata JSON.
    """
    path = Path(path)
    check_file(path, "weights file", WeightsError)
    fmt = WEIGHT_FORMATS[format_of(path)]
    if fmt.read is None:
        readable = ", ".join(ext for ext, f in WEIGHT_FORMATS.items() if f.read is not None)
        raise WeightsError(f"cannot load weights from {path.name}: {fmt.extension} is "
                           f"export-only; load weights from {readable}")
    data = read_bytes(path, "weights file", WeightsError)  # never blocks on a pipe
    try:
        tensors, metadata = fmt.read(data)
        tensors = {key: _checked(key, value) for key, value in tensors.items()}
    except WeightsError as exc:
        raise WeightsError(f"{path}: {exc}") from None
    return tensors, metadata


def _shape(shape: tuple[int, ...]) -> str:
    return str(tuple(shape))


def check_state_dict(expected: Mapping[str, tuple[tuple[int, ...], str]],
                     loaded: Mapping[str, np.ndarray]) -> None:
    """WeightsError naming the first mismatch between a model and loaded weights.

    ``expected`` maps each key, in the model's order, to ``(shape, kind)`` with kind "float"
    or "int". Keys are checked in that order (missing, then shape, then kind), then any key
    the model does not have, so the message points at the first layer that differs.
    """
    for key, (shape, kind) in expected.items():
        if key not in loaded:
            raise WeightsError(f"weights file has no tensor {key} (expected shape "
                               f"{_shape(shape)}); {_HINT}")
        array = loaded[key]
        if tuple(array.shape) != tuple(shape):
            raise WeightsError(f"{key} has shape {_shape(array.shape)}, the model expects "
                               f"{_shape(shape)}; {_HINT}")
        found = {"f": "float", "i": "int"}.get(array.dtype.kind, str(array.dtype))
        if found != kind:
            article = {"float": "a float", "int": "an integer"}.get(kind, kind)
            raise WeightsError(f"{key} has dtype {array.dtype}, the model expects {article} "
                               f"tensor; {_HINT}")
    for key, array in loaded.items():
        if key not in expected:
            raise WeightsError(f"weights file has an unexpected tensor {key} (shape "
                               f"{_shape(array.shape)}); {_HINT}")
    for key in expected:  # batchnorm statistics: a variance or a count is never negative
        if key.endswith((".running_var", ".num_batches_tracked")) and (loaded[key] < 0).any():
            raise WeightsError(f"{key} holds a negative value ({loaded[key].min():g}); a "
                               "batchnorm running variance and batch count must be >= 0")


def check_dtype_range(state: Mapping[str, np.ndarray], dtype: str) -> None:
    """WeightsError if a float tensor holds a value that ``dtype`` cannot represent (a
    float64 1e300 loaded into a float32 model would become infinity)."""
    limit = np.finfo(np.dtype(dtype)).max
    for key, array in state.items():
        if array.dtype.kind == "f" and array.size and np.abs(array).max() > limit:
            raise WeightsError(f"tensor {key} holds {np.abs(array).max():.3g}, beyond the "
                               f"{dtype} range of the run (|value| <= {limit:.3g}); use "
                               "train.dtype float64")

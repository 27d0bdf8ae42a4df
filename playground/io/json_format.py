"""``.json`` weights: human-readable nested lists, for reading, diffing and hand-editing.

    {"format": "playground-weights", "version": 1,
     "metadata": {"config": {...}, "preprocessing": {...}},
     "tensors": {"0.weight": {"dtype": "float32", "shape": [8, 2], "data": [[...], ...]},
                 "1.num_batches_tracked": {"dtype": "int64", "shape": [], "data": 120}}}

Each float is the Python ``repr`` of the stored value (a float32 widened exactly to a double),
the shortest text that parses back to the same double, so reading it with the stored dtype
gives back the same bits. A 0-d tensor is a plain number. Matrix rows stay on one line each.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from playground.errors import WeightsError
from playground.io.metadata import encode_metadata, strict_loads

FORMAT_NAME = "playground-weights"
VERSION = 1
DTYPES = ("float32", "float64", "int64")
_TOP_KEYS = ("format", "version", "metadata", "tensors")
_TENSOR_KEYS = ("dtype", "shape", "data")
_WIDTH = 100  # a container this short in compact form goes on one line


def _render(value: Any, indent: int) -> str:
    """JSON text with lists of numbers (matrix rows) and short containers on one line."""
    compact = json.dumps(value, allow_nan=False, separators=(", ", ": "))
    if not isinstance(value, (list, dict)) or not value:
        return compact
    if isinstance(value, list) and not any(isinstance(v, (list, dict)) for v in value):
        return compact
    if indent + len(compact) <= _WIDTH:
        return compact
    pad = " " * (indent + 2)
    if isinstance(value, dict):
        items = [f"{pad}{json.dumps(k)}: {_render(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + _render(v, indent + 2) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def write(state_dict: Mapping[str, np.ndarray], metadata: Mapping[str, Any]) -> bytes:
    doc = {
        "format": FORMAT_NAME,
        "version": VERSION,
        # Through JSON text and back: tuples become lists, non-JSON values fail here.
        "metadata": {k: json.loads(v) for k, v in encode_metadata(metadata).items()},
        "tensors": {
            key: {"dtype": array.dtype.name, "shape": list(array.shape), "data": array.tolist()}
            for key, array in state_dict.items()
        },
    }
    return (_render(doc, 0) + "\n").encode("utf-8")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _data_shape(data: Any, key: str) -> tuple[int, ...]:
    """Shape of nested lists of numbers; WeightsError if ragged or not numbers."""
    if isinstance(data, list):
        if not data:
            return (0,)
        shapes = [_data_shape(item, key) for item in data]
        if any(shape != shapes[0] for shape in shapes):
            raise WeightsError(f"tensor {key}: data is ragged (nested lists of different "
                               "lengths); it must be a rectangular array")
        return (len(data),) + shapes[0]
    if not _is_number(data):
        raise WeightsError(f"tensor {key}: data holds {json.dumps(data)}; only numbers and "
                           "nested lists of numbers are allowed")
    return ()


def _tensor(key: str, entry: Any) -> np.ndarray:
    if not isinstance(entry, dict) or set(entry) != set(_TENSOR_KEYS):
        got = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
        raise WeightsError(f"tensor {key} must be an object with keys dtype, shape, data; "
                           f"got {got}")
    dtype, shape, data = entry["dtype"], entry["shape"], entry["data"]
    if dtype not in DTYPES:
        raise WeightsError(f"tensor {key} has unsupported dtype {json.dumps(dtype)}; allowed "
                           f"dtypes are {', '.join(DTYPES)}")
    if not isinstance(shape, list) or not all(_is_number(n) and isinstance(n, int) and n >= 0
                                              for n in shape):
        raise WeightsError(f"tensor {key}: shape must be a list of non-negative integers, "
                           f"got {json.dumps(shape)}")
    found = _data_shape(data, key)
    if tuple(shape) != found and not (math.prod(shape) == 0 == math.prod(found)):
        raise WeightsError(f"tensor {key}: shape {shape} does not match its data, which has "
                           f"shape {list(found)}")
    if dtype == "int64":
        if math.prod(found) and np.asarray(data).dtype != np.int64:
            raise WeightsError(f"tensor {key}: dtype int64 needs integer data within int64 range")
        return np.array(data, dtype=np.int64).reshape(shape)
    with np.errstate(over="ignore"):  # 1e39 as float32 is inf; load_weights reports it
        return np.array(data, dtype=dtype).reshape(shape)


def read(data: bytes) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    try:
        text = data.decode("utf-8-sig")  # a BOM from a Windows editor is fine
    except UnicodeDecodeError:
        raise WeightsError("not a JSON weights file (not UTF-8 text)") from None
    doc = strict_loads(text)
    if not isinstance(doc, dict):
        raise WeightsError(f"the top level must be an object with keys {', '.join(_TOP_KEYS)}")
    unknown = [k for k in doc if k not in _TOP_KEYS]
    if unknown:
        raise WeightsError(f"unknown top-level key {unknown[0]!r}; allowed keys are "
                           f"{', '.join(_TOP_KEYS)}")
    if doc.get("format") != FORMAT_NAME:
        raise WeightsError(f"'format' must be {json.dumps(FORMAT_NAME)}, got "
                           f"{json.dumps(doc.get('format'))}")
    if doc.get("version") != VERSION or isinstance(doc.get("version"), bool):
        raise WeightsError(f"unsupported version {json.dumps(doc.get('version'))}; this app "
                           f"reads version {VERSION}")
    metadata = doc.get("metadata", {})
    if not isinstance(metadata, dict):
        raise WeightsError("'metadata' must be an object")
    tensors = doc.get("tensors")
    if not isinstance(tensors, dict):
        raise WeightsError("'tensors' must be an object mapping tensor names to "
                           "{dtype, shape, data}")
    return {key: _tensor(key, entry) for key, entry in tensors.items()}, metadata

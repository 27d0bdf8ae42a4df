"""A tree of plain values and NumPy arrays as strict JSON plus a table of named arrays.

JSON (RFC 8259) has no NaN or infinity, and arrays are better kept as binary. ``encode``
walks a tree of dicts (string keys), lists, tuples, str, bool, int, float, None, NumPy
scalars and arrays, and returns (JSON value, arrays):

- each array becomes ``{"$array": "<path>"}`` and goes to ``arrays["<path>"]``, the path
  being the dotted keys that lead to it (``"optimizer.buffers.exp_avg"``);
- each NaN or infinite float becomes ``{"$float": "nan"}``, ``"inf"`` or ``"-inf"``;
- tuples become lists and NumPy scalars Python numbers.

``decode`` reverses it and insists that every array is used exactly once. Integers stay
exact at any size (Python's json reads them as ints); finite floats round-trip exactly
(``repr`` is the shortest string that reads back to the same double).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

ARRAY, FLOAT = "$array", "$float"
_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def encode(tree: Any) -> tuple[Any, dict[str, np.ndarray]]:
    """(JSON-ready value, arrays by path); TypeError/ValueError for a value JSON cannot take."""
    arrays: dict[str, np.ndarray] = {}
    return _encode(tree, "", arrays), arrays


def _encode(value: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, np.ndarray):
        name = path or "array"
        arrays[name] = value
        return {ARRAY: name}
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str) or key in (ARRAY, FLOAT):
                raise TypeError(f"key {key!r} at {path or 'the top'} cannot be stored")
            out[key] = _encode(item, f"{path}.{key}" if path else key, arrays)
        return out
    if isinstance(value, (list, tuple)):
        return [_encode(item, f"{path}.{i}" if path else str(i), arrays)
                for i, item in enumerate(value)]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isfinite(value):
            return value
        return {FLOAT: "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"{type(value).__name__} at {path or 'the top'} cannot be stored")


def decode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    """The tree ``encode`` was given; ValueError for an unknown tag or array, or an array
    that is never or twice referenced."""
    used: set[str] = set()
    tree = _decode(value, arrays, used)
    unused = sorted(set(arrays) - used)
    if unused:
        raise ValueError(f"array {unused[0]!r} is not referenced")
    return tree


def _decode(value: Any, arrays: dict[str, np.ndarray], used: set[str]) -> Any:
    if isinstance(value, list):
        return [_decode(item, arrays, used) for item in value]
    if not isinstance(value, dict):
        return value
    if ARRAY in value or FLOAT in value:
        tag, name = next(iter(value.items())) if len(value) == 1 else (None, None)
        if tag == FLOAT and name in _FLOATS:
            return _FLOATS[name]
        if tag == ARRAY and isinstance(name, str) and name in arrays:
            if name in used:
                raise ValueError(f"array {name!r} is referenced twice")
            used.add(name)
            return arrays[name]
        raise ValueError(f"bad tag {_short(value)}: expected {{\"$array\": <a stored array>}} "
                         "or {\"$float\": \"nan\" | \"inf\" | \"-inf\"}")
    return {key: _decode(item, arrays, used) for key, item in value.items()}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

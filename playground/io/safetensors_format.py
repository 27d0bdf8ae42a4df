"""``.safetensors`` weights: the tensors, plus each metadata value as a JSON string.

``model.load_state_dict(safetensors.torch.load_file(path))`` works on these files as they are.

Layout: 8 bytes little-endian header length, a JSON header mapping each tensor name to
``{"dtype", "shape", "data_offsets"}`` (plus ``"__metadata__"``: str -> str), then the raw data.
safetensors stores tensors sorted by dtype and name and loads them in hash order, so the
writer records the state-dict order under the metadata key ``ORDER_KEY`` and the reader
restores it (files from other tools fall back to ``natural_order``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import safetensors.numpy

from playground.errors import WeightsError
from playground.io.metadata import decode_metadata, encode_metadata, first_line

#: Metadata key holding the JSON list of tensor names in state-dict order.
ORDER_KEY = "playground.tensor_order"
#: safetensors dtype codes this app reads; any other (F16, BF16, I32...) is refused up front.
DTYPES = {"F32": "float32", "F64": "float64", "I64": "int64"}
# torch's own order of a module's tensors, for files written without ORDER_KEY.
_TORCH_PARAM_ORDER = {"weight": 0, "bias": 1, "running_mean": 2, "running_var": 3,
                      "num_batches_tracked": 4}


def natural_order(key: str) -> tuple:
    """Sort key reproducing nn.Sequential's state_dict order: "2.weight" < "10.weight"."""
    parts = []
    for part in key.split("."):
        if part.isdigit():
            parts.append((0, int(part), ""))
        else:
            parts.append((1, _TORCH_PARAM_ORDER.get(part, len(_TORCH_PARAM_ORDER)), part))
    return tuple(parts)


def write(state_dict: Mapping[str, np.ndarray], metadata: Mapping[str, Any]) -> bytes:
    text = encode_metadata(metadata)
    if ORDER_KEY in text:
        raise WeightsError(f"metadata key {ORDER_KEY!r} is reserved for the tensor order")
    text[ORDER_KEY] = json.dumps(list(state_dict))
    return _canonical(safetensors.numpy.save(dict(state_dict), metadata=text))


def _canonical(data: bytes) -> bytes:
    """The file with its metadata keys sorted: safetensors writes them in the order of a
    Rust HashMap, which changes from call to call, so the same weights and metadata would
    give different bytes each time (a sweep's run and ``playground train`` of its config
    must write the same file). Tensors keep their place; the header is padded with spaces
    to a multiple of 8 bytes, as safetensors pads it, so the data's offsets are unchanged."""
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + size])
    meta = header.pop("__metadata__", None)
    ordered = {} if meta is None else {"__metadata__": dict(sorted(meta.items()))}
    ordered.update(header)
    text = json.dumps(ordered, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + data[8 + size:]


def _header(data: bytes) -> dict[str, Any]:
    """The JSON header, checked enough to name the problem before safetensors parses it."""
    if len(data) < 8:
        raise WeightsError("not a safetensors file (shorter than its 8-byte header length)")
    size = int.from_bytes(data[:8], "little")
    if size > len(data) - 8:
        raise WeightsError(f"truncated or not a safetensors file: its header length {size} "
                           f"exceeds the {len(data) - 8} bytes that follow")
    try:
        header = json.loads(data[8:8 + size])
    except (ValueError, RecursionError):  # bad UTF-8 or JSON, huge ints, deep nesting
        raise WeightsError("not a safetensors file (its header is not valid JSON)") from None
    if not isinstance(header, dict):
        raise WeightsError("not a safetensors file (its header is not a JSON object)")
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = info.get("dtype") if isinstance(info, dict) else None
        if dtype not in DTYPES:
            raise WeightsError(f"tensor {name} has unsupported dtype {dtype}; allowed dtypes "
                               f"are {', '.join(DTYPES.values())}")
    return header


def read(data: bytes) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    header = _header(data)
    try:
        tensors = safetensors.numpy.load(data)
    except Exception as exc:  # SafetensorError and friends from the Rust parser
        raise WeightsError(f"corrupt safetensors file ({first_line(exc)})") from None
    raw = dict(header.get("__metadata__") or {})
    order_text = raw.pop(ORDER_KEY, None)
    # safetensors.torch.save_model and transformers write {"format": "pt"}: plain text, not JSON.
    plain = {}
    if "format" in raw:
        try:
            json.loads(raw["format"])
        except ValueError:
            plain["format"] = raw.pop("format")
    metadata = {**decode_metadata(raw), **plain}
    order = sorted(tensors, key=natural_order)
    if order_text is not None:
        stored = decode_metadata({ORDER_KEY: order_text})[ORDER_KEY]
        if (isinstance(stored, list) and all(isinstance(k, str) for k in stored)
                and sorted(stored) == sorted(tensors)):
            order = stored
    return {name: tensors[name] for name in order}, metadata

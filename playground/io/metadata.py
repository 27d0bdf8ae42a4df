"""Run metadata inside weight files, and the strict JSON parsing every weights reader shares.

Metadata is a ``dict[str, Any]`` of JSON values (the run config, the preprocessing). Formats
that only hold text (safetensors headers, npz string arrays) store each value as a JSON string,
so one ``json.loads`` per key restores it. Parsing is strict: ``NaN``/``Infinity`` are not
JSON (Python accepts them by default) and a weights file must hold finite numbers; a duplicated
object key would silently drop a tensor or a setting, so it is an error too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from playground.errors import WeightsError


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, so that error messages stay on one line."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _reject_constant(token: str) -> Any:
    raise WeightsError(f"{token} is not allowed; numbers must be finite")


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise WeightsError(f"duplicate key {key!r}; each key may appear once")
        obj[key] = value
    return obj


def strict_loads(text: str) -> Any:
    """``json.loads`` that rejects NaN/Infinity and duplicate keys; WeightsError on bad JSON."""
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_object)
    except json.JSONDecodeError as exc:
        raise WeightsError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except ValueError as exc:  # an integer over Python's 4300-digit limit
        raise WeightsError(f"invalid JSON: {first_line(exc)}") from None
    except RecursionError:
        raise WeightsError("invalid JSON: nested too deeply") from None


def encode_metadata(metadata: Mapping[str, Any]) -> dict[str, str]:
    """Each metadata value as a JSON string; WeightsError if a value is not finite JSON."""
    encoded: dict[str, str] = {}
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise WeightsError(f"metadata key {key!r} must be a string")
        try:
            encoded[key] = json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise WeightsError(
                f"metadata {key!r} cannot be written as JSON ({first_line(exc)}); "
                "only finite JSON values are allowed"
            ) from None
    return encoded


def decode_metadata(raw: Mapping[str, str]) -> dict[str, Any]:
    """Parse each JSON-string value of ``raw``; WeightsError naming the first bad key."""
    decoded: dict[str, Any] = {}
    for key, text in raw.items():
        try:
            decoded[key] = strict_loads(text)
        except WeightsError as exc:
            raise WeightsError(f"metadata {key!r} is not valid JSON ({exc})") from None
    return decoded

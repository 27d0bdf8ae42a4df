"""Comparing runs' configs: the keys that differ, and a config with one key changed.

Key paths are written as the config's error messages write them: dots between object keys,
``[i]`` for a list entry (``train.optimizer.lr``, ``model.layers[0].units``). A list of
objects (``model.layers``) is compared entry by entry; a list of plain values
(``data.features``, ``train.optimizer.betas``) is one value, a tuple.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from playground.config import RunConfig
from playground.engine.optimizers import OPTIMIZER_DEFAULTS
from playground.engine.schedulers import SCHEDULE_DEFAULTS
from playground.errors import ConfigError

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PATH = re.compile(rf"{_NAME}(\[\d+\])*(\.{_NAME}(\[\d+\])*)*\Z")
_TOKEN = re.compile(rf"({_NAME})|\[(\d+)\]")


def parse_path(path: str) -> list[str | int]:
    """``"model.layers[0].units"`` -> ``["model", "layers", 0, "units"]``; ConfigError for
    text that is not a key path."""
    if not isinstance(path, str) or not _PATH.match(path):
        shown = json.dumps(path)[:60] if isinstance(path, str) else repr(path)
        raise ConfigError(f"{shown} is not a config key path (such as train.optimizer.lr or "
                          "model.layers[0].units)")
    return [name if name else int(index) for name, index in _TOKEN.findall(path)]


def format_path(tokens: Iterable[str | int]) -> str:
    out = ""
    for token in tokens:
        out += f"[{token}]" if isinstance(token, int) else (f".{token}" if out else token)
    return out


def get_key(config_dict: Mapping[str, Any], path: str, default: Any = None) -> Any:
    """The value at ``path`` in a config dict, or ``default`` when it is absent."""
    node: Any = config_dict
    for token in parse_path(path):
        if isinstance(token, int):
            if not isinstance(node, list) or token >= len(node):
                return default
        elif not isinstance(node, Mapping) or token not in node:
            return default
        node = node[token]
    return node


def set_key(config_dict: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of ``config_dict`` with the key at ``path`` set to ``value`` (the input is not
    changed). The last key may be new (the config then says whether it is known); the way
    to it must exist: ConfigError naming the path for a list entry beyond the list's end or
    a step into a plain value."""
    tokens = parse_path(path)
    out = copy.deepcopy(dict(config_dict))
    node: Any = out
    for i, token in enumerate(tokens):
        here = format_path(tokens[:i]) or "the config"
        last = i == len(tokens) - 1
        if isinstance(token, int):
            if not isinstance(node, list):
                raise ConfigError(f"{here} is not a list, so {path} does not exist")
            if token >= len(node):
                raise ConfigError(f"{path} does not exist: {here} has {len(node)} "
                                  f"entr{'y' if len(node) == 1 else 'ies'}")
        else:
            if not isinstance(node, dict):
                raise ConfigError(f"{here} is {'a list' if isinstance(node, list) else 'a value'}"
                                  f", not an object, so {path} does not exist")
            if not last and token not in node:
                node[token] = {}
        if last:
            node[token] = value
        else:
            node = node[token]
    return out


def editable_dict(config: RunConfig) -> dict[str, Any]:
    """``config.to_dict()`` without the optimizer's and the schedule's options that hold
    their defaults (the learning rate stays): what a config file needs to say. Changing
    ``train.optimizer.name`` on it then gives the new optimizer its own defaults, as editing
    that file would, instead of the old one's options."""
    out = config.to_dict()
    train = out["train"]
    for key, defaults in (("optimizer", OPTIMIZER_DEFAULTS), ("schedule", SCHEDULE_DEFAULTS)):
        section = train[key]
        options = defaults[section["name"]]
        for option in list(section):
            if (option not in ("name", "lr") and option in options
                    and _plain(section[option]) == _plain(options[option])):
                del section[option]
    return out


def duplicate_with(config: RunConfig, key_path: str, value: Any) -> RunConfig:
    """``config`` with one key changed, validated: ConfigError (naming the key path) for an
    unknown key or a value the config does not allow."""
    return RunConfig.from_dict(set_key(editable_dict(config), key_path, value))


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf of a config dict by key path; lists of plain values are leaves (tuples)."""
    if isinstance(obj, Mapping):
        out: dict[str, Any] = {}
        for key, value in obj.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(obj, (list, tuple)) and any(isinstance(v, (Mapping, list, tuple))
                                              for v in obj):
        out = {}
        for i, value in enumerate(obj):
            out.update(flatten(value, f"{prefix}[{i}]"))
        return out
    return {prefix: _plain(obj)}


def differences(configs: Iterable[RunConfig | Mapping[str, Any]]) -> dict[str, tuple]:
    """The config keys whose values are not the same in every config: key path -> one value
    per config, in order (None where a config has no such key, e.g. a layer that only some
    have). Keys in the order they first appear."""
    return _flat_differences([flatten(c.to_dict() if isinstance(c, RunConfig) else c)
                              for c in configs])


def _flat_differences(flat: list[dict[str, Any]]) -> dict[str, tuple]:
    keys: list[str] = []
    seen: set[str] = set()
    for f in flat:
        for key in f:
            if key not in seen:
                seen.add(key)
                keys.append(key)
    out: dict[str, tuple] = {}
    for key in keys:
        values = tuple(f.get(key) for f in flat)
        if any(_differ(values[0], v) for v in values[1:]):
            out[key] = values
    return out


def config_differences(configs: Iterable[RunConfig]) -> dict[str, tuple]:
    """``differences`` of the configs' ``editable_dict`` (an optimizer's untouched defaults
    are not a difference), each config flattened once: the Runs view asks again on every
    refill, for every kept run, and configs are immutable."""
    return _flat_differences([_flat_editable(c) for c in configs])


@functools.lru_cache(maxsize=4096)
def _flat_editable(config: RunConfig) -> dict[str, Any]:
    return flatten(editable_dict(config))     # read only: differences never writes to it


def _differ(a: Any, b: Any) -> bool:
    # 1 and 1.0 are one value in JSON; true and 1 are not
    return a != b or (type(a) is bool) != (type(b) is bool)


def _plain(value: Any) -> Any:
    return tuple(_plain(v) for v in value) if isinstance(value, (list, tuple)) else value

"""The runs the app keeps: an ordered, bounded list of ``RunRecord``s, never Qt.

Every run the app replaces (Reset, a rebuild, new data, an opened file) after it trained at
least a step is added here (``RunStore.add``), oldest first, so runs can be compared after
the fact. The Runs view takes a store and subscribes (``subscribe``); the store never knows
its views.

Memory stays bounded however many runs a session makes:

- each record holds at most ``MAX_POINTS`` points per curve (``RunRecord.of`` thins them);
- ``compact`` drops the curves the comparison never draws, the weight histograms
  (``hist.i``: 31 numbers per tensor per point, most of a record's bytes), before a record
  is kept;
- at most ``limit`` records (``MAX_KEPT`` by default) are kept: beyond it the oldest
  hidden run goes first (a hidden run is one the user put aside), and only when every run is
  shown the oldest shown one. So 100 runs of a small network take a few tens of megabytes.

Workspaces keep the runs as JSON (``json_bytes`` / ``load_json``), never pickle: a list of
``{"record": RunRecord.to_dict(), "shown": bool}``; a corrupt entry is skipped with a
one-line reason, the others still load.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from playground.engine.session import MAX_POINTS
from playground.errors import PlaygroundError
from playground.runs.record import RunRecord, next_id

#: The most runs a store keeps (see the module's docstring for which go first).
MAX_KEPT = 100
#: Curves ``compact`` drops: per-epoch weight histograms and their ranges.
DROPPED_PREFIXES = ("hist.", "hist_range.")
#: A workspace's run holds at most this many points per curve (``RunRecord.of`` keeps
#: MAX_POINTS; a file claiming more is not one the app wrote).
MAX_STORED_POINTS = 2 * MAX_POINTS
MAX_NAME = 200
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}\Z")

#: ``listener(kind, ids)``: kind is "added", "removed" or "changed" (renamed, recoloured,
#: shown or hidden); ids the runs concerned.
Listener = Callable[[str, tuple[int, ...]], None]


def compact(record: RunRecord) -> RunRecord:
    """``record`` without the curves the comparison never draws (``DROPPED_PREFIXES``)."""
    if not any(k.startswith(DROPPED_PREFIXES) for k in record.curves):
        return record
    kept = {k: v for k, v in record.curves.items() if not k.startswith(DROPPED_PREFIXES)}
    return replace(record, curves=MappingProxyType(kept))


class RunStore:
    """Kept runs in the order they were added, each shown or hidden, at most ``limit``."""

    def __init__(self, limit: int = MAX_KEPT) -> None:
        if limit < 1:
            raise ValueError(f"a run store keeps at least one run, got limit {limit}")
        self.limit = limit
        self._records: dict[int, RunRecord] = {}   # insertion order is the runs' order
        self._hidden: set[int] = set()
        self._listeners: list[Listener] = []
        self._texts: dict[tuple, str] = {}   # each run's JSON text (``encode_runs``)

    # --- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[RunRecord]:
        return iter(tuple(self._records.values()))

    def __contains__(self, run_id: object) -> bool:
        return run_id in self._records

    @property
    def records(self) -> tuple[RunRecord, ...]:
        return tuple(self._records.values())

    def get(self, run_id: int) -> RunRecord:
        """The run with this id (KeyError if it is not kept)."""
        return self._records[run_id]

    def is_shown(self, run_id: int) -> bool:
        return run_id in self._records and run_id not in self._hidden

    def shown(self) -> tuple[RunRecord, ...]:
        return tuple(r for r in self._records.values() if r.id not in self._hidden)

    # --- changing ------------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def _tell(self, kind: str, ids: tuple[int, ...]) -> None:
        if ids:
            for listener in list(self._listeners):
                listener(kind, ids)

    def add(self, record: RunRecord, shown: bool = True) -> tuple[RunRecord, ...]:
        """Keep ``record`` (compacted) at the end, replacing a kept run of the same id; the
        runs dropped to stay within ``limit`` are returned (and told as "removed")."""
        return self.add_many([record], shown)

    def add_many(self, records: Sequence[RunRecord], shown: bool = True
                 ) -> tuple[RunRecord, ...]:
        """``add`` each of ``records`` in turn, the listeners told once ("added" with all
        their ids): a sweep's runs join a view in one redraw, not one each."""
        added = []
        for record in records:
            record = compact(record)
            if record.id in self._records:
                del self._records[record.id]
            self._records[record.id] = record
            self._hidden.discard(record.id)
            if not shown:
                self._hidden.add(record.id)
            added.append(record.id)
        kept = set(added)
        dropped = []
        while len(self._records) > self.limit:
            victim = next((i for i in self._records if i in self._hidden and i not in kept),
                          next((i for i in self._records if i not in kept),
                               next(iter(self._records))))
            dropped.append(self._records[victim])
            self._forget(victim)
        gone = {r.id for r in dropped}
        self._tell("added", tuple(i for i in added if i not in gone))
        self._tell("removed", tuple(r.id for r in dropped if r.id not in kept))
        return tuple(dropped)

    def remove(self, run_id: int) -> None:
        if run_id in self._records:
            self._forget(run_id)
            self._tell("removed", (run_id,))

    def clear(self) -> None:
        ids = tuple(self._records)
        for run_id in ids:
            self._forget(run_id)
        self._tell("removed", ids)

    def _forget(self, run_id: int) -> None:
        record = self._records.pop(run_id)
        self._hidden.discard(run_id)
        self._texts.pop((run_id, record.name, record.colour), None)

    def set_shown(self, run_id: int, shown: bool) -> None:
        if run_id not in self._records or self.is_shown(run_id) == bool(shown):
            return
        (self._hidden.discard if shown else self._hidden.add)(run_id)
        self._tell("changed", (run_id,))

    def rename(self, run_id: int, name: str) -> None:
        self._update(run_id, name=str(name)[:MAX_NAME])

    def recolour(self, run_id: int, colour: str) -> None:
        if not _COLOUR.match(colour):
            raise ValueError(f"a run's colour is #rrggbb, got {colour!r}")
        self._update(run_id, colour=colour)

    def _update(self, run_id: int, **changes: Any) -> None:
        old = self._records[run_id]
        new = replace(old, **changes)
        if new == old:
            return
        self._records[run_id] = new
        self._texts.pop((run_id, old.name, old.colour), None)
        self._tell("changed", (run_id,))

    # --- workspaces ---------------------------------------------------------------------------

    def snapshot(self) -> tuple[tuple[RunRecord, bool], ...]:
        """(record, shown) of every kept run, oldest first: immutable, so another thread may
        encode it (``encode_runs``) while this store changes."""
        return tuple((r, r.id not in self._hidden) for r in self._records.values())

    def encoder(self) -> Callable[[], bytes]:
        """A function that encodes the runs as they are now (``json_bytes`` of this moment's
        ``snapshot``), to call on another thread: a save encodes them on the worker."""
        entries, cache = self.snapshot(), self._texts
        return lambda: encode_runs(entries, cache)

    def json_bytes(self) -> bytes:
        """The kept runs as a workspace's ``runs.json`` (``encode_runs``)."""
        return encode_runs(self.snapshot(), self._texts)

    def to_json(self) -> list[dict[str, Any]]:
        """The kept runs as JSON values (``json_bytes`` parsed)."""
        return json.loads(self.json_bytes())

    def load_json(self, entries: Any) -> list[str]:
        """Add the runs of ``entries`` (a workspace's ``runs.json``, parsed) after the kept
        ones, each with a new id of this session; the reasons the corrupt ones were skipped."""
        loaded, errors = entries_from_json(entries)
        for record, shown in loaded:
            self.add(replace(record, id=next_id()), shown)
        return errors


def encode_runs(entries: Sequence[tuple[RunRecord, bool]],
                cache: dict[tuple, str] | None = None) -> bytes:
    """``[{"record": RunRecord.to_dict(), "shown": bool}, ...]`` as strict, compact JSON.
    Each record's text is made once and kept in ``cache`` (by id, name and colour: a
    renamed run is encoded again), so saving often (autosave, every minute) costs a join, not
    megabytes of float formatting; safe to call off the UI thread with a store's
    ``snapshot`` and its cache."""
    cache = {} if cache is None else cache
    parts = []
    for record, shown in entries:
        key = (record.id, record.name, record.colour)
        text = cache.get(key)
        if text is None:
            text = json.dumps(record.to_dict(), allow_nan=False, separators=(",", ":"))
            cache[key] = text
        parts.append(f'{{"record":{text},"shown":{"true" if shown else "false"}}}')
    return ("[" + ",\n".join(parts) + "]\n").encode()


def entries_from_json(entries: Any) -> tuple[list[tuple[RunRecord, bool]], list[str]]:
    """(record, shown) for every readable entry of a workspace's runs, and one line for each
    one that is not (its position, and why)."""
    if not isinstance(entries, list):
        return [], [f"the saved runs must be a list, got {type(entries).__name__}"]
    loaded, errors = [], []
    for i, entry in enumerate(entries, 1):
        try:
            loaded.append(_entry(entry))
        except (PlaygroundError, KeyError, TypeError, ValueError, AttributeError) as exc:
            reason = str(exc) if isinstance(exc, (PlaygroundError, ValueError)) else \
                f"{type(exc).__name__}: {exc}"
            errors.append(f"saved run {i} cannot be read ({reason.splitlines()[0][:200]}); "
                          "it was left out")
    return loaded, errors


def _entry(entry: Any) -> tuple[RunRecord, bool]:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("record"), Mapping):
        raise ValueError("an entry must be an object with a record")
    obj = entry["record"]
    curves = obj.get("curves")
    if not isinstance(curves, Mapping) or "epoch" not in curves:
        raise ValueError("its curves must be an object with an epoch curve")
    n = len(curves["epoch"]) if isinstance(curves["epoch"], list) else -1
    if not 0 <= n <= MAX_STORED_POINTS:
        raise ValueError(f"its epoch curve must be a list of at most {MAX_STORED_POINTS} "
                         "numbers")
    record = RunRecord.from_dict(obj)
    for key, values in record.curves.items():
        if values.ndim not in (1, 2) or len(values) != n:
            raise ValueError(f"curve {key[:60]} has {len(values)} points, the epochs {n}")
    if not _COLOUR.match(record.colour) or len(record.name) > MAX_NAME:
        raise ValueError("its colour must be #rrggbb and its name at most "
                         f"{MAX_NAME} characters")
    if record.epochs < 0 or (record.wall_time is not None
                             and not (isinstance(record.wall_time, (int, float))
                                      and math.isfinite(record.wall_time))):
        raise ValueError("its epochs and time must be numbers")
    return record, bool(entry.get("shown", True))


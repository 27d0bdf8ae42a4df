"""A run's per-epoch records, in bounded memory however long the run.

A live run in the app may last millions of steps; keeping every epoch's record would grow
without end. ``History`` keeps the records of epochs that are multiples of a stride, and
doubles the stride (dropping every other kept record) whenever more than ``max_records``
are kept, so a run of any length keeps between ``max_records / 2`` and ``max_records``
evenly spaced records, plus always the latest. Short runs (the CLI, tests, golden
fixtures) keep every epoch, so ``history[epoch - 1]`` is that epoch's record.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

Record = dict[str, Any]

#: Records kept before the stride doubles: far more points than a plot's width.
MAX_RECORDS = 4096


class History(Sequence):
    """A read-only sequence of epoch records (dicts with an "epoch" key), oldest first."""

    def __init__(self, max_records: int = MAX_RECORDS) -> None:
        if max_records < 2:
            raise ValueError("max_records must be at least 2")
        self.max_records = max_records
        self.stride = 1
        self._kept: list[Record] = []
        self._latest: Record | None = None

    def append(self, record: Record) -> None:
        self._latest = record
        if record["epoch"] % self.stride == 0:
            self._kept.append(record)
            if len(self._kept) > self.max_records:
                self._kept = self._kept[1::2]
                self.stride *= 2

    @property
    def latest(self) -> Record | None:
        """The last record appended (kept or not), without building the sequence."""
        return self._latest

    def _records(self) -> list[Record]:
        latest = self._latest
        if latest is None or (self._kept and self._kept[-1] is latest):
            return self._kept
        return self._kept + [latest]

    def __len__(self) -> int:
        return len(self._records())

    def __getitem__(self, index):
        return self._records()[index]

    def __iter__(self) -> Iterator[Record]:
        return iter(self._records())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, History):
            return self._records() == other._records()
        if isinstance(other, list):
            return self._records() == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def since(self, epoch: int) -> list[Record]:
        """The records of epochs after ``epoch``, oldest first (cheap: walks from the end)."""
        records = self._records()
        i = len(records)
        while i > 0 and records[i - 1]["epoch"] > epoch:
            i -= 1
        return records[i:]

    def state(self) -> dict[str, Any]:
        """Everything needed to rebuild this history exactly (for workspaces)."""
        return {"max_records": self.max_records, "stride": self.stride,
                "kept": list(self._kept), "latest": self._latest}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> History:
        history = cls(int(state["max_records"]))
        history.stride = int(state["stride"])
        history._kept = [dict(r) for r in state["kept"]]
        latest = state["latest"]
        if latest is not None:
            history._latest = (history._kept[-1] if history._kept and history._kept[-1] == latest
                               else dict(latest))
        return history


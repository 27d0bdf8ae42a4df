"""The Runs table as plain values: which columns it has, each cell's text, and its CSV; no Qt.

Columns: the run's name, the config keys whose values differ between the runs
(``compare.differences`` over ``compare.editable_dict``, so an optimizer's untouched
defaults do not count as a difference), the final and the best of each score some run has
(train and test loss, accuracy for classification, R² for regression), the epochs and the
seconds spent training. The Runs view shows these; ``csv_text`` writes the same table with
full key paths and plain numbers (empty where a value is undefined).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from playground.runs.compare import config_differences, parse_path
from playground.runs.record import RunRecord

#: (score key, short header), in the table's order.
SCORES = (("train_loss", "train loss"), ("test_loss", "test loss"),
          ("train_accuracy", "train acc."), ("test_accuracy", "test acc."),
          ("train_r2", "train R²"), ("test_r2", "test R²"))
_PERCENT = ("train_accuracy", "test_accuracy")


@dataclass(frozen=True)
class Score:
    """A score column: ``which`` is "final" or "best"."""

    which: str
    key: str
    header: str

    def value(self, record: RunRecord) -> float | None:
        value = getattr(getattr(record, self.which), self.key)
        if record.epochs == 0 and value is not None and math.isnan(value):
            return None     # a live run before its first epoch: nothing measured yet
        return value


@dataclass(frozen=True)
class Table:
    """``keys``: the config keys that differ, with ``values[i]`` run i's values of them;
    ``scores``: the score columns some run has a value for."""

    records: tuple[RunRecord, ...]
    keys: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]
    scores: tuple[Score, ...]


def build(records: Sequence[RunRecord]) -> Table:
    records = tuple(records)
    diff = config_differences(r.config for r in records) if len(records) > 1 else {}
    keys = tuple(diff)
    values = tuple(tuple(diff[k][i] for k in keys) for i in range(len(records)))
    scores = []
    for which in ("final", "best"):
        for key, header in SCORES:
            score = Score(which, key, header if which == "final" else f"best {header}")
            if any(score.value(r) is not None for r in records):
                scores.append(score)
    return Table(records, keys, values, tuple(scores))


def short_key(path: str) -> str:
    """A column header for a key path: its last two names (``optimizer.lr``,
    ``layers[0].units``), the path itself when shorter."""
    tokens = parse_path(path)
    names = [i for i, t in enumerate(tokens) if isinstance(t, str)]
    start = names[-2] if len(names) >= 2 else 0
    out = ""
    for t in tokens[start:]:
        out += f"[{t}]" if isinstance(t, int) else (f".{t}" if out else t)
    return out


def format_value(value: Any) -> str:
    """A config value as a cell shows it: numbers with up to 4 significant digits, lists
    joined, "—" for a key the run does not have."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (tuple, list)):
        return ", ".join(format_value(v) for v in value)
    return str(value)


def format_score(key: str, value: float | None) -> str:
    if value is None:
        return ""
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("∞" if value > 0 else "-∞")
    return f"{100 * value:.1f}%" if key in _PERCENT else f"{value:.4g}"


def format_time(seconds: float | None) -> str:
    """12.3 s, 4:05 (minutes), 1:02:03 (hours); empty when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, s = divmod(int(round(seconds)), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}:{m:02d}:{s:02d}" if hours else f"{m}:{s:02d}"


def csv_text(table: Table, shown: Sequence[bool] | None = None) -> str:
    """The table as CSV: name, colour, shown, each differing key (its full path), epochs,
    time_s, diverged, then final_<score> and best_<score> columns; numbers as Python writes
    them (repr: exact), empty for undefined."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    scores = [f"{s.which}_{s.key}" for s in table.scores]
    writer.writerow(["name", "colour", "shown", *table.keys, "epochs", "time_s", "diverged",
                     *scores])
    for i, record in enumerate(table.records):
        is_shown = True if shown is None else bool(shown[i])
        writer.writerow([record.name, record.colour, _csv(is_shown),
                         *(_csv(v) for v in table.values[i]), record.epochs,
                         _csv(record.wall_time), _csv(record.diverged),
                         *(_csv(s.value(record)) for s in table.scores)])
    return out.getvalue()


def _csv(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, (tuple, list)):
        return " ".join(_csv(v) for v in value)
    return str(value)

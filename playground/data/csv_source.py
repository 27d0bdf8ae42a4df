"""CSV import: a header row of names, numeric feature columns, one target column.

Read with the ``csv`` module (comma-separated, double quotes, UTF-8 with or without a BOM).
Spaces after a comma are skipped (so ``a, "b"`` quotes b), names and cells are stripped, and fully
blank lines are skipped. Every problem is a one-line DataError naming the file and, where it
applies, the line, the column and the value.

Task (PRODUCT.md): a non-numeric target, or an integer-valued target with at most 20 distinct
values, is classification; any other numeric target is regression; ``task`` overrides, except that
a non-numeric target cannot be regression. Classes are indexed 0..K-1 in sorted order: numerically
for numeric targets (named "0", "1", "2.5"...), lexicographically for text targets.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Sequence

import numpy as np

from playground.data.raw_data import RawData
from playground.errors import DataError
from playground.userfiles import read_text

MAX_INTEGER_CLASSES = 20


def resolve_path(path: str | Path, base_dir: str | Path | None) -> Path:
    p = Path(path).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    return p


def _read_text(p: Path) -> str:
    try:
        special = p.exists() and not p.is_file() and not p.is_dir()
    except (OSError, ValueError):  # a NUL byte or an over-long name: read_text names it
        special = False
    if special:
        raise DataError(f"CSV file {p} is not a regular file (a device, pipe or socket)")
    try:
        return read_text(p, "CSV file", DataError)
    except ValueError:  # "embedded null byte" from the OS layer
        raise DataError(f"CSV file path {str(p)!r} is not a valid file name") from None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _rows(text: str, name: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header, [(line number, cells)]) with every row as wide as the header."""
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    first = 1  # the line a record starts on: a quoted field may span several lines
    try:
        for row in reader:
            start, first = first, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if header is None:
                header = [c.strip() for c in row]
                _check_header(header, reader.line_num, name)
            elif len(row) != len(header):
                spans = reader.line_num > start and any("\n" in c or "\r" in c for c in row)
                raise DataError(
                    f"{name} line {start if spans else reader.line_num}: {len(row)} fields, "
                    f"expected {len(header)} (as many as the header has columns)"
                    + ("; a double quote opened on this line is never closed" if spans else ""))
            else:
                rows.append((reader.line_num, row))
    except csv.Error as exc:
        raise DataError(f"{name} line {reader.line_num}: not valid CSV ({exc})") from None
    if header is None:
        raise DataError(f"CSV file is empty: {name}; a header row and at least 2 data rows "
                        f"are needed")
    return header, rows


def _check_header(header: list[str], line: int, name: str) -> None:
    if len(header) == 1:
        for sep, label in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            if sep in header[0]:
                raise DataError(f"{name} line {line}: the header is a single column "
                                f"{header[0]!r}, which looks separated by {label}; columns "
                                f"must be separated by commas")
    if all(_is_number(c) for c in header):
        raise DataError(f"{name} line {line} looks like data, not column names; the first row "
                        f"must be a header naming every column")
    seen: dict[str, int] = {}
    for j, col in enumerate(header, start=1):
        if not col:
            raise DataError(f"{name} header: column {j} has a blank name; every column needs one")
        if col in seen:
            raise DataError(f"{name} header: column name {col!r} is used twice (columns "
                            f"{seen[col]} and {j}); names must be unique")
        seen[col] = j


def _parse_column(cells: Sequence[str], lines: list[int], col: str, name: str) -> np.ndarray:
    """Cells -> float64 values; an empty, non-numeric or non-finite cell is an error.

    float() ignores surrounding spaces, so cells need no stripping on the fast path.
    """
    try:
        values = np.fromiter(map(float, cells), dtype=np.float64, count=len(cells))
    except ValueError:
        values = None
    if values is not None and np.isfinite(values).all():
        return values
    for line, cell in zip(lines, (c.strip() for c in cells)):
        where = f"{name} line {line}, column {col!r}"
        if not cell:
            raise DataError(f"{where} is empty; missing values are not supported")
        if not _is_number(cell):
            raise DataError(f"{where}: {cell!r} is not a number; feature columns must be numeric")
        if not math.isfinite(float(cell)):
            raise DataError(f"{where}: {cell!r} is not a finite number; NaN and infinity are "
                            f"not supported")
    raise AssertionError("unreachable")  # pragma: no cover


def _class_name(v: float) -> str:
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(float(v))


def _target(cells: list[str], lines: list[int], col: str, task: str | None,
            name: str) -> tuple[str, np.ndarray, tuple[str, ...]]:
    """(task, y, class names) for the target column."""
    for line, cell in zip(lines, cells):
        if not cell:
            raise DataError(f"{name} line {line}, target column {col!r} is empty; missing "
                            f"values are not supported")
    try:
        values = np.fromiter(map(float, cells), dtype=np.float64, count=len(cells))
        numeric = True
    except ValueError:
        numeric = False
    if numeric:
        if not np.isfinite(values).all():
            _parse_column(cells, lines, col, name)  # raises, naming the line
        uniq, index = np.unique(values, return_inverse=True)
        if task is None:
            integer = bool(np.all(values == np.round(values)))
            task = ("classification" if integer and len(uniq) <= MAX_INTEGER_CLASSES
                    else "regression")
        if task == "regression":
            return task, values.reshape(-1, 1), ()
        classes = tuple(_class_name(float(v)) for v in uniq)
    else:
        if task == "regression":
            line, cell = next((ln, c) for ln, c in zip(lines, cells) if not _is_number(c))
            raise DataError(f"{name}: data.task is regression but target column {col!r} is not "
                            f"numeric (line {line}: {cell!r})")
        classes = tuple(sorted(set(cells)))
        lookup = {c: k for k, c in enumerate(classes)}
        index = np.array([lookup[c] for c in cells])
        task = "classification"
    if len(classes) < 2:
        raise DataError(f"{name}: target column {col!r} has a single class ({classes[0]!r}); "
                        f"classification needs at least 2")
    return task, index.astype(np.int64).reshape(-1), classes


def load_csv(path: str | Path, target: str | None = None, task: str | None = None,
             base_dir: str | Path | None = None) -> RawData:
    """Read a CSV file as RawData: x (n, d) float64 features, y from the ``target`` column.

    ``target`` defaults to the last column; a relative ``path`` resolves against ``base_dir``
    (the config file's folder) when given, else the working directory.
    """
    p = resolve_path(path, base_dir)
    text = _read_text(p)
    name = p.name
    if not text.strip():
        raise DataError(f"CSV file is empty: {p}; a header row and at least 2 data rows are needed")
    header, rows = _rows(text, name)
    col = header[-1] if target is None else target
    if col not in header:
        raise DataError(f"{name}: target column {col!r} not found; columns: {', '.join(header)}")
    if len(header) < 2:
        raise DataError(f"{name} has only the target column {col!r}; at least one feature column "
                        f"is needed")
    if len(rows) < 2:
        raise DataError(f"{name} has {len(rows)} data row{'s' if len(rows) != 1 else ''}; at "
                        f"least 2 are needed")
    lines = [line for line, _ in rows]
    columns = list(zip(*(cells for _, cells in rows)))
    t = header.index(col)
    inputs = tuple(h for j, h in enumerate(header) if j != t)
    x = np.column_stack([_parse_column(columns[j], lines, h, name)
                         for j, h in enumerate(header) if j != t])
    task, y, classes = _target([c.strip() for c in columns[t]], lines, col, task, name)
    if task == "regression":
        return RawData(x, y, task, inputs, target_names=(col,))
    return RawData(x, y, task, inputs, class_names=classes)

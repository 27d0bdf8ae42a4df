"""CSV import: a header row of names, numeric feature columns, one target column.

Read with the ``csv`` module (comma-separated, double quotes, UTF-8 with or without a BOM).
Spaces after a comma are skipped (so ``a, "b"`` quotes b), names and cells are stripped, and fully
blank lines are skipped. Every problem is a one-line DataError naming the file and, where it
applies, the line, the column and the value. ``csv_columns`` reads the header alone (from the
first megabyte at most), for a column picker; ``load_csv`` reports progress and takes a cancel
(``playground.progress``), as the app loads on a background thread.

Task (PRODUCT.md): a non-numeric target, or an integer-valued target with at most 20 distinct
values, is classification; any other numeric target is regression; ``task`` overrides, except that
a non-numeric target cannot be regression. Classes are indexed 0..K-1 in sorted order: numerically
for numeric targets (named "0", "1", "2.5"...), lexicographically for text targets.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
from pathlib import Path
from typing import Sequence

import numpy as np

from playground.data.raw_data import RawData
from playground.errors import DataError
from playground.progress import Progress, Stage
from playground.userfiles import decode_text, open_binary, read_bytes

MAX_INTEGER_CLASSES = 20
#: The most ``csv_columns`` reads: the header record must end within it.
HEADER_LIMIT = 2**20
#: Parsed rows move into the columns, and progress is reported (a cancel taken), every this
#: many rows: a small block is freed before the garbage collector moves its row lists to the
#: old generation, whose full passes made parsing twice as slow.
ROWS_PER_BLOCK = 200


def resolve_path(path: str | Path, base_dir: str | Path | None) -> Path:
    p = Path(path).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    return p


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _rows(stream: io.TextIOBase, lines: int, name: str,
          progress: Stage) -> tuple[list[str], list[int], list[list[str]]]:
    """(header, the line each row ends on, the cells column by column), every row as wide as
    the header; ``progress`` hears lines parsed over ``lines`` every ``ROWS_PER_BLOCK`` rows.

    Rows move into the columns a block at a time: a few long lists instead of one list per
    row keep the memory down and the garbage collector's full passes short.
    """
    reader = csv.reader(stream, skipinitialspace=True)
    header: list[str] | None = None
    ends: list[int] = []
    columns: list[list[str]] = []
    block: list[list[str]] = []
    first = 1  # the line a record starts on: a quoted field may span several lines
    try:
        for row in reader:
            start, first = first, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if header is None:
                header = [c.strip() for c in row]
                _check_header(header, reader.line_num, name)
                columns = [[] for _ in header]
            elif len(row) != len(header):
                spans = reader.line_num > start and any("\n" in c or "\r" in c for c in row)
                raise DataError(
                    f"{name} line {start if spans else reader.line_num}: {len(row)} fields, "
                    f"expected {len(header)} (as many as the header has columns)"
                    + ("; a double quote opened on this line is never closed" if spans else ""))
            else:
                ends.append(reader.line_num)
                block.append(row)
                if len(block) == ROWS_PER_BLOCK:
                    _move(block, columns)
                    progress.advance(reader.line_num, lines, f"Parsing {name}")
    except csv.Error as exc:
        raise DataError(f"{name} line {reader.line_num}: not valid CSV ({exc})") from None
    if header is None:
        raise DataError(f"CSV file is empty: {name}; a header row and at least 2 data rows "
                        f"are needed")
    _move(block, columns)
    return header, ends, columns


def _move(block: list[list[str]], columns: list[list[str]]) -> None:
    for column, cells in zip(columns, zip(*block)):
        column.extend(cells)
    block.clear()


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
             base_dir: str | Path | None = None,
             progress: Progress | Stage | None = None) -> RawData:
    """Read a CSV file as RawData: x (n, d) float64 features, y from the ``target`` column.

    ``target`` defaults to the last column; a relative ``path`` resolves against ``base_dir``
    (the config file's folder) when given, else the working directory. ``progress`` (a
    ``playground.progress`` Progress or Stage) hears reading, parsing and converting; a
    cancel raises ``Cancelled`` within a megabyte, ``ROWS_PER_BLOCK`` rows or a column.
    """
    p = resolve_path(path, base_dir)
    name = p.name
    data = read_bytes(p, "CSV file", DataError, Stage(progress, 0.0, 0.2))
    text = decode_text(data, p, "CSV file", DataError)  # checked whole, so errors name offsets
    if not text or text.isspace():
        raise DataError(f"CSV file is empty: {p}; a header row and at least 2 data rows are needed")
    estimate = max(text.count("\n"), text.count("\r")) + 1  # quotes may span lines
    # Parsed from the bytes, decoded a piece at a time: a StringIO of the text would hold
    # 4 bytes a character.
    del text
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    header, lines, columns = _rows(stream, estimate, name, Stage(progress, 0.2, 0.8))
    del stream, data
    col = header[-1] if target is None else target
    if col not in header:
        raise DataError(f"{name}: target column {col!r} not found; columns: {', '.join(header)}")
    if len(header) < 2:
        raise DataError(f"{name} has only the target column {col!r}; at least one feature column "
                        f"is needed")
    if len(lines) < 2:
        raise DataError(f"{name} has {len(lines)} data row{'s' if len(lines) != 1 else ''}; at "
                        f"least 2 are needed")
    t = header.index(col)
    inputs = tuple(h for j, h in enumerate(header) if j != t)
    converting = Stage(progress, 0.8, 1.0)
    features = []
    for j, h in enumerate(header):
        if j != t:
            converting.advance(len(features), len(header), f"Converting {name}")
            features.append(_parse_column(columns[j], lines, h, name))
    converting.advance(len(features), len(header), f"Converting {name}")
    x = np.column_stack(features)
    task, y, classes = _target([c.strip() for c in columns[t]], lines, col, task, name)
    converting.advance(1, 1, f"Read {name}")
    if task == "regression":
        return RawData(x, y, task, inputs, target_names=(col,))
    return RawData(x, y, task, inputs, class_names=classes)


def csv_columns(path: str | Path, base_dir: str | Path | None = None) -> list[str]:
    """The header's column names (stripped), read from at most the first ``HEADER_LIMIT``
    bytes: what a column picker needs, without reading a big file. DataError with one line
    for a file that is not a regular file (a pipe would block), is empty or not UTF-8, or
    whose header fails the checks ``load_csv`` makes, or does not end within the limit."""
    p = resolve_path(path, base_dir)
    with open_binary(p, "CSV file", DataError) as fh:
        try:
            head = fh.read(HEADER_LIMIT + 1)
        except OSError as exc:
            raise DataError(f"cannot read CSV file {p}: {exc.strerror or exc}") from None
    cut = len(head) > HEADER_LIMIT
    try:  # a cut may split a character: the incremental decoder keeps its start back
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head[:HEADER_LIMIT],
                                                                  final=not cut)
    except UnicodeDecodeError as exc:
        raise DataError(f"CSV file is not UTF-8 text: {p} (bad byte at offset "
                        f"{exc.start})") from None
    if cut:  # only whole lines; a record that needs more of them did not fit
        text = text[:max(text.rfind("\n"), text.rfind("\r")) + 1]
    ran_out = False

    def lines():
        nonlocal ran_out
        yield from io.StringIO(text, newline="")
        ran_out = True
    reader = csv.reader(lines(), skipinitialspace=True)
    try:
        for row in reader:
            if row and (len(row) > 1 or row[0].strip()):
                break
        else:
            row = None
    except csv.Error as exc:
        raise DataError(f"{p.name} line {reader.line_num}: not valid CSV ({exc})") from None
    if cut and ran_out:
        raise DataError(f"{p.name}: the header row does not end within the first "
                        f"{HEADER_LIMIT // 2**20} MB of the file; a header must be shorter")
    if row is None:
        raise DataError(f"CSV file is empty: {p}; a header row and at least 2 data rows are "
                        f"needed")
    header = [c.strip() for c in row]
    _check_header(header, reader.line_num, p.name)
    return header

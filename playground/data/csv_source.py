"""CSV import: a header row of names, numeric feature columns, one target column.

The feature columns are every column but the target, in file order, or the ``columns`` given
(``data.columns``), in that order: the other columns are never converted, so a text column
left out does not stop a file from loading.

Read with the ``csv`` module (comma-separated, double quotes, UTF-8 with or without a BOM).
Spaces after a comma are skipped (so ``a, "b"`` quotes b), names and cells are stripped, and fully
blank lines are skipped. Every problem is a one-line DataError naming the file and, where it
applies, the line, the column and the value. ``csv_columns`` reads the header alone (from the
first megabyte at most), for a column picker; ``load_csv`` reports progress and takes a cancel
(``playground.progress``), as the app loads on a background thread. It converts the rows to
float64 a block at a time as it parses them, so that a file costs its bytes and its arrays
(about twice its size), never a Python string for every cell.

Task (PRODUCT.md): a non-numeric target, or an integer-valued target with at most 20 distinct
values, is classification; any other numeric target is regression; ``task`` overrides, except that
a non-numeric target cannot be regression. Classes are indexed 0..K-1 in sorted order: numerically
for numeric targets (named "0", "1", "2.5"...), lexicographically for text targets.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import math
import operator
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from playground.data.raw_data import RawData
from playground.errors import DataError
from playground.progress import Progress, Stage
from playground.userfiles import decode_text, open_binary, read_bytes

MAX_INTEGER_CLASSES = 20
#: The most ``csv_columns`` reads: the header record must end within it.
HEADER_LIMIT = 2**20
#: Parsed rows are converted to numbers, and progress is reported (a cancel taken), a block at
#: a time: at most this many rows, and at most about ``CELLS_PER_BLOCK`` cells, so that only a
#: block's cells are ever held as strings (some 70 bytes each), and the garbage collector never
#: has more than a block of row lists to walk (a whole file of them doubled the parse time).
ROWS_PER_BLOCK = 2000
CELLS_PER_BLOCK = 2**15


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


def _reader(data: bytes):
    # Parsed from the bytes, decoded a piece at a time: a StringIO of the text would hold
    # 4 bytes a character.
    stream = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    return csv.reader(stream, skipinitialspace=True)


def _blank(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


def _parse(data: bytes, lines: int, name: str, target: str | None, task: str | None,
           progress: Stage, columns: Sequence[str] | None = None) -> _Columns:
    """The file's rows converted block by block into ``_Columns``; every row as wide as the
    header. ``progress`` hears lines parsed over ``lines`` (an estimate) after every block."""
    reader = _reader(data)
    parsed: _Columns | None = None
    ends: list[int] = []
    block: list[list[str]] = []
    size = ROWS_PER_BLOCK
    wide = -1  # the header's width (over 1): a row that wide is a data row, never blank
    last = 0  # where the last blank row, the header or the last full block ended
    try:
        for row in reader:
            if len(row) != wide:  # not a data row of the width the header sets
                if _blank(row):
                    last = reader.line_num
                    continue
                if parsed is None:
                    header = [c.strip() for c in row]
                    _check_header(header, reader.line_num, name)
                    parsed = _Columns(header, target, task, name, data, lines, progress, columns)
                    size = max(1, min(ROWS_PER_BLOCK, CELLS_PER_BLOCK // len(header)))
                    wide = len(header) if len(header) > 1 else -1  # else a row may be blank
                    last = reader.line_num
                    continue
                if len(row) != len(header):
                    start = max(last, ends[-1] if ends else 0) + 1
                    spans = reader.line_num > start and any("\n" in c or "\r" in c for c in row)
                    raise DataError(
                        f"{name} line {start if spans else reader.line_num}: {len(row)} fields, "
                        f"expected {len(header)} (as many as the header has columns)"
                        + ("; a double quote opened on this line is never closed" if spans
                           else ""))
            ends.append(reader.line_num)
            block.append(row)
            if len(block) == size:
                parsed.add(block, ends)
                last = reader.line_num
                block, ends = [], []
                progress.advance(last, lines, f"Parsing {name}")
    except csv.Error as exc:
        raise DataError(f"{name} line {reader.line_num}: not valid CSV ({exc})") from None
    if parsed is None:
        raise DataError(f"CSV file is empty: {name}; a header row and at least 2 data rows "
                        f"are needed")
    if block:
        parsed.add(block, ends)
    parsed.data = None  # the bytes may go
    return parsed


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
            raise DataError(f"{where}: {cell!r} is not a number; feature columns must be "
                            f"numeric (data.columns lists the ones to use, leaving others out)")
        if not math.isfinite(float(cell)):
            raise DataError(f"{where}: {cell!r} is not a finite number; NaN and infinity are "
                            f"not supported")
    raise AssertionError("unreachable")  # pragma: no cover


def _class_name(v: float) -> str:
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(float(v))


def _target_cells(data: bytes, t: int, n: int, progress: Stage) -> Iterator[str]:
    """Column ``t`` of the first ``n`` data rows again, stripped: parsed once more from the
    bytes, for a target that turned out to be text after rows of numbers."""
    rows = (row for row in _reader(data) if not _blank(row))
    next(rows)  # the header
    for i, row in enumerate(itertools.islice(rows, n)):
        if i % ROWS_PER_BLOCK == 0:
            progress.check()
        yield row[t].strip()


class _Filling:
    """An array filled a block of rows at a time: allocated for the rows the file can hold,
    grown if that was short and cut to the rows filled at the end (``resize``, a realloc), so
    it never needs the second copy a concatenation of the blocks would."""

    def __init__(self, capacity: int, shape: tuple[int, ...], dtype: type) -> None:
        self.array = np.empty((capacity, *shape), dtype)
        self.n = 0

    def add(self, block: np.ndarray) -> None:
        end = self.n + len(block)
        if end > len(self.array):
            self.array.resize((max(end, len(self.array) * 3 // 2), *self.array.shape[1:]),
                              refcheck=False)
        self.array[self.n:end] = block
        self.n = end

    def done(self) -> np.ndarray:
        self.array.resize((self.n, *self.array.shape[1:]), refcheck=False)
        return self.array


class _Columns:
    """The data rows as numbers, a block at a time: the feature cells as one float64 array
    (rows, features), the target's as float64 while every one is a number, else as indices
    into its distinct texts. A problem in a cell is kept, not raised: a ragged row further on,
    then the checks ``load_csv`` makes once the file has parsed, come first, and the error is
    the one a whole-column pass would meet (the first bad feature column in header order, its
    first bad line; then the target's first empty cell, its first non-finite value...)."""

    def __init__(self, header: list[str], target: str | None, task: str | None, name: str,
                 data: bytes, lines: int, progress: Stage,
                 columns: Sequence[str] | None = None) -> None:
        self.header, self.task, self.name = header, task, name
        self.data, self.progress = data, progress
        self.col = header[-1] if target is None else target
        self.columns = None if columns is None else tuple(columns)
        self.rows = 0
        #: The target's index; None if a check after parsing will fail, as nothing is kept.
        self.t = header.index(self.col) if self.col in header and len(header) > 1 else None
        if self.columns is not None and (self.col in self.columns
                                         or not set(self.columns) <= set(header)):
            self.t = None
        self.inputs = (self.columns if self.columns is not None
                       else tuple(h for j, h in enumerate(header) if j != self.t))
        #: picks a row's feature cells, in ``inputs`` order (None: all but the target)
        self.pick = None
        if self.columns is not None and self.t is not None:
            index = [header.index(c) for c in self.columns]
            pick = operator.itemgetter(*index)
            self.pick = pick if len(index) > 1 else (lambda row: (pick(row),))
        self.problem: DataError | None = None
        self.problem_at = len(self.inputs)  # the feature column self.problem names
        # Each data row takes a line and holds at least one byte a column (its commas).
        self.capacity = max(0, min(lines - 1, len(data) // len(header) + 1))
        self.x: _Filling | None = None
        self.values: _Filling | None = None
        if self.t is not None:
            self.x = _Filling(self.capacity, (len(self.inputs),), np.float64)
            self.values = _Filling(self.capacity, (), np.float64)
        self.texts: dict[str, int] | None = None  # a text target's distinct cells: index
        self.codes: _Filling | None = None
        self.target_done = False  # nothing more to learn: a problem or an empty cell seen
        self.empty: int | None = None  # the first line with an empty target cell
        self.infinite: DataError | None = None  # the first non-finite numeric target
        self.text: tuple[int, str] | None = None  # the first non-numeric target (line, cell)

    def add(self, block: list[list[str]], lines: list[int]) -> None:
        """Take in a block of rows (each as wide as the header; without ``columns`` they lose
        their target cell) and the line each ends on."""
        if self.t is not None:
            t = self.t
            if self.pick is None:
                target = [row.pop(t) for row in block]
            else:
                target = [row[t] for row in block]
                block = [self.pick(row) for row in block]
            if not self.target_done:
                self._add_target(target, lines)
            self._add_features(block, lines)
        self.rows += len(block)

    def _add_features(self, block: list[list[str]], lines: list[int]) -> None:
        width = len(self.inputs)
        try:  # float() ignores surrounding spaces, so cells need no stripping here
            x = np.fromiter(map(float, itertools.chain.from_iterable(block)), np.float64,
                            count=len(block) * width).reshape(len(block), width)
        except ValueError:
            x = None
        if x is None or not np.isfinite(x).all():
            for j, cells in enumerate(itertools.islice(zip(*block), self.problem_at)):
                try:
                    _parse_column(cells, lines, self.inputs[j], self.name)
                except DataError as exc:
                    self.problem, self.problem_at = exc, j
                    self.x = self.values = self.codes = self.texts = None
                    self.target_done = True
                    break
        if self.x is not None:
            self.x.add(x)

    def _add_target(self, cells: list[str], lines: list[int]) -> None:
        if self.texts is None and self.text is None:  # numeric so far
            try:
                values = np.fromiter(map(float, cells), np.float64, count=len(cells))
            except ValueError:
                values = None
            if values is not None:
                if self.infinite is None and not np.isfinite(values).all():
                    try:
                        _parse_column(cells, lines, self.col, self.name)
                    except DataError as exc:
                        self.infinite = exc
                self.values.add(values)
                return
        cells = [c.strip() for c in cells]
        if "" in cells:
            self.empty = lines[cells.index("")]
            self.target_done = True
            self.values = self.codes = self.texts = None
            return
        if self.texts is None and self.text is None:  # the first text: no more numbers
            self.text = next((ln, c) for ln, c in zip(lines, cells) if not _is_number(c))
            n, self.values = self.values.n, None
            if self.task == "regression":
                return  # an error unless an empty cell comes first: only look for one
            self.texts = {}
            self.codes = _Filling(max(self.capacity, n + len(cells)), (), np.int64)
            if n:
                self._add_codes(_target_cells(self.data, self.t, n, self.progress), n)
        if self.texts is not None:
            self._add_codes(cells, len(cells))

    def _add_codes(self, cells: Iterable[str], n: int) -> None:
        texts = self.texts
        self.codes.add(np.fromiter((texts.setdefault(c, len(texts)) for c in cells), np.int64,
                                   count=n))

    def features(self) -> np.ndarray:
        """x (n, d) float64, or the first problem in a feature column."""
        if self.problem is not None:
            raise self.problem
        return self.x.done()

    def target(self) -> tuple[str, np.ndarray, tuple[str, ...]]:
        """(task, y, class names), or the first problem in the target column."""
        name, col, task = self.name, self.col, self.task
        if self.empty is not None:
            raise DataError(f"{name} line {self.empty}, target column {col!r} is empty; "
                            f"missing values are not supported")
        if self.text is None:
            if self.infinite is not None:
                raise self.infinite
            values = self.values.done()
            unique = None  # sorted, with each row's index: only for classes
            if task is None:
                integer = bool(np.all(values == np.round(values)))
                if integer:
                    unique = np.unique(values, return_inverse=True)
                task = ("classification" if integer and len(unique[0]) <= MAX_INTEGER_CLASSES
                        else "regression")
            if task == "regression":
                return task, values.reshape(-1, 1), ()
            uniq, index = unique or np.unique(values, return_inverse=True)
            classes = tuple(_class_name(float(v)) for v in uniq)
        else:
            if task == "regression":
                line, cell = self.text
                raise DataError(f"{name}: data.task is regression but target column {col!r} "
                                f"is not numeric (line {line}: {cell!r})")
            # Indices in the order texts first appeared -> in sorted order.
            texts = list(self.texts)
            order = sorted(range(len(texts)), key=texts.__getitem__)
            rank = np.empty(len(texts), np.int64)
            rank[order] = np.arange(len(texts))
            index = rank[self.codes.done()]
            classes = tuple(texts[k] for k in order)
            task = "classification"
        if len(classes) < 2:
            raise DataError(f"{name}: target column {col!r} has a single class "
                            f"({classes[0]!r}); classification needs at least 2")
        return task, index.astype(np.int64).reshape(-1), classes


def load_csv(path: str | Path, target: str | None = None, task: str | None = None,
             base_dir: str | Path | None = None,
             progress: Progress | Stage | None = None,
             columns: Sequence[str] | None = None) -> RawData:
    """Read a CSV file as RawData: x (n, d) float64 features, y from the ``target`` column.

    ``target`` defaults to the last column; ``columns`` (``data.columns``) names the feature
    columns in order, by default every column but the target (each must be in the header,
    and the target must not be among them). A relative ``path`` resolves against ``base_dir``
    (the config file's folder) when given, else the working directory. ``progress`` (a
    ``playground.progress`` Progress or Stage) hears reading, parsing and converting; a
    cancel raises ``Cancelled`` within a megabyte or a block of rows (``ROWS_PER_BLOCK``).
    Memory: the file's bytes, the float64 arrays and one block of rows as strings.
    """
    p = resolve_path(path, base_dir)
    name = p.name
    data = read_bytes(p, "CSV file", DataError, Stage(progress, 0.0, 0.2))
    text = decode_text(data, p, "CSV file", DataError)  # checked whole, so errors name offsets
    if not text or text.isspace():
        raise DataError(f"CSV file is empty: {p}; a header row and at least 2 data rows are needed")
    estimate = max(text.count("\n"), text.count("\r")) + 1  # quotes may span lines
    del text
    parsed = _parse(data, estimate, name, target, task, Stage(progress, 0.2, 0.95), columns)
    del data
    header, col = parsed.header, parsed.col
    if col not in header:
        raise DataError(f"{name}: target column {col!r} not found; columns: {', '.join(header)}")
    if columns is not None:
        _check_columns(name, header, col, target is None, columns)
    if len(header) < 2:
        raise DataError(f"{name} has only the target column {col!r}; at least one feature column "
                        f"is needed")
    if parsed.rows < 2:
        raise DataError(f"{name} has {parsed.rows} data row{'s' if parsed.rows != 1 else ''}; "
                        f"at least 2 are needed")
    converting = Stage(progress, 0.95, 1.0)
    converting.advance(0, 1, f"Converting {name}")
    x = parsed.features()
    converting.advance(1, 2, f"Converting {name}")
    task, y, classes = parsed.target()
    converting.advance(1, 1, f"Read {name}")
    if task == "regression":
        return RawData(x, y, task, parsed.inputs, target_names=(col,))
    return RawData(x, y, task, parsed.inputs, class_names=classes)


def _check_columns(name: str, header: list[str], target: str, default_target: bool,
                   columns: Sequence[str]) -> None:
    """DataError naming every ``data.columns`` entry the header lacks, or the target among
    them (the config checks an explicit target; the default one is known only here)."""
    unknown = [c for c in columns if c not in header]
    if unknown:
        which = (f"{unknown[0]!r}, which is not a column" if len(unknown) == 1
                 else f"{', '.join(repr(c) for c in unknown)}, which are not columns")
        raise DataError(f"{name}: data.columns lists {which} of the file; columns: "
                        f"{', '.join(header)}")
    if target in columns:
        why = " (data.target defaults to the last column)" if default_target else ""
        raise DataError(f"{name}: data.columns lists {target!r}, the target column{why}; the "
                        "target cannot also be a feature: leave it out of data.columns or name "
                        "another data.target")


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


def text_columns(path: str | Path, base_dir: str | Path | None = None,
                 rows: int = 1000) -> list[str]:
    """The columns, in header order, that hold a cell which is not a number among the first
    ``rows`` data rows (read from at most the first ``HEADER_LIMIT`` bytes): the columns a
    feature list must leave out. An empty cell is not counted (``load_csv`` names it). The
    header is checked as ``csv_columns`` checks it; a ragged or broken row ends the look."""
    header = csv_columns(path, base_dir)
    p = resolve_path(path, base_dir)
    with open_binary(p, "CSV file", DataError) as fh:
        head = fh.read(HEADER_LIMIT)
    text = codecs.getincrementaldecoder("utf-8-sig")(errors="replace").decode(head)
    if len(head) >= HEADER_LIMIT:  # whole lines only
        text = text[:max(text.rfind("\n"), text.rfind("\r")) + 1]
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
    texts: set[int] = set()
    seen = -1   # the header is the first non-blank row
    try:
        for row in reader:
            if _blank(row):
                continue
            seen += 1
            if seen == 0:
                continue
            if seen > rows or len(row) != len(header):
                break
            texts.update(j for j, cell in enumerate(row)
                         if cell.strip() and not _is_number(cell))
    except csv.Error:
        pass
    return [name for j, name in enumerate(header) if j in texts]

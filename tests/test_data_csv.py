"""CSV import: parsing, task inference, sorted class mapping, and one-line errors for bad files."""

import os
import threading
import tracemalloc

import numpy as np
import pytest

from playground.data import csv_source
from playground.data.csv_source import HEADER_LIMIT, MAX_INTEGER_CLASSES, csv_columns, load_csv
from playground.errors import DataError


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path


def csv_text(header, rows):
    return "\n".join([",".join(header)] + [",".join(str(v) for v in r) for r in rows]) + "\n"


def test_numeric_regression_values_and_names(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.normal(size=(30, 3))
    path = write(tmp_path, csv_text(["a", "b", "price"], data.tolist()))
    raw = load_csv(path)
    assert raw.task == "regression"
    assert raw.input_names == ("a", "b")
    assert raw.target_names == ("price",) and raw.class_names == ()
    np.testing.assert_array_equal(raw.x, data[:, :2])  # repr round-trips floats exactly
    np.testing.assert_array_equal(raw.y, data[:, 2:])
    assert raw.x.dtype == np.float64 and raw.y.shape == (30, 1)


def test_named_target_in_the_middle(tmp_path):
    path = write(tmp_path, csv_text(["a", "label", "b"], [[1, "x", 2], [3, "y", 4], [5, "x", 6]]))
    raw = load_csv(path, target="label")
    assert raw.input_names == ("a", "b")
    np.testing.assert_array_equal(raw.x, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(raw.y, [0, 1, 0])


@pytest.mark.parametrize("values, task", [
    ([0, 1, 1, 0], "classification"),                       # integers, 2 distinct
    (list(range(MAX_INTEGER_CLASSES)) * 2, "classification"),  # exactly the limit
    (list(range(MAX_INTEGER_CLASSES + 1)), "regression"),   # one more distinct integer
    ([0.5, 1.0, 0.5, 2.0], "regression"),                   # not integer-valued
    (["1.0", "2.0", "1.0"], "classification"),              # integer-valued floats
    (["cat", "dog", "cat"], "classification"),              # text
])
def test_task_inference(tmp_path, values, task):
    path = write(tmp_path, csv_text(["f", "y"], [[i, v] for i, v in enumerate(values)]))
    assert load_csv(path).task == task


@pytest.mark.parametrize("values, names", [
    (["virginica", "setosa", "versicolor", "setosa"], ("setosa", "versicolor", "virginica")),
    (["b", "B", "a"], ("B", "a", "b")),          # lexicographic, code point order
    ([10, 2, 1, 2], ("1", "2", "10")),          # numeric, not "1" < "10" < "2"
    ([-1, 0.5, -1, 3], ("-1", "0.5", "3")),     # forced below: floats as classes
    (["1.0", "0", "1"], ("0", "1")),            # 1.0 and 1 are the same class
])
def test_classes_map_in_sorted_order(tmp_path, values, names):
    path = write(tmp_path, csv_text(["f", "y"], [[i, v] for i, v in enumerate(values)]))
    raw = load_csv(path, task="classification")
    assert raw.class_names == names
    assert raw.y.dtype == np.int64 and raw.y.shape == (len(values),)
    # Every row's index names its own value.
    for value, k in zip(values, raw.y):
        name = names[k]
        try:
            assert float(name) == float(value)
        except ValueError:
            assert name == value


def test_task_override_regression_on_integer_target(tmp_path):
    path = write(tmp_path, csv_text(["f", "y"], [[0, 1], [1, 2], [2, 1]]))
    raw = load_csv(path, task="regression")
    assert raw.task == "regression"
    np.testing.assert_array_equal(raw.y[:, 0], [1, 2, 1])


def test_bom_crlf_quotes_spaces_and_blank_lines(tmp_path):
    text = '\ufeff "a" , b ,y\r\n1, 2 ,"x"\r\n\r\n"3",4,y\r\n\r\n'
    raw = load_csv(write(tmp_path, text))
    assert raw.input_names == ("a", "b")
    np.testing.assert_array_equal(raw.x, [[1, 2], [3, 4]])
    assert raw.class_names == ("x", "y")


def test_relative_path_resolves_against_base_dir(tmp_path, monkeypatch):
    sub = tmp_path / "cfg"
    sub.mkdir()
    write(sub, csv_text(["f", "y"], [[0, 0], [1, 1]]), "d.csv")
    monkeypatch.chdir(tmp_path)
    assert load_csv("d.csv", base_dir=sub).n_samples == 2
    assert load_csv(sub / "d.csv", base_dir=tmp_path / "elsewhere").n_samples == 2
    with pytest.raises(DataError, match="not found"):
        load_csv("d.csv")  # the working directory has no d.csv


GOOD_HEADER = "a,b,y\n"

ERRORS = [
    # (id, file content, target, expected fragments of the message)
    ("empty", "", None, ["empty"]),
    ("blank", "\n \n\n", None, ["empty"]),
    ("no-header", "1,2,3\n4,5,6\n", None, ["line 1", "header"]),
    ("duplicate-header", "a,a,y\n1,2,0\n3,4,1\n", None, ["'a'", "twice", "columns 1 and 2"]),
    ("blank-header", "a,,y\n1,2,0\n3,4,1\n", None, ["column 2", "blank"]),
    ("ragged-short", GOOD_HEADER + "1,2,0\n3,4\n", None, ["line 3", "2 fields", "expected 3"]),
    ("ragged-long", GOOD_HEADER + "1,2,0,9\n3,4,1\n", None, ["line 2", "4 fields", "expected 3"]),
    ("ragged-after-blank", GOOD_HEADER + "1,2,0\n\n3,4\n", None, ["line 4", "2 fields"]),
    ("non-numeric", GOOD_HEADER + "1,2,0\n3,abc,1\n", None, ["line 3", "'b'", "'abc'",
                                                              "not a number"]),
    ("nan", GOOD_HEADER + "1,2,0\nnan,4,1\n", None, ["line 3", "'a'", "'nan'", "finite"]),
    ("inf", GOOD_HEADER + "1,-inf,0\n3,4,1\n", None, ["line 2", "'b'", "'-inf'", "finite"]),
    ("empty-cell", GOOD_HEADER + "1,2,0\n3,,1\n", None, ["line 3", "'b'", "empty"]),
    ("empty-target", GOOD_HEADER + "1,2,\n3,4,1\n", None, ["line 2", "'y'", "empty"]),
    ("nan-target", GOOD_HEADER + "1,2,0.5\n3,4,nan\n", None, ["line 3", "'y'", "finite"]),
    ("single-class", GOOD_HEADER + "1,2,k\n3,4,k\n", None, ["single class", "'k'"]),
    ("unknown-target", GOOD_HEADER + "1,2,0\n3,4,1\n", "z", ["'z'", "not found", "a, b, y"]),
    ("header-only", GOOD_HEADER, None, ["0 data rows", "at least 2"]),
    ("one-row", GOOD_HEADER + "1,2,0\n", None, ["1 data row", "at least 2"]),
    ("only-target", "y\n1\n2\n", None, ["only the target column", "'y'"]),
    ("unclosed-quote", GOOD_HEADER + '1,2,0\n"3,4,1\n', None, ["line 3", "1 fields"]),
]


@pytest.mark.parametrize("text, target, fragments", [e[1:] for e in ERRORS],
                         ids=[e[0] for e in ERRORS])
def test_bad_csv_raises_one_line_data_error(tmp_path, text, target, fragments):
    path = write(tmp_path, text)
    with pytest.raises(DataError) as info:
        load_csv(path, target=target)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match=r"not found: .*nope\.csv"):
        load_csv(tmp_path / "nope.csv")


def test_folder_instead_of_file(tmp_path):
    with pytest.raises(DataError, match="folder"):
        load_csv(tmp_path)


def test_not_utf8(tmp_path):
    path = write(tmp_path, b"a,y\n1,caf\xe9\n2,x\n")  # Latin-1 e-acute
    with pytest.raises(DataError, match="not UTF-8"):
        load_csv(path)


def test_regression_forced_on_text_target(tmp_path):
    path = write(tmp_path, csv_text(["f", "y"], [[0, 1], [1, "cat"], [2, 3]]))
    with pytest.raises(DataError, match=r"regression.*'y' is not numeric \(line 3: 'cat'\)"):
        load_csv(path, task="regression")


# --- converted a block of rows at a time ---------------------------------------------------

@pytest.mark.parametrize("rows", [1, 2])
@pytest.mark.parametrize("text, target", [e[1:3] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_block_boundaries_change_no_error(tmp_path, monkeypatch, text, target, rows):
    """Each small file above fits one block; cut into blocks of 1 or 2 rows, it fails alike."""
    path = write(tmp_path, text)
    whole = _raised(load_csv, path, target)
    monkeypatch.setattr(csv_source, "ROWS_PER_BLOCK", rows)
    assert str(_raised(load_csv, path, target)) == str(whole)


BLOCK_ERRORS = {
    # case: (file content, task, the message), read in blocks of 2 rows: the error is
    # the one a pass over each whole column in turn meets, whichever block holds it
    "the first bad column wins over the first bad line": (
        "a,b,y\n1,2,0\n3,x,1\n5,6,0\n7,8,1\ny,9,0\n", None,
        ("data.csv line 6, column 'a': 'y' is not a number; feature columns must be numeric "
         "(data.columns lists the ones to use, leaving others out)")),
    "a ragged row after a bad cell": (
        "a,b,y\n1,x,0\n3,4,1\n5,6,0\n7,8\n", None,
        "data.csv line 5: 2 fields, expected 3 (as many as the header has columns)"),
    "an empty target cell after a text one": (
        "a,y\n1,0\n2,1\n3,x\n4,1\n5,\n", None,
        "data.csv line 6, target column 'y' is empty; missing values are not supported"),
    "an empty target cell after infinity": (
        "a,y\n1,0\n2,inf\n3,1\n4, \n", None,
        "data.csv line 5, target column 'y' is empty; missing values are not supported"),
    "a feature problem before any target one": (
        "a,y\n1,\n2,1\n3,0\n4,1\nnan,0\n", None,
        ("data.csv line 6, column 'a': 'nan' is not a finite number; NaN and infinity are not "
         "supported")),
    "a non-finite target in a later block": (
        "a,y\n1,0\n2,1\n3,0\n4,-inf\n", None,
        ("data.csv line 5, column 'y': '-inf' is not a finite number; NaN and infinity are not "
         "supported")),
    "regression on a target that turns to text": (
        "a,y\n1,0.5\n2,1.5\n3,2.5\n4, x \n5,z\n", "regression",
        "data.csv: data.task is regression but target column 'y' is not numeric (line 5: 'x')"),
    "a single class across blocks": (
        "a,y\n1,k\n2,k\n3, k\n", None,
        "data.csv: target column 'y' has a single class ('k'); classification needs at least 2"),
}


@pytest.mark.parametrize("case", BLOCK_ERRORS)
def test_block_errors_name_the_cell_a_column_pass_meets(case, tmp_path, monkeypatch):
    text, task, message = BLOCK_ERRORS[case]
    monkeypatch.setattr(csv_source, "ROWS_PER_BLOCK", 2)
    with pytest.raises(DataError) as info:
        load_csv(write(tmp_path, text), task=task)
    assert str(info.value) == message


@pytest.mark.parametrize("rows", [1, 2, 3, csv_source.ROWS_PER_BLOCK])
def test_a_target_that_turns_to_text_after_blocks_of_numbers(tmp_path, monkeypatch, rows):
    """Its earlier blocks are read again as text: "1" and "1.0" are then different classes."""
    monkeypatch.setattr(csv_source, "ROWS_PER_BLOCK", rows)
    labels = ["1", "0", "1.0", " 2", "1", "x", "0"]
    raw = load_csv(write(tmp_path, csv_text(["a", "y"], [[i, v] for i, v in enumerate(labels)])))
    assert raw.task == "classification" and raw.class_names == ("0", "1", "1.0", "2", "x")
    np.testing.assert_array_equal(raw.y, [1, 0, 2, 3, 1, 4, 0])
    np.testing.assert_array_equal(raw.x[:, 0], range(7))


@pytest.mark.parametrize("rows", [2, csv_source.ROWS_PER_BLOCK])
def test_more_rows_than_line_ends_counted(tmp_path, monkeypatch, rows):
    """Mixed line ends make the row estimate short: the arrays grow."""
    monkeypatch.setattr(csv_source, "ROWS_PER_BLOCK", rows)
    raw = load_csv(write(tmp_path, "a,y\r1,0\n2,1\r3,0\n4,1\r5,0\n6,1\r7,1\n"))
    np.testing.assert_array_equal(raw.x[:, 0], range(1, 8))
    np.testing.assert_array_equal(raw.y, [0, 1, 0, 1, 0, 1, 1])


def test_peak_memory_stays_near_the_file_size(tmp_path):
    """A ~10 MB file of numbers: a Python string for every cell would cost ~10x its size; read
    a block at a time it costs its bytes, its float64 arrays and one block of strings."""
    values = np.random.default_rng(0).random((55_000, 20))
    path = tmp_path / "big.csv"
    with open(path, "w", newline="") as fh:
        fh.write(",".join(f"f{j}" for j in range(19)) + ",y\n")
        fh.writelines(",".join(f"{v:.6f}" for v in row[:-1]) + f",{int(row[-1] * 3)}\n"
                      for row in values)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        raw = load_csv(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert raw.x.shape == (55_000, 19) and raw.class_names == ("0", "1", "2")
    np.testing.assert_allclose(raw.x, values[:, :-1], rtol=0, atol=5e-7)
    assert peak < 3 * size, f"peak {peak / 2**20:.1f} MiB for a {size / 2**20:.1f} MiB file"


# --- csv_columns: the header alone, without reading the file --------------------------------

@pytest.mark.parametrize("name", ["data.csv", "données été.csv", "数据.csv", "🙂 rows.CSV"])
def test_csv_columns_reads_the_header(tmp_path, name):
    path = write(tmp_path, '\ufeff\n  "a" , b c ,"y, the target"\r\n1,2,3\n', name)
    assert csv_columns(path) == ["a", "b c", "y, the target"]
    assert csv_columns(name, base_dir=tmp_path) == ["a", "b c", "y, the target"]


def test_csv_columns_header_with_a_quoted_line_break(tmp_path):
    assert csv_columns(write(tmp_path, 'a,"two\nlines",y\n1,2,3\n')) == ["a", "two\nlines", "y"]


def fifo(tmp_path, name="x.csv"):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    path = tmp_path / name
    os.mkfifo(path)
    return path


COLUMN_ERRORS = {
    # case: (make the path from tmp_path, fragments of the message)
    "a pipe named x.csv": (fifo, ["x.csv", "is not a regular file"]),
    "a folder named x.csv": (lambda p: (p / "x.csv").mkdir() or p / "x.csv",
                             ["x.csv", "folder"]),
    "missing": (lambda p: p / "none.csv", ["CSV file not found", "none.csv"]),
    "empty": (lambda p: write(p, ""), ["CSV file is empty"]),
    "only blank lines": (lambda p: write(p, "\n \n\r\n"), ["CSV file is empty"]),
    "blank name": (lambda p: write(p, "a,,y\n"), ["column 2 has a blank name"]),
    "duplicate": (lambda p: write(p, "a,b,a\n"), ["'a' is used twice (columns 1 and 3)"]),
    "numbers": (lambda p: write(p, "1,2,3\n4,5,6\n"), ["line 1 looks like data"]),
    "semicolons": (lambda p: write(p, "a;b;y\n1;2;3\n"), ["separated by semicolons"]),
    "not UTF-8": (lambda p: write(p, b"caf\xe9,y\n"), ["not UTF-8", "offset 3"]),
    "a header over 1 MB": (lambda p: write(p, ",".join(f"c{i}" for i in range(200_000)) + "\n"),
                           ["header row does not end within the first 1 MB"]),
    "a header over 1 MB, its quoted names across lines": (
        lambda p: write(p, ",".join(['"x\ny"'] * 300_000) + "\n1\n"),
        ["header row does not end within the first 1 MB"]),
    "a name over the csv module's field limit": (
        lambda p: write(p, "a" * 200_000 + ",y\n"), ["line 1: not valid CSV (field larger"]),
}


@pytest.mark.parametrize("case", COLUMN_ERRORS)
def test_csv_columns_errors_are_one_line(case, tmp_path):
    make, fragments = COLUMN_ERRORS[case]
    path = make(tmp_path)
    done = {}
    thread = threading.Thread(target=lambda: done.update(result=_raised(csv_columns, path)),
                              daemon=True)
    thread.start()
    thread.join(10)
    assert not thread.is_alive(), "csv_columns blocked"
    error = done["result"]
    assert isinstance(error, DataError) and "\n" not in str(error), error
    for fragment in fragments:
        assert fragment in str(error), str(error)


def _raised(f, *args):
    try:
        return f(*args)
    except Exception as exc:  # noqa: BLE001 - the test looks at it
        return exc


def test_csv_columns_reads_only_the_beginning_of_a_big_file(tmp_path, monkeypatch):
    row = "0.123456789,1.5,-2.25,1\n"
    path = write(tmp_path, "a,b,c,y\n" + row * (20 * 2**20 // len(row)))
    assert path.stat().st_size >= 20 * 2**20
    read = []

    class Counting:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def read(self, n=-1):
            assert n >= 0, "read the whole file"
            data = self.fh.read(n)
            read.append(len(data))
            return data
    real = csv_source.open_binary
    monkeypatch.setattr(csv_source, "open_binary", lambda *a: Counting(real(*a)))
    assert csv_columns(path) == ["a", "b", "c", "y"]
    assert 0 < sum(read) <= HEADER_LIMIT + 1


def test_csv_columns_cut_inside_a_character(tmp_path):
    """The 1 MB cut falls inside a 2-byte character: the header is still read."""
    head = "a,y\n"
    filler = "x" * (HEADER_LIMIT - len(head) - 1) + "é" * 10
    path = write(tmp_path, head + filler + "\n")
    assert path.read_bytes()[HEADER_LIMIT - 1:HEADER_LIMIT + 1] == "é".encode()
    assert csv_columns(path) == ["a", "y"]


# --- data.columns: the feature columns to use, in order ---------------------------------------

MIXED = "name,a,b,note,y\nfoo,1,2,x,0.5\nbar,3,4,y,1.5\nbaz,5,6,z,2.5\nqux,7,8,w,4.0\n"


def test_columns_pick_features_in_their_order_and_leave_text_columns_out(tmp_path):
    path = write(tmp_path, MIXED)
    with pytest.raises(DataError, match="column 'name': 'foo' is not a number; .*data.columns"):
        load_csv(path)
    raw = load_csv(path, columns=["b", "a"])
    assert raw.input_names == ("b", "a") and raw.task == "regression"
    np.testing.assert_array_equal(raw.x, [[2, 1], [4, 3], [6, 5], [8, 7]])
    np.testing.assert_array_equal(raw.y.ravel(), [0.5, 1.5, 2.5, 4.0])
    raw = load_csv(path, target="note", columns=["a"])  # a text target, one feature
    assert raw.class_names == ("w", "x", "y", "z") and raw.x.shape == (4, 1)


@pytest.mark.parametrize("rows", [1, 2, 3])
def test_columns_give_the_same_arrays_in_any_block_size(tmp_path, monkeypatch, rows):
    rng = np.random.default_rng(3)
    data = rng.normal(size=(9, 4))
    path = write(tmp_path, csv_text(["a", "b", "c", "y"], data.tolist()))
    whole = load_csv(path, columns=["c", "a"])
    monkeypatch.setattr(csv_source, "ROWS_PER_BLOCK", rows)
    again = load_csv(path, columns=["c", "a"])
    np.testing.assert_array_equal(again.x, data[:, [2, 0]])
    np.testing.assert_array_equal(again.x, whole.x)
    np.testing.assert_array_equal(again.y, data[:, 3:])


@pytest.mark.parametrize("kw, message", [
    ({"columns": ["a", "zz"]},
     "data.csv: data.columns lists 'zz', which is not a column of the file; columns: name, a, "
     "b, note, y"),
    ({"columns": ["zz", "a", "qq"]}, "data.columns lists 'zz', 'qq', which are not columns"),
    ({"columns": ["a", "y"]},
     "data.csv: data.columns lists 'y', the target column (data.target defaults to the last "
     "column); the target cannot also be a feature"),
    ({"columns": ["a", "note"]}, "data.csv line 2, column 'note': 'x' is not a number"),
    ({"columns": ["a"], "target": "nope"}, "target column 'nope' not found"),  # target first
])
def test_bad_columns_are_one_line_errors(tmp_path, kw, message):
    with pytest.raises(DataError) as info:
        load_csv(write(tmp_path, MIXED), **kw)
    assert message in str(info.value) and "\n" not in str(info.value)

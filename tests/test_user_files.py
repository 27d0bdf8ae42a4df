"""A named pipe (FIFO), whatever its extension, given to any reader of a user-named file: one
line naming the problem, at once. Opening a FIFO for reading blocks until a writer appears, so
each load runs in a thread with a timeout: a regression fails here instead of hanging."""

from __future__ import annotations

import os
import threading

import pytest

from playground import config
from playground.data.csv_source import csv_columns, load_csv
from playground.errors import PlaygroundError
from playground.io.weights import load_weights
from playground.io.workspace import load_workspace
from playground.userfiles import open_binary, read_bytes, read_text

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")

LOADERS = {
    "load_csv": load_csv,
    "csv_columns": csv_columns,
    "load_workspace": load_workspace,
    "load_weights": load_weights,
    "config.load": config.load,
    "read_text": lambda p: read_text(p, "file", PlaygroundError),
    "read_bytes": lambda p: read_bytes(p, "file", PlaygroundError),
}
EXTENSIONS = [".json", ".csv", ".playground", ".safetensors", ".npz"]


def outcome(load, path, timeout=10.0):
    """What ``load(path)`` raised (or returned); unblocks and fails if it blocked."""
    result = {}

    def run():
        try:
            result["value"] = load(path)
        except BaseException as exc:  # noqa: BLE001 - the test looks at it
            result["value"] = exc
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # a writer frees the reader
        thread.join(timeout)
        pytest.fail(f"reading the pipe {path.name} blocked")
    return result["value"]


@pytest.mark.parametrize("ext", EXTENSIONS)
@pytest.mark.parametrize("loader", LOADERS)
def test_a_pipe_is_refused_without_blocking(loader, ext, tmp_path):
    path = tmp_path / f"x{ext}"
    os.mkfifo(path)
    error = outcome(LOADERS[loader], path)
    assert isinstance(error, PlaygroundError), error
    message = str(error)
    assert "\n" not in message and path.name in message, message
    assert ("not a regular file" in message or "cannot tell the weights format" in message), \
        message


def test_a_pipe_swapped_in_after_the_stat_is_refused(tmp_path, monkeypatch):
    """The name's stat said "regular file", but the open got a pipe: fstat of what was
    opened decides, and the non-blocking open did not wait for a writer."""
    regular = tmp_path / "regular.csv"
    regular.write_text("a,y\n")
    path = tmp_path / "x.csv"
    os.mkfifo(path)
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: real_stat(regular if str(p) == str(path)
                                                                  else p, *a, **k))
    error = outcome(lambda p: open_binary(p, "CSV file", PlaygroundError), path)
    assert isinstance(error, PlaygroundError) and "is not a regular file" in str(error), error


def test_a_regular_file_still_reads(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xef\xbb\xbfa,y\n")
    assert read_text(path, "CSV file", PlaygroundError) == "a,y\n"
    assert read_bytes(path, "CSV file", PlaygroundError) == b"\xef\xbb\xbfa,y\n"
    with open_binary(path, "CSV file", PlaygroundError) as fh:
        assert fh.read(1) == b"\xef"

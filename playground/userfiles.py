"""Reading a file the user named: every failure becomes one line naming the file.

Any reader of a user-named file opens it through ``open_binary``: opening a FIFO (or some
devices) for reading blocks until a writer appears, so a pipe named ``run.json`` would hang the
app. ``open_binary`` looks at the name with ``stat`` first, then opens without blocking
(``O_NONBLOCK``) and checks what it actually opened with ``fstat``, so a file swapped for a pipe
between the two looks is refused too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from playground.errors import PlaygroundError
from playground.progress import Progress, Stage

#: How much a reader asks of the file at a time: between two pieces a cancel takes effect.
CHUNK = 2**20
_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def check_file(path: Path, what: str, error: type[PlaygroundError]) -> None:
    """``error`` with one line unless ``path`` names an existing regular file; ``what`` names
    it in messages ("weights file", "workspace file")."""
    try:
        exists, is_dir, is_file = path.exists(), path.is_dir(), path.is_file()
    except (OSError, ValueError):  # a NUL byte or an over-long name
        raise error(f"{str(path)!r} is not a valid {what} name") from None
    if not exists:
        raise error(f"{what} {path} not found")
    if is_dir:
        raise error(f"{path} is a folder, not a {what}")
    if not is_file:
        raise error(f"{what} {path} is not a regular file (a device, pipe or socket)")


def _refuse(mode: int, path: Path, what: str, error: type[PlaygroundError]) -> None:
    if stat.S_ISDIR(mode):
        raise error(f"{what} path is a folder, not a file: {path}")
    if not stat.S_ISREG(mode):
        raise error(f"{what} {path} is not a regular file (a device, pipe or socket)")


def open_binary(path: str | Path, what: str, error: type[PlaygroundError]) -> BinaryIO:
    """``path`` opened for binary reading, known to be a regular file (never blocks on a
    pipe); ``error`` with one line naming the file otherwise. Close it (``with``)."""
    path = Path(path)
    try:
        _refuse(os.stat(path).st_mode, path, what, error)
        fd = os.open(path, _FLAGS)
    except FileNotFoundError:
        raise error(f"{what} not found: {path}") from None
    except ValueError:  # "embedded null byte"
        raise error(f"{what} path {str(path)!r} is not a valid file name") from None
    except OSError as exc:
        if isinstance(exc, PermissionError) and path.is_dir():  # Windows cannot open folders
            _refuse(stat.S_IFDIR, path, what, error)
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        _refuse(os.fstat(fd).st_mode, path, what, error)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | Path, what: str, error: type[PlaygroundError],
               progress: Progress | Stage | None = None) -> bytes:
    """The whole file (a regular file: see ``open_binary``). With ``progress`` (a
    ``playground.progress`` Progress or Stage) it is read in ``CHUNK`` pieces, each reported
    as bytes read over the file's size, so a cancel raises ``Cancelled`` within a piece."""
    path = Path(path)
    with open_binary(path, what, error) as fh:
        try:
            if progress is None:
                return fh.read()
            size, pieces, done = os.fstat(fh.fileno()).st_size, [], 0
            while piece := fh.read(CHUNK):
                pieces.append(piece)
                done += len(piece)
                progress.advance(done, max(size, done), f"Reading {path.name}")
            progress.advance(1, 1, f"Reading {path.name}")
            return b"".join(pieces)
        except OSError as exc:
            raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def decode_text(data: bytes, path: str | Path, what: str,
                error: type[PlaygroundError]) -> str:
    """``data`` as UTF-8 text, a leading BOM dropped; ``error`` naming the file otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{what} is not UTF-8 text: {path} (bad byte at offset "
                    f"{exc.start})") from None


def read_text(path: str | Path, what: str, error: type[PlaygroundError],
              progress: Progress | Stage | None = None) -> str:
    """The file's text (UTF-8, a leading BOM dropped); ``what`` names it in messages
    ("config file", "CSV file") and ``error`` is the exception raised; ``progress`` as
    ``read_bytes``'."""
    return decode_text(read_bytes(path, what, error, progress), path, what, error)

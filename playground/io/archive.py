"""Zip archives of JSON and ``.npz`` members: written byte-for-byte reproducibly, read defensively.

Writing: ZIP_DEFLATED members with a fixed timestamp, so the same content always gives the
same bytes. JSON is strict (no NaN or infinity); each ``.npz`` member is itself a zip of
``.npy`` arrays as ``np.savez`` writes it, never pickled.

Reading treats the file as hostile until checked. Before anything is decompressed, the sizes
the zip declares must add up to at most ``MAX_BYTES`` (an honest zip bomb never gets
inflated); a name that appears twice, an encrypted member or one compressed other than by
deflate is refused. Every member is then inflated in ``CHUNK`` pieces, at most its declared
size + 1 bytes (``_Member``), so a bomb that lies about its size costs one piece of memory
before it is refused; so is a member that ends short or fails its CRC. Inside an ``.npz`` the
same holds, and each ``.npy`` header must describe a plain numeric array (no Python objects,
so no pickle) whose size matches the bytes that follow it. Every problem raises
``WorkspaceError`` with one line naming the member; a cancel (``Cancelled``) passes unchanged.
"""

from __future__ import annotations

import copy
import io
import json
import math
import os
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from playground.errors import WeightsError, WorkspaceError
from playground.io.metadata import first_line, strict_loads
from playground.progress import Progress, Stage
from playground.userfiles import CHUNK, open_binary

#: The most an archive may hold uncompressed, all members together.
MAX_BYTES = 512 * 2**20
_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
#: What a broken member raises inside zipfile and zlib.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
                NotImplementedError, RuntimeError)
_NUMERIC_KINDS = "biuf"
#: An ``.npz`` member up to this size is copied out in memory, a bigger one to a temporary file.
SPOOL_BYTES = 32 * 2**20
#: How much of a ``.npy`` member is read to check its header (numpy reads headers to 10 kB).
_NPY_HEAD = 16 * 2**10


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"


# --- writing -------------------------------------------------------------------------------

def json_bytes(value: Any) -> bytes:
    """Strict JSON (ValueError for NaN or infinity), UTF-8."""
    return (json.dumps(value, indent=1, allow_nan=False, ensure_ascii=False) + "\n").encode()


def npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    """``arrays`` as an uncompressed ``.npz`` (one ``<name>.npy`` member each)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=_TIMESTAMP)
            with archive.open(info, "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(array, order="C"),
                                          allow_pickle=False)
    return buffer.getvalue()


def zip_bytes(members: Mapping[str, bytes]) -> bytes:
    """A deflated zip of ``members`` (name -> content), in order; WorkspaceError if it would
    hold more than ``MAX_BYTES``, which no reader would then accept."""
    total = sum(len(data) for data in members.values())
    if total > MAX_BYTES:
        raise WorkspaceError(f"the workspace would hold {_mb(total)}, more than the "
                             f"{_mb(MAX_BYTES)} a workspace may hold; use less data")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_TIMESTAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


# --- reading -------------------------------------------------------------------------------

def _checked_infos(archive: zipfile.ZipFile, what: str, budget: int) -> list[zipfile.ZipInfo]:
    """The members, after the checks that need no decompression."""
    infos = archive.infolist()
    seen: set[str] = set()
    for info in infos:
        if info.filename in seen:
            raise WorkspaceError(f"{what}member {info.filename} appears twice")
        seen.add(info.filename)
        if info.flag_bits & 0x1:
            raise WorkspaceError(f"{what}member {info.filename} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # zipfile inflates a bzip2 or lzma piece whole, with no bound on its output
            raise WorkspaceError(f"{what}member {info.filename} uses compression method "
                                 f"{info.compress_type}; only stored and deflated are read")
    total = sum(info.file_size for info in infos)
    if total > budget:
        raise WorkspaceError(f"{what}members would take {_mb(total)} uncompressed, more than "
                             f"the {_mb(budget)} a workspace may hold")
    return infos


class _Member:
    """One member's bytes, inflated in ``CHUNK`` pieces and checked as they come.

    At most ``size + 1`` bytes are ever asked for, so a member that inflates to more than it
    declares is refused one byte past its size, whatever it holds (zipfile alone would inflate
    up to 2 GB per read, then cut the result to the declared size and check the CRC of that,
    which a bomb can be made to pass). zipfile is told the member is a piece longer than that,
    so its read-ahead (under a piece) never reaches what it takes for the end, where it checks
    the CRC. A member that ends short or fails its CRC is refused at its end. ``tick(n)``
    hears every piece.
    """

    def __init__(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, what: str,
                 tick: Callable[[int], None]) -> None:
        self._what, self._size, self._done, self._tick = what, info.file_size, 0, tick
        bounded = copy.copy(info)
        bounded.file_size = info.file_size + 1 + CHUNK
        try:
            self._fh = zf.open(bounded)
        except _READ_ERRORS as exc:
            raise WorkspaceError(f"{what} is corrupt ({first_line(exc)})") from None

    def __enter__(self) -> _Member:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()

    def read(self, n: int = CHUNK) -> bytes:
        try:
            data = self._fh.read(min(n, CHUNK, self._size + 1 - self._done))
        except _READ_ERRORS as exc:
            raise WorkspaceError(f"{self._what} is corrupt ({first_line(exc)})") from None
        self._done += len(data)
        if self._done > self._size:
            raise WorkspaceError(f"{self._what} is corrupt (it inflates to more than the "
                                 f"{self._size} bytes it declares)")
        self._tick(len(data))
        return data

    def finish(self) -> None:
        """Read to the end (which checks the CRC); WorkspaceError unless it ends at its size."""
        while self.read():
            pass
        if self._done < self._size:
            raise WorkspaceError(f"{self._what} is corrupt (it holds {self._done} bytes, "
                                 f"less than the {self._size} it declares)")

    def all(self) -> bytes:
        chunks = []
        while chunk := self.read():
            chunks.append(chunk)
        self.finish()
        return b"".join(chunks)


class _Replay:
    """``head``, already read from ``rest``, then the rest: ``read_array`` reads the header
    again after ``_npy`` checked it."""

    def __init__(self, head: bytes, rest: _Member) -> None:
        self._head, self._rest = head, rest

    def read(self, n: int) -> bytes:
        if not self._head:
            return self._rest.read(n)
        out, self._head = self._head[:n], self._head[n:]
        return out


class Archive:
    """A zip file opened for checked reading; use as a context manager. ``progress`` (a
    ``playground.progress`` Progress or Stage) hears bytes read over all the members'
    declared sizes (an ``.npz`` member counts twice: copied out, then parsed), after every
    piece of at most ``CHUNK`` bytes; a cancel raises ``Cancelled`` there."""

    def __init__(self, path: str | os.PathLike,
                 progress: Progress | Stage | None = None) -> None:
        self._file = open_binary(path, "file", WorkspaceError)
        try:
            self._zip = zipfile.ZipFile(self._file)
        except zipfile.BadZipFile:
            self._file.close()
            raise WorkspaceError("not a zip archive") from None
        except _READ_ERRORS as exc:
            self._file.close()
            raise WorkspaceError(f"not a readable zip archive ({first_line(exc)})") from None
        try:
            self._infos = {i.filename: i for i in _checked_infos(self._zip, "", MAX_BYTES)}
        except BaseException:
            self.close()
            raise
        self._npz_budget = MAX_BYTES  # what the .npz members may still expand to, together
        self._progress = progress
        self._total = sum(_weight(i) for i in self._infos.values())
        self._done = self._end = 0  # bytes counted so far; where the current member's share ends
        self._text = ""

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()
        self._file.close()

    @property
    def names(self) -> list[str]:
        return list(self._infos)

    def _start(self, name: str) -> None:
        """Count ``name``'s share from here on (what an earlier member left uncounted is
        skipped, so the fraction only grows)."""
        self._done = self._end
        self._end += _weight(self._infos[name])
        self._text = f"Reading {name}"
        self._tick(0)

    def _tick(self, n: int) -> None:
        self._done = min(self._done + n, self._end)
        if self._progress is not None:
            self._progress.advance(self._done, self._total, self._text)

    def read(self, name: str) -> bytes:
        self._start(name)
        with _Member(self._zip, self._infos[name], name, self._tick) as member:
            return member.all()

    def json(self, name: str) -> Any:
        """A JSON member, parsed strictly (no NaN, no duplicate keys)."""
        try:
            text = self.read(name).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WorkspaceError(f"{name} is not UTF-8 text (bad byte at offset "
                                 f"{exc.start})") from None
        try:
            return strict_loads(text)
        except WeightsError as exc:
            raise WorkspaceError(f"{name}: {exc}") from None

    def npz(self, name: str) -> dict[str, np.ndarray]:
        """An ``.npz`` member's arrays by name (without ``.npy``), never unpickled. The member
        is copied out in pieces to a spooled file (in memory up to ``SPOOL_BYTES``, on disk
        beyond), and each array read from it into its final buffer: no whole-member copy."""
        self._start(name)
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
            with _Member(self._zip, self._infos[name], name, self._tick) as member:
                while chunk := member.read():
                    spool.write(chunk)
                member.finish()
            spool.seek(0)
            try:
                inner = zipfile.ZipFile(spool)
            except _READ_ERRORS:
                raise WorkspaceError(f"{name} is not an .npz archive (a zip of .npy "
                                     "arrays)") from None
            with inner:
                return self._arrays(inner, name)

    def _arrays(self, inner: zipfile.ZipFile, name: str) -> dict[str, np.ndarray]:
        infos = _checked_infos(inner, f"{name}: ", self._npz_budget)
        self._npz_budget -= sum(info.file_size for info in infos)
        arrays: dict[str, np.ndarray] = {}
        for info in infos:
            key = info.filename
            if not key.endswith(".npy"):
                raise WorkspaceError(f"{name}: member {key} is not a .npy array")
            what = f"{name}: array {key[:-4]}"
            with _Member(inner, info, what, self._tick) as member:
                arrays[key[:-4]] = _npy(member, info.file_size, what)
                member.finish()
        return arrays


def _weight(info: zipfile.ZipInfo) -> int:
    """A member's share of the progress: its size, twice for an ``.npz`` (copy, then parse)."""
    return info.file_size * (2 if info.filename.endswith(".npz") else 1)


def _npy(member: _Member, size: int, what: str) -> np.ndarray:
    """One ``.npy`` member's array, after checking its header against its declared size; the
    data goes straight from the member into the array, in ``read_array``'s 256 KiB pieces."""
    head = member.read(_NPY_HEAD)
    fh = io.BytesIO(head)
    try:
        version = np.lib.format.read_magic(fh)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"unsupported .npy version {version[0]}.{version[1]}")
        header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                  else np.lib.format.read_array_header_2_0)
        shape, _, dtype = header(fh)
    except _READ_ERRORS as exc:
        raise WorkspaceError(f"{what} has a bad header ({first_line(exc)})") from None
    if dtype.hasobject:
        raise WorkspaceError(f"{what} holds Python objects, which would need pickle to load; "
                             "only numeric arrays are allowed")
    if dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None or dtype.subdtype:
        raise WorkspaceError(f"{what} has dtype {dtype}; only numeric arrays are allowed")
    expected = math.prod(shape) * dtype.itemsize
    if expected != size - fh.tell():
        raise WorkspaceError(f"{what} declares shape {shape} ({expected} bytes) but holds "
                             f"{size - fh.tell()} bytes")
    try:
        return np.lib.format.read_array(_Replay(head, member), allow_pickle=False)
    except _READ_ERRORS as exc:
        raise WorkspaceError(f"{what} is corrupt ({first_line(exc)})") from None

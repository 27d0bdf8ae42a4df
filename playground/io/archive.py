"""Zip archives of JSON and ``.npz`` members: written byte-for-byte reproducibly, read defensively.

Writing: ZIP_DEFLATED members with a fixed timestamp, so the same content always gives the
same bytes. JSON is strict (no NaN or infinity); each ``.npz`` member is itself a zip of
``.npy`` arrays as ``np.savez`` writes it, never pickled.

Reading treats the file as hostile until checked. Before anything is decompressed, the sizes
the zip declares must add up to at most ``MAX_BYTES`` (a zip bomb never gets inflated; a
member that holds more than it declares fails its length and CRC checks); a name that
appears twice or an encrypted member is refused. Inside an ``.npz`` the same holds, and each
``.npy`` header must describe a plain numeric array (no Python objects, so no pickle) whose
size matches the bytes that follow it. Every problem raises ``WorkspaceError`` with one line
naming the member.
"""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np

from playground.errors import WeightsError, WorkspaceError
from playground.io.metadata import first_line, strict_loads

#: The most an archive may hold uncompressed, all members together.
MAX_BYTES = 512 * 2**20
_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
#: What a broken member raises inside zipfile and zlib.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError,
                NotImplementedError, RuntimeError)
_NUMERIC_KINDS = "biuf"


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
    total = sum(info.file_size for info in infos)
    if total > budget:
        raise WorkspaceError(f"{what}members would take {_mb(total)} uncompressed, more than "
                             f"the {_mb(budget)} a workspace may hold")
    return infos


class Archive:
    """A zip file opened for checked reading; use as a context manager."""

    def __init__(self, path: str | os.PathLike) -> None:
        try:
            self._zip = zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            raise WorkspaceError("not a zip archive") from None
        except _READ_ERRORS as exc:
            raise WorkspaceError(f"not a readable zip archive ({first_line(exc)})") from None
        try:
            self._infos = {i.filename: i for i in _checked_infos(self._zip, "", MAX_BYTES)}
        except BaseException:
            self._zip.close()
            raise
        self._npz_budget = MAX_BYTES  # what the .npz members may still expand to, together

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self._zip.close()

    @property
    def names(self) -> list[str]:
        return list(self._infos)

    def read(self, name: str) -> bytes:
        try:
            return self._zip.read(self._infos[name])
        except _READ_ERRORS as exc:
            raise WorkspaceError(f"{name} is corrupt ({first_line(exc)})") from None

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
        """An ``.npz`` member's arrays by name (without ``.npy``), never unpickled."""
        data = self.read(name)
        try:
            inner = zipfile.ZipFile(io.BytesIO(data))
        except _READ_ERRORS:
            raise WorkspaceError(f"{name} is not an .npz archive (a zip of .npy arrays)") from None
        arrays: dict[str, np.ndarray] = {}
        with inner:
            infos = _checked_infos(inner, f"{name}: ", self._npz_budget)
            self._npz_budget -= sum(info.file_size for info in infos)
            for info in infos:
                key = info.filename
                if not key.endswith(".npy"):
                    raise WorkspaceError(f"{name}: member {key} is not a .npy array")
                try:
                    raw = inner.read(info)
                except _READ_ERRORS as exc:
                    raise WorkspaceError(f"{name}: array {key} is corrupt "
                                         f"({first_line(exc)})") from None
                arrays[key[:-4]] = _npy(raw, f"{name}: array {key[:-4]}")
        return arrays


def _npy(raw: bytes, what: str) -> np.ndarray:
    """One ``.npy`` file's array, after checking its header against its length."""
    fh = io.BytesIO(raw)
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
    if expected != len(raw) - fh.tell():
        raise WorkspaceError(f"{what} declares shape {shape} ({expected} bytes) but holds "
                             f"{len(raw) - fh.tell()} bytes")
    fh.seek(0)
    try:
        return np.lib.format.read_array(fh, allow_pickle=False)
    except _READ_ERRORS as exc:
        raise WorkspaceError(f"{what} is corrupt ({first_line(exc)})") from None

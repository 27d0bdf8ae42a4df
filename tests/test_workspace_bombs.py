"""Zip bombs and broken members: refused after at most a piece of inflating, in little memory
and time, with one WorkspaceError line naming the file and the member.

The bombs are made without compressing gigabytes: a deflate block of 1 MiB of zeros, ended by
a full flush (byte-aligned, referring to nothing before it), repeated, then an empty final
block, is a valid stream of as many MiB of zeros as there are copies.
"""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

from conftest import blobs, trainer
from playground.errors import WorkspaceError
from playground.io import archive
from playground.io.workspace import encode_workspace, load_workspace

MiB = 2**20


def deflated_zeros(mib: int) -> bytes:
    """A raw deflate stream that inflates to ``mib`` MiB of zeros (2 GB from 2 MB)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(bytes(MiB)) + c.flush(zlib.Z_FULL_FLUSH)
    return block * mib + zlib.compressobj(9, zlib.DEFLATED, -15).flush()


def with_raw_member(members: dict[str, bytes], name: str, raw: bytes, declared: int,
                    crc: int, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip of ``members`` (deflated) plus ``name`` holding ``raw`` as its compressed data,
    with the method, declared size and CRC patched in both its local and central headers."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, data in members.items():
            zf.writestr(key, data)
        zf.writestr(zipfile.ZipInfo(name), raw, compress_type=zipfile.ZIP_STORED)
    out = bytearray(buffer.getvalue())
    central = out.rindex(b"PK\x01\x02")  # the last entry is the one written last
    assert out[central + 46:central + 46 + len(name)] == name.encode()
    (local,) = struct.unpack_from("<I", out, central + 42)
    for base, (m, c, u) in ((central, (10, 16, 24)), (local, (8, 14, 22))):
        struct.pack_into("<H", out, base + m, method)
        struct.pack_into("<I", out, base + c, crc)
        struct.pack_into("<I", out, base + u, declared)
    return bytes(out)


@pytest.fixture(scope="module")
def members() -> dict[str, bytes]:
    """The members of a small valid workspace."""
    with zipfile.ZipFile(io.BytesIO(encode_workspace(trainer()))) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def costs(path) -> tuple[str, float, float]:
    """(the error load_workspace raises, peak MiB traced, seconds)."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(WorkspaceError) as err:
            load_workspace(path)
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(err.value)
    assert "\n" not in message and str(path) in message, message
    return message, peak / MiB, seconds


def test_a_bomb_that_lies_about_its_size_is_never_inflated(members, tmp_path):
    # 200 MB of zeros declared as 100 bytes, with the CRC of those 100 bytes: zipfile alone
    # inflated it all in one 2 GB read, cut it to 100 bytes and found the CRC right.
    path = tmp_path / "bomb.playground"
    path.write_bytes(with_raw_member({k: v for k, v in members.items() if k != "data.npz"},
                                     "data.npz", deflated_zeros(200), 100, zlib.crc32(bytes(100))))
    assert path.stat().st_size < MiB
    message, peak, seconds = costs(path)
    assert "data.npz is corrupt (it inflates to more than the 100 bytes it declares)" in message
    assert peak < 50 and seconds < 0.5, (peak, seconds)


def test_a_lying_npy_inside_an_npz_is_never_inflated(members, tmp_path):
    inner = with_raw_member({}, "0.weight.npy", deflated_zeros(200), 100, 0)
    path = tmp_path / "bomb.playground"
    path.write_bytes(with_raw_member({k: v for k, v in members.items() if k != "weights.npz"},
                                     "weights.npz", inner, len(inner), zlib.crc32(inner),
                                     zipfile.ZIP_STORED))
    message, peak, seconds = costs(path)
    assert ("weights.npz: array 0.weight is corrupt (it inflates to more than the 100 bytes "
            "it declares)") in message
    assert peak < 50 and seconds < 0.5, (peak, seconds)


def test_an_honest_bomb_is_refused_before_inflating(members, tmp_path):
    path = tmp_path / "bomb.playground"
    path.write_bytes(with_raw_member({k: v for k, v in members.items() if k != "data.npz"},
                                     "data.npz", deflated_zeros(2048), 2**31, 0))
    message, peak, seconds = costs(path)
    assert "members would take 2048 MB uncompressed, more than the 512 MB" in message
    assert peak < 50 and seconds < 0.5, (peak, seconds)


def short(members, name, keep):
    """``name``'s deflate stream cut to ``keep`` of its bytes, sizes and CRC as declared."""
    data = members[name]
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = c.compress(data) + c.flush()
    return with_raw_member({k: v for k, v in members.items() if k != name}, name,
                           raw[:int(len(raw) * keep)], len(data), zlib.crc32(data))


@pytest.mark.parametrize("build, expected", [
    # the compressed stream ends half way: the member inflates short of its size
    (lambda m: short(m, "state.json", 0.5), "state.json is corrupt ("),
    (lambda m: short(m, "data.npz", 0.5), "data.npz is corrupt ("),
    # it holds less than it declares, with the CRC of what it holds
    (lambda m: with_raw_member({k: v for k, v in m.items() if k != "config.json"},
                               "config.json", m["config.json"], len(m["config.json"]) + 50,
                               zlib.crc32(m["config.json"]), zipfile.ZIP_STORED),
     "config.json is corrupt (it holds {n} bytes, less than the {n50} it declares)"),
    # the whole file cut short: its central directory is gone
    (lambda m: encode_workspace(trainer())[:-200], "not a zip archive"),
    # bzip2 and lzma inflate a whole piece at once: refused before reading
    (lambda m: with_raw_member({k: v for k, v in m.items() if k != "state.json"},
                               "state.json", b"BZh91AY&SY", 10, 0, zipfile.ZIP_BZIP2),
     "member state.json uses compression method 12; only stored and deflated are read"),
])
def test_truncated_and_short_members(build, expected, members, tmp_path):
    path = tmp_path / "cut.playground"
    path.write_bytes(build(members))
    n = len(members["config.json"])
    message, _, _ = costs(path)
    assert expected.format(n=n, n50=n + 50) in message, message


def test_an_npz_of_deflated_arrays_still_loads(members, tmp_path):
    """np.savez_compressed deflates each .npy: read the same way, through the size checks."""
    with np.load(io.BytesIO(members["data.npz"])) as npz:
        arrays = {k: npz[k] for k in npz.files}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    path = tmp_path / "deflated.playground"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in {**members, "data.npz": buffer.getvalue()}.items():
            zf.writestr(name, data)
    loaded = load_workspace(path).trainer.dataset
    np.testing.assert_array_equal(loaded.raw_train, arrays["raw_train"])


@pytest.mark.parametrize("spool", [MiB, 64 * MiB])
def test_a_big_npz_loads_in_about_its_own_size(spool, tmp_path, monkeypatch):
    """data.npz (~24 MB) is copied out to a spooled file (on disk above ``spool``) and its
    arrays read straight into their buffers: the peak is the arrays' size, plus the member's
    when it is spooled in memory; before, it was three times the size."""
    ds = blobs(n=100_000, f=30)
    path = tmp_path / "big.playground"
    path.write_bytes(encode_workspace(trainer(dataset=ds, data={"standardize": False})))
    monkeypatch.setattr(archive, "SPOOL_BYTES", spool)
    tracemalloc.start()
    try:
        with archive.Archive(path) as zf:
            arrays = zf.npz("data.npz")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = sum(a.nbytes for a in arrays.values())
    spooled = size if spool > size else 0
    assert size > 20 * MiB and peak < size + spooled + 4 * MiB, (size / MiB, peak / MiB)
    np.testing.assert_array_equal(arrays["raw_train"], ds.raw_train)

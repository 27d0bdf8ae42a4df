"""Atomic file writes: a temporary file in the same folder, then a rename over the target.

A crash or an error mid-write never leaves a partial or truncated file behind. The rename is
``os.replace``, which overwrites the target on every system (``os.rename`` fails on Windows
when the target exists).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def _mode_for(path: Path) -> int:
    """The target's current permissions, or what a plain open() would give (0666 less umask);
    mkstemp's private 0600 would otherwise leak into every file we write."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        if os.name != "nt" and hasattr(os, "fchmod"):  # Windows has no such bits (and no
            os.fchmod(fd, _mode_for(path))             # os.fchmod before Python 3.13)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))

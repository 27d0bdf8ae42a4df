"""Autosave and crash recovery: the headless building blocks the app wires to a timer and a dialog.

Convention, in one folder the caller owns (the app: ``autosave_folder(<its QStandardPaths
AppDataLocation>)``, which is ``<that>/autosave``):

    autosave-<pid>-<random>.playground   the latest autosave of one app session: an ordinary
                                         workspace, written atomically (whole even after a
                                         crash mid-save)
    autosave-<pid>-<random>.lock         exists while that session runs, and is locked

A session (``AutosaveSlot``) holds an exclusive operating-system lock on its ``.lock`` file
(``flock`` on POSIX, ``msvcrt.locking`` on Windows) for as long as it runs; the system drops
the lock when the process ends, however it ends (crash, kill, power loss). A clean exit
(``AutosaveSlot.close()``) deletes both files. So an autosave whose lock nobody holds belongs
to a session that died without closing: it is recoverable. Locks, unlike process ids, are never
mistaken for a new process that happens to get the same id. Every lock goes through
``LOCKS`` (``FlockLocks`` or ``MsvcrtLocks``, chosen by ``system_locks``), so both kinds are
tested on any system (tests/test_autosave_locks.py).

How the app uses it::

    folder = autosave_folder(app_data)            # QStandardPaths.AppDataLocation
    slot = AutosaveSlot(folder)                   # at start-up, before looking for crashes
    for found in find_recoverable(folder):        # newest first; never the live sessions
        # offer found.path, modified at found.modified (seconds since the epoch); then either
        workspace = load_workspace(found.path)    # ... open it, save it where the user likes,
        found.discard()                           # and drop the old autosave, or just discard
    slot.save(trainer, ui)                        # on a timer, where the trainer lives
    slot.close()                                  # on a clean quit

``slot.save`` reads the trainer, so it runs on the worker thread (or while paused); or encode
there (``encode_workspace(trainer, ui)``) and hand the bytes to ``slot.write`` anywhere.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playground.errors import WorkspaceError
from playground.io.atomic import atomic_write_bytes

PREFIX = "autosave-"
LOCK_SUFFIX = ".lock"
WORKSPACE_SUFFIX = ".playground"


def autosave_folder(app_data: str | os.PathLike) -> Path:
    """``<app_data>/autosave``, created if missing: where the app's autosaves live."""
    folder = Path(app_data) / "autosave"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"cannot create the autosave folder {folder}: "
                             f"{exc.strerror or exc}") from None
    return folder


# --- operating-system locks --------------------------------------------------------------------

class FlockLocks:
    """POSIX (Linux, macOS): ``flock`` on the whole file, held by the open file; the system
    drops it when the last descriptor closes. A file may be deleted while it is open."""

    deletes_open_files = True

    def __init__(self, fcntl_module: Any = None) -> None:
        if fcntl_module is None:
            import fcntl as fcntl_module
        self.fcntl = fcntl_module

    def lock(self, fd: int, wait: bool) -> None:
        """Raise OSError if another open file holds the lock (and not ``wait``)."""
        self.fcntl.flock(fd, self.fcntl.LOCK_EX | (0 if wait else self.fcntl.LOCK_NB))

    def unlock(self, fd: int) -> None:
        self.fcntl.flock(fd, self.fcntl.LOCK_UN)


class MsvcrtLocks:
    """Windows: ``msvcrt.locking`` on the file's first byte (a mandatory lock held by the
    open handle, dropped when the handle closes or the process ends). Locking a region
    starts at the file position, so every call seeks to 0 first. A file cannot be deleted
    while any handle has it open: callers close before they delete."""

    deletes_open_files = False

    def __init__(self, msvcrt_module: Any = None) -> None:
        if msvcrt_module is None:
            import msvcrt as msvcrt_module
        self.msvcrt = msvcrt_module

    def lock(self, fd: int, wait: bool) -> None:
        """Raise OSError if another handle holds the lock; ``wait`` is LK_LOCK, which
        retries for about 10 seconds, then raises too."""
        os.lseek(fd, 0, os.SEEK_SET)
        self.msvcrt.locking(fd, self.msvcrt.LK_LOCK if wait else self.msvcrt.LK_NBLCK, 1)

    def unlock(self, fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        self.msvcrt.locking(fd, self.msvcrt.LK_UNLCK, 1)


def system_locks(os_name: str = os.name) -> FlockLocks | MsvcrtLocks:
    """The lock kind of the operating system ``os_name`` (``os.name``: "nt" is Windows)."""
    return MsvcrtLocks() if os_name == "nt" else FlockLocks()


#: what every lock below goes through (tests put a MsvcrtLocks with a stand-in msvcrt here)
LOCKS: FlockLocks | MsvcrtLocks = system_locks()

_OPEN_FLAGS = os.O_RDWR | getattr(os, "O_BINARY", 0)


def _lock(fd: int, wait: bool) -> bool:
    """Lock ``fd`` exclusively; False if another open file holds the lock (and not ``wait``)."""
    try:
        LOCKS.lock(fd, wait)
        return True
    except OSError:
        return False


def _unlock(fd: int) -> None:
    try:
        LOCKS.unlock(fd)
    except OSError:
        pass


def _owner_alive(lock_path: Path) -> bool:
    """Whether a running session holds ``lock_path`` (False when the file is gone)."""
    try:
        fd = os.open(lock_path, _OPEN_FLAGS)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # cannot tell: leave it alone
    try:
        if _lock(fd, wait=False):
            _unlock(fd)
            return False
        return True
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    """Delete ``path`` if it can be. A file that cannot be deleted (Windows: another program,
    such as a virus scanner, has it open; a read-only folder) stays: a lock file nobody holds is
    cleared by a later ``find_recoverable``, an autosave is offered again; neither is worth an
    error at quit."""
    try:
        path.unlink()
    except OSError:
        pass


# --- one session's autosave --------------------------------------------------------------------

class AutosaveSlot:
    """This app session's autosave file in ``folder``, and the lock that marks it as live.

    ``path`` is the autosave (it exists after the first ``save``/``write``). Close it on a
    clean exit; a context manager closes it too.
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        stem = f"{PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        self.path = self.folder / (stem + WORKSPACE_SUFFIX)
        self.lock_path = self.folder / (stem + LOCK_SUFFIX)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._fd: int | None = os.open(self.lock_path,
                                           _OPEN_FLAGS | os.O_CREAT | os.O_EXCL, 0o644)
        except OSError as exc:
            raise WorkspaceError(f"cannot use the autosave folder {self.folder}: "
                                 f"{exc.strerror or exc}") from None
        if not _lock(self._fd, wait=True):
            self.close()
            raise WorkspaceError(f"cannot lock {self.lock_path}; autosave is off")
        info = {"pid": os.getpid(), "started": time.time()}
        os.write(self._fd, json.dumps(info).encode())  # for people; the lock is what counts

    def save(self, trainer: Any, ui: Any = None) -> None:
        """Autosave the trainer's run (see ``save_workspace``; atomic)."""
        from playground.io.workspace import save_workspace
        self._check_open()
        save_workspace(self.path, trainer, ui)

    def write(self, data: bytes) -> None:
        """Put ``encode_workspace``'s bytes in place, atomically."""
        self._check_open()
        try:
            atomic_write_bytes(self.path, data)
        except OSError as exc:
            raise WorkspaceError(f"cannot write {self.path}: {exc.strerror or exc}") from None

    def _check_open(self) -> None:
        if self._fd is None:
            raise WorkspaceError("this autosave slot is closed")

    def close(self) -> None:
        """A clean exit: delete the autosave, then the lock file, then release the lock."""
        if self._fd is None:
            return
        _remove(self.path)
        if not LOCKS.deletes_open_files:  # Windows: close first, then delete
            _unlock(self._fd)
            os.close(self._fd)
            _remove(self.lock_path)
        else:
            _remove(self.lock_path)
            _unlock(self._fd)
            os.close(self._fd)
        self._fd = None

    def __enter__(self) -> AutosaveSlot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- recovery ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recoverable:
    """An autosave left by a session that ended without closing (a crash)."""

    path: Path
    modified: float  # when it was last written, in seconds since the epoch (time.time())

    @property
    def lock_path(self) -> Path:
        return self.path.with_suffix(LOCK_SUFFIX)

    def discard(self) -> None:
        """Delete the autosave and its lock file (after it was recovered, or to throw it away);
        nothing happens if a live session holds it after all."""
        if _owner_alive(self.lock_path):
            return
        _remove(self.path)
        _remove(self.lock_path)
        for tmp in self.path.parent.glob(f".{self.path.name}.*.tmp"):  # a crash mid-write
            _remove(tmp)


def find_recoverable(folder: str | os.PathLike) -> list[Recoverable]:
    """The autosaves in ``folder`` whose sessions died without closing, newest first. Live
    sessions (this one included) are never listed. Lock files of dead sessions that never
    autosaved are deleted on the way. A missing folder has nothing to recover."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found: list[Recoverable] = []
    for path in folder.glob(f"{PREFIX}*{WORKSPACE_SUFFIX}"):
        if not _owner_alive(path.with_suffix(LOCK_SUFFIX)):
            try:
                found.append(Recoverable(path, path.stat().st_mtime))
            except OSError:  # deleted meanwhile
                continue
    for lock in folder.glob(f"{PREFIX}*{LOCK_SUFFIX}"):
        if not lock.with_suffix(WORKSPACE_SUFFIX).exists():
            _remove_stale_lock(lock)
    return sorted(found, key=lambda r: r.modified, reverse=True)


def _remove_stale_lock(lock: Path) -> None:
    """Delete a lock file nobody holds. An empty one may be a session starting up (it
    writes its pid only once it holds the lock), so it stays."""
    try:
        fd = os.open(lock, _OPEN_FLAGS)
    except OSError:
        return
    stale = False
    try:
        if _lock(fd, wait=False):
            stale = os.fstat(fd).st_size > 0
            if stale and LOCKS.deletes_open_files:
                _remove(lock)  # while holding the lock, so no session can be starting on it
            _unlock(fd)
    finally:
        os.close(fd)
    if stale and not LOCKS.deletes_open_files:  # Windows: once closed
        _remove(lock)

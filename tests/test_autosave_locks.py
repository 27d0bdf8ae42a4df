"""The autosave lock's two branches, both on this machine: POSIX ``flock`` for real, and
Windows' ``msvcrt.locking`` through a stand-in ``msvcrt`` that behaves as Windows does.

What the stand-in copies from Windows (the CRT's ``_locking`` over ``LockFile``):
- a lock covers ``nbytes`` from the handle's file position, and is held by that handle: a
  second handle on the same file cannot lock the region (``LK_NBLCK`` raises at once,
  ``LK_LOCK`` after ~10 tries), nor can the same handle lock it twice;
- ``LK_UNLCK`` of a region this handle does not hold raises;
- closing the handle drops its locks (so does the process ending);
- a file cannot be deleted while any handle has it open (``PermissionError``).
Each session is a separate open file here, as separate processes would be; a crash is the
session's descriptor closed without the clean-exit deletions.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

import pytest

from playground.io import autosave
from playground.io.autosave import AutosaveSlot, Recoverable, find_recoverable


class FakeMsvcrt:
    """The part of Windows' ``msvcrt`` the lock uses, with Windows' semantics (above)."""

    LK_UNLCK, LK_LOCK, LK_NBLCK, LK_RLCK, LK_NBRLCK = 0, 1, 2, 3, 4

    def __init__(self) -> None:
        self.held: dict[tuple[int, int, int, int], int] = {}  # (dev, ino, pos, n) -> fd
        self.calls: list[tuple[int, int, int]] = []            # (mode, position, nbytes)

    @staticmethod
    def _file(fd: int) -> tuple[int, int]:
        st = os.fstat(fd)
        return st.st_dev, st.st_ino

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        pos = os.lseek(fd, 0, os.SEEK_CUR)
        self.calls.append((mode, pos, nbytes))
        region = (*self._file(fd), pos, nbytes)
        if mode == self.LK_UNLCK:
            if self.held.get(region) != fd:
                raise PermissionError(errno.EACCES, "Permission denied")
            del self.held[region]
        elif mode in (self.LK_LOCK, self.LK_NBLCK):
            if region in self.held:   # another handle's, or this one's already
                if mode == self.LK_LOCK:
                    raise OSError(errno.EDEADLK, "Resource deadlock avoided")
                raise PermissionError(errno.EACCES, "Permission denied")
            self.held[region] = fd
        else:
            raise ValueError(f"mode {mode} is not used by the autosave lock")

    def closed(self, fd: int) -> None:
        """The handle is gone: Windows drops its locks."""
        for region in [r for r, owner in self.held.items() if owner == fd]:
            del self.held[region]


def _open_handles(path: Path) -> list[int]:
    """This process's descriptors open on ``path``'s file."""
    st = path.stat()
    fds = []
    for name in os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"):
        try:
            s = os.fstat(int(name))
        except (OSError, ValueError):
            continue
        if (s.st_dev, s.st_ino) == (st.st_dev, st.st_ino):
            fds.append(int(name))
    return fds


@pytest.fixture(params=["posix", "windows"])
def locks(request, monkeypatch):
    """Every lock in playground.io.autosave goes through ``autosave.LOCKS``: the real flock,
    or MsvcrtLocks over FakeMsvcrt with Windows' close and delete rules in force."""
    if request.param == "posix":
        if os.name == "nt":
            pytest.skip("flock is POSIX")
        backend = autosave.FlockLocks()
    else:
        fake = FakeMsvcrt()
        backend = autosave.MsvcrtLocks(fake)
        real_close, real_unlink = os.close, Path.unlink

        def close(fd: int) -> None:
            real_close(fd)
            fake.closed(fd)

        def unlink(self: Path, missing_ok: bool = False) -> None:
            if self.exists() and _open_handles(self):
                raise PermissionError(errno.EACCES, "The process cannot access the file "
                                      "because it is being used by another process", str(self))
            real_unlink(self, missing_ok)

        monkeypatch.setattr(os, "close", close)
        monkeypatch.setattr(Path, "unlink", unlink)
    monkeypatch.setattr(autosave, "LOCKS", backend)
    return backend


def crash(slot: AutosaveSlot) -> None:
    """The session dies: its lock file's handle closes, nothing is deleted."""
    os.close(slot._fd)
    slot._fd = None


def test_the_system_picks_its_lock_kind(monkeypatch):
    monkeypatch.setitem(sys.modules, "msvcrt", FakeMsvcrt())
    assert isinstance(autosave.system_locks("nt"), autosave.MsvcrtLocks)
    if os.name != "nt":
        assert isinstance(autosave.system_locks("posix"), autosave.FlockLocks)
    assert isinstance(autosave.LOCKS, autosave.MsvcrtLocks if os.name == "nt"
                      else autosave.FlockLocks)


def test_a_held_lock_refuses_another_open_file_until_released(locks, tmp_path):
    path = tmp_path / "x.lock"
    path.write_bytes(b"{}")
    a, b = os.open(path, os.O_RDWR), os.open(path, os.O_RDWR)
    try:
        assert autosave._lock(a, wait=False)
        assert not autosave._lock(b, wait=False)
        if isinstance(locks, autosave.MsvcrtLocks):   # gives up after ~10 s (flock blocks:
            assert not autosave._lock(b, wait=True)   # a session only waits on a new file)
        autosave._unlock(a)
        assert autosave._lock(b, wait=False)
        autosave._unlock(b)
    finally:
        os.close(a)
        os.close(b)


def test_a_live_session_is_alive_never_offered_and_leaves_nothing(locks, tmp_path):
    slot = AutosaveSlot(tmp_path)
    slot.write(b"workspace bytes")
    assert slot.lock_path.read_bytes().startswith(b'{"pid"')   # written through the lock
    assert autosave._owner_alive(slot.lock_path)
    assert find_recoverable(tmp_path) == []
    Recoverable(slot.path, 0.0).discard()          # spared: its owner is alive
    assert slot.path.exists() and slot.lock_path.exists()
    slot.close()
    assert list(tmp_path.iterdir()) == []          # both deleted, on Windows once closed


def test_a_crashed_session_is_offered_then_discarded(locks, tmp_path):
    live, dead = AutosaveSlot(tmp_path), AutosaveSlot(tmp_path)
    live.write(b"live")
    dead.write(b"dead")
    crash(dead)
    found = find_recoverable(tmp_path)
    assert [f.path for f in found] == [dead.path]
    assert not autosave._owner_alive(dead.lock_path)
    found[0].discard()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [live.path.name, live.lock_path.name])
    live.close()
    assert list(tmp_path.iterdir()) == []


def test_a_dead_sessions_lock_is_cleared_and_a_starting_one_is_not(locks, tmp_path):
    dead = AutosaveSlot(tmp_path)                  # died before its first autosave
    crash(dead)
    starting = tmp_path / f"{autosave.PREFIX}1-00000000{autosave.LOCK_SUFFIX}"
    starting.touch()                               # created, pid not written yet
    assert find_recoverable(tmp_path) == []
    assert not dead.lock_path.exists() and starting.exists()


@pytest.mark.parametrize("locks", ["windows"], indirect=True)
def test_the_windows_lock_is_one_byte_at_the_start_of_the_file(locks, tmp_path):
    fake = locks.msvcrt
    slot = AutosaveSlot(tmp_path)
    os.lseek(slot._fd, 0, os.SEEK_END)             # wherever the handle's position is
    slot.close()
    assert fake.calls[0] == (fake.LK_LOCK, 0, 1)   # the new session waits for its lock
    assert fake.calls[-1] == (fake.LK_UNLCK, 0, 1)
    assert fake.held == {}

"""Autosave and crash recovery: live sessions are never offered, crashed ones are."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from conftest import run_config
from playground.engine.trainer import Trainer
from playground.errors import WorkspaceError
from playground.io.autosave import (
    AutosaveSlot, Recoverable, autosave_folder, find_recoverable,
)
from playground.io.workspace import encode_workspace, load_workspace

ROOT = Path(__file__).resolve().parent.parent


def small_trainer() -> Trainer:
    t = Trainer(run_config([{"type": "dense", "units": 4, "activation": "relu"}],
                           source="circle", data={"samples": 40}, batch_size=8))
    t.run_epochs(2)
    t.run_steps(1)
    return t


def crashed_session(folder: Path, data: bytes | None) -> None:
    """A real process that opens a slot, autosaves ``data`` (unless None) and dies without
    closing, as a crash would."""
    src = folder.parent / "payload.bin"
    if data is not None:
        src.write_bytes(data)
    code = textwrap.dedent(f"""
        import os, sys
        from playground.io.autosave import AutosaveSlot
        slot = AutosaveSlot({str(folder)!r})
        if {data is not None}:
            slot.write(open({str(src)!r}, "rb").read())
        os._exit(3)
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60,
                          capture_output=True, text=True)
    assert proc.returncode == 3, proc.stderr


def test_autosave_folder_is_created(tmp_path):
    folder = autosave_folder(tmp_path / "AppData" / "playground")
    assert folder == tmp_path / "AppData" / "playground" / "autosave" and folder.is_dir()
    assert autosave_folder(tmp_path / "AppData" / "playground") == folder  # exists: fine


def test_a_live_session_is_never_offered_and_a_clean_exit_leaves_nothing(tmp_path):
    t = small_trainer()
    with AutosaveSlot(tmp_path) as slot:
        assert slot.lock_path.exists() and not slot.path.exists()
        slot.save(t, ui={"grid": [0, 1]})
        assert slot.path.exists()
        assert find_recoverable(tmp_path) == []
        resumed = load_workspace(slot.path)  # an autosave is an ordinary workspace
        assert resumed.ui == {"grid": [0, 1]} and resumed.trainer.steps == t.steps
        slot.write(encode_workspace(t))  # or: encode where the trainer lives, write anywhere
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(WorkspaceError, match="closed"):
        slot.save(t)
    slot.close()  # twice is fine


def test_two_sessions_get_their_own_files(tmp_path):
    with AutosaveSlot(tmp_path) as a, AutosaveSlot(tmp_path) as b:
        assert a.path != b.path and a.lock_path != b.lock_path
        assert str(os.getpid()) in a.path.name


def test_a_crashed_session_is_recoverable_exactly(tmp_path):
    folder = tmp_path / "autosave"
    t = small_trainer()
    crashed_session(folder, encode_workspace(t, ui={"view": "loss"}))
    with AutosaveSlot(folder) as mine:  # the new session starts before looking
        mine.save(t)
        found = find_recoverable(folder)
        assert len(found) == 1 and isinstance(found[0], Recoverable)
        assert found[0].path != mine.path and found[0].lock_path.exists()
        workspace = load_workspace(found[0].path)
        assert workspace.ui == {"view": "loss"}
        resumed = workspace.trainer
        t.run_epochs(2)
        resumed.run_epochs(2)
        for key, value in t.state_dict().items():
            assert np.array_equal(resumed.state_dict()[key], value), key
        found[0].discard()
        assert find_recoverable(folder) == []
        assert sorted(p.name for p in folder.iterdir()) == sorted([mine.path.name,
                                                                   mine.lock_path.name])


def test_newest_first_and_stale_locks_cleared(tmp_path):
    data = encode_workspace(small_trainer())
    crashed_session(tmp_path / "a", data)
    folder = tmp_path / "a"
    crashed_session(folder, data)
    crashed_session(folder, None)  # died before its first autosave: only a lock file left
    paths = sorted(folder.glob("*.playground"))
    os.utime(paths[0], (1_000_000, 1_000_000))
    os.utime(paths[1], (2_000_000, 2_000_000))
    found = find_recoverable(folder)
    assert [r.path for r in found] == [paths[1], paths[0]]
    assert [r.modified for r in found] == [2_000_000, 1_000_000]
    assert len(list(folder.glob("*.lock"))) == 2  # the lock without an autosave is gone


def test_an_empty_lock_file_may_be_a_session_starting_and_stays(tmp_path):
    (tmp_path / "autosave-1-abcd.lock").touch()
    assert find_recoverable(tmp_path) == []
    assert (tmp_path / "autosave-1-abcd.lock").exists()


def test_an_autosave_without_a_lock_file_is_recoverable(tmp_path):
    (tmp_path / "autosave-7-beef.playground").write_bytes(encode_workspace(small_trainer()))
    (tmp_path / ".autosave-7-beef.playground.x1y2.tmp").write_bytes(b"half")  # crash mid-write
    found = find_recoverable(tmp_path)
    assert [r.path.name for r in found] == ["autosave-7-beef.playground"]
    found[0].discard()
    assert list(tmp_path.iterdir()) == []


def test_discard_spares_a_live_session(tmp_path):
    with AutosaveSlot(tmp_path) as slot:
        slot.write(b"x")
        Recoverable(slot.path, 0.0).discard()
        assert slot.path.exists()


def test_nothing_to_recover_in_a_missing_folder(tmp_path):
    assert find_recoverable(tmp_path / "none") == []


def test_an_unusable_folder_is_one_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(WorkspaceError, match="cannot use the autosave folder"):
        AutosaveSlot(blocker / "autosave")

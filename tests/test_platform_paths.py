"""Path handling that must hold on Windows and macOS too, checked here by giving this
machine their rules: no ``os.fchmod`` (Windows before Python 3.13), a rename that refuses an
existing target (Windows), folder names that differ only in case being one folder (the
default file systems of Windows and macOS). docs/install.md's "Platforms" says what is and
is not tested there."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from playground.config import RunConfig
from playground.io.atomic import atomic_write_bytes, atomic_write_text
from playground.runs.sweep import grid

ROOT = Path(__file__).resolve().parents[1]


def test_atomic_writes_work_without_fchmod(tmp_path, monkeypatch):
    """Windows' os module has no fchmod before Python 3.13: every save went through it."""
    monkeypatch.delattr(os, "fchmod", raising=False)
    target = tmp_path / "run.json"
    atomic_write_text(target, "{}")
    atomic_write_bytes(target, b"[1]")
    assert target.read_bytes() == b"[1]"
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]   # no temporary left


def test_atomic_writes_replace_an_existing_file_under_windows_rename_rules(tmp_path,
                                                                          monkeypatch):
    """os.rename onto an existing file raises FileExistsError on Windows; os.replace does
    not. With rename given Windows' rule, saving over a file still works."""
    real_rename = os.rename

    def windows_rename(src, dst, *args, **kwargs):
        if os.path.exists(dst):
            raise FileExistsError(183, "Cannot create a file when that file already exists",
                                  str(dst))
        return real_rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "rename", windows_rename)
    target = tmp_path / "weights.json"
    target.write_text("old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"


#: renames known to be onto a name that does not exist (Windows allows those)
RENAMES_ONTO_NOTHING = {
    "playground/runs/sweep.py": "os.rename(tmp, out)",   # out removed (empty) just before
}


def test_no_module_renames_a_file_over_another_with_os_rename():
    """Every save is os.replace (atomic_write_bytes): os.rename and Path.rename fail on
    Windows when the target exists."""
    offenders = []
    for path in (ROOT / "playground").rglob("*.py"):
        where = path.relative_to(ROOT).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0].strip()
            if re.search(r"\bos\.rename\(|\.rename\((?!run_id)", code) \
                    and RENAMES_ONTO_NOTHING.get(where) != code:
                offenders.append(f"{where}:{n}: {code}")
    assert not offenders, offenders


def test_sweep_folders_differ_in_more_than_case(tmp_path):
    """Values that differ only in case (two CSV columns ``A`` and ``a`` as targets) would be
    one folder on Windows and macOS: the second run's files would overwrite the first's."""
    config = RunConfig.from_dict({
        "format": 1, "data": {"source": "csv", "path": "t.csv"},
        "model": {"type": "mlp", "layers": []}})
    names = [name for name, _ in grid(config, [("data.target", ["A", "a", "b"])], seeds=2)]
    assert len({n.casefold() for n in names}) == len(names) == 6, names
    assert names[:2] == ["target=A_seed=0", "target=A_seed=1"]   # the first keeps its name


@pytest.mark.parametrize("name", ["run.json", "Run.JSON"])
def test_extensions_are_recognised_whatever_their_case(name):
    """Windows and macOS users see RUN.JSON and run.json as one file; so do the readers."""
    from playground.io.workspace import is_workspace_path
    assert not is_workspace_path(name)
    assert is_workspace_path(name.replace("json", "playground").replace("JSON", "PLAYGROUND"))


def test_the_folder_names_a_sweep_makes_are_valid_on_windows():
    """Windows refuses <>:"/\\|?* in a name, and a name ending in a dot or a space."""
    from playground.runs.sweep import run_name
    nasty = ["C:\\data\\t.csv", 'a<b>c"d', "x|y?z*", "ends with dot.", "ends ", "..", 1e-5]
    for i, value in enumerate(nasty):
        name = run_name(["path"], [value], 0, i, set())
        assert not re.search(r'[<>:"/\\|?*\x00-\x1f]', name) and name[-1] not in ". ", name


def test_an_export_over_the_config_under_another_name_is_refused(tmp_path, capsys):
    """On a case-insensitive file system (macOS, Windows) RUN.json is run.json: the output
    check compares files, not spellings. A hard link is the same file under another name
    here, as RUN.json is there."""
    import json
    import os

    from playground import cli
    config = tmp_path / "run.json"
    config.write_text(json.dumps({"format": 1, "data": {"source": "xor", "samples": 40},
                                  "train": {"epochs": 1}}))
    other = tmp_path / "RUN.json"
    os.link(config, other)
    before = config.read_bytes()
    status = cli.main(["train", str(config), "--export", str(other)])
    err = capsys.readouterr().err
    assert status == 2 and "would overwrite the config file" in err, err
    assert config.read_bytes() == before

"""House rules that hold for the whole tree: no Qt below the UI, no pickle on user files."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contract_holds():
    exe = shutil.which("lint-imports")
    cmd = [exe] if exe else [sys.executable, "-m", "importlinter.cli"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 1 kept, 0 broken" in proc.stdout


def test_engine_and_data_import_without_qt():
    code = ("import sys, playground.engine.trainer, playground.data, playground.cli, "
            "playground.io.weights; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_nothing_unpickles():
    pattern = re.compile(r"allow_pickle\s*=\s*True|pickle\.loads?\(|torch\.load\(")
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "playground").rglob("*.py")
                 if pattern.search(p.read_text())]
    assert offenders == []

"""House rules that hold for the whole tree: no Qt below the UI, no pickle on user files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


#: lint-imports run by this interpreter, whatever is on PATH: the console script is
#: ``importlinter.cli:lint_imports_command`` (a click command); ``python -m importlinter.cli``
#: has no ``__main__`` block, so it prints nothing and exits 0. --no-cache: a stale graph
#: cache can never hide a new import (the check takes well under a second anyway).
LINT_IMPORTS = ("from importlinter.cli import lint_imports_command; "
                "lint_imports_command(['--no-cache'], prog_name='lint-imports')")


def test_import_linter_contract_holds():
    proc = subprocess.run([sys.executable, "-c", LINT_IMPORTS], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 2 kept, 0 broken" in proc.stdout, proc.stdout + proc.stderr


def test_engine_and_data_import_without_qt():
    code = ("import sys, playground.engine.trainer, playground.data, playground.cli, "
            "playground.io.weights, playground.runs.sweep, playground.runs.plot, "
            "playground.runs.worker, playground.sweep_cli; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_window_and_the_numpy_backend_never_import_numba():
    # importing Numba costs a third of a second of the app's start; the window trains on
    # NumPy until the warm-up (which imports it) has compiled the kernels (a perceptron has
    # one backend, its kernel, compiled on first use)
    code = ("import sys, numpy as np, playground.ui.main_window, playground.cli; "
            "from playground.open_files import build_run; "
            "from playground.ui.config_model import DEFAULT_CONFIG; "
            "runs = [build_run(DEFAULT_CONFIG)]; "
            "[r.trainer.use_backend('numpy') for r in runs]; "
            "[r.trainer.step_epoch() for r in runs]; "
            "[r.trainer.predict(r.trainer.x_train) for r in runs]; "
            "loaded = [m for m in sys.modules if m.split('.')[0] in ('numba', 'llvmlite')]; "
            "print(loaded[:5]); sys.exit(1 if loaded else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_nothing_unpickles():
    pattern = re.compile(r"allow_pickle\s*=\s*True|pickle\.loads?\(|torch\.load\(")
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "playground").rglob("*.py")
                 if pattern.search(p.read_text())]
    assert offenders == []

"""The package as a user installs it: a wheel (not the source tree), in a fresh virtual
environment, run from an empty folder, trains a bundled example; its examples are inside."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run(*args, cwd=None, timeout=600):
    out = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                         timeout=timeout, env={**os.environ, "PYTHONPATH": ""})
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return out.stdout


def test_a_wheel_installed_in_a_fresh_venv_trains_a_bundled_example(tmp_path):
    run(sys.executable, "-m", "pip", "wheel", REPO, "--no-deps", "-q", "-w", tmp_path / "dist")
    wheel, = (tmp_path / "dist").glob("playground-*.whl")
    venv = tmp_path / "venv"
    # the dependencies come from this interpreter's site-packages; playground from the wheel
    run(sys.executable, "-m", "venv", "--system-site-packages", venv)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    run(python, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", wheel)
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    where = run(python, "-c", "import playground, sys; print(playground.__file__)", cwd=empty)
    assert str(venv) in where and str(REPO) not in where
    example = run(python, "-c", "from importlib import resources; "
                  "print(resources.files('playground.examples') / 'xor.json')", cwd=empty)
    assert str(venv) in example
    out = run(bindir / "playground", "train", example.strip(), "--epochs", "5", "--quiet",
              cwd=empty)
    assert out.startswith("epochs: 5") and "accuracy" in out

"""The package as a user installs it: a wheel (not the source tree), in a fresh virtual
environment, run from an empty folder: it trains a bundled example, lists and checks the
bundled lessons (their CSV data included), and finds its icon and desktop entry, all from
inside the installed package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARE = ("playground.png", "playground.svg", "playground.desktop")


def run(*args, cwd=None, timeout=600, env=None):
    out = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                         timeout=timeout, env={**os.environ, "PYTHONPATH": "", **(env or {})})
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return out.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(wheel, venv bin folder, an empty folder outside the repository)."""
    tmp_path = tmp_path_factory.mktemp("wheel")
    # built from a copy of what the wheel is made of: a build/ folder left in the repository
    # by an earlier build would otherwise lend the wheel files its package-data has lost
    source = tmp_path / "source"
    shutil.copytree(REPO / "playground", source / "playground",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", source, "--no-deps", "-q", "-w", tmp_path / "dist")
    wheel, = (tmp_path / "dist").glob("playground-*.whl")
    venv = tmp_path / "venv"
    # the dependencies come from this interpreter's site-packages; playground from the wheel
    run(sys.executable, "-m", "venv", "--system-site-packages", venv)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    run(bindir / "python", "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", wheel)
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    return wheel, bindir, empty


def test_the_wheel_carries_the_presets_lessons_and_desktop_files(installed):
    wheel, _, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    for source, package in ((REPO / "playground" / "examples", "playground/examples"),
                            (REPO / "playground" / "lessons" / "data", "playground/lessons/data"),
                            (REPO / "playground" / "share", "playground/share")):
        for path in source.iterdir():
            if path.suffix in (".json", ".csv", ".png", ".svg", ".desktop", ".py"):
                assert f"{package}/{path.name}" in names, path
    for name in SHARE:
        assert f"playground/share/{name}" in names


def test_a_wheel_installed_in_a_fresh_venv_trains_a_bundled_example(installed):
    _, bindir, empty = installed
    python = bindir / "python"
    where = run(python, "-c", "import playground, sys; print(playground.__file__)", cwd=empty)
    venv = bindir.parent
    assert str(venv) in where and str(REPO) not in where
    example = run(python, "-c", "from importlib import resources; "
                  "print(resources.files('playground.examples') / 'xor.json')", cwd=empty)
    assert str(venv) in example
    out = run(bindir / "playground", "train", example.strip(), "--epochs", "5", "--quiet",
              cwd=empty)
    assert out.startswith("epochs: 5") and "accuracy" in out


def test_the_installed_command_lists_and_checks_the_bundled_lessons(installed):
    _, bindir, empty = installed
    listed = run(bindir / "playground", "lesson", "list", cwd=empty)
    assert len(listed.splitlines()) == len(list((REPO / "playground" / "lessons" / "data")
                                                .glob("*.json")))
    assert listed.startswith("perceptron ")
    # the perceptron lesson trains on and.csv and or.csv: package data read from the venv
    out = run(bindir / "playground", "lesson", "check", "perceptron", cwd=empty)
    assert "perceptron: all 10 claims hold" in out


def test_the_installed_package_finds_its_icon_and_desktop_entry(installed):
    """docs/install.md's one-liner prints paths inside the venv; the app's icon loads."""
    _, bindir, empty = installed
    python = bindir / "python"
    printed = run(python, "-c", "from importlib.resources import files; "
                  "print(files('playground.share') / 'playground.desktop')", cwd=empty).strip()
    assert str(bindir.parent) in printed and Path(printed).is_file()
    assert "Exec=playground %f" in Path(printed).read_text(encoding="utf-8")
    icon = run(python, "-c", "from PySide6.QtWidgets import QApplication; "
               "app = QApplication([]); from playground.ui.app import set_identity; "
               "set_identity(app); print(app.windowIcon().availableSizes()[0].width())",
               cwd=empty, env={"QT_QPA_PLATFORM": "offscreen"})
    assert icon.strip().splitlines()[-1] == "256"

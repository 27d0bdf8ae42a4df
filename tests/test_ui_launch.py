"""The app as a new user launches it: the `playground` entry point, controls found by their
labels, Step advances the epoch, Play trains live while the window stays responsive."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")


def test_the_console_script_is_installed():
    exe = shutil.which("playground")
    assert exe, "pip install -e . puts `playground` on PATH"
    out = subprocess.run([exe, "train", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "--export" in out.stdout


def test_launch_step_and_play_through_run_app(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen",
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data")}
    driver = Path(__file__).with_name("launch_driver.py")
    out = subprocess.run([sys.executable, str(driver), str(tmp_path / "shot.png")], env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert "error" not in found, found
    assert found["exit_code"] == 0 and not found["missing"]
    assert found["stepped"] and found["playing"] and found["engine_ready"]
    assert found["epoch"] > 20, found
    assert found["curve_points"] > 10 and found["regions"]
    assert found["views"] == ["Decision regions", "Loss curves", "Network diagram"], found
    assert found["diagram_units"] >= 6  # TF Playground's opening network: 4 + 2 units, 1 out
    assert "train loss" in found["status"] and "accuracy" in found["status"]
    assert found["max_gap"] < 1.0, f"the window froze for {found['max_gap']:.2f} s"
    assert (tmp_path / "shot.png").stat().st_size > 10_000
    autosaves = tmp_path / "data"
    leftovers = [p for p in autosaves.rglob("autosave-*")] if autosaves.exists() else []
    assert not leftovers, "a clean quit leaves no autosave behind"

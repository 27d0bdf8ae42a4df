"""Before Qt loads: a missing X library or no display is said in one line with the install
command, instead of Qt's abort."""

from __future__ import annotations

import subprocess
import sys

from playground import display_check as dc

X = {"DISPLAY": ":0"}


def test_nothing_in_the_way_when_every_library_loads():
    assert dc.problem(X, "linux", loads=lambda name: True) is None


def test_the_missing_libraries_are_named_with_both_install_commands():
    absent = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-shape.so.0"}
    line = dc.problem(X, "linux", loads=lambda name: name not in absent)
    assert "\n" not in line
    for soname in absent:
        assert soname in line
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 (Debian" in line
    assert "sudo dnf install xcb-util-wm xcb-util-keysyms libxcb (Fedora)" in line


def test_no_display_is_said_and_the_headless_commands_offered():
    line = dc.problem({}, "linux", loads=lambda name: True)
    assert "DISPLAY is not set" in line and "playground train" in line


def test_other_platforms_and_plugins_are_left_to_qt():
    missing = lambda name: False  # noqa: E731
    assert dc.problem(X, "darwin", loads=missing) is None
    assert dc.problem(X, "win32", loads=missing) is None
    assert dc.problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", loads=missing) is None
    assert dc.problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux", loads=missing) is None
    assert dc.problem({"QT_QPA_PLATFORM": "xcb;wayland", **X}, "linux", loads=missing)


def test_every_soname_is_one_the_xcb_plugin_could_link():
    assert all(name.startswith("lib") and ".so." in name for name in dc.XCB_LIBRARIES)


def test_the_app_command_exits_with_the_line_instead_of_an_abort():
    env = {"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "xcb"}      # no DISPLAY
    out = subprocess.run([sys.executable, "-m", "playground"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "DISPLAY is not set" in out.stderr

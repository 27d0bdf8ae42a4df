"""Before Qt loads: a missing X library or no display is said in one line with the install
command, instead of Qt's abort."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from playground import display_check as dc

X = {"DISPLAY": ":0"}


def problem(env, platform="linux", loads=lambda name: True, connects=lambda display: True):
    return dc.problem(env, platform, loads=loads, connects=connects)


def test_nothing_in_the_way_when_every_library_loads():
    assert problem(X) is None


def test_the_missing_libraries_are_named_with_both_install_commands():
    absent = {"libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-shape.so.0"}
    line = problem(X, loads=lambda name: name not in absent)
    assert "\n" not in line
    for soname in absent:
        assert soname in line
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 (Debian" in line
    assert "sudo dnf install xcb-util-wm xcb-util-keysyms libxcb (Fedora)" in line


def test_qts_own_libraries_are_named_whatever_the_plugin():
    """A container without OpenGL or fontconfig cannot even import QtGui: said with the
    packages, for offscreen too; the X libraries only matter to xcb."""
    absent = {"libGL.so.1", "libfontconfig.so.1", "libxcb-cursor.so.0"}
    line = problem({"QT_QPA_PLATFORM": "offscreen"}, loads=lambda name: name not in absent)
    assert "libGL.so.1, libfontconfig.so.1)" in line and "libxcb-cursor" not in line
    assert "apt-get install libgl1 libfontconfig1 (Debian" in line
    assert "dnf install mesa-libGL fontconfig (Fedora)" in line
    line = problem(X, loads=lambda name: name not in absent)
    assert "apt-get install libgl1 libfontconfig1 libxcb-cursor0 (Debian" in line


def test_no_display_is_said_and_the_headless_commands_offered():
    line = problem({})
    assert "DISPLAY is not set" in line and "playground train" in line


def test_a_display_nobody_serves_is_said_before_qt_aborts_on_it():
    asked = []
    line = problem({"DISPLAY": ":99"}, connects=lambda d: asked.append(d) or False)
    assert asked == [":99"] and "\n" not in line
    assert "cannot open the display ':99'" in line and "playground train" in line
    asked.clear()   # missing libraries come first: no connection is tried without them
    assert "libxcb.so.1" in problem(X, loads=lambda n: n != "libxcb.so.1",
                                    connects=lambda d: asked.append(d) or False)
    assert asked == []


def test_libxcb_really_refuses_a_display_nobody_serves():
    if not sys.platform.startswith("linux") or not dc._loads("libxcb.so.1"):
        pytest.skip("needs libxcb")
    assert dc._connects(":987") is False


def test_other_platforms_and_plugins_are_left_to_qt():
    missing = lambda name: False  # noqa: E731
    assert problem(X, "darwin", loads=missing) is None
    assert problem(X, "win32", loads=missing) is None
    xcb_missing = lambda name: name not in dc.XCB_LIBRARIES  # noqa: E731
    assert problem({"QT_QPA_PLATFORM": "offscreen"}, loads=xcb_missing) is None
    assert problem({"WAYLAND_DISPLAY": "wayland-0"}, loads=xcb_missing) is None
    assert problem({"WAYLAND_DISPLAY": "wayland-0"}, connects=lambda d: False) is None
    assert problem({"QT_QPA_PLATFORM": "xcb;wayland", **X}, loads=xcb_missing)


def test_every_soname_is_one_the_xcb_plugin_could_link():
    known = {**dc.QT_LIBRARIES, **dc.XCB_LIBRARIES}
    assert all(name.startswith("lib") and ".so." in name for name in known)
    assert all(debian and fedora for debian, fedora in known.values())


#: what every Linux has (glibc, the C++ runtime, zlib, zstd: apt and dnf need them)
BASE = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
        "libgcc_s.so.1", "libstdc++.so.6", "libz.so.1", "libzstd.so.1"}


def _needed(path: Path) -> list[str]:
    out = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True,
                         timeout=60).stdout
    return re.findall(r"NEEDED\s+(\S+)", out)


def test_the_lists_cover_every_system_library_the_installed_qt_links():
    """Follow DT_NEEDED from the modules the app imports and the xcb plugin through the
    libraries PySide6 bundles: every one it leaves to the system is checked (a new PySide6
    that links one more would otherwise abort where the check said nothing)."""
    if not sys.platform.startswith("linux") or shutil.which("objdump") is None:
        pytest.skip("needs Linux and objdump")
    import PySide6
    root = Path(PySide6.__file__).parent
    bundled = {p.name: p for folder in (root, root / "Qt" / "lib", root.parent / "shiboken6")
               if folder.is_dir() for p in folder.iterdir()}
    queue = [root / f"{m}.abi3.so" for m in ("QtCore", "QtGui", "QtWidgets", "QtSvg",
                                             "QtOpenGL", "QtOpenGLWidgets")]
    queue.append(root / "Qt" / "plugins" / "platforms" / "libqxcb.so")
    seen, system = set(), set()
    while queue:
        path = queue.pop()
        if path in seen or not path.exists():
            continue
        seen.add(path)
        for name in _needed(path):
            if name in bundled:
                queue.append(bundled[name])
            elif not name.startswith("ld-linux"):
                system.add(name)
    assert seen and system
    assert system - BASE <= set(dc.QT_LIBRARIES) | set(dc.XCB_LIBRARIES)


@pytest.mark.parametrize("env, said", [
    ({}, ("DISPLAY is not set",)),
    # on a system that lacks X libraries, those are said first
    ({"DISPLAY": ":987"}, ("cannot open the display ':987'", "libraries that are missing")),
], ids=["no DISPLAY", "no X server"])
def test_the_app_command_exits_with_the_line_instead_of_an_abort(env, said):
    env = {"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "xcb", **env}
    out = subprocess.run([sys.executable, "-m", "playground"], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1, out.stderr          # not Qt's abort (-6)
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("playground: ")
    assert any(text in out.stderr for text in said), out.stderr

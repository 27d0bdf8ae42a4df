"""Can a Qt window open here? Asked before Qt is loaded, because Qt's answer is an abort.

On Linux, Qt's libraries link system libraries that a minimal system lacks (OpenGL, EGL,
fontconfig, GLib, D-Bus), and its xcb platform plugin a dozen X libraries more. When one is
missing, importing Qt fails naming one library, or Qt prints "Could not load the Qt platform
plugin" naming at most the first one and aborts the interpreter; with no display, or a display
nobody serves, it aborts the same way. This module looks first: it loads each library with
``dlopen`` by soname, as the dynamic loader would, and connects to the X server with libxcb,
and says in one line which packages to install (Debian/Ubuntu and Fedora names), or what is
wrong with the display. It imports nothing of Qt.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

#: soname -> (Debian/Ubuntu package, Fedora package): what PySide6's QtCore, QtGui and
#: QtWidgets link beyond what the wheel bundles and every system has (libc, libstdc++, zlib),
#: whatever the platform plugin (``objdump -p PySide6/Qt/lib/libQt6Gui.so.6``)
QT_LIBRARIES: dict[str, tuple[str, str]] = {
    "libGL.so.1": ("libgl1", "mesa-libGL"),
    "libEGL.so.1": ("libegl1", "mesa-libEGL"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libX11.so.6": ("libx11-6", "libX11"),
}

#: soname -> (Debian/Ubuntu package, Fedora package): what Qt 6's xcb plugin links beyond
#: QT_LIBRARIES (``objdump -p PySide6/Qt/plugins/platforms/libqxcb.so``)
XCB_LIBRARIES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
}

HEADLESS = ("or use the headless commands (playground train, trace, sweep, lesson; see "
            "'playground --help')")


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def platform_of(env: Mapping[str, str]) -> str:
    """The platform plugin Qt will pick: QT_QPA_PLATFORM's first choice, else wayland in a
    Wayland session, else xcb."""
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    return "wayland" if env.get("WAYLAND_DISPLAY") else "xcb"


def _connects(display: str) -> bool:
    """Whether libxcb can open ``display`` (an X server answers and lets this user in), as
    Qt's xcb plugin will try; True when that cannot be told (no libxcb to ask)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return True
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.restype = ctypes.c_int
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.restype = None
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)   # never NULL: an error object
    try:
        return xcb.xcb_connection_has_error(connection) == 0
    finally:
        xcb.xcb_disconnect(connection)


def problem(env: Mapping[str, str] | None = None, platform: str = sys.platform,
            loads: Callable[[str], bool] = _loads,
            connects: Callable[[str], bool] = _connects) -> str | None:
    """One line saying why no window can open here, or None when nothing is in the way (or
    nothing can be told: other systems; other plugins than xcb need QT_LIBRARIES only).
    ``loads`` and ``connects`` stand for the system's loader and X server (tests)."""
    env = os.environ if env is None else env
    if not platform.startswith("linux"):
        return None
    xcb = platform_of(env) == "xcb"
    if xcb and not env.get("DISPLAY"):
        return ("no display to open the window on (DISPLAY is not set): run it in a "
                f"desktop session, {HEADLESS}")
    needed = {**QT_LIBRARIES, **(XCB_LIBRARIES if xcb else {})}
    missing = [name for name in needed if not loads(name)]
    if missing:
        debian = " ".join(dict.fromkeys(needed[m][0] for m in missing))
        fedora = " ".join(dict.fromkeys(needed[m][1] for m in missing))
        return (f"the Qt window needs system libraries that are missing ({', '.join(missing)}); "
                f"install them with: sudo apt-get install {debian} (Debian/Ubuntu) or "
                f"sudo dnf install {fedora} (Fedora)")
    if xcb and not connects(env["DISPLAY"]):
        return (f"cannot open the display {env['DISPLAY']!r} (DISPLAY): no X server answers "
                "there, or it does not let this user in (XAUTHORITY); run it in a desktop "
                f"session, {HEADLESS}")
    return None

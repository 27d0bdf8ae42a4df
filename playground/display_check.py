"""Can a Qt window open here? Asked before Qt is loaded, because Qt's answer is an abort.

On Linux, Qt's xcb platform plugin links a dozen X libraries that a minimal system lacks;
when one is missing Qt prints "Could not load the Qt platform plugin" naming at most the
first one and aborts the interpreter, and without any display it aborts the same way. This
module looks first, with ``dlopen`` by soname as the dynamic loader would, and says in one
line which packages to install (Debian/Ubuntu and Fedora names) or that there is no display.
It imports nothing of Qt.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping

#: soname -> (Debian/Ubuntu package, Fedora package): what Qt 6's xcb plugin links beyond
#: libX11 and libxcb themselves (``ldd PySide6/Qt/plugins/platforms/libqxcb.so``)
XCB_LIBRARIES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
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


def problem(env: Mapping[str, str] | None = None, platform: str = sys.platform,
            loads: Callable[[str], bool] = _loads) -> str | None:
    """One line saying why no window can open here, or None when nothing is in the way (or
    nothing can be told: other systems, other plugins)."""
    env = os.environ if env is None else env
    if not platform.startswith("linux") or platform_of(env) != "xcb":
        return None
    if not env.get("DISPLAY"):
        return ("no display to open the window on (DISPLAY is not set): run it in a desktop "
                "session, or use the headless commands (playground train, trace, sweep, "
                "lesson; see 'playground --help')")
    missing = [name for name in XCB_LIBRARIES if not loads(name)]
    if not missing:
        return None
    debian = " ".join(dict.fromkeys(XCB_LIBRARIES[m][0] for m in missing))
    fedora = " ".join(dict.fromkeys(XCB_LIBRARIES[m][1] for m in missing))
    return (f"the Qt window needs system libraries that are missing ({', '.join(missing)}); "
            f"install them with: sudo apt-get install {debian} (Debian/Ubuntu) or "
            f"sudo dnf install {fedora} (Fedora)")

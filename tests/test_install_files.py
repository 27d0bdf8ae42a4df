"""What a desktop needs from the package (playground/share): the icon, drawn as an SVG and
rendered to the shipped 256x256 PNG; the Linux menu entry; and ``run_app`` giving every window
that icon, the desktop entry's name, and its autosave folder (docs/install.md)."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARE = ROOT / "playground" / "share"


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str   # keys are case-sensitive
    parser.read(SHARE / "playground.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def test_the_desktop_entry_launches_the_command_with_the_icon():
    entry = desktop_entry()
    assert entry["Type"] == "Application" and entry["Name"] and entry["Comment"]
    assert entry["Exec"] == "playground %f"        # the console script, one file at most
    assert entry["Icon"] == "playground"           # hicolor/256x256/apps/playground.png
    assert entry["Terminal"] == "false"
    assert entry["Categories"].startswith("Education;Science;")
    assert entry["Categories"].endswith(";")
    # as the window reports itself (WM_CLASS on X11, checked by hand on Xvfb; Wayland's app
    # id is the desktop file name that set_identity gives)
    assert entry["StartupWMClass"] == "playground"


def test_the_resource_path_one_liner_of_docs_install_finds_the_files():
    from importlib.resources import files
    for name in ("playground.desktop", "playground.png", "playground.svg"):
        assert (files("playground.share") / name).is_file()
    text = (ROOT / "docs" / "install.md").read_text(encoding="utf-8")
    assert "files('playground.share')" in text
    assert "~/.local/share/applications" in text
    assert "~/.local/share/icons/hicolor/256x256/apps" in text


def test_the_png_is_the_svg_rendered_at_256(qapp):
    """tools/render_icon.py made the PNG from the SVG; after an edit of the SVG, run it."""
    from PySide6.QtGui import QImage
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import render_icon
    finally:
        sys.path.remove(str(ROOT / "tools"))
    shipped = QImage(str(SHARE / "playground.png"))
    assert (shipped.width(), shipped.height()) == (256, 256) and shipped.hasAlphaChannel()
    fresh = render_icon.render(SHARE / "playground.svg").convertToFormat(shipped.format())
    assert shipped.pixelColor(0, 0).alpha() == 0           # transparent corners
    assert shipped.pixelColor(128, 128).alpha() == 255
    differing = sum(1 for y in range(0, 256, 4) for x in range(0, 256, 4)
                    if _far(shipped.pixelColor(x, y), fresh.pixelColor(x, y)))
    assert differing <= 40, f"{differing} of 4096 sampled pixels differ: rerun render_icon.py"


def _far(a, b) -> bool:
    return max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.blue() - b.blue()),
               abs(a.alpha() - b.alpha())) > 24


DRIVER = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import playground.ui.main_window as main_window
from playground.ui.app import run_app

seen = {}

class Workspaces:
    def offer_recovery(self):
        pass

class StubWindow:          # run_app's contract with the window, and nothing else
    def __init__(self, autosave_dir=None):
        seen["autosave_dir"] = autosave_dir
        self.workspaces = Workspaces()
    def show(self):
        pass
    def open_path(self, path, done):
        pass
    def prepare_engine(self):
        QTimer.singleShot(0, QApplication.quit)

main_window.MainWindow = StubWindow
seen["exit"] = run_app()
app = QApplication.instance()
seen["icon"] = [s.width() for s in app.windowIcon().availableSizes()]
seen["desktop"] = app.desktopFileName()
seen["names"] = [app.organizationName(), app.applicationName()]
print(json.dumps(seen))
"""


def test_run_app_gives_the_windows_the_icon_the_entry_and_the_autosave_folder(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_DATA_HOME": str(tmp_path),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    out = subprocess.run([sys.executable, "-c", DRIVER], env=env, capture_output=True,
                         text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["exit"] == 0 and seen["icon"] == [256]
    assert seen["desktop"] == "playground" and seen["names"] == ["playground", "playground"]
    if sys.platform.startswith("linux"):
        assert seen["autosave_dir"] == str(tmp_path / "playground" / "playground")


def test_a_missing_icon_is_an_empty_icon_not_an_error(qapp, monkeypatch):
    from importlib import resources

    from playground.ui import app as app_module

    class Nowhere:
        def joinpath(self, name):
            return self

        def read_bytes(self):
            raise FileNotFoundError("playground.png")

    monkeypatch.setattr(resources, "files", lambda package: Nowhere())
    assert app_module.app_icon().isNull()


def test_the_svg_is_one_qt_draws(qapp):
    from PySide6.QtSvg import QSvgRenderer
    renderer = QSvgRenderer(str(SHARE / "playground.svg"))
    assert renderer.isValid() and renderer.defaultSize().width() == 256

"""Render the application icon's PNG from its SVG with Qt's own SVG renderer:

    QT_QPA_PLATFORM=offscreen python tools/render_icon.py

writes playground/share/playground.png (256x256, transparent corners) from
playground/share/playground.svg. Run it after editing the SVG; tests/test_install_files.py
checks that the PNG is what the SVG renders.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

SHARE = Path(__file__).resolve().parents[1] / "playground" / "share"
SIZE = 256


def render(svg: Path, size: int = SIZE) -> QImage:
    """``svg`` drawn on a transparent ``size`` x ``size`` ARGB image, antialiased."""
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icon: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format_ARGB32)
    image.fill(Qt.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setRenderHint(QPainter.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841
    out = SHARE / "playground.png"
    if not render(SHARE / "playground.svg").save(str(out), "PNG"):
        raise SystemExit(f"render_icon: cannot write {out}")
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

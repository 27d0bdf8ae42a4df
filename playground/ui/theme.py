"""Light and dark window themes (the choice persists in QSettings as ``theme``).

A theme colours the window's chrome (panels, menus, tool bar) through the application's
palette, and the plots through ``plot_style.set_theme``: in the dark theme every plot has a
dark ground (the palette's Base colour), light axes and text, and curves light enough to
read on it, so no white pane glares in dark chrome. The class colours and the decision
regions they paint are the same in both themes. Widgets that draw with the palette follow
its change events; the plots follow ``plot_style``'s theme.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from playground.ui import plot_style

THEMES = ("system", "light", "dark")
LABELS = {"system": "Follow the system", "light": "Light", "dark": "Dark"}

_DARK = {
    QPalette.Window: "#2b2d30", QPalette.WindowText: "#e6e6e6",
    QPalette.Base: plot_style.DARK.background,
    QPalette.AlternateBase: "#2b2d30", QPalette.ToolTipBase: "#3c3f41",
    QPalette.ToolTipText: "#e6e6e6", QPalette.Text: "#e6e6e6", QPalette.Button: "#3a3d41",
    QPalette.ButtonText: "#e6e6e6", QPalette.BrightText: "#ff6b6b", QPalette.Link: "#5aa9e6",
    QPalette.Highlight: "#2f6fb0", QPalette.HighlightedText: "#ffffff",
    QPalette.PlaceholderText: "#999ca0",
}
_DISABLED = {QPalette.WindowText: "#7a7d82", QPalette.Text: "#7a7d82",
             QPalette.ButtonText: "#7a7d82"}


def palette(name: str) -> QPalette:
    """The palette of a theme; "system" and "light" use the style's own."""
    app = QApplication.instance()
    base = app.style().standardPalette() if app is not None else QPalette()
    if name != "dark":
        return base
    pal = QPalette(base)
    for role, color in _DARK.items():
        pal.setColor(role, QColor(color))
    for role, color in _DISABLED.items():
        pal.setColor(QPalette.Disabled, role, QColor(color))
    return pal


def plot_theme(pal: QPalette) -> str:
    """The plots' theme for a window palette: "dark" on a dark Base, else "light"."""
    return "dark" if pal.color(QPalette.Base).lightness() < 128 else "light"


def apply(name: str) -> str:
    """Apply a theme to the running application and its plots; an unknown name falls back
    to "system". Returns the name applied."""
    if name not in THEMES:
        name = "system"
    app = QApplication.instance()
    if app is None:
        return name
    if name != "system" and app.style().name().lower() != "fusion":
        # Fusion draws every palette colour; native styles may ignore a dark palette
        app.setStyle(QStyleFactory.create("Fusion"))
    pal = palette(name)
    app.setPalette(pal)
    plot_style.set_theme(plot_theme(pal))
    return name

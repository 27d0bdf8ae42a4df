"""Help: the guide explains every part of the window; the shortcuts list has every shortcut."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from playground.ui import guide  # noqa: E402
from playground.ui.main_window import SHORTCUTS  # noqa: E402
from ui_helpers import errors, make_window, settings  # noqa: E402, F401


def test_the_guide_explains_every_dock_and_tab(make_window):
    window = make_window()
    titles = {t for t, _ in guide.SECTIONS}
    shown = [d.windowTitle() for d in window.docks.values()]
    for tabs in (window.center_tabs, window.output_tabs):
        shown += [tabs.tabText(i) for i in range(tabs.count())]
    assert shown and set(shown) <= titles, set(shown) - titles
    window.show_guide()
    text = window.guide.browser.toPlainText()
    assert all(title in text for title in titles)
    assert window.guide.isVisible() and not window.guide.isModal()


def test_every_shortcut_is_listed(make_window):
    window = make_window()
    listed = {keys for keys, _ in SHORTCUTS}
    used = {a.shortcut().toString() for a in window.findChildren(type(window.play_action))
            if not a.shortcut().isEmpty()}
    assert used - {"Ctrl+Shift+Z", "Ctrl+Y"} <= listed, used - listed

"""File > Examples: every shipped example is in the menu, with its summary, and opens as an
untitled run (Save asks where; the package's file is never written)."""

from __future__ import annotations

import pytest

pytest.importorskip("pytestqt")

from playground import examples  # noqa: E402
from ui_helpers import errors, make_window, settings  # noqa: E402, F401


def test_the_menu_lists_every_example_with_its_summary(make_window):
    window = make_window()
    acts = window.examples_menu.actions()
    assert [a.text() for a in acts] == [e.title for e in examples.EXAMPLES]
    assert [a.toolTip() for a in acts] == [e.summary for e in examples.EXAMPLES]


def test_an_example_opens_as_an_untitled_run(qtbot, make_window, errors, monkeypatch):
    window = make_window()
    title = {e.name: e.title for e in examples.EXAMPLES}["xor"]
    acts = {a.text(): a for a in window.examples_menu.actions()}
    done = []
    monkeypatch.setattr(window, "open_example",
                        lambda name, on_done=None, orig=window.open_example:
                        orig(name, done.append))
    # the menu's entries call open_example by name
    acts[title].trigger()
    qtbot.waitUntil(lambda: bool(done), timeout=30000)
    assert done == [True] and errors == []
    assert window.model.config == examples.config("xor")
    assert window.path is None
    assert "(example)" in window.windowTitle() and title in window.windowTitle()
    saved = []
    monkeypatch.setattr(window, "save_as", lambda: saved.append(True) or False)
    window.save()
    assert saved == [True]          # Save asks where instead of writing into the package

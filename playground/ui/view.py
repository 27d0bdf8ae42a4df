"""The one protocol every run view follows, so the main window can compose views without
knowing them: it hands each view the ``RunInfo`` of every new run, then every snapshot.

A view takes what it edits (the ``ConfigModel``) in its constructor and subscribes to it;
adding a view means adding it to the window's list, never editing another view.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from playground.engine.session import Snapshot
from playground.run_info import RunInfo


@runtime_checkable
class RunView(Protocol):
    def set_run(self, run: RunInfo) -> None:
        """A new run started (data, structure or a file changed): redraw from scratch."""

    def show_snapshot(self, snap: Snapshot) -> None:
        """The run moved on (or was edited): update what is drawn, create nothing."""

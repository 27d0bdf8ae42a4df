"""Python's cyclic garbage collection on the GUI thread only.

Left automatic, a collection runs on whichever thread happens to allocate: a file loading
in the background, the training worker, a formula being typeset. When the garbage holds a
Qt object (a closed dialog's wrapper caught in a reference cycle), that thread runs
``QObject::~QObject``, which Qt allows only on the object's own thread: seen here as a
deadlock in shiboken's GIL hand-over (a CSV load importing scikit-learn) and as segfaults.
pyqtgraph documents the same hazard (``pyqtgraph.util.garbage_collector``). So automatic
collection is switched off and a timer on the GUI thread collects, generation by
generation, whenever the allocation counts pass the thresholds the interpreter would have
used. Background threads then never collect, which also keeps their work free of
collection pauses. Reference counting still frees everything that is not in a cycle at
once, on any thread, as before.
"""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, QTimer

#: how often the GUI thread looks at the allocation counts
INTERVAL_MS = 250


class GuiThreadCollector(QObject):
    """Create on the GUI thread (it disables automatic collection); ``stop()`` hands
    collection back to the interpreter."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        self.was_enabled = gc.isenabled()
        #: objects in the oldest generation after the last full collection, and promoted
        #: into it since (CPython's long_lived_total and long_lived_pending)
        self.long_lived = len(gc.get_objects(generation=2))
        self.pending = 0
        self.modules = len(sys.modules)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> int:
        """Collect the generations whose counts passed their thresholds, youngest first,
        as the interpreter does; the number of unreachable objects found.

        The oldest generation also waits, as in CPython's ``gc_collect_main``, until the
        objects promoted into it since the last full collection (``pending``) are a quarter
        of those it held then (``long_lived``): a full collection walks every object, 280 ms
        in a window that has trained for a while, and without this rule it came every tenth
        middle collection, a few times a minute.

        A module imported since the last look (matplotlib for the formulas, on a thread of
        its own, once the window is up) is frozen with everything else alive now, as
        ``app.freeze_startup_objects`` froze the window's: its ~190,000 functions, classes
        and tuples live as long as the app, and once promoted they made every full
        collection walk them (150 ms, a stall in live plots). The price: the few young
        garbage cycles alive at that moment are never freed."""
        modules = len(sys.modules)
        if modules != self.modules:
            self.modules = modules
            gc.freeze()
            self.long_lived = self.pending = 0   # every tracked object is frozen now
            return 0
        t0, t1, t2 = self.threshold
        c0, c1, c2 = gc.get_count()
        if t0 <= 0 or c0 <= t0:
            return 0
        if c1 + 1 <= t1:
            return gc.collect(0)
        if c2 + 1 > t2 and self.pending >= self.long_lived / 4:
            found = gc.collect(2)
            self.long_lived = len(gc.get_objects(generation=2))
            self.pending = 0
            return found
        young = len(gc.get_objects(generation=0)) + len(gc.get_objects(generation=1))
        found = gc.collect(1)
        self.pending += max(0, young - found)     # the survivors move to the oldest generation
        return found

    def stop(self) -> None:
        self._timer.stop()
        if self.was_enabled:
            gc.enable()

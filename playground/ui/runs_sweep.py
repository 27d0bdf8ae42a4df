"""The Runs view's sweeps: the Sweep... button, a progress bar with Cancel, and the runs a
sweep trains joining the table as a group, one colour per value combination.

A sweep starts from the selected run's config (``SweepDialog``), trains in worker
processes (``SweepRunner``: ``runs.sweep.run_sweep``, one core left to the window) and
writes its folder as ``playground sweep`` does. Each run is kept as it finishes, named
"sweep N: <its folder name>" (``lr=0.03_seed=0``); the runs that differ only in their seed
share a colour, so the spread over seeds reads at a glance. Finished runs join at most every
``JOIN_INTERVAL`` seconds, together (``RunStore.add_many``): the table, the plot and the
differences are redrawn once for them, not once a run, and the table only gains their rows
while its columns stay the same (``RunsView._add_rows``; bench/ui.py's sweep phase).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import QProgressBar, QPushButton

from playground.progress import Cancelled
from playground.runs.record import PALETTE
from playground.ui.sweep_runner import SweepRunner

#: how long a quitting app waits for a cancelled sweep's workers (seconds)
QUIT_WAIT = 10.0
#: finished runs join the table together, at most this often (seconds)
JOIN_INTERVAL = 0.5


class RunsSweep(QObject):
    """Owned by a ``RunsView``: ``button`` goes in its tool bar, ``bar`` and ``cancel`` in
    its bottom row."""

    def __init__(self, view) -> None:
        super().__init__(view)
        self.view = view
        self.runner = SweepRunner(self)
        self.count = 0
        self._plan: dict[str, tuple[str, str]] = {}   # config JSON -> (name, colour)
        self.result = None
        self._joining: list = []                      # finished, not in the table yet
        self._join_timer = QTimer(self)
        self._join_timer.setSingleShot(True)
        self._join_timer.setInterval(round(JOIN_INTERVAL * 1000))
        self._join_timer.timeout.connect(self.join)
        self.button = QPushButton("Sweep...")
        self.button.setAccessibleName("Sweep")
        self.button.setToolTip("Train every combination of some values (and seeds) of the "
                               "selected run's config in worker processes, as playground "
                               "sweep does; the runs join the table")
        self.bar = QProgressBar()
        self.bar.setAccessibleName("Sweep progress")
        self.bar.setToolTip("Epochs trained of all the sweep's runs")
        self.bar.setMaximumWidth(220)
        self.cancel = QPushButton("Cancel sweep")
        self.cancel.setAccessibleName("Cancel sweep")
        self.cancel.setToolTip("Stop the sweep: its folder is not written; the runs that "
                               "finished stay in the table")
        for w in (self.bar, self.cancel):
            w.hide()
        self.button.clicked.connect(self.dialog)
        self.cancel.clicked.connect(self.runner.cancel)
        self.runner.progressed.connect(self._progressed)
        self.runner.finished.connect(self._finished)
        self.runner.failed.connect(self._failed)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._quit)

    def dialog(self) -> None:
        from playground.ui.sweep_dialog import SweepDialog
        view = self.view
        source = view._source(view.selected_id())
        base_dir = getattr(view.window(), "base_dir", None)
        dialog = SweepDialog(source.config, source.name, view._folder(), self.runner.jobs,
                             base_dir, view)
        if dialog.exec() and dialog.plan() is not None:
            self.start(*dialog.plan())

    def start(self, runs, out, keys) -> None:
        """Train ``runs`` ((name, config) from ``runs.sweep.grid``) into the new folder
        ``out``; ``keys`` are the swept key paths."""
        self.count += 1
        seeds = _seeds_per_group(runs)
        offset = len(self.view.store) + self.count
        self._plan = {cfg.to_json(): (f"sweep {self.count}: {name}",
                                      PALETTE[(offset + i // seeds) % len(PALETTE)])
                      for i, (name, cfg) in enumerate(runs)}
        self.result = None
        self.bar.setRange(0, max(sum(cfg.train.epochs for _, cfg in runs), 1))
        self.bar.setValue(0)
        self.bar.setFormat(f"sweep: 0/{len(runs)} runs")
        for w in (self.bar, self.cancel):
            w.show()
        self.button.setEnabled(False)
        self.view._say(f"Sweep {self.count}: {len(runs)} runs into {Path(out).name}, "
                       f"{self.runner.jobs} at a time")
        self.runner.start(runs, out, keys)
        self.view.plot.reserve(len(runs))   # their curves made while the first ones train

    def _progressed(self, p) -> None:
        self.bar.setValue(min(p.epochs_done, self.bar.maximum()))
        self.bar.setFormat(f"sweep: {p.runs_done}/{p.runs_total} runs")
        record = p.finished
        if record is not None:
            name, colour = self._plan.get(record.config.to_json(), (record.name,
                                                                    record.colour))
            self._joining.append(record.renamed(name).recoloured(colour))
            if not self._join_timer.isActive():
                self._join_timer.start()

    def join(self) -> None:
        """Keep the runs finished since the last join, in one go."""
        self._join_timer.stop()
        records, self._joining = self._joining, []
        if records:
            self.view.store.add_many(records)

    def _finished(self, result) -> None:
        self.result = result
        self._done(f"Sweep {self.count}: {len(result.runs)} runs in "
                   f"{result.wall_time:.1f} s, written to {result.out}")

    def _failed(self, exc) -> None:
        if isinstance(exc, Cancelled):
            self._done(f"Sweep {self.count} cancelled: nothing was written; the runs that "
                       "finished are kept")
        else:
            text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            self.view.errors.append(text)
            self._done(f"Sweep {self.count} stopped: {text}")

    def _done(self, message: str) -> None:
        self.join()
        for w in (self.bar, self.cancel):
            w.hide()
        self.button.setEnabled(True)
        self.view._say(message)

    def _quit(self) -> None:
        if self.runner.running:
            self.runner.cancel()
            self.runner.wait(QUIT_WAIT)


def _seeds_per_group(runs) -> int:
    """How many consecutive runs share their values (``grid`` puts the seed fastest)."""
    if not runs:
        return 1
    first = runs[0][1]
    n = 1
    while n < len(runs) and runs[n][1].replace(seed=first.seed) == first:
        n += 1
    return n

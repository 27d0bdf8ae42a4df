"""``RunsView``: every run of the session kept, listed and compared (accessible name "Runs").

When the window replaces a run (Reset, a rebuild, new data, an opened file) it calls
``keep_outgoing`` first: the outgoing trainer's ``RunRecord`` is made on the worker thread
(where the trainer lives; ``TrainingController.call``) and added to the ``RunStore`` if the
run trained at least one step. The live run is the table's last row, marked "live", drawn
from its snapshots.

The view, top to bottom:

- a toolbar: Duplicate with one change (the selected run's config, one key changed, started
  as the app's new run), Sweep (a grid of values and seeds in worker processes, its runs
  joining the table: ``runs_sweep``), Remove, Export (the table as CSV, the plot as PNG or
  SVG);
- the table: per run a show/hide box, its colour swatch and its name (editable in place),
  the config keys that differ between the runs, the final and best scores, epochs and the
  seconds it trained (time spent playing);
- ``RunsPlot``: the shown runs' curves of one metric, smoothed, on a log scale if asked;
- ``RunsDifferences`` (a tab beside the plot): the keys on which the shown runs' configs
  differ.

The store's contents redraw on every change; the live row and curve at most every
REDRAW_SECONDS, and only while the view is on screen (a hidden tab keeps the latest snapshot).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView, QColorDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QMenu,
    QPushButton, QSizePolicy, QSplitter, QTableWidget, QTableWidgetItem, QTabWidget,
    QToolBar, QToolButton, QVBoxLayout, QWidget,
)

from playground.config import RunConfig
from playground.errors import PlaygroundError
from playground.io.atomic import atomic_write_text
from playground.run_info import RunInfo
from playground.runs import table as runs_table
from playground.runs.compare import duplicate_with
from playground.runs.record import RunRecord, colour_for, next_id
from playground.runs.series import live_record
from playground.runs.store import RunStore
from playground.ui.runs_differences import RunsDifferences, swatch
from playground.ui.runs_plot import RunsPlot
from playground.ui.widgets import on_screen

#: the live row and curve redraw at most this often (seconds)
REDRAW_SECONDS = 0.5
_ID = Qt.UserRole
#: the name column is at most this wide (pixels; a longer name is elided, whole in its tip)
NAME_WIDTH = 190


@dataclass(frozen=True)
class LiveRun:
    """The run training now, as the table shows it before it is kept."""

    id: int
    name: str
    colour: str
    config: RunConfig
    shown: bool = True


class TrainingClock:
    """Seconds spent playing: started and stopped with Play and Pause, reset per run."""

    def __init__(self) -> None:
        self._spent, self._since = 0.0, None

    def set_playing(self, playing: bool) -> None:
        now = time.monotonic()
        if playing and self._since is None:
            self._since = now
        elif not playing and self._since is not None:
            self._spent += now - self._since
            self._since = None

    def elapsed(self) -> float:
        return self._spent + (0.0 if self._since is None else time.monotonic() - self._since)

    def restart(self) -> None:
        """A new run: nothing spent yet; a clock that runs keeps running for it."""
        self._spent = 0.0
        if self._since is not None:
            self._since = time.monotonic()


class RunsView(QWidget):
    """The kept runs of ``store`` and the live run of ``controller``; duplicates are proposed
    to ``model`` (the window's ConfigModel), which starts them as the window's new run."""

    skips_grid_frames = True

    def __init__(self, controller, model, store: RunStore | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Runs")
        self.controller, self.model = controller, model
        self.store = store if store is not None else RunStore()
        self.live: LiveRun | None = None
        self.live_record: RunRecord | None = None
        self.clock = TrainingClock()
        self._snap = None
        self._stale = False
        self._last_draw = 0.0
        self._pending_name: tuple[RunConfig, str] | None = None
        self._table: runs_table.Table | None = None
        self._filling = False
        self.errors: list[str] = []       # what could not be kept or restored
        self._notice = self._notice_tip = ""   # said under the table until the next run
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

        self.duplicate_button = QPushButton("Duplicate...")
        self.duplicate_button.setAccessibleName("Duplicate with one change")
        self.duplicate_button.setToolTip("Duplicate with one change: start a new run, the "
                                         "selected run's config (the live run's when none "
                                         "is selected) with one key changed")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName("Remove run")
        self.remove_button.setToolTip("Forget the selected kept run")
        # one Export button with a menu: the tool bar fits a 1024-pixel window
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setAccessibleName("Export runs")
        self.export_button.setToolTip("Write the table as CSV, or the plot as a PNG or SVG "
                                      "image")
        self.export_button.setPopupMode(QToolButton.InstantPopup)
        menu = QMenu(self.export_button)
        self.csv_action = menu.addAction("Table as CSV...", self.export_csv_dialog)
        self.plot_action = menu.addAction("Plot as PNG or SVG...", self.export_plot_dialog)
        self.export_button.setMenu(menu)
        self.count_label = QLabel("")
        self.count_label.setAccessibleName("Runs kept")
        self.count_label.setToolTip(f"At most {self.store.limit} runs are kept: beyond, the "
                                    "oldest hidden run goes first")
        self.table = QTableWidget(0, 1)
        self.table.setAccessibleName("Runs table")
        self.table.setToolTip("Every run of the session, the live one last: tick a run to "
                              "overlay its curves, double-click its name to rename it")
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.DoubleClicked
                                   | QAbstractItemView.EditKeyPressed
                                   | QAbstractItemView.SelectedClicked)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.table.setWordWrap(False)
        self.table.setContextMenuPolicy(Qt.CustomContextMenu)
        self.table.verticalHeader().setDefaultSectionSize(
            self.table.fontMetrics().height() + 6)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        self.table.horizontalHeader().setHighlightSections(False)
        self.plot = RunsPlot()
        self.differences = RunsDifferences()

        # a tool bar, not a row of buttons: in a narrow window what does not fit moves to its
        # overflow menu instead of widening the window (1024x700 must fit)
        buttons = QToolBar("Runs")
        buttons.setAccessibleName("Runs actions")
        buttons.setToolButtonStyle(Qt.ToolButtonTextOnly)
        from playground.ui.runs_sweep import RunsSweep
        self.sweep = RunsSweep(self)
        for b in (self.duplicate_button, self.sweep.button, self.remove_button,
                  self.export_button):
            buttons.addWidget(b)
        self.count_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        # the overlay and the differences share the space below the table as two tabs: at
        # 1024x700 either gets the height it needs
        self.below = QTabWidget()
        self.below.setAccessibleName("Runs curves and differences")
        self.below.setDocumentMode(True)
        self.below.addTab(self.plot, "Curves")
        self.below.addTab(self.differences, "Differences only")
        self.below.setTabToolTip(1, "The config keys on which the shown runs differ")
        self.split = QSplitter(Qt.Vertical)
        self.split.setChildrenCollapsible(False)
        for w, stretch in ((self.table, 2), (self.below, 3)):
            w.setMinimumHeight(90)
            self.split.addWidget(w)
            self.split.setStretchFactor(self.split.count() - 1, stretch)
        self._sized = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(buttons)
        layout.addWidget(self.split, 1)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(self.sweep.bar)
        bottom.addWidget(self.sweep.cancel)
        layout.addLayout(bottom)

        self.store.subscribe(self._store_changed)
        self.table.itemChanged.connect(self._item_changed)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.duplicate_button.clicked.connect(self.duplicate_dialog)
        self.remove_button.clicked.connect(self.remove_selected)
        model.changed.connect(self._config_changed)
        self._refill()

    # --- the RunView protocol -------------------------------------------------------------

    def set_run(self, run: RunInfo) -> None:
        """A new live run: a new id, colour and name (a duplicate's says what changed)."""
        run_id = next_id()
        name = f"run {run_id}"
        if self._pending_name is not None and self._pending_name[0] == run.config:
            name = self._pending_name[1]
        self._pending_name = None
        self.live = LiveRun(run_id, name, colour_for(run_id), run.config)
        self._notice = self._notice_tip = ""
        self.clock.restart()
        self._snap = None
        self.live_record = self._live_from(None)
        self._refill()

    def show_snapshot(self, snap) -> None:
        self._snap = snap
        self._stale = True
        if not self._timer.isActive():
            wait = self._last_draw + REDRAW_SECONDS - time.monotonic()
            self._timer.start(max(0, int(1000 * wait)))

    def set_playing(self, playing: bool) -> None:
        self.clock.set_playing(playing)

    def flush(self) -> None:
        """Draw the latest snapshot now (the timer's job; tests call it)."""
        if not self._stale or self.live is None:
            return
        if not on_screen(self):
            return          # drawn when shown (showEvent)
        self._stale = False
        self._last_draw = time.monotonic()
        self.live_record = self._live_from(self._snap)
        if self._table is None or self._needs_refill():
            self._refill()
            return
        self._fill_row(self.table.rowCount() - 1, self.live_record, live=True)
        self._resize_columns()
        self.plot.update_run(self.live_record)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._sized and self.split.height() > 0:   # the table a third, first time
            self._sized = True
            total = sum(self.split.sizes())
            self.split.setSizes([total * 35 // 100, total - total * 35 // 100])
        QTimer.singleShot(0, self.flush)

    # --- keeping runs ----------------------------------------------------------------------

    def keep_outgoing(self) -> None:
        """The window is about to replace the live run: record it on the worker (before the
        new trainer gets there) and keep it if it trained a step."""
        live = self.live
        if live is None:
            return
        wall = self.clock.elapsed()

        def record(trainer):
            if trainer.steps == 0:
                return None
            return RunRecord.of(trainer, id=live.id, name=live.name, colour=live.colour,
                                wall_time=wall)

        def kept(result) -> None:
            if isinstance(result, BaseException):
                self.errors.append(f"The run {live.name} could not be kept: {result}")
                self._say(self.errors[-1])
            elif result is not None:
                self.store.add(result, shown=live.shown)

        self.controller.call(record, kept, refresh=False)

    def restore(self, entries: Any, error: str | None = None) -> list[str]:
        """Add a workspace's saved runs (its ``runs.json``, parsed; None: it had none) after
        the kept ones; what could not be read is said in one line each, under the table
        (and returned)."""
        problems = [error] if error else []
        if entries is not None:
            problems += self.store.load_json(entries)
        if problems:
            self.errors.extend(problems)
            self._say(problems[0] + (f" (and {len(problems) - 1} more)"
                                     if len(problems) > 1 else ""), "\n".join(problems))
        return problems

    def records(self) -> list[RunRecord]:
        """Every row's record: the kept runs, then the live one."""
        rows = list(self.store.records)
        if self.live_record is not None:
            rows.append(self.live_record)
        return rows

    def shown_records(self) -> list[RunRecord]:
        rows = list(self.store.shown())
        if self.live_record is not None and self.live is not None and self.live.shown:
            rows.append(self.live_record)
        return rows

    def is_shown(self, run_id: int) -> bool:
        if self.live is not None and run_id == self.live.id:
            return self.live.shown
        return self.store.is_shown(run_id)

    def set_shown(self, run_id: int, shown: bool) -> None:
        """Show or hide a run's curves (its box in the table)."""
        if self.live is not None and run_id == self.live.id:
            if self.live.shown != bool(shown):
                self.live = replace(self.live, shown=bool(shown))
                self._refill()
        else:
            self.store.set_shown(run_id, shown)

    def rename(self, run_id: int, name: str) -> None:
        name = name.strip() or f"run {run_id}"
        if self.live is not None and run_id == self.live.id:
            self.live = replace(self.live, name=name)
            self.live_record = self.live_record.renamed(name)
            self._refill()
        else:
            self.store.rename(run_id, name)

    def recolour(self, run_id: int, colour: str) -> None:
        if self.live is not None and run_id == self.live.id:
            self.live = replace(self.live, colour=colour)
            self.live_record = self.live_record.recoloured(colour)
            self._refill()
        else:
            self.store.recolour(run_id, colour)

    def _live_from(self, snap) -> RunRecord:
        live = self.live
        curves = snap.curves if snap is not None else {"epoch": []}
        dynamics = snap.dynamics.curves if snap is not None and snap.dynamics else None
        return live_record(live.id, live.name, live.colour, live.config, curves,
                           snap.epoch if snap is not None else 0, dynamics,
                           wall_time=self.clock.elapsed(),
                           diverged=bool(snap is not None and snap.diverged),
                           converged_epoch=snap.converged_epoch if snap is not None else None)

    def _store_changed(self, kind: str, ids: tuple[int, ...]) -> None:
        if not (kind == "added" and self._add_rows(ids)):
            self._refill()

    def _config_changed(self, config: RunConfig, _part: str) -> None:
        """A live edit (learning rate, ...) changes the live run's config; a change that
        needs a new run is followed by ``set_run``."""
        if self.live is not None and config != self.live.config:
            self.live = replace(self.live, config=config)
            self.live_record = replace(self.live_record, config=config)
            self._refill()

    # --- the table -------------------------------------------------------------------------

    def _needs_refill(self) -> bool:
        """A score the live run now has that no column shows yet."""
        have = {(s.which, s.key) for s in self._table.scores}
        fresh = runs_table.build([self.live_record]).scores
        return any((s.which, s.key) not in have for s in fresh)

    def _refill(self) -> None:
        """Rebuild the table, the plot's runs and the differences from the store and the
        live run."""
        records = self.records()
        self._table = tbl = runs_table.build(records)
        selected = self.selected_id()
        headers = (["Run"] + [runs_table.short_key(k) for k in tbl.keys]
                   + [s.header for s in tbl.scores] + ["epochs", "time"])
        self._filling = True
        try:
            self.table.clearContents()
            self.table.setColumnCount(len(headers))
            self.table.setRowCount(len(records))
            self.table.setHorizontalHeaderLabels(headers)
            for j, key in enumerate(tbl.keys, 1):
                self.table.horizontalHeaderItem(j).setToolTip(key)
            live_id = self.live.id if self.live is not None else None
            labels = []
            for i, record in enumerate(records):
                is_live = record.id == live_id
                self._fill_row(i, record, live=is_live)
                labels.append("live" if is_live else str(i + 1))
            self.table.setVerticalHeaderLabels(labels)
            row = next((i for i, r in enumerate(records) if r.id == selected), None)
            if row is not None:      # none chosen: the live row stays unmarked, and is meant
                self.table.selectRow(row)
        finally:
            self._filling = False
        self._rows_changed(records)

    def _add_rows(self, ids: tuple[int, ...]) -> bool:
        """Runs kept (a sweep's joining): their rows inserted, the others left as they are,
        when the columns stay the same and so do the other rows' cells; False when they do
        not (then the caller refills). A refill recreates every row's items (a couple of
        milliseconds a row), which made each join of a long sweep dearer than the last."""
        old = self._table
        if old is None or not ids:
            return False
        records = self.records()
        tbl = runs_table.build(records)
        added = set(ids)
        rows = [i for i, r in enumerate(records) if r.id in added]
        kept = [i for i, r in enumerate(records) if r.id not in added]
        if (tbl.keys != old.keys or len(rows) != len(added)
                or [(s.which, s.key) for s in tbl.scores]
                != [(s.which, s.key) for s in old.scores]
                or [records[i].id for i in kept] != [r.id for r in old.records]
                or tuple(tbl.values[i] for i in kept) != old.values
                or self.table.rowCount() != len(old.records)):
            return False
        self._table = tbl
        live_id = self.live.id if self.live is not None else None
        self._filling = True
        try:
            for i in rows:                  # ascending: each lands where the store put it
                self.table.insertRow(i)
                self._fill_row(i, records[i], live=records[i].id == live_id)
            self.table.setVerticalHeaderLabels(
                ["live" if r.id == live_id else str(i + 1) for i, r in enumerate(records)])
        finally:
            self._filling = False
        self._rows_changed(records)
        return True

    def _rows_changed(self, records: list[RunRecord]) -> None:
        """After a refill or an insertion: columns sized, count said, plot and differences
        redrawn for the shown runs."""
        self._resize_columns()
        self._show_count()
        self.plot.show_runs(self.shown_records(), records)
        self.differences.show_runs(self.shown_records())
        self._selection_changed()

    def _fill_row(self, i: int, record: RunRecord, live: bool) -> None:
        tbl = self._table
        self._filling = True
        try:
            name = QTableWidgetItem(record.name)
            name.setData(_ID, record.id)
            name.setIcon(swatch(record.colour))
            name.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemIsEditable
                          | Qt.ItemIsUserCheckable)
            name.setCheckState(Qt.Checked if self.is_shown(record.id) else Qt.Unchecked)
            tip = "the run training now" if live else "a kept run"
            name.setToolTip(f"{record.name}: {tip}. Tick to overlay its curves; double-click "
                            "to rename; right-click to change its colour")
            cells: list[tuple[str, str]] = []
            index = next((k for k, r in enumerate(tbl.records) if r.id == record.id), None)
            for j in range(len(tbl.keys)):
                value = tbl.values[index][j] if index is not None else None
                cells.append((runs_table.format_value(value), ""))
            for s in tbl.scores:
                cells.append((runs_table.format_score(s.key, s.value(record)), "num"))
            epochs = f"{record.epochs:,}" + (" (diverged)" if record.diverged else "")
            cells.append((epochs, "num"))
            cells.append((runs_table.format_time(record.wall_time), "num"))
            self.table.setItem(i, 0, name)
            for j, (text, kind) in enumerate(cells, 1):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable)
                if kind == "num":
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                self.table.setItem(i, j, item)
            if live:
                for j in range(self.table.columnCount()):
                    item = self.table.item(i, j)
                    font = QFont(item.font())
                    font.setItalic(True)
                    item.setFont(font)
        finally:
            self._filling = False

    def _resize_columns(self) -> None:
        header = self.table.horizontalHeader()
        self.table.resizeColumnsToContents()
        if header.sectionSize(0) > NAME_WIDTH:
            header.resizeSection(0, NAME_WIDTH)
        header.setSectionResizeMode(QHeaderView.Interactive)
        header.setStretchLastSection(True)

    def _item_changed(self, item: QTableWidgetItem) -> None:
        if self._filling or item.column() != 0:
            return
        run_id = item.data(_ID)
        shown = item.checkState() == Qt.Checked
        record = next((r for r in self.records() if r.id == run_id), None)
        if record is None:
            return
        if shown != self.is_shown(run_id):
            self.set_shown(run_id, shown)
        elif item.text() != record.name:
            QTimer.singleShot(0, lambda: self.rename(run_id, item.text()))

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() \
            else []
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return None if item is None else item.data(_ID)

    def select(self, run_id: int) -> None:
        for i in range(self.table.rowCount()):
            if self.table.item(i, 0).data(_ID) == run_id:
                self.table.selectRow(i)
                return
        raise KeyError(f"no run {run_id} in the table")

    def _selection_changed(self) -> None:
        run_id = self.selected_id()
        self.remove_button.setEnabled(run_id is not None and run_id in self.store)
        self.duplicate_button.setEnabled(self.live is not None)

    def _context_menu(self, pos) -> None:
        item = self.table.itemAt(pos)
        if item is None:
            return
        run_id = self.table.item(item.row(), 0).data(_ID)
        menu = QMenu(self)
        menu.addAction("Change colour...", lambda: self._pick_colour(run_id))
        if run_id in self.store:
            menu.addAction("Remove", lambda: self.store.remove(run_id))
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def _pick_colour(self, run_id: int) -> None:
        record = next(r for r in self.records() if r.id == run_id)
        colour = QColorDialog.getColor(QColor(record.colour), self, f"Colour of {record.name}")
        if colour.isValid():
            self.recolour(run_id, colour.name())

    def remove_selected(self) -> None:
        run_id = self.selected_id()
        if run_id is not None and run_id in self.store:
            self.store.remove(run_id)

    def differences_shown(self) -> dict[str, list[str]]:
        """The differences-only table as text: key path -> one cell per shown run."""
        return self.differences.cells()

    # --- duplicate with one change ---------------------------------------------------------

    def _source(self, run_id: int | None) -> RunRecord:
        records = self.records()
        return next((r for r in records if r.id == run_id), records[-1])

    def duplicate(self, key: str, value: Any, source_id: int | None = None) -> str | None:
        """Start a new run: the config of run ``source_id`` (the selected one, by default)
        with ``key`` set to ``value``. None when it started, else why not (one line)."""
        source = self._source(self.selected_id() if source_id is None else source_id)
        try:
            config = duplicate_with(source.config, key, value)
        except PlaygroundError as exc:
            return str(exc)
        shown = runs_table.format_value(value)
        if config == source.config:
            return f"{key} is already {shown} in {source.name}: nothing would change"
        if config == self.model.config:
            return "that is the live run's config: Reset starts it again"
        self._pending_name = (config, f"{source.name}, {runs_table.short_key(key)}={shown}")
        error = self.model.propose(config)
        if error:
            self._pending_name = None
            return error
        return None

    def duplicate_dialog(self) -> None:
        from playground.ui.duplicate_dialog import DuplicateDialog
        source = self._source(self.selected_id())
        dialog = DuplicateDialog(source.config, source.name,
                                 lambda key, value: self.duplicate(key, value, source.id), self)
        dialog.exec()

    # --- exports ---------------------------------------------------------------------------

    def csv_text(self) -> str:
        records = self.records()
        return runs_table.csv_text(runs_table.build(records),
                                   [self.is_shown(r.id) for r in records])

    def export_csv(self, path: str | Path) -> None:
        """Write the table as CSV, atomically (OSError when it cannot be written)."""
        atomic_write_text(path, self.csv_text())

    def export_plot(self, path: str | Path) -> None:
        """Write the plot as PNG or SVG, by the extension (ValueError for another)."""
        self.plot.export(path)

    def _folder(self) -> str:
        """The window's last folder (its settings), else the home folder."""
        settings = getattr(self.window(), "settings", None)
        if not isinstance(settings, QSettings):
            return str(Path.home())
        return str(settings.value("last_folder", str(Path.home())))

    def export_csv_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export runs as CSV",
                                              str(Path(self._folder()) / "runs.csv"),
                                              "CSV files (*.csv)")
        if path:
            if not path.lower().endswith(".csv"):
                path += ".csv"
            self._report(lambda: self.export_csv(path), path)

    def export_plot_dialog(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self, "Export runs plot", str(Path(self._folder()) / "runs.png"),
            "PNG image (*.png);;SVG image (*.svg)")
        if path:
            if Path(path).suffix.lower() not in (".png", ".svg"):
                path += ".svg" if "svg" in chosen.lower() else ".png"
            self._report(lambda: self.export_plot(path), path)

    def _report(self, write, path: str) -> None:
        try:
            write()
        except (OSError, ValueError) as exc:
            self._say(f"Cannot write {Path(path).name}: "
                      f"{getattr(exc, 'strerror', None) or exc}")
        else:
            self._say(f"Wrote {Path(path).name}")

    def _say(self, text: str, tip: str = "") -> None:
        """One line under the table, beside the count, until the next run starts."""
        self._notice, self._notice_tip = text, tip or text
        self._show_count()

    def _show_count(self) -> None:
        kept = len(self.store)
        count = (f"{kept} kept run{'' if kept == 1 else 's'}"
                 + (f" (at most {self.store.limit})" if kept else ""))
        self.count_label.setText(f"{count} · {self._notice}" if self._notice else count)
        self.count_label.setToolTip(self._notice_tip or f"At most {self.store.limit} runs "
                                    "are kept: beyond, the oldest hidden run goes first")

"""``SweepDialog``: what ``playground sweep`` asks, in a dialog: keys and values, seeds, DIR.

One line per swept key, written as ``--set`` takes it (``train.optimizer.lr=0.01,0.1``,
``model.layers[0].activation=tanh,relu``); every combination is trained for each of the
seeds (seed, seed+1, ...) from the selected run's config, and DIR receives what the command
writes (summary.csv, curves.png, each run's config.json and weights). The grid is checked
as the command checks it (``runs.sweep.grid``): a problem is said in one line under the
fields, and the count of runs shows as you type.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit,
    QPushButton, QSpinBox, QWidget,
)

from playground.config import RunConfig
from playground.errors import PlaygroundError
from playground.runs.sweep import grid
from playground.ui.widgets import ErrorLabel, lay_out_form_dialog

EXAMPLE = "train.optimizer.lr=0.003,0.03,0.3"


def parse_sets(text: str) -> list[tuple[str, list]]:
    """The dialog's lines as ``grid``'s sets; PlaygroundError (one line) for a bad one."""
    from playground.sweep_cli import parse_set
    sets = []
    for line in text.splitlines():
        if line.strip():
            try:
                sets.append(parse_set(line.strip()))
            except PlaygroundError as exc:
                raise PlaygroundError(str(exc).removeprefix("--set ")) from None
    if not sets:
        raise PlaygroundError(f"give a key and its values, such as {EXAMPLE}")
    return sets


class SweepDialog(QDialog):
    """The sweep of ``config``; ``plan()`` (runs, out, keys) once accepted."""

    def __init__(self, config: RunConfig, name: str, folder: str, jobs: int,
                 base_dir: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sweep")
        self.setAccessibleName("Sweep")
        self.config, self.base_dir = config, base_dir
        self._plan = None
        intro = QLabel(f"Every combination of the values, for each seed, from <b>{name}</b>'s "
                       f"config; {jobs} run{'s' if jobs != 1 else ''} at a time in worker "
                       "processes (one core is left to the window). The runs join the "
                       "table as they finish.")
        intro.setWordWrap(True)
        self.sets_edit = QPlainTextEdit(EXAMPLE)
        self.sets_edit.setAccessibleName("Swept keys and values")
        self.sets_edit.setToolTip("One key per line: KEY=V1,V2,... (JSON values, or plain "
                                  "names such as relu)")
        self.sets_edit.setFixedHeight(self.fontMetrics().height() * 5)
        self.seeds_spin = QSpinBox()
        self.seeds_spin.setAccessibleName("Sweep seeds")
        self.seeds_spin.setToolTip("Seeds per combination: seed, seed+1, ...")
        self.seeds_spin.setRange(1, 100)
        self.out_edit = QLineEdit(str(Path(folder) / time.strftime("sweep-%Y%m%d-%H%M%S")))
        self.out_edit.setAccessibleName("Sweep folder")
        self.out_edit.setToolTip("A new folder: summary.csv, curves.png, each run's config "
                                 "and weights")
        browse = QPushButton("Browse...")
        browse.setAccessibleName("Browse for the sweep folder")
        browse.clicked.connect(self._browse)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(browse)
        self.count_label = QLabel("")
        self.count_label.setAccessibleName("Sweep size")
        self.error = ErrorLabel("Sweep error")
        form = QFormLayout()
        form.addRow("Keys and values", self.sets_edit)
        form.addRow("Seeds", self.seeds_spin)
        form.addRow("Folder", out_row)
        form.addRow("", self.count_label)
        self.buttons = lay_out_form_dialog(self, intro, form, self.error, "Start sweep")
        self.sets_edit.textChanged.connect(self._count)
        self.seeds_spin.valueChanged.connect(self._count)
        self.setMinimumWidth(480)
        self._count()

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Sweep folder (a new one)",
                                              self.out_edit.text())
        if path:
            self.out_edit.setText(path)

    def _runs(self):
        sets = parse_sets(self.sets_edit.toPlainText())
        runs = grid(self.config, sets, self.seeds_spin.value(), self.base_dir)
        return runs, [k for k, _ in sets]

    def _count(self) -> None:
        self.error.report(None)
        try:
            runs, _ = self._runs()
        except PlaygroundError:
            self.count_label.setText("")
            return
        epochs = sum(cfg.train.epochs for _, cfg in runs)
        self.count_label.setText(f"{len(runs)} run{'s' if len(runs) != 1 else ''}, "
                                 f"{epochs:,} epochs in all")

    def accept(self) -> None:
        """Check everything first; the dialog stays open with the reason if any is wrong."""
        from playground.runs.sweep import check_out
        try:
            runs, keys = self._runs()
            out = check_out(self.out_edit.text().strip())
        except PlaygroundError as exc:
            self.error.report(str(exc).splitlines()[0])
            return
        self._plan = (runs, out, keys)
        super().accept()

    def plan(self):
        """(runs, out folder, keys) of the accepted sweep, or None."""
        return self._plan

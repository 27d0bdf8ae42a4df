"""The data panel: pick a source (2-D thumbnails, scikit-learn sets, a CSV file), size, noise,
split, input features and seed. Every edit goes through ``ConfigModel.update_data``/``update_seed``.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSignalBlocker, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGridLayout, QHBoxLayout,
    QLabel, QListWidget, QListWidgetItem, QMenu, QPushButton, QSizePolicy, QSpinBox,
    QToolButton, QVBoxLayout, QWidget, QWidgetAction,
)

from playground.config import MAX_SAMPLES, RunConfig
from playground.data.generators import GENERATORS, TF_SAMPLES, default_samples, generator_task
from playground.data.names import FEATURES_2D, GENERATORS_2D, SKLEARN_SETS
from playground.data.tabular import tabular_task
from playground.ui.config_model import ConfigModel
from playground.ui.widgets import InlineError, heading

#: TensorFlow Playground's colours: class 0 / negative orange, class 1 / positive blue.
ORANGE = QColor("#f59322")
BLUE = QColor("#0877bd")
THUMB = 48
_THUMB_SEED = 7
_THUMB_POINTS = 200
_NO_SET = "—"
_SEED_MAX = 2**31 - 1
#: checked buttons must stand out in every Qt style; a checked one's pale blue carries its
#: own dark ink (the dark theme's light text would vanish on it)
_TOGGLE_STYLE = ("QToolButton { border: 1px solid #c8c8c8; border-radius: 3px; padding: 2px; }"
                 "QToolButton:checked { border: 2px solid #0877bd; background: #dcebf7;"
                 " color: #0b3a5e; }"
                 "QToolButton:disabled { color: #a0a0a0; border-color: #e0e0e0; }")


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(round(a.red() + (b.red() - a.red()) * t),
                  round(a.green() + (b.green() - a.green()) * t),
                  round(a.blue() + (b.blue() - a.blue()) * t))


def render_thumbnail(name: str, size: int = THUMB) -> QPixmap:
    """A ``size``x``size`` picture of generator ``name``: ~200 points on [-6, 6]^2, classes
    orange/blue, regression targets shaded orange (low) through white to blue (high)."""
    x, y = GENERATORS[name](_THUMB_POINTS, 0.0, np.random.default_rng(_THUMB_SEED))
    pix = QPixmap(size, size)
    pix.fill(QColor("#f7f7f7"))
    painter = QPainter(pix)
    painter.setRenderHint(QPainter.Antialiasing)
    painter.setPen(Qt.NoPen)
    px = (x + 6.0) / 12.0 * (size - 4) + 2
    if generator_task(name) == "classification":
        colors = [BLUE if int(c) == 1 else ORANGE for c in y]
    else:
        v = y[:, 0]
        t = (v - v.min()) / max(float(np.ptp(v)), 1e-12)
        mid = QColor("#c8c8c8")  # pure white would vanish on the light background
        colors = [_mix(ORANGE, mid, 2 * s) if s < 0.5 else _mix(mid, BLUE, 2 * s - 1)
                  for s in t]
    r = max(size / 40, 1.2)
    for (u, w), color in zip(px, colors):
        painter.setBrush(color)
        painter.drawEllipse(u - r, size - w - r, 2 * r, 2 * r)
    painter.end()
    return pix


class DatasetPanel(QWidget):
    """Edits ``config.data`` and ``config.seed``. A CSV is a file, so the main window loads
    it: the panel emits ``csv_requested`` for "Open CSV..." and ``csv_target_requested(name)``
    for another target column (the file is read again for it), and shows what the window
    accepted, or ``show_error`` beside the target."""

    csv_requested = Signal()
    csv_target_requested = Signal(str)

    def __init__(self, model: ConfigModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._csv_columns: list[str] = []
        self._rows: int | None = None   # the rows of the loaded data (a table or CSV)
        self._task: str | None = None   # the loaded data's task
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)

        # -- source: thumbnails for the 2-D generators
        outer.addWidget(heading("Data"))
        grid = QGridLayout()
        grid.setSpacing(4)
        self.source_buttons: dict[str, QToolButton] = {}
        self._source_group = QButtonGroup(self)
        self._source_group.setExclusive(False)  # none is checked for a table or CSV source
        for i, name in enumerate(GENERATORS_2D):
            button = QToolButton()
            button.setCheckable(True)
            button.setIcon(QIcon(render_thumbnail(name)))
            button.setIconSize(QSize(THUMB, THUMB))
            button.setText(name)
            # pictures only, as TensorFlow Playground's: four fit across a narrow panel;
            # the name is in the tooltip and the accessible name
            button.setToolButtonStyle(Qt.ToolButtonIconOnly)
            button.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
            button.setStyleSheet(_TOGGLE_STYLE)
            kind = generator_task(name)
            button.setToolTip(f"{name} ({kind}, 2-D)")
            button.setAccessibleName(f"Data set {name}")
            button.clicked.connect(lambda _=False, n=name: self._set_source(n))
            self._source_group.addButton(button)
            self.source_buttons[name] = button
            grid.addWidget(button, i // 4, i % 4)
        for col in range(4):
            grid.setColumnStretch(col, 1)
        outer.addLayout(grid)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignRight | Qt.AlignVCenter)
        form.setRowWrapPolicy(QFormLayout.WrapLongRows)  # a wide field goes under its label
        self.form = form
        self.table_combo = QComboBox()
        self.table_combo.addItem(_NO_SET)
        self.table_combo.addItems(SKLEARN_SETS)
        self.table_combo.setToolTip("A real tabular data set from scikit-learn")
        self.table_combo.setAccessibleName("Tabular data set")
        self.table_combo.activated.connect(self._on_table)
        form.addRow("Table:", self.table_combo)

        self.csv_button = QPushButton("Open CSV...")
        self.csv_button.setToolTip("Load a CSV file (one row per sample)")
        self.csv_button.setAccessibleName("Open CSV file")
        self.csv_button.clicked.connect(self.csv_requested)
        self.csv_label = QLabel()
        self.csv_label.setWordWrap(False)
        self.csv_label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        csv_row = QHBoxLayout()
        csv_row.addWidget(self.csv_button)
        csv_row.addWidget(self.csv_label, 1)
        form.addRow("File:", csv_row)

        self.target_combo = QComboBox()
        self.target_combo.setToolTip("The CSV column to predict")
        self.target_combo.setAccessibleName("Target column")
        self.target_combo.activated.connect(self._on_target)
        form.addRow("Target:", self.target_combo)

        # the CSV's feature columns: a checklist in a drop-down that stays open while ticking
        self.columns_button = QToolButton()
        self.columns_button.setAccessibleName("Feature columns")
        self.columns_button.setToolTip("The CSV columns the network takes as inputs; untick "
                                       "one to leave it out (text columns must be)")
        self.columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        # its text lists the columns: it must not widen the panel
        self.columns_button.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
        self.columns_list = QListWidget()
        self.columns_list.setAccessibleName("Feature column list")
        self.columns_list.setToolTip("Tick the columns the network takes as inputs")
        self.columns_list.itemChanged.connect(lambda _item: self._on_columns())
        menu = QMenu(self.columns_button)
        holder = QWidgetAction(menu)
        holder.setDefaultWidget(self.columns_list)
        menu.addAction(holder)
        self.columns_button.setMenu(menu)
        form.addRow("Columns:", self.columns_button)

        # -- size, noise, split
        self.samples_spin = QSpinBox()
        self.samples_spin.setRange(2, MAX_SAMPLES)
        self.samples_spin.setSingleStep(50)
        self.samples_spin.setToolTip("Number of points drawn from the 2-D generator")
        self.samples_spin.setAccessibleName("Samples")
        self.samples_spin.valueChanged.connect(lambda v: self._update(samples=v))
        form.addRow("Samples:", self.samples_spin)

        self.noise_spin = QDoubleSpinBox()
        self.noise_spin.setRange(0.0, 1.0)
        self.noise_spin.setSingleStep(0.05)
        self.noise_spin.setDecimals(2)
        self.noise_spin.setToolTip("Noise (TensorFlow Playground's slider / 100; it stops at 0.5)")
        self.noise_spin.setAccessibleName("Noise")
        self.noise_spin.valueChanged.connect(lambda v: self._update(noise=v))
        form.addRow("Noise:", self.noise_spin)

        self.test_spin = QDoubleSpinBox()
        self.test_spin.setRange(0.0, 0.9)
        self.test_spin.setSingleStep(0.05)
        self.test_spin.setDecimals(2)
        self.test_spin.setToolTip("Fraction of the samples held out for testing")
        self.test_spin.setAccessibleName("Test fraction")
        self.test_spin.valueChanged.connect(lambda v: self._update(test_fraction=v))
        form.addRow("Test fraction:", self.test_spin)
        for spin in (self.samples_spin, self.noise_spin, self.test_spin):
            spin.setKeyboardTracking(False)  # one update per typed value, not per keystroke

        # -- features
        features = QWidget()
        fgrid = QGridLayout(features)
        fgrid.setContentsMargins(0, 0, 0, 0)
        fgrid.setSpacing(3)
        self.feature_buttons: dict[str, QToolButton] = {}
        for i, name in enumerate(FEATURES_2D):
            button = QToolButton()
            button.setText(name)
            button.setCheckable(True)
            button.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
            button.setStyleSheet(_TOGGLE_STYLE)
            button.setToolTip(f"Feed {name} to the network (2-D sources only)")
            button.setAccessibleName(f"Feature {name}")
            button.toggled.connect(self._on_feature)
            self.feature_buttons[name] = button
            fgrid.addWidget(button, i // 4, i % 4)
        form.addRow("Features:", features)

        self.standardize_check = QCheckBox("Standardize inputs")
        self.standardize_check.setToolTip("Scale each input to mean 0, standard deviation 1 "
                                          "(fitted on the training split)")
        self.standardize_check.setAccessibleName("Standardize inputs")
        self.standardize_check.toggled.connect(lambda on: self._update(standardize=on))
        form.addRow("", self.standardize_check)
        self.standardize_target_check = QCheckBox("Standardize targets")
        self.standardize_target_check.setToolTip(
            "Train on the targets scaled to mean 0, standard deviation 1 (fitted on the "
            "training split): the loss is then in those units, and a learning rate that suits "
            "one data set suits another. R², MAE and the exports stay in the data's units")
        self.standardize_target_check.setAccessibleName("Standardize targets")
        self.standardize_target_check.toggled.connect(
            lambda on: self._update(standardize_target=on))
        form.addRow("", self.standardize_target_check)

        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, _SEED_MAX)
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.setToolTip("Seed of every random draw: data, weights, shuffling, dropout")
        self.seed_spin.setAccessibleName("Seed")
        self.seed_spin.valueChanged.connect(self._on_seed)
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.setToolTip("Draw new data (and weights): seed + 1")
        self.regenerate_button.setAccessibleName("Regenerate data")
        self.regenerate_button.clicked.connect(
            lambda: self._on_seed(min(self.model.config.seed + 1, _SEED_MAX)))
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed_spin, 1)
        seed_row.addWidget(self.regenerate_button)
        form.addRow("Seed:", seed_row)
        outer.addLayout(form)

        for field in (self.table_combo, self.target_combo, self.samples_spin, self.noise_spin,
                      self.test_spin, self.seed_spin):
            field.setMinimumWidth(72)  # not the width of their largest value: panels narrow
        self.table_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.target_combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)

        self.error_label = InlineError(self, "Data error")
        self._features_box = features
        outer.addStretch(1)

        model.changed.connect(self._on_changed)
        self.refresh()

    # -- edits -> model

    def _show_result(self, error: str | None, anchor: QWidget | None = None) -> None:
        """Show a refused edit beside its control and put the widgets back; clear on
        success."""
        if error:
            self.refresh()
        self.error_label.report(error, anchor)

    def _anchor(self, changes: dict) -> QWidget | None:
        """The control an edit of these fields came from."""
        fields = {"samples": self.samples_spin, "noise": self.noise_spin,
                  "test_fraction": self.test_spin, "features": self._features_box,
                  "standardize": self.standardize_check, "columns": self.columns_button,
                  "standardize_target": self.standardize_target_check}
        for key, widget in fields.items():
            if key in changes and "source" not in changes:
                return widget
        source = changes.get("source")
        if source in self.source_buttons:
            return self.source_buttons[source]
        return self.table_combo if source else None

    def _update(self, **changes) -> None:
        self._show_result(self.model.update_data(**changes), self._anchor(changes))

    def _set_source(self, name: str, path: str | None = None, target: str | None = None) -> None:
        data = self.model.config.data
        is_2d = name in GENERATORS_2D
        # 2-D sources keep their feature choice; the others have no features to pick
        features = (data.features if data.is_2d else None) if is_2d else None
        changes = dict(source=name, features=features, path=path, target=target, task=None,
                       columns=None, standardize_target=None)
        if is_2d and data.samples in TF_SAMPLES.values():
            # a count left at TensorFlow Playground's default follows the task, as there
            changes["samples"] = default_samples(name)
        self._update(**changes)
        self.refresh()  # a click on the checked thumbnail must not leave it unchecked

    def _on_table(self, index: int) -> None:
        if index > 0:
            self._set_source(self.table_combo.itemText(index))
        else:
            self.refresh()

    def _on_feature(self) -> None:
        chosen = tuple(n for n in FEATURES_2D if self.feature_buttons[n].isChecked())
        self._update(features=chosen)

    def _on_seed(self, seed: int) -> None:
        self._show_result(self.model.update_seed(int(seed)), self.seed_spin)

    def _on_target(self, _index: int) -> None:
        target = self.target_combo.currentText()
        if target != self.model.config.data.target:
            self.refresh()  # the combo shows the config's target until the file is read
            self.csv_target_requested.emit(target)

    def _on_columns(self) -> None:
        """The ticked columns, in the file's order; all of them is the default (None)."""
        items = [self.columns_list.item(i) for i in range(self.columns_list.count())]
        chosen = tuple(i.text() for i in items if i.checkState() == Qt.Checked)
        self._update(columns=None if len(chosen) == len(items) else chosen)

    def set_run(self, run) -> None:
        """A new run (RunView): a table or CSV has as many samples as its rows, which only the
        loaded data knows; Samples shows that count (greyed: a table is used whole)."""
        ds = run.dataset
        self._rows = int(len(ds.x_train) + len(ds.x_test))
        self._task = ds.task
        self.refresh()

    def show_snapshot(self, snap) -> None:
        """Nothing of a snapshot shows here (RunView)."""

    def _task_of(self, data) -> str | None:
        """The data's task: set, known from the source's name, or (a CSV's inferred one) as
        the loaded run had it."""
        if data.task is not None:
            return data.task
        if data.is_2d:
            return generator_task(data.source)
        if data.source in SKLEARN_SETS:
            return tabular_task(data.source)
        return self._task

    def _show_columns(self, data) -> None:
        """The CSV's columns but the target, ticked where the network uses them."""
        self.form.setRowVisible(self.columns_button, data is not None)
        self.columns_list.clear()
        if data is None:
            return
        target = self.target_combo.currentText()
        names = [c for c in self._csv_columns if c != target]
        used = set(names if data.columns is None else data.columns)
        for name in names:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
            item.setCheckState(Qt.Checked if name in used else Qt.Unchecked)
            self.columns_list.addItem(item)
        rows = min(len(names), 12)
        self.columns_list.setFixedHeight(self.columns_list.sizeHintForRow(0) * rows + 6
                                         if names else 20)
        n = len(used & set(names))
        shown = ", ".join(c for c in names if c in used)
        self.columns_button.setText(f"{n} of {len(names)}: {shown}" if names else "none")

    def set_csv_columns(self, columns) -> None:
        """The columns of the CSV file the config reads (the window read its header), for the
        target choice."""
        self._csv_columns = list(columns)

    def show_error(self, message: str | None) -> None:
        """Show a refusal beside the target (a CSV target the window could not use)."""
        self.error_label.report(message, self.target_combo if message else None)

    # -- model -> widgets

    def _on_changed(self, config: RunConfig, part: str) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Show ``model.config`` without feeding edits back."""
        config = self.model.config
        data = config.data
        widgets = [*self.source_buttons.values(), *self.feature_buttons.values(),
                   self.table_combo, self.target_combo, self.samples_spin, self.noise_spin,
                   self.test_spin, self.standardize_check, self.seed_spin,
                   self.standardize_target_check, self.columns_list]
        blockers = [QSignalBlocker(w) for w in widgets]
        for name, button in self.source_buttons.items():
            button.setChecked(name == data.source)
        self.table_combo.setCurrentIndex(max(self.table_combo.findText(data.source), 0))
        is_csv = data.source == "csv"
        self.csv_label.setText(data.path.replace("\\", "/").rsplit("/", 1)[-1] if is_csv else "")
        self.csv_label.setToolTip(data.path or "")
        self.target_combo.clear()
        if is_csv:
            columns = list(self._csv_columns)
            if data.target is not None and data.target not in columns:
                columns.append(data.target)
            self.target_combo.addItems(columns)
            self.target_combo.setCurrentIndex(self.target_combo.findText(data.target or ""))
            if data.target is None and columns:
                self.target_combo.setCurrentIndex(len(columns) - 1)
        self.form.setRowVisible(self.target_combo, is_csv)
        self._show_columns(data if is_csv else None)
        table_rows = None if data.is_2d else self._rows
        self.samples_spin.setValue(data.samples if table_rows is None
                                   else min(table_rows, MAX_SAMPLES))
        self.samples_spin.setToolTip(
            "Number of points drawn from the 2-D generator" if table_rows is None else
            f"This data set has {table_rows:,} rows, and all of them are used (split by "
            "Test fraction)")
        self.noise_spin.setValue(data.noise)
        self.form.setRowVisible(self.noise_spin, data.is_2d)
        self.test_spin.setValue(data.test_fraction)
        chosen = data.features or ()
        for name, button in self.feature_buttons.items():
            button.setChecked(name in chosen)
            button.setEnabled(data.is_2d)
        for w in (self.samples_spin, self.noise_spin):
            w.setEnabled(data.is_2d)
        self.standardize_check.setChecked(data.standardize)
        regression = self._task_of(data) == "regression"
        self.form.setRowVisible(self.standardize_target_check, regression)
        self.standardize_target_check.setChecked(data.scales_target("regression"))
        self.seed_spin.setValue(min(config.seed, _SEED_MAX))
        del blockers


if __name__ == "__main__":
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    panel = DatasetPanel(ConfigModel())
    panel.csv_requested.connect(lambda: panel.set_csv("example.csv", ["a", "b", "label"]))
    panel.resize(320, 620)
    panel.show()
    sys.exit(app.exec())

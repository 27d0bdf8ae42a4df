"""The main window: panels that edit the config, live plots, training controls, files.

One ``ConfigModel`` is the source of truth. A data or structure change builds a new run (a
new ``Trainer`` handed to the worker); a change of live hyperparameters (learning rate,
optimizer options, regularization, clipping, schedule) is applied to the running model. The
worker thread trains and streams snapshots; this window only draws them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox, QDockWidget, QFileDialog, QFrame, QLabel, QMainWindow, QMessageBox, QScrollArea,
    QSplitter, QToolBar, QWidget,
)

from playground import __version__
from playground import config as config_io
from playground.config import RunConfig
from playground.engine.session import Snapshot
from playground.engine.trainer import Trainer
from playground.errors import PlaygroundError
from playground.ui.config_model import ALL, DATA, MODEL, ConfigModel
from playground.ui.dataset_panel import DatasetPanel
from playground.ui.decision_plot import DecisionRegionPlot
from playground.ui.hyperparameter_panel import HyperparameterPanel
from playground.ui.layer_builder_panel import LayerBuilderPanel
from playground.ui.loss_plot import LossPlot
from playground.ui.lr_plot import LearningRatePlot
from playground.ui.worker import TrainingController

MAX_RECENT = 8
SHORTCUTS = (("Space", "Play / pause"), ("Right", "Step one batch"),
             ("Shift+Right", "Step one epoch"), ("Ctrl+R", "Reset the run"),
             ("Ctrl+O", "Open a config"), ("Ctrl+S", "Save the config"), ("Ctrl+Q", "Quit"))
FIXED_TRAIN_KEYS = ("loss", "batch_size", "shuffle", "dtype")
SPEEDS = (("1 epoch/s", 1.0), ("10 epochs/s", 10.0), ("30 epochs/s", 30.0),
          ("100 epochs/s", 100.0), ("1,000 epochs/s", 1000.0), ("As fast as possible", 0.0))
DEFAULT_SPEED = 3


def _scrolled(widget: QWidget) -> QScrollArea:
    """A panel in a scroll area, so docks can shrink on small screens (1024x700)."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
    # as wide as the panel wants (plus a scroll bar), never squeezed below it
    area.setMinimumWidth(widget.minimumSizeHint().width() + 16)
    return area


class MainWindow(QMainWindow):
    """Panels on the sides, decision regions and curves in the middle, controls on top."""

    def __init__(self, config: RunConfig | None = None, settings: QSettings | None = None,
                 base_dir: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Neural network playground")
        self.settings = settings or QSettings("playground", "playground")
        self.model = ConfigModel(config) if config else ConfigModel()
        self.base_dir = base_dir
        self.path: Path | None = None
        self._playing = False
        self.trainer = self._build_trainer(self.model.config)
        self.controller = TrainingController(self.trainer, parent=self)
        self._build_views()
        self._build_actions()
        self._connect()
        self._start_run(self.trainer)
        self._restore_settings()

    # --- construction --------------------------------------------------------------------

    def _build_views(self) -> None:
        self.decision_plot = DecisionRegionPlot()
        self.loss_plot = LossPlot()
        self.lr_plot = LearningRatePlot()
        split = QSplitter(Qt.Vertical)
        split.addWidget(self.decision_plot)
        split.addWidget(self.loss_plot)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.setCentralWidget(split)
        self.dataset_panel = DatasetPanel(self.model)
        self.layer_panel = LayerBuilderPanel(self.model)
        self.hyper_panel = HyperparameterPanel(self.model)
        self.docks = {}
        for name, title, widget, area in (
                ("data", "Data", self.dataset_panel, Qt.LeftDockWidgetArea),
                ("network", "Network", self.layer_panel, Qt.LeftDockWidgetArea),
                ("hyperparameters", "Hyperparameters", self.hyper_panel,
                 Qt.RightDockWidgetArea),
                ("lr", "Learning rate", self.lr_plot, Qt.RightDockWidgetArea)):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock-{name}")
            dock.setWidget(_scrolled(widget) if name != "lr" else widget)
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        self.resizeDocks([self.docks["hyperparameters"], self.docks["lr"]], [640, 200],
                         Qt.Vertical)
        self.resizeDocks([self.docks["data"], self.docks["network"]], [520, 380], Qt.Vertical)
        self.status = QLabel("Preparing the engine...")
        self.status.setAccessibleName("Training status")
        self.statusBar().addWidget(self.status, 1)

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ApplicationShortcut)
        action.setToolTip(f"{tip or text} ({shortcut})" if shortcut else (tip or text))
        action.setStatusTip(tip or text)
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.reset_action = self._action("Reset", self.reset, "Ctrl+R",
                                         "Start the run again from new initial weights")
        self.play_action = self._action("Play", self.toggle_play, "Space",
                                        "Train live / pause")
        self.step_batch_action = self._action("Step batch", self.controller.step_batch,
                                              "Right", "Train one batch")
        self.step_epoch_action = self._action("Step epoch", self.controller.step_epoch,
                                              "Shift+Right", "Train one epoch")
        bar = QToolBar("Training", self)
        bar.setObjectName("toolbar-training")
        bar.setToolButtonStyle(Qt.ToolButtonTextOnly)
        for action in (self.reset_action, self.play_action, self.step_batch_action,
                       self.step_epoch_action):
            bar.addAction(action)
        bar.addSeparator()
        speed_label = QLabel(" Speed ")
        self.speed_combo = QComboBox()
        self.speed_combo.setAccessibleName("Training speed")
        self.speed_combo.setToolTip("How fast Play trains, in epochs per second")
        for text, rate in SPEEDS:
            self.speed_combo.addItem(text, rate)
        self.speed_combo.setCurrentIndex(DEFAULT_SPEED)
        speed_label.setBuddy(self.speed_combo)
        bar.addWidget(speed_label)
        bar.addWidget(self.speed_combo)
        bar.addSeparator()
        self.epoch_label = QLabel("Epoch 0")
        self.epoch_label.setAccessibleName("Epoch counter")
        self.step_label = QLabel("Step 0")
        self.step_label.setAccessibleName("Step counter")
        for label in (self.epoch_label, self.step_label):
            label.setMinimumWidth(110)
            bar.addWidget(label)
        self.addToolBar(Qt.TopToolBarArea, bar)

        menu = self.menuBar().addMenu("&File")
        menu.addAction(self._action("&New", self.new_config, "Ctrl+N", "Start from the defaults"))
        menu.addAction(self._action("&Open config...", self.open_dialog, "Ctrl+O"))
        self.recent_menu = menu.addMenu("Open &recent")
        menu.addAction(self._action("&Save config", self.save, "Ctrl+S"))
        menu.addAction(self._action("Save config &as...", self.save_as, "Ctrl+Shift+S"))
        menu.addSeparator()
        menu.addAction(self._action("&Quit", self.close, "Ctrl+Q"))
        train_menu = self.menuBar().addMenu("&Train")
        for action in (self.play_action, self.step_batch_action, self.step_epoch_action,
                       self.reset_action):
            train_menu.addAction(action)
        view = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&Keyboard shortcuts", self.show_shortcuts))
        help_menu.addAction(self._action("&About", self.show_about))
        self._refresh_recent()

    def _connect(self) -> None:
        self.model.changed.connect(self._config_changed)
        self.controller.snapshot_ready.connect(self._show_snapshot)
        self.controller.failed.connect(self._worker_failed)
        self.controller.playing_changed.connect(self._playing_changed)
        self.dataset_panel.csv_requested.connect(self.open_csv_dialog)
        self.decision_plot.axes_changed.connect(self.controller.set_grid_inputs)
        self.speed_combo.currentIndexChanged.connect(
            lambda _index: self.controller.set_speed(self.speed_combo.currentData()))
        self.controller.set_speed(self.speed_combo.currentData())

    # --- runs ----------------------------------------------------------------------------

    def _build_trainer(self, config: RunConfig) -> Trainer:
        return Trainer(config, base_dir=self.base_dir)

    def _start_run(self, trainer: Trainer) -> None:
        """Show a new run's data and output layer; the worker already owns the trainer."""
        self.trainer = trainer
        ds = trainer.dataset
        self.decision_plot.set_dataset(ds)
        self.loss_plot.set_dataset(ds)
        self.lr_plot.set_dataset(ds)
        units = 1 if trainer.perceptron and ds.n_classes == 2 else (
            ds.n_classes if trainer.perceptron else trainer.model.n_outputs)
        activation = {"bce": "sigmoid", "cross_entropy": "softmax", "mse": "linear",
                      "perceptron": "step"}[trainer.loss_name]
        self.layer_panel.set_output(units, activation)

    def _config_changed(self, config: RunConfig, part: str) -> None:
        old = self.trainer.config
        live = (part not in (DATA, MODEL, ALL) and all(
            getattr(old.train, k) == getattr(config.train, k) for k in FIXED_TRAIN_KEYS))
        if live:
            self.controller.update_train(config.train)
            return
        self.rebuild()

    def rebuild(self) -> bool:
        """A new run from the current config; on bad input the old run stays and says why."""
        try:
            trainer = self._build_trainer(self.model.config)
        except (PlaygroundError, ValueError, OSError) as exc:
            self.show_error(str(exc))
            return False
        self.controller.replace_trainer(trainer)
        self._start_run(trainer)
        return True

    def reset(self) -> None:
        self.rebuild()

    def toggle_play(self) -> None:
        if self._playing:
            self.controller.pause()
        else:
            self.controller.play()

    def _playing_changed(self, playing: bool) -> None:
        self._playing = playing
        self.play_action.setText("Pause" if playing else "Play")

    def _show_snapshot(self, snap: Snapshot) -> None:
        self.decision_plot.show_snapshot(snap)
        self.loss_plot.show_snapshot(snap)
        self.lr_plot.show_snapshot(snap)
        if snap.confusion is not None and len(self.trainer.dataset.input_names) > 2:
            self.decision_plot.show_confusion(snap.confusion, self.trainer.dataset.class_names)
        self.epoch_label.setText(f"Epoch {snap.epoch:,}")
        self.step_label.setText(f"Step {snap.steps:,}")
        parts = [f"epoch {snap.epoch:,}"]
        if self._playing and snap.steps_per_second > 0:
            parts.append(f"{snap.steps_per_second:,.0f} steps/s")
        for key, name in (("train_loss", "train loss"), ("test_loss", "test loss")):
            value = snap.last(key)
            if value is not None:
                parts.append(f"{name} {value:.4g}")
        accuracy = snap.last("test_accuracy") or snap.last("train_accuracy")
        if accuracy is not None:
            parts.append(f"accuracy {100 * accuracy:.1f}%")
        parts.append(f"learning rate {snap.lr:.4g}")
        if snap.converged_epoch is not None:
            parts.append(f"perceptron converged at epoch {snap.converged_epoch}")
        self.status.setText("   ·   ".join(parts))

    def _worker_failed(self, message: str) -> None:
        self.show_error(message)

    def show_error(self, message: str) -> None:
        self.status.setText(message)
        QMessageBox.warning(self, "Playground", message)

    # --- files ---------------------------------------------------------------------------

    def _folder(self) -> str:
        return str(self.settings.value("last_folder", str(Path.home())))

    def new_config(self) -> None:
        from playground.ui.config_model import DEFAULT_CONFIG
        self.path = None
        self.base_dir = None
        self.model.set_config(DEFAULT_CONFIG)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open config", self._folder(),
                                              "Run configs (*.json);;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        """Load a config file; a bad one is reported and changes nothing."""
        try:
            config = config_io.load(path)
            Trainer(config, base_dir=str(Path(path).resolve().parent))
        except (PlaygroundError, ValueError, OSError) as exc:
            self.show_error(str(exc))
            return False
        self.path = Path(path)
        self.base_dir = str(self.path.resolve().parent)
        self.settings.setValue("last_folder", self.base_dir)
        self._remember(path)
        self.model.set_config(config)
        self.setWindowTitle(f"{self.path.name} - Neural network playground")
        return True

    def save(self) -> bool:
        if self.path is None:
            return self.save_as()
        return self._write(self.path)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save config", self._folder(),
                                              "Run configs (*.json)")
        if not path:
            return False
        if not path.endswith(".json"):
            path += ".json"
        return self._write(Path(path))

    def _write(self, path: Path) -> bool:
        try:
            config_io.save(self.model.config, path)
        except OSError as exc:
            self.show_error(f"Cannot save {path}: {exc.strerror or exc}")
            return False
        self.path = path
        self.settings.setValue("last_folder", str(path.resolve().parent))
        self._remember(str(path))
        self.setWindowTitle(f"{path.name} - Neural network playground")
        return True

    def open_csv_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open CSV", self._folder(),
                                              "CSV files (*.csv);;All files (*)")
        if path:
            self.open_csv(path)

    def open_csv(self, path: str) -> bool:
        """Read a CSV's header and offer its columns as the target (the last by default); the
        data itself loads, and is checked, when the panel applies the choice."""
        import csv

        from playground.errors import DataError
        from playground.userfiles import read_text
        try:
            text = read_text(path, "CSV file", DataError)
            header = next(csv.reader(text.splitlines()), [])
        except PlaygroundError as exc:
            self.show_error(str(exc))
            return False
        columns = [c.strip() for c in header if c.strip()]
        if len(columns) < 2:
            self.show_error(f"{Path(path).name} needs a header row naming at least two columns")
            return False
        self.settings.setValue("last_folder", str(Path(path).resolve().parent))
        self.dataset_panel.set_csv(str(Path(path).resolve()), columns)
        return True

    def _remember(self, path: str) -> None:
        recent = [p for p in self._recent() if p != str(path)]
        self.settings.setValue("recent", [str(path)] + recent[:MAX_RECENT - 1])
        self._refresh_recent()

    def _recent(self) -> list[str]:
        value = self.settings.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for path in self._recent():
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda checked=False, p=path: self.open_path(p))
        self.recent_menu.setEnabled(bool(self._recent()))

    # --- help, settings, drag and drop ------------------------------------------------------

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def show_about(self) -> None:
        QMessageBox.about(self, "About playground",
                          f"<b>playground</b> {__version__}<br>A desktop neural-network "
                          "playground with a PyTorch-exact NumPy + Numba engine.")

    def _restore_settings(self) -> None:
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 900)
        state = self.settings.value("window_state")
        if state is not None:
            self.restoreState(state)
        self.setAcceptDrops(True)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        if any(u.toLocalFile().lower().endswith((".csv", ".json"))
               for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            path = url.toLocalFile()
            if path.lower().endswith(".csv"):
                self.open_csv(path)
            elif path.lower().endswith(".json"):
                self.open_path(path)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self.controller.shutdown()
        super().closeEvent(event)


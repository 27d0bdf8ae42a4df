"""The main window: panels that edit the config, live plots, training controls, files.

One ``ConfigModel`` is the source of truth. A data or structure change builds a new run (a
new ``Trainer`` handed to the worker); a change of live hyperparameters (learning rate,
optimizer options, regularization, clipping, schedule) is applied to the running model. The
worker thread trains and streams snapshots; this window only draws them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QComboBox, QDockWidget, QFileDialog, QFrame, QLabel, QMainWindow, QMessageBox,
    QProgressBar, QScrollArea, QSplitter, QToolBar, QWidget,
)

from playground import __version__
from playground import config as config_io
from playground.config import RunConfig
from playground.engine.session import Snapshot
from playground.engine.trainer import Trainer
from playground.errors import PlaygroundError
from playground.io.atomic import atomic_write_bytes
from playground.io.workspace import EXTENSION, is_workspace_path
from playground.ui import perceptron_view, theme
from playground.ui.code_view import CodeView
from playground.ui.config_model import ALL, DATA, MODEL, ConfigModel
from playground.ui.dataset_panel import DatasetPanel
from playground.ui.decision_plot import DecisionRegionPlot
from playground.ui.hyperparameter_panel import HyperparameterPanel
from playground.ui.layer_builder_panel import LayerBuilderPanel
from playground.ui.loss_plot import LossPlot
from playground.ui.lr_plot import LearningRatePlot
from playground.ui.worker import TrainingController
from playground.ui.workspace_files import WorkspaceFiles, workspace_filter

MAX_RECENT = 8
SHORTCUTS = (("Space", "Play / pause"), ("Right", "Step one batch"),
             ("Shift+Right", "Step one epoch"), ("Ctrl+R", "Reset the run"),
             ("Ctrl+O", "Open a config or workspace"), ("Ctrl+S", "Save the config"),
             ("Ctrl+Alt+S", "Save the workspace"), ("Ctrl+Q", "Quit"))
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

    #: emitted (from any thread; delivered queued) when the engine's kernels are compiled
    engine_ready = Signal()

    def __init__(self, config: RunConfig | None = None, settings: QSettings | None = None,
                 base_dir: str | None = None, autosave_dir: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Neural network playground")
        self.settings = settings or QSettings("playground", "playground")
        self.model = ConfigModel(config) if config else ConfigModel()
        self.base_dir = base_dir
        self.path: Path | None = None
        self._playing = False
        self._adopting = False
        self._reread_data = False
        self.trainer: Trainer | None = None
        self.trainer = self._build_trainer(self.model.config)
        self.controller = TrainingController(self.trainer, parent=self)
        self._build_views()
        self.workspaces = WorkspaceFiles(self, autosave_dir)
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
        self.code_view = CodeView()
        self.docks = {}
        for name, title, widget, area in (
                ("data", "Data", self.dataset_panel, Qt.LeftDockWidgetArea),
                ("network", "Network", self.layer_panel, Qt.LeftDockWidgetArea),
                ("hyperparameters", "Hyperparameters", self.hyper_panel,
                 Qt.RightDockWidgetArea),
                ("lr", "Learning rate", self.lr_plot, Qt.RightDockWidgetArea),
                ("code", "Code", self.code_view, Qt.RightDockWidgetArea)):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock-{name}")
            dock.setWidget(_scrolled(widget) if name not in ("lr", "code") else widget)
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        self.tabifyDockWidget(self.docks["hyperparameters"], self.docks["code"])
        self.docks["hyperparameters"].raise_()
        self.resizeDocks([self.docks["hyperparameters"], self.docks["lr"]], [640, 200],
                         Qt.Vertical)
        self.resizeDocks([self.docks["data"], self.docks["network"]], [520, 380], Qt.Vertical)
        self.status = QLabel("")
        self.status.setAccessibleName("Training status")
        self.statusBar().addWidget(self.status, 1)
        self.engine_label = QLabel("Preparing the engine (compiling, first start only)...")
        self.engine_label.setAccessibleName("Engine status")
        self.engine_busy = QProgressBar()
        self.engine_busy.setRange(0, 0)        # busy: no known end
        self.engine_busy.setMaximumWidth(120)
        self.engine_busy.setAccessibleName("Preparing the engine")
        self.engine_busy.setToolTip("The training kernels compile once and are then cached; "
                                    "you can build a network meanwhile")
        self.statusBar().addPermanentWidget(self.engine_label)
        self.statusBar().addPermanentWidget(self.engine_busy)
        self.set_engine_ready(False)

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
        menu.addAction(self._action("&Open...", self.open_dialog, "Ctrl+O",
                                    "Open a run config (.json) or a workspace (.playground)"))
        self.recent_menu = menu.addMenu("Open &recent")
        menu.addSeparator()
        menu.addAction(self._action("&Save config", self.save, "Ctrl+S",
                                    "Save the run config (JSON: data, model, training)"))
        menu.addAction(self._action("Save config &as...", self.save_as, "Ctrl+Shift+S"))
        menu.addAction(self._action("Save &workspace", self.save_workspace, "Ctrl+Alt+S",
                                    "Save the whole run: config, data, weights, optimizer "
                                    "state and history, to train on later"))
        menu.addAction(self._action("Save workspace as...", self.save_workspace_as))
        menu.addSeparator()
        menu.addAction(self._action("&Export weights...", self.export_dialog, "Ctrl+E",
                                    "Write the trained weights for PyTorch, ONNX, Keras or "
                                    "NumPy"))
        menu.addAction(self._action("&Import weights...", self.import_dialog, "Ctrl+I",
                                    "Load weights (.safetensors, .npz, .json) into this model"))
        menu.addSeparator()
        menu.addAction(self._action("&Quit", self.close, "Ctrl+Q"))
        train_menu = self.menuBar().addMenu("&Train")
        for action in (self.play_action, self.step_batch_action, self.step_epoch_action,
                       self.reset_action):
            train_menu.addAction(action)
        view = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        theme_menu = view.addMenu("&Theme")
        self.theme_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for name in theme.THEMES:
            action = theme_menu.addAction(theme.LABELS[name])
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, n=name: self.set_theme(n))
            group.addAction(action)
            self.theme_actions[name] = action
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&Keyboard shortcuts", self.show_shortcuts))
        help_menu.addAction(self._action("&About", self.show_about))
        self._refresh_recent()

    def _connect(self) -> None:
        self.engine_ready.connect(lambda: self.set_engine_ready(True), Qt.QueuedConnection)
        self.model.changed.connect(self._config_changed)
        self.controller.snapshot_ready.connect(self._show_snapshot)
        self.controller.failed.connect(self._worker_failed)
        self.controller.playing_changed.connect(self._playing_changed)
        self.dataset_panel.csv_requested.connect(self.open_csv_dialog)
        self.decision_plot.axes_changed.connect(self.controller.set_grid_inputs)
        self.decision_plot.view_changed.connect(self.controller.set_grid_bounds)
        self.speed_combo.currentIndexChanged.connect(
            lambda _index: self.controller.set_speed(self.speed_combo.currentData()))
        self.controller.set_speed(self.speed_combo.currentData())

    # --- engine readiness and theme -----------------------------------------------------------

    def prepare_engine(self) -> None:
        """Compile (or load from the cache) the kernels on a background thread, showing
        "preparing the engine" until they are ready; the window stays responsive."""
        from playground.engine.warmup import warm_up_in_background
        self.set_engine_ready(False)
        warm_up_in_background(self.engine_ready.emit)

    def set_engine_ready(self, ready: bool) -> None:
        self.engine_ready_state = ready
        self.engine_label.setVisible(not ready)
        self.engine_busy.setVisible(not ready)
        if ready and not self.status.text():
            self.status.setText("Ready: press Play (Space) or Step (Right)")

    def set_theme(self, name: str) -> None:
        """Apply a window theme and remember it."""
        name = theme.apply(name)
        self.settings.setValue("theme", name)
        self.theme_actions[name].setChecked(True)

    # --- runs ----------------------------------------------------------------------------

    def _build_trainer(self, config: RunConfig) -> Trainer:
        """A new run; the current data is reused when the data settings and seed are the
        same (no CSV to read again, and a workspace's data outlives its CSV)."""
        old = self.trainer
        if (old is not None and not self._reread_data and old.config.data == config.data
                and old.config.seed == config.seed):
            return Trainer(config, dataset=old.dataset)
        return Trainer(config, base_dir=self.base_dir)

    def output_units(self) -> int:
        """Output units: the network's, or the perceptron's (one, or one per class)."""
        t = self.trainer
        if t.perceptron:
            return 1 if t.dataset.n_classes == 2 else t.dataset.n_classes
        return t.model.n_outputs

    def adopt(self, trainer: Trainer) -> None:
        """Make ``trainer`` (say, from a workspace) the run, as it is: no rebuild."""
        self._adopting = True
        try:
            self.model.set_config(trainer.config)
        finally:
            self._adopting = False
        self.controller.replace_trainer(trainer)
        self._start_run(trainer)

    def _start_run(self, trainer: Trainer) -> None:
        """Show a new run's data and output layer; the worker already owns the trainer."""
        self.trainer = trainer
        ds = trainer.dataset
        self.decision_plot.set_dataset(ds)
        self.loss_plot.set_dataset(ds)
        self.lr_plot.set_dataset(ds)
        units = self.output_units()
        activation = {"bce": "sigmoid", "cross_entropy": "softmax", "mse": "linear",
                      "perceptron": "step"}[trainer.loss_name]
        self.layer_panel.set_output(units, activation)
        self.code_view.show_model(trainer.config, ds.n_features, units, trainer.loss_name)
        self.decision_plot.set_perceptron(units if trainer.perceptron else 0)
        self.loss_plot.set_quantity("error rate" if trainer.perceptron else "loss")
        sample = trainer.perceptron
        self.step_batch_action.setText("Step sample" if sample else "Step batch")
        self.step_batch_action.setToolTip(
            "Train on one sample: one update of Rosenblatt's rule (Right)" if sample
            else "Train one batch (Right)")
        if sample:
            self.decision_plot.set_banner(*perceptron_view.status_text(0, 0, None, None, None,
                                                                      None))

    def _config_changed(self, config: RunConfig, part: str) -> None:
        if self._adopting:
            return
        old = self.trainer.config
        live = (part not in (DATA, MODEL, ALL) and all(
            getattr(old.train, k) == getattr(config.train, k) for k in FIXED_TRAIN_KEYS))
        if live:
            self.controller.update_train(config.train)
            t = self.trainer
            self.code_view.show_model(config, t.dataset.n_features, self.output_units(),
                                      t.loss_name)
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
        if snap.steps and not self.engine_ready_state:
            self.set_engine_ready(True)      # it trained: the kernels are there
        self.decision_plot.show_snapshot(snap)
        # while playing, a frame that redraws the regions leaves the curves to the next
        # frame (33 ms later): no frame pays for both (bench/ui.py's event-loop stalls)
        if not (self._playing and snap.grid is not None):
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
        if self.trainer.perceptron:
            self._show_perceptron_status(snap)
            if snap.converged_epoch is not None:
                parts.append(f"perceptron converged at epoch {snap.converged_epoch}")
        self.status.setText("   ·   ".join(parts))

    def _show_perceptron_status(self, snap: Snapshot) -> None:
        ds = self.trainer.dataset
        mistake = snap.last_mistake
        true_class = (str(ds.class_names[int(ds.y_train[mistake])])
                      if mistake is not None and 0 <= mistake < len(ds.y_train) else None)
        text, tone = perceptron_view.status_text(
            snap.epoch, self.trainer.config.train.epochs, snap.last("mistakes"),
            snap.converged_epoch, mistake, true_class)
        self.decision_plot.set_banner(text, tone)

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
        path, _ = QFileDialog.getOpenFileName(
            self, "Open", self._folder(),
            f"Configs and workspaces (*.json *{EXTENSION});;Run configs (*.json);;"
            f"{workspace_filter()};;All files (*)")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        """Load a config or a workspace file; a bad one is reported and changes nothing."""
        if is_workspace_path(path):
            if not self.workspaces.open(path):
                return False
            self.path = None
            self.base_dir = str(Path(path).resolve().parent)
            self.settings.setValue("last_folder", self.base_dir)
            self._remember(path)
            self.setWindowTitle(f"{Path(path).name} - Neural network playground")
            return True
        try:
            config = config_io.load(path)
            Trainer(config, base_dir=str(Path(path).resolve().parent))
        except (PlaygroundError, ValueError, OSError) as exc:
            self.show_error(str(exc))
            return False
        self.path = Path(path)
        self.workspaces.path = None
        self.base_dir = str(self.path.resolve().parent)
        self.settings.setValue("last_folder", self.base_dir)
        self._remember(path)
        self._reread_data = True  # a fresh read, even if the data settings look the same
        try:
            self.model.set_config(config)
        finally:
            self._reread_data = False
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
        self.saved(path, "config")
        return True

    def saved(self, path: Path, what: str) -> None:
        """A file was written: remember its folder, list it in Recent, name the window."""
        self.settings.setValue("last_folder", str(path.resolve().parent))
        self._remember(str(path))
        self.setWindowTitle(f"{path.name} - Neural network playground")
        self.statusBar().showMessage(f"Saved the {what} to {path}", 5000)

    # --- weights ---------------------------------------------------------------------------

    def export_dialog(self) -> None:
        from playground.ui.export_dialog import ExportDialog
        stem = (self.path or self.workspaces.path or Path("model")).name.split(".")[0]
        dialog = ExportDialog(self._folder(), stem or "model", self)
        if dialog.exec():
            self.export_weights(dialog.path())

    def export_weights(self, path: str | Path, on_done=None) -> None:
        """Encode on the worker (weights and metadata from one moment of the run, even while
        it plays), write here, atomically."""
        from playground.io.export_metadata import export_metadata
        from playground.io.weights import encode_weights, format_of
        path = Path(path)
        try:
            format_of(path)
        except PlaygroundError as exc:
            self.show_error(str(exc))
            return

        def written(result) -> None:
            ok = False
            if isinstance(result, BaseException):
                self.show_error(f"Cannot export {path.name}: {result}")
            else:
                try:
                    atomic_write_bytes(path, result)
                    ok = True
                except OSError as exc:
                    self.show_error(f"Cannot write {path}: {exc.strerror or exc}")
            if ok:
                self.settings.setValue("last_folder", str(path.resolve().parent))
                self.statusBar().showMessage(f"Exported the weights to {path}", 5000)
            if on_done is not None:
                on_done(ok)

        self.controller.call(
            lambda t: encode_weights(path, t.state_dict(), export_metadata(t)), written)

    def import_dialog(self) -> None:
        from playground.io.weights import WEIGHT_FORMATS
        readable = " ".join(f"*{ext}" for ext, f in WEIGHT_FORMATS.items() if f.read)
        path, _ = QFileDialog.getOpenFileName(self, "Import weights", self._folder(),
                                              f"Weights ({readable});;All files (*)")
        if path:
            self.import_weights(path)

    def import_weights(self, path: str | Path, on_done=None) -> None:
        """Load weights into the current model (keys, shapes and values checked); a
        mismatched file is reported and the model keeps its weights."""
        from playground.io.weights import check_dtype_range, load_weights
        try:
            state, _metadata = load_weights(path)
        except (PlaygroundError, OSError) as exc:
            self.show_error(str(exc))
            if on_done is not None:
                on_done(False)
            return

        def load(trainer) -> None:  # every check before anything changes
            check_dtype_range(state, trainer.config.train.dtype)
            trainer.load_state_dict(state)

        def loaded(result) -> None:
            ok = not isinstance(result, BaseException)
            if ok:
                self.statusBar().showMessage(f"Imported the weights of {Path(path).name}", 5000)
            else:
                self.show_error(f"Cannot import {Path(path).name}: {result}")
            if on_done is not None:
                on_done(ok)

        self.controller.call(load, loaded)

    def save_workspace(self) -> None:
        if self.workspaces.path is None:
            self.save_workspace_as()
        else:
            self.workspaces.save(self.workspaces.path)

    def save_workspace_as(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save workspace", self._folder(),
                                              workspace_filter())
        if path:
            if not path.lower().endswith(EXTENSION):
                path += EXTENSION
            self.workspaces.save(path)

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
        self.set_theme(str(self.settings.value("theme", "system")))
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
        if any(u.toLocalFile().lower().endswith((".csv", ".json", EXTENSION))
               for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        for url in event.mimeData().urls():
            path = url.toLocalFile()
            if path.lower().endswith(".csv"):
                self.open_csv(path)
            elif path.lower().endswith((".json", EXTENSION)):
                self.open_path(path)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.setValue("window_state", self.saveState())
        self.controller.shutdown()
        self.workspaces.close()
        super().closeEvent(event)


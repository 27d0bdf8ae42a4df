"""The main window: panels that edit the config, live plots, training controls, files.

One ``ConfigModel`` is the source of truth. A data or structure change builds a new run (a
new ``Trainer`` handed to the worker) before the change is accepted: the model's gate builds
it, so a config that cannot train is refused and the controls go back. A change of live
hyperparameters (learning rate, optimizer options, regularization, clipping, schedule) is
applied to the running model. Files are opened whole on a background thread
(``FileLoader``, ``playground.open_files``) and change nothing until they have loaded. The
worker thread trains and streams snapshots; this window only draws them.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QEvent, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton, QAbstractItemView, QAbstractSlider, QAbstractSpinBox, QApplication,
    QComboBox, QDockWidget, QFileDialog, QFrame, QLabel, QLineEdit, QMainWindow, QMessageBox,
    QPlainTextEdit, QProgressBar, QScrollArea, QSplitter, QTabBar, QTabWidget, QTextEdit,
    QToolBar, QVBoxLayout, QWidget,
)

from playground import __version__
from playground import config as config_io
from playground import examples
from playground.config import RunConfig
from playground.engine import hints
from playground.engine.session import Snapshot
from playground.engine.trainer import Trainer
from playground.errors import PlaygroundError
from playground.io.atomic import atomic_write_bytes
from playground.io.workspace import EXTENSION, is_workspace_path
from playground.open_files import Opened, Run, build_run
from playground.open_files import open_config as load_config_file
from playground.open_files import columns_for_target
from playground.open_files import open_csv as load_csv_file
from playground.open_files import open_workspace as load_workspace_file
from playground.progress import Cancelled
from playground.ui import theme
from playground.run_info import RunInfo
from playground.ui.code_view import CodeView
from playground.ui.confusion_view import ConfusionView
from playground.ui.config_model import ALL, DATA, MODEL, ConfigModel
from playground.ui.dataset_panel import DatasetPanel
from playground.ui.file_loader import FileLoader, title_of
from playground.ui.decision_plot import DecisionRegionPlot
from playground.ui.hyperparameter_panel import HyperparameterPanel
from playground.ui.layer_builder_panel import LayerBuilderPanel
from playground.ui.loss_plot import LossPlot
from playground.ui.lr_plot import LearningRatePlot
from playground.ui.messages import in_user_words
from playground.ui.notice_bar import NoticeBar
from playground.ui.prediction_plot import PredictionPlot
from playground.ui.run_notices import RunNotices
from playground.ui.frame_pacer import FramePacer
from playground.ui.widgets import on_screen
from playground.ui.worker import DIVERGED_MESSAGE, TrainingController
from playground.ui.workspace_files import WorkspaceFiles, workspace_filter

MAX_RECENT = 8
#: The training keys, and the focused controls that keep them for themselves.
TRAINING_KEYS = (Qt.Key_Space, Qt.Key_Right)
KEY_TAKERS = (QAbstractButton, QAbstractSpinBox, QLineEdit, QComboBox, QAbstractItemView,
              QPlainTextEdit, QTextEdit, QAbstractSlider, QTabBar)
#: Docked panels never ask for more width than this (they scroll instead).
PANEL_MIN_WIDTH = 300
#: a window at least this wide has the inspector docked on the right, else tabbed left
INSPECTOR_BESIDE = 1600
TITLE = "Neural network playground"
KEEP_SAMPLES = 3
#: seconds from show() to the start of the kernels' warm-up: the first layout and paint, and a
#: first Step pressed at once (an epoch on NumPy, 0.2-0.3 s), go first; the warm-up imports
#: Numba and compiles, holding the GIL for most of it (the kernels are ready 4-30 s later)
WARM_UP_AFTER = 1.5
SHORTCUTS = (("Space", "Play / pause"), ("Right", "Step one batch"),
             ("Shift+Right", "Step one epoch"), ("Ctrl+R", "Reset the run (same initial weights)"),
             ("Ctrl+Shift+R", "Reset with new initial weights"),
             ("Ctrl+N", "New run from the defaults"),
             ("Ctrl+O", "Open a config or workspace"), ("Ctrl+S", "Save the config"),
             ("Ctrl+Shift+S", "Save the config as"), ("Ctrl+Alt+S", "Save the workspace"),
             ("Ctrl+E", "Export weights"), ("Ctrl+I", "Import weights"),
             ("Ctrl+Z", "Undo a weight edit on the diagram"),
             ("Ctrl+0", "Fit the regions to the data (or double-click them)"),
             ("F1", "Guide to the views"), ("Ctrl+Q", "Quit"))
SPEEDS = (("1 epoch/s", 1.0), ("10 epochs/s", 10.0), ("30 epochs/s", 30.0),
          ("100 epochs/s", 100.0), ("1,000 epochs/s", 1000.0), ("As fast as possible", 0.0))
DEFAULT_SPEED = 3


def _scrolled(widget: QWidget) -> QScrollArea:
    """A panel in a scroll area, so docks can shrink on small screens (1024x700)."""
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
    area.setMinimumWidth(min(widget.minimumSizeHint().width() + 16, PANEL_MIN_WIDTH))
    return area


def first_size(available: QSize) -> QSize:
    """The first window on a screen: most of it (90%), at most 1920x1080, and at least
    1024x700 where the screen has room for that."""
    w = min(max(int(available.width() * 0.9), 1024), 1920, available.width())
    h = min(max(int(available.height() * 0.9), 700), 1080, available.height())
    return QSize(w, h)


def _optional_view(module: str, name: str, *args):
    """A view from ``playground.ui.<module>``, or None while that module is not there."""
    import importlib
    try:
        cls = getattr(importlib.import_module(f"playground.ui.{module}"), name)
    except (ImportError, AttributeError):
        return None
    return cls(*args)


def yield_training_key(event) -> bool:
    """Give a training key (Space, Right) back to the focused control that uses it: a
    shortcut override accepted here reaches that control as a key press instead."""
    if event.type() == QEvent.ShortcutOverride and event.key() in TRAINING_KEYS \
            and isinstance(QApplication.focusWidget(), KEY_TAKERS):
        event.accept()
        return True
    return False


class MainWindow(QMainWindow):
    """Panels on the sides, decision regions and curves in the middle, controls on top."""

    #: emitted (from any thread; delivered queued) when the engine's kernels are compiled
    engine_ready = Signal()

    def __init__(self, config: RunConfig | None = None, settings: QSettings | None = None,
                 base_dir: str | None = None, autosave_dir: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle(TITLE)
        self.settings = settings or QSettings("playground", "playground")
        self.model = ConfigModel(config) if config else ConfigModel()
        self.base_dir = base_dir
        self.path: Path | None = None
        self._playing = False
        self._adopting = False
        self._samples: dict[tuple, object] = {}   # raw samples by raw_key, the last few
        self._pending: Run | None = None      # the run the gate built for the config to come
        run = build_run(self.model.config, base_dir)
        self._keep_samples(run)
        self.trainer: Trainer = run.trainer
        self.model.gate = self._gate
        self.files = FileLoader(self)
        self.controller = TrainingController(self.trainer, parent=self)
        #: live snapshots drawn one view per event-loop turn (frame_pacer: no long stall)
        self.pacer = FramePacer(self.controller.release_delivery, self)
        self._build_views()
        self.workspaces = WorkspaceFiles(self, autosave_dir)
        self._build_actions()
        self.notices = RunNotices(self.notice, self.model, self.reset,
                                  lambda: float(self.speed_combo.currentData()),
                                  self.toggle_play)
        self._connect()
        self._start_run(self.trainer)
        self._restore_settings()

    # --- construction --------------------------------------------------------------------

    def _build_views(self) -> None:
        """The story reads left to right, as in TensorFlow Playground: the data and its
        settings (docks on the left), the network (the centre, with its code), the output
        (the regions, square, over the curves and the other outputs)."""
        self.decision_plot = DecisionRegionPlot()
        self.loss_plot = LossPlot()
        self.loss_plot.setAccessibleName("Loss curves")
        self.lr_plot = LearningRatePlot()
        self.confusion_view = ConfusionView()
        self.prediction_plot = PredictionPlot()
        self.code_view = CodeView()
        self.code_view.follow(self.model)
        self.diagram = _optional_view("network_diagram", "NetworkDiagram", self.model,
                                      self._edit_weight)
        self.gallery = _optional_view("sample_gallery", "SampleGallery")
        self.inspector = _optional_view("inspector", "Inspector", self.controller)
        self.runs_view = _optional_view("runs_view", "RunsView", self.controller, self.model)

        self.center_tabs = QTabWidget()
        self.center_tabs.setAccessibleName("Network and code")
        if self.diagram is not None:
            self.center_tabs.addTab(self.diagram, "Network")
        self.center_tabs.addTab(self.code_view, "Code")
        if self.runs_view is not None:   # every run kept and compared (the centre's height)
            self.center_tabs.addTab(self.runs_view, "Runs")
        self.output_tabs = QTabWidget()
        self.output_tabs.setAccessibleName("Curves and outputs")
        self._output_pages = [(self.loss_plot, "Curves"),
                              (self.lr_plot, "Learning rate"),
                              (self.confusion_view, "Confusion"),
                              (self.prediction_plot, "Predictions")]
        if self.gallery is not None:
            self._output_pages.append((self.gallery, "Samples"))
        self.dynamics_view = _optional_view("dynamics_view", "DynamicsView")
        if self.dynamics_view is not None:
            self._output_pages.insert(2, (self.dynamics_view, "Dynamics"))
        # narrow windows elide the titles (full in the tooltip) rather than scroll tabs away
        self.output_tabs.setUsesScrollButtons(False)
        self.output_tabs.tabBar().setElideMode(Qt.TextElideMode.ElideRight)
        for page, title in self._output_pages:
            index = self.output_tabs.addTab(page, title)
            self.output_tabs.setTabToolTip(index, title)
        output = QSplitter(Qt.Vertical)
        output.setChildrenCollapsible(False)
        output.addWidget(self.decision_plot)
        output.addWidget(self.output_tabs)
        output.setStretchFactor(0, 3)
        output.setStretchFactor(1, 2)
        self.output_split = output
        split = QSplitter(Qt.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(self.center_tabs)
        split.addWidget(output)
        split.setStretchFactor(0, 5)
        split.setStretchFactor(1, 4)
        self.main_split = split
        self._sizes_before_code = None
        self.notice = NoticeBar()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.notice)
        column.addWidget(split, 1)
        self.setCentralWidget(central)
        self.dataset_panel = DatasetPanel(self.model)
        self.layer_panel = LayerBuilderPanel(self.model)
        self.hyper_panel = HyperparameterPanel(self.model)
        self.docks = {}
        self._data_height: int | None = None   # the data panel's, while a tall dock is up
        for name, title, widget in (("data", "Data", self.dataset_panel),
                                    ("network", "Layers", self.layer_panel),
                                    ("hyperparameters", "Training", self.hyper_panel)):
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock-{name}")
            dock.setWidget(_scrolled(widget))
            self.addDockWidget(Qt.LeftDockWidgetArea, dock)
            self.docks[name] = dock
        self.tabifyDockWidget(self.docks["network"], self.docks["hyperparameters"])
        self.docks["network"].raise_()
        if self.inspector is not None:   # one sample's step: a tab here, or (``lay_out``,
            dock = QDockWidget("Inspector", self)       # a wide window) on the right
            dock.setObjectName("dock-inspector")
            dock.setWidget(self.inspector)
            self.addDockWidget(Qt.LeftDockWidgetArea, dock)
            self.tabifyDockWidget(self.docks["hyperparameters"], dock)
            self.docks["network"].raise_()
            self.docks["inspector"] = dock
            dock.visibilityChanged.connect(self._inspector_visible)
        self.lessons_panel = _optional_view("lessons_panel", "LessonsPanel", self.controller)
        if self.lessons_panel is not None:   # beside the inspector; opened from Lessons
            dock = QDockWidget("Lessons", self)
            dock.setObjectName("dock-lessons")
            dock.setWidget(self.lessons_panel)
            self.addDockWidget(Qt.LeftDockWidgetArea, dock)
            self.tabifyDockWidget(self.docks.get("inspector", self.docks["hyperparameters"]),
                                  dock)
            self.docks["network"].raise_()
            self.docks["lessons"] = dock
            dock.visibilityChanged.connect(lambda v, d=dock: self._tall_dock_visible(d, v))
        self.resizeDocks([self.docks["data"], self.docks["network"]], [500, 400], Qt.Vertical)
        #: every view that shows a run (the RunView protocol): handed each run and snapshot
        self.views = [v for v in (self.dataset_panel, self.layer_panel, self.decision_plot,
                                  self.loss_plot, self.lr_plot, self.confusion_view,
                                  self.prediction_plot, self.code_view, self.diagram, self.gallery,
                                  self.dynamics_view, self.inspector, self.runs_view)
                      if v is not None]
        self.status = QLabel("")
        self.status.setAccessibleName("Training status")
        self.statusBar().addWidget(self.status, 1)
        # while the kernels compile, Play and Step train on the NumPy engine (the worker
        # moves the run to the kernels when they are ready, mid-run, losing nothing)
        self.engine_label = QLabel("Preparing the engine: training on NumPy while the fast "
                                   "kernels compile (first start only)...")
        self.engine_label.setAccessibleName("Engine status")
        self.engine_label.setToolTip(
            "Play and Step train at once on the NumPy engine: the same training, only slower. "
            "The compiled kernels are cached, so later starts skip this; when they are ready "
            "the run moves to them between two steps, with nothing lost or repeated.")
        self.engine_busy = QProgressBar()
        self.engine_busy.setRange(0, 0)        # busy: no known end
        self.engine_busy.setMaximumWidth(120)
        self.engine_busy.setAccessibleName("Compiling the fast kernels")
        self.engine_busy.setToolTip(self.engine_label.toolTip())
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
                                         "Start the run again from the same initial weights")
        self.new_weights_action = self._action(
            "New weights", self.reset_new_weights, "Ctrl+Shift+R",
            "Start again from other initial weights (the same data and batches): see how "
            "much the starting point matters")
        self.play_action = self._action("Play", self.toggle_play, "Space",
                                        "Train live / pause")
        self.step_batch_action = self._action("Step batch", self.controller.step_batch,
                                              "Right", "Train one batch")
        self.step_epoch_action = self._action("Step epoch", self.controller.step_epoch,
                                              "Shift+Right", "Train one epoch")
        bar = QToolBar("Training", self)
        bar.setObjectName("toolbar-training")
        bar.setToolButtonStyle(Qt.ToolButtonTextOnly)
        for action in (self.reset_action, self.new_weights_action, self.play_action,
                       self.step_batch_action, self.step_epoch_action):
            bar.addAction(action)
        # as wide as its widest text, so the toolbar does not shift between Play and Pause
        play = bar.widgetForAction(self.play_action)
        widths = []
        for text in ("Pause", "Play"):
            self.play_action.setText(text)
            widths.append(play.sizeHint().width())
        play.setMinimumWidth(max(widths))
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
        self.examples_menu = menu.addMenu("E&xamples")
        self.examples_menu.setToolTipsVisible(True)
        for ex in examples.EXAMPLES:
            action = self.examples_menu.addAction(ex.title)
            action.setToolTip(ex.summary)
            action.triggered.connect(lambda _checked=False, n=ex.name: self.open_example(n))
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
        edit = self.menuBar().addMenu("&Edit")
        if self.diagram is not None:  # weights edited on the diagram, undone here
            undo = self.diagram.undo_stack.createUndoAction(self, "&Undo weight edit")
            undo.setShortcut(QKeySequence.Undo)
            redo = self.diagram.undo_stack.createRedoAction(self, "&Redo weight edit")
            redo.setShortcut(QKeySequence.Redo)
            edit.addAction(undo)
            edit.addAction(redo)
        edit.setEnabled(bool(edit.actions()))
        train_menu = self.menuBar().addMenu("&Train")
        for action in (self.play_action, self.step_batch_action, self.step_epoch_action,
                       self.reset_action, self.new_weights_action):
            train_menu.addAction(action)
        view = self.menuBar().addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        view.addAction(self._action("&Fit the regions to the data", self.decision_plot.fit,
                                    "Ctrl+0", "Frame the data again after a pan or zoom "
                                    "(or double-click the plot)"))
        theme_menu = view.addMenu("&Theme")
        self.theme_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for name in theme.THEMES:
            action = theme_menu.addAction(theme.LABELS[name])
            action.setCheckable(True)
            action.triggered.connect(lambda _checked=False, n=name: self.set_theme(n))
            group.addAction(action)
            self.theme_actions[name] = action
        if self.lessons_panel is not None:
            lessons_menu = self.menuBar().addMenu("&Lessons")
            lessons_menu.setToolTipsVisible(True)
            for i, lesson in enumerate(self.lessons_panel.catalog, 1):
                action = lessons_menu.addAction(f"{i}. {lesson.title}")
                action.setToolTip(lesson.summary)
                action.triggered.connect(lambda _c=False, n=lesson.id: self.open_lesson(n))
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&Guide to the views", self.show_guide, "F1",
                                         "What each part of the window shows"))
        help_menu.addAction(self._action("&Keyboard shortcuts", self.show_shortcuts))
        help_menu.addAction(self._action("&About", self.show_about))
        self._refresh_recent()

    def event(self, event) -> bool:
        """The app-wide training keys (Space, Right, Shift+Right) yield to the control that
        has the focus and uses them: Space toggles a focused checkbox, Right moves the cursor
        in a focused field, instead of playing or stepping. (A shortcut override the focused
        control ignores comes up its parents to here; accepting it gives the key back.)"""
        if yield_training_key(event):
            return True
        return super().event(event)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt's name)
        """The same for the app's other windows (the guide), whose key events stop at
        their own window and never come up to this one."""
        return yield_training_key(event) or super().eventFilter(watched, event)

    def _connect(self) -> None:
        self.engine_ready.connect(self._engine_compiled, Qt.QueuedConnection)
        self.model.changed.connect(self._config_changed)
        self.controller.snapshot_ready.connect(self._show_snapshot)
        self.controller.failed.connect(self._worker_failed)
        self.controller.playing_changed.connect(self._playing_changed)
        self.dataset_panel.csv_requested.connect(self.open_csv_dialog)
        self.dataset_panel.csv_target_requested.connect(self._csv_target)
        self.decision_plot.plane_changed.connect(self.controller.set_grid_plane)
        self.decision_plot.view_changed.connect(self.controller.set_grid_bounds)
        if self.diagram is not None:
            self.diagram.unit_hovered.connect(self._unit_hovered)
        if self.inspector is not None:
            self._wire_inspector()
        if self.lessons_panel is not None:
            self.lessons_panel.load_requested.connect(self._lesson_run)
        self.center_tabs.currentChanged.connect(self._center_tab_changed)
        self.speed_combo.currentIndexChanged.connect(
            lambda _index: self.controller.set_speed(self.speed_combo.currentData()))
        self.controller.set_speed(self.speed_combo.currentData())

    # --- engine readiness and theme -----------------------------------------------------------

    def prepare_engine(self) -> None:
        """Compile (or load from the cache) the kernels on a background thread, showing
        "preparing the engine" until they are ready; the window stays responsive, and Play
        and Step train on the NumPy engine meanwhile (the worker sees
        ``warmup.compiling()``)."""
        from playground.engine.warmup import warm_up_in_background
        self.set_engine_ready(False)
        warm_up_in_background(self.engine_ready.emit, start_after=WARM_UP_AFTER)

    def _engine_compiled(self) -> None:
        """The warm-up ended: the worker moves the run to the compiled kernels."""
        self.set_engine_ready(True)
        self.controller.engine_changed()

    def set_engine_ready(self, ready: bool) -> None:
        """Show (False) or hide (True) the engine status: the NumPy engine runs while the
        kernels compile."""
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

    def _needs_new_run(self, config: RunConfig, part: str) -> bool:
        """Data and structure changes need a new run, and so do the train settings a run is
        built with; the rest (learning rate, optimizer, regularization, clipping, schedule)
        applies live."""
        return part in (DATA, MODEL, ALL) or not self.trainer.applies_live(config.train)

    def _gate(self, config: RunConfig, part: str) -> None:
        """The config model's gate: build the run ``config`` describes (raising, with the
        reason, if it cannot be built), so that an accepted edit always has its run."""
        if not self._needs_new_run(config, part):
            return
        if self._pending is None or self._pending.trainer.config != config:
            self._pending = build_run(config, self.base_dir, self._samples)

    def adopt(self, run: Run) -> None:
        """Make ``run`` (built from an opened file) the run, as it is: no rebuild."""
        self._adopting = True
        try:
            self.model.set_config(run.trainer.config)
        finally:
            self._adopting = False
        self._replace_run(run)

    def _replace_run(self, run: Run) -> None:
        """Show a new run; one that replaces a playing run plays on (a dataset or layer
        change while training, as in TensorFlow Playground)."""
        playing = self._playing
        self._keep_samples(run)
        if self.runs_view is not None:   # recorded on the worker before the new run gets there
            self.runs_view.keep_outgoing()
        self.controller.replace_trainer(run.trainer)
        self._start_run(run.trainer)
        if playing:
            self.controller.play()

    def _start_run(self, trainer: Trainer) -> None:
        """Show a new run in every view; the worker already owns the trainer."""
        self.trainer = trainer
        self.notices.new_run(trainer)
        run = RunInfo.of(trainer)
        self.run = run
        self._last_snap = None
        self.pacer.cancel()
        for view in self.views:
            view.set_run(run)
        for page, _title in self._output_pages:
            self.output_tabs.setTabVisible(self.output_tabs.indexOf(page),
                                           getattr(page, "applies", True))
        sample = run.output_activation == "step"
        self.step_batch_action.setText("Step sample" if sample else "Step batch")
        self.step_batch_action.setToolTip(
            "Train on one sample: one update of Rosenblatt's rule (Right)" if sample
            else "Train one batch (Right)")

    def _center_tab_changed(self, _index: int) -> None:
        """The Code tab widens the centre until a whole line of code shows (the output
        narrows, down to a strip); back on the network, the widths are as they were."""
        sizes = self.main_split.sizes()
        if self.center_tabs.currentWidget() is self.code_view:
            need = self.code_view.full_line_width()
            if sizes[0] < need:
                self._sizes_before_code = sizes
                total = sum(sizes)
                least = max(self.output_split.minimumSizeHint().width(), 240)
                code = max(min(need, total - least), sizes[0])
                self.main_split.setSizes([code, total - code])
        elif self._sizes_before_code:
            self.main_split.setSizes(self._sizes_before_code)
            self._sizes_before_code = None

    def _edit_weight(self, key: str, index: tuple, value: float, on_done) -> None:
        """Set one parameter of the running model (the diagram, while paused); the worker
        then sends a snapshot with the new predictions."""
        self.controller.call(lambda t: t.set_value(key, index, value), on_done)

    def _unit_hovered(self, unit) -> None:
        """A unit of the diagram is under the pointer: its picture in the regions plot, until
        the pointer leaves it."""
        snap = self._last_snap
        if unit is None or snap is None or snap.unit_axes is None:
            self.decision_plot.show_output()
            return
        picture = self.diagram.picture(*unit)
        if picture is not None:
            self.decision_plot.show_picture(snap.unit_axes, picture,
                                            self.diagram.describe(*unit))

    def _wire_inspector(self) -> None:
        """A training point clicked in the regions, or a gallery image, goes to the
        inspector, whose sample is ringed in the regions and whose lines light the diagram."""
        ins = self.inspector
        self.decision_plot.sample_clicked.connect(self.inspect)
        ins.row_changed.connect(lambda row: self.decision_plot.mark_row(
            row if on_screen(ins) else None))
        if self.gallery is not None:
            self.gallery.sample_selected.connect(ins.pick_from_gallery)
        if self.diagram is not None:
            ins.highlight_requested.connect(
                lambda h: self.diagram.clear_highlight() if h is None
                else self.diagram.highlight(*h))

    def _inspector_visible(self, visible: bool) -> None:
        """Tabbed on the left (a small window), the inspector takes most of the height while
        it is in front; the data panel gets its height back after."""
        dock, data = self.docks["inspector"], self.docks["data"]
        # the ring marks the inspector's sample only while the inspector is there to say why
        self.decision_plot.mark_row(self.inspector.row if visible else None)
        if visible:
            self.inspector.revealed()
        self._tall_dock_visible(dock, visible)

    def _tall_dock_visible(self, dock: QDockWidget, visible: bool) -> None:
        """A reading panel tabbed on the left (the inspector, the lessons) takes most of the
        height while it is in front; the data panel gets its height back after. Decided once
        the tab change has settled (one tab's hide and the other's show come in either
        order)."""
        QTimer.singleShot(0, self._fit_tall_docks)

    def _fit_tall_docks(self) -> None:
        data = self.docks["data"]
        tall = [self.docks[n] for n in ("inspector", "lessons") if n in self.docks]
        front = next((d for d in tall if not d.isFloating() and on_screen(d)
                      and self.dockWidgetArea(d) == Qt.LeftDockWidgetArea), None)
        if front is not None and self._data_height is None:
            self._data_height = data.height()
            total = data.height() + front.height()
            self.resizeDocks([data, front], [total // 4, total - total // 4], Qt.Vertical)
        elif front is None and self._data_height is not None:
            below = self.docks["network"]
            total = data.height() + below.height()
            self.resizeDocks([data, below], [self._data_height, total - self._data_height],
                             Qt.Vertical)
            self._data_height = None

    def inspect(self, row: int) -> None:
        """Show training row ``row`` in the inspector (bringing its dock forward)."""
        dock = self.docks["inspector"]
        dock.show()
        dock.raise_()
        self.inspector.pick(row)

    def _config_changed(self, config: RunConfig, part: str) -> None:
        if self._adopting:
            return
        pending, self._pending = self._pending, None
        if not self._needs_new_run(config, part):
            self.controller.update_train(config.train)
            return
        if pending is not None and pending.trainer.config == config:
            self._replace_run(pending)
        else:
            self.rebuild()

    def rebuild(self) -> bool:
        """A new run from the current config (its samples reused, so a CSV is not read
        again); if that fails, the old run stays and says why."""
        try:
            run = build_run(self.model.config, self.base_dir, self._samples)
        except (PlaygroundError, ValueError, OSError) as exc:
            self.notices.failed(in_user_words(str(exc)))
            return False
        self._replace_run(run)
        return True

    def reset(self) -> None:
        self.rebuild()

    def reset_new_weights(self) -> None:
        """Reset from other initial weights: the init seed moves on by one (the data, split,
        batches and dropout keep the run's seed), and the config says so."""
        config = self.model.config
        current = config.model.init_seed
        seed = (config.seed if current is None else current) + 1
        error = self.model.update_model(init_seed=seed % 2**63)
        if error:
            self.notices.failed(in_user_words(error))
        else:
            self.statusBar().showMessage(f"New initial weights (init seed {seed})", 5000)

    def toggle_play(self) -> None:
        if self._playing:
            self.controller.pause()
            return
        if not self.notices.play_refused(self.trainer):
            self.controller.play()

    def _playing_changed(self, playing: bool) -> None:
        self._playing = playing
        self.play_action.setText("Pause" if playing else "Play")
        for view in self.views:
            if hasattr(view, "set_playing"):  # a view that edits the model only while paused
                view.set_playing(playing)

    def _show_snapshot(self, snap: Snapshot) -> None:
        if snap.run_id != self.trainer.run_id:
            return  # sent by a run that was replaced while it was on its way
        if snap.steps and snap.engine == "fused" and not self.engine_ready_state:
            self.set_engine_ready(True)      # it trained on the kernels: they are there
        if snap.units is not None or self._last_snap is None:
            self._last_snap = snap
        # while playing, a frame that redraws the regions leaves the curves to the next
        # frame (33 ms later): no frame pays for both (bench/ui.py's event-loop stalls)
        busy = self._playing and snap.grid is not None
        views = [view for view in self.views
                 if not (busy and getattr(view, "skips_grid_frames", False))]
        if self._playing:
            self.pacer.play_out(snap, views)
            if self.pacer.pending:            # the worker waits until the last has drawn
                self.controller.hold_delivery()
        else:
            self.pacer.show(snap, views)
        self.epoch_label.setText(f"Epoch {snap.epoch:,}")
        self.step_label.setText(f"Step {snap.steps:,}")
        parts = [f"epoch {snap.epoch:,}"]
        if self._playing and snap.steps_per_second > 0:
            parts.append(f"{snap.steps_per_second:,.0f} steps/s")
        quantity = self.run.quantity   # "loss", or a perceptron's "error rate"
        for key, name in (("train_loss", f"train {quantity}"), ("test_loss", f"test {quantity}")):
            value = snap.last(key)
            if value is not None:
                parts.append(f"{name} {value:.4g}")
        for key, name in (("test_accuracy", "test accuracy"),
                          ("train_accuracy", "train accuracy")):
            accuracy = snap.last(key)
            if accuracy is not None:  # the test split's when there is one
                parts.append(f"{name} {100 * accuracy:.1f}%")
                break
        for split in ("test", "train"):  # a regression's fit, in the data's units
            r2, mae = snap.last(f"{split}_r2"), snap.last(f"{split}_mae")
            if r2 is not None and mae is not None:
                parts.append(f"{split} R² {r2:.3f}, MAE {mae:.4g}")
                break
        parts.append(f"learning rate {snap.lr:.4g}")
        evaluation = snap.evaluation
        if evaluation is not None:  # the weights were edited by hand: the losses now
            now = [f"train loss now {evaluation.train_loss:.4g}"]
            if evaluation.test_loss is not None:
                now.append(f"test loss now {evaluation.test_loss:.4g}")
            parts = [", ".join(now) + " (edited by hand)"] + parts
        if snap.converged_epoch is not None:
            parts.append(f"perceptron converged at epoch {snap.converged_epoch}")
        self.status.setText("   ·   ".join(parts))
        self.notices.snapshot(snap, self._playing)

    def _worker_failed(self, message: str) -> None:
        """Training stopped: said on the notice bar, not in a dialog that would come back
        with every Play."""
        if message == DIVERGED_MESSAGE:
            t = self.trainer
            self.notices.diverged(hints.blown_up_at(t.history) or t.epoch, t.lr)
        else:
            self.notices.failed(message)

    def show_error(self, message: str) -> None:
        self.status.setText(message)
        QMessageBox.warning(self, "Playground", message)

    # --- files ---------------------------------------------------------------------------

    def _folder(self) -> str:
        return str(self.settings.value("last_folder", str(Path.home())))

    def new_config(self) -> None:
        from playground.ui.config_model import DEFAULT_CONFIG
        error = self.model.propose(DEFAULT_CONFIG)
        if error:
            self.notices.failed(in_user_words(error))
            return
        self.path = None
        self.base_dir = None
        self.workspaces.path = None
        self.setWindowTitle(TITLE)

    def open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open", self._folder(),
            f"Configs and workspaces (*.json *{EXTENSION});;Run configs (*.json);;"
            f"{workspace_filter()};;All files (*)")
        if path:
            self.open_path(path)

    def _load(self, path: str | Path, load, apply, on_done=None) -> None:
        """The one way in for a file: ``load(progress)`` off the UI thread, then
        ``apply(opened)`` here; a failure is reported and changes nothing, a cancel is
        quiet. ``on_done(ok)`` after either."""
        def done(result) -> None:
            ok = False
            if isinstance(result, Cancelled):
                self.statusBar().showMessage(f"Cancelled opening {title_of(path)}", 5000)
            elif isinstance(result, MemoryError):
                self.show_error(f"{path}: too large to open in the memory available")
            elif isinstance(result, (PlaygroundError, ValueError, OSError)):
                self.show_error(str(result))
            elif isinstance(result, BaseException):
                self.show_error(f"Cannot open {path}: {type(result).__name__}: {result}")
            else:
                ok = apply(result) is not False
            if on_done is not None:
                on_done(ok)

        self.files.start(title_of(path), load, done)

    def open_path(self, path: str, on_done=None, remember: bool = True) -> None:
        """Open a config or a workspace file (in the background); a bad one is reported and
        changes nothing. ``on_done(ok)`` when it has been opened or refused; ``remember``
        lists it in Open recent and names the window after it."""
        if is_workspace_path(path):
            load, apply = load_workspace_file, self._apply_workspace
        else:
            load, apply = load_config_file, self._apply_config
        self._load(path, lambda progress: load(path, progress),
                   lambda opened: apply(opened, remember), on_done)

    def open_lesson(self, lesson_id: str) -> None:
        """Bring the Lessons panel forward on lesson ``lesson_id``, at its first step."""
        dock = self.docks["lessons"]
        dock.show()
        dock.raise_()
        self.lessons_panel.open_lesson(lesson_id)

    def _lesson_run(self, config: RunConfig, label: str, weights: dict) -> None:
        """A lesson step's run becomes the run (a refused one is said, nothing changes);
        its hand-set tensors, if any, go in on the worker before it trains."""
        error = self.model.propose(config)
        if error:
            self.notices.failed(in_user_words(error))
            return
        self.path = None
        self.workspaces.path = None
        self.setWindowTitle(f"{label} (lesson) - {TITLE}")
        from playground.lessons import prepare
        run = self.trainer

        def ready(trainer) -> None:
            """Before it trains: every epoch recorded, as ``playground lesson check`` records
            it (Check my run reads the same curves); the hand-set tensors in."""
            if trainer is not run:
                return
            prepare(trainer)
            if weights:
                state = trainer.state_dict()
                state.update({k: v.astype(state[k].dtype) for k, v in weights.items()})
                trainer.load_state_dict(state)
        self.controller.call(ready, lambda result: None)
        self.statusBar().showMessage(f"Loaded {label}: press Play (Space) to train it", 8000)

    def open_example(self, name: str, on_done=None) -> None:
        """Open a shipped example (package data) as an untitled run: Save asks where, so the
        package's own file is never overwritten."""
        ex = examples.example(name)
        path = Path(str(resources.files(examples.__name__).joinpath(ex.filename)))

        def done(ok: bool) -> None:
            if ok:
                self.path = None
                self.setWindowTitle(f"{ex.title} (example) - {TITLE}")
                self.statusBar().showMessage(ex.summary, 8000)
            if on_done is not None:
                on_done(ok)

        self.open_path(str(path), done, remember=False)

    def _apply_config(self, opened: Opened, remember: bool) -> None:
        self.dataset_panel.set_csv_columns(opened.columns)
        self.adopt(opened.run)
        self.path = opened.path
        self.workspaces.path = None
        self._opened(opened.path, remember)

    def _apply_workspace(self, opened: Opened, remember: bool) -> None:
        self.dataset_panel.set_csv_columns(opened.run.trainer.dataset.input_names)
        self.adopt(opened.run)
        self.workspaces.opened(opened)
        self.path = None
        self._opened(opened.path, remember)

    def _opened(self, path: Path, remember: bool) -> None:
        self.base_dir = str(path.resolve().parent)
        if remember:
            self.settings.setValue("last_folder", self.base_dir)
            self._remember(str(path))
            self.setWindowTitle(f"{path.name} - {TITLE}")

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
        """Load weights into the current model (file read in the background; keys, shapes
        and values checked on the worker before anything changes); a mismatched file is
        reported and the model keeps its weights."""
        from playground.io.weights import check_dtype_range
        from playground.open_files import open_weights

        def apply(opened: Opened) -> bool:
            def load(trainer) -> None:  # every check before anything changes
                check_dtype_range(opened.state, trainer.config.train.dtype)
                trainer.load_state_dict(opened.state)

            def loaded(result) -> None:
                ok = not isinstance(result, BaseException)
                if ok:
                    self.statusBar().showMessage(
                        f"Imported the weights of {Path(path).name}", 5000)
                else:
                    self.show_error(f"Cannot import {Path(path).name}: {result}")
                if on_done is not None:
                    on_done(ok)

            self.controller.call(load, loaded)
            return True

        def read_done(ok: bool) -> None:
            if not ok and on_done is not None:
                on_done(False)

        self._load(path, lambda progress: open_weights(path, progress), apply, read_done)

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

    def open_csv(self, path: str | Path, target: str | None = None, on_done=None) -> None:
        """Use the CSV file ``path`` as the data (``target`` column, by default the last),
        read and checked whole in the background; the current settings change only once the
        new run is built. A re-picked target keeps the columns the user chose. A refused
        file is reported (beside the target for a re-picked target) and changes nothing."""
        config = self.model.config
        repick = target is not None and config.data.source == "csv"

        def apply(opened: Opened) -> bool:
            # the data part of the opened run, on top of any edit made while it loaded
            self.dataset_panel.set_csv_columns(opened.columns)
            current = self.model.config
            self._keep_samples(opened.run)
            if current == config:
                self._pending = opened.run
                error = self.model.propose(opened.config, DATA)
            else:
                error = self.model.propose(current.replace(data=opened.config.data), DATA)
            if error:
                self._csv_refused(error, target)
                return False
            if opened.left_out:
                names = ", ".join(f"'{c}'" for c in opened.left_out)
                plural = len(opened.left_out) > 1
                self.notice.show_notice(
                    f"Left out the text column{'s' if plural else ''} {names}: a network "
                    f"takes numbers. The inputs are the other {len(opened.config.data.columns)} "
                    "columns; the Columns button in the Data panel changes them.", "info",
                    key="columns")
            self.settings.setValue("last_folder", str(Path(path).resolve().parent))
            return True

        def done(ok: bool) -> None:
            if not ok:
                self.dataset_panel.refresh()
            if on_done is not None:
                on_done(ok)

        def load(progress):
            columns = columns_for_target(path, config.data, target) if repick else None
            return load_csv_file(path, config, target, progress, columns)

        if target is None:
            self._load(path, load, apply, done)
            return
        # a new target of the open CSV is an edit: a refusal shows beside the target
        self.files.start(title_of(path), load, lambda result: done(
            apply(result) if not isinstance(result, BaseException)
            else self._csv_refused(result, target)))

    def _csv_target(self, target: str) -> None:
        data = self.model.config.data
        if data.source == "csv" and data.path:
            from playground.data.csv_source import resolve_path
            self.open_csv(resolve_path(data.path, self.base_dir), target)

    def _csv_refused(self, error, target: str | None) -> bool:
        if isinstance(error, Cancelled):
            return False
        if target is None:
            self.show_error(str(error))
        else:
            self.dataset_panel.show_error(str(error))
        return False

    def _keep_samples(self, run: Run) -> None:
        """Keep ``run``'s raw samples for the next builds (a gate that finds them reads and
        generates nothing): the current run's and the last file's, at most ``KEEP_SAMPLES``."""
        self._samples.pop(run.key, None)
        self._samples[run.key] = run.raw
        while len(self._samples) > KEEP_SAMPLES:
            self._samples.pop(next(iter(self._samples)))

    def _remember(self, path: str) -> None:
        path = os.path.abspath(str(path))
        key = os.path.normcase(path)      # one file once on Windows: its case, its slashes
        recent = [p for p in self._recent() if os.path.normcase(os.path.abspath(p)) != key]
        self.settings.setValue("recent", [path] + recent[:MAX_RECENT - 1])
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

    def show_guide(self) -> None:
        from playground.ui.guide import GuideDialog
        if getattr(self, "guide", None) is None:
            self.guide = GuideDialog(self)
            self.guide.installEventFilter(self)   # Space scrolls the guide, as a reader expects
        self.guide.show()
        self.guide.raise_()

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
            self.resize(first_size(self.screen().availableGeometry().size()))
        state = self.settings.value("window_state")
        if state is not None:
            self.restoreState(state)
        self._laid_out = state is not None
        self.setAcceptDrops(True)

    def lay_out(self) -> None:
        """The first layout for this window size: the panels as wide as they need (about a
        quarter, at most 330 px), the network and the output sharing the rest, the regions
        square over the curves."""
        w, h = self.width(), self.height()
        panels = max(PANEL_MIN_WIDTH, min(330, w // 4))
        self.resizeDocks([self.docks["data"]], [panels], Qt.Horizontal)
        rest = max(w - panels, 400)
        inspector = self.docks.get("inspector")
        if inspector is not None and w >= INSPECTOR_BESIDE:   # room for it on the right
            self.addDockWidget(Qt.RightDockWidgetArea, inspector)
            side = max(PANEL_MIN_WIDTH, min(460, int(w * 0.24)))
            self.resizeDocks([inspector], [side], Qt.Horizontal)
            rest = max(rest - side, 400)
        output = max(min(int(rest * 0.47), h - 200), 300)
        self.main_split.setSizes([rest - output, output])
        regions = min(output + 60, int((h - 120) * 0.58))
        self.output_split.setSizes([regions, max(h - 120 - regions, 150)])

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._laid_out:  # the size is final now: lay out for it once
            self._laid_out = True
            if self.settings.value("window_state") is None:
                self.lay_out()

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
        self.pacer.cancel()
        self.controller.shutdown()
        self.workspaces.close()
        super().closeEvent(event)


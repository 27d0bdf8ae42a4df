"""The training worker: a QObject living on its own QThread that owns the live session.

The UI thread sends commands as queued signals (play, pause, step, replace the run); the worker
trains in time-boxed chunks of about 20 ms between event-loop turns, so commands are seen at
once, and emits at most ~30 immutable snapshots a second, however fast training runs. The
costly decision grid refreshes about 5 times a second. Errors pause training and are reported
as a message; a loss that turns NaN or infinite restores the last good weights.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from playground.engine.session import Session, Snapshot
from playground.engine.trainer import Trainer

CHUNK_SECONDS = 0.02
SNAPSHOT_INTERVAL = 1 / 30
GRID_INTERVAL = 0.2
DIVERGED_MESSAGE = ("Training paused: the loss became NaN or infinite, so the last good weights "
                    "were restored. Is the learning rate too high? Try a lower one, or "
                    "gradient clipping.")


class TrainingWorker(QObject):
    """Owns a ``Session``; create it, ``moveToThread`` it, then start the thread."""

    snapshot_ready = Signal(object)   # Snapshot
    failed = Signal(str)
    playing_changed = Signal(bool)

    def __init__(self, trainer: Trainer, with_grid: bool = True) -> None:
        super().__init__()
        self._session = Session(trainer)
        self._with_grid = with_grid
        self._timer: QTimer | None = None
        self._playing = False
        self._speed = 0.0          # epochs per second while playing; 0 = as fast as it goes
        self._budget = 0.0         # batch steps earned by the speed limit, not yet taken
        self._last_tick = time.monotonic()
        self._last_emit = 0.0
        self._last_grid = 0.0
        self._good_state = trainer.state_dict()
        # set by the UI thread once it has drawn the last snapshot: never queue a backlog
        self.delivered = threading.Event()
        self.delivered.set()

    # --- commands (slots, run on the worker's thread) -----------------------------------

    @Slot()
    def play(self) -> None:
        if self._timer is None:  # created here, on the worker's own thread
            self._timer = QTimer(self)
            self._timer.setInterval(0)
            self._timer.timeout.connect(self._tick)
        if not self._playing:
            if self._finished():  # all epochs done: nothing to play
                self._emit(force=True)
                return
            self._playing = True
            self._budget = 0.0
            self._last_tick = time.monotonic()
            self._timer.setInterval(0 if self._speed <= 0 else 10)
            self._timer.start()
            self.playing_changed.emit(True)

    @Slot()
    def pause(self) -> None:
        self._stop()
        self._emit(force=True)

    def _stop(self) -> None:
        if self._playing:
            self._playing = False
            if self._timer is not None:
                self._timer.stop()
            self.playing_changed.emit(False)

    @Slot()
    def step_batch(self) -> None:
        self._guarded(lambda: self._session.trainer.step_batch())

    @Slot()
    def step_epoch(self) -> None:
        self._guarded(lambda: self._session.trainer.step_epoch())

    @Slot(object)
    def replace_trainer(self, trainer: Trainer) -> None:
        """A new run (reset, or a data or structure change): training pauses."""
        self._stop()
        self._session = Session(trainer)
        self._good_state = trainer.state_dict()
        self._emit(force=True)

    @Slot(object)
    def update_train(self, train) -> None:
        """Apply live hyperparameters (learning rate, optimizer options, regularization,
        clipping, schedule) to the running model, without a reset."""
        self._guarded(lambda: self._session.trainer.update_train(train))

    @Slot(int, int)
    def set_grid_inputs(self, i: int, j: int) -> None:
        """Which two raw inputs the decision grid spans (the others at their mean)."""
        self._session.grid_inputs = (i, j)
        self._emit(force=True)

    @Slot()
    def shutdown(self) -> None:
        self._playing = False
        if self._timer is not None:
            self._timer.stop()

    # --- the loop --------------------------------------------------------------------------

    @Slot(float)
    def set_speed(self, epochs_per_second: float) -> None:
        """Limit live training to this many epochs a second (0: no limit)."""
        self._speed = max(0.0, float(epochs_per_second))
        if self._timer is not None:
            self._timer.setInterval(0 if self._speed <= 0 else 10)

    def _finished(self) -> bool:
        t = self._session.trainer
        return 0 < t.config.train.epochs <= t.epoch

    def _tick(self) -> None:
        if not self._playing:
            return
        t = self._session.trainer
        epochs = t.config.train.epochs
        left = t.steps_until(epochs) if epochs > 0 else None
        if self._speed <= 0:
            self._guarded(lambda: self._session.run_for(CHUNK_SECONDS, left), force=False)
        else:
            now = time.monotonic()
            self._budget += (now - self._last_tick) * self._speed * t.batches_per_epoch
            self._last_tick = now
            steps = int(self._budget)
            if steps:
                self._budget -= steps
                steps = min(steps, 10 * t.batches_per_epoch, left if left is not None else steps)
                self._guarded(lambda: t.run_steps(steps), force=False)
        if self._finished():
            self.pause()

    def _guarded(self, action, force: bool = True) -> None:
        try:
            action()
        except Exception as exc:  # shown to the user; the app keeps running
            self.pause()
            self.failed.emit(f"Training stopped: {type(exc).__name__}: {exc}")
            return
        if self._session.trainer.diverged:
            self._session.trainer.load_state_dict(self._good_state)
            self.pause()
            self.failed.emit(DIVERGED_MESSAGE)
            return
        self._emit(force=force)

    def _emit(self, force: bool) -> None:
        now = time.monotonic()
        if not force and (now - self._last_emit < SNAPSHOT_INTERVAL
                          or not self.delivered.is_set()):
            return
        self.delivered.clear()
        grid = self._with_grid and (force or now - self._last_grid >= GRID_INTERVAL)
        snap: Snapshot = self._session.snapshot(with_grid=grid)
        if grid:
            self._last_grid = now
        if not snap.diverged:
            self._good_state = snap.weights
        self._last_emit = now
        self.snapshot_ready.emit(snap)


class TrainingController(QObject):
    """The UI thread's handle on a worker: owns the thread, sends commands as queued signals.

    Call ``play()``, ``pause()``, ``step_batch()``, ``step_epoch()``, ``replace_trainer(t)``;
    listen to ``snapshot_ready``, ``failed`` and ``playing_changed`` (delivered on the UI
    thread). ``shutdown()`` stops the thread; call it before the window closes.
    """

    play_requested = Signal()
    pause_requested = Signal()
    step_batch_requested = Signal()
    step_epoch_requested = Signal()
    replace_requested = Signal(object)
    update_train_requested = Signal(object)
    grid_inputs_requested = Signal(int, int)
    speed_requested = Signal(float)
    shutdown_requested = Signal()

    snapshot_ready = Signal(object)
    failed = Signal(str)
    playing_changed = Signal(bool)

    def __init__(self, trainer: Trainer, with_grid: bool = True, parent=None) -> None:
        from PySide6.QtCore import QThread
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("playground-training")
        self._worker = TrainingWorker(trainer, with_grid)
        self._worker.moveToThread(self._thread)
        for signal, slot in ((self.play_requested, self._worker.play),
                             (self.pause_requested, self._worker.pause),
                             (self.step_batch_requested, self._worker.step_batch),
                             (self.step_epoch_requested, self._worker.step_epoch),
                             (self.replace_requested, self._worker.replace_trainer),
                             (self.update_train_requested, self._worker.update_train),
                             (self.grid_inputs_requested, self._worker.set_grid_inputs),
                             (self.speed_requested, self._worker.set_speed),
                             (self.shutdown_requested, self._worker.shutdown)):
            signal.connect(slot)
        self._worker.snapshot_ready.connect(self._deliver)
        self._worker.failed.connect(self.failed)
        self._worker.playing_changed.connect(self.playing_changed)
        self._thread.start()

    def _deliver(self, snap) -> None:
        """Runs on the UI thread: hand the snapshot to the views, then let the worker send
        the next one (so a slow paint drops frames instead of queueing them)."""
        try:
            self.snapshot_ready.emit(snap)
        finally:
            self._worker.delivered.set()

    def play(self) -> None:
        self.play_requested.emit()

    def pause(self) -> None:
        self.pause_requested.emit()

    def step_batch(self) -> None:
        self.step_batch_requested.emit()

    def step_epoch(self) -> None:
        self.step_epoch_requested.emit()

    def replace_trainer(self, trainer: Trainer) -> None:
        self.replace_requested.emit(trainer)

    def update_train(self, train) -> None:
        self.update_train_requested.emit(train)

    def set_grid_inputs(self, i: int, j: int) -> None:
        self.grid_inputs_requested.emit(i, j)

    def set_speed(self, epochs_per_second: float) -> None:
        self.speed_requested.emit(float(epochs_per_second))

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop training and the thread; True when the thread ended in time."""
        self._worker.snapshot_ready.disconnect(self._deliver)
        self.shutdown_requested.emit()
        self._thread.quit()
        return self._thread.wait(timeout_ms)

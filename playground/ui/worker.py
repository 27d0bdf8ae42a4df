"""The training worker: a QObject living on its own QThread that owns the live session.

The UI thread sends commands as queued signals (play, pause, step, replace the run); the worker
trains in time-boxed chunks of at most 10 ms between event-loop turns, so commands are seen at
once, and emits at most ~30 immutable snapshots a second, however fast training runs. The
costly decision grid refreshes about 5 times a second. Errors pause training and are reported
as a message; a loss that turns NaN or infinite restores the last good weights.
"""

from __future__ import annotations

import itertools
import sys
import threading
import time

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal, Slot

from playground.engine import warmup
from playground.engine.session import Session, Snapshot
from playground.engine.trainer import Trainer

CHUNK_SECONDS = 0.01
SNAPSHOT_INTERVAL = 1 / 30
GRID_INTERVAL = 0.2
GIL_SWITCH_SECONDS = 0.001
DIVERGED_MESSAGE = ("Training paused: the loss or the weights became NaN or infinite, so the "
                    "last good weights were restored. Is the learning rate too high? Try a lower one, or "
                    "gradient clipping.")


class TrainingWorker(QObject):
    """Owns a ``Session``; create it, ``moveToThread`` it, then start the thread."""

    snapshot_ready = Signal(object)   # Snapshot
    failed = Signal(str)
    playing_changed = Signal(bool)
    called = Signal(object, object)   # token, result (or the exception raised)

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
        self._moved = False        # this worker put the run on NumPy while the kernels compile
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
        self._moved = False
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

    @Slot(object)
    def set_grid_plane(self, spec) -> None:
        """The plane the grids span: "pca", "informative", "default" or a pair of inputs."""
        try:
            self._session.grid_plane = tuple(spec) if isinstance(spec, list) else spec
        except ValueError as exc:  # a plane that does not fit this run: keep the old one
            self.failed.emit(f"Cannot show that plane: {exc}")
            return
        self._emit(force=True)

    @Slot(object)
    def call(self, request) -> None:
        """Run ``fn(trainer)`` here, between chunks, where the trainer is consistent (for
        saving a workspace); the result, or the exception it raised, goes back with its
        token. Then a snapshot, unless the request says the call changed nothing."""
        token, fn, refresh = request
        try:
            self._sync_engine()
            result = fn(self._session.trainer)
        except Exception as exc:  # handed to the caller, who reports it
            result = exc
        self.called.emit(token, result)
        if refresh:
            self._emit(force=True)  # the call may have changed the run (imported weights)

    @Slot(object)
    def set_grid_bounds(self, bounds) -> None:
        """The input-plane rectangle (x0, x1, y0, y1) the grid covers: the plot's visible
        range, so the regions fill the view; None for the data's range."""
        self._session.grid_bounds = None if bounds is None else tuple(map(float, bounds))
        self._emit(force=True)

    @Slot()
    def engine_changed(self) -> None:
        """A background warm-up started or ended: move the run to the engine that can run
        now, and show it."""
        self._sync_engine()
        self._emit(force=True)

    def _sync_engine(self) -> None:
        """The run trains on the NumPy backend while a background warm-up compiles the
        kernels (``engine.warmup.compiling``: a compiled call would wait for it), then on
        the backend it was built for. Switched here, on the worker's thread between chunks,
        where the trainer is consistent; ``Trainer.use_backend`` keeps all of the run's
        state, so the run goes on as if it had trained on one backend."""
        t = self._session.trainer
        if warmup.compiling():
            if t.backend == "fused":
                t.use_backend("numpy")
                self._moved = True
        elif self._moved:
            t.use_backend("preferred")
            self._moved = False

    @Slot()
    def shutdown(self) -> None:
        """Stop, and hand this object back to the main thread: its timer is destroyed here,
        on the thread it belongs to, so that Qt does not have to stop it from another."""
        self._playing = False
        if self._timer is not None:
            self._timer.stop()
            shiboken6.delete(self._timer)
            self._timer = None
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())

    # --- the loop --------------------------------------------------------------------------

    @Slot(float)
    def set_speed(self, epochs_per_second: float) -> None:
        """Limit live training to this many epochs a second (0: no limit)."""
        self._speed = max(0.0, float(epochs_per_second))
        if self._timer is not None:
            self._timer.setInterval(0 if self._speed <= 0 else 10)

    def _finished(self) -> bool:
        """All epochs done, or a perceptron converged (nothing changes after that)."""
        t = self._session.trainer
        return 0 < t.config.train.epochs <= t.epoch or t.converged_epoch is not None

    def _tick(self) -> None:
        if not self._playing:
            return
        t = self._session.trainer
        epochs = t.config.train.epochs
        left = t.steps_until(epochs) if epochs > 0 else None
        if t.can_converge:  # an epoch at a time, so play stops at the epoch that converges
            left = t.steps_until(t.epoch + 1) if left is None else min(
                left, t.steps_until(t.epoch + 1))
        if self._speed <= 0:
            # end the chunk when the next snapshot is due, so frames keep their ~30/s pace
            due = self._last_emit + SNAPSHOT_INTERVAL - time.monotonic()
            budget = min(CHUNK_SECONDS, max(due, 0.002)) if self.delivered.is_set() \
                else CHUNK_SECONDS
            self._guarded(lambda: self._session.run_for(budget, left), force=False)
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
            self._sync_engine()
            action()
        except Exception as exc:  # shown to the user; the app keeps running
            self.pause()
            self.failed.emit(f"Training stopped: {type(exc).__name__}: {exc}")
            return
        if self._session.diverged:
            self._session.recover()
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
        self._sync_engine()
        grid = self._with_grid and (force or now - self._last_grid >= GRID_INTERVAL)
        snap: Snapshot = self._session.snapshot(with_grid=grid)
        if grid:
            self._last_grid = now
        if not snap.diverged:
            self._session.checkpoint(snap.weights)
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
    grid_bounds_requested = Signal(object)
    grid_plane_requested = Signal(object)
    call_requested = Signal(object)
    speed_requested = Signal(float)
    engine_changed_requested = Signal()
    shutdown_requested = Signal()

    snapshot_ready = Signal(object)
    failed = Signal(str)
    playing_changed = Signal(bool)

    def __init__(self, trainer: Trainer, with_grid: bool = True, parent=None) -> None:
        from PySide6.QtCore import QThread
        super().__init__(parent)
        # the worker's Python glue between kernel calls holds the GIL; hand it over every
        # millisecond (Python's default is 5 ms) so the UI thread never waits long for it
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_SECONDS))
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
                             (self.grid_bounds_requested, self._worker.set_grid_bounds),
                             (self.grid_plane_requested, self._worker.set_grid_plane),
                             (self.call_requested, self._worker.call),
                             (self.speed_requested, self._worker.set_speed),
                             (self.engine_changed_requested, self._worker.engine_changed)):
            signal.connect(slot)
        # waits for the worker to stop: quitting its loop right away could drop the command
        self.shutdown_requested.connect(self._worker.shutdown, Qt.BlockingQueuedConnection)
        self._worker.snapshot_ready.connect(self._deliver)
        self._worker.failed.connect(self.failed)
        self._worker.playing_changed.connect(self.playing_changed)
        self._worker.called.connect(self._called)
        self._pending: dict[int, object] = {}
        self._held = False
        self._tokens = itertools.count()
        self._thread.start()

    def _deliver(self, snap) -> None:
        """Runs on the UI thread: hand the snapshot to the views, then let the worker send
        the next one (so a slow paint drops frames instead of queueing them). A receiver
        that draws it later calls ``hold_delivery`` and then ``release_delivery``."""
        self._held = False
        try:
            self.snapshot_ready.emit(snap)
        finally:
            if not self._held:
                self._worker.delivered.set()

    def hold_delivery(self) -> None:
        """From a ``snapshot_ready`` receiver: the snapshot is still being drawn; the
        worker waits for ``release_delivery`` before it sends another (forced snapshots,
        a step's or a pause's, still come)."""
        self._held = True

    def release_delivery(self) -> None:
        """The held snapshot is drawn: the worker may send the next."""
        self._held = False
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

    def set_grid_bounds(self, bounds) -> None:
        self.grid_bounds_requested.emit(bounds)

    def set_grid_plane(self, spec) -> None:
        self.grid_plane_requested.emit(spec)

    def call(self, fn, on_done, refresh: bool = True) -> None:
        """Run ``fn(trainer)`` on the worker's thread; ``on_done(result)`` then runs on this
        thread, with the exception instead of a result if ``fn`` raised. ``refresh=False``
        for a call that only reads (a trace): no snapshot follows it."""
        token = next(self._tokens)
        self._pending[token] = on_done
        self.call_requested.emit((token, fn, refresh))

    def _called(self, token, result) -> None:
        on_done = self._pending.pop(token, None)
        if on_done is not None:
            on_done(result)

    def set_speed(self, epochs_per_second: float) -> None:
        self.speed_requested.emit(float(epochs_per_second))

    def engine_changed(self) -> None:
        """The kernels' warm-up started or ended (``engine.warmup``): the worker moves the
        run to the engine that can run now, between two chunks."""
        self.engine_changed_requested.emit()

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop training and the thread; True when the thread ended in time."""
        self._worker.snapshot_ready.disconnect(self._deliver)
        if self._thread.isRunning():
            self.shutdown_requested.emit()
        self._thread.quit()
        return self._thread.wait(timeout_ms)

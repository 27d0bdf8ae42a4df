"""The Inspector: one training step on one sample, forward, loss, backward and update, each
formula typeset beside its numbers, and "Step sample" to take exactly that step.

``Inspector(controller)`` is a ``RunView``. Pick a training row (``pick(row)``: the window
wires a click on a point of the regions plot and a training image of the sample gallery to
it; the row box; "Next misclassified", which is "Largest error" for a regression); the worker
traces it (``Trainer.trace``, on the worker's thread through ``controller.call``, never the
trainer here) and the panel shows ``inspector_lines.lines`` of the trace, which scroll: a
section per phase, a block per module, a rule from the formula registry, a line per unit with
its symbol typeset (``formula_render``, off the GUI thread) and its arithmetic as text,
painted by ``trace_canvas.TraceCanvas``.

- Hovering a line asks the network diagram to light what it is about, in its phase's colour
  (``highlight_requested((marks, colour))``, None on leave; ``NetworkDiagram.highlight``).
- "Step sample" runs ``Trainer.step_rows`` on the traced rows, only if the run has not moved
  since the trace (else it traces again), then shows the sample's loss before and after
  (evaluation mode, ``trace.row_losses``) and the next step's trace.
- "Play animation" lights the diagram phase by phase (``inspector_lines.animation``):
  forward module by module, the loss, backward, the update; ``animated(phase, module)`` at
  each step; a new run or a new pick stops it.
- One row cannot pass batchnorm in training mode: the panel says so and offers the row's
  batch (``TraceError.suggested_rows``); "With its batch" traces the batch the row trains in.

The trace follows the weights: while paused, every snapshot whose weights differ from the
traced ones (a step, an edit, imported weights) traces again; while playing, at most
``LIVE_TRACES`` times a second; hidden (a closed or covered dock), not at all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QFrame, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from playground.engine.trace import TraceError, batch_of, row_losses
from playground.ui import inspector_lines as il
from playground.ui.inspector_lines import Line
from playground.ui.trace_canvas import TraceCanvas
from playground.ui.widgets import on_screen

#: traces a second at most while training plays
LIVE_TRACES = 2.0
#: one step of the animation
ANIMATION_MS = 700


# --- the worker's side: what runs on the trainer's thread, Qt-free ---------------------------

@dataclass(frozen=True)
class Traced:
    """A trace of ``rows`` for training row ``row`` and what the model makes of that row now;
    ``steps``, ``edits`` and ``weights`` say which state of the run it traced. ``error`` (with
    ``suggested`` rows, maybe) when the rows cannot be traced."""

    run_id: int
    row: int
    rows: np.ndarray
    trace: object = None
    error: str = ""
    suggested: np.ndarray | None = None
    steps: int = 0
    edits: int = 0
    loss: float | None = None
    about: str = ""
    wrong: bool = False
    weights: dict = field(default_factory=dict)
    lines: list = field(default_factory=list)
    #: the entries the lines show of each tensor (``inspector_lines.Picks``)
    picks: dict = field(default_factory=dict)


def trace_row(t, row: int, with_batch: bool, keep: dict | None = None) -> Traced:
    """Trace training row ``row`` alone (or its batch) on trainer ``t``; the lines show the
    entries ``keep`` names (``Traced.picks``) where they can, else the largest."""
    rows = batch_of(t, row) if with_batch and not t.perceptron else np.array([row])
    try:
        tr = t.trace(rows)
    except TraceError as exc:
        return Traced(t.run_id, row, rows, error=str(exc), suggested=exc.suggested_rows,
                      steps=t.steps, edits=t.edits)
    about, wrong = describe_row(t, row)
    ds = t.dataset
    names = il.Names(tuple(ds.feature_names), tuple(str(c) for c in ds.class_names))
    lines, picks = il.lines_and_picks(tr, row, names, keep)
    return Traced(t.run_id, row, tr.rows, tr, steps=t.steps, edits=t.edits,
                  loss=float(row_losses(t, [row])[0]), about=about, wrong=wrong,
                  weights=dict(tr.params_before if t.perceptron else
                               tr.optimizer.params_before),
                  lines=lines, picks=picks)


def describe_row(t, row: int) -> tuple[str, bool]:
    """What the row is and what the model predicts for it now (evaluation mode), in words;
    and whether the prediction is wrong (a classification's class)."""
    ds = t.dataset
    p = t.predict(t.x_train[row:row + 1])[0]
    if ds.task == "regression":
        y = np.ravel(ds.y_train[row])
        return (f"target {il.short(y[0])}, predicted {il.short(p[0])}"
                + (f" (and {len(y) - 1} more outputs)" if len(y) > 1 else "")), False
    names = [str(n) for n in ds.class_names]
    y, k = int(ds.y_train[row]), int(np.argmax(p))
    wrong = k != y
    sure = "" if t.perceptron else f" (p = {il.short(p[k])})"
    return (f"class {names[y]}, predicted {names[k]}{sure}"
            + (": misclassified" if wrong else "")), wrong


def next_wrong(t, after: int) -> tuple[int | None, str]:
    """The next training row after ``after`` (wrapping) the model gets wrong, or for a
    regression the row with the largest error; (None, why) when there is none."""
    ds = t.dataset
    with np.errstate(all="ignore"):
        p = t.predict(t.x_train)
    if ds.task == "regression":
        y = np.asarray(ds.y_train, np.float64).reshape(len(p), -1)
        err = np.nan_to_num(np.abs(p - y).sum(axis=1), nan=np.inf)
        return int(np.argmax(err)), ""
    wrong = np.flatnonzero(p.argmax(axis=1) != ds.y_train)
    if not wrong.size:
        return None, "No training row is misclassified."
    later = wrong[wrong > after]
    return int(later[0] if later.size else wrong[0]), ""


def step_traced(t, traced: Traced, with_batch: bool):
    """Take the traced step (``Trainer.step_rows``) if the run is where it was traced:
    (loss before, loss after, the next trace); None if the run moved on meanwhile."""
    same = (t.run_id == traced.run_id and t.steps == traced.steps
            and t.edits == traced.edits)
    state = t.state_dict()
    if not same or any(not np.array_equal(state[k], v) for k, v in traced.weights.items()):
        return None
    before = float(row_losses(t, [traced.row])[0])
    t.step_rows(traced.rows)
    after = float(row_losses(t, [traced.row])[0])
    return before, after, trace_row(t, traced.row, with_batch)


# --- the view -------------------------------------------------------------------------------------

STEP_TIP = ("Take exactly the step shown: one optimizer step on this sample only (its batch, "
            "with the box ticked)")


def _named(widget, tip: str = ""):
    """A button named for assistive tools by its text, with its tooltip."""
    widget.setAccessibleName(widget.text())
    if tip:
        widget.setToolTip(tip)
    return widget

class Inspector(QWidget):
    """The step on one picked sample, worked out (see the module docstring)."""

    #: (marks, colour) for ``NetworkDiagram.highlight``, or None to clear it
    highlight_requested = Signal(object)
    #: the training row shown (None: none), for the regions plot's ring
    row_changed = Signal(object)
    #: each step of the animation: (phase, module)
    animated = Signal(str, int)
    #: the traced lines changed (tests and the window wait on it)
    traced = Signal()

    #: the window skips this view on frames that redraw the regions while playing
    skips_grid_frames = True

    def __init__(self, controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        self.setAccessibleName("Inspector")
        self.row_spin = QSpinBox()
        self.row_spin.setAccessibleName("Training row")
        self.row_spin.setToolTip("The training row to trace (also: click a training point "
                                 "in the regions plot)")
        self.row_spin.setKeyboardTracking(False)
        self.next_button = _named(QPushButton("Next misclassified"))
        self.batch_check = _named(QCheckBox("With its batch"),
                                  "Trace the whole batch the row trains in (the step Step "
                                  "batch takes), not the row alone; batchnorm needs it")
        self.step_button = _named(QPushButton("Step sample"), STEP_TIP)
        self.play_button = _named(QPushButton("Play animation"),
                                  "Light the network layer by layer: forward, the loss, "
                                  "backward, then the update")
        self.summary = QLabel("")
        self.summary.setAccessibleName("Inspector summary")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.offer = QPushButton("")
        self.offer.setAccessibleName("Use its batch")
        self.offer.setToolTip("Trace the sample together with the rest of its batch: "
                              "batchnorm needs more than one sample in training")
        self.offer.hide()
        self.result = QLabel("")
        self.result.setAccessibleName("Step sample result")
        self.result.setWordWrap(True)
        self.result.hide()
        self.canvas = TraceCanvas()
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.canvas)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.scroll.setAccessibleName("Inspector step")

        pick = QHBoxLayout()
        pick.setContentsMargins(0, 0, 0, 0)
        row_label = QLabel("Row")
        row_label.setBuddy(self.row_spin)
        pick.addWidget(row_label)
        pick.addWidget(self.row_spin, 1)
        pick.addWidget(self.next_button)
        act = QHBoxLayout()
        act.setContentsMargins(0, 0, 0, 0)
        act.addWidget(self.step_button, 1)
        act.addWidget(self.play_button, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.setSpacing(4)
        layout.addLayout(pick)
        layout.addWidget(self.batch_check)
        layout.addLayout(act)
        layout.addWidget(self.summary)
        layout.addWidget(self.offer)
        layout.addWidget(self.result)
        layout.addWidget(self.scroll, 1)
        self.setMinimumWidth(240)

        self.run = None
        self.row: int | None = None
        self.current: Traced | None = None
        self.lines: list[Line] = []
        self._playing = False
        self._pending = False       # a trace on its way from the worker
        self._dirty = False         # the run moved (or the pick changed) since that trace
        self._last_request = 0.0
        self._snap_steps: int | None = None
        self._suggested: np.ndarray | None = None
        self._steps: list[tuple[str, int]] = []
        self._step_at = 0
        self._live = QTimer(self)
        self._live.setSingleShot(True)
        self._live.setTimerType(Qt.PreciseTimer)   # a coarse timer may fire 5% early
        self._live.timeout.connect(self._live_due)
        self._timer = QTimer(self)
        self._timer.setInterval(ANIMATION_MS)
        self._timer.timeout.connect(self._advance)

        self.row_spin.valueChanged.connect(lambda v: self.pick(int(v)))
        self.next_button.clicked.connect(self.next_misclassified)
        self.batch_check.toggled.connect(lambda _on: self._retrace())
        self.step_button.clicked.connect(self.step_sample)
        self.play_button.clicked.connect(self.toggle_animation)
        self.offer.clicked.connect(lambda: self.batch_check.setChecked(True))
        self.canvas.hovered.connect(self._line_hovered)
        self._say("No run yet.")

    # --- RunView --------------------------------------------------------------------------

    def set_run(self, run) -> None:
        """A new run: stop the animation, forget the old trace, trace row 0."""
        self.stop_animation()
        self.run = run
        self.current, self.lines = None, []
        self.canvas.set_lines([])
        self.result.hide()
        n = len(run.dataset.y_train)
        perceptron = run.kind == "perceptron"
        self.batch_check.setVisible(not perceptron)
        regression = run.dataset.task == "regression"
        self.next_button.setText("Largest error" if regression else "Next misclassified")
        self.next_button.setAccessibleName(self.next_button.text())
        self.next_button.setToolTip(
            "The training row the model gets furthest from its target" if regression else
            "The next training row (after this one) the model classifies wrongly")
        self.row_spin.blockSignals(True)
        self.row_spin.setRange(0, max(n - 1, 0))
        self.row_spin.setSuffix(f" of {n:,}")
        self.row_spin.setValue(0)
        self.row_spin.blockSignals(False)
        self.row = None
        if n:
            self.pick(0)
        else:
            self._say("This run has no training rows.")

    def show_snapshot(self, snap) -> None:
        """The run moved on (or was edited): trace again, at once while paused, at most
        ``LIVE_TRACES`` a second while playing."""
        if self.run is None or snap.run_id != self.run.run_id:
            return
        self._snap_steps = snap.steps
        if self._outdated(snap):
            self._schedule()

    def set_playing(self, playing: bool) -> None:
        self._playing = bool(playing)
        self.step_button.setEnabled(not self._playing and self.current is not None
                                    and self.current.trace is not None)
        self.step_button.setToolTip("Pause training to step a sample" if playing else STEP_TIP)
        if not playing:
            self._schedule()

    def _outdated(self, snap) -> bool:
        cur = self.current
        if cur is None or cur.trace is None:
            return cur is None or snap.steps != cur.steps
        if snap.steps != cur.steps or snap.evaluation is not None:
            return True
        weights = snap.weights or {}
        return any(k in weights and not np.array_equal(weights[k], v)
                   for k, v in cur.weights.items())

    # --- picking ----------------------------------------------------------------------------

    def pick(self, row: int) -> None:
        """Trace training row ``row`` (a click on its point, the row box, the gallery)."""
        if self.run is None:
            return
        row = int(row)
        if self.row_spin.value() != row:
            self.row_spin.blockSignals(True)
            self.row_spin.setValue(row)
            self.row_spin.blockSignals(False)
        changed = row != self.row
        self.row = row
        if changed:
            self.stop_animation()
            self.result.hide()
            self.row_changed.emit(row)
        self._retrace()

    def pick_from_gallery(self, row: int, split: str) -> None:
        """A thumbnail was selected: a training image is traced; a test image cannot be (a
        step learns from training rows only), which the panel says."""
        if split == "train":
            self.pick(row)
        else:
            self.result.setText(f"The gallery shows test images (test row {row}); a training "
                                "step learns from training rows only, so the inspector "
                                "traces those: click a training point in the regions plot "
                                "or choose a row above.")
            self.result.show()

    def next_misclassified(self) -> None:
        if self.run is None:
            return
        after = -1 if self.row is None else self.row
        run_id = self.run.run_id

        def done(result) -> None:
            if isinstance(result, BaseException) or self.run is None \
                    or self.run.run_id != run_id:
                return
            row, why = result
            if row is None:
                self.result.setText(why)
                self.result.show()
            else:
                self.pick(row)

        self.controller.call(lambda t: next_wrong(t, after), done, refresh=False)

    # --- tracing ------------------------------------------------------------------------------

    def _retrace(self) -> None:
        self._dirty = True
        self._request()

    def _schedule(self) -> None:
        """Trace again: now, or (playing) once LIVE_TRACES allows."""
        self._dirty = True
        self._live_due()

    def _live_due(self) -> None:
        """Request the trace if LIVE_TRACES allows it now; else wake up when it does."""
        if not self._playing:
            self._request()
            return
        wait = self._last_request + 1 / LIVE_TRACES - time.monotonic()
        if wait <= 0:
            self._request()
        elif not self._live.isActive():
            self._live.start(int(wait * 1000) + 1)

    def _request(self) -> None:
        if self.run is None or self.row is None or not self._dirty:
            return
        if self._pending or not on_screen(self):
            return                # asked again when the trace comes back or when shown
        self._pending, self._dirty = True, False
        self._last_request = time.monotonic()
        row, with_batch = self.row, self.batch_check.isChecked()
        run_id = self.run.run_id
        shown = self.current
        # playing, the entries shown stay the same, to be followed as they change
        keep = shown.picks if (self._playing and shown is not None and shown.row == row
                               and shown.run_id == run_id) else None
        self.controller.call(lambda t: trace_row(t, row, with_batch, keep)
                             if t.run_id == run_id else None, self._traced, refresh=False)

    def _traced(self, result) -> None:
        self._pending = False
        if isinstance(result, Traced) and self.run is not None \
                and result.run_id == self.run.run_id:
            self._show(result)
        elif isinstance(result, BaseException):
            self._say(f"Cannot trace this row: {result}")
        if self._dirty:
            self._schedule()          # throttled while playing

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        self.revealed()

    def revealed(self) -> None:
        """Brought in front (shown, or its tab chosen): trace what changed while hidden, once
        the layout has placed it."""
        if self._dirty or self.current is None:
            self._dirty = True
            QTimer.singleShot(0, self._request)

    def hideEvent(self, event) -> None:  # noqa: N802
        self.stop_animation()
        super().hideEvent(event)

    def _show(self, traced: Traced) -> None:
        if traced.row != self.row:          # an older pick's: the newer one is on its way
            self._dirty = True
            return
        self.current = traced
        shown = traced.trace is not None
        self.step_button.setEnabled(shown and not self._playing)
        self.play_button.setEnabled(shown)
        if traced.trace is None:
            self.lines = []
            self.canvas.set_lines([])
            self._suggested = traced.suggested
            self._say(self._refusal(traced))
            return
        self.offer.hide()
        rows = traced.rows
        where = (f"training row {traced.row}" if len(rows) == 1 else
                 f"training row {traced.row} in its batch of {len(rows)} rows")
        what = "error" if self.run.kind == "perceptron" else "loss"
        loss = "" if traced.loss is None else f" · its {what} now {il.num(traced.loss)}"
        self.summary.setText(f"<b>{where[0].upper() + where[1:]}</b>: {traced.about}{loss}")
        self.lines = traced.lines
        self.canvas.set_lines(self.lines, relayout=not self._playing)
        self._steps = il.animation(traced.trace)
        self.traced.emit()

    def _refusal(self, traced: Traced) -> str:
        if traced.suggested is not None and len(traced.suggested):
            self.offer.setText(f"Trace its batch instead ({len(traced.suggested)} rows)")
            self.offer.show()
            return ("One row cannot go through batchnorm in training mode: a batch of one "
                    "has no variance, and PyTorch refuses it (\"Expected more than 1 value "
                    "per channel when training\"). Batchnorm normalises over the batch, so "
                    "trace the row with the batch it trains in.")
        self.offer.hide()
        return traced.error

    def _say(self, text: str) -> None:
        self.summary.setText(text)

    # --- the diagram -------------------------------------------------------------------------

    def _line_hovered(self, index: int) -> None:
        if self._timer.isActive():
            return                       # the animation owns the diagram's highlight
        if 0 <= index < len(self.lines) and self.lines[index].marks:
            line = self.lines[index]
            self.highlight_requested.emit((line.marks, il.PHASE_COLORS[line.phase]))
        else:
            self.highlight_requested.emit(None)

    # --- Step sample -------------------------------------------------------------------------

    def step_sample(self) -> None:
        """Take the traced step on the worker; then the row's loss before and after."""
        traced = self.current
        if traced is None or traced.trace is None or self._playing or self.run is None:
            if self._playing:
                self.result.setText("Pause training to step a sample.")
                self.result.show()
            return
        with_batch = self.batch_check.isChecked()
        self.step_button.setEnabled(False)

        def done(result) -> None:
            self.step_button.setEnabled(not self._playing and self.current is not None
                                        and self.current.trace is not None)
            if isinstance(result, BaseException):
                self.result.setText(f"Step sample failed: {result}")
            elif result is None:
                self.result.setText("The run moved on since this trace; it is traced again: "
                                    "press Step sample once more to take the step shown.")
                self._retrace()
            else:
                before, after, fresh = result
                self.result.setText(self._stepped(traced, before, after))
                self._show(fresh)
            self.result.show()

        self.controller.call(lambda t: step_traced(t, traced, with_batch), done)

    def _stepped(self, traced: Traced, before: float, after: float) -> str:
        what = "error" if self.run.kind == "perceptron" else "loss"
        rows = "" if len(traced.rows) == 1 else f" (a step on its batch of {len(traced.rows)})"
        if after < before:
            verdict = f"fell by {il.num(before - after)}"
        elif after > before:
            verdict = f"rose by {il.num(after - before)}"
        else:
            verdict = "stayed"
        return (f"Stepped on row {traced.row}{rows}: its {what} went {il.num(before)} → "
                f"{il.num(after)} ({verdict}; evaluation mode).")

    @property
    def step_result(self) -> str:
        return self.result.text() if self.result.isVisible() else ""

    # --- the animation -----------------------------------------------------------------------

    def toggle_animation(self) -> None:
        if self._timer.isActive():
            self.stop_animation()
        else:
            self.start_animation()

    def start_animation(self) -> None:
        if not self._steps:
            return
        self._step_at = 0
        self.play_button.setText("Stop animation")
        self._timer.start()
        self._advance()

    def stop_animation(self) -> None:
        was = self._timer.isActive()
        self._timer.stop()
        self.play_button.setText("Play animation")
        self.canvas.set_current(-1)
        if was:
            self.highlight_requested.emit(None)

    @property
    def animating(self) -> bool:
        return self._timer.isActive()

    def _advance(self) -> None:
        if self._step_at >= len(self._steps):
            self.stop_animation()
            return
        phase, module = self._steps[self._step_at]
        self._step_at += 1
        self.highlight_requested.emit(([(module, None, None)], il.PHASE_COLORS[phase]))
        index = self._line_of(phase, module)
        self.canvas.set_current(index)
        if index >= 0:               # the module's block at the top of the view
            self.scroll.verticalScrollBar().setValue(max(0, self.canvas.line_rect(index).top()
                                                         - 24))
        self.animated.emit(phase, module)

    def _line_of(self, phase: str, module: int) -> int:
        """The line the animation points at: the module's title in that phase's section (the
        section itself for the loss)."""
        for i, line in enumerate(self.lines):
            if line.phase != phase:
                continue
            if phase == "loss" and line.kind == "section":
                return i
            if line.kind == "module" and line.module == module:
                return i
        return next((i for i, line in enumerate(self.lines) if line.phase == phase), -1)


if __name__ == "__main__":
    import sys

    from PySide6.QtWidgets import QApplication

    from playground.config import RunConfig
    from playground.engine.trainer import Trainer
    from playground.run_info import RunInfo

    class _Direct:
        """Runs calls at once, on this thread (a preview without a worker)."""

        def __init__(self, trainer) -> None:
            self.trainer = trainer

        def call(self, fn, on_done, refresh: bool = True) -> None:
            try:
                result = fn(self.trainer)
            except Exception as exc:  # noqa: BLE001
                result = exc
            QTimer.singleShot(0, lambda: on_done(result))

    app = QApplication(sys.argv)
    cfg = RunConfig.from_dict({"format": 1, "data": {"source": "spiral"},
                               "model": {"type": "mlp", "layers": [
                                   {"type": "dense", "units": 8, "activation": "tanh"},
                                   {"type": "dense", "units": 6, "activation": "tanh"}]},
                               "train": {"epochs": 5}})
    trainer = Trainer(cfg)
    trainer.run_epochs(5)
    view = Inspector(_Direct(trainer))
    view.set_run(RunInfo.of(trainer))
    view.resize(420, 800)
    view.show()
    sys.exit(app.exec())

"""The Lessons panel: a bundled lesson, step by step, beside the app it steers.

A step shows its text, the formulas it is about (typeset cards from the engine's registries,
with the reference notebook's error where it made one), and what the learner is asked to do.
"Load" puts one of the step's runs into the app (the learner then trains it there, watching
the diagram and the curves); "Check my run" measures the step's claims on the live run (it
stands for the run loaded last; the others come from "Run the experiment"); "Run the
experiment" trains every run of the step in the background exactly as ``playground lesson
check`` does and shows each claim with the number measured. A step is done when its claims
hold; then Next is offered. Everything the panel measures comes from ``playground.lessons``
(Qt-free); the panel only shows it.
"""

from __future__ import annotations

import html
import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton,
                               QScrollArea, QSizePolicy, QVBoxLayout, QWidget)

from playground import lessons
from playground.config import RunConfig
from playground.ui import formula_render, formula_tips, plot_style

_OK, _NO = "\u2714", "\u2718"
#: "Load" buttons to a row
RUN_COLUMNS = 3


class _Relay(QObject):
    """Hands a background thread's result to the GUI thread."""

    done = Signal(object, object)   # token, result or exception


class LessonsPanel(QWidget):
    """See the module docstring. ``load_requested(config, label, weights)`` asks the window
    to make ``config`` the run, with the hand-set tensors ``weights`` (state_dict name ->
    array; empty for most runs); ``controller`` runs the live-run check on the worker."""

    load_requested = Signal(object, str, object)

    def __init__(self, controller, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Lessons")
        self.controller = controller
        self.catalog = lessons.catalog()
        self.lesson: lessons.Lesson | None = None
        self.index = 0
        self.loaded: str | None = None          # the step's run the live run stands for
        self.trained: dict[str, Any] = {}       # the experiment's trainers, by run name
        self.done_steps: set[tuple[str, int]] = set()
        self.results: list = []
        self._results_of: str | None = None     # whose results are shown ("Your run")
        self._token = 0
        self._relay = _Relay()
        self._relay.done.connect(self._experiment_done, Qt.QueuedConnection)

        self.chooser = QComboBox()
        self.chooser.setAccessibleName("Lesson")
        self.chooser.setToolTip("The lesson to follow (also in the Lessons menu)")
        # long titles must not widen the dock: the list shows them whole when it opens
        self.chooser.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.chooser.setMinimumContentsLength(16)
        for i, lesson in enumerate(self.catalog, 1):
            self.chooser.addItem(f"{i}. {lesson.title}", lesson.id)
            self.chooser.setItemData(i - 1, lesson.summary, Qt.ToolTipRole)
        self.chooser.currentIndexChanged.connect(
            lambda i: self.open_lesson(self.chooser.itemData(i)))
        self.progress = QLabel()
        self.back = QPushButton("Back")
        self.next = QPushButton("Next step")
        self.back.clicked.connect(lambda: self.show_step(self.index - 1))
        self.next.clicked.connect(lambda: self.show_step(self.index + 1))
        nav = QHBoxLayout()
        nav.addWidget(self.progress, 1)
        nav.addWidget(self.back)
        nav.addWidget(self.next)

        self.body = QLabel()
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.RichText)
        self.body.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.body.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.body.setAccessibleName("Lesson step")
        self.body.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Minimum)
        #: the step's "Load" buttons, RUN_COLUMNS to a row (a step of six runs would
        #: otherwise widen the panel past its dock, and clip the text)
        self.runs_row = QGridLayout()
        self.runs_row.setContentsMargins(0, 0, 0, 0)
        self.check_button = QPushButton("Check my run")
        self.check_button.setToolTip("Measure this step's claims on the run in the window "
                                     "(as trained so far)")
        self.check_button.clicked.connect(self.check_live)
        self.experiment_button = QPushButton("Run the experiment")
        self.experiment_button.setToolTip("Train every run of this step in the background, as "
                                          "'playground lesson check' does, and measure its "
                                          "claims")
        self.experiment_button.clicked.connect(self.run_experiment)
        actions = QHBoxLayout()
        actions.addWidget(self.check_button)
        actions.addWidget(self.experiment_button)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextFormat(Qt.RichText)
        self.result.setAccessibleName("Lesson check")

        inner = QWidget()
        column = QVBoxLayout(inner)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.body)
        column.addLayout(self.runs_row)
        column.addLayout(actions)
        column.addWidget(self.result)
        column.addStretch(1)
        scroll = self.scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.NoFrame)
        scroll.setWidget(inner)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.chooser)
        layout.addLayout(nav)
        layout.addWidget(scroll, 1)
        plot_style.follow_theme(self, LessonsPanel._restyle)
        # the formulas' images are capped to the panel's width: drawn again when it changes
        self._drawn_width = 0
        self._resized = QTimer(self)
        self._resized.setSingleShot(True)
        self._resized.setInterval(60)
        self._resized.timeout.connect(self._width_changed)
        if self.catalog:
            self.open_lesson(self.catalog[0].id)

    def _restyle(self, _theme: plot_style.PlotTheme) -> None:
        # a theme switch: the step's muted note and the check's marks in the new colours
        if self.lesson is not None:
            self._draw_step()
        if self._results_of is not None:
            self._write_results()

    # --- RunView (nothing to follow: the panel reads the run only when asked) -----------------

    def set_run(self, run) -> None:
        pass

    def show_snapshot(self, snap) -> None:
        pass

    # --- navigation ---------------------------------------------------------------------------

    @property
    def step(self) -> lessons.Step | None:
        return None if self.lesson is None else self.lesson.steps[self.index]

    def open_lesson(self, lesson_id: str) -> None:
        lesson = lessons.lesson(lesson_id)
        if self.lesson is not None and lesson.id == self.lesson.id:
            return
        self.lesson = lesson
        i = self.chooser.findData(lesson.id)
        if i != self.chooser.currentIndex():
            self.chooser.blockSignals(True)
            self.chooser.setCurrentIndex(i)
            self.chooser.blockSignals(False)
        self.show_step(0)

    def show_step(self, index: int) -> None:
        if self.lesson is None:
            return
        self.index = max(0, min(index, len(self.lesson.steps) - 1))
        self._token += 1                         # an experiment still running is for another step
        self.loaded, self.trained, self.results = None, {}, []
        self.experiment_button.setEnabled(True)
        self.experiment_button.setText("Run the experiment")
        self.result.setText("")
        self._results_of = None
        self._draw_step()
        self._draw_runs()
        self._update_nav()
        keys = self._formula_keys()
        if keys:
            formula_render.prefetch(formula_tips.latex_of(keys), self._formula_size(),
                                    on_ready=self._draw_step)

    def _update_nav(self) -> None:
        n = len(self.lesson.steps)
        done = (self.lesson.id, self.index) in self.done_steps
        self.progress.setText(f"Step {self.index + 1} of {n}" + (f"  {_OK} done" if done else ""))
        self.back.setEnabled(self.index > 0)
        self.next.setEnabled(self.index < n - 1)
        self.next.setDefault(done and self.index < n - 1)
        self.next.setText("Next step" + (" \u2192" if done else ""))

    # --- drawing ------------------------------------------------------------------------------

    def _formula_keys(self) -> list[tuple[str, str]]:
        return [tuple(k.split("/", 1)) for k in self.step.formulas] if self.step else []

    def _formula_size(self) -> float:
        return self.font().pointSizeF() + formula_tips.POINT_STEP

    def _draw_step(self) -> None:
        step = self.step
        if step is None:
            return
        pal = self.palette()
        muted = pal.color(QPalette.PlaceholderText).name()
        parts = [f"<h3>{html.escape(step.title)}</h3>"]
        parts += [f"<p>{html.escape(p)}</p>" for p in step.text.split("\n\n") if p.strip()]
        self._drawn_width = self._text_width()
        for key in self._formula_keys():
            card, _complete = formula_tips.card_html([key], pal=pal, size=self._formula_size(),
                                                      width=None, max_width=self._drawn_width)
            parts.append(card)
        if step.task:
            parts.append(f'<p><b>Your turn.</b> {html.escape(step.task)}</p>')
        if len(step.run_names) > 1:
            parts.append(f'<p style="color:{muted}">This step compares the runs '
                         f'{", ".join(step.run_names)}; the Runs tab keeps every run you '
                         'train, to compare them side by side.</p>')
        self.body.setText("".join(parts))

    def _text_width(self) -> int:
        """The width (logical px) the step's text has in the scroll area."""
        margins = self.body.parentWidget().layout().contentsMargins()
        return max(120, self.scroll.viewport().width() - margins.left() - margins.right())

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._resized.start()

    def _width_changed(self) -> None:
        if self.step is not None and self._text_width() != self._drawn_width:
            self._draw_step()

    def _draw_runs(self) -> None:
        while self.runs_row.count():
            item = self.runs_row.takeAt(0)
            if item.widget() is not None:     # hidden now: deleteLater waits for a loop
                item.widget().hide()
                item.widget().deleteLater()
        step = self.step
        self.runs_row.addWidget(QLabel("Load:"), 0, 0)
        for i, name in enumerate(step.run_names):
            button = QPushButton(name)
            button.setAccessibleName(f"Load run {name}")
            button.setToolTip(f"Make the run '{name}' of this step the window's run "
                              "(then train it: Play, or Step)")
            button.clicked.connect(lambda _c=False, n=name: self.load_run(n))
            row, col = divmod(i, RUN_COLUMNS)
            self.runs_row.addWidget(button, row, 1 + col)
        self.runs_row.setColumnStretch(1 + RUN_COLUMNS, 1)

    # --- acting -------------------------------------------------------------------------------

    def load_run(self, name: str) -> None:
        config: RunConfig = self.step.configs()[name]
        self.loaded = name
        self.load_requested.emit(config, f"{self.lesson.title}: {name}",
                                 self.step.weights().get(name, {}))

    def check_live(self) -> None:
        """The claims measured with the live run as the run loaded last (or the step's only
        run), the experiment's trainers for the others."""
        step = self.step
        if step is None:
            return
        name = self.loaded or (step.run_names[0] if len(step.run_names) == 1 else None)
        if name is None:
            self._say("Load one of this step's runs first (the buttons above), train it, "
                      "then check; or run the experiment.")
            return
        token, others = self._token, dict(self.trained)

        def measure(trainer):
            return lessons.check(step, {**others, name: trainer})

        self.controller.call(measure, lambda r: self._checked(token, r), refresh=False)

    def run_experiment(self) -> None:
        step, token = self.step, self._token
        if step is None:
            return
        self.experiment_button.setEnabled(False)
        self.experiment_button.setText("Training the runs...")
        self._say("Training " + ", ".join(step.run_names) + " in the background...")

        def work() -> None:
            try:
                runs = lessons.train_step(step)
                result: Any = (runs, lessons.check(step, runs))
            except Exception as exc:  # noqa: BLE001 (said in the panel)
                result = exc
            self._relay.done.emit(token, result)

        threading.Thread(target=work, name="lesson-experiment", daemon=True).start()

    def _experiment_done(self, token: int, result) -> None:
        if token != self._token:
            return
        self.experiment_button.setEnabled(True)
        self.experiment_button.setText("Run the experiment again")
        if isinstance(result, BaseException):
            self._say(f"The experiment could not run: {result}")
            return
        self.trained, results = result
        self._show_results(results, "The experiment")

    def _checked(self, token: int, results) -> None:
        if token != self._token:
            return
        if isinstance(results, BaseException):
            self._say(f"Cannot check this run: {results}")
            return
        self._show_results(results, "Your run")

    def _show_results(self, results, who: str) -> None:
        self.results = list(results)
        self._results_of = who
        if self.results and all(r.holds for r in self.results):
            self.done_steps.add((self.lesson.id, self.index))
        self._write_results()
        self._update_nav()

    def _write_results(self) -> None:
        """Each claim with a mark in the theme's ``good`` or ``error`` colour (they read on
        the window's ground in either theme)."""
        who, t = self._results_of, plot_style.theme()
        ok = bool(self.results) and all(r.holds for r in self.results)
        lines = []
        for r in self.results:
            mark = _OK if r.holds else _NO
            colour = t.good if r.holds else t.error
            extra = f" ({html.escape(r.problem)})" if r.problem else ""
            lines.append(f'<p><span style="color:{colour}">{mark}</span> '
                         f'{html.escape(r.sentence)}{extra}</p>')
        if ok:
            last = self.index == len(self.lesson.steps) - 1
            head = (f"<p><b>{who}: every claim holds.</b> "
                    + ("That was the last step of this lesson." if last
                       else "On to the next step.") + "</p>")
        else:
            head = f"<p><b>{who}: not every claim holds yet.</b></p>"
        self.result.setText(head + "".join(lines))

    def _say(self, text: str) -> None:
        self._results_of = None
        self.result.setText(f"<p>{html.escape(text)}</p>")

"""Training a step's runs headless, and checking a whole lesson: ``playground lesson check``.

Each run trains as ``playground train`` of its config would (the same ``Trainer``, the same
seeds, so the same numbers), with two differences that only add records: every epoch is
evaluated (the app's curves; the claims read them) and the training dynamics are recorded
every epoch (``Recorder.set_every(1)``), so that a claim about a gradient norm reads every
epoch whatever the training-set size. Hand-set ``weights`` replace the initial draw first.
A run that steps share is trained once per ``check_lesson``.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass

import numpy as np

from playground.lessons.check import ClaimResult, check
from playground.lessons.format import Lesson, RunSpec, Step, resolved


@dataclass(frozen=True)
class StepReport:
    step: Step
    results: tuple[ClaimResult, ...]


@dataclass(frozen=True)
class LessonReport:
    """A lesson's checked claims, step by step, and the seconds it took."""

    lesson: Lesson
    steps: tuple[StepReport, ...]
    seconds: float

    @property
    def results(self) -> tuple[ClaimResult, ...]:
        return tuple(r for s in self.steps for r in s.results)

    @property
    def failures(self) -> tuple[tuple[Step, ClaimResult], ...]:
        return tuple((s.step, r) for s in self.steps for r in s.results if not r.holds)


def _key(run: RunSpec) -> str:
    return run.config.to_json() + json.dumps(run.weights)


def prepare(trainer) -> None:
    """Record what claims read at every epoch from the next one on: the evaluation (the
    loss and accuracy curves) and the training dynamics (gradient norms, saturation...). The
    app calls it on a lesson's run so that "check my run" measures what ``lesson check``
    measures; a trainer's own spacing of the dynamics could skip the epochs a claim reads."""
    trainer.evaluate_epochs = True
    trainer.dynamics.set_every(1)


def train_run(run: RunSpec, base_dir=None):
    """A ``Trainer`` of ``run``, trained for its ``train.epochs``."""
    from playground.engine.trainer import Trainer
    trainer = Trainer(resolved(run.config, base_dir), base_dir=base_dir)
    prepare(trainer)
    if run.weights:
        state = trainer.state_dict()
        for key, value in run.weight_arrays().items():
            if key in state:
                value = value.astype(state[key].dtype)
            state[key] = value
        from playground.errors import PlaygroundError
        try:
            trainer.load_state_dict(state)
        except PlaygroundError as exc:
            raise type(exc)(f"run {run.name}'s weights: {exc}") from None
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # a diverging run is a finding, not a warning
        trainer.run_epochs(run.config.train.epochs)
    return trainer


def train_step(step: Step, cache: dict | None = None) -> dict:
    """Every run of ``step``, trained: run name -> ``Trainer``. ``cache`` (a dict the caller
    keeps) reuses runs of identical config and weights."""
    trainers = {}
    for run in step.runs:
        key = _key(run)
        if cache is not None and key in cache:
            trainers[run.name] = cache[key]
            continue
        trainers[run.name] = train_run(run, step.base_dir)
        if cache is not None:
            cache[key] = trainers[run.name]
    return trainers


def check_lesson(lesson: Lesson) -> LessonReport:
    """Train every step's runs and check every claim."""
    start = time.perf_counter()
    cache: dict = {}
    reports = []
    for step in lesson.steps:
        reports.append(StepReport(step, tuple(check(step, train_step(step, cache)))))
    return LessonReport(lesson, tuple(reports), time.perf_counter() - start)

"""Lessons: the reference notebook's and the Crash Course's points as guided experiments whose
claims are measured, never asserted. No Qt: the app's Lessons panel and ``playground lesson``
both use this package.

A lesson is a JSON file (``format``, ``lessons.format``; ``docs/lessons.md``) bundled as
package data (``lessons.bundled``). Each step has text, the registry formulas it shows, a
task for the learner, the runs it loads (full run configs of PRODUCT.md section 1, or a base
config with key paths changed) and its claims, small declarative expressions evaluated on the
trained runs (``lessons.claims``, ``lessons.measure``). ``playground lesson check`` trains
every step's runs and checks every claim; the tests do the same, so a claim that stops
holding fails CI.

The API the app uses::

    from playground import lessons

    for lesson in lessons.catalog():            # the bundled lessons, in order
        lesson.id, lesson.title, lesson.summary
        for step in lesson.steps:
            step.title, step.text, step.task     # text: markdown-ish paragraphs
            step.formula_entries()               # engine.formulas.Formula, with the
                                                 # notebook's error where it has one
            step.configs()                       # {run name: RunConfig}, CSV paths absolute
            step.weights()                       # {run name: {tensor: array}}: hand-set
                                                 # tensors (a set-by-hand task's solution)

    lesson = lessons.lesson("activations")       # by id; LessonError for an unknown one
    runs = lessons.train_step(step)              # {run name: Trainer}, trained as
                                                 # `playground lesson check` trains them
    lessons.prepare(trainer)                     # a run of the app's own, before it trains:
                                                 # every epoch evaluated and its dynamics
                                                 # recorded, as train_step records them
    for result in lessons.check(step, runs):     # runs: Trainers or RunRecords by name
        result.holds, result.value, result.sentence
        # "holds: ReLU's first layer gets ... (ratio(...) = 0.0123, needs <= 0.1)"

    report = lessons.check_lesson(lesson)        # every step trained and checked
    lessons.load("my-lesson.json")               # a lesson file of one's own

``check`` accepts the learner's own runs too (the app's, after the learner changed
something): a step's check holds when the learner has done what it asks. Claims about
weights and traced steps need the ``Trainer``; given only a ``RunRecord`` they do not hold,
and the result's ``problem`` says so.
"""

from __future__ import annotations

from playground.lessons.bundled import catalog, lesson, names
from playground.lessons.check import ClaimResult, check
from playground.lessons.claims import Claim, LessonError
from playground.lessons.format import Lesson, RunSpec, Step, load, loads
from playground.lessons.runner import LessonReport, check_lesson, prepare, train_step

__all__ = ["Claim", "ClaimResult", "Lesson", "LessonError", "LessonReport", "RunSpec", "Step",
           "catalog", "check", "check_lesson", "lesson", "load", "loads", "names", "prepare",
           "train_step"]

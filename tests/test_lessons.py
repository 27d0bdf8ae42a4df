"""Lessons: the format refuses bad files in one line, every bundled lesson loads, and every
claim of every lesson holds when its runs are trained (a lesson's claim is a test), while the
opposite of every claim does not (so no claim holds whatever the runs do)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from playground import lessons
from playground import examples
from playground.config import RunConfig
from playground.lessons import bundled
from playground.lessons.check import check_claim, measured
from playground.lessons.claims import BOUNDS, Claim, Combined, Fact, Trace, Weights
from playground.runs.record import RunRecord

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "playground" / "lessons" / "data"

#: issue 13's lessons, each a bundled id
TOPICS = ("perceptron", "xor-mlp", "activations", "softmax", "learning-rate", "initialization",
          "dropout", "batchnorm", "clipping", "schedules", "l1-l2", "feature-crosses",
          "iris-notebook", "spiral")


# --- every bundled lesson, trained once ---------------------------------------------------------

@pytest.fixture(scope="module")
def trained():
    """lesson id -> [(step, {run name: Trainer})], every run trained as `lesson check` does."""
    out = {}
    for lesson in lessons.catalog():
        cache: dict = {}
        out[lesson.id] = [(step, lessons.train_step(step, cache)) for step in lesson.steps]
    return out


def test_the_catalog_holds_every_topic_in_order():
    assert lessons.names() == TOPICS
    assert len(set(lessons.names())) == len(lessons.names())
    for lesson in lessons.catalog():
        assert lesson.title and lesson.summary and lesson.steps
        for step in lesson.steps:
            assert step.text and step.task and step.claims
            assert all(entry is not None for entry in step.formula_entries())


@pytest.mark.parametrize("name", TOPICS)
def test_every_claim_of_the_lesson_holds(name, trained):
    failures = [f"step {step.index + 1}: {r.sentence}"
                for step, runs in trained[name] for r in lessons.check(step, runs)
                if not r.holds]
    assert not failures, "\n".join(failures)


def _one_sided(claim: Claim) -> list[Claim]:
    """A claim with two bounds as two claims of one bound each."""
    if claim.is_ is not None:
        return [claim]
    return [Claim(claim.says, claim.quantity, **{k: v}) for k, v in claim.bounds().items()]


@pytest.mark.parametrize("name", TOPICS)
def test_the_opposite_of_every_claim_does_not_hold(name, trained):
    """Each bound flipped (at_least 0.9 -> below 0.9, is true -> is false) fails on the same
    runs: the claims are measured numbers on one side of their bound, not vacuous."""
    wrongly_held = []
    for step, runs in trained[name]:
        ready = measured(runs)
        for claim in step.claims:
            for part in _one_sided(claim):
                result = check_claim(part.negated(), ready)
                if result.holds or result.value is None:
                    wrongly_held.append(f"step {step.index + 1}: {result.sentence}")
    assert not wrongly_held, "\n".join(wrongly_held)


def test_claims_read_the_runs_they_are_given(trained):
    """Swap the sigmoid and ReLU runs of the activations lesson: the claims about which one
    learns stop holding, so they were read off the runs, not written into the test."""
    step, runs = trained["activations"][0]
    swapped = {"sigmoid": runs["relu"], "relu": runs["sigmoid"]}
    assert not any(r.holds for r in lessons.check(step, swapped))


def _needs_trainer(q) -> bool:
    if isinstance(q, Combined):
        return any(_needs_trainer(p) for p in q.parts)
    return isinstance(q, (Weights, Trace))


@pytest.mark.parametrize("name,index", [("initialization", 0), ("dropout", 2)])
def test_a_record_gives_the_same_numbers_but_not_the_model(name, index, trained):
    """The app may hand ``check`` the Runs view's records: scores and curves read the same;
    weights and traced steps need the trainer, and say so."""
    step, runs = trained[name][index]
    from_trainers = lessons.check(step, runs)
    records = {run: RunRecord.of(t, name=run) for run, t in runs.items()}
    for a, b in zip(from_trainers, lessons.check(step, records)):
        if _needs_trainer(a.claim.quantity):
            assert not b.holds and b.value is None and "trained model" in b.problem
        else:
            assert (a.holds, a.value) == (b.holds, b.value)


# --- a planted wrong claim ----------------------------------------------------------------------

def _copy_lesson(tmp_path: Path, file: str, edit) -> Path:
    """The bundled lesson ``file`` (and the CSVs beside it) in tmp_path, edited by ``edit``."""
    for csv in DATA.glob("*.csv"):
        shutil.copy(csv, tmp_path / csv.name)
    obj = json.loads((DATA / file).read_text(encoding="utf-8"))
    edit(obj)
    path = tmp_path / file
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def invert_first_threshold(obj: dict) -> str:
    """The first claim with a number bound gets the opposite bound; returns its sentence."""
    for step in obj["steps"]:
        for claim in step["claims"]:
            for key, flipped in (("at_least", "below"), ("at_most", "above")):
                if key in claim and len([k for k in BOUNDS if k in claim]) == 1:
                    claim[flipped] = claim.pop(key)
                    return claim["says"]
    raise AssertionError("no one-sided claim to invert")


def test_a_planted_wrong_claim_fails_and_only_it(tmp_path):
    planted = {}
    path = _copy_lesson(tmp_path, "01-perceptron.json",
                        lambda obj: planted.setdefault("says", invert_first_threshold(obj)))
    report = lessons.check_lesson(lessons.load(path))
    failures = [r for _, r in report.failures]
    assert len(failures) == 1 and len(report.results) == 10
    assert failures[0].claim.says == planted["says"]
    assert failures[0].value == 1.0  # AND's accuracy, measured; only the bound was wrong
    assert failures[0].sentence.startswith("does not hold: ")


def test_a_nan_never_satisfies_a_number_bound(trained):
    step, runs = trained["learning-rate"][0]
    diverged = measured(runs)["high"]
    for bound in ({"at_most": 1e300}, {"at_least": -1e300}):
        result = check_claim(Claim("x", Fact("high", "train_loss"), **bound),
                             {"high": diverged})
        assert not result.holds and "NaN" in result.sentence


# --- the format ---------------------------------------------------------------------------------

def _minimal(**step_changes) -> dict:
    step = {"title": "t", "text": "some text", "task": "do it",
            "runs": {"A": {}}, "claims": [{"says": "learns", "value": "A.test_accuracy",
                                           "at_least": 0.5}]}
    step.update(step_changes)
    return {"format": 1, "id": "tiny", "title": "Tiny",
            "base": {"format": 1, "data": {"source": "xor", "samples": 40},
                     "model": {"type": "mlp", "layers": []}, "train": {"epochs": 2}},
            "steps": [step]}


def test_a_minimal_lesson_loads():
    lesson = lessons.loads(json.dumps(_minimal()), "tiny.json")
    assert lesson.id == "tiny" and lesson.steps[0].run_names == ("A",)
    assert isinstance(lesson.steps[0].configs()["A"], RunConfig)


def _set(obj, path, value):
    node = obj
    for key in path[:-1]:
        node = node[key]
    if value is DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value


DELETE = object()
S = ("steps", 0)
C = ("steps", 0, "claims", 0)

BAD = [
    ((("format",), 2), "format must be 1, got 2"),
    ((("id",), DELETE), "id is required"),
    ((("id",), "Bad_Id"), "id must be lowercase words"),
    ((("colour",), "red"), "colour is not a known key"),
    ((("steps",), []), "steps must be a non-empty list"),
    (((*S, "claims"), DELETE), "steps[0].claims is required"),
    (((*S, "formulas"), ["loss/nope"]), "steps[0].formulas[0] \"loss/nope\" is not a formula"),
    (((*S, "runs"), {"1A": {}}), "run name \"1A\" must be a letter"),
    (((*S, "runs"), {"A": {}, "B": {}}), "steps[0].runs.B is loaded but no claim reads it"),
    (((*S, "runs"), {"A": {"set": {"train.optimizer.lr": -1}}}),
     "steps[0].runs.A: train.optimizer.lr must be > 0, got -1"),
    (((*S, "runs"), {"A": {"set": {"model.layers[3].units": 4}}}),
     "steps[0].runs.A: model.layers[3].units does not exist"),
    (((*S, "runs"), {"A": {"set": {"data.source": "csv", "data.path": "missing.csv"}}}),
     "steps[0].runs.A: data.path missing.csv is relative"),
    (((*S, "runs"), {"A": {"weights": {"0.weight": [[1, 2], [3]]}}}),
     "steps[0].runs.A.weights.0.weight is ragged"),
    (((*S, "runs"), {"A": {"weights": {"w0": [1]}}}), "\"w0\" is not a parameter name"),
    (((*C, "says"), DELETE), "steps[0].claims[0].says is required"),
    (((*C, "at_least"), DELETE), "steps[0].claims[0] needs a bound"),
    (((*C, "ratio"), ["A.test_loss", "A.train_loss"]), "must hold exactly one quantity"),
    (((*C, "value"), "B.test_accuracy"), "names run \"B\", which the step does not have"),
    (((*C, "value"), "A.grad_norm.0"), "a curve needs a reducer, e.g. A.grad_norm.0:mean"),
    (((*C, "value"), "A.grad_norm.0:median"), "must be one of first, last, mean"),
    (((*C, "value"), "A.diverged"), "is yes or no, not a number"),
    (((*C, "at_most"), 0.1), "the lower bound 0.5 is above the upper bound 0.1"),
    (((*C, "above"), 0.1), "two lower or two upper bounds"),
    (((*C, "at_least"), "high"), "steps[0].claims[0].at_least must be a number, got \"high\""),
    (((*C, "value"), {"epoch_when": "A.train_loss", "falls_to": 1, "rises_to": 2}),
     "needs exactly one of falls_to or rises_to"),
    (((*C, "value"), {"trace": "A", "measure": "logit_gradient_error"}),
     "rule is required for logit_gradient_error"),
    (((*C, "value"), {"weights": "A.0.weight", "measure": "share_near_zero"}),
     "tolerance is required for share_near_zero"),
    (((*C, "value"), {"weights": "A.weight", "measure": "max_abs"}),
     "weights must be RUN.TENSOR"),
    (((*C, "value"), {"ratio": ["A.test_loss"]}), "must be a list of two quantities"),
    (((*C, "value"), {"curve": "A.lr", "reduce": "last", "epochs": [5, 2]}),
     "epochs must be [FROM, TO]"),
]


@pytest.mark.parametrize("change,message", BAD, ids=[m[:40] for _, m in BAD])
def test_a_bad_lesson_is_one_line_naming_the_key(change, message):
    obj = _minimal()
    _set(obj, *change)
    with pytest.raises(lessons.LessonError) as info:
        lessons.loads(json.dumps(obj), "bad.json")
    text = str(info.value)
    assert "\n" not in text and text.startswith("lesson bad.json: ")
    assert message in text


@pytest.mark.parametrize("text,message", [
    ("{", "not valid JSON"),
    ('{"format": 1, "format": 1}', "appears twice"),
    ('{"format": NaN}', "NaN is not valid JSON"),
    ("[1]", "must be a JSON object"),
])
def test_a_file_that_is_not_a_lesson_object_is_one_line(text, message):
    with pytest.raises(lessons.LessonError) as info:
        lessons.loads(text, "bad.json")
    assert "\n" not in str(info.value) and message in str(info.value)


def test_an_unknown_lesson_lists_the_known_ones():
    with pytest.raises(lessons.LessonError, match="unknown lesson 'nope'; the lessons are: "
                                                  "perceptron, xor-mlp"):
        lessons.lesson("nope")


def test_a_lessons_csv_resolves_next_to_its_file(tmp_path):
    path = _copy_lesson(tmp_path, "01-perceptron.json", lambda obj: None)
    config = lessons.load(path).steps[0].configs()["AND"]
    assert Path(config.data.path).is_absolute()
    assert Path(config.data.path) == (tmp_path / "and.csv").resolve()


# --- what the lessons teach ---------------------------------------------------------------------

@pytest.mark.parametrize("formulas", [("loss/cross_entropy",), ("layer/dropout",),
                                      ("init/xavier_normal", "init/xavier_uniform"),
                                      ("loss/bce",)])
def test_each_notebook_error_is_shown_where_a_lesson_meets_it(formulas):
    """reference/README.md's four errors: a step shows the formula (whose registry entry
    carries the correction) and its text says the notebook is wrong there."""
    steps = [step for lesson in lessons.catalog() for step in lesson.steps
             if set(formulas) & set(step.formulas) and "notebook" in step.text]
    assert steps
    assert any(entry.reference_error is not None
               for step in steps for entry in step.formula_entries())


def test_the_iris_lessons_run_the_notebook_example():
    preset = examples.config("iris-notebook")
    assert lessons.lesson("iris-notebook").steps[0].configs()["notebook"] == preset
    assert lessons.lesson("schedules").steps[0].configs()["plateau"] == preset


def test_the_lesson_files_ship_as_package_data():
    """Every file in lessons/data matches a package-data glob, so a wheel carries it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    globs = project["tool"]["setuptools"]["package-data"]["playground.lessons"]
    for path in DATA.iterdir():
        assert any(path.match(pattern) for pattern in globs), path.name
    assert bundled.data_dir().resolve() == DATA.resolve()


def test_docs_list_every_lesson_as_generated():
    """docs/lessons.md holds ``python -m playground.lessons.docs``'s section verbatim."""
    from playground.lessons import docs
    text = (ROOT / "docs" / "lessons.md").read_text(encoding="utf-8")
    assert docs.markdown() in text, "regenerate the lesson list of docs/lessons.md"
    for lesson in lessons.catalog():
        assert f"`{lesson.id}`" in text, lesson.id
    assert "(lessons.md)" in (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    assert "playground lesson check" in (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")


def test_lessons_import_without_qt():
    code = ("import sys, playground.lessons, playground.lesson_cli; "
            "playground.lessons.catalog(); "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr

"""`playground lesson list | check`: names, the claims checked headless, and PRODUCT.md's exit
statuses (0 all hold; 1 with one line per claim that does not; 2 with one line for bad input)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from playground import cli, lessons

DATA = Path(__file__).resolve().parents[1] / "playground" / "lessons" / "data"


def run(argv, capsys):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def lesson_file(tmp_path: Path, edit=None, name: str = "01-perceptron.json") -> Path:
    """A copy of a bundled lesson (and its CSVs) in tmp_path, changed by ``edit``."""
    for csv in DATA.glob("*.csv"):
        shutil.copy(csv, tmp_path / csv.name)
    obj = json.loads((DATA / name).read_text(encoding="utf-8"))
    if edit:
        edit(obj)
    path = tmp_path / name
    path.write_text(json.dumps(obj), encoding="utf-8")
    return path


def test_list_names_every_bundled_lesson_in_order(capsys):
    status, out, err = run(["lesson", "list"], capsys)
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == list(lessons.names())
    first = lessons.catalog()[0]
    assert first.title in lines[0] and f"{first.claim_count} claims" in lines[0]


def test_check_every_lesson_exits_0(capsys):
    """The CI check: every claim of every bundled lesson holds on its own runs."""
    status, out, err = run(["lesson", "check"], capsys)
    assert status == 0, err
    assert err == ""
    lines = out.splitlines()
    assert len(lines) == len(lessons.names()) + 1
    total = sum(lesson.claim_count for lesson in lessons.catalog())
    assert lines[-1].startswith(f"{len(lessons.names())} lessons, {total} claims: all hold")
    for line, name in zip(lines, lessons.names()):
        assert line.startswith(f"ok   {name}: all ")


def test_check_named_lessons_verbose_shows_each_measured_claim(capsys):
    status, out, err = run(["lesson", "check", "perceptron", "--verbose"], capsys)
    assert status == 0 and err == ""
    claims = [line for line in out.splitlines() if line.strip().startswith("step ")]
    assert len(claims) == lessons.lesson("perceptron").claim_count
    assert all(": holds: " in line for line in claims)
    assert "(AND.train_accuracy = 1, needs >= 1)" in out
    assert out.splitlines()[-1].startswith("1 lesson, 10 claims: all hold")


def test_a_claim_that_does_not_hold_exits_1_with_one_line(tmp_path, capsys):
    def plant(obj):  # OR converges: claim that it does not
        obj["steps"][0]["claims"][1]["is"] = False
    path = lesson_file(tmp_path, plant)
    status, out, err = run(["lesson", "check", path], capsys)
    assert status == 1
    assert err.splitlines() == [
        "playground: lesson perceptron, step 1 (AND and OR are linearly separable): does not "
        "hold: the perceptron converges on OR (OR.converged = yes, needs no)"]
    assert "FAIL perceptron: 1 of 10 claims do not hold" in out
    assert out.splitlines()[-1].startswith("1 lesson, 10 claims: 1 do not hold")


def test_two_wrong_claims_are_two_lines(tmp_path, capsys):
    def plant(obj):
        obj["steps"][1]["claims"][1]["at_most"] = 0.5         # XOR's best is 0.75
        obj["steps"][2]["claims"][3]["at_least"] = 0.999      # crossed test accuracy 0.98
    status, _, err = run(["lesson", "check", lesson_file(tmp_path, plant)], capsys)
    assert status == 1
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("playground: lesson perceptron, step 2 (XOR has no line): "
                               "does not hold:") and "needs <= 0.5" in lines[0]
    assert "step 3" in lines[1] and "needs >= 0.999" in lines[1]


@pytest.mark.parametrize("argv,message", [
    (["lesson", "check", "nope"], "unknown lesson 'nope'; the lessons are: perceptron,"),
    (["lesson", "check", "perceptron", "nope"], "unknown lesson 'nope'"),
    (["lesson", "check", ""], "NAME is an empty string"),
    (["lesson"], "the following arguments are required"),
    (["lesson", "show"], "invalid choice: 'show'"),
    (["lesson", "list", "extra"], "unrecognized arguments: extra"),
    (["lesson", "check", "missing.json"], "lesson file not found: missing.json"),
])
def test_bad_input_exits_2_with_one_line_before_training(argv, message, capsys):
    status, out, err = run(argv, capsys)
    assert status == 2
    assert out == ""  # nothing was trained or reported
    assert err.count("\n") == 1 and err.startswith("playground: error: ")
    assert message in err


def test_a_lesson_file_that_does_not_validate_exits_2(tmp_path, capsys):
    def break_it(obj):
        obj["steps"][0]["claims"][0]["value"] = "AND.grad_norm.0"
    status, out, err = run(["lesson", "check", lesson_file(tmp_path, break_it)], capsys)
    assert status == 2 and out == ""
    assert err.count("\n") == 1
    assert ("lesson 01-perceptron.json: steps[0].claims[0].value: grad_norm.0 is not a final "
            "number of a run" in err)


def test_help_names_the_subcommand(capsys):
    status, out, _ = run(["--help"], capsys)
    assert status == 0 and "playground lesson list | check [NAME...]" in out
    status, out, _ = run(["lesson", "check", "--help"], capsys)
    assert status == 0 and "--verbose" in out

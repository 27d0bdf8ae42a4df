"""The bundled lessons: package data in ``playground/lessons/data``, read with importlib.resources.

Each lesson is ``data/NN-<id>.json`` (NN orders the catalog) with the CSV files its runs
read beside it, so an installed wheel carries everything; nothing reads the source tree.
"""

from __future__ import annotations

import atexit
import contextlib
import re
from functools import cache
from importlib import resources
from pathlib import Path

from playground.lessons.claims import LessonError
from playground.lessons.format import Lesson, loads

_FILE = re.compile(r"(\d+)-([a-z0-9-]+)\.json\Z")
_files = contextlib.ExitStack()
atexit.register(_files.close)


@cache
def data_dir() -> Path:
    """The folder of the bundled lesson files, as a real path (extracted if the package was
    imported from a zip, kept until exit)."""
    return Path(_files.enter_context(resources.as_file(
        resources.files("playground.lessons").joinpath("data"))))


@cache
def catalog() -> tuple[Lesson, ...]:
    """Every bundled lesson, in order. A bundled file that does not validate is a bug in the
    package: LessonError naming it."""
    found = []
    for path in sorted(data_dir().glob("*.json")):
        m = _FILE.match(path.name)
        if not m:
            raise LessonError(f"bundled lesson file {path.name} must be named NN-<id>.json")
        lesson = loads(path.read_text(encoding="utf-8"), path.name, data_dir())
        if lesson.id != m[2]:
            raise LessonError(f"lesson {path.name}: id is {lesson.id}; the file name says "
                              f"{m[2]}")
        found.append(lesson)
    return tuple(found)


def names() -> tuple[str, ...]:
    return tuple(lesson.id for lesson in catalog())


def lesson(name: str) -> Lesson:
    """A bundled lesson by id; LessonError listing the ids for an unknown one."""
    for item in catalog():
        if item.id == name:
            return item
    shown = name if len(name) <= 40 else name[:37] + "..."
    raise LessonError(f"unknown lesson {shown!r}; the lessons are: {', '.join(names())}")

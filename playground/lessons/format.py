"""The lesson file (JSON, ``format: 1``): a title and steps, each with its text, its runs and
its claims. ``docs/lessons.md`` describes it for authors; this module reads and validates it.

::

    {"format": 1, "id": "activations", "title": "...", "summary": "...",
     "base": {<a run config, PRODUCT.md section 1>},
     "steps": [{"title": "...", "text": ["paragraph", ...], "formulas": ["activation/relu"],
                "task": "what the learner is asked to do",
                "base": {<optional: this step's own base config>},
                "runs": {"A": {"set": {"model.layers[0].activation": "sigmoid"}},
                         "B": {"config": {<a whole run config>}, "weights": {...}}},
                "claims": [{"says": "...", "ratio": ["A.grad_norm.0:mean",
                                                     "B.grad_norm.0:mean"], "at_most": 0.1}]}]}

A run is the step's base (else the lesson's) with ``set``'s key paths changed (written as
the config's error messages write them, ``train.optimizer.lr``; ``runs.compare.set_key``), or
its own ``config``; ``weights`` are tensors set by hand before training (a step whose task is
to set weights holds its solution there). ``formulas`` name registry entries
(``engine.formulas``, "kind/name"): the app and docs show those, never a copy of the LaTeX.
A relative CSV ``data.path`` resolves against the lesson file's folder.

Everything is checked when the file is read, and every problem is one ``LessonError`` line
naming the file and the key path. JSON only: nothing is unpickled or evaluated.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from playground.config import RunConfig
from playground.errors import ConfigError
from playground.lessons.claims import RUN_NAME, Claim, LessonError, runs_of, shown
from playground.lessons.parse import need_object, need_text, parse_claim

FORMAT = 1
ID = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*\Z")
LESSON_KEYS = ("format", "id", "title", "summary", "base", "steps")
STEP_KEYS = ("title", "text", "task", "formulas", "base", "runs", "claims")
RUN_KEYS = ("config", "set", "weights")
MAX_RUNS = 12


@dataclass(frozen=True)
class RunSpec:
    """One run a step loads: its name, its config (CSV paths as the file writes them), and
    the tensors set by hand before training (state_dict name -> nested lists of numbers)."""

    name: str
    config: RunConfig
    weights: tuple[tuple[str, Any], ...] = ()

    def weight_arrays(self) -> dict[str, np.ndarray]:
        return {key: np.asarray(value, dtype=np.float64) for key, value in self.weights}


@dataclass(frozen=True)
class Step:
    """One step of a lesson: what to read, what to run, what to do, what must hold."""

    index: int
    title: str
    text: str
    task: str
    formulas: tuple[str, ...]
    runs: tuple[RunSpec, ...]
    claims: tuple[Claim, ...]
    base_dir: Path | None = None

    @property
    def run_names(self) -> tuple[str, ...]:
        return tuple(run.name for run in self.runs)

    def configs(self) -> dict[str, RunConfig]:
        """Each run's config by name, ready to train anywhere: a CSV path made absolute."""
        return {run.name: resolved(run.config, self.base_dir) for run in self.runs}

    def weights(self) -> dict[str, dict[str, np.ndarray]]:
        """The hand-set tensors of the runs that have some, by run name."""
        return {run.name: run.weight_arrays() for run in self.runs if run.weights}

    def formula_entries(self) -> tuple:
        """The registry entries ``formulas`` names (``engine.formulas.Formula``), in order."""
        from playground.engine.formulas import formula
        return tuple(formula(*key.split("/", 1)) for key in self.formulas)


@dataclass(frozen=True)
class Lesson:
    """A lesson: ``id`` (what ``playground lesson check`` takes), title, summary, steps;
    ``source`` names the file in messages, ``base_dir`` is where its CSV files are."""

    id: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    source: str = "<lesson>"
    base_dir: Path | None = None

    @property
    def claim_count(self) -> int:
        return sum(len(step.claims) for step in self.steps)


def resolved(config: RunConfig, base_dir: Path | None) -> RunConfig:
    """``config`` with a relative CSV ``data.path`` made absolute against ``base_dir``."""
    if config.data.source != "csv" or base_dir is None or Path(config.data.path).is_absolute():
        return config
    import dataclasses
    data = dataclasses.replace(config.data, path=str((base_dir / config.data.path).resolve()))
    return config.replace(data=data)


# --- reading ------------------------------------------------------------------------------------

def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise LessonError(f"key {shown(key)} appears twice in one object")
        obj[key] = value
    return obj


def _no_constant(name: str):
    raise LessonError(f"{name} is not valid JSON")


def loads(text: str, source: str = "<lesson>", base_dir: Path | None = None) -> Lesson:
    """Parse and validate a lesson from JSON text; LessonError (one line) naming ``source``."""
    try:
        try:
            obj = json.loads(text, object_pairs_hook=_unique, parse_constant=_no_constant)
        except ValueError as exc:
            raise LessonError(f"not valid JSON: {exc}") from None
        except RecursionError:
            raise LessonError("not valid JSON: nested too deeply") from None
        return parse(obj, source, base_dir)
    except LessonError as exc:
        message = str(exc)
        raise LessonError(message if message.startswith(f"lesson {source}:")
                          else f"lesson {source}: {message}") from None


def load(path: str | Path) -> Lesson:
    """Read a lesson file; its CSV paths resolve against its folder."""
    from playground.userfiles import read_text
    path = Path(path)
    text = read_text(path, "lesson file", LessonError)
    return loads(text, path.name, path.resolve().parent)


def parse(obj: Any, source: str = "<lesson>", base_dir: Path | None = None) -> Lesson:
    """A lesson from its parsed JSON object."""
    def fail(message: str):
        raise LessonError(f"lesson {source}: {message}")

    try:
        need_object(obj, "the lesson", LESSON_KEYS, ("format", "id", "title", "steps"))
    except LessonError as exc:
        fail(str(exc).replace("the lesson.", ""))
    fmt = obj["format"]
    if fmt != FORMAT or isinstance(fmt, bool):
        fail(f"format must be {FORMAT}, got {shown(fmt)}")
    lesson_id = obj["id"]
    if not isinstance(lesson_id, str) or not ID.match(lesson_id):
        fail(f"id must be lowercase words joined by '-' (such as learning-rate), got "
             f"{shown(lesson_id)}")
    try:
        title = need_text(obj["title"], "title")
        summary = need_text(obj["summary"], "summary") if "summary" in obj else ""
        base = obj.get("base")
        if base is not None and not isinstance(base, dict):
            raise LessonError(f"base must be a run config (a JSON object), got {shown(base)}")
        raw_steps = obj["steps"]
        if not isinstance(raw_steps, list) or not raw_steps:
            raise LessonError("steps must be a non-empty list of steps")
        steps = tuple(_step(s, i, base, base_dir) for i, s in enumerate(raw_steps))
    except LessonError as exc:
        fail(str(exc))
    return Lesson(lesson_id, title, summary, steps, source, base_dir)


def _step(obj: Any, index: int, lesson_base: dict | None, base_dir: Path | None) -> Step:
    path = f"steps[{index}]"
    need_object(obj, path, STEP_KEYS, ("title", "text", "runs", "claims"))
    title = need_text(obj["title"], f"{path}.title")
    text = _text(obj["text"], f"{path}.text")
    task = need_text(obj["task"], f"{path}.task") if "task" in obj else ""
    formulas = _formulas(obj.get("formulas", []), f"{path}.formulas")
    base = obj.get("base", lesson_base)
    if "base" in obj and not isinstance(base, dict):
        raise LessonError(f"{path}.base must be a run config (a JSON object), got "
                          f"{shown(base)}")
    raw_runs = obj["runs"]
    if not isinstance(raw_runs, dict) or not raw_runs:
        raise LessonError(f"{path}.runs must be a non-empty object of named runs")
    if len(raw_runs) > MAX_RUNS:
        raise LessonError(f"{path}.runs has {len(raw_runs)} runs; a step may load at most "
                          f"{MAX_RUNS}")
    runs = tuple(_run(name, spec, f"{path}.runs", base, base_dir)
                 for name, spec in raw_runs.items())
    names = tuple(r.name for r in runs)
    raw_claims = obj["claims"]
    if not isinstance(raw_claims, list) or not raw_claims:
        raise LessonError(f"{path}.claims must be a non-empty list of claims")
    claims = tuple(parse_claim(c, f"{path}.claims[{i}]", names)
                   for i, c in enumerate(raw_claims))
    unused = [n for n in names if not any(n in runs_of(c.quantity) for c in claims)]
    if unused:
        raise LessonError(f"{path}.runs.{unused[0]} is loaded but no claim reads it; every "
                          "run of a step is there to show something")
    return Step(index, title, text, task, formulas, runs, claims, base_dir)


def _text(value: Any, path: str) -> str:
    if isinstance(value, list):
        if not value:
            raise LessonError(f"{path} must be a non-empty string or list of paragraphs")
        return "\n\n".join(need_text(p, f"{path}[{i}]").strip() for i, p in enumerate(value))
    return need_text(value, path).strip()


def _formulas(value: Any, path: str) -> tuple[str, ...]:
    from playground.engine.formulas import registry
    if not isinstance(value, list):
        raise LessonError(f"{path} must be a list of formula keys (kind/name), got "
                          f"{shown(value)}")
    known = {f"{kind}/{name}" for kind, name in registry()}
    for i, key in enumerate(value):
        if key not in known:
            raise LessonError(f"{path}[{i}] {shown(key)} is not a formula of the registry "
                              "(kind/name, such as loss/cross_entropy or init/he_normal)")
    if len(set(value)) != len(value):
        raise LessonError(f"{path} names a formula twice")
    return tuple(value)


def _run(name: str, spec: Any, path: str, base: dict | None, base_dir: Path | None) -> RunSpec:
    from playground.runs.compare import set_key
    if not RUN_NAME.match(name):
        raise LessonError(f"{path}: run name {shown(name)} must be a letter then letters, "
                          "digits or _ (claims write RUN.KEY)")
    path = f"{path}.{name}"
    need_object(spec, path, RUN_KEYS)
    config = spec.get("config", base)
    if config is None:
        raise LessonError(f"{path} has no config: give it config, or give the step or the "
                          "lesson a base")
    if not isinstance(config, dict):
        raise LessonError(f"{path}.config must be a run config (a JSON object), got "
                          f"{shown(config)}")
    changes = spec.get("set", {})
    if not isinstance(changes, dict):
        raise LessonError(f"{path}.set must be an object of key paths and values, got "
                          f"{shown(changes)}")
    try:
        for key, value in changes.items():
            config = set_key(config, key, value)
        run_config = RunConfig.from_dict(config)
    except ConfigError as exc:
        raise LessonError(f"{path}: {exc}") from None
    if run_config.data.source == "csv":
        from playground.data.csv_source import resolve_path
        if base_dir is None and not Path(run_config.data.path).is_absolute():
            raise LessonError(f"{path}: data.path {run_config.data.path} is relative, and "
                              "this lesson has no folder to resolve it against")
        if not resolve_path(run_config.data.path, base_dir).is_file():
            raise LessonError(f"{path}: data.path {run_config.data.path} is not a file next "
                              "to the lesson")
    weights = _weights(spec.get("weights", {}), f"{path}.weights")
    return RunSpec(name, run_config, weights)


def _weights(value: Any, path: str) -> tuple[tuple[str, Any], ...]:
    if not isinstance(value, Mapping):
        raise LessonError(f"{path} must be an object of tensor names (0.weight) and values, "
                          f"got {shown(value)}")
    out = []
    for key, tensor in value.items():
        if not re.fullmatch(r"\d+\.(weight|bias)", key):
            raise LessonError(f"{path}: {shown(key)} is not a parameter name (such as "
                              "0.weight or 0.bias)")
        out.append((key, _nested(tensor, f"{path}.{key}")))
    return tuple(out)


def _nested(value: Any, path: str):
    """A tensor as nested tuples of floats (a number, or lists of equal length)."""
    if isinstance(value, list):
        if not value:
            raise LessonError(f"{path} must not be an empty list")
        items = tuple(_nested(v, f"{path}[{i}]") for i, v in enumerate(value))
        shapes = {np.shape(v) for v in items}
        if len(shapes) != 1:
            raise LessonError(f"{path} is ragged: its entries must all have one shape")
        return items
    try:
        number = float(value) if isinstance(value, (int, float)) else math.nan
    except OverflowError:
        number = math.inf
    if isinstance(value, bool) or not math.isfinite(number):
        raise LessonError(f"{path} must hold finite numbers, got {shown(value)}")
    return number

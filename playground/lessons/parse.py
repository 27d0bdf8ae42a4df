"""Parsing claims (``lessons.claims`` describes the language) from a lesson file's JSON.

Every check names the key path of what it refuses (``steps[1].claims[2].ratio[0]``), in one
``LessonError`` line; a reference is matched by a regular expression, never evaluated.
"""

from __future__ import annotations

import math
from typing import Any

from playground.lessons.claims import (BOUNDS, COMBINERS, DROPOUT_MODES, FLAGS,
                                       GRADIENT_RULES, KINDS, NUMBERS, REDUCERS, REFERENCE,
                                       TENSOR_NAME, TRACE_MEASURES, WEIGHT_MEASURES, Claim,
                                       Combined, Curve, EpochWhen, Fact, LessonError, Number,
                                       Quantity, Trace, Weights, shown)


def need_number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LessonError(f"{path} must be a number, got {shown(value)}")
    try:
        number = float(value)
    except OverflowError:
        raise LessonError(f"{path} must be a finite number, got {shown(value)}") from None
    if not math.isfinite(number):
        raise LessonError(f"{path} must be a finite number, got {shown(value)}")
    return number


def need_text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise LessonError(f"{path} must be a non-empty string, got {shown(value)}")
    return value


def need_object(value: Any, path: str, allowed, required=()) -> dict[str, Any]:
    """A JSON object with known keys only, the required ones present."""
    if not isinstance(value, dict):
        raise LessonError(f"{path} must be a JSON object, got {shown(value)}")
    for key in value:
        if key not in allowed:
            raise LessonError(f"{path}.{shown(key) if not str(key).isidentifier() else key} "
                              f"is not a known key; allowed: {', '.join(allowed)}")
    for key in required:
        if key not in value:
            raise LessonError(f"{path}.{key} is required")
    return value


def _choice(value: Any, path: str, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise LessonError(f"{path} must be one of {', '.join(choices)}; got {shown(value)}")
    return value


def _indices(value: Any, path: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value or not all(
            isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in value):
        raise LessonError(f"{path} must be a non-empty list of indices >= 0, got "
                          f"{shown(value)}")
    return tuple(value)


def _run(name: Any, path: str, runs) -> str:
    if name not in runs:
        raise LessonError(f"{path} names run {shown(name)}, which the step does not have "
                          f"(its runs: {', '.join(runs)})")
    return name


def _curve_ref(text: Any, path: str, runs) -> tuple[str, str]:
    """``"RUN.CURVE"`` -> (run, curve key)."""
    if not isinstance(text, str) or ":" in text or not REFERENCE.match(text):
        raise LessonError(f"{path} must be RUN.CURVE (such as A.train_loss or A.grad_norm.0), "
                          f"got {shown(text)}")
    run, _, key = text.partition(".")
    return _run(run, path, runs), key


def parse_reference(text: str, path: str, runs) -> Quantity:
    """``"RUN.KEY"`` (a final number or fact) or ``"RUN.CURVE:REDUCE"``."""
    m = REFERENCE.match(text)
    if not m:
        raise LessonError(f"{path} must be RUN.KEY or RUN.CURVE:REDUCE (such as "
                          f"A.test_accuracy or A.grad_norm.0:mean), got {shown(text)}")
    run = _run(m["run"], path, runs)
    key, reduce = m["key"], m["reduce"]
    if reduce is not None:
        return Curve(run, key, _choice(reduce, f"{path} (after ':')", REDUCERS))
    if key not in NUMBERS + FLAGS:
        raise LessonError(f"{path}: {key} is not a final number of a run ({', '.join(NUMBERS)}"
                          f", or {', '.join(FLAGS)}); a curve needs a reducer, e.g. "
                          f"{run}.{key}:mean ({', '.join(REDUCERS)})")
    return Fact(run, key)


def parse_quantity(value: Any, path: str, runs) -> Quantity:
    """A quantity: a number, a reference string, or an object of exactly one kind."""
    if isinstance(value, bool):
        raise LessonError(f"{path} must be a number, a reference or a quantity object, got "
                          f"{shown(value)}")
    if isinstance(value, (int, float)):
        return Number(need_number(value, path))
    if isinstance(value, str):
        return parse_reference(value, path, runs)
    if not isinstance(value, dict):
        raise LessonError(f"{path} must be a number, a reference or a quantity object, got "
                          f"{shown(value)}")
    kinds = [k for k in KINDS if k in value]
    if len(kinds) != 1:
        what = "none" if not kinds else " and ".join(kinds)
        raise LessonError(f"{path} must hold exactly one quantity ({', '.join(KINDS)}); it "
                          f"holds {what}")
    return _PARSERS[kinds[0]](value, path, runs)


def _value(obj, path, runs) -> Quantity:
    need_object(obj, path, ["value"])
    return parse_quantity(obj["value"], f"{path}.value", runs)


def _metric(obj, path, runs) -> Quantity:
    need_object(obj, path, ["metric", "run"], ["metric", "run"])
    run = _run(obj["run"], f"{path}.run", runs)
    key = obj["metric"]
    if key not in NUMBERS + FLAGS:
        raise LessonError(f"{path}.metric must be one of {', '.join(NUMBERS + FLAGS)}; got "
                          f"{shown(key)}")
    return Fact(run, key)


def _combined(op: str):
    def parse(obj, path, runs) -> Quantity:
        need_object(obj, path, [op])
        parts = obj[op]
        at = f"{path}.{op}"
        if op == "abs":
            return Combined(op, (_numeric(parse_quantity(parts, at, runs), at),))
        if not isinstance(parts, list):
            raise LessonError(f"{at} must be a list of quantities, got {shown(parts)}")
        if op in ("ratio", "difference") and len(parts) != 2:
            raise LessonError(f"{at} must be a list of two quantities, got {len(parts)}")
        if not parts:
            raise LessonError(f"{at} must be a non-empty list of quantities")
        return Combined(op, tuple(_numeric(parse_quantity(p, f"{at}[{i}]", runs), f"{at}[{i}]")
                                  for i, p in enumerate(parts)))
    return parse


def _numeric(q: Quantity, path: str) -> Quantity:
    if isinstance(q, Fact) and q.is_flag:
        raise LessonError(f"{path}: {q.run}.{q.key} is yes or no, not a number; use it with "
                          "'is' in a claim of its own")
    return q


def _curve(obj, path, runs) -> Quantity:
    need_object(obj, path, ["curve", "reduce", "epochs"], ["curve", "reduce"])
    run, key = _curve_ref(obj["curve"], f"{path}.curve", runs)
    reduce = _choice(obj["reduce"], f"{path}.reduce", REDUCERS)
    epochs = None
    if "epochs" in obj:
        e = obj["epochs"]
        if (not isinstance(e, list) or len(e) != 2 or not all(
                isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in e)
                or e[0] > e[1]):
            raise LessonError(f"{path}.epochs must be [FROM, TO], whole numbers with FROM <= "
                              f"TO, got {shown(e)}")
        epochs = (e[0], e[1])
    return Curve(run, key, reduce, epochs)


def _epoch_when(obj, path, runs) -> Quantity:
    need_object(obj, path, ["epoch_when", "falls_to", "rises_to"], ["epoch_when"])
    run, key = _curve_ref(obj["epoch_when"], f"{path}.epoch_when", runs)
    given = [k for k in ("falls_to", "rises_to") if k in obj]
    if len(given) != 1:
        raise LessonError(f"{path} needs exactly one of falls_to or rises_to")
    return EpochWhen(run, key, need_number(obj[given[0]], f"{path}.{given[0]}"),
                     given[0] == "falls_to")


def _weights(obj, path, runs) -> Quantity:
    need_object(obj, path, ["weights", "measure", "rows", "columns", "inputs", "tolerance"],
                ["weights", "measure"])
    ref = obj["weights"]
    run, dot, tensor = ref.partition(".") if isinstance(ref, str) else ("", "", "")
    if not dot or not TENSOR_NAME.match(tensor):
        raise LessonError(f"{path}.weights must be RUN.TENSOR (such as A.0.weight), got "
                          f"{shown(ref)}")
    _run(run, f"{path}.weights", runs)
    measure = _choice(obj["measure"], f"{path}.measure", WEIGHT_MEASURES)
    tolerance = None
    if measure == "share_near_zero":
        if "tolerance" not in obj:
            raise LessonError(f"{path}.tolerance is required for share_near_zero")
        tolerance = need_number(obj["tolerance"], f"{path}.tolerance")
    elif "tolerance" in obj:
        raise LessonError(f"{path}.tolerance applies to share_near_zero only")
    if "inputs" in obj and "columns" in obj:
        raise LessonError(f"{path} takes columns or inputs, not both")
    inputs = None
    if "inputs" in obj:
        raw = obj["inputs"]
        if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
            raise LessonError(f"{path}.inputs must be a non-empty list of feature names, got "
                              f"{shown(raw)}")
        inputs = tuple(raw)
    return Weights(run, tensor, measure,
                   rows=_indices(obj["rows"], f"{path}.rows") if "rows" in obj else None,
                   columns=_indices(obj["columns"], f"{path}.columns") if "columns" in obj
                   else None, inputs=inputs, tolerance=tolerance)


def _trace(obj, path, runs) -> Quantity:
    need_object(obj, path, ["trace", "measure", "rule", "mode"], ["trace", "measure"])
    run = _run(obj["trace"], f"{path}.trace", runs)
    measure = _choice(obj["measure"], f"{path}.measure", TRACE_MEASURES)
    key, choices = (("rule", GRADIENT_RULES) if measure == "logit_gradient_error"
                    else ("mode", DROPOUT_MODES))
    other = "mode" if key == "rule" else "rule"
    if other in obj:
        raise LessonError(f"{path}.{other} does not apply to {measure}")
    if key not in obj:
        raise LessonError(f"{path}.{key} is required for {measure}: one of "
                          f"{', '.join(choices)}")
    return Trace(run, measure, _choice(obj[key], f"{path}.{key}", choices))


_PARSERS = {"value": _value, "metric": _metric, "curve": _curve, "epoch_when": _epoch_when,
            "weights": _weights, "trace": _trace, **{op: _combined(op) for op in COMBINERS}}


def parse_claim(obj: Any, path: str, runs) -> Claim:
    """One claim object; ``runs`` are the step's run names. LessonError naming the key path."""
    if not isinstance(obj, dict):
        raise LessonError(f"{path} must be a JSON object, got {shown(obj)}")
    if "says" not in obj:
        raise LessonError(f"{path}.says is required: the claim in words")
    says = need_text(obj["says"], f"{path}.says")
    bounds = {k: need_number(obj[k], f"{path}.{k}") for k in BOUNDS if k in obj}
    rest = {k: v for k, v in obj.items() if k not in BOUNDS + ("says", "is")}
    unknown = [k for k in rest if k not in KINDS + _OPTIONS]
    if unknown:
        raise LessonError(f"{path}.{unknown[0]} is not a known key; a claim has says, a "
                          f"quantity ({', '.join(KINDS)}) and bounds "
                          f"({', '.join(BOUNDS)}, or is)")
    quantity = parse_quantity(rest, path, runs)
    if "is" in obj:
        if bounds:
            raise LessonError(f"{path} takes 'is' or number bounds, not both")
        if not isinstance(obj["is"], bool):
            raise LessonError(f"{path}.is must be true or false, got {shown(obj['is'])}")
        if not (isinstance(quantity, Fact) and quantity.is_flag):
            raise LessonError(f"{path}.is applies to a yes/no fact ({', '.join(FLAGS)}); "
                              "give a number bound (at_least, at_most, above, below)")
        return Claim(says, quantity, is_=obj["is"])
    if not bounds:
        raise LessonError(f"{path} needs a bound: at_least, at_most, above or below (or is)")
    _numeric(quantity, path)
    if len([k for k in bounds if k in ("at_least", "above")]) > 1 or len(
            [k for k in bounds if k in ("at_most", "below")]) > 1:
        raise LessonError(f"{path} gives two lower or two upper bounds; give one of each at "
                          "most")
    low = bounds.get("at_least", bounds.get("above"))
    high = bounds.get("at_most", bounds.get("below"))
    if low is not None and high is not None and low > high:
        raise LessonError(f"{path}: the lower bound {low:g} is above the upper bound {high:g}")
    return Claim(says, quantity, **bounds)


#: keys a quantity object may carry beside its kind (so a claim may hold them too)
_OPTIONS = ("run", "reduce", "epochs", "falls_to", "rises_to", "measure", "rows", "columns",
            "inputs", "tolerance", "rule", "mode")

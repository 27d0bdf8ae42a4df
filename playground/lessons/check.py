"""Checking a step's claims on runs: each claim measured, compared, and said in a sentence.

``check(step, runs)`` takes the runs as the caller has them (``Trainer``s, as ``train_step``
returns and the app keeps, or ``RunRecord``s) and gives one ``ClaimResult`` per claim, in
order. A claim holds when its quantity was measured and is inside every bound; NaN is inside
none, so a diverged run never satisfies a number bound by accident.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any, Mapping

from playground.lessons.claims import Claim, describe
from playground.lessons.format import Step
from playground.lessons.measure import Measured, Unmeasurable, evaluate

_SYMBOLS = {"at_least": ">=", "at_most": "<=", "above": ">", "below": "<"}


@dataclass(frozen=True)
class ClaimResult:
    """A claim and what was measured: ``value`` (None when it could not be measured, then
    ``problem`` says why), whether it ``holds``, and ``sentence``: the claim in words with
    the measured number and the bounds, for people."""

    claim: Claim
    holds: bool
    value: float | bool | None
    sentence: str
    problem: str = ""


def number(value: float | bool | None) -> str:
    """A measured value for a sentence: 4 significant digits, 'never' for an epoch that
    never came, yes/no for the facts."""
    if value is None:
        return "not measured"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if math.isinf(value):
        return "infinite" if value > 0 else "-infinite"
    if math.isnan(value):
        return "NaN"
    return f"{value:.4g}"


def needs(claim: Claim) -> str:
    """The bounds in words: 'needs >= 0.9', 'needs >= 0.1 and <= 0.2', 'needs yes'."""
    if claim.is_ is not None:
        return f"needs {'yes' if claim.is_ else 'no'}"
    return "needs " + " and ".join(f"{_SYMBOLS[k]} {v:g}" for k, v in claim.bounds().items())


def holds(claim: Claim, value: float | bool) -> bool:
    if claim.is_ is not None:
        return isinstance(value, bool) and value is claim.is_
    v = float(value)
    if math.isnan(v):
        return False
    tests = {"at_least": v >= (claim.at_least or 0), "at_most": v <= (claim.at_most or 0),
             "above": v > (claim.above or 0), "below": v < (claim.below or 0)}
    return all(tests[k] for k in claim.bounds())


def check_claim(claim: Claim, runs: Mapping[str, Measured]) -> ClaimResult:
    """One claim on measured runs."""
    what = describe(claim.quantity)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = evaluate(claim.quantity, dict(runs))
    except Unmeasurable as exc:
        return ClaimResult(claim, False, None,
                           f"does not hold: {claim.says} ({what} cannot be measured: {exc})",
                           str(exc))
    ok = holds(claim, value)
    return ClaimResult(claim, ok, value,
                       f"{'holds' if ok else 'does not hold'}: {claim.says} ({what} = "
                       f"{number(value)}, {needs(claim)})")


def measured(runs: Mapping[str, Any]) -> dict[str, Measured]:
    """Each run (a Trainer, a RunRecord) ready to measure; a trainer's record is taken once."""
    return {name: Measured.of(run, name) for name, run in runs.items()}


def check(step: Step, runs: Mapping[str, Any]) -> list[ClaimResult]:
    """Every claim of ``step`` on ``runs`` (run name -> Trainer or RunRecord), in order."""
    ready = measured(runs)
    return [check_claim(claim, ready) for claim in step.claims]

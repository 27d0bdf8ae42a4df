"""The formula of every choice, collected from the registries that compute it.

Each registry module (activations, losses, perceptron, initializers, optimizers, schedulers,
clipping, regularization, layers) keeps a ``FORMULAS`` mapping beside its code, keyed like
``("activation", "tanh")``. The app's tooltips, ``docs/formulas.md`` and ``tests/test_formulas.py``
all read those entries, so a formula shown is a formula computed: every entry's ``evaluate`` is
a small NumPy twin that implements the formula as written (not the engine's code), and the
tests compare it with the engine on random inputs.

``latex`` is LaTeX that matplotlib's mathtext typesets (and GitHub's math renders), one line per
string, without ``$`` delimiters. What ``evaluate`` takes depends on the kind (``EVALUATE``).

    python -m playground.engine.formulas > docs/formulas.md     regenerates the docs page
"""

from __future__ import annotations

import importlib
import re
import textwrap
from dataclasses import dataclass, field
from functools import cache
from typing import Callable

#: the kinds, in the order the docs list them, and what each kind's ``evaluate`` computes
EVALUATE: dict[str, str] = {
    "activation": "evaluate(z) -> (f(z), f'(z)), elementwise",
    "loss": "evaluate(z, y) -> (L, dL/dz) for logits z (n, k)",
    "model": "evaluate(w, b, x, y, lr) -> (w, b) after one sample",
    "init": "evaluate(fan_in, fan_out) -> (\"normal\", mean, variance) | (\"uniform\", low, "
            "high) | (\"constant\", value)",
    "layer": "dense: evaluate(x, w, b) -> y; batchnorm: evaluate(x, gamma, beta, eps, "
             "momentum, running_mean, running_var) -> (y, running_mean, running_var) in "
             "training mode; dropout: evaluate(x, u, p, training) -> y, u the uniforms",
    "regularization": "evaluate(w, rate) -> the term added to dL/dw",
    "clip": "evaluate(g, c) -> the clipped g (g is every parameter's gradient, flat)",
    "optimizer": "evaluate(p, g, state, lr, options, t) -> (p, state) after step t (from 1)",
    "schedule": "evaluate(lr0, metrics, options) -> the rates after epochs 1..len(metrics)",
}
KINDS: tuple[str, ...] = tuple(EVALUATE)
#: the modules that hold each kind's entries
_MODULES = ("activations", "losses", "perceptron", "initializers", "layers", "regularization",
            "clipping", "optimizers", "schedulers")
HEADINGS = {"activation": "Activations", "loss": "Losses and their output activation",
            "model": "Perceptron", "init": "Initializers", "layer": "Layers",
            "regularization": "L1 and L2", "clip": "Gradient clipping",
            "optimizer": "Optimizers", "schedule": "Learning-rate schedules"}
NOTEBOOK = "shared/reference/nn-basics-notebook.md"


@dataclass(frozen=True)
class NotebookError:
    """Where the reference notebook teaches the formula wrongly: what it wrote, what is right."""

    wrote: str               # LaTeX, as the notebook wrote it
    correct: tuple[str, ...]  # LaTeX lines of the correct formula
    note: str                # plain words: what is wrong and why


@dataclass(frozen=True)
class Formula:
    """One choice's definition, as shown in the app and docs and checked by the tests."""

    title: str                # how the app names it: "Tanh", "Binary cross-entropy"
    latex: tuple[str, ...]    # the definition, one mathtext line each (forward, then gradient)
    meaning: str              # one line in plain words
    torch: str                # what it matches in PyTorch
    evaluate: Callable = field(compare=False, repr=False)  # the NumPy twin (see EVALUATE)
    symbols: str = ""         # what the letters stand for, in words
    reference_error: NotebookError | None = None


@cache
def registry() -> dict[tuple[str, str], Formula]:
    """Every entry, by (kind, name), kinds in ``KINDS`` order."""
    found: dict[tuple[str, str], Formula] = {}
    for module in _MODULES:
        found.update(importlib.import_module(f"playground.engine.{module}").FORMULAS)
    return {key: found[key] for kind in KINDS for key in found if key[0] == kind}


def formula(kind: str, name: str) -> Formula | None:
    """The entry for one choice, or None (``("clip", "none")`` has none)."""
    return registry().get((kind, name))


def __getattr__(name: str):
    if name == "FORMULAS":
        return registry()
    raise AttributeError(name)


# -- the docs page ---------------------------------------------------------------------------

def _display(latex: str) -> str:
    return f"$$\n{latex}\n$$"


def _para(text: str) -> str:
    return textwrap.fill(text, 99, break_long_words=False, break_on_hyphens=False)


_INTRO = ("Every choice the app offers, defined as PyTorch defines it: the same entries the app "
          "shows when you hover a choice, and the ones the tests evaluate against the engine's "
          "code on random inputs (`tests/test_formulas.py`). Where the reference notebook the "
          "project grew from teaches a formula wrongly, the entry says what it wrote and shows "
          "the correct one. The engine's own notes on each definition are in "
          "[engine.md](engine.md).")


def markdown() -> str:
    """docs/formulas.md, generated from the registry (tests check the file matches)."""
    out = ["# Formulas", "",
           "<!-- Generated from the engine's registries by `python -m playground.engine.formulas "
           "> docs/formulas.md`; do not edit by hand. -->", "", _para(_INTRO), ""]
    wrong = [f for f in registry().values() if f.reference_error]
    links = ", ".join(f"[{f.title}](#{_anchor(f)})" for f in wrong)
    out += [_para(f"Where the notebook is wrong: {links}."), ""]
    for kind in KINDS:
        out += [f"## {HEADINGS[kind]}", ""]
        for (_, name), f in ((k, f) for k, f in registry().items() if k[0] == kind):
            out += [f"### {f.title}", "", _para(f"`{name}`: {f.meaning} PyTorch: `{f.torch}`."),
                    ""]
            out += [_display(line) + "\n" for line in f.latex]
            if f.symbols:
                out += [_para(f.symbols), ""]
            err = f.reference_error
            if err:
                out += [_para(f"**The reference notebook is wrong here.** {err.note} It wrote:"),
                        "", _display(err.wrote), "", "The correct formula:", ""]
                out += [_display(line) + "\n" for line in err.correct]
    return "\n".join(out).rstrip() + "\n"


def _anchor(f: Formula) -> str:
    """GitHub's anchor of an entry's heading."""
    text = re.sub(r"[`*_]", "", f.title.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


if __name__ == "__main__":
    import sys

    sys.stdout.write(markdown())

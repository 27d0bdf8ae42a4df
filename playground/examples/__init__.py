"""Ready-to-run configs that ship inside the package (File > Examples in the app).

Each example is a run config (PRODUCT.md section 1) stored beside this module as package data,
read through ``importlib.resources``, so an installed wheel has them without the source
folder. ``EXAMPLES`` says what each one shows; ``config(name)`` parses one. A test trains
every example and checks that it reaches what its summary promises.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

from playground.config import RunConfig
from playground.errors import PlaygroundError


@dataclass(frozen=True)
class Example:
    """``name`` is the file's stem; ``title`` the menu entry; ``summary`` its tooltip."""

    name: str
    title: str
    summary: str

    @property
    def filename(self) -> str:
        return f"{self.name}.json"


#: In menu order: TensorFlow Playground's four data sets first, then the rest.
EXAMPLES: tuple[Example, ...] = (
    Example("circle", "Circle (2-4-2-1 tanh, as TensorFlow Playground opens)",
            "TensorFlow Playground's starting point: a ring around a disc, x1 and x2 only, "
            "two small tanh layers, SGD 0.03."),
    Example("xor", "XOR (2-4-2-1 tanh)",
            "Four quadrants, opposite corners alike: no single line separates them, two "
            "hidden layers do."),
    Example("gauss-perceptron", "Two blobs: the perceptron",
            "Two Gaussian clusters a line separates: the perceptron rule finds one in a few "
            "epochs (an epoch without mistakes ends it)."),
    Example("spiral", "Spiral, x1 and x2 only (3 x 8 tanh)",
            "The hardest of the four: from the raw coordinates alone it takes three layers and "
            "hundreds of epochs."),
    Example("spiral-features", "Spiral with every feature",
            "The spiral again, with x1^2, x2^2, x1*x2, sin(x1), sin(x2) as inputs: the same "
            "network reaches a far lower loss in the same epochs."),
    Example("moons", "Two moons (ReLU, Adam)",
            "Two interleaved half circles with noise: a small ReLU network with Adam."),
    Example("plane-regression", "Plane (regression)",
            "A tilted plane with noise: regression, the output surface coloured by value."),
    Example("iris-notebook", "Iris: the reference notebook's MLP",
            "4-16-8-3 ReLU, He init, Adam 0.01, batch 16, gradient clipping at norm 1, "
            "ReduceLROnPlateau: the notebook's experiment."),
    Example("digits", "Digits (8x8 images, 64-unit ReLU, dropout)",
            "scikit-learn's handwritten digits: ten classes from 64 pixels; the gallery shows "
            "the images."),
    Example("diabetes", "Diabetes (regression, L2)",
            "scikit-learn's diabetes progression from ten measurements: a table regression "
            "with standardized targets, R² and MAE in the data's units."),
)


def names() -> list[str]:
    return [e.name for e in EXAMPLES]


def example(name: str) -> Example:
    for e in EXAMPLES:
        if e.name == name:
            return e
    raise PlaygroundError(f"unknown example {name!r}; one of {', '.join(names())}")


def text(name: str) -> str:
    """The example's JSON, as shipped."""
    return resources.files(__name__).joinpath(example(name).filename).read_text("utf-8")


def config_dict(name: str) -> dict:
    return json.loads(text(name))


def config(name: str) -> RunConfig:
    return RunConfig.from_dict(config_dict(name))

"""The shipped examples: each one is package data, parses, and trains to what its menu entry
promises (measured here on the example's own config, not asserted)."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from playground import examples
from playground.engine.trainer import Trainer
from playground.errors import PlaygroundError


def test_every_example_file_is_listed_and_every_listed_one_ships():
    shipped = {p.name for p in resources.files("playground.examples").iterdir()
               if p.name.endswith(".json")}
    assert shipped == {e.filename for e in examples.EXAMPLES}
    assert len(set(examples.names())) == len(examples.EXAMPLES)


@pytest.mark.parametrize("name", examples.names())
def test_each_example_is_a_valid_config(name):
    cfg = examples.config(name)
    assert cfg.to_dict()["data"]["source"] == json.loads(examples.text(name))["data"]["source"]


def test_an_unknown_example_is_named_in_the_error():
    with pytest.raises(PlaygroundError, match="unknown example 'nope'; one of circle"):
        examples.example("nope")


def trained(name: str, epochs: int | None = None) -> dict:
    cfg = examples.config(name)
    trainer = Trainer(cfg)
    trainer.run_epochs(epochs or cfg.train.epochs)
    return trainer.evaluate().record()


# what the summaries claim, each measured at the example's own epochs
@pytest.mark.parametrize("name", ["circle", "xor", "gauss-perceptron", "moons"])
def test_the_two_dimensional_examples_are_solved(name):
    ev = trained(name)
    assert ev["test_accuracy"] >= 0.95, ev


def test_every_feature_takes_the_spiral_far_lower_than_x1_and_x2_alone():
    a, b = examples.config_dict("spiral"), examples.config_dict("spiral-features")
    del a["data"]["features"], b["data"]["features"], a["train"]["epochs"], b["train"]["epochs"]
    assert a == b                      # the pair differs in the features and epochs only
    few = examples.config("spiral-features").train.epochs
    with_features, raw = trained("spiral-features", few), trained("spiral", few)
    assert with_features["test_accuracy"] >= 0.95
    assert with_features["test_loss"] < raw["test_loss"] / 10, (raw, with_features)
    assert trained("spiral")["test_accuracy"] >= 0.9     # raw, given its 500 epochs


def test_the_regressions_explain_most_of_the_variance_they_can():
    assert trained("plane-regression")["test_r2"] >= 0.95
    assert trained("diabetes")["test_r2"] >= 0.4   # the data's own ceiling is about 0.5

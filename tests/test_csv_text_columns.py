"""A CSV with text columns opens: they are left out of the features, and the config says so."""

from __future__ import annotations

import pytest

from playground.data import csv_source
from playground.errors import DataError
from playground.open_files import open_csv
from playground.ui.config_model import DEFAULT_CONFIG

PEOPLE = ("name,age,height,city,score\n" + "".join(
    f"p{i},{20 + i},{1.5 + i / 100},c{i % 3},{i % 3}\n" for i in range(30)))


@pytest.fixture
def people(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(PEOPLE)
    return path


def test_text_columns_are_found_in_the_files_order(people, tmp_path):
    assert csv_source.text_columns(people) == ["name", "city"]
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("a,b\n1,2\n3,\n5,6\n")      # an empty cell is not text
    assert csv_source.text_columns(numbers) == []


def test_opening_leaves_text_columns_out(people):
    opened = open_csv(people, DEFAULT_CONFIG)
    assert opened.left_out == ("name", "city")
    assert opened.config.data.columns == ("age", "height")
    assert opened.run.trainer.dataset.input_names == ("age", "height")
    by_name = open_csv(people, DEFAULT_CONFIG, target="city")   # a text target is fine
    assert by_name.left_out == ("name",)
    assert by_name.config.data.columns == ("age", "height", "score")
    assert by_name.run.trainer.dataset.n_classes == 3


def test_asked_columns_are_kept_and_checked(people):
    opened = open_csv(people, DEFAULT_CONFIG, columns=("height",))
    assert opened.left_out == () and opened.run.trainer.dataset.input_names == ("height",)
    with pytest.raises(DataError, match="not a number"):
        open_csv(people, DEFAULT_CONFIG, columns=("name", "age"))


def test_a_new_target_keeps_the_chosen_columns(people):
    from playground.open_files import columns_for_target
    chosen = open_csv(people, DEFAULT_CONFIG, columns=("height",))    # age left out by hand
    data = chosen.config.data
    assert data.target == "score"
    # the old target joins the features, the new one leaves them, age stays out
    kept = columns_for_target(people, data, "height")
    assert kept == ("score",)
    again = open_csv(people, chosen.config, "height", columns=kept)
    assert again.config.data.columns == ("score",) and again.config.data.target == "height"
    # a text target going back to being a column stays out (a network takes numbers)
    by_city = open_csv(people, DEFAULT_CONFIG, "city", columns=("age", "height"))
    assert columns_for_target(people, by_city.config.data, "height") == ("age",)
    # no choice made: every numeric column, as when the file was opened
    import dataclasses
    plain = dataclasses.replace(chosen.config.data, columns=None)
    assert columns_for_target(people, plain, "age") is None

"""The docs cannot drift from the code: every ```json block in docs/*.md is a valid run config.

docs/config.md must also show a complete example for every data source and model type (and every
optimizer and schedule), its "minimal"/"expanded" pair must equal what the validator fills in, and
every relative link between the docs must point at a file and heading that exist. Blocks whose
source is not csv must also build a Trainer (data loaded, loss and batchnorm checks passed); csv
blocks reference files that exist only in the reader's folder, so they are parsed only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from playground import config
from playground.config import LAYER_TYPES, MODEL_TYPES
from playground.data.names import SOURCES
from playground.engine.activations import ACTIVATIONS
from playground.engine.initializers import INITIALIZERS
from playground.engine.optimizers import OPTIMIZER_DEFAULTS, OPTIMIZERS
from playground.engine.schedulers import SCHEDULE_DEFAULTS, SCHEDULES

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = ("index.md", "config.md", "engine.md", "cli.md", "workspaces.md", "exports.md", "app.md",
         "formulas.md")
FENCE = re.compile(r"^(?:<!-- test: (?P<tag>\w+) -->\n)?```json\n(?P<body>.*?)^```\s*$",
                   re.S | re.M)


def json_blocks(name: str) -> list[tuple[int, str | None, str]]:
    """(line number, tag, text) of every ```json block in docs/<name>."""
    text = (DOCS / name).read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start("body")) + 1, m.group("tag"), m.group("body"))
            for m in FENCE.finditer(text)]


ALL_BLOCKS = [(name, line, body) for name in sorted(p.name for p in DOCS.glob("*.md"))
              for line, _, body in json_blocks(name)]
CONFIG_EXAMPLES = [json.loads(body) for _, _, body in json_blocks("config.md")]


def examples(predicate) -> list[dict]:
    return [obj for obj in CONFIG_EXAMPLES if predicate(obj)]


def test_pages_exist():
    for name in PAGES:
        assert (DOCS / name).is_file(), f"docs/{name} is missing"
    assert len(CONFIG_EXAMPLES) >= len(SOURCES) + len(MODEL_TYPES)


@pytest.mark.parametrize("name,line,body", ALL_BLOCKS,
                         ids=[f"{name}:{line}" for name, line, _ in ALL_BLOCKS])
def test_json_block_is_a_valid_config(name, line, body):
    config.loads(body)  # raises ConfigError naming the key path


@pytest.mark.parametrize("source", SOURCES)
def test_every_source_has_an_example(source):
    assert examples(lambda c: c["data"]["source"] == source), \
        f"docs/config.md has no ```json example with data.source {source}"


@pytest.mark.parametrize("model_type", MODEL_TYPES)
def test_every_model_type_has_an_example(model_type):
    assert examples(lambda c: c["model"]["type"] == model_type), \
        f"docs/config.md has no ```json example with model.type {model_type}"


def _layer_types() -> set[str]:
    return {layer["type"] for c in CONFIG_EXAMPLES for layer in c["model"].get("layers", [])}


@pytest.mark.parametrize("kind", ["dense", "batchnorm", "dropout"])
def test_every_layer_kind_has_an_example(kind):
    assert kind in _layer_types(), f"docs/config.md has no example with a {kind} layer"


def test_an_activation_layer_has_an_example():
    assert _layer_types() & set(ACTIVATIONS), "docs/config.md shows no stand-alone activation layer"


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_has_an_example(name):
    assert examples(lambda c: c.get("train", {}).get("optimizer", {}).get("name") == name)


@pytest.mark.parametrize("name", [s for s in SCHEDULES if s != "constant"])
def test_every_schedule_has_an_example(name):
    assert examples(lambda c: (c.get("train", {}).get("schedule") or {}).get("name") == name)


def test_every_option_and_name_is_documented():
    text = (DOCS / "config.md").read_text(encoding="utf-8")
    names = set(LAYER_TYPES) | set(INITIALIZERS) | set(OPTIMIZERS) | set(SCHEDULES)
    names |= {k for options in OPTIMIZER_DEFAULTS.values() for k in options}
    names |= {k for options in SCHEDULE_DEFAULTS.values() for k in options}
    missing = sorted(n for n in names if f"`{n}`" not in text)
    assert not missing, f"docs/config.md never mentions {missing}"


def test_expanded_defaults_match_the_validator():
    tagged = {tag: body for _, tag, body in json_blocks("config.md") if tag}
    assert {"minimal", "expanded"} <= set(tagged)
    filled = config.loads(tagged["minimal"]).to_dict()
    assert filled == json.loads(tagged["expanded"]), \
        "docs/config.md's expanded config no longer shows the validator's defaults"


def test_notebook_iris_experiment_is_shown():
    def is_notebook(c: dict) -> bool:
        train = c.get("train", {})
        layers = c["model"].get("layers", [])
        return (c["data"]["source"] == "iris" and c["model"]["type"] == "mlp"
                and [(la["type"], la.get("units"), la.get("activation")) for la in layers]
                == [("dense", 16, "relu"), ("dense", 8, "relu")]
                and train.get("optimizer") == {"name": "adam", "lr": 0.01}
                and train.get("batch_size") == 16 and train.get("epochs") == 100
                and train.get("clip") == {"norm": 1.0}
                and train.get("schedule") == {"name": "plateau", "factor": 0.5, "patience": 5})
    assert examples(is_notebook), "docs/config.md lacks the notebook's Iris experiment"


BUILDABLE = [(name, line, body) for name, line, body in ALL_BLOCKS
             if json.loads(body)["data"]["source"] != "csv"]


@pytest.mark.parametrize("name,line,body", BUILDABLE,
                         ids=[f"{name}:{line}" for name, line, _ in BUILDABLE])
def test_example_builds_a_trainer(name, line, body):
    from playground.engine.trainer import Trainer
    Trainer(config.loads(body))  # loads the data; checks loss vs task and batchnorm batches


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(name: str) -> set[str]:
    text = re.sub(r"^```.*?^```", "", (DOCS / name).read_text(encoding="utf-8"), flags=re.S | re.M)
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.M):
        slug = _slug(heading)
        anchors.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return anchors


@pytest.mark.parametrize("name", PAGES)
def test_links_between_docs_resolve(name):
    text = (DOCS / name).read_text(encoding="utf-8")
    for target, anchor in re.findall(r"\]\(([\w\-]*\.md)?(?:#([\w\-]+))?\)", text):
        page = target or name
        assert (DOCS / page).is_file(), f"docs/{name} links to missing docs/{page}"
        if anchor:
            assert anchor in _anchors(page), f"docs/{name} links to missing {page}#{anchor}"

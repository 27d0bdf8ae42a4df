"""docs/exports.md cannot drift from the code: every format's load snippet (which the export
dialog shows) appears in it verbatim, its NumPy forward pass reproduces the app, and its Keras
example is the layer list the .weights.h5 writer uses."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import run_config, trained_export
from playground.io.export_spec import spec_for
from playground.io.keras_layers import keras_layers
from playground.io.weights import WEIGHT_FORMATS, save_weights

DOCS = Path(__file__).resolve().parent.parent / "docs"
TEXT = (DOCS / "exports.md").read_text(encoding="utf-8")
PYTHON = re.compile(r"^(?:<!-- test: (?P<tag>\w+) -->\n)?```python\n(?P<body>.*?)^```\s*$",
                    re.S | re.M)
BLOCKS = [(m.group("tag"), m.group("body")) for m in PYTHON.finditer(TEXT)]


@pytest.mark.parametrize("ext", WEIGHT_FORMATS)
def test_every_format_has_a_snippet_shown_in_the_docs(ext):
    snippet = WEIGHT_FORMATS[ext].snippet
    assert snippet.strip(), f"{ext} has no load snippet"
    compile(snippet, f"<{ext} snippet>", "exec")
    assert any(body == snippet for _, body in BLOCKS), \
        f"docs/exports.md does not show the {ext} snippet verbatim"
    assert f"`{ext}`" in TEXT


def test_every_python_block_parses():
    for _, body in BLOCKS:
        ast.parse(body)


def test_index_links_the_exports_page():
    assert "(exports.md)" in (DOCS / "index.md").read_text(encoding="utf-8")


NUMPY_CASES = {
    "binary, feature map, batchnorm, dropout": dict(
        layers=[{"type": "dense", "units": 6, "activation": "gelu"}, {"type": "batchnorm"},
                {"type": "dropout", "p": 0.2}, {"type": "elu"},
                {"type": "dense", "units": 4, "activation": "leaky_relu"}, {"type": "silu"}],
        source="moons", data={"samples": 60, "features": ["x1", "x2", "sin(x1)", "x2^2"]}),
    "iris": dict(layers=[{"type": "dense", "units": 8, "activation": "relu"},
                         {"type": "sigmoid"}, {"type": "tanh"}], source="iris"),
    "regression, raw": dict(layers=[{"type": "dense", "units": 5}, {"type": "linear"}],
                            source="plane", data={"samples": 60, "standardize": False}),
    "regression, standardized targets": dict(
        layers=[{"type": "dense", "units": 5, "activation": "tanh"}], source="diabetes"),
    "perceptron": dict(model_type="perceptron", source="iris"),
}


@pytest.mark.parametrize("case", NUMPY_CASES)
def test_numpy_forward_pass_in_the_docs_reproduces_the_app(case, tmp_path, monkeypatch):
    (code,) = [body for tag, body in BLOCKS if tag == "numpy_forward"]
    kw = dict(NUMPY_CASES[case])
    t, state, meta = trained_export(kw.pop("layers", []), epochs=3, batch_size=8, **kw)
    save_weights(tmp_path / "model.npz", state, meta)
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    exec(compile(code, "docs/exports.md", "exec"), ns)
    raw = np.concatenate([t.dataset.raw_train, t.dataset.raw_test])
    with np.errstate(over="ignore"):
        got = ns["predict"](raw)
    np.testing.assert_allclose(got, t.predict(t.dataset.preprocess(raw)), rtol=1e-5, atol=1e-5)


def test_keras_example_is_the_writers_layer_list():
    (code,) = [body for _, body in BLOCKS if "spiral.weights.h5" in body]
    calls = [node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.Call)
             and ast.unparse(node.func).startswith("layers.")]
    shown = [(ast.unparse(c.func)[len("layers."):], tuple(ast.unparse(a) for a in c.args)
              + tuple(ast.unparse(k) for k in c.keywords)) for c in calls]
    cfg = run_config([{"type": "dense", "units": 8, "activation": "tanh"}, {"type": "batchnorm"},
                      {"type": "dropout", "p": 0.2}, {"type": "dense", "units": 8},
                      {"type": "relu"}])
    expected = [(k.cls, tuple(a.replace('"', "'") for a in k.args))
                for k in keras_layers(spec_for(cfg, 4, 1, "bce"))]
    assert shown == expected

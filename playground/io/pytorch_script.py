"""``.py`` export: a standalone PyTorch script that rebuilds the model, loads the weights and
predicts from raw inputs, as the app does.

The script needs only torch and numpy. The weights are embedded as nested lists (each float the
shortest text that reads back to the same value, so ``torch.tensor(..., dtype)`` restores the
exact bits) and loaded with ``load_state_dict(strict=True)``; the model code comes from
``codegen`` (one generator of it). ``python model.py`` prints predictions for the sample rows
the export carries (``metadata["samples"]``: a few raw training rows and the app's predictions
for them), with the largest difference from the app's, so a user sees at once that it works.
"""

from __future__ import annotations

import json
import pprint
import textwrap
from collections.abc import Mapping
from typing import Any

import numpy as np

from playground import __version__
from playground.data.features import INPUTS_2D
from playground.errors import WeightsError
from playground.io.codegen import target_constants, torch_model_code, torch_training_code
from playground.io.export_spec import HEADS, ExportSpec, spec_from_metadata

#: numpy source of each 2-D feature, from the raw columns x1, x2 (``data.features``)
FEATURE_SOURCE: dict[str, str] = {
    "x1": "x1", "x2": "x2", "x1^2": "x1 * x1", "x2^2": "x2 * x2", "x1*x2": "x1 * x2",
    "sin(x1)": "np.sin(x1)", "sin(x2)": "np.sin(x2)",
}
_TORCH_DTYPES = {"float32": "torch.float32", "float64": "torch.float64", "int64": "torch.int64"}


def _json(value: Any) -> str:
    """A list of numbers (or of lists of numbers) as JSON text, which is also Python source."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def _literal(value: Any, compact: bool = False) -> str:
    """Any JSON value as a Python literal, wrapped to a readable width."""
    return pprint.pformat(value, width=90, sort_dicts=False, compact=compact)


def _numbers(values: Any) -> str:
    """A long list of numbers wrapped between numbers (numbers hold no spaces)."""
    return textwrap.fill(_json(values), 90, subsequent_indent="    ", break_long_words=False,
                         break_on_hyphens=False)


def _tensor_source(array: np.ndarray) -> str:
    """Nested lists with one matrix row per line."""
    if array.ndim < 2:
        return _json(array.tolist())
    rows = ",\n        ".join(_json(row) for row in array.tolist())
    return f"[\n        {rows},\n    ]"


def _weights_source(state: Mapping[str, np.ndarray]) -> str:
    entries = [f'    "{key}": ({_TORCH_DTYPES[a.dtype.name]}, {_tensor_source(a)}),'
               for key, a in state.items()]
    return "WEIGHTS = {\n" + "\n".join(entries) + "\n}\n"


def _preprocess_source(spec: ExportSpec) -> str:
    pre = spec.preprocessing
    lines = ["    x = np.asarray(raw, dtype=np.float64)",
             f"    if x.ndim != 2 or x.shape[1] != {spec.n_inputs}:",
             f'        raise ValueError(f"expected raw inputs of shape (n, {spec.n_inputs}), '
             'columns {INPUTS}; "',
             '                         f"got shape {x.shape}")']
    if pre.feature_map:
        cols = ", ".join(FEATURE_SOURCE[f] for f in pre.features)
        lines += [f"    {', '.join(INPUTS_2D)} = x[:, 0], x[:, 1]",
                  f"    x = np.column_stack([{cols}])  # FEATURES"]
    if pre.mean is not None:
        lines.append("    x = (x - MEAN) / STD")
    lines.append("    return torch.tensor(x, dtype=DTYPE)")
    return "\n".join(lines)


def _predict_source(spec: ExportSpec) -> str:
    if spec.loss == "bce":
        return ("        p = torch.sigmoid(z)\n"
                "        return torch.cat([1 - p, p], dim=1).numpy()")
    if spec.loss == "cross_entropy":
        return "        return torch.softmax(z, dim=1).numpy()"
    if spec.loss == "perceptron":
        k = len(spec.preprocessing.classes)
        pick = "(z[:, 0] > 0).long()" if spec.n_outputs == 1 else "z.argmax(dim=1)"
        return (f"        return torch.eye({k}, dtype=DTYPE)[{pick}].numpy()  "
                "# hard 0/1, as the app")
    if spec.scales_target:
        return ("        # the network predicts z-scored targets: back to the data's units\n"
                "        return z.numpy() * np.array(TARGET_STD) + np.array(TARGET_MEAN)")
    return "        return z.numpy()"


def _samples(metadata: Mapping[str, Any], spec: ExportSpec) -> tuple[list, list | None]:
    """The sample rows and the app's predictions, if the metadata has sound ones."""
    samples = metadata.get("samples")
    if not isinstance(samples, dict):
        return [], None
    rows, outputs = samples.get("inputs"), samples.get("predictions")
    try:
        rows_a = np.asarray(rows, dtype=np.float64)
        out_a = None if outputs is None else np.asarray(outputs, dtype=np.float64)
    except (TypeError, ValueError):
        raise WeightsError("metadata samples must hold lists of numbers") from None
    if rows_a.ndim != 2 or rows_a.shape[1] != spec.n_inputs or not np.isfinite(rows_a).all():
        raise WeightsError(f"metadata samples.inputs must be rows of {spec.n_inputs} finite "
                           "numbers")
    if out_a is not None and (out_a.ndim != 2 or out_a.shape[0] != rows_a.shape[0]):
        raise WeightsError("metadata samples.predictions must have one row per sample input")
    return rows_a.tolist(), None if out_a is None else out_a.tolist()


def script(state: Mapping[str, np.ndarray], metadata: Mapping[str, Any]) -> str:
    """The script's source."""
    spec = spec_from_metadata(state, metadata, "a .py export")
    pre = spec.preprocessing
    rows, app = _samples(metadata, spec)
    kind = ("probabilities of the classes" if pre.task == "classification"
            else "predictions of the targets")
    names = "CLASSES" if pre.task == "classification" else "TARGETS"
    steps = ", then ".join(
        [step for step, on in (("the FEATURES of the INPUTS", pre.feature_map),
                               ("(x - MEAN) / STD", pre.mean is not None)) if on]
        or ["used as they are"])
    head = ("TARGET_STD * z + TARGET_MEAN, the targets' standardization undone, so "
            "predictions are in the data's units" if spec.scales_target else HEADS[spec.loss])
    what = textwrap.fill(
        "predict() applies the run's preprocessing (feature map, standardization with the "
        "training split's statistics), runs the network in evaluation mode and returns the "
        f"{kind} ({names}); output activation: {head}.", 92)
    standardize = (f"MEAN = np.array({_numbers(list(pre.mean))})\n"
                   f"STD = np.array({_numbers(list(pre.std))})\n" if pre.mean is not None
                   else "# no standardization: the run had data.standardize false\n")
    return f'''"""A playground model as a standalone PyTorch script (needs torch and numpy).

Generated by playground {__version__} (the .py export) from the run config at the end of this
file. Run it to see predictions for a few training rows, or use it from Python:

    from model import predict      # this file saved as model.py
    predict(raw)                   # raw inputs (n, {spec.n_inputs}), columns as INPUTS

{what}
"""

import numpy as np
import torch
from torch import nn

INPUTS = {_literal(list(pre.inputs))}  # raw input columns
FEATURES = {_literal(list(pre.features))}  # model inputs, made from them
{standardize}CLASSES = {_literal(list(pre.classes))}  # class k is column k of predict()
TARGETS = {_literal(list(pre.targets))}  # regression outputs
{target_constants(spec)}
{torch_model_code(spec)}

def load_model() -> nn.Sequential:
    """build_model() with the exported weights, in evaluation mode."""
    model = build_model()
    state = {{key: torch.tensor(value, dtype=dtype) for key, (dtype, value) in WEIGHTS.items()}}
    model.load_state_dict(state, strict=True)
    return model.eval()


def preprocess(raw) -> torch.Tensor:
    """Raw inputs (n, {spec.n_inputs}) -> model inputs (n, {spec.n_features}), as the app
    prepares them: {steps}."""
{_preprocess_source(spec)}


def predict(raw) -> np.ndarray:
    """Raw inputs (n, {spec.n_inputs}) -> {kind} (n, {len(spec.output_names)})."""
    with torch.no_grad():
        z = MODEL(preprocess(raw))
{_predict_source(spec)}


# --- to train on in PyTorch with the run's settings (not used by predict) ----------------------

{torch_training_code(spec)}

# --- data: the weights, sample rows, the run config ---------------------------------------------

{_weights_source(state)}
#: the first training rows (raw) and the app's predictions for them
SAMPLE_INPUTS = {_literal(rows)}
APP_PREDICTIONS = {_literal(app)}
CONFIG = {_literal(metadata["config"], compact=True)}

MODEL = load_model()

if __name__ == "__main__":
    if not SAMPLE_INPUTS:
        print("this export holds no sample rows; call predict(raw) on your own data")
    else:
        out = predict(SAMPLE_INPUTS)
        print(f"{{', '.join(INPUTS)}} -> {kind}: {{', '.join({names})}}")
        for raw, row in zip(SAMPLE_INPUTS, out):
            print(" ".join(f"{{v:.6g}}" for v in raw), "->", " ".join(f"{{v:.8f}}" for v in row))
        if APP_PREDICTIONS is not None:
            diff = np.abs(out - np.array(APP_PREDICTIONS)).max()
            print(f"largest difference from the app's predictions: {{diff:.3g}}")
'''


def write(state: Mapping[str, np.ndarray], metadata: Mapping[str, Any]) -> bytes:
    return script(state, metadata).encode("utf-8")

"""``.weights.h5`` export: Keras 3 weights, for ``model.load_weights`` on the equivalent
``keras.Sequential`` (``codegen.keras_code`` writes it; ``keras_layers`` lists its layers).

The layout is what Keras 3's ``save_weights`` writes (``saving_lib.H5IOStore``)::

    vars                                   group, attrs name="sequential" (the model's own)
    layers/dense/vars/0, 1                 kernel (in, out) = weight.T, bias
    layers/batch_normalization/vars/0..3   gamma, beta, moving_mean, moving_variance
    layers/dropout/vars                    empty group: the layer has no variables
    layers/dense_1/vars/0, 1 ...

Keras finds each layer's variables by that path and checks only their count, so the empty
groups are optional; they are written anyway, so that the file has the groups and datasets
Keras's own ``save_weights`` writes (the ``name`` attributes here are the path names; Keras
writes each layer's process-unique name there and ignores it on load). Tensors keep the run's
dtype (Keras casts on load); ``num_batches_tracked`` has no Keras counterpart and is left out.
The run config and preprocessing are JSON strings in the root's attributes, which Keras
ignores.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import h5py
import numpy as np

from playground.errors import WeightsError
from playground.io.export_spec import spec_from_metadata
from playground.io.keras_layers import KerasLayer, keras_layers
from playground.io.metadata import encode_metadata, first_line

MODEL_NAME = "sequential"


def layer_variables(layer: KerasLayer, state: Mapping[str, np.ndarray]) -> list[np.ndarray]:
    """The layer's Keras variables, in Keras's order, from the torch-named state dict."""
    i = layer.torch_index
    if layer.kind == "dense":
        return [np.ascontiguousarray(state[f"{i}.weight"].T), state[f"{i}.bias"]]
    if layer.kind == "batchnorm":
        return [state[f"{i}.{name}"] for name in ("weight", "bias", "running_mean",
                                                   "running_var")]
    return []


def write(state: Mapping[str, np.ndarray], metadata: Mapping[str, Any]) -> bytes:
    spec = spec_from_metadata(state, metadata, "a .weights.h5 export")
    buffer = io.BytesIO()
    try:
        with h5py.File(buffer, "w") as f:
            for key, text in encode_metadata(
                    {k: v for k, v in metadata.items() if k in ("config", "preprocessing")}
            ).items():
                f.attrs[key] = text
            for layer in keras_layers(spec):
                group = f.create_group(f"layers/{layer.name}/vars")
                group.attrs["name"] = layer.name
                for n, array in enumerate(layer_variables(layer, state)):
                    group.create_dataset(str(n), data=array, track_times=False)
            f.create_group("vars").attrs["name"] = MODEL_NAME
    except (OSError, ValueError, TypeError) as exc:  # h5py's errors while building in memory
        raise WeightsError(f"cannot build the Keras weights file: {first_line(exc)}") from None
    return buffer.getvalue()

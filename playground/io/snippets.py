"""How to load each export, as short Python snippets keyed by extension.

The app's File > Export dialog shows the snippet of the chosen format, and docs/exports.md
shows the same text (a test checks that every snippet appears there verbatim), so the two
cannot drift apart. ``build_model()`` is the model code of the ``.py`` export or of
``codegen.pytorch_code``/``keras_code``.
"""

from __future__ import annotations

LOAD_SNIPPETS: dict[str, str] = {
    ".safetensors": '''\
import json
import safetensors.torch
from safetensors import safe_open

model = build_model()  # the torch.nn.Sequential of the run
model.load_state_dict(safetensors.torch.load_file("model.safetensors"))
with safe_open("model.safetensors", framework="pt") as f:
    pre = json.loads(f.metadata()["preprocessing"])  # features, mean/std, classes, target mean/std
''',
    ".npz": '''\
import json
import numpy as np

npz = np.load("model.npz", allow_pickle=False)
state = {k: npz[k] for k in npz.files if not k.startswith("__metadata__.")}
pre = json.loads(str(npz["__metadata__.preprocessing"]))  # features, mean/std, classes, target mean/std
# PyTorch: model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
''',
    ".json": '''\
import json
import numpy as np

with open("model.json", encoding="utf-8") as f:
    doc = json.load(f)
state = {k: np.array(t["data"], dtype=t["dtype"]).reshape(t["shape"])
         for k, t in doc["tensors"].items()}
pre = doc["metadata"]["preprocessing"]  # features, mean/std, classes, target mean/std
''',
    ".onnx": '''\
import numpy as np
import onnxruntime as ort

session = ort.InferenceSession("model.onnx")
raw = np.array([[0.5, -1.2]], dtype=np.float32)  # raw inputs (n, inputs), as in the data
out = session.run(None, {"input": raw})[0]  # probabilities (n, K) or prediction (n, T)
''',
    ".py": '''\
# in a shell: python model.py  (prints predictions for a few training rows)
from model import predict

out = predict([[0.5, -1.2]])  # raw inputs (n, inputs) -> probabilities or predictions
''',
    ".weights.h5": '''\
import keras

model = build_model()  # the keras.Sequential of the run (Keras 3, any backend)
model.load_weights("model.weights.h5")
logits = model.predict(x)  # x: model inputs (features after standardization)
''',
}

"""The metadata every export carries, built from a trainer (the CLI and the app share it).

``config``: the effective run config; ``preprocessing``: what turns raw inputs into model inputs
(``Dataset.preprocessing``); ``samples``: the first few raw training rows with the app's
predictions for them, a worked example that the ``.py`` export prints next to its own.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: how many raw training rows every export carries as a worked example
SAMPLE_ROWS = 5


def export_metadata(trainer) -> dict[str, Any]:
    """``{"config", "preprocessing", "samples"}`` of ``trainer``'s run, as JSON values.
    The sample predictions are None when not finite (JSON has no inf or NaN)."""
    ds = trainer.dataset
    with np.errstate(all="ignore"):
        predictions = trainer.predict(ds.x_train[:SAMPLE_ROWS])
    finite = bool(np.isfinite(predictions).all())
    return {"config": trainer.config.to_dict(), "preprocessing": ds.preprocessing(),
            "samples": {"inputs": ds.raw_train[:SAMPLE_ROWS].tolist(),
                        "predictions": predictions.astype(np.float64).tolist() if finite
                        else None}}

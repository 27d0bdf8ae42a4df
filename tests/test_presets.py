"""Every shipped preset loads and trains (a couple of epochs) without error."""

from __future__ import annotations

from pathlib import Path

import pytest

from playground import config
from playground.engine.trainer import Trainer

PRESETS = sorted((Path(__file__).resolve().parents[1] / "resources" / "presets").glob("*.json"))


def test_presets_exist():
    assert len(PRESETS) >= 2


@pytest.mark.parametrize("path", PRESETS, ids=[p.name for p in PRESETS])
def test_preset_trains(path):
    trainer = Trainer(config.load(path), base_dir=path.parent)
    first = trainer.evaluate().train_loss
    trainer.run_epochs(3)
    assert trainer.history[-1]["train_loss"] < first

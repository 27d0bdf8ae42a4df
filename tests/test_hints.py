"""Training hints: an oscillating loss and an unmet speed, measured on real runs."""

import numpy as np
import pytest

from playground.config import RunConfig
from playground.data.loader import load_dataset
from playground.engine import hints
from playground.engine.trainer import Trainer
from playground.ui.config_model import DEFAULT_CONFIG


def _losses(source, optimizer, lr, epochs=300):
    d = DEFAULT_CONFIG.to_dict()
    d["data"]["source"] = source
    d["train"].update(epochs=epochs, optimizer={"name": optimizer, "lr": lr})
    config = RunConfig.from_dict(d)
    trainer = Trainer(config, load_dataset(config.data, config.seed))
    trainer.run_epochs(epochs)
    return np.array([r["train_loss"] for r in trainer.history])


def test_spiral_at_rate_10_is_told_it_oscillates():
    losses = _losses("spiral", "sgd", 10.0)
    found = hints.oscillation(losses)
    assert found is not None
    tail = losses[-hints.WINDOW:]
    assert (found.low, found.high) == (tail.min(), tail.max())
    advice = found.advice(10.0)
    assert "too high" in advice and "Try 1." in advice


@pytest.mark.parametrize("source, optimizer, lr", [
    ("circle", "sgd", 0.03),   # converging smoothly
    ("xor", "sgd", 0.3),       # converged: tiny wiggles
    ("spiral", "adam", 0.03),  # noisy but learning
    ("spiral", "sgd", 0.03),   # slow, not oscillating
])
def test_healthy_runs_get_no_hint(source, optimizer, lr):
    assert hints.oscillation(_losses(source, optimizer, lr)) is None


@pytest.mark.parametrize("lr", [0.01, 0.03, 0.05])
def test_a_solved_spiral_with_adams_spikes_gets_no_hint_at_any_epoch(lr):
    """Adam on the spiral with every feature fits it (loss near 1e-4), with a spike now and
    then; relative to so small a median the swing looks wide, but the rate is fine."""
    cfg = RunConfig.from_dict({
        "format": 1, "seed": 1,
        "data": {"source": "spiral", "samples": 300, "noise": 0.1, "test_fraction": 0.3,
                 "features": ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]},
        "model": {"type": "mlp", "layers": [{"type": "dense", "units": 8, "activation": "tanh"},
                                            {"type": "dense", "units": 8, "activation": "tanh"}]},
        "train": {"epochs": 400, "batch_size": 16, "optimizer": {"name": "adam", "lr": lr}}})
    trainer = Trainer(cfg)
    trainer.run_epochs(400)
    losses = np.array([h["train_loss"] for h in trainer.history])
    assert losses[-1] < 0.05 * losses[0]                   # it did learn
    windows = [losses[n - hints.WINDOW:n] for n in range(hints.WINDOW, len(losses) + 1)]
    assert any((w.max() - w.min()) / np.median(w) >= hints.SWING for w in windows)  # spikes
    fired = [n for n in range(hints.WINDOW, len(losses) + 1)
             if hints.oscillation(losses[:n]) is not None]
    assert fired == []


def test_oscillation_needs_a_full_window_and_ignores_nan():
    zigzag = np.tile([1.0, 8.0], hints.WINDOW)
    assert hints.oscillation(zigzag[: hints.WINDOW - 1]) is None
    with_nan = np.concatenate([zigzag, [np.nan]])
    assert hints.oscillation(with_nan) is not None
    falling = zigzag * np.linspace(1, 0.1, zigzag.size)  # wide swings, but learning
    assert hints.oscillation(falling) is None


@pytest.mark.parametrize("lr, suggested", [(10, 1), (0.3, 0.03), (0.03, 0.003), (2.5, 0.25), (0.0123, 0.0012)])
def test_suggested_rate_is_a_tenth(lr, suggested):
    assert hints.suggested_rate(lr) == pytest.approx(suggested)


def test_speed_watch_waits_then_tells_once():
    watch = hints.SpeedWatch(share=0.7, seconds=3.0)
    assert watch.observe(100, 23, 0.0) is None
    assert watch.observe(100, 23, 2.9) is None
    message = watch.observe(100, 23, 3.1)
    assert "23 epochs/s" in message and "100 asked" in message and "43 ms" in message
    assert watch.observe(100, 23, 10.0) is None        # said once
    assert watch.observe(100, 95, 11.0) is None        # met again: re-armed
    assert watch.observe(100, 20, 12.0) is None
    assert watch.observe(100, 20, 15.5) is not None
    assert watch.observe(0, 20, 20.0) is None          # no limit asked: nothing to meet
    assert watch.observe(30, 25, 30.0) is None         # within the share


def test_blown_up_at_finds_where_the_last_non_finite_stretch_began():
    inf, nan = float("inf"), float("nan")
    history = [{"epoch": e, "batch_loss": v} for e, v in
               enumerate([0.7, nan, 0.6, 0.5, inf, nan, nan], start=1)]
    assert hints.blown_up_at(history) == 5
    assert hints.blown_up_at(history[:4]) is None
    assert hints.blown_up_at([]) is None

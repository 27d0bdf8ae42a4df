"""Initializers follow torch.nn.init's definitions (checked statistically on large draws)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from playground.engine.initializers import INITIALIZERS, init_bias, init_weight

FAN_OUT, FAN_IN = 300, 200
# (expected bound for uniform draws or None, expected variance)
EXPECTED = {
    "xavier_uniform": (math.sqrt(6 / (FAN_IN + FAN_OUT)), 2 / (FAN_IN + FAN_OUT)),
    "xavier_normal": (None, 2 / (FAN_IN + FAN_OUT)),
    "he_uniform": (math.sqrt(6 / FAN_IN), 2 / FAN_IN),
    "he_normal": (None, 2 / FAN_IN),
    "lecun_normal": (None, 1 / FAN_IN),
    "uniform": (0.5, 1 / 12),
    "zeros": (0.0, 0.0),
}


def test_every_initializer_is_checked():
    assert set(EXPECTED) == set(INITIALIZERS)


@pytest.mark.parametrize("name", INITIALIZERS)
def test_variance_and_bounds(name):
    w = init_weight(name, np.random.default_rng(0), FAN_OUT, FAN_IN)
    bound, var = EXPECTED[name]
    assert w.shape == (FAN_OUT, FAN_IN)
    # 60,000 draws: the sample variance is within ~1.2% (3 sigma of sqrt(2/n)) of the truth
    assert w.var() == pytest.approx(var, rel=0.02, abs=1e-12)
    assert abs(w.mean()) < 4 * math.sqrt(var / w.size) + 1e-12
    if bound:
        assert np.abs(w).max() <= bound
        assert np.abs(w).max() > 0.99 * bound


def test_biases():
    rng = np.random.default_rng(0)
    assert not init_bias("zeros", rng, 4).any()
    np.testing.assert_array_equal(init_bias(0.1, rng, 3), [0.1, 0.1, 0.1])
    b = init_bias("uniform", rng, 1000)
    assert b.min() >= -0.5 and b.max() < 0.5 and b.std() > 0.25

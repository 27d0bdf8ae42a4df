"""TensorFlow Playground's 2-D data sets (``src/dataset.ts``), vectorized, on an explicit generator.

Every generator takes ``(n_samples, noise, rng)`` and returns ``(x, y)``: ``x`` (n, 2) float64
points on the plane about [-6, 6]^2; ``y`` (n,) int64 classes 0/1 (TensorFlow Playground's
label -1 is class 0, +1 is class 1) or (n, 1) float64 regression targets.

``noise`` in [0, 1] is TensorFlow Playground's noise slider divided by 100 (its slider stops at
50 %; values above 0.5 extrapolate the same formulas). As in TensorFlow Playground, the
``circle``, ``xor``, ``plane`` and ``multigauss`` sets draw the *points* cleanly and compute the
*label* at a noisy copy of the point, so noise blurs the boundary, not the picture; ``gauss`` and
``spiral`` move the points. ``moons`` is scikit-learn's ``make_moons`` (noisy points), centred and
scaled by 3.5 onto the same plane.

Two-class sets give class 1 ``n - n // 2`` points and class 0 ``n // 2``, so every size is exact
(TensorFlow Playground rounds odd sizes up). The draws are, in order, those listed in each
docstring, then one ``rng.permutation(n)`` that shuffles the rows, as TensorFlow Playground shuffles
its points after generating them: batches are never sorted by class.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from playground.data.names import CLASSIFICATION_2D
from playground.data.raw_data import RawData

Generator = Callable[[int, float, np.random.Generator], tuple[np.ndarray, np.ndarray]]

INPUT_NAMES: tuple[str, ...] = ("x1", "x2")
CLASS_NAMES: tuple[str, ...] = ("0", "1")
TARGET_NAMES: tuple[str, ...] = ("y",)
MOONS_SCALE = 3.5
MOONS_CENTRE = (0.5, 0.25)


def _halves(n: int) -> tuple[int, int]:
    """(class 1 count, class 0 count): class 1 takes the odd point."""
    return n - n // 2, n // 2


def _shuffled(x: np.ndarray, y: np.ndarray,
              rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    perm = rng.permutation(x.shape[0])
    return np.ascontiguousarray(x[perm]), np.ascontiguousarray(y[perm])


def _ring(k: int, r_lo: float, r_hi: float, rng: np.random.Generator) -> np.ndarray:
    r = rng.uniform(r_lo, r_hi, k)
    angle = rng.uniform(0.0, 2.0 * np.pi, k)
    return np.column_stack([r * np.sin(angle), r * np.cos(angle)])


def circle(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """classifyCircleData: a disc of radius 2.5 (class 1) inside a ring 3.5 <= r < 5 (class 0).

    Points: r ~ U(0, 2.5) or U(3.5, 5), angle ~ U(0, 2 pi), (r sin a, r cos a). Label: class 1
    where |p + e| < 2.5 with e ~ U(-5, 5)^2 * noise. Draws: disc r, angle, e; ring r, angle, e.
    """
    k1, k0 = _halves(n_samples)
    parts = []
    for k, lo, hi in ((k1, 0.0, 2.5), (k0, 3.5, 5.0)):
        p = _ring(k, lo, hi, rng)
        e = rng.uniform(-5.0, 5.0, (k, 2)) * noise
        parts.append((p, np.hypot(*(p + e).T) < 2.5))
    x = np.concatenate([p for p, _ in parts])
    y = np.concatenate([inside for _, inside in parts]).astype(np.int64)
    return _shuffled(x, y, rng)


def xor(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """classifyXORData: class 1 where x1 * x2 >= 0 (quadrants I and III).

    Points: U(-5, 5)^2 pushed 0.3 away from each axis. Label at p + e, e ~ U(-5, 5)^2 * noise.
    Draws: points (n, 2), then e (n, 2).
    """
    p = rng.uniform(-5.0, 5.0, (n_samples, 2))
    p += np.where(p > 0, 0.3, -0.3)
    q = p + rng.uniform(-5.0, 5.0, (n_samples, 2)) * noise
    y = (q[:, 0] * q[:, 1] >= 0).astype(np.int64)
    return _shuffled(p, y, rng)


def gauss(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """classifyTwoGaussData: N((2, 2), v I) is class 1, N((-2, -2), v I) is class 0.

    v = 0.5 + 7 * noise (TensorFlow Playground maps noise 0..0.5 linearly to variance 0.5..4).
    Draws: class 1 points (k1, 2), then class 0 points (k0, 2).
    """
    k1, k0 = _halves(n_samples)
    sd = np.sqrt(0.5 + 7.0 * noise)
    x = np.concatenate([rng.normal(2.0, sd, (k1, 2)), rng.normal(-2.0, sd, (k0, 2))])
    y = np.concatenate([np.ones(k1, np.int64), np.zeros(k0, np.int64)])
    return _shuffled(x, y, rng)


def _spiral_arm(k: int, delta: float, noise: float, rng: np.random.Generator) -> np.ndarray:
    i = np.arange(k, dtype=np.float64)
    r = i / max(k, 1) * 5.0
    t = 1.75 * i / max(k, 1) * 2.0 * np.pi + delta
    p = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return p + rng.uniform(-1.0, 1.0, (k, 2)) * noise


def spiral(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """classifySpiralData: two interleaved arms of 1.75 turns out to radius 5.

    Point i of k on an arm: r = 5 i / k, t = 3.5 pi i / k + delta, (r sin t, r cos t) + e with
    e ~ U(-1, 1)^2 * noise; delta = 0 is class 1, delta = pi is class 0. Draws: e of class 1,
    then e of class 0.
    """
    k1, k0 = _halves(n_samples)
    x = np.concatenate([_spiral_arm(k1, 0.0, noise, rng), _spiral_arm(k0, np.pi, noise, rng)])
    y = np.concatenate([np.ones(k1, np.int64), np.zeros(k0, np.int64)])
    return _shuffled(x, y, rng)


def moons(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's make_moons, mapped by p -> 3.5 (p - (0.5, 0.25)) onto the +-6 plane.

    Class 0: (cos s, sin s) for n // 2 values s evenly in [0, pi]; class 1: (1 - cos s,
    0.5 - sin s) for the rest; then N(0, noise^2) per coordinate, before the scaling (as
    make_moons(noise=noise)). Draws: the noise (n, 2).
    """
    k1, k0 = _halves(n_samples)
    s0 = np.linspace(0.0, np.pi, k0)
    s1 = np.linspace(0.0, np.pi, k1)
    x = np.concatenate([np.column_stack([np.cos(s0), np.sin(s0)]),
                        np.column_stack([1.0 - np.cos(s1), 0.5 - np.sin(s1)])])
    x += rng.normal(0.0, noise, x.shape)
    x = MOONS_SCALE * (x - np.asarray(MOONS_CENTRE))
    y = np.concatenate([np.zeros(k0, np.int64), np.ones(k1, np.int64)])
    return _shuffled(x, y, rng)


def _uniform_plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points U(-6, 6)^2 and where their label is read: p + U(-6, 6)^2 * noise."""
    p = rng.uniform(-6.0, 6.0, (n, 2))
    return p, p + rng.uniform(-6.0, 6.0, (n, 2)) * noise


def plane(n_samples: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """regressPlane: y = (q1 + q2) / 10 at the noisy point q (about [-1.2, 1.2] without noise).

    Draws: points (n, 2), then the label noise (n, 2).
    """
    p, q = _uniform_plane(n_samples, noise, rng)
    return _shuffled(p, ((q[:, 0] + q[:, 1]) / 10.0)[:, None], rng)


# (cx, cy, sign) of regressGaussian's six bumps.
GAUSSIANS = np.array([[-4.0, 2.5, 1.0], [0.0, 2.5, -1.0], [4.0, 2.5, 1.0],
                      [-4.0, -2.5, -1.0], [0.0, -2.5, 1.0], [4.0, -2.5, -1.0]])


def multigauss_label(q: np.ndarray) -> np.ndarray:
    """regressGaussian's target at points q (n, 2) -> (n,): of the six signed cones
    sign * clip(1 - |q - c| / 2, 0, 1), the one largest in absolute value (first on ties)."""
    d = np.hypot(q[:, 0, None] - GAUSSIANS[:, 0], q[:, 1, None] - GAUSSIANS[:, 1])
    vals = GAUSSIANS[:, 2] * np.clip(1.0 - d / 2.0, 0.0, 1.0)
    pick = np.argmax(np.abs(vals), axis=1)
    return vals[np.arange(q.shape[0]), pick]


def multigauss(n_samples: int, noise: float,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """regressGaussian: six +-1 bumps of radius 2 on a 3 x 2 grid, read at the noisy point.

    Draws: points (n, 2), then the label noise (n, 2).
    """
    p, q = _uniform_plane(n_samples, noise, rng)
    return _shuffled(p, multigauss_label(q)[:, None], rng)


GENERATORS: dict[str, Generator] = {
    "circle": circle, "xor": xor, "gauss": gauss, "spiral": spiral, "moons": moons,
    "plane": plane, "multigauss": multigauss,
}


#: TensorFlow Playground's sample counts (NUM_SAMPLES_CLASSIFY, NUM_SAMPLES_REGRESS).
TF_SAMPLES = {"classification": 500, "regression": 1200}


def generator_task(name: str) -> str:
    return "classification" if name in CLASSIFICATION_2D else "regression"


def default_samples(name: str) -> int:
    """How many points TensorFlow Playground draws for generator ``name``: 500 to classify,
    1200 to regress (a surface needs more points to show its shape)."""
    return TF_SAMPLES[generator_task(name)]


def generate(name: str, n_samples: int, noise: float, rng: np.random.Generator) -> RawData:
    """One 2-D source as RawData with inputs ("x1", "x2")."""
    x, y = GENERATORS[name](n_samples, noise, rng)
    if generator_task(name) == "classification":
        return RawData(x, y, "classification", INPUT_NAMES, class_names=CLASS_NAMES)
    return RawData(x, y, "regression", INPUT_NAMES, target_names=TARGET_NAMES)

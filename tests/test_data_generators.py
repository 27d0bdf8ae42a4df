"""The 2-D generators: TensorFlow Playground's shapes, exact sizes, determinism, label semantics."""

import numpy as np
import pytest

from playground.data import generators as g
from playground.data.names import CLASSIFICATION_2D, GENERATORS_2D, REGRESSION_2D

ALL = list(g.GENERATORS)
CLASSIFIERS = list(CLASSIFICATION_2D)
REGRESSORS = list(REGRESSION_2D)
# Sets whose points do not depend on noise (it only moves the point where the label is read).
LABEL_NOISE = ["circle", "xor", "plane", "multigauss"]


def draw(name, n=400, noise=0.0, seed=0):
    return g.GENERATORS[name](n, noise, np.random.default_rng(seed))


def test_registry_matches_names():
    assert tuple(g.GENERATORS) == GENERATORS_2D
    for name in GENERATORS_2D:
        raw = g.generate(name, 10, 0.1, np.random.default_rng(0))
        assert raw.task == ("classification" if name in CLASSIFICATION_2D else "regression")
        assert raw.input_names == ("x1", "x2")


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("n", [2, 7, 50, 301])
def test_shapes_and_dtypes(name, n):
    x, y = draw(name, n, noise=0.2)
    assert x.shape == (n, 2) and x.dtype == np.float64
    assert np.isfinite(x).all()
    if name in CLASSIFIERS:
        assert y.shape == (n,) and y.dtype == np.int64
        assert set(np.unique(y)) <= {0, 1}
    else:
        assert y.shape == (n, 1) and y.dtype == np.float64
        assert np.isfinite(y).all()


@pytest.mark.parametrize("name", ALL)
def test_deterministic_per_generator_state(name):
    x1, y1 = draw(name, 200, 0.3, seed=5)
    x2, y2 = draw(name, 200, 0.3, seed=5)
    x3, _ = draw(name, 200, 0.3, seed=6)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(x1, x3)


@pytest.mark.parametrize("name, bound", [("circle", 5.0), ("xor", 5.3), ("spiral", 5.5),
                                         ("plane", 6.0), ("multigauss", 6.0)])
def test_uniform_sets_stay_on_the_plane(name, bound):
    # gauss and moons have Gaussian tails; the others are bounded by construction
    # (spiral: radius < 5 plus U(-1, 1) * 0.5 per coordinate).
    x, _ = draw(name, 1000, noise=0.5, seed=1)
    assert np.abs(x).max() <= bound


@pytest.mark.parametrize("name", ["circle", "gauss", "spiral", "moons"])
@pytest.mark.parametrize("n", [10, 11, 500])
def test_two_class_sets_are_balanced(name, n):
    _, y = draw(name, n, noise=0.0)
    assert np.count_nonzero(y == 1) == n - n // 2
    assert np.count_nonzero(y == 0) == n // 2


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_rows_are_shuffled_not_class_sorted(name):
    _, y = draw(name, 200, noise=0.0)
    assert np.count_nonzero(np.diff(y)) > 20


@pytest.mark.parametrize("name", LABEL_NOISE)
def test_noise_moves_labels_not_points(name):
    x0, y0 = draw(name, 500, 0.0, seed=3)
    x1, y1 = draw(name, 500, 0.5, seed=3)
    np.testing.assert_array_equal(x0, x1)
    assert not np.array_equal(y0, y1)


@pytest.mark.parametrize("seed", [0, 1])
def test_circle_without_noise_is_a_disc_inside_a_ring(seed):
    x, y = draw("circle", 600, 0.0, seed)
    r = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_array_equal(y, (r < 2.5).astype(np.int64))
    assert r[y == 1].max() < 2.5
    assert r[y == 0].min() >= 3.5 and r[y == 0].max() < 5.0


def test_circle_noise_flips_labels_near_the_boundary():
    x, y = draw("circle", 2000, 0.5, seed=2)
    r = np.hypot(x[:, 0], x[:, 1])
    assert np.any(y != (r < 2.5))


@pytest.mark.parametrize("seed", [0, 1])
def test_xor_without_noise_is_the_sign_of_the_product(seed):
    x, y = draw("xor", 600, 0.0, seed)
    np.testing.assert_array_equal(y, (x[:, 0] * x[:, 1] >= 0).astype(np.int64))
    assert np.abs(x).min() >= 0.3  # the padding away from both axes
    assert np.abs(x).max() <= 5.3


@pytest.mark.parametrize("noise", [0.0, 0.2, 0.5])
def test_gauss_means_and_variance(noise):
    x, y = draw("gauss", 20000, noise, seed=4)
    var = 0.5 + 7.0 * noise  # TF's linear scale: noise 0 -> variance 0.5, noise 0.5 -> 4
    np.testing.assert_allclose(x[y == 1].mean(axis=0), [2.0, 2.0], atol=0.1)
    np.testing.assert_allclose(x[y == 0].mean(axis=0), [-2.0, -2.0], atol=0.1)
    np.testing.assert_allclose(x[y == 1].var(axis=0), [var, var], rtol=0.06)


def test_spiral_without_noise_lies_on_its_arms():
    x, y = draw("spiral", 400, 0.0, seed=0)
    r = np.hypot(x[:, 0], x[:, 1])
    assert r.max() < 5.0
    # A point at radius r sits at angle t = 1.75 * 2 pi * r / 5 (+ pi for class 0): x = r sin t.
    t = 1.75 * 2.0 * np.pi * r / 5.0 + np.where(y == 1, 0.0, np.pi)
    np.testing.assert_allclose(x, np.column_stack([r * np.sin(t), r * np.cos(t)]), atol=1e-9)


def test_spiral_noise_is_uniform_and_bounded():
    clean, y = draw("spiral", 400, 0.0, seed=0)
    noisy, y2 = draw("spiral", 400, 0.3, seed=0)
    # Same seed: the same e ~ U(-1, 1)^2 draws and the same permutation, so rows pair up.
    np.testing.assert_array_equal(y, y2)
    d = noisy - clean
    assert np.abs(d).max() <= 0.3 and np.abs(d).max() > 0.2


def test_moons_without_noise_match_sklearn():
    from sklearn.datasets import make_moons
    n = 101
    x, y = draw("moons", n, 0.0)
    ref_x, ref_y = make_moons(n, shuffle=False, noise=0.0)
    ref_x = g.MOONS_SCALE * (ref_x - np.asarray(g.MOONS_CENTRE))
    for k in (0, 1):
        ours = x[y == k]
        theirs = ref_x[ref_y == k]
        ours = ours[np.lexsort(ours.T[::-1])]
        theirs = theirs[np.lexsort(theirs.T[::-1])]
        np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_moons_noise_is_gaussian_with_sd_noise_before_scaling():
    clean, y = draw("moons", 20000, 0.0, seed=1)
    noisy, y2 = draw("moons", 20000, 0.2, seed=1)
    # Same seed: the noise is drawn first, then the same permutation, so rows pair up.
    np.testing.assert_array_equal(y, y2)
    sd = ((noisy - clean) / g.MOONS_SCALE).std()
    assert abs(sd - 0.2) < 0.01


def test_plane_without_noise_is_the_scaled_sum():
    x, y = draw("plane", 500, 0.0)
    np.testing.assert_allclose(y[:, 0], (x[:, 0] + x[:, 1]) / 10.0)
    assert np.abs(x).max() <= 6.0


def test_plane_noise_is_bounded():
    x, y = draw("plane", 2000, 0.5)
    residual = y[:, 0] - (x[:, 0] + x[:, 1]) / 10.0
    # Label read at p + U(-6, 6)^2 * 0.5: at most (3 + 3) / 10 off.
    assert np.abs(residual).max() <= 0.6 and np.abs(residual).max() > 0.4


def test_multigauss_without_noise_is_its_label_function():
    x, y = draw("multigauss", 500, 0.0)
    np.testing.assert_allclose(y[:, 0], g.multigauss_label(x))
    assert y.min() >= -1.0 and y.max() <= 1.0
    assert y.min() < -0.5 and y.max() > 0.5


def test_multigauss_label_hand_worked():
    q = np.array([
        [-4.0, 2.5],   # on the +1 bump at (-4, 2.5): 1 - 0/2 = 1
        [0.0, 2.5],    # on the -1 bump: -1
        [-3.0, 2.5],   # 1 from (-4, 2.5): 1 - 1/2 = 0.5; 3 from (0, 2.5): clipped to 0
        [-3.5, 2.5],   # 0.5 from (-4, 2.5): 0.75
        [0.0, -1.5],   # 1 from the +1 bump (0, -2.5): 0.5; 4 from (0, 2.5): 0
        [0.0, 0.0],    # 2.5 from the nearest bumps: every cone is 0
        [-2.0, 2.5],   # exactly 2 from (-4, 2.5) and (0, 2.5): both 0
    ])
    np.testing.assert_allclose(g.multigauss_label(q), [1.0, -1.0, 0.5, 0.75, 0.5, 0.0, 0.0])

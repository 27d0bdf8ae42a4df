"""Input planes: axis and PCA planes, their round trips, the informative pair, the default."""

from __future__ import annotations

import re

import numpy as np
import pytest

from conftest import blobs, run_config
from playground.data import load_dataset
from playground.data.dataset import Dataset
from playground.data.plane import (
    Plane, axis_plane, default_plane, informative_pair, input_scores, pca_plane,
)


def _load(source: str, **data) -> Dataset:
    return load_dataset(run_config(source=source, data=data).data, 0)


@pytest.fixture(scope="module")
def iris():
    return _load("iris", test_fraction=0.2)


@pytest.fixture(scope="module")
def digits():
    return _load("digits", test_fraction=0.2)


def test_axis_plane_holds_the_other_inputs_at_the_training_mean(iris):
    plane = axis_plane(iris, 2, 0)
    assert plane.kind == "axis" and plane.inputs == (2, 0)
    assert plane.labels == (iris.input_names[2], iris.input_names[0])
    u, v = np.array([1.0, 2.5, -3.0]), np.array([4.0, 0.5, 7.0])
    raw = plane.to_raw(u, v)
    mean = iris.raw_train.mean(axis=0)
    assert raw.shape == (3, 4)
    np.testing.assert_array_equal(raw[:, 2], u)
    np.testing.assert_array_equal(raw[:, 0], v)
    np.testing.assert_array_equal(raw[:, [1, 3]], np.broadcast_to(mean[[1, 3]], (3, 2)))
    np.testing.assert_array_equal(plane.project(raw), np.stack([u, v], axis=1))
    np.testing.assert_array_equal(plane.project(iris.raw_test), iris.raw_test[:, [2, 0]])


def test_axis_plane_of_one_input_follows_v():
    data = Dataset.from_arrays(np.arange(6.0).reshape(-1, 1), [0, 1, 0, 1, 0, 1])
    plane = default_plane(data)
    assert plane.inputs == (0, 0)
    np.testing.assert_array_equal(plane.to_raw([1.0, 2.0], [5.0, 6.0]), [[5.0], [6.0]])
    with pytest.raises(ValueError, match="out of range"):
        axis_plane(data, 0, 1)


@pytest.mark.parametrize("source", ["iris", "digits", "breast_cancer", "wine", "diabetes"])
def test_pca_plane_round_trips_and_matches_sklearn(source):
    from sklearn.decomposition import PCA
    ds = _load(source, test_fraction=0.2)
    plane = pca_plane(ds)
    rng = np.random.default_rng(0)
    u, v = rng.normal(scale=3, size=50), rng.normal(scale=3, size=50)
    np.testing.assert_allclose(plane.project(plane.to_raw(u, v)), np.stack([u, v], 1),
                               rtol=1e-9, atol=1e-9)
    mean = ds.raw_train.mean(axis=0)
    std = ds.raw_train.std(axis=0)
    std[std == 0] = 1
    np.testing.assert_allclose(plane.center, mean)
    np.testing.assert_allclose(plane.scale, std)
    pcs = np.array(plane.components)
    np.testing.assert_allclose(pcs @ pcs.T, np.eye(2), atol=1e-12)
    for pc in pcs:  # the sign convention: the largest-|loading| entry is positive
        assert pc[np.argmax(np.abs(pc))] > 0
    ref = PCA(n_components=2, svd_solver="full").fit((ds.raw_train - mean) / std)
    signs = np.sign(np.sum(ref.components_ * pcs, axis=1))
    np.testing.assert_allclose(pcs, ref.components_ * signs[:, None], atol=1e-8)
    np.testing.assert_allclose(plane.explained, ref.explained_variance_ratio_, rtol=1e-9)
    first, second = plane.labels
    assert re.fullmatch(r"PC1 \(\d+%\)", first)
    assert re.fullmatch(r"PC2 \(\d+%\)", second)
    assert first == f"PC1 ({100 * plane.explained[0]:.0f}%)"


def test_pca_plane_of_digits_is_not_degenerate(digits):
    constant = np.ptp(digits.raw_train, axis=0) == 0
    assert constant.any()  # digits' border pixels never light up
    plane = pca_plane(digits)
    uv = plane.project(digits.raw_train)
    assert np.isfinite(uv).all()
    assert uv.std(axis=0).min() > 1.0  # both axes spread the rows
    assert plane.explained[0] >= plane.explained[1] > 0.05
    assert abs(np.corrcoef(uv.T)[0, 1]) < 1e-9  # principal components are uncorrelated
    np.testing.assert_array_equal(np.array(plane.components)[:, constant], 0)


def test_pca_plane_of_iris_separates_setosa(iris):
    plane = pca_plane(iris)
    raw = np.concatenate([iris.raw_train, iris.raw_test])
    y = np.concatenate([iris.y_train, iris.y_test])
    u = plane.project(raw)[:, 0]
    setosa = iris.class_names.index("setosa")
    gap = max(u[y != setosa].min() - u[y == setosa].max(),
              u[y == setosa].min() - u[y != setosa].max())
    assert gap > 0.5


def test_planes_are_deterministic_values(iris):
    again = _load("iris", test_fraction=0.2)
    assert pca_plane(iris) == pca_plane(again)
    assert hash(pca_plane(iris)) == hash(pca_plane(again))
    assert axis_plane(iris, 0, 1) == axis_plane(again, 0, 1) != axis_plane(iris, 1, 0)
    assert {pca_plane(iris): 1}[pca_plane(again)] == 1
    with pytest.raises(ValueError, match="plane kind"):
        Plane("polar", ("a", "b"), (0.0,), (1.0,), ((1.0,), (0.0,)))


def test_informative_pair_of_digits_skips_constant_pixels(digits):
    from sklearn.feature_selection import f_classif
    i, j = informative_pair(digits)
    varying = np.ptp(digits.raw_train, axis=0) > 0
    assert i != j and varying[i] and varying[j]
    scores = input_scores(digits)
    assert np.isneginf(scores[~varying]).all()
    f = f_classif(digits.raw_train[:, varying], digits.y_train)[0]
    best = np.flatnonzero(varying)[np.argsort(-f, kind="stable")[:2]]
    assert (i, j) == tuple(best)
    assert informative_pair(digits) == (i, j)


def test_informative_pair_breaks_ties_by_index_and_skips_constants():
    rng = np.random.default_rng(3)
    y = np.repeat([0, 1], 20)
    signal = y + 0.3 * rng.normal(size=40)
    x = np.stack([np.full(40, 2.0), rng.normal(size=40), signal, signal, signal], axis=1)
    assert informative_pair(Dataset.from_arrays(x, y)) == (2, 3)  # 0 is constant
    nothing = Dataset.from_arrays(np.ones((10, 3)), [0, 1] * 5)
    assert informative_pair(nothing) == (0, 1)


def test_informative_pair_for_regression_follows_the_correlation():
    diabetes = _load("diabetes", test_fraction=0.2)
    corr = [abs(np.corrcoef(col, diabetes.y_train[:, 0])[0, 1]) for col in diabetes.raw_train.T]
    i, j = informative_pair(diabetes)
    assert (i, j) == tuple(np.argsort(corr)[::-1][:2])
    np.testing.assert_allclose(input_scores(diabetes), corr, rtol=1e-10)
    flat = blobs(n=20, f=3, task="regression")
    flat = Dataset.from_arrays(flat.x_train, np.zeros((20, 1)), task="regression")
    assert informative_pair(flat) == (0, 1)  # a constant target scores nothing


def test_default_plane_is_the_axis_plane_in_2d_and_pca_for_tables(iris):
    circle = _load("circle", samples=60, features=["x1", "x2", "x1^2"])
    plane = default_plane(circle)
    assert plane == axis_plane(circle, 0, 1) and plane.labels == ("x1", "x2")
    assert default_plane(iris) == pca_plane(iris)


def test_extent_pads_the_projected_range(iris):
    plane = pca_plane(iris)
    uv = plane.project(iris.raw_train)
    u0, u1, v0, v1 = plane.extent(iris.raw_train)
    width = uv[:, 0].max() - uv[:, 0].min()
    assert u0 == pytest.approx(uv[:, 0].min() - 0.05 * width)
    assert u1 == pytest.approx(uv[:, 0].max() + 0.05 * width)
    assert v0 < uv[:, 1].min() and v1 > uv[:, 1].max()


@pytest.mark.parametrize("standardize", [False, True])
@pytest.mark.parametrize("pair", [(0, 12), (9, 6)])
def test_predict_grid_on_a_table_holds_the_other_inputs_at_their_training_mean(standardize,
                                                                               pair):
    """The regions over two inputs of wine (13) are the model's predictions at rows built by
    hand: those two inputs from the grid, each of the other eleven at its raw mean over the
    training split. Both with and without standardization: with it, other inputs held at
    model input 0 would coincide with their mean and go unnoticed; without it, 0 is far from
    the mean (proline ~ 750)."""
    from playground.engine.trainer import Trainer
    t = Trainer(run_config([{"type": "dense", "units": 6, "activation": "tanh"}],
                           source="wine", data={"test_fraction": 0.25,
                                                "standardize": standardize},
                           dtype="float64", seed=3))
    ds, (i, j), r = t.dataset, pair, 7
    # hidden weights scaled to each model input's spread and centred on its mean, so no
    # tanh saturates on raw wine (proline ~ 750) and every input moves the prediction
    rng = np.random.default_rng(5)
    state = t.state_dict()
    w = rng.normal(size=state["0.weight"].shape) / (ds.x_train.std(axis=0) * np.sqrt(13))
    state["0.weight"], state["0.bias"] = w, -w @ ds.x_train.mean(axis=0)
    state["2.weight"] = 3 * rng.normal(size=state["2.weight"].shape)
    t.load_state_dict(state)
    us, vs, out = t.predict_grid(r, pair)
    held = ds.raw_train.mean(axis=0)                 # the training split's, not all rows'
    gu, gv = np.meshgrid(us, vs)                     # out[b, a] is at (us[a], vs[b])
    raw = np.tile(held, (r * r, 1))
    raw[:, i], raw[:, j] = gu.ravel(), gv.ravel()
    x = (raw - ds.mean) / ds.std if standardize else raw   # wine: no feature map
    expected = t.predict(x).reshape(r, r, -1)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
    # one cell spelled out: row 5, column 2 of the grid
    row = held.copy()
    row[i], row[j] = us[2], vs[5]
    x1 = (row - ds.mean) / ds.std if standardize else row
    np.testing.assert_allclose(out[5, 2], t.predict(x1[None, :])[0], rtol=1e-10, atol=1e-12)
    # the test can tell: the others held at raw 0 predict otherwise (unstandardized, raw 0
    # is also model input 0), and the regions are not flat
    zero = np.zeros_like(raw)
    zero[:, i], zero[:, j] = gu.ravel(), gv.ravel()
    x0 = (zero - ds.mean) / ds.std if standardize else zero
    assert np.abs(t.predict(x0).reshape(r, r, -1) - expected).max() > 0.05
    assert np.ptp(expected[..., 0]) > 0.05

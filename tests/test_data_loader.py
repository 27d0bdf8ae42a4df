"""load_dataset and its parts: split, feature map, standardization, tabular sets, task checks."""

import subprocess
import sys

import numpy as np
import pytest

from playground import rng as streams
from playground.config import DataConfig
from playground.data import load_dataset
from playground.data.features import feature_map
from playground.data.generators import GENERATORS
from playground.data.loader import load_raw
from playground.data.names import FEATURES_2D, GENERATORS_2D, SKLEARN_SETS
from playground.data.preprocessing import fit_standardize, n_test_rows, split
from playground.data.tabular import load_tabular
from playground.errors import DataError

ARRAYS = ["x_train", "y_train", "x_test", "y_test", "raw_train", "raw_test"]


@pytest.fixture
def csv_path(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 3))
    label = np.where(x[:, 0] > 0, "yes", "no")
    lines = ["u,v,w,label"] + [f"{a!r},{b!r},{c!r},{t}" for (a, b, c), t in zip(x.tolist(), label)]
    path = tmp_path / "points.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# split

@pytest.mark.parametrize("n, fraction", [(10, 0.2), (101, 0.3), (500, 0.5), (7, 0.9), (3, 0.1)])
def test_split_sizes_disjoint_sorted(n, fraction):
    train, test = split(n, fraction, np.random.default_rng(1))
    assert len(test) == round(n * fraction) and len(train) == n - len(test)
    assert np.intersect1d(train, test).size == 0
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(n))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)
    assert train.dtype == np.int64 and test.dtype == np.int64


def test_split_is_the_documented_permutation():
    n, fraction = 50, 0.3
    perm = np.random.default_rng(7).permutation(n)
    train, test = split(n, fraction, np.random.default_rng(7))
    np.testing.assert_array_equal(test, np.sort(perm[:15]))
    np.testing.assert_array_equal(train, np.sort(perm[15:]))


def test_split_rounds_half_to_even():
    assert n_test_rows(5, 0.5) == 2   # round(2.5) = 2
    assert n_test_rows(7, 0.5) == 4   # round(3.5) = 4


def test_split_zero_draws_nothing():
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    train, test = split(20, 0.0, rng)
    assert rng.bit_generator.state == before
    np.testing.assert_array_equal(train, np.arange(20))
    assert test.shape == (0,)


def test_split_needs_a_training_row():
    with pytest.raises(DataError, match="no training rows"):
        split(2, 0.9, np.random.default_rng(0))  # round(1.8) = 2 test rows of 2


# --------------------------------------------------------------------------------------------
# standardization and features

def test_fit_standardize_matches_standard_scaler():
    from sklearn.preprocessing import StandardScaler
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(40, 3))
    x[:, 1] = 5.0  # a constant column: std 0 becomes 1
    mean, std = fit_standardize(x)
    scaler = StandardScaler().fit(x)
    np.testing.assert_allclose(mean, scaler.mean_)
    np.testing.assert_allclose(std, scaler.scale_)
    assert std[1] == 1.0
    np.testing.assert_allclose((x - mean) / std, scaler.transform(x))


def test_feature_map_formulas():
    raw = np.array([[0.5, -2.0], [3.0, 1.0]])
    out = feature_map(raw, ("x1", "x2"), FEATURES_2D)
    x1, x2 = raw.T
    expected = np.column_stack([x1, x2, x1 ** 2, x2 ** 2, x1 * x2, np.sin(x1), np.sin(x2)])
    np.testing.assert_allclose(out, expected)
    # Any subset, in the order asked.
    np.testing.assert_allclose(feature_map(raw, ("x1", "x2"), ("sin(x2)", "x1")),
                               expected[:, [6, 0]])


def test_feature_map_identity_is_a_copy():
    raw = np.arange(6.0).reshape(2, 3)
    out = feature_map(raw, ("a", "b", "c"), ("a", "b", "c"))
    np.testing.assert_array_equal(out, raw)
    assert not np.shares_memory(out, raw)


@pytest.mark.parametrize("inputs, features, fragment", [
    (("a", "b"), ("x1^2",), "2-D inputs"),
    (("x1", "x2"), ("x3",), "unknown feature"),
])
def test_feature_map_errors(inputs, features, fragment):
    with pytest.raises(DataError, match=fragment):
        feature_map(np.zeros((3, 2)), inputs, features)


# --------------------------------------------------------------------------------------------
# load_dataset

@pytest.mark.parametrize("source", list(GENERATORS_2D) + ["iris", "csv"])
def test_same_config_and_seed_give_identical_arrays(source, csv_path):
    cfg = DataConfig(source, samples=120, noise=0.2, test_fraction=0.25,
                     path=str(csv_path) if source == "csv" else None)
    a, b, c = load_dataset(cfg, 4), load_dataset(cfg, 4), load_dataset(cfg, 5)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.mean, b.mean)
    assert not np.array_equal(a.raw_train, c.raw_train)


@pytest.mark.parametrize("source", GENERATORS_2D)
def test_generators_use_the_data_stream_and_split_the_split_stream(source):
    cfg = DataConfig(source, samples=90, noise=0.1, test_fraction=0.3, standardize=False)
    ds = load_dataset(cfg, 11)
    x, y = GENERATORS[source](90, 0.1, streams.stream(11, "data"))
    train, test = split(90, 0.3, streams.stream(11, "split"))
    np.testing.assert_array_equal(ds.raw_train, x[train])
    np.testing.assert_array_equal(ds.raw_test, x[test])
    np.testing.assert_array_equal(ds.y_train, y[train])
    np.testing.assert_array_equal(ds.y_test, y[test])


@pytest.mark.parametrize("source, n, fraction", [("spiral", 101, 0.3), ("plane", 64, 0.0),
                                                 ("xor", 500, 0.9)])
def test_shapes(source, n, fraction):
    ds = load_dataset(DataConfig(source, samples=n, test_fraction=fraction), 0)
    n_test = round(n * fraction)
    assert ds.x_train.shape == (n - n_test, 2) and ds.x_test.shape == (n_test, 2)
    assert ds.raw_train.shape == (n - n_test, 2) and ds.raw_test.shape == (n_test, 2)
    assert ds.has_test == (n_test > 0)
    assert ds.input_names == ("x1", "x2") and ds.feature_names == ("x1", "x2")
    if ds.task == "classification":
        assert ds.y_train.shape == (n - n_test,) and ds.class_names == ("0", "1")
    else:
        assert ds.y_train.shape == (n - n_test, 1) and ds.target_names == ("y",)
        assert ds.y_test.shape == (n_test, 1)


@pytest.mark.parametrize("features", [("x1", "x2"), FEATURES_2D, ("x1*x2", "sin(x1)")])
def test_standardize_uses_training_statistics_only(features):
    cfg = DataConfig("circle", samples=300, noise=0.1, test_fraction=0.4, features=features)
    ds = load_dataset(cfg, 2)
    f_train = feature_map(ds.raw_train, ds.input_names, features)
    f_test = feature_map(ds.raw_test, ds.input_names, features)
    assert ds.feature_names == features
    np.testing.assert_allclose(ds.mean, f_train.mean(axis=0))
    np.testing.assert_allclose(ds.std, f_train.std(axis=0))
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(ds.x_train.std(axis=0), 1.0)
    np.testing.assert_allclose(ds.x_test, (f_test - ds.mean) / ds.std)
    assert np.abs(ds.x_test.mean(axis=0)).max() > 1e-6  # not refitted on the test rows
    np.testing.assert_allclose(ds.preprocess(ds.raw_test), ds.x_test)


def test_without_standardize_inputs_are_the_features():
    cfg = DataConfig("gauss", samples=50, features=("x1", "x2^2"), standardize=False)
    ds = load_dataset(cfg, 0)
    assert ds.mean is None and ds.std is None
    np.testing.assert_array_equal(ds.x_train[:, 0], ds.raw_train[:, 0])
    np.testing.assert_array_equal(ds.x_train[:, 1], ds.raw_train[:, 1] ** 2)
    assert ds.preprocessing()["standardize"] is None


@pytest.mark.parametrize("name", SKLEARN_SETS)
def test_tabular_sets_follow_sklearn(name):
    from sklearn import datasets
    bunch = getattr(datasets, f"load_{name}")()
    raw = load_tabular(name)
    np.testing.assert_array_equal(raw.x, bunch.data)
    assert raw.input_names == tuple(str(f) for f in bunch.feature_names)
    if name == "diabetes":
        assert raw.task == "regression" and raw.target_names == ("target",)
        np.testing.assert_array_equal(raw.y[:, 0], bunch.target)
    else:
        assert raw.task == "classification"
        assert raw.class_names == tuple(str(c) for c in bunch.target_names)
        np.testing.assert_array_equal(raw.y, bunch.target)


def test_digits_names():
    raw = load_tabular("digits")
    assert raw.class_names == tuple(str(d) for d in range(10))
    assert raw.input_names[0] == "pixel_0_0" and len(raw.input_names) == 64


def test_tabular_dataset_features_are_its_inputs():
    ds = load_dataset(DataConfig("wine", test_fraction=0.3), 0)
    assert ds.feature_names == ds.input_names and ds.n_features == 13
    assert ds.n_classes == 3
    assert ds.x_train.shape[0] + ds.x_test.shape[0] == 178


def test_csv_dataset_with_relative_path(csv_path):
    cfg = DataConfig("csv", path=csv_path.name, target="label", test_fraction=0.25)
    ds = load_dataset(cfg, 0, base_dir=csv_path.parent)
    assert ds.task == "classification" and ds.class_names == ("no", "yes")
    assert ds.input_names == ("u", "v", "w") and ds.feature_names == ("u", "v", "w")
    # Class 1 ("yes") is where the first raw input is positive.
    np.testing.assert_array_equal(ds.y_train, (ds.raw_train[:, 0] > 0).astype(np.int64))


@pytest.mark.parametrize("source, task", [("spiral", "regression"), ("plane", "classification"),
                                          ("iris", "regression"), ("diabetes", "classification")])
def test_task_contradicting_the_source(source, task):
    with pytest.raises(DataError, match=f"data.task is {task} but source {source}"):
        load_dataset(DataConfig(source, task=task), 0)


def test_task_matching_the_source_is_fine():
    assert load_raw(DataConfig("moons", task="classification"), 0).task == "classification"


def test_single_class_training_split():
    # 2 samples, one per class, half to the test set: training holds one class.
    with pytest.raises(DataError, match="single class"):
        load_dataset(DataConfig("spiral", samples=2, test_fraction=0.5), 0)


def test_data_layer_never_imports_qt():
    code = ("import sys, playground.data, playground.data.loader, playground.data.tabular, "
            "playground.data.csv_source, playground.data.generators\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', "
            "'shiboken6')]\n"
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)

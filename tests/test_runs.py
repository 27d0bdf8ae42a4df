"""`playground.runs`: the debiased EMA against a direct loop, config differences and one-key
duplicates, and a run's record (its curves are the history's, bounded however long the run)."""

from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pytest

from playground.config import RunConfig
from playground.engine.trainer import Trainer
from playground.errors import ConfigError
from playground.runs.compare import (differences, duplicate_with, editable_dict, get_key,
                                     parse_path, set_key)
from playground.runs.record import RunRecord, best_of, curve_arrays, downsample
from playground.runs.smoothing import ema

from conftest import run_config

# --- smoothing -------------------------------------------------------------------------------


def ema_loop(values, beta):
    """TensorBoard's smoothing, written out: s = beta s + (1 - beta) x over the finite
    values, each divided by 1 - beta^t (t counting the finite values so far)."""
    out, s, t = [], 0.0, 0
    for x in values:
        if not math.isfinite(x):
            out.append(x)
            continue
        t += 1
        s = beta * s + (1 - beta) * x
        out.append(s / (1 - beta ** t))
    return np.array(out)


def test_ema_hand_worked():
    # beta 0.5 on [1, 2]: s1 = 0.5, / (1 - 0.5) = 1; s2 = 0.25 + 1 = 1.25, / 0.75 = 5/3
    np.testing.assert_allclose(ema([1.0, 2.0], 0.5), [1.0, 5 / 3], rtol=1e-15)


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.9, 0.99, 0.999])
@pytest.mark.parametrize("seed", [0, 1])
def test_ema_equals_the_direct_loop_skipping_nan(beta, seed):
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(size=3000)) + 50
    x[rng.choice(x.size, 200, replace=False)] = np.nan
    x[7] = np.inf
    got = ema(x, beta)
    want = ema_loop(x, beta)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    assert got[7] == np.inf
    finite = np.isfinite(want)
    np.testing.assert_allclose(got[finite], want[finite], rtol=1e-12)
    assert got[np.isfinite(x)][0] == pytest.approx(x[np.isfinite(x)][0], rel=1e-15)  # x_1


def test_ema_columns_and_bad_weights():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 3))
    x[::7, 1] = np.nan
    got = ema(x, 0.8)
    for j in range(3):
        np.testing.assert_allclose(got[:, j], ema_loop(x[:, j], 0.8), rtol=1e-12)
    assert np.isnan(ema([np.nan, np.nan], 0.5)).all() and ema([], 0.5).size == 0
    for beta in (1.0, -0.1, 2):
        with pytest.raises(ValueError):
            ema([1.0], beta)


# --- compare -----------------------------------------------------------------------------------

BASE = {"format": 1, "seed": 0, "data": {"source": "moons", "samples": 40},
        "model": {"type": "mlp", "layers": [{"type": "dense", "units": 4,
                                             "activation": "tanh"},
                                            {"type": "dense", "units": 3,
                                             "activation": "relu"}]},
        "train": {"epochs": 2, "optimizer": {"name": "adam", "lr": 0.01}}}


def test_differences_names_lr_and_one_layers_units():
    a = RunConfig.from_dict(BASE)
    b = duplicate_with(a, "train.optimizer.lr", 0.1)
    c = duplicate_with(b, "model.layers[1].units", 8)
    assert differences([a, b, c]) == {"model.layers[1].units": (3, 3, 8),
                                      "train.optimizer.lr": (0.01, 0.1, 0.1)}
    assert differences([a, a]) == {} and differences([a]) == {}
    assert c.model.layers[1].units == 8 and c.model.layers[0].units == 4
    assert c.train.optimizer.lr == 0.1 and a.train.optimizer.lr == 0.01


def test_differences_with_layers_and_options_only_some_have():
    a = RunConfig.from_dict(BASE)
    b = RunConfig.from_dict({**BASE, "model": {"type": "mlp", "layers": [
        {"type": "dense", "units": 4, "activation": "tanh"}]},
        "train": {"epochs": 2, "optimizer": {"name": "sgd", "lr": 0.01, "momentum": 0.9}}})
    d = differences([a, b])
    assert d["model.layers[1].units"] == (3, None)
    assert d["train.optimizer.name"] == ("adam", "sgd")
    assert d["train.optimizer.momentum"] == (None, 0.9)
    assert d["train.optimizer.betas"] == ((0.9, 0.999), None)   # a list of values is one
    assert "model.layers[0].units" not in d and "train.optimizer.lr" not in d


def test_config_differences_are_those_of_the_editable_dicts_each_flattened_once(monkeypatch):
    """The Runs view's path: untouched optimizer defaults are no difference, as through
    ``editable_dict``; a config met again is not flattened again."""
    from playground.runs import compare
    a = RunConfig.from_dict(BASE)
    b = duplicate_with(a, "train.optimizer.lr", 0.1)
    c = RunConfig.from_dict({**BASE, "train": {"epochs": 2, "optimizer": {
        "name": "sgd", "lr": 0.01, "momentum": 0.9}}})
    for configs in ([a, b], [a, b, c], [c, a], [a, a]):
        assert compare.config_differences(configs) == differences(
            [editable_dict(x) for x in configs])
    assert "train.optimizer.betas" not in compare.config_differences([a, b])
    flattened = []
    real = compare.flatten
    monkeypatch.setattr(compare, "flatten", lambda *args: (flattened.append(1),
                                                           real(*args))[1])
    compare.config_differences([a, b, c])
    assert flattened == []
    d = duplicate_with(a, "train.optimizer.lr", 0.5)
    assert compare.config_differences([a, d])["train.optimizer.lr"] == (0.01, 0.5)
    assert flattened                          # the new config, once


def test_key_paths_are_the_error_messages_paths():
    assert parse_path("model.layers[0].units") == ["model", "layers", 0, "units"]
    assert parse_path("train.optimizer.lr") == ["train", "optimizer", "lr"]
    for bad in ("", "a..b", "layers[x]", ".lr", "lr.", "a[0", "a b", "a[-1]"):
        with pytest.raises(ConfigError, match="not a config key path"):
            parse_path(bad)
    obj = RunConfig.from_dict(BASE).to_dict()
    assert get_key(obj, "model.layers[1].units") == 3
    assert get_key(obj, "model.layers[5].units", "absent") == "absent"


def test_set_key_copies_and_refuses_missing_paths():
    obj = RunConfig.from_dict(BASE).to_dict()
    new = set_key(obj, "model.layers[0].units", 9)
    assert new["model"]["layers"][0]["units"] == 9 and obj["model"]["layers"][0]["units"] == 4
    with pytest.raises(ConfigError, match=r"model.layers\[2\].units does not exist: "
                                          "model.layers has 2 entries"):
        set_key(obj, "model.layers[2].units", 1)
    with pytest.raises(ConfigError, match="train.epochs is a value, not an object"):
        set_key(obj, "train.epochs.x", 1)
    with pytest.raises(ConfigError, match="model is not a list"):
        set_key(obj, "model[0]", 1)


@pytest.mark.parametrize("path,value,message", [
    ("train.optimizer.lr", -1, "train.optimizer.lr must be > 0, got -1"),
    ("train.optimizer.lrr", 0.1, "train.optimizer.lrr is not an option of adam"),
    ("model.layers[0].units", 0, r"model.layers\[0\].units must be >= 1, got 0"),
    ("model.layers[0].activation", "nope", r"model.layers\[0\].activation must be one of"),
    ("trian.epochs", 3, "trian is not a known key"),
    ("train.epochs", "3", "train.epochs must be an integer"),
])
def test_duplicate_with_a_bad_key_or_value_names_the_path(path, value, message):
    with pytest.raises(ConfigError, match=message):
        duplicate_with(RunConfig.from_dict(BASE), path, value)


def test_changing_the_optimizer_gives_it_its_own_defaults():
    a = RunConfig.from_dict(BASE)
    assert editable_dict(a)["train"]["optimizer"] == {"name": "adam", "lr": 0.01}
    b = duplicate_with(a, "train.optimizer.name", "adamw")
    assert b.train.optimizer.option("weight_decay") == 0.01   # adamw's own default
    assert b.train.optimizer.lr == 0.01                        # the lr is kept
    sgd = duplicate_with(a, "train.optimizer.name", "sgd")
    assert sgd.train.optimizer.option("momentum") == 0.0


# --- the record ------------------------------------------------------------------------------

def trained(epochs, **train):
    cfg = run_config([{"type": "dense", "units": 4, "activation": "tanh"}],
                     data={"samples": 40, "test_fraction": 0.25}, epochs=epochs,
                     batch_size=0, **train)
    t = Trainer(cfg)
    t.run_epochs(epochs)
    return t


def test_record_holds_the_history_and_scores():
    t = trained(30, optimizer={"name": "adam", "lr": 0.05})
    r = RunRecord.of(t, name="a", wall_time=1.5)
    history = list(t.history)
    np.testing.assert_array_equal(r.curves["epoch"], np.arange(1, 31))
    for key in ("lr", "batch_loss", "train_loss", "test_loss", "train_accuracy",
                "test_accuracy"):
        np.testing.assert_array_equal(r.curves[key], [h[key] for h in history])
    assert np.isnan(r.curves["train_r2"]).all() and np.isnan(r.curves["mistakes"]).all()
    assert r.final == t.evaluate() and r.epochs == 30 and r.seed == 0 and r.stride == 1
    assert r.best.test_loss == min(h["test_loss"] for h in history)
    assert r.best.train_accuracy == max(h["train_accuracy"] for h in history)
    assert r.best.train_r2 is None and r.name == "a" and r.wall_time == 1.5
    assert r.colour.startswith("#") and not r.diverged
    for i, h in enumerate(history):   # every numeric history entry, dynamics included
        for key, value in h.items():
            if isinstance(value, (list, tuple)):
                np.testing.assert_array_equal(r.curves[key][i, :len(value)], value)
            else:
                np.testing.assert_array_equal(r.curves[key][i],
                                              np.nan if value is None else value)
    with pytest.raises(ValueError):
        r.curves["lr"][0] = 1.0             # a copy, read-only
    with pytest.raises(TypeError):
        r.curves["new"] = np.zeros(1)       # type: ignore[index]
    assert r.renamed("b").name == "b" and r.recoloured("#000000").colour == "#000000"


def test_record_pickles_and_round_trips_through_json():
    r = RunRecord.of(trained(5))
    assert pickle.loads(pickle.dumps(r)) == r
    text = json.dumps(r.to_dict(), allow_nan=False)   # strict JSON
    back = RunRecord.from_dict(json.loads(text))
    assert back == r and back.curves["lr"].flags.writeable is False


def test_record_of_a_long_run_stays_bounded():
    t = trained(10_000)
    assert len(t.history) > 2000
    r = RunRecord.of(t)
    epochs = r.curves["epoch"]
    assert len(epochs) <= 2000 and epochs[-1] == 10_000
    assert r.stride in (4, 8) and (epochs[:-1] % r.stride == 0).all()
    assert all(len(v) == len(epochs) for v in r.curves.values())
    widths = sum(1 if v.ndim == 1 else v.shape[1] for v in r.curves.values())
    assert r.nbytes == len(epochs) * 8 * widths
    small = RunRecord.of(t, max_points=100)
    assert len(small.curves["epoch"]) <= 100 and small.curves["epoch"][-1] == 10_000
    # the best is over every recorded epoch, not just the kept points
    assert small.best.train_loss == min(h["train_loss"] for h in t.history)


def test_downsample_keeps_multiples_of_a_stride_and_the_last():
    records = [{"epoch": e} for e in range(1, 1001)]
    stride, kept = downsample(records, 100)
    assert stride == 16 and kept[-1]["epoch"] == 1000
    assert [k["epoch"] for k in kept[:-1]] == list(range(16, 1000, 16))
    assert downsample([], 10) == (1, [])


def test_curves_take_whatever_the_history_holds():
    """Per-layer dynamics (a list per epoch) become (points, layers); dicts a curve per
    sub-key; text is left out."""
    records = [{"epoch": 1, "lr": 0.1, "grad_norms": [1.0, 2.0], "stats": {"a": 1},
                "note": "x"},
               {"epoch": 2, "lr": 0.1, "grad_norms": [3.0, 4.0, 5.0], "stats": {"a": 2}},
               {"epoch": 3, "lr": None}]
    curves = curve_arrays(records)
    np.testing.assert_array_equal(curves["grad_norms"], [[1, 2, np.nan], [3, 4, 5],
                                                         [np.nan] * 3])
    np.testing.assert_array_equal(curves["stats.a"], [1, 2, np.nan])
    np.testing.assert_array_equal(curves["lr"], [0.1, 0.1, np.nan])
    assert "note" not in curves and "test_loss" in curves


def test_a_diverged_run_is_marked():
    cfg = RunConfig.from_dict({"format": 1, "data": {"source": "plane", "samples": 50},
                               "model": {"type": "mlp", "layers": [
                                   {"type": "dense", "units": 8, "activation": "relu"}]},
                               "train": {"epochs": 20, "optimizer": {"name": "sgd",
                                                                     "lr": 1e8}}})
    t = Trainer(cfg)
    t.run_epochs(20)
    r = RunRecord.of(t)
    assert r.diverged
    assert best_of(list(t.history), r.final).train_loss is not None


def test_plot_mean_and_band_over_seeds():
    from playground.runs.plot import curves_png, group_stats
    runs = []
    for seed, epochs in ((0, 6), (1, 6), (2, 4)):   # one run stopped early
        cfg = run_config([{"type": "dense", "units": 3, "activation": "tanh"}],
                         data={"samples": 30, "test_fraction": 0.3}, seed=seed,
                         epochs=epochs, batch_size=0)
        t = Trainer(cfg)
        t.run_epochs(epochs)
        runs.append(RunRecord.of(t))
    epochs, mean, lo, hi = group_stats(runs, "test_loss")
    np.testing.assert_array_equal(epochs, np.arange(1, 7))
    table = np.array([np.pad(r.curves["test_loss"], (0, 6 - len(r.curves["test_loss"])),
                             constant_values=np.nan) for r in runs])
    np.testing.assert_allclose(mean, np.nanmean(table, 0), rtol=1e-15)
    np.testing.assert_array_equal(lo, np.nanmin(table, 0))
    np.testing.assert_array_equal(hi, np.nanmax(table, 0))
    assert mean[5] == (runs[0].curves["test_loss"][5] + runs[1].curves["test_loss"][5]) / 2
    png = curves_png([("lr=0.001", runs)])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000

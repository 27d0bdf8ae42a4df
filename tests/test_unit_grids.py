"""Grids over input planes: ``Trainer.predict_grid`` and ``Trainer.unit_grids``, and the
session's snapshots that carry them with their plane."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import blobs, run_config, trainer
from playground.data.plane import informative_pair, axis_plane, default_plane, pca_plane
from playground.engine import losses
from playground.engine.session import Session, unit_resolution
from playground.engine.trainer import Trainer

STACK = [{"type": "dense", "units": 5, "activation": "tanh"}, {"type": "batchnorm"},
         {"type": "dropout", "p": 0.3}, {"type": "dense", "units": 4, "activation": "relu"}]


@pytest.fixture(scope="module")
def iris_run():
    t = Trainer(run_config(STACK, source="iris", data={"test_fraction": 0.2}, batch_size=16,
                           dtype="float64"))
    t.run_epochs(3)
    return t


@pytest.fixture(scope="module")
def circle_run():
    cfg = run_config(STACK, source="circle", batch_size=10, dtype="float64",
                     data={"samples": 80, "features": ["x1", "x2", "x1^2", "sin(x2)"]})
    t = Trainer(cfg)
    t.run_epochs(3)
    return t


def test_predict_grid_takes_an_axis_plane_or_a_pair(iris_run):
    t = iris_run
    plane = axis_plane(t.dataset, 2, 3)
    by_plane = t.predict_grid(7, plane)
    for other in (t.predict_grid(7, (2, 3)), t.predict_grid(resolution=7, inputs=(2, 3))):
        for a, b in zip(by_plane, other):
            np.testing.assert_array_equal(a, b)
    assert t.plane((2, 3)) == plane


def test_predict_grid_on_a_pca_plane_defaults_to_the_projected_range(iris_run):
    t = iris_run
    plane = pca_plane(t.dataset)
    us, vs, out = t.predict_grid(9, plane)
    uv = plane.project(np.concatenate([t.dataset.raw_train, t.dataset.raw_test]))
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    pad = 0.05 * (hi - lo)
    np.testing.assert_allclose([us[0], us[-1], vs[0], vs[-1]],
                               [lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]])
    assert out.shape == (9, 9, 3)
    raw = plane.to_raw([us[4]], [vs[6]])
    np.testing.assert_allclose(out[6, 4], t.predict(t.dataset.preprocess(raw))[0], rtol=1e-12)
    assert t.plane_extent(plane) == (us[0], us[-1], vs[0], vs[-1])


def test_a_plane_of_another_data_set_is_refused(iris_run, circle_run):
    with pytest.raises(ValueError, match="spans 2 raw inputs; the data has 4"):
        iris_run.predict_grid(5, default_plane(circle_run.dataset))


@pytest.mark.parametrize("run", ["iris_run", "circle_run"])
def test_unit_grids_match_the_forward_layer_by_layer(run, request):
    t = request.getfixturevalue(run)
    plane = default_plane(t.dataset)
    r = 11
    us, vs, inputs, outputs = t.unit_grids(r, plane)
    assert inputs.shape == (r, r, t.dataset.n_features)
    assert [o.shape for o in outputs] == [(r, r, w) for w in t.model.module_widths]
    np.testing.assert_array_equal((us, vs), t.predict_grid(r, plane)[:2])
    for i, j in [(0, 0), (3, 7), (10, 2), (5, 5)]:
        x = t.dataset.preprocess(plane.to_raw([us[i]], [vs[j]]))  # feature map, z-score
        np.testing.assert_allclose(inputs[j, i], x[0], rtol=1e-12, atol=1e-14)
        h = x
        for module, out in zip(t.model.modules, outputs):
            h = module.forward(h, False, None)
            np.testing.assert_allclose(out[j, i], h[0], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("run", ["iris_run", "circle_run"])
def test_the_last_unit_grid_is_predict_grid_before_the_output_activation(run, request):
    t = request.getfixturevalue(run)
    plane = default_plane(t.dataset)
    _, _, inputs, outputs = t.unit_grids(13, plane)
    _, _, out = t.predict_grid(13, plane)
    logits = outputs[-1].reshape(-1, t.model.n_outputs)
    np.testing.assert_allclose(logits, t.logits(inputs.reshape(-1, inputs.shape[-1])),
                               rtol=1e-12, atol=1e-14)  # the fused kernel's pass
    probs = (losses.softmax(logits) if t.loss_name == "cross_entropy"
             else losses.sigmoid(logits)[:, [0, 0]] * [-1, 1] + [1, 0])
    np.testing.assert_allclose(probs.reshape(out.shape), out, rtol=1e-12, atol=1e-14)


def test_unit_grids_of_a_regression_and_a_float32_run():
    data = blobs(n=40, f=3, task="regression")
    t = trainer(STACK, data, batch_size=8, dtype="float32")
    t.run_epochs(2)
    us, vs, inputs, outputs = t.unit_grids(6, (0, 2))
    assert inputs.dtype == outputs[-1].dtype == np.float32
    np.testing.assert_allclose(outputs[-1], t.predict_grid(6, (0, 2))[2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(inputs[..., 1], data.x_train[:, 1].mean(), rtol=1e-6)  # at mean


def test_perceptron_unit_grids_step_where_the_regions_change():
    t = trainer(dataset=blobs(n=40), model_type="perceptron", dtype="float64")
    t.run_epochs(3)
    _, _, _, (z, steps) = t.unit_grids(9, (0, 1))
    _, _, out = t.predict_grid(9, (0, 1))
    np.testing.assert_array_equal(steps[..., 0], out[..., 1])
    np.testing.assert_array_equal(steps, (z > 0).astype(steps.dtype))


# --- session ---------------------------------------------------------------------------


def test_grid_snapshots_carry_unit_grids_and_their_plane(circle_run):
    t = Trainer(circle_run.config, dataset=circle_run.dataset)
    s = Session(t, grid_resolution=24)
    s.run_for(0.02)
    snap = s.snapshot(with_grid=True)
    assert snap.plane == s.grid_plane == axis_plane(t.dataset, 0, 1)
    assert snap.plane.labels == ("x1", "x2")
    assert s.unit_grid_size() == 24
    us, vs, inputs, outputs = t.unit_grids(24, snap.plane)
    np.testing.assert_array_equal(snap.unit_axes[0], us)
    np.testing.assert_array_equal(snap.unit_axes[1], snap.grid[1])
    assert snap.unit_inputs.dtype == np.float32
    np.testing.assert_array_equal(snap.unit_inputs, inputs.astype(np.float32))
    assert isinstance(snap.units, tuple) and len(snap.units) == len(t.model.modules)
    for a, b in zip(snap.units, outputs):
        assert a.dtype == np.float32 and a.shape == b.shape
        np.testing.assert_array_equal(a, b.astype(np.float32))
    before = [u.copy() for u in snap.units]
    s.run_for(0.05)
    s.snapshot(with_grid=True)
    for a, b in zip(snap.units, before):
        np.testing.assert_array_equal(a, b)  # the snapshot owns its arrays
    plain = s.snapshot()
    assert plain.units is plain.unit_inputs is plain.unit_axes is plain.plane is None


def test_grid_inputs_and_grid_plane_choose_the_plane(iris_run):
    s = Session(Trainer(iris_run.config, dataset=iris_run.dataset), grid_resolution=10)
    # a table opens on its PCA plane (a 2-D source on (x1, x2))
    assert s.grid_inputs is None and s.grid_plane == pca_plane(s.trainer.dataset)
    s.grid_plane = "informative"
    assert s.grid_inputs == informative_pair(s.trainer.dataset)
    s.grid_inputs = (3, 1)  # what the UI's axis combo boxes send
    snap = s.snapshot(with_grid=True)
    assert snap.plane.inputs == (3, 1) and s.grid_plane == axis_plane(s.trainer.dataset, 3, 1)
    pca = pca_plane(s.trainer.dataset)
    s.grid_plane = pca
    assert s.grid_inputs is None and s.grid_plane == pca
    snap = s.snapshot(with_grid=True)
    assert snap.plane == pca and snap.plane.labels[0].startswith("PC1 (")
    np.testing.assert_allclose(snap.grid[2], s.trainer.predict_grid(10, pca)[2])
    s.grid_bounds = (-2.0, 2.0, -1.0, 1.0)
    snap = s.snapshot(with_grid=True)
    assert (snap.unit_axes[0][0], snap.unit_axes[1][-1]) == (-2.0, 1.0)
    with pytest.raises(ValueError, match="raw inputs"):
        s.grid_plane = axis_plane(blobs(f=2), 0, 1)
    assert s.grid_plane == pca  # unchanged
    s.grid_plane = axis_plane(s.trainer.dataset, 1, 2)
    assert s.grid_inputs == (1, 2)
    s.grid_units = False
    snap = s.snapshot(with_grid=True)
    assert snap.units is None and snap.plane.inputs == (1, 2) and snap.grid is not None


def test_unit_resolution_keeps_small_networks_and_shrinks_wide_ones():
    spiral = (("linear", "activation") * 6 + ("linear",), (8,) * 12 + (1,))
    assert unit_resolution(96, 7, *spiral) == 96        # TF Playground's largest network
    assert unit_resolution(64, 7, *spiral) == 64        # never above the decision grid's
    wide = (("linear", "activation") * 2 + ("linear",), (256, 256, 128, 128, 10))
    r = unit_resolution(96, 784, *wide)
    assert r == 23  # r^2 x 234,752 multiply-adds <= 2^27
    assert r * r * (784 + 778) <= 2**20
    huge = (("linear",), (100_000,))
    assert unit_resolution(96, 10_000, *huge) == 8      # the floor
    assert unit_resolution(4, 10_000, *huge) == 4
    s = Session(trainer([{"type": "dense", "units": 3}]), grid_resolution=30)
    assert s.unit_grid_size() == 30
    s.unit_grid_resolution = 12
    assert s.snapshot(with_grid=True).units[0].shape == (12, 12, 3)

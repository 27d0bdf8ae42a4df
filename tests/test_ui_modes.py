"""Perceptron mode, the regression scatter, the theme and the engine-ready indicator, driven
through the main window as a user would."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtGui import QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from ui_helpers import action, errors, make_window, settings, snapshot_after  # noqa: E402, F401


def perceptron(source: str, epochs: int = 40) -> dict:
    return {"seed": 3, "data": {"source": source, "samples": 200, "noise": 0.2},
            "model": {"type": "perceptron"},
            "train": {"epochs": epochs, "optimizer": {"name": "sgd", "lr": 0.1}}}


def test_perceptron_steps_one_sample_and_circles_the_misclassified_one(qtbot, make_window):
    w = make_window(perceptron("gauss"))
    step = action(w, "Step sample")
    plot = w.decision_plot
    assert plot.banner.isVisible() and "Rosenblatt" in plot.banner.text()
    snap = snapshot_after(qtbot, w, step.trigger, lambda s: s.steps == 1)
    assert snap.epoch == 0
    for n in range(2, 60):  # step until some sample was misclassified
        if snap.last_mistake is not None:
            break
        snap = snapshot_after(qtbot, w, step.trigger, lambda s, n=n: s.steps == n)
    assert snap.last_mistake is not None
    qtbot.waitUntil(lambda: f"#{snap.last_mistake}" in plot.banner.text(), timeout=5000)
    xs, ys = plot.overlay.marker.getData()
    row = w.trainer.dataset.raw_train[snap.last_mistake]
    assert (xs[0], ys[0]) == (row[0], row[1])


def test_perceptron_line_is_where_the_weighted_sum_is_zero(qtbot, make_window):
    w = make_window(perceptron("gauss"))
    snap = snapshot_after(qtbot, w, w.controller.step_epoch, lambda s: s.epoch == 1)
    line = w.decision_plot.overlay.lines[0]
    qtbot.waitUntil(lambda: line.getData()[0] is not None and len(line.getData()[0]) > 2,
                    timeout=5000)
    x, y = w.decision_plot.overlay.lines[0].getData()
    ok = np.isfinite(x)
    points = np.column_stack([x[ok], y[ok]])
    ds = w.trainer.dataset
    z = ds.preprocess(points) @ snap.weights["0.weight"].T.astype(np.float64) \
        + snap.weights["0.bias"]
    scale = np.abs(ds.preprocess(ds.raw_train) @ snap.weights["0.weight"].T).max()
    assert np.abs(z).max() < 1e-6 * scale + 1e-9


def test_perceptron_convergence_is_announced_and_play_stops(qtbot, make_window):
    w = make_window(perceptron("gauss", epochs=500))
    w.speed_combo.setCurrentIndex(w.speed_combo.count() - 1)
    with qtbot.waitSignal(w.controller.playing_changed, timeout=60000,
                          check_params_cb=lambda on: on is False):
        action(w, "Play").trigger()
    qtbot.waitUntil(lambda: "Converged at epoch" in w.decision_plot.banner.text(), timeout=5000)
    assert w.trainer.converged_epoch is not None
    assert w.trainer.epoch == w.trainer.converged_epoch    # stopped at that very epoch
    assert "converged" in w.status.text()
    assert w.decision_plot.overlay.marker.getData()[0].size == 0  # nothing wrong any more


def test_xor_is_announced_as_not_separable(qtbot, make_window):
    w = make_window(perceptron("xor", epochs=5))
    for epoch in range(1, 6):
        snapshot_after(qtbot, w, w.controller.step_epoch, lambda s, e=epoch: s.epoch == e)
    qtbot.waitUntil(lambda: "Did not converge in 5 epochs" in w.decision_plot.banner.text(),
                    timeout=5000)
    assert "x1*x2" in w.decision_plot.banner.text()


def test_perceptron_hides_the_settings_it_does_not_use(qtbot, make_window):
    w = make_window(perceptron("gauss"))
    panel = w.hyper_panel
    assert panel.form.isRowVisible(panel.lr_spin)
    assert not panel.form.isRowVisible(panel.batch_spin)
    assert not panel.form.isRowVisible(panel.optimizer_combo)
    assert panel.form.isRowVisible(panel.perceptron_note)
    assert w.loss_plot.plot.getAxis("left").labelText == "error rate"
    w.layer_panel.perceptron.setChecked(False)
    assert panel.form.isRowVisible(panel.batch_spin)
    assert not panel.form.isRowVisible(panel.perceptron_note)
    assert action(w, "Step batch") and not w.decision_plot.banner.isVisible()


def test_regression_on_a_table_shows_predicted_against_true(qtbot, make_window):
    w = make_window({"data": {"source": "diabetes"},
                     "model": {"type": "mlp", "layers": [{"type": "dense", "units": 8}]},
                     "train": {"optimizer": {"name": "adam", "lr": 0.05}}})
    scatter = w.prediction_plot
    tab = w.output_tabs.indexOf(scatter)
    assert w.output_tabs.isTabVisible(tab)
    w.output_tabs.setCurrentIndex(tab)
    snap = snapshot_after(qtbot, w, w.controller.step_epoch,
                  lambda s: s.epoch == 1 and s.predictions is not None)
    qtbot.waitUntil(lambda: len(scatter.scatter.data) == len(snap.predictions[0]), timeout=5000)
    assert len(snap.predictions[0]) == len(w.trainer.dataset.y_test)
    w.model.update_data(source="circle")     # classification: no predicted-vs-true
    assert not w.output_tabs.isTabVisible(tab)


def test_theme_applies_and_persists(qtbot, make_window, settings):
    w = make_window()
    w.theme_actions["dark"].trigger()
    window_color = QApplication.instance().palette().color(QPalette.Window)
    assert window_color.lightness() < 80
    assert settings.value("theme") == "dark"
    w.close()
    again = make_window()
    assert again.theme_actions["dark"].isChecked()
    again.set_theme("light")
    assert QApplication.instance().palette().color(QPalette.Window).lightness() > 180


def test_engine_readiness_is_shown_until_the_kernels_are_ready(qtbot, make_window):
    w = make_window()
    w.prepare_engine()
    assert w.engine_busy.isVisible() and "Preparing the engine" in w.engine_label.text()
    qtbot.waitUntil(lambda: w.engine_ready_state, timeout=120000)
    assert not w.engine_busy.isVisible() and not w.engine_label.isVisible()


def test_code_view_follows_the_config_and_copies(qtbot, make_window):
    w = make_window()
    view = w.code_view
    torch_code = view.editors["PyTorch"].toPlainText()
    assert "nn.Linear(2, 4)" in torch_code and "nn.Tanh()" in torch_code
    assert "torch.optim.SGD" in torch_code
    compile(torch_code, "model.py", "exec")
    compile(view.editors["Keras"].toPlainText(), "model_keras.py", "exec")
    w.model.update_optimizer("adam")                   # live: the code follows at once
    assert "torch.optim.Adam" in view.editors["PyTorch"].toPlainText()
    assert w.model.update_model(layers=tuple(w.model.config.model.layers)[:1]) is None
    assert "nn.Linear(4, 1)" in view.editors["PyTorch"].toPlainText()   # structure: new run
    assert "nn.Linear(4, 2)" not in view.editors["PyTorch"].toPlainText()
    view.tabs.setCurrentIndex(1)
    view.copy()
    assert QApplication.clipboard().text() == view.editors["Keras"].toPlainText()


def test_code_view_carries_the_runs_target_statistics(qtbot, make_window):
    """A regression on standardized targets: the code's constants are the run's own."""
    w = make_window({"data": {"source": "diabetes"},
                     "model": {"type": "mlp", "layers": [{"type": "dense", "units": 4}]}})
    ds = w.trainer.dataset
    assert ds.y_std is not None
    for name in ("PyTorch", "Keras"):
        text = w.code_view.editors[name].toPlainText()
        assert f"TARGET_MEAN = {[float(v) for v in ds.y_mean]!r}" in text
        assert f"TARGET_STD = {[float(v) for v in ds.y_std]!r}" in text

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


def test_the_circle_is_told_the_features_it_needs(qtbot, make_window):
    w = make_window(perceptron("circle", epochs=3))
    for epoch in range(1, 4):
        snapshot_after(qtbot, w, w.controller.step_epoch, lambda s, e=epoch: s.epoch == e)
    banner = w.decision_plot.banner
    qtbot.waitUntil(lambda: "Did not converge in 3 epochs" in banner.text(), timeout=5000)
    assert "x1^2" in banner.text() and "x2^2" in banner.text()
    assert "x1*x2" not in banner.text()      # XOR's fix, not the circle's


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


def test_regression_without_a_test_split_plots_the_training_split(qtbot, make_window, errors):
    # found by the monkey: the plane with test fraction 0 raised as the run was shown
    w = make_window({"data": {"source": "plane", "samples": 80, "test_fraction": 0.0},
                     "model": {"type": "mlp", "layers": [{"type": "dense", "units": 4}]}})
    assert errors == [] and not w.trainer.dataset.has_test
    scatter = w.prediction_plot
    w.output_tabs.setCurrentIndex(w.output_tabs.indexOf(scatter))
    y = w.trainer.dataset.y_train[:, 0]
    lo, hi = scatter._range
    assert lo < y.min() and hi > y.max()
    snap = snapshot_after(qtbot, w, w.controller.step_epoch,
                          lambda s: s.epoch == 1 and s.predictions is not None)
    qtbot.waitUntil(lambda: len(scatter.scatter.data) == len(y), timeout=5000)
    assert len(snap.predictions[0]) == len(y)


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


def _verdict(source, features=("x1", "x2"), noise=0.2, table=False):
    """The banner after a perceptron ran out of epochs without converging."""
    from playground.ui.perceptron_view import status_text
    text, tone = status_text(5, 5, 3, None, None, None, not table, source=source,
                             feature_names=features, noise=noise)
    assert tone == "bad" and text.startswith("Did not converge in 5 epochs")
    return text


def test_the_not_converged_advice_names_the_missing_feature_for_xor():
    text = _verdict("xor")
    assert "switch on x1*x2" in text
    assert "x1^2" not in text and "x2^2" not in text and "MLP" not in text


def test_the_not_converged_advice_never_asks_for_a_feature_already_on():
    text = _verdict("xor", ("x1", "x2", "x1*x2"))
    assert "switch on" not in text and "With x1*x2 on" in text
    assert "Noise" in text                          # what is left is the noise
    assert "Noise" not in _verdict("xor", ("x1*x2",), noise=0.0)   # none to blame: epochs
    assert "more Epochs" in _verdict("xor", ("x1*x2",), noise=0.0)


def test_the_not_converged_advice_for_the_circle_is_its_squares():
    text = _verdict("circle")
    assert "switch on x1^2 and x2^2" in text and "x1*x2" not in text
    half = _verdict("circle", ("x1", "x2", "x1^2"))
    assert "switch on x2^2" in half and "switch on x1^2" not in half


def test_the_not_converged_advice_for_spiral_and_gauss():
    spiral = _verdict("spiral", ("x1", "x2", "x1*x2"))
    assert "perceptron cannot" in spiral and "MLP" in spiral and "switch on" not in spiral
    gauss = _verdict("gauss")
    assert "switch on" not in gauss and "x1*x2" not in gauss and "Noise" in gauss


def test_the_not_converged_advice_for_a_table_is_a_hidden_layer():
    text = _verdict("iris", features=("sepal length (cm)",), table=True)
    assert "hidden layer" in text and "untick Perceptron" in text
    assert "x1" not in text and "x2" not in text and "switch on" not in text
    assert "x1" not in _verdict("csv", features=("a", "b"))   # two columns: still a table


def test_the_separating_features_are_exactly_those_a_line_needs():
    """Without noise, a line separates xor, circle and moons exactly when the features
    SEPARATING names are on: a linear programme s_i (w . f_i + b) >= 1 over every choice."""
    from itertools import combinations
    from scipy.optimize import linprog
    from playground.data.features import feature_map
    from playground.data.generators import GENERATORS
    from playground.data.names import FEATURES_2D
    from playground.ui.perceptron_view import SEPARATING

    def separable(f, y):
        a = np.hstack([f, np.ones((len(f), 1))]) * np.where(y == 1, 1.0, -1.0)[:, None]
        return linprog(np.zeros(a.shape[1]), A_ub=-a, b_ub=-np.ones(len(a)),
                       bounds=(None, None), method="highs").status == 0

    for source, (needed, _why) in SEPARATING.items():
        x, y = GENERATORS[source](120, 0.0, np.random.default_rng(1))
        for k in range(1, len(FEATURES_2D) + 1):
            for chosen in combinations(FEATURES_2D, k):
                assert separable(feature_map(x, ("x1", "x2"), chosen), y) \
                    == set(needed).issubset(chosen), (source, chosen)

"""Workspaces in the app: save while training, open and carry on, autosave and recovery."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from playground.io.autosave import AutosaveSlot, find_recoverable  # noqa: E402
from playground.io.workspace import load_workspace, save_workspace  # noqa: E402
from ui_helpers import errors, finished, make_window, opened, settings, snapshot_after  # noqa: E402, F401


def _save(qtbot, window, path):
    done = []
    window.workspaces.save(path, done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=20000)
    return done[0]


def test_saved_workspace_trains_on_exactly_in_a_new_window(qtbot, make_window, tmp_path,
                                                           errors):
    w = make_window(size=(1024, 700))
    w.decision_plot.set_axes(1, 0)
    snapshot_after(qtbot, w, w.controller.step_epoch, lambda s: s.epoch == 1)
    snapshot_after(qtbot, w, w.controller.step_batch, lambda s: s.steps > w.trainer.batches_per_epoch)
    path = tmp_path / "run.playground"
    assert _save(qtbot, w, path) and path.exists() and not errors
    assert w.windowTitle().startswith("run.playground")
    reference = load_workspace(path).trainer
    reference.run_epochs(2)

    other = make_window(size=(1024, 700))
    assert opened(qtbot, other, path)
    assert other.trainer.steps == w.trainer.steps and other.trainer.epoch == 1
    assert other.decision_plot.axes == (1, 0)
    assert other.model.config == w.model.config
    snap = snapshot_after(qtbot, other, lambda: (other.controller.step_epoch(),
                                         other.controller.step_epoch()),
                  lambda s: s.epoch == 3)
    for key, value in reference.state_dict().items():
        np.testing.assert_array_equal(snap.weights[key], value, err_msg=key)
    assert snap.curves["train_loss"][-1] == reference.history[-1]["train_loss"]


def test_a_broken_workspace_is_reported_and_changes_nothing(qtbot, make_window, tmp_path,
                                                            errors):
    w = make_window(size=(1024, 700))
    before, trainer = w.model.config, w.trainer
    bad = tmp_path / "bad.playground"
    bad.write_bytes(b"not a zip")
    assert not opened(qtbot, w, bad)
    assert errors and "bad.playground" in errors[-1]
    assert w.model.config == before and w.trainer is trainer


def test_autosave_and_recovery_after_a_crash(qtbot, make_window, tmp_path):
    folder = tmp_path / "appdata"
    w = make_window(autosave_dir=str(folder), size=(1024, 700))
    snapshot_after(qtbot, w, w.controller.step_epoch, lambda s: s.epoch == 1)
    done = []
    w.workspaces.autosave(done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=20000)
    assert done == [True] and w.workspaces.slot.path.exists()
    # a crash: the session's lock goes away without a clean close
    w.workspaces.slot._fd = _release(w.workspaces.slot)
    w.workspaces.slot = None
    assert find_recoverable(folder / "autosave")

    later = make_window(autosave_dir=str(folder), size=(1024, 700))
    questions = []
    assert finished(qtbot, lambda done: later.workspaces.offer_recovery(
        lambda q: questions.append(q) or True, done))
    assert "did not close properly" in questions[0]
    assert later.trainer.epoch == 1 and later.workspaces.path is None
    assert not find_recoverable(folder / "autosave")


def test_a_clean_quit_leaves_nothing_to_recover(qtbot, make_window, tmp_path):
    folder = tmp_path / "appdata"
    w = make_window(autosave_dir=str(folder), size=(1024, 700))
    done = []
    w.workspaces.autosave(done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=20000)
    w.close()
    assert not find_recoverable(folder / "autosave")
    assert not list((folder / "autosave").iterdir())


def _release(slot: AutosaveSlot):
    import os
    os.close(slot._fd)
    return None


def test_open_recent_and_drop_accept_workspaces(qtbot, make_window, tmp_path):
    w = make_window(size=(1024, 700))
    path = tmp_path / "kept.playground"
    save_workspace(path, w.trainer)
    assert opened(qtbot, w, path)
    assert str(path) in w._recent()


def _wait(qtbot, start):
    done = []
    start(done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=30000)
    return done[0]


@pytest.mark.parametrize("ext", [".safetensors", ".npz", ".json", ".onnx", ".py",
                                 ".weights.h5"])
def test_export_writes_every_format_from_one_moment_of_a_playing_run(qtbot, make_window,
                                                                     tmp_path, errors, ext):
    from playground.io.weights import WEIGHT_FORMATS, load_weights
    w = make_window(size=(1024, 700))
    w.model.update_train(epochs=10**6)
    w.speed_combo.setCurrentIndex(w.speed_combo.count() - 1)
    w.controller.play()
    qtbot.wait(300)
    path = tmp_path / f"model{ext}"
    assert _wait(qtbot, lambda done: w.export_weights(path, done)), errors
    w.controller.pause()
    assert path.stat().st_size > 0 and not errors
    if WEIGHT_FORMATS[ext].read is not None:
        state, metadata = load_weights(path)
        assert set(state) == set(w.trainer.state_dict())
        assert metadata["config"]["model"] == w.model.config.to_dict()["model"]


def test_import_round_trip_and_a_mismatch_changes_nothing(qtbot, make_window, tmp_path,
                                                          errors):
    from playground.io.weights import save_weights
    w = make_window(size=(1024, 700))
    snapshot_after(qtbot, w, w.controller.step_epoch, lambda s: s.epoch == 1)
    trained = w.trainer.state_dict()
    path = tmp_path / "trained.safetensors"
    save_weights(path, trained)
    w.reset()
    snapshot_after(qtbot, w, lambda: None, lambda s: s.epoch == 0)
    assert _wait(qtbot, lambda done: w.import_weights(path, done)) and not errors
    for key, value in w.trainer.state_dict().items():
        np.testing.assert_array_equal(value, trained[key])

    wrong = tmp_path / "wrong.npz"
    save_weights(wrong, {"0.weight": np.zeros((3, 2), np.float32)})
    before = w.trainer.state_dict()
    assert not _wait(qtbot, lambda done: w.import_weights(wrong, done))
    assert errors and "wrong.npz" in errors[-1]
    for key, value in w.trainer.state_dict().items():
        np.testing.assert_array_equal(value, before[key])


def test_export_dialog_offers_every_format_with_its_snippet(qtbot, tmp_path):
    from playground.io.weights import WEIGHT_FORMATS
    from playground.ui.export_dialog import ExportDialog
    dialog = ExportDialog(str(tmp_path), "run")
    qtbot.addWidget(dialog)
    assert dialog.format_combo.count() == len(WEIGHT_FORMATS)
    for i in range(dialog.format_combo.count()):
        dialog.format_combo.setCurrentIndex(i)
        ext = dialog.extension()
        assert dialog.path() == tmp_path / f"run{ext}"
        assert dialog.snippet.toPlainText().strip()
        assert f"run{ext}" in dialog.snippet.toPlainText() or ext == ".py"

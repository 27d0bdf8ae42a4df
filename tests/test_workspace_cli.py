"""`playground train RUN.playground` continues a saved run; `--export X.playground` saves one."""

from __future__ import annotations

import json

import numpy as np
import pytest

from playground import cli
from playground.config import RunConfig
from playground.engine.trainer import Trainer
from playground.io.weights import load_weights
from playground.io.workspace import load_workspace, save_workspace

CONFIG = {
    "format": 1, "seed": 3,
    "data": {"source": "moons", "samples": 60, "noise": 0.1, "test_fraction": 0.25},
    "model": {"type": "mlp", "layers": [
        {"type": "dense", "units": 6, "activation": "tanh"}, {"type": "batchnorm"},
        {"type": "dropout", "p": 0.2}]},
    "train": {"epochs": 4, "batch_size": 9, "optimizer": {"name": "adam", "lr": 0.02},
              "schedule": {"name": "cosine"}},
}


def run(argv, capsys):
    status = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def straight(epochs: int) -> Trainer:
    t = Trainer(RunConfig.from_dict(CONFIG))
    t.run_epochs(epochs)
    return t


def assert_weights(path, trainer):
    state, _ = load_weights(path)
    for key, value in trainer.state_dict().items():
        assert np.array_equal(state[key], value), key


def saved_run(tmp_path, epochs=2, steps=0, name="run.playground"):
    t = Trainer(RunConfig.from_dict(CONFIG))
    t.run_epochs(epochs)
    t.run_steps(steps)
    save_workspace(tmp_path / name, t)
    return tmp_path / name


def test_a_config_run_exports_a_workspace_that_continues_exactly(tmp_path, capsys):
    cfg = tmp_path / "run.json"
    cfg.write_text(json.dumps(CONFIG))
    ws = tmp_path / "run.playground"
    status, out, err = run(["train", cfg, "--epochs", 2, "--quiet", "--export", ws], capsys)
    assert status == 0, err
    assert f"wrote {ws}" in out
    saved = load_workspace(ws).trainer
    assert saved.epoch == 2 and "test_loss" in saved.history[-1]  # curves kept for the app
    status, out, err = run(["train", ws, "--epochs", 4, "--quiet", "--export",
                            tmp_path / "w.npz"], capsys)
    assert status == 0, err
    assert "epochs: 4" in out
    # the cosine period stays the 2 epochs the run was started with, as in an unbroken run
    reference = Trainer(RunConfig.from_dict({**CONFIG, "train": {**CONFIG["train"],
                                                                 "epochs": 2}}))
    reference.run_epochs(2)
    reference.update_train(RunConfig.from_dict(CONFIG).train)
    reference.run_epochs(2)
    assert_weights(tmp_path / "w.npz", reference)


def test_without_epochs_a_workspace_trains_to_its_configured_end(tmp_path, capsys):
    ws = saved_run(tmp_path, epochs=1, steps=3)  # mid-epoch
    status, out, err = run(["train", ws, "--quiet", "--export", tmp_path / "w.safetensors"],
                           capsys)
    assert status == 0, err
    assert "epochs: 4" in out
    reference = Trainer(RunConfig.from_dict(CONFIG))
    reference.run_epochs(1)
    reference.run_steps(3)
    reference.run_epochs(3)
    assert_weights(tmp_path / "w.safetensors", reference)


def test_continuing_in_place_updates_the_workspace(tmp_path, capsys):
    ws = saved_run(tmp_path)
    status, _, err = run(["train", ws, "--epochs", 3, "--quiet", "--export", ws], capsys)
    assert status == 0, err
    resumed = load_workspace(ws).trainer
    assert resumed.epoch == 3 and len(resumed.history) == 3
    reference = straight(3)
    for key, value in reference.state_dict().items():
        assert np.array_equal(resumed.state_dict()[key], value), key


def test_a_finished_workspace_trains_no_further(tmp_path, capsys):
    ws = saved_run(tmp_path, epochs=4)
    status, out, err = run(["train", ws, "--quiet", "--export", tmp_path / "w.json"], capsys)
    assert status == 0, err
    assert "epochs: 4" in out
    assert_weights(tmp_path / "w.json", straight(4))


def _damaged(p):
    path = p / "bad.playground"
    path.write_text("{}")
    return path


BAD = {
    "missing workspace": lambda p: ["train", p / "gone.playground"],
    "damaged workspace": lambda p: ["train", _damaged(p)],
    "seed with a workspace": lambda p: ["train", saved_run(p), "--seed", 4],
    "init with a workspace": lambda p: ["train", saved_run(p), "--init", p / "w.npz"],
    "workspace export into a missing folder": lambda p: ["train", saved_run(p), "--export",
                                                         p / "no" / "x.playground"],
    "workspace export to a folder": lambda p: ["train", saved_run(p), "--export", p],
}


@pytest.mark.parametrize("case", BAD)
def test_bad_workspace_input_exits_2_with_one_line(case, tmp_path, capsys):
    argv = BAD[case](tmp_path) + ["--export", tmp_path / "out.npz"]
    before = set(tmp_path.iterdir())
    status, _, err = run(argv, capsys)
    assert status == 2, (case, err)
    assert err.startswith("playground: error: ") and err.count("\n") == 1, err
    assert set(tmp_path.iterdir()) == before


def test_the_messages_say_what_is_wrong(tmp_path, capsys):
    _, _, err = run(["train", saved_run(tmp_path), "--seed", 4], capsys)
    assert "--seed does not apply to a workspace: run.playground continues its saved run" in err
    _, _, err = run(["train", _damaged(tmp_path)], capsys)
    assert "bad.playground is not a playground workspace (not a zip archive)" in err


def test_help_mentions_workspaces(capsys):
    status, out, _ = run(["--help"], capsys)
    assert status == 0 and "playground train RUN.playground" in out

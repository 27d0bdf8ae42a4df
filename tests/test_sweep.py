"""`playground sweep` (PRODUCT.md section 2): the grid, runs in worker processes that equal
`playground train` of their config bit for bit, summary.csv as specified, the curves PNG, and
bad input or a failed run that exits 2 with one line and leaves no DIR."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from playground import cli
from playground.config import RunConfig
from playground.engine.trainer import Trainer
from playground.errors import ConfigError
from playground.progress import Cancelled
from playground.runs import sweep
from playground.runs.sweep import SweepError, grid, run_sweep

CONFIG = {
    "format": 1, "seed": 3,
    "data": {"source": "moons", "samples": 60, "noise": 0.1, "test_fraction": 0.25},
    "model": {"type": "mlp", "layers": [
        {"type": "dense", "units": 6, "activation": "tanh"}, {"type": "batchnorm"},
        {"type": "dropout", "p": 0.2}, {"type": "dense", "units": 4, "activation": "relu"}]},
    "train": {"epochs": 6, "batch_size": 9, "optimizer": {"name": "adam", "lr": 0.02},
              "schedule": {"name": "plateau", "patience": 1}},
}
SETS = ["train.optimizer.lr=0.01,0.05", "model.layers[0].units=3,5"]
NAMES = [f"lr={lr}_units={u}_seed={s}" for lr in ("0.01", "0.05") for u in (3, 5)
         for s in (3, 4)]
TAIL = ["seed", "epochs", "train_loss", "test_loss", "train_accuracy", "test_accuracy"]


def write(folder: Path, obj, name="run.json") -> Path:
    path = folder / name
    path.write_text(json.dumps(obj))
    return path


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """One real `playground sweep` process: 2 x 2 values x 2 seeds, 2 workers."""
    folder = tmp_path_factory.mktemp("sweep")
    config = write(folder, CONFIG)
    out = folder / "out"
    argv = [sys.executable, "-m", "playground", "sweep", config, "--set", SETS[0], "--set",
            SETS[1], "--seeds", "2", "--jobs", "2", "--out", out]
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return folder, out, proc


def read_summary(out: Path) -> list[dict[str, str]]:
    with open(out / "summary.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_sweep_writes_every_run_and_nothing_else(swept):
    folder, out, proc = swept
    assert sorted(p.name for p in folder.iterdir()) == ["out", "run.json"]  # no temp folder
    assert sorted(p.name for p in out.iterdir()) == sorted(NAMES + ["curves.png",
                                                                    "summary.csv"])
    for name in NAMES:
        assert sorted(p.name for p in (out / name).iterdir()) == ["config.json",
                                                                  "weights.safetensors"]
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "8 runs" in proc.stdout and "2 at a time" in proc.stdout


@pytest.mark.parametrize("name", [NAMES[0], NAMES[5]])
def test_each_run_equals_playground_train_of_its_config_bit_for_bit(swept, name, tmp_path,
                                                                    capsys):
    _, out, _ = swept
    export = tmp_path / "again.safetensors"
    status = cli.main(["train", str(out / name / "config.json"), "--quiet", "--export",
                       str(export)])
    assert status == 0, capsys.readouterr().err
    assert export.read_bytes() == (out / name / "weights.safetensors").read_bytes()


def test_run_configs_are_the_grid_with_seeds_counting_up(swept):
    _, out, _ = swept
    base = RunConfig.from_dict(CONFIG)
    for name in NAMES:
        cfg = RunConfig.from_dict(json.loads((out / name / "config.json").read_text()))
        lr = float(name.split("_")[0].split("=")[1])
        units = int(name.split("_")[1].split("=")[1])
        seed = int(name.split("=")[-1])
        assert cfg.train.optimizer.lr == lr and cfg.model.layers[0].units == units
        assert seed in (3, 4) and cfg.seed == seed
        expected = RunConfig.from_dict({**CONFIG, "seed": seed, "model": {
            "type": "mlp", "layers": [{**CONFIG["model"]["layers"][0], "units": units},
                                      *CONFIG["model"]["layers"][1:]]},
            "train": {**CONFIG["train"], "optimizer": {"name": "adam", "lr": lr}}})
        assert cfg == expected and cfg.data == base.data


def test_summary_has_products_columns_and_each_runs_final_history(swept):
    _, out, _ = swept
    with open(out / "summary.csv", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == ["run", "train.optimizer.lr", "model.layers[0].units", *TAIL]
    rows = read_summary(out)
    assert [r["run"] for r in rows] == NAMES
    for row in rows:
        cfg = RunConfig.from_dict(json.loads((out / row["run"] / "config.json").read_text()))
        t = Trainer(cfg)   # the same run again, every epoch evaluated
        t.run_epochs(cfg.train.epochs)
        last = t.history[-1]
        assert float(row["train.optimizer.lr"]) == cfg.train.optimizer.lr
        assert int(row["model.layers[0].units"]) == cfg.model.layers[0].units
        assert int(row["seed"]) == cfg.seed and int(row["epochs"]) == last["epoch"] == 6
        for key in TAIL[2:]:
            assert float(row[key]) == last[key], key   # full precision, no rounding


def test_grid_size_order_and_names():
    base = RunConfig.from_dict(CONFIG)
    runs = grid(base, [("train.optimizer.lr", [0.01, 0.05]),
                       ("model.layers[0].units", [3, 5]),
                       ("train.optimizer.name", ["adam", "sgd", "rmsprop"])], seeds=3)
    assert len(runs) == 2 * 2 * 3 * 3
    assert len({name for name, _ in runs}) == len(runs)
    assert runs[0][0] == "lr=0.01_units=3_name=adam_seed=3"
    assert runs[1][0] == "lr=0.01_units=3_name=adam_seed=4"   # the seed varies fastest
    assert runs[3][0] == "lr=0.01_units=3_name=sgd_seed=3"
    assert runs[-1][0] == "lr=0.05_units=5_name=rmsprop_seed=5"
    assert [c.seed for _, c in runs[:6]] == [3, 4, 5, 3, 4, 5]
    assert runs[-1][1].train.optimizer.name == "rmsprop"
    assert runs[-1][1].train.optimizer.lr == 0.05   # the swept lr is kept across the switch
    # two keys with one tail are told apart; a key with one value is left out of names
    two = grid(base, [("model.layers[0].units", [2, 3]), ("model.layers[3].units", [4, 5]),
                      ("train.epochs", [1])])
    assert [n for n, _ in two] == ["layers.0.units=2_layers.3.units=4_seed=3",
                                   "layers.0.units=2_layers.3.units=5_seed=3",
                                   "layers.0.units=3_layers.3.units=4_seed=3",
                                   "layers.0.units=3_layers.3.units=5_seed=3"]


@pytest.mark.parametrize("sets,seeds,error,message", [
    ([("train.optimizer.lr", [0.1, 0.1])], 1, SweepError, "lists 0.1 twice"),
    ([("train.optimizer.lr", [0.1]), ("train.optimizer.lr", [0.2])], 1, SweepError,
     "given twice"),
    ([("seed", [1, 2])], 1, SweepError, "seed is not swept"),
    ([("train.optimizer.lr", [])], 1, SweepError, "no values"),
    ([("train.optimizer.lr", [0.1])], 0, SweepError, "seeds must be"),
    ([("train.optimizer.lr", list(range(1, 200))), ("train.epochs", list(range(100)))], 1,
     SweepError, "more than 10000"),
    ([("train.optimizer.lr", [0.1, -1])], 1, ConfigError, "train.optimizer.lr must be > 0"),
    ([("train.optimizr.lr", [0.1])], 1, ConfigError, "train.optimizr is not a known key"),
    ([("model.layers[9].units", [2])], 1, ConfigError, r"model.layers\[9\].units does not"),
    # each alone is fine (the config's momentum is 0.9); together they are not
    ([("train.optimizer.momentum", [0.5, 0]), ("train.optimizer.nesterov", [True])], 1,
     ConfigError, "train.optimizer.momentum=0, train.optimizer.nesterov=true: "
                  "train.optimizer.nesterov needs momentum > 0"),
])
def test_grid_refuses_bad_sets(sets, seeds, error, message):
    sgd = {**CONFIG, "train": {**CONFIG["train"], "optimizer": {"name": "sgd", "lr": 0.1,
                                                                "momentum": 0.9}}}
    with pytest.raises(error, match=message):
        grid(RunConfig.from_dict(sgd), sets, seeds)


def test_a_seed_beyond_the_range_is_refused():
    with pytest.raises(ConfigError, match="seed must be <="):
        grid(RunConfig.from_dict({**CONFIG, "seed": 2**63 - 2}),
             [("train.epochs", [1])], seeds=3)


# --- failures leave nothing ------------------------------------------------------------------

def test_a_run_that_fails_in_its_worker_leaves_no_dir(tmp_path):
    """Batchnorm with a last batch of one sample fails when the model is built, in the
    worker (``check_runs`` would have caught it first): the error names the run."""
    runs = grid(RunConfig.from_dict(CONFIG), [("train.batch_size", [9, 44])])
    with pytest.raises(ConfigError, match="run batch_size=44_seed=3: train.batch_size 44 "
                                          "leaves a batch of 1"):
        run_sweep(runs, tmp_path / "out", keys=["train.batch_size"], jobs=2)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ConfigError, match="run batch_size=44_seed=3"):
        sweep.check_runs(runs)


def test_cancelling_leaves_no_dir(tmp_path):
    runs = grid(RunConfig.from_dict({**CONFIG, "train": {**CONFIG["train"],
                                                         "epochs": 100_000}}),
                [("train.optimizer.lr", [0.01, 0.02])])
    seen = []

    def cancel() -> bool:
        return bool(seen)

    with pytest.raises(Cancelled):
        run_sweep(runs, tmp_path / "out", jobs=2, on_progress=seen.append, cancelled=cancel)
    assert list(tmp_path.iterdir()) == []


def test_a_diverged_run_writes_no_weights_and_nan_losses(tmp_path, capsys):
    obj = {"format": 1, "data": {"source": "plane", "samples": 50},
           "model": {"type": "mlp", "layers": [{"type": "dense", "units": 8,
                                                "activation": "relu"}]},
           "train": {"epochs": 20, "optimizer": {"name": "sgd", "lr": 0.01}}}
    out = tmp_path / "out"
    status = cli.main(["sweep", str(write(tmp_path, obj)), "--set",
                       "train.optimizer.lr=0.01,1e8", "--jobs", "1", "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "run lr=1e+08_seed=0 diverged at epoch" in captured.err
    rows = read_summary(out)
    assert [r["run"] for r in rows] == ["lr=0.01_seed=0", "lr=1e+08_seed=0"]
    assert float(rows[0]["test_loss"]) > 0 and rows[0]["test_accuracy"] == ""  # regression
    assert rows[1]["train_loss"] in ("nan", "inf") and int(rows[1]["epochs"]) < 20
    assert (out / "lr=0.01_seed=0" / "weights.safetensors").is_file()
    assert not (out / "lr=1e+08_seed=0" / "weights.safetensors").exists()
    # as `playground train` of that config: exit 1, nothing written
    assert cli.main(["train", str(out / "lr=1e+08_seed=0" / "config.json"), "--quiet"]) == 1


def test_csv_runs_find_their_data_from_their_folder(tmp_path, capsys, monkeypatch):
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a:.3f},{b:.3f},{int(a + b > 0)}" for a, b in rng.normal(size=(30, 2)))
    (tmp_path / "d.csv").write_text("a,b,y\n" + rows + "\n")
    obj = {"format": 1, "data": {"source": "csv", "path": "d.csv", "test_fraction": 0.2},
           "model": {"type": "mlp", "layers": [{"type": "dense", "units": 3}]},
           "train": {"epochs": 3, "batch_size": 8}}
    out = tmp_path / "out"
    assert cli.main(["sweep", str(write(tmp_path, obj)), "--set", "train.epochs=2,3",
                     "--jobs", "1", "--quiet", "--out", str(out)]) == 0
    monkeypatch.chdir(out)   # elsewhere than the config's folder
    cfg = json.loads((out / "epochs=3_seed=0" / "config.json").read_text())
    assert Path(cfg["data"]["path"]) == (tmp_path / "d.csv").resolve()
    assert cli.main(["train", "epochs=3_seed=0/config.json", "--quiet", "--export",
                     "w.safetensors"]) == 0
    assert ((out / "w.safetensors").read_bytes()
            == (out / "epochs=3_seed=0" / "weights.safetensors").read_bytes())
    capsys.readouterr()


def test_a_perceptron_stops_where_it_converges_as_train_does(tmp_path, capsys):
    obj = {"format": 1, "data": {"source": "gauss", "samples": 40, "test_fraction": 0.25},
           "model": {"type": "perceptron"},
           "train": {"epochs": 50, "optimizer": {"name": "sgd", "lr": 1.0}}}
    out = tmp_path / "out"
    assert cli.main(["sweep", str(write(tmp_path, obj)), "--set", "train.optimizer.lr=0.5,1",
                     "--jobs", "1", "--quiet", "--out", str(out)]) == 0
    for row in read_summary(out):
        cfg = RunConfig.from_dict(json.loads((out / row["run"] / "config.json").read_text()))
        t = Trainer(cfg)
        while t.epoch < 50 and t.converged_epoch is None:
            t.step_epoch()
        assert int(row["epochs"]) == t.converged_epoch < 50
        assert float(row["train_loss"]) == t.evaluate().train_loss == 0.0
        export = tmp_path / "w.safetensors"
        assert cli.main(["train", str(out / row["run"] / "config.json"), "--quiet",
                         "--export", str(export)]) == 0
        assert export.read_bytes() == (out / row["run"] / "weights.safetensors").read_bytes()
    capsys.readouterr()


def test_progress_counts_up_to_every_epoch(tmp_path):
    runs = grid(RunConfig.from_dict(CONFIG), [("train.optimizer.lr", [0.01, 0.02, 0.03])])
    seen = []
    result = run_sweep(runs, tmp_path / "out", keys=["train.optimizer.lr"], jobs=2,
                       on_progress=seen.append, plot=False)
    done = [p.epochs_done for p in seen]
    assert done == sorted(done) and done[-1] == seen[-1].epochs_total == 18
    assert [p.runs_done for p in seen if p.finished is not None] == [1, 2, 3]
    assert sorted(p.finished.name for p in seen if p.finished) == [n for n, _ in runs]
    assert not (tmp_path / "out" / "curves.png").exists()
    assert [r.record.config for r in result.runs] == [c for _, c in runs]
    groups = result.groups()
    assert [label for label, _ in groups] == ["lr=0.01", "lr=0.02", "lr=0.03"]


def test_the_curves_drawn_in_a_worker_are_those_drawn_here(tmp_path):
    """The app draws curves.png in a worker process (off the window's GIL): the same
    picture, byte for byte, as the command line draws in its own process, from the same
    runs; nothing of matplotlib is imported here for it."""
    runs = grid(RunConfig.from_dict(CONFIG), [("train.optimizer.lr", [0.01, 0.05])])
    loaded = "matplotlib.figure" in sys.modules
    there = run_sweep(runs, tmp_path / "worker", keys=["train.optimizer.lr"], jobs=1,
                      plot_in_worker=True)
    assert loaded or "matplotlib.figure" not in sys.modules
    here = run_sweep(runs, tmp_path / "here", keys=["train.optimizer.lr"], jobs=1)
    assert there.curves == tmp_path / "worker" / "curves.png"
    png = there.curves.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png == here.curves.read_bytes()


# --- the command line ------------------------------------------------------------------------

def _file(folder: Path) -> Path:
    path = folder / "a-file"
    path.write_text("x")
    return path


def _full(folder: Path) -> Path:
    (folder / "full").mkdir()
    (folder / "full" / "old.txt").write_text("x")
    return folder / "full"


BAD = {
    # name: (argv after the config (None: a good config), fragment of the message)
    "no --set": ([], "the following arguments are required: --set"),
    "no --out": (["--set", "train.epochs=1"], "required: --out"),
    "no equals sign": (["--set", "train.epochs"], "must be KEY=V1,V2"),
    "empty key": (["--set", "=1,2"], "must be KEY=V1,V2"),
    "bad key path": (["--set", "train..epochs=1"], "is not a config key path"),
    "unknown key": (["--set", "train.epoch=1,2"], "--set: train.epoch is not a known key"),
    "unknown option": (["--set", "train.optimizer.momentum=0.9"],
                       "train.optimizer.momentum is not an option of adam"),
    "layer beyond the list": (["--set", "model.layers[7].units=3"],
                              r"model.layers[7].units does not exist"),
    "bad value": (["--set", "train.optimizer.lr=0.1,-1"], "train.optimizer.lr must be > 0"),
    "wrong type": (["--set", "model.layers[0].units=two"], "must be an integer"),
    "unknown choice": (["--set", "model.layers[0].activation=tanh,relux"],
                       "activation must be one of"),
    "bad JSON scalar": (["--set", "train.optimizer.lr=0.1,1.2.3"], "is not a JSON scalar"),
    "unclosed quote": (["--set", 'model.layers[0].activation="tanh'], "never closed"),
    "a list value": (["--set", "data.features=[1]"], "lists and objects cannot be swept"),
    "NaN": (["--set", "train.optimizer.lr=NaN"], "NaN is not a JSON number"),
    "1e999": (["--set", "train.optimizer.lr=1e999"], "beyond a float's range"),
    "empty value": (["--set", "train.optimizer.lr=0.1,,0.2"], "an empty value"),
    "no values": (["--set", "train.optimizer.lr="], "an empty value"),
    "value twice": (["--set", "train.optimizer.lr=0.1,0.1"], "lists 0.1 twice"),
    "key twice": (["--set", "train.epochs=1", "--set", "train.epochs=2"], "given twice"),
    "seed as a key": (["--set", "seed=1,2"], "seed is not swept"),
    "seeds 0": (["--set", "train.epochs=1", "--seeds", "0"], "--seeds: must be >= 1"),
    "seeds text": (["--set", "train.epochs=1", "--seeds", "x"], "must be a whole number"),
    "jobs 0": (["--set", "train.epochs=1", "--jobs", "0"], "--jobs: must be >= 1"),
    "jobs negative": (["--set", "train.epochs=1", "--jobs", "-2"], "must be >= 0"),
    "out is a file": (["--set", "train.epochs=1", "--out", _file], "is a file, not a folder"),
    "out is not empty": (["--set", "train.epochs=1", "--out", _full], "is not empty"),
    "out's folder missing": (["--set", "train.epochs=1", "--out",
                              lambda p: p / "no" / "out"], "does not exist"),
    "out empty string": (["--set", "train.epochs=1", "--out", ""], "empty string"),
    "fails at data time": (["--set", "train.batch_size=9,44"],
                           "run batch_size=44_seed=3: train.batch_size 44 leaves a batch"),
    "loss does not fit": (["--set", "train.loss=mse"], "train.loss mse is for regression"),
    "unknown flag": (["--set", "train.epochs=1", "--fast"], "unrecognized arguments"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_exits_2_with_one_line_and_no_dir(case, tmp_path, capsys):
    extra, fragment = BAD[case]
    config = write(tmp_path, CONFIG)
    argv = ["sweep", str(config)]
    for arg in extra:
        argv.append(str(arg(tmp_path)) if callable(arg) else arg)
    if "--out" not in extra and case != "no --out":
        argv += ["--out", str(tmp_path / "out")]
    before = sorted(tmp_path.rglob("*"))
    status = cli.main(argv)
    out, err = capsys.readouterr()
    assert status == 2, (case, err)
    assert err.startswith("playground: error: ") and err.count("\n") == 1, err
    assert fragment in err, (fragment, err)
    assert "Traceback" not in err and out == ""
    assert sorted(tmp_path.rglob("*")) == before   # no DIR, no temporary folder


@pytest.mark.parametrize("argv,fragment", [
    (["sweep", "missing.json", "--set", "train.epochs=1", "--out", "o"],
     "config file not found"),
    (["sweep", "w.playground", "--set", "train.epochs=1", "--out", "o"], "is a workspace"),
])
def test_bad_config_files(argv, fragment, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_bad_input_in_a_real_process(tmp_path):
    config = write(tmp_path, CONFIG)
    proc = subprocess.run([sys.executable, "-m", "playground", "sweep", str(config), "--set",
                           "train.optimizer.lr=0.1,oops!", "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "'oops!' is not a JSON scalar" in proc.stderr
    assert not (tmp_path / "o").exists()


def test_help(capsys):
    assert cli.main(["sweep", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--set KEY=V1,V2,..." in out and "--seeds N" in out and "--jobs J" in out
    assert cli.main(["--help"]) == 0
    assert "playground sweep CONFIG --set KEY=V1,V2,..." in capsys.readouterr().out

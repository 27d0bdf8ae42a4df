"""What a user opens, loaded headless (playground.open_files): whole, checked, and reusable."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from playground.config import RunConfig
from playground.data.loader import load_raw, raw_key
from playground.errors import ConfigError, DataError
from playground.io.workspace import save_workspace
from playground.open_files import (
    build_run, open_config, open_csv, open_workspace, unsplit,
)


def _config(**data) -> RunConfig:
    return RunConfig.from_dict({
        "format": 1, "seed": 4,
        "data": {"source": "moons", "samples": 90, "test_fraction": 0.3, **data},
        "model": {"type": "mlp", "layers": [{"type": "dense", "units": 3}]},
        "train": {"epochs": 2, "batch_size": 8}})


@pytest.mark.parametrize("data", [{}, {"test_fraction": 0.0}, {"source": "iris"},
                                  {"source": "diabetes", "test_fraction": 0.5}])
def test_unsplit_gives_back_the_source_order(data):
    cfg = _config(**data)
    run = build_run(cfg)
    raw = unsplit(run.trainer.dataset, cfg)
    expected = load_raw(cfg.data, cfg.seed)
    np.testing.assert_array_equal(raw.x, expected.x)
    np.testing.assert_array_equal(raw.y, expected.y)


def test_samples_are_reused_when_only_the_split_or_scaling_changes(monkeypatch):
    cfg = _config()
    run = build_run(cfg)
    import playground.open_files as of
    monkeypatch.setattr(of, "load_raw", lambda *a, **k: pytest.fail("read again"))
    other = cfg.replace(data=dataclasses.replace(cfg.data, test_fraction=0.5,
                                                 standardize=False))
    assert raw_key(other.data, other.seed) == run.key
    rebuilt = build_run(other, samples={run.key: run.raw})
    assert rebuilt.trainer.dataset.raw_test.shape[0] == 45


def test_a_workspace_whose_csv_is_gone_can_be_re_split(tmp_path):
    csv = tmp_path / "d.csv"
    csv.write_text("a,b,y\n" + "".join(f"{i},{(i * 7) % 11},{i % 2}\n" for i in range(50)))
    cfg = _config(source="csv", path=str(csv))
    run = build_run(cfg)
    save_workspace(tmp_path / "w.playground", run.trainer)
    csv.unlink()
    opened = open_workspace(tmp_path / "w.playground")
    new = cfg.replace(data=dataclasses.replace(cfg.data, test_fraction=0.5))
    rebuilt = build_run(new, samples={opened.run.key: opened.run.raw})
    assert rebuilt.trainer.dataset.raw_train.shape == (25, 2)


def test_a_config_and_its_csv_open_whole(tmp_path):
    (tmp_path / "d.csv").write_text("a,b,y\n" + "".join(f"{i},{i % 3},{i % 2}\n"
                                                          for i in range(30)))
    path = tmp_path / "run.json"
    path.write_text(json.dumps({**json.loads(_config().to_json()),
                                "data": {"source": "csv", "path": "d.csv"}}))
    opened = open_config(path)
    assert opened.columns == ("a", "b", "y")
    assert opened.run.trainer.config == opened.config
    assert opened.run.trainer.dataset.n_features == 2


def test_open_csv_checks_the_whole_run_before_anything(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("a,y\n1,k\n2,k\n3,k\n")
    with pytest.raises(DataError, match="single class"):
        open_csv(path, _config())
    bad = tmp_path / "run.json"
    bad.write_text('{"format": 1}')
    with pytest.raises(ConfigError):
        open_config(bad)

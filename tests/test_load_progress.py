"""Progress and cancel while loading a workspace or a CSV file: the fraction only grows and
ends at 1.0; a cancel (before the call, from the progress itself, or from another thread)
raises ``Cancelled`` itself, never wrapped, at the next piece of work, and leaves nothing open
or written."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from conftest import blobs, trainer
from playground.data import csv_source
from playground.data.csv_source import ROWS_PER_BLOCK, load_csv
from playground.io.workspace import load_workspace, save_workspace
from playground.progress import Cancelled, Progress


class Recorder(Progress):
    """A Progress that records every (fraction, text) and cancels itself at call ``cancel_at``
    (1 = the first), optionally sleeping in each call to stand for slow work."""

    def __init__(self, cancel_at: int | None = None, sleep: float = 0.0) -> None:
        super().__init__()
        self.calls: list[tuple[float, str]] = []
        self.cancel_at, self.sleep = cancel_at, sleep
        self.started = threading.Event()

    def advance(self, done, total, text=None):
        super().advance(done, total, text)
        self.calls.append((self.fraction, self.text))
        self.started.set()
        if len(self.calls) == self.cancel_at:
            self.cancel()
        time.sleep(self.sleep)


def open_fds() -> int | None:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A workspace whose data.npz spans several 1 MiB pieces (~3.5 MB)."""
    path = tmp_path_factory.mktemp("ws") / "run.playground"
    save_workspace(path, trainer(dataset=blobs(n=15_000, f=30)))
    return path


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory):
    """A CSV of 20,000 rows (~2.4 MB): several pieces to read and rows to parse."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20_000, 5))
    path = tmp_path_factory.mktemp("csv") / "data.csv"
    lines = ["a,b,c,d,e,y"] + [",".join(f"{v:.9f}" for v in row) + f",{int(row[0] > 0)}"
                               for row in x]
    path.write_text("\n".join(lines) + "\n")
    return path


LOADERS = {"workspace": lambda paths, p: load_workspace(paths["workspace"], progress=p),
           "csv": lambda paths, p: load_csv(paths["csv"], progress=p)}


@pytest.fixture
def paths(workspace, csv_file):
    return {"workspace": workspace, "csv": csv_file}


def unchanged(paths, load):
    """Run ``load``, then check it left the files, their folders and the open files as they
    were; return what it raised."""
    before = {k: (p.read_bytes(), sorted(p.parent.iterdir())) for k, p in paths.items()}
    fds = open_fds()
    with pytest.raises(Cancelled) as err:
        load()
    assert type(err.value) is Cancelled  # not wrapped in WorkspaceError or DataError
    assert {k: (p.read_bytes(), sorted(p.parent.iterdir())) for k, p in paths.items()} == before
    assert open_fds() == fds
    return err.value


@pytest.mark.parametrize("kind", LOADERS)
def test_fractions_grow_and_end_at_one(kind, paths):
    progress = Recorder()
    LOADERS[kind](paths, progress)
    fractions = [f for f, _ in progress.calls]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert len(progress.calls) >= 5, progress.calls
    texts = {t for _, t in progress.calls}
    if kind == "workspace":
        assert {"Reading data.npz", "Reading weights.npz", "Opened run.playground"} <= texts
    else:
        assert {"Reading data.csv", "Parsing data.csv", "Converting data.csv"} <= texts


@pytest.mark.parametrize("kind", LOADERS)
def test_cancelled_before_the_call(kind, paths):
    progress = Recorder()
    progress.cancel()
    unchanged(paths, lambda: LOADERS[kind](paths, progress))
    assert len(progress.calls) == 0  # the first report already raised


@pytest.mark.parametrize("kind", LOADERS)
def test_cancelled_at_every_report(kind, paths):
    """Cancelled from inside the progress at its n-th report: the next report raises (n
    over some 30 points spread from the first report to the one before the last)."""
    reports = Recorder()
    LOADERS[kind](paths, reports)
    for n in sorted(set(np.linspace(1, len(reports.calls) - 1, 30).astype(int))):
        progress = Recorder(cancel_at=n)
        unchanged(paths, lambda: LOADERS[kind](paths, progress))
        assert len(progress.calls) == n


@pytest.mark.parametrize("kind", LOADERS)
def test_cancelled_from_another_thread(kind, paths):
    progress = Recorder(sleep=0.02)  # each piece of work takes 20 ms here
    outcome = {}

    def work():
        try:
            LOADERS[kind](paths, progress)
            outcome["result"] = "finished"
        except BaseException as exc:  # noqa: BLE001 - the test reports it
            outcome["result"] = exc
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    assert progress.started.wait(10)
    asked = time.perf_counter()
    progress.cancel()
    thread.join(10)
    assert not thread.is_alive()
    assert type(outcome["result"]) is Cancelled, outcome
    assert time.perf_counter() - asked < 0.5


@pytest.mark.parametrize("stage", ["Reading", "Parsing", "Converting"])
def test_csv_cancel_in_each_stage(stage, paths):
    class CancelIn(Recorder):
        def advance(self, done, total, text=None):
            super().advance(done, total, text)
            if text and text.startswith(stage):
                self.cancel()
    progress = CancelIn()
    unchanged(paths, lambda: load_csv(paths["csv"], progress=progress))
    assert progress.calls[-1][1].startswith(stage)


def test_parsing_reports_every_block_of_rows(paths):
    progress = Recorder()
    load_csv(paths["csv"], progress=progress)
    assert sum(t.startswith("Parsing") for _, t in progress.calls) == 20_000 // ROWS_PER_BLOCK


def test_a_wide_file_reports_every_block_of_cells(paths, monkeypatch):
    """A block holds at most CELLS_PER_BLOCK cells: 500 rows of these 6 columns here."""
    monkeypatch.setattr(csv_source, "CELLS_PER_BLOCK", 6 * 500)
    progress = Recorder()
    load_csv(paths["csv"], progress=progress)
    assert sum(t.startswith("Parsing") for _, t in progress.calls) == 20_000 // 500

"""FramePacer: a live snapshot drawn one view per event-loop turn, the worker released once
the last view has it; paused snapshots drawn at once."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from playground.ui.frame_pacer import FramePacer


class _View:
    def __init__(self, name: str, log: list, fail: bool = False) -> None:
        self.name, self.log, self.fail = name, log, fail

    def show_snapshot(self, snap) -> None:
        self.log.append((self.name, snap))
        if self.fail:
            raise RuntimeError("a view that breaks")


def _turn() -> None:
    QCoreApplication.processEvents()


def test_play_out_draws_one_view_per_turn_then_releases(qtbot):
    log, done = [], []
    pacer = FramePacer(lambda: done.append(len(log)))
    views = [_View(n, log) for n in "abc"]
    pacer.play_out("s1", views)
    assert log == [] and pacer.pending           # nothing drawn inside the delivery
    for _ in range(100):
        _turn()
        if log:
            break
    assert len(log) == 1                           # one view in a turn
    qtbot.waitUntil(lambda: bool(done))
    assert log == [("a", "s1"), ("b", "s1"), ("c", "s1")]
    assert done == [3] and not pacer.pending       # released once, after the last view


def test_a_new_frame_finishes_the_old_one_first(qtbot):
    log, done = [], []
    pacer = FramePacer(lambda: done.append(1))
    views = [_View(n, log) for n in "ab"]
    pacer.play_out("old", views)
    pacer.show("new", views)                       # a paused step arrives meanwhile
    assert log == [("a", "old"), ("b", "old"), ("a", "new"), ("b", "new")]
    assert done == [1]
    for _ in range(5):
        _turn()
    assert len(log) == 4                           # nothing drawn twice


def test_cancel_forgets_the_frame_but_releases_the_worker(qtbot):
    log, done = [], []
    pacer = FramePacer(lambda: done.append(1))
    pacer.play_out("s", [_View("a", log), _View("b", log)])
    pacer.cancel()
    for _ in range(5):
        _turn()
    assert log == [] and done == [1]


def test_a_failing_view_does_not_stall_the_worker(qtbot):
    log, done = [], []
    pacer = FramePacer(lambda: done.append(1))
    with qtbot.capture_exceptions() as raised:
        pacer.play_out("s", [_View("a", log, fail=True), _View("b", log)])
        qtbot.waitUntil(lambda: bool(done), timeout=2000)
    assert [type(e[1]) for e in raised] == [RuntimeError]   # reported, and the frame went on
    assert [name for name, _ in log] == ["a", "b"]


def test_main_window_draws_a_live_frame_across_turns_and_holds_the_worker(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    from playground.config import RunConfig
    from playground.ui.main_window import MainWindow
    cfg = RunConfig.from_dict({"format": 1, "data": {"source": "xor", "samples": 200},
                               "model": {"type": "mlp", "layers": [
                                   {"type": "dense", "units": 4, "activation": "tanh"}]},
                               "train": {"epochs": 0, "batch_size": 10}})
    w = MainWindow(cfg, settings=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(w)
    log: list = []
    probe = _View("probe", log)
    w.views.append(probe)
    seen: list = []

    def on_snapshot(snap):
        # inside the delivery: the probe, last in line, has not drawn this one yet
        seen.append((snap.epoch, any(s is snap for _, s in log), w.pacer.pending))

    w.controller.snapshot_ready.connect(on_snapshot)
    w.controller.play()
    qtbot.waitUntil(lambda: len(log) >= 5, timeout=20000)
    w.controller.pause()
    qtbot.waitUntil(lambda: not w._playing, timeout=5000)
    live = [s for s in seen[1:-1]]
    assert live and all(not drawn for _, drawn, _ in live)
    assert all(pending for _, _, pending in live)
    qtbot.waitUntil(lambda: not w.pacer.pending, timeout=5000)
    assert w.controller._worker.delivered.is_set()   # released after the last view


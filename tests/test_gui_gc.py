"""GuiThreadCollector: the interpreter's collection schedule, run on the GUI thread."""

from __future__ import annotations

import gc

import pytest

pytest.importorskip("pytestqt")

from playground.ui import gui_gc  # noqa: E402


class Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def collector(qapp, monkeypatch):
    calls: list[int] = []
    real = gc.collect

    def collect(generation: int = 2) -> int:
        calls.append(generation)
        return real(generation)

    monkeypatch.setattr(gui_gc.gc, "collect", collect)
    c = gui_gc.GuiThreadCollector(interval_ms=10**6)   # checked by hand here
    c.calls = calls
    yield c
    c._timer.stop()


def churn(collector, rounds: int, keep: list | None = None) -> None:
    """Allocate like a running app: short-lived containers, some kept (``keep``)."""
    for i in range(rounds):
        junk = [[j] for j in range(800)]     # alive at the check, gone after it
        if keep is not None:
            keep.extend(junk[:40])
        collector.check()
        del junk


def test_full_collections_wait_for_the_old_generation_to_grow_by_a_quarter(collector):
    held = [[i] for i in range(200_000)]     # a big heap of long-lived objects
    gc.collect()
    collector.long_lived = len(gc.get_objects(generation=2))
    collector.pending = 0
    collector.calls.clear()
    churn(collector, 400)                    # nothing kept: the old generation holds still
    assert collector.calls.count(1) >= 10    # middle collections run as the counts say
    assert 2 not in collector.calls          # ... but no full one: nothing much was promoted
    kept: list = []
    churn(collector, 2000, kept)             # 40 kept a round: 80,000 promoted, > a quarter
    assert 2 in collector.calls
    assert collector.pending < collector.long_lived / 4
    del held, kept


def test_garbage_cycles_are_still_collected(collector):
    import weakref
    ref = weakref.ref(Cycle())               # garbage only a cycle collection finds
    assert ref() is not None
    for _ in range(50):
        churn(collector, 1)
        if ref() is None:
            break
    assert ref() is None
    assert not gc.isenabled()                # automatic collection stays off


def test_a_module_imported_since_the_last_check_is_frozen_not_walked(collector):
    """An import's objects (functions, classes: tens of thousands) are frozen at the next
    check instead of being promoted into the generation every full collection walks."""
    import sys
    import types
    module = types.ModuleType("playground_test_imported")
    module.functions = [(lambda i=i: i) for i in range(20_000)]
    frozen = gc.get_freeze_count()
    sys.modules[module.__name__] = module
    try:
        collector.calls.clear()
        assert collector.check() == 0
        assert gc.get_freeze_count() >= frozen + 20_000
        assert collector.calls == []               # frozen without walking them
        old = {id(o) for o in gc.get_objects(generation=2)}
        assert not any(id(f) in old for f in module.functions[:100])
        churn(collector, 5)                        # and collections go on as before
        assert collector.calls
    finally:
        del sys.modules[module.__name__]

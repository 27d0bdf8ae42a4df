"""History keeps bounded, evenly spaced epoch records however long the run."""

import pytest
from hypothesis import given, strategies as st

from playground.engine.history import History


def _filled(n: int, max_records: int) -> History:
    h = History(max_records)
    for epoch in range(1, n + 1):
        h.append({"epoch": epoch, "loss": 1.0 / epoch})
    return h


def test_short_runs_keep_every_epoch_and_index_by_epoch():
    h = _filled(50, 64)
    assert len(h) == 50 and h.stride == 1
    assert [r["epoch"] for r in h] == list(range(1, 51))
    assert h[9]["epoch"] == 10
    assert h == [{"epoch": e, "loss": 1.0 / e} for e in range(1, 51)]


@given(n=st.integers(1, 3000), max_records=st.integers(2, 100))
def test_long_runs_stay_bounded_evenly_spaced_and_end_at_the_latest(n, max_records):
    h = _filled(n, max_records)
    epochs = [r["epoch"] for r in h]
    assert len(h) <= max_records + 1
    assert epochs[-1] == n
    kept = epochs if n % h.stride == 0 else epochs[:-1]
    assert kept == list(range(h.stride, n + 1, h.stride))
    if h.stride > 1:  # doubling leaves at least half the budget in use
        assert len(kept) >= max_records // 2


def test_a_million_epochs_keep_a_few_thousand_records():
    h = _filled(1_000_000, 4096)
    assert 2048 <= len(h) <= 4097


def test_since_returns_only_newer_records():
    h = _filled(300, 16)
    latest = h[-1]["epoch"]
    assert h.since(latest) == []
    assert [r["epoch"] for r in h.since(h[-3]["epoch"])] == [h[-2]["epoch"], latest]
    assert list(h.since(0)) == list(h)


@pytest.mark.parametrize("n", [0, 5, 37, 64])
def test_state_round_trip_continues_identically(n):
    a = _filled(n, 8)
    b = History.from_state(a.state())
    assert b == a and b.stride == a.stride
    for epoch in range(n + 1, n + 40):
        a.append({"epoch": epoch})
        b.append({"epoch": epoch})
    assert b == a and len(b) == len(a)

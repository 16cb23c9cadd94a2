"""The load generator's register: trace numbers, tallies merged across processes, its drawers."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reference_impl.flows.cash.models import TRACE_PATTERN
from sandbox.load.ledger import Ledger, TraceNumbers


def test_trace_numbers_are_unique_per_process_and_valid_for_sicoop() -> None:
    seen = set()
    for process in range(3):
        traces = TraceNumbers("0a1b2c3d", process)
        for _ in range(2000):
            trace = traces.next()
            assert re.fullmatch(TRACE_PATTERN, trace), trace
            assert not re.search(r"\d{9}", trace)  # never a long run of digits (masked as a card number)
            seen.add(trace)
    assert len(seen) == 6000


def test_ledgers_merge_and_round_trip(tmp_path: Path) -> None:
    a, b = Ledger("r1"), Ledger("r1")
    a.add("withdrawal.confirmed", 100_000)
    a.add("deposit.confirmed", 30_000)
    b.add("withdrawal.confirmed", 50_000)
    a.expires("2026-01-15T15:02:00+00:00")
    b.expires("2026-01-15T15:03:00+00:00")
    a.merge(b.to_dict())
    assert (a.count("withdrawal.confirmed"), a.amount("withdrawal.confirmed")) == (2, 150_000)
    assert a.latest_expiry == "2026-01-15T15:03:00+00:00"
    assert a.drawer_delta_minor == 30_000 - 150_000
    a.write(tmp_path / "ledger.json")
    assert Ledger.read(tmp_path / "ledger.json").to_dict() == a.to_dict()


def test_a_ledger_of_another_run_is_refused() -> None:
    with pytest.raises(ValueError, match="another run"):
        Ledger("r1").merge(Ledger("r2"))

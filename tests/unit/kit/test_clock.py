from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sandbox.kit.clock import Clock, FileClockState, from_us, to_us

START = datetime(2026, 1, 15, 15, 0, tzinfo=UTC)


def test_frozen_clock_moves_only_when_advanced() -> None:
    clock = Clock.frozen(START)
    assert clock.now() == START
    assert clock.now() == START
    assert clock.advance(300) == START + timedelta(minutes=5)
    assert clock.now() == START + timedelta(minutes=5)


def test_advance_refuses_going_back() -> None:
    with pytest.raises(ValueError, match="forward"):
        Clock.frozen(START).advance(-1)


def test_set_and_modes() -> None:
    clock = Clock.frozen(START)
    target = START + timedelta(days=3)
    assert clock.set(target) == target
    clock.unfreeze()
    assert clock.reading().mode == "real"
    # In real mode, time keeps the offset: now is at least the set instant.
    assert clock.now() >= target
    frozen_at = clock.freeze(START)
    assert frozen_at == START and clock.reading().mode == "frozen"


def test_real_clock_offset_moves_with_advance() -> None:
    clock = Clock()
    before = clock.offset_s()
    clock.advance(3600)
    assert clock.offset_s() - before == pytest.approx(3600, abs=1)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_us(datetime(2026, 1, 1))


def test_microsecond_round_trip() -> None:
    moment = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)
    assert from_us(to_us(moment)) == moment


def _advance_in_child(path: str) -> None:
    Clock(FileClockState(Path(path))).advance(120)


def test_file_clock_is_shared_between_processes(tmp_path: Path) -> None:
    path = tmp_path / "clock"
    state = FileClockState.create(path, mode="frozen", value_us=to_us(START))
    clock = Clock(state)
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=_advance_in_child, args=(str(path),))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert clock.now() == START + timedelta(minutes=2)
    # The same file opened again has the same identity (parties group by clock_id).
    assert FileClockState(path).clock_id == state.clock_id
    state.close()

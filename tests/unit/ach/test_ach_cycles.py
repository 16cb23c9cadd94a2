"""ACH compensation cycles on the sandbox clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sandbox.ach.cycles import DEFAULT_CYCLE_STARTS, cycle_at, next_business_day, schedule
from sandbox.protocols.colombia import COLOMBIA


@pytest.mark.parametrize(
    ("local", "number", "business_day"),
    [
        ("2026-01-15T00:00:00", 1, "2026-01-15"),
        ("2026-01-15T07:59:59", 1, "2026-01-15"),
        ("2026-01-15T08:00:00", 2, "2026-01-15"),
        ("2026-01-15T10:00:00", 3, "2026-01-15"),
        ("2026-01-15T13:59:59", 4, "2026-01-15"),
        ("2026-01-15T16:30:00", 6, "2026-01-15"),
        ("2026-01-15T19:59:59", 7, "2026-01-15"),
        ("2026-01-15T20:00:00", 8, "2026-01-15"),
        ("2026-01-15T23:59:59", 8, "2026-01-15"),
        ("2026-01-16T23:00:00", 8, "2026-01-16"),  # Friday night stays on Friday
        ("2026-01-17T09:00:00", 1, "2026-01-19"),  # Saturday → Monday's first cycle
        ("2026-01-18T22:00:00", 1, "2026-01-19"),  # Sunday
    ],
)
def test_cycle_of_a_local_instant(local: str, number: int, business_day: str) -> None:
    info = cycle_at(datetime.fromisoformat(local).replace(tzinfo=COLOMBIA))
    assert info.number == number
    assert info.business_date == date.fromisoformat(business_day)


def test_utc_instants_are_read_in_colombian_time() -> None:
    # 02:30 UTC on Friday is 21:30 on Thursday in Bogotá.
    info = cycle_at(datetime(2026, 1, 16, 2, 30, tzinfo=UTC))
    assert (info.number, info.business_date) == (8, date(2026, 1, 15))


def test_holidays_count_as_weekend() -> None:
    holiday = date(2026, 1, 12)  # a Monday
    info = cycle_at(datetime(2026, 1, 12, 10, 0, tzinfo=COLOMBIA), holidays={holiday})
    assert (info.number, info.business_date) == (1, date(2026, 1, 13))
    assert next_business_day(date(2026, 1, 9), {holiday}) == date(2026, 1, 13)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        cycle_at(datetime(2026, 1, 15, 10, 0))


@pytest.mark.parametrize(
    "starts", [(), (time(1, 0),), (time(0, 0), time(8, 0), time(8, 0)), (time(0, 0), time(9, 0), time(8, 0))]
)
def test_a_bad_schedule_is_refused(starts: tuple[time, ...]) -> None:
    with pytest.raises(ValueError, match="cycle"):
        cycle_at(datetime(2026, 1, 15, 10, 0, tzinfo=COLOMBIA), starts=starts)


def test_schedule_lists_every_cycle_with_its_window() -> None:
    rows = schedule()
    assert [r[0] for r in rows] == list(range(1, len(DEFAULT_CYCLE_STARTS) + 1))
    assert rows[0][1] == time(0, 0) and rows[-1][2] is None
    assert all(rows[i][2] == rows[i + 1][1] for i in range(len(rows) - 1))


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)))
def test_every_instant_has_one_cycle_on_a_business_day_not_before_it(moment: datetime) -> None:
    info = cycle_at(moment)
    local = moment.astimezone(COLOMBIA)
    assert 1 <= info.number <= len(DEFAULT_CYCLE_STARTS)
    assert info.business_date.weekday() < 5
    assert local.date() <= info.business_date <= local.date() + timedelta(days=3)
    if local.weekday() < 5:
        assert info.starts <= local.time().replace(tzinfo=None)
        assert info.ends is None or local.time().replace(tzinfo=None) < info.ends

"""Time enters the core as epoch microseconds; days depend on the timezone passed in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from reference_impl.core.instants import calendar_day, from_epoch_us, to_epoch_us

COLOMBIA = timezone(timedelta(hours=-5))
PARAGUAY_SUMMER = timezone(timedelta(hours=-3))
PARAGUAY_WINTER = timezone(timedelta(hours=-4))


def test_round_trip_is_exact_to_the_microsecond() -> None:
    moment = datetime(2024, 3, 10, 4, 59, 59, 999_999, tzinfo=UTC)
    assert from_epoch_us(to_epoch_us(moment)) == moment
    assert to_epoch_us(datetime(1970, 1, 1, tzinfo=UTC)) == 0


def test_offsets_name_the_same_instant() -> None:
    utc = datetime(2024, 3, 10, 5, 0, tzinfo=UTC)
    assert to_epoch_us(utc) == to_epoch_us(utc.astimezone(COLOMBIA))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_epoch_us(datetime(2024, 1, 1))


def test_ints_pass_through_and_other_types_are_refused() -> None:
    assert to_epoch_us(123) == 123
    with pytest.raises(TypeError):
        to_epoch_us(True)
    with pytest.raises(TypeError):
        to_epoch_us(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("utc_moment", "tz", "expected"),
    [
        # 04:59 UTC is still the previous day in Bogotá (-05:00); 05:00 UTC is midnight there.
        (datetime(2024, 3, 10, 4, 59, 59, tzinfo=UTC), COLOMBIA, date(2024, 3, 9)),
        (datetime(2024, 3, 10, 5, 0, 0, tzinfo=UTC), COLOMBIA, date(2024, 3, 10)),
        (datetime(2024, 1, 10, 2, 59, 59, tzinfo=UTC), PARAGUAY_SUMMER, date(2024, 1, 9)),
        (datetime(2024, 1, 10, 3, 0, 0, tzinfo=UTC), PARAGUAY_SUMMER, date(2024, 1, 10)),
        (datetime(2024, 7, 10, 3, 59, 59, tzinfo=UTC), PARAGUAY_WINTER, date(2024, 7, 9)),
        (datetime(2024, 7, 10, 4, 0, 0, tzinfo=UTC), PARAGUAY_WINTER, date(2024, 7, 10)),
        (datetime(2024, 7, 10, 0, 0, 0, tzinfo=UTC), UTC, date(2024, 7, 10)),
    ],
)
def test_calendar_day_boundary_is_the_timezone_passed_in(utc_moment: datetime, tz: timezone, expected: date) -> None:
    assert calendar_day(to_epoch_us(utc_moment), tz) == expected


def test_calendar_day_follows_a_zone_with_daylight_saving() -> None:
    zoneinfo = pytest.importorskip("zoneinfo")
    try:
        asuncion = zoneinfo.ZoneInfo("America/Asuncion")
    except zoneinfo.ZoneInfoNotFoundError:
        pytest.skip("no timezone database on this machine (install tzdata)")
    # January: -03:00; July: -04:00.
    assert calendar_day(to_epoch_us(datetime(2024, 1, 10, 2, 59, tzinfo=UTC)), asuncion) == date(2024, 1, 9)
    assert calendar_day(to_epoch_us(datetime(2024, 7, 10, 3, 59, tzinfo=UTC)), asuncion) == date(2024, 7, 9)
    assert calendar_day(to_epoch_us(datetime(2024, 7, 10, 4, 0, tzinfo=UTC)), asuncion) == date(2024, 7, 10)

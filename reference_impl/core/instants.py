"""Time as the core sees it: integer epoch microseconds, always passed in.

The core never reads a clock. Every decision takes ``now_us``: microseconds since
1970-01-01T00:00:00Z as an ``int`` (exact, cheap to compare, stored as BIGINT).
The shell converts the aware ``datetime`` its Clock gives with :func:`to_epoch_us`;
naive datetimes are refused because their instant is ambiguous.

Calendar days (for per-day limits) depend on where the member is: the day boundary is a
parameter (a ``tzinfo``: a fixed offset such as ``timezone(timedelta(hours=-5))`` for
Colombia, or ``zoneinfo.ZoneInfo("America/Asuncion")`` for Paraguay's -03:00/-04:00).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo

__all__ = ["EPOCH", "US_PER_S", "calendar_day", "from_epoch_us", "seconds_to_us", "to_epoch_us"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US_PER_S = 1_000_000
_ONE_US = timedelta(microseconds=1)


def to_epoch_us(moment: datetime | int) -> int:
    """Epoch microseconds of an aware ``datetime`` (an ``int`` is taken as epoch µs already)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("naive datetime: pass an aware datetime (with tzinfo)")
        return (moment - EPOCH) // _ONE_US
    if isinstance(moment, bool) or not isinstance(moment, int):
        raise TypeError(f"expected an aware datetime or epoch microseconds, got {type(moment).__name__}")
    return moment


def from_epoch_us(epoch_us: int) -> datetime:
    """The aware UTC ``datetime`` of epoch microseconds."""
    return EPOCH + timedelta(microseconds=epoch_us)


def seconds_to_us(seconds: int) -> int:
    return seconds * US_PER_S


def calendar_day(epoch_us: int, day_tz: tzinfo) -> date:
    """The local calendar day, in ``day_tz``, of the instant ``epoch_us``."""
    return from_epoch_us(epoch_us).astimezone(day_tz).date()

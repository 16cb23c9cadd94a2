"""ACH compensation cycles (``transactionCycle``), on the sandbox clock (logic). Pure.

ACH settles PSE payments between banks in numbered cycles of each business day. The sandbox
uses this schedule (Colombian time, ``America/Bogota``, no daylight saving):

=====  ===============
cycle  local time
=====  ===============
1      00:00 – 07:59
2      08:00 – 09:59
3      10:00 – 11:59
4      12:00 – 13:59
5      14:00 – 15:59
6      16:00 – 17:59
7      18:00 – 19:59
8      20:00 – 23:59
=====  ===============

Business days are Monday to Friday. A payment created on a Saturday or Sunday belongs to cycle
1 of the next Monday. Colombian public holidays are not modelled (give them as
``holidays`` to treat them like a weekend). A transaction keeps the cycle of the instant it was
created: ``CreateTransactionPaymentNF`` and every later ``GetTransactionInformationNF`` answer
the same ``transactionCycle``.

>>> from datetime import datetime
>>> cycle_at(datetime.fromisoformat("2026-01-15T10:00:00-05:00")).number
3
>>> info = cycle_at(datetime.fromisoformat("2026-01-17T09:00:00-05:00"))  # a Saturday
>>> info.number, info.business_date.isoformat()
(1, '2026-01-19')
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from sandbox.protocols.colombia import COLOMBIA

#: Local start time of cycles 1..N; the first starts at midnight.
DEFAULT_CYCLE_STARTS: Final[tuple[time, ...]] = (
    time(0, 0),
    time(8, 0),
    time(10, 0),
    time(12, 0),
    time(14, 0),
    time(16, 0),
    time(18, 0),
    time(20, 0),
)


@dataclass(frozen=True, slots=True)
class CycleInfo:
    business_date: date
    number: int
    #: Local start and end (exclusive) of the cycle's window on its business day.
    starts: time
    ends: time | None  # None: until midnight


def _check(starts: tuple[time, ...]) -> None:
    if not starts or starts[0] != time(0, 0):
        raise ValueError("the first cycle must start at 00:00")
    if list(starts) != sorted(set(starts)):
        raise ValueError("cycle starts must be strictly increasing")


def next_business_day(day: date, holidays: Collection[date] = ()) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5 or day in holidays:
        day += timedelta(days=1)
    return day


def cycle_at(
    moment: datetime,
    *,
    starts: tuple[time, ...] = DEFAULT_CYCLE_STARTS,
    holidays: Collection[date] = (),
    tz: ZoneInfo = COLOMBIA,
) -> CycleInfo:
    """The compensation cycle a payment created at ``moment`` (aware) belongs to."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: cycles need an aware instant")
    _check(starts)
    local = moment.astimezone(tz)
    day = local.date()
    if day.weekday() >= 5 or day in holidays:
        first_end = starts[1] if len(starts) > 1 else None
        return CycleInfo(next_business_day(day, holidays), 1, starts[0], first_end)
    clock = local.time().replace(tzinfo=None)
    index = max(i for i, start in enumerate(starts) if start <= clock)
    ends = starts[index + 1] if index + 1 < len(starts) else None
    return CycleInfo(day, index + 1, starts[index], ends)


def schedule(starts: tuple[time, ...] = DEFAULT_CYCLE_STARTS) -> list[tuple[int, time, time | None]]:
    """``[(number, starts, ends), ...]`` for pages and docs."""
    _check(starts)
    return [(i + 1, start, starts[i + 1] if i + 1 < len(starts) else None) for i, start in enumerate(starts)]

"""Limits (``limit_counters``): what each subject (an account, a card) has debited per calendar day,
the limit policies that apply to it, and the limits of a debit that has no hold (PSE debits at the
cooperative).

:class:`LimitCounters` loads and writes counters for a unit of work (one at a time, or all of a
batch of holds at once); :class:`LimitPolicies` resolves a policy from the configured rules and the
calendar day's timezone; :class:`LimitStore` is the aggregate's own commands. Decisions are the
core's (:mod:`reference_impl.core.limits`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, tzinfo
from typing import Any, Final

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.engine import Dialect

from reference_impl.core.holds import check_id
from reference_impl.core.instants import calendar_day, to_epoch_us
from reference_impl.core.limits import LimitCounter, LimitPolicy, LimitRule, check_debit, refund_debit, resolve_policy
from reference_impl.store.journal import LedgerJournal
from reference_impl.store.sql import Dates, KeyedSelect, Statement, chunks, locked
from reference_impl.store.tables import limit_counters
from reference_impl.store.unit_of_work import UnitOfWork

__all__ = ["LimitCounters", "LimitPolicies", "LimitStore", "Timestamp"]

Timestamp = Any  # an aware datetime or epoch microseconds (reference_impl.core.instants)
CounterKey = tuple[str, date]
_COUNTER_COLUMNS: Final = ("subject_id", "day", "count", "amount_minor")


class LimitPolicies:
    """The limit policy of an entity and product type (from the world's rules, cached), and the
    timezone of the "day" of daily limits (per entity, or the default)."""

    def __init__(
        self, rules: Sequence[LimitRule], day_tz: tzinfo, day_tz_by_entity: Mapping[str, tzinfo] | None = None
    ) -> None:
        self.rules = tuple(rules)
        self.day_tz = day_tz
        self.day_tz_by_entity = dict(day_tz_by_entity or {})
        self._cache: dict[tuple[str | None, str | None], LimitPolicy] = {}

    def policy_for(self, entity: str | None, product_type: str | None) -> LimitPolicy:
        key = (entity, product_type)
        policy = self._cache.get(key)
        if policy is None:
            policy = self._cache[key] = resolve_policy(self.rules, entity, product_type)
        return policy

    def day_tz_for(self, entity: str | None) -> tzinfo:
        if entity is not None:
            return self.day_tz_by_entity.get(entity, self.day_tz)
        return self.day_tz


class LimitCounters:
    """The day's counters, read locked and written with conditional updates."""

    def __init__(self, dialect: Dialect, uow: UnitOfWork) -> None:
        self._uow = uow
        self.dates = Dates(dialect)
        c = limit_counters.c
        self._select = KeyedSelect(
            lambda subjects, days: locked(
                select(limit_counters).where(c.subject_id.in_(subjects), c.day.in_(days)).order_by(c.subject_id, c.day),
                dialect,
            ),
            dialect,
        )
        self._insert = Statement(
            insert(limit_counters).values({name: bindparam(name) for name in _COUNTER_COLUMNS}),
            dialect,
            _COUNTER_COLUMNS,
        )
        self._update = Statement(
            update(limit_counters)
            .where(c.subject_id == bindparam("b_subject_id"), c.day == bindparam("b_day"))
            .ordered_values((c.count, bindparam("b_count")), (c.amount_minor, bindparam("b_amount_minor"))),
            dialect,
            ("b_count", "b_amount_minor", "b_subject_id", "b_day"),
        )

    def load(self, conn: Connection, subjects: Iterable[str], days: Iterable[date]) -> dict[CounterKey, LimitCounter]:
        """Every counter of ``subjects`` × ``days`` that exists, locked."""
        from_db = self.dates.from_db
        day_list = [self.dates.to_db(d) for d in sorted(days)]
        found: dict[CounterKey, LimitCounter] = {}
        for chunk in chunks(sorted(subjects)):
            for r in self._select.fetch(conn, chunk, day_list):
                day = from_db(r[1])
                assert day is not None
                found[(r[0], day)] = LimitCounter(r[0], day, r[2], r[3])
        return found

    def load_one(self, conn: Connection, subject_id: str, day: date) -> LimitCounter | None:
        return self.load(conn, [subject_id], [day]).get((subject_id, day))

    def write(self, conn: Connection, before: LimitCounter | None, after: LimitCounter) -> None:
        self.flush(
            conn,
            {(after.subject_id, after.day): after},
            {} if before is None else {(after.subject_id, after.day): before},
        )

    def flush(
        self, conn: Connection, counters: Mapping[CounterKey, LimitCounter], loaded: Mapping[CounterKey, LimitCounter]
    ) -> None:
        """Insert the counters that were not loaded, update the ones that changed (each must match)."""
        to_db = self.dates.to_db
        inserts: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        for key, c in counters.items():
            before = loaded.get(key)
            if before is None:
                inserts.append((c.subject_id, to_db(c.day), c.count, c.amount_minor))
            elif c is not before:
                updates.append((c.count, c.amount_minor, c.subject_id, to_db(c.day)))
        if inserts:
            self._insert.many(conn, inserts)
        if updates:
            self._uow.expect(self._update.many(conn, updates), len(updates))


class LimitStore:
    """Limits of a debit without a hold: check and count atomically, refund, read."""

    def __init__(
        self, uow: UnitOfWork, counters: LimitCounters, policies: LimitPolicies, journal: LedgerJournal
    ) -> None:
        self._uow = uow
        self._counters = counters
        self._policies = policies
        self._journal = journal

    def check_and_count_limits(
        self,
        subject_id: str,
        amount_minor: int,
        now: Timestamp,
        *,
        policy: LimitPolicy | None = None,
        entity: str | None = None,
        product_type: str | None = None,
        day_tz: tzinfo | None = None,
        available_minor: int | None = None,
    ) -> LimitCounter:
        """Check a debit against the limits and count it, atomically (PSE: tope, frequency,
        then funds — pass ``available_minor`` if known). Raises the decline; returns the
        day's counter after counting. If the debit then fails elsewhere, call
        :meth:`refund_limits` with the counter's ``day``."""
        check_id("subject_id", subject_id)
        now_us = to_epoch_us(now)
        chosen = policy if policy is not None else self._policies.policy_for(entity, product_type)
        day = calendar_day(now_us, day_tz or self._policies.day_tz_for(entity))

        def work(conn: Connection) -> LimitCounter:
            before = self._counters.load_one(conn, subject_id, day)
            after = check_debit(chosen, before or LimitCounter(subject_id, day), amount_minor, available_minor)
            self._counters.write(conn, before, after)
            self._journal.line(conn, now_us, "limits_counted", subject_id, amount_minor)
            return after

        return self._uow.run(work)

    def refund_limits(self, subject_id: str, amount_minor: int, day: date, now: Timestamp) -> LimitCounter:
        """Give back one counted debit of ``amount_minor`` on ``day`` (the debit did not happen)."""
        now_us = to_epoch_us(now)

        def work(conn: Connection) -> LimitCounter:
            before = self._counters.load_one(conn, subject_id, day)
            if before is None:
                return LimitCounter(subject_id, day)
            after = refund_debit(before, amount_minor)
            self._counters.write(conn, before, after)
            self._journal.line(conn, now_us, "limits_refunded", subject_id, amount_minor)
            return after

        return self._uow.run(work)

    def get_limit_counter(self, subject_id: str, day: date) -> LimitCounter:
        """What ``subject_id`` has debited on ``day`` (zeros if nothing)."""
        return self._uow.read(lambda conn: self._counters.load_one(conn, subject_id, day)) or LimitCounter(
            subject_id, day
        )

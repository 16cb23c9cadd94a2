"""The 1066 flow's state: payments by CUS (``pse_payments``), their attempts (``pse_attempts``),
the portal's failed logins (``portal_logins``), and the aggregates of the authorization store it
shares (limit counters, OTP challenges).

Every write is a conditional update on the row's ``version`` (or on the key for inserts) inside
one unit of work (:mod:`reference_impl.store.unit_of_work`): two clicks, two tabs or two workers
racing on one CUS end with one winner — the loser's transaction is run again from the start and
sees what the winner wrote (PSE-12). Rows are read ``FOR UPDATE`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` serializes writers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple, fields, replace
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, and_, delete, insert, select, update

from reference_impl.flows.pse_bank.logic import Attempt, LoginState, PsePayment
from reference_impl.store.authorization import AuthorizationStore
from reference_impl.store.limits import LimitCounters
from reference_impl.store.sql import locked
from reference_impl.store.tables import portal_logins, pse_attempts, pse_payments
from reference_impl.store.unit_of_work import LostRace, UnitOfWork

__all__ = ["PseRepository", "PseState"]

T = TypeVar("T")
_PAYMENT: Final = tuple(f.name for f in fields(PsePayment))
_ATTEMPT: Final = tuple(f.name for f in fields(Attempt))
_OPEN: Final = ("started", "identified", "authenticated", "authorizing", "authorized", "posting")


def _payment(row: Any) -> PsePayment:
    return PsePayment(**dict(zip(_PAYMENT, row, strict=True)))


def _attempt(row: Any) -> Attempt:
    return Attempt(**dict(zip(_ATTEMPT, row, strict=True)))


class PseRepository:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self.dialect = uow.engine.dialect

    # -- payments
    def get(self, conn: Connection, cus: str, *, lock: bool = False) -> PsePayment | None:
        query = select(pse_payments).where(pse_payments.c.cus == cus)
        row = conn.execute(locked(query, self.dialect) if lock else query).first()
        return None if row is None else _payment(row)

    def insert(self, conn: Connection, payment: PsePayment) -> None:
        conn.execute(insert(pse_payments).values(dict(zip(_PAYMENT, astuple(payment), strict=True))))

    def update(self, conn: Connection, before: PsePayment, after: PsePayment) -> PsePayment:
        """Write ``after`` if the row is still ``before`` (its version); else a lost race."""
        stored = replace(after, version=before.version + 1)
        values = dict(zip(_PAYMENT, astuple(stored), strict=True))
        del values["cus"]
        c = pse_payments.c
        result = conn.execute(
            update(pse_payments).where(and_(c.cus == before.cus, c.version == before.version)).values(values)
        )
        if result.rowcount != 1:
            raise LostRace(f"payment {before.cus} changed under us")
        return stored

    def due_ach(self, conn: Connection, now_us: int, limit: int) -> list[PsePayment]:
        c = pse_payments.c
        query = select(pse_payments).where(c.ach_sync == "due", c.ach_next_us <= now_us).order_by(c.ach_next_us)
        return [_payment(r) for r in conn.execute(query.limit(limit))]

    def due_coop(self, conn: Connection, now_us: int, limit: int) -> list[PsePayment]:
        c = pse_payments.c
        query = select(pse_payments).where(c.coop_sync != "none", c.coop_next_us <= now_us).order_by(c.coop_next_us)
        return [_payment(r) for r in conn.execute(query.limit(limit))]

    def coop_owed(self, conn: Connection, min_attempts: int, limit: int) -> list[PsePayment]:
        """Payments with a post, void or reversal coop has not acknowledged after ``min_attempts``
        tries or more (0: all), most tried first."""
        c = pse_payments.c
        query = select(pse_payments).where(c.coop_sync != "none", c.coop_attempts >= min_attempts)
        return [_payment(r) for r in conn.execute(query.order_by(c.coop_attempts.desc(), c.cus).limit(limit))]

    def stale(self, conn: Connection, created_before_us: int, limit: int) -> list[PsePayment]:
        """Payments still open that started before the cut (abandoned by the member)."""
        c = pse_payments.c
        query = select(pse_payments).where(c.status.in_(_OPEN), c.created_us < created_before_us)
        return [_payment(r) for r in conn.execute(query.order_by(c.created_us).limit(limit))]

    def between(self, conn: Connection, since_us: int, until_us: int) -> list[PsePayment]:
        c = pse_payments.c
        query = select(pse_payments).where(c.created_us >= since_us, c.created_us < until_us)
        return [_payment(r) for r in conn.execute(query.order_by(c.created_us))]

    def latest(self, conn: Connection, limit: int) -> list[PsePayment]:
        query = select(pse_payments).order_by(pse_payments.c.created_us.desc()).limit(limit)
        return [_payment(r) for r in conn.execute(query)]

    # -- attempts
    def attempts(self, conn: Connection, cus: str) -> list[Attempt]:
        c = pse_attempts.c
        return [_attempt(r) for r in conn.execute(select(pse_attempts).where(c.cus == cus).order_by(c.seq))]

    def attempt(self, conn: Connection, cus: str, seq: int) -> Attempt | None:
        c = pse_attempts.c
        row = conn.execute(select(pse_attempts).where(c.cus == cus, c.seq == seq)).first()
        return None if row is None else _attempt(row)

    def insert_attempt(self, conn: Connection, attempt: Attempt) -> None:
        conn.execute(insert(pse_attempts).values(dict(zip(_ATTEMPT, astuple(attempt), strict=True))))

    def update_attempt(self, conn: Connection, before: Attempt, after: Attempt) -> None:
        """Write ``after`` if the attempt's outcome and sync are still ``before``'s."""
        values = dict(zip(_ATTEMPT, astuple(after), strict=True))
        del values["cus"], values["seq"]
        c = pse_attempts.c
        result = conn.execute(
            update(pse_attempts)
            .where(c.cus == before.cus, c.seq == before.seq, c.outcome == before.outcome, c.sync == before.sync)
            .values(values)
        )
        if result.rowcount != 1:
            raise LostRace(f"attempt {before.cus}:{before.seq} changed under us")

    def due_attempts(self, conn: Connection, now_us: int, limit: int) -> list[Attempt]:
        c = pse_attempts.c
        query = select(pse_attempts).where(c.sync != "none", c.sync_next_us <= now_us).order_by(c.sync_next_us)
        return [_attempt(r) for r in conn.execute(query.limit(limit))]

    def attempts_owed(self, conn: Connection, min_attempts: int, limit: int) -> list[Attempt]:
        """Authorizations still to be resolved or voided at coop after ``min_attempts`` tries or
        more (0: all), most tried first."""
        c = pse_attempts.c
        query = select(pse_attempts).where(c.sync != "none", c.sync_attempts >= min_attempts)
        return [_attempt(r) for r in conn.execute(query.order_by(c.sync_attempts.desc(), c.cus, c.seq).limit(limit))]

    # -- portal logins
    def login(self, conn: Connection, username: str) -> LoginState | None:
        c = portal_logins.c
        row = conn.execute(locked(select(portal_logins).where(c.username == username), self.dialect)).first()
        return None if row is None else LoginState(row[0], row[1], bool(row[2]), row[3], row[4])

    def save_login(self, conn: Connection, before: LoginState | None, after: LoginState) -> None:
        values = {"failures": after.failures, "locked": after.locked, "next_allowed_us": after.next_allowed_us}
        if before is None:
            conn.execute(insert(portal_logins).values(username=after.username, version=0, **values))
            return
        c = portal_logins.c
        result = conn.execute(
            update(portal_logins)
            .where(c.username == before.username, c.version == before.version)
            .values(version=before.version + 1, **values)
        )
        if result.rowcount != 1:
            raise LostRace(f"login of {before.username} changed under us")

    # -- reset
    def wipe(self, conn: Connection) -> None:
        for table in (pse_attempts, pse_payments, portal_logins):
            conn.execute(delete(table))


class PseState:
    """The flow's repositories and the shared aggregates, over the switch's one unit of work."""

    def __init__(self, store: AuthorizationStore) -> None:
        self.uow = store.unit_of_work
        self.payments = PseRepository(self.uow)
        self.counters = LimitCounters(store.engine.dialect, self.uow)
        self.otp = store.otp
        self.policies = store.policies

    def run(self, work: Callable[[Connection], T]) -> T:
        """One transaction, run again from the start after a lost race (call from a thread)."""
        return self.uow.run(work)

    def read(self, work: Callable[[Connection], T]) -> T:
        return self.uow.read(work)

    def reset(self) -> None:
        self.uow.run(self.payments.wipe)

    def counts(self) -> dict[str, int]:
        from sqlalchemy import func

        c = pse_payments.c
        query = select(c.status, func.count()).group_by(c.status)
        return self.read(lambda conn: {status: int(n) for status, n in conn.execute(query)})

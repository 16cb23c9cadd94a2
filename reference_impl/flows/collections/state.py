"""The collections flow's state: visits (``collection_sessions``), payments and their items
(``collection_payments``, ``collection_items``) and the confirmations received
(``collection_confirmations``), in the switch's store.

Every write is one unit of work through the switch's group commit (one transaction, retried whole
after a lost race); rows are updated on their ``version`` (a stale write is a lost race, run again
by the caller). Not a hot path: statements are SQLAlchemy Core, executed on the connection.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, func, insert, select, update

from reference_impl.flows.collections.logic import (
    CreditState,
    ItemRecord,
    PaymentRecord,
    PayState,
    SessionState,
    Visit,
)
from reference_impl.store.authorization import AuthorizationStore
from reference_impl.store.sql import locked
from reference_impl.store.tables import (
    collection_confirmations,
    collection_items,
    collection_payments,
    collection_sessions,
)
from reference_impl.store.unit_of_work import GroupCommit, LostRace

__all__ = ["CollectionsState", "StaleRecord"]

T = TypeVar("T")
R = TypeVar("R")


class StaleRecord(LostRace):
    """A versioned update matched no row: someone wrote first (the unit of work runs again)."""


_ITEM_COLUMNS = tuple(c.name for c in collection_items.columns)
_PAYMENT_COLUMNS = tuple(c.name for c in collection_payments.columns)


def _visit(row: Any) -> Visit:
    data = json.loads(row.data)
    return Visit(
        id=row.id,
        state=SessionState(row.state),
        created_us=row.created_us,
        expires_us=row.expires_us,
        version=row.version,
        **data,
    )


def _item(row: Any) -> ItemRecord:
    values = dict(zip(_ITEM_COLUMNS, row, strict=True))
    values["credit_state"] = CreditState(values["credit_state"])
    return ItemRecord(**values)


def _payment(row: Any, items: list[ItemRecord]) -> PaymentRecord:
    values = dict(zip(_PAYMENT_COLUMNS, row, strict=True))
    values["state"] = PayState(values["state"])
    values["payer"] = json.loads(values["payer"])
    return PaymentRecord(**values, items=items)


def _item_values(item: ItemRecord) -> dict[str, Any]:
    return {name: getattr(item, name) for name in _ITEM_COLUMNS} | {"credit_state": item.credit_state.value}


def _payment_values(p: PaymentRecord) -> dict[str, Any]:
    values = {name: getattr(p, name) for name in _PAYMENT_COLUMNS}
    values["state"] = p.state.value
    values["payer"] = json.dumps(p.payer, ensure_ascii=False, sort_keys=True)
    return values


class CollectionsState:
    def __init__(self, store: AuthorizationStore, commit: GroupCommit) -> None:
        self.store = store
        self.commit = commit
        self.uow = store.unit_of_work

    async def _write(self, work: Callable[[Connection], T]) -> T:
        return await self.commit.run(work)

    def _read(self, work: Callable[[Connection], T]) -> T:
        return self.uow.read(work)

    # -- visits --------------------------------------------------------------------------------------------
    async def add_visit(self, visit: Visit) -> None:
        def work(conn: Connection) -> None:
            conn.execute(
                insert(collection_sessions).values(
                    id=visit.id,
                    state=visit.state.value,
                    created_us=visit.created_us,
                    expires_us=visit.expires_us,
                    data=json.dumps(visit.data(), ensure_ascii=False),
                    version=0,
                )
            )

        await self._write(work)

    def visit(self, visit_id: str) -> Visit | None:
        def read(conn: Connection) -> Visit | None:
            row = conn.execute(select(collection_sessions).where(collection_sessions.c.id == visit_id)).first()
            return None if row is None else _visit(row)

        return self._read(read)

    @staticmethod
    def _save_visit(conn: Connection, visit: Visit) -> None:
        s = collection_sessions.c
        done = conn.execute(
            update(collection_sessions)
            .where(and_(s.id == visit.id, s.version == visit.version))
            .values(
                state=visit.state.value,
                expires_us=visit.expires_us,
                data=json.dumps(visit.data(), ensure_ascii=False),
                version=visit.version + 1,
            )
        )
        if done.rowcount != 1:
            raise StaleRecord(f"visit {visit.id} changed")
        visit.version += 1

    async def save_visit(self, visit: Visit) -> None:
        await self._write(lambda conn: self._save_visit(conn, visit))

    async def save_visit_if(self, visit: Visit, check: Callable[[Connection], R | None]) -> R | None:
        """``check`` on the same connection (a code's verification), then the visit only if it
        passed (returned None): the code's use and the visit's move commit together, so a crash
        between them can never leave a code used and its visit where it was."""

        def work(conn: Connection) -> R | None:
            refused = check(conn)
            if refused is None:
                self._save_visit(conn, visit)
            return refused

        return await self._write(work)

    # -- payments ------------------------------------------------------------------------------------------
    async def start_payment(
        self, visit: Visit, payment: PaymentRecord, check: Callable[[Connection], R | None] | None = None
    ) -> R | None:
        """The payment, its items and the visit marked started, in one transaction — after ``check``
        (the payment code's verification) on the same connection, and only if it passed."""

        def work(conn: Connection) -> R | None:
            refused = check(conn) if check is not None else None
            if refused is None:
                conn.execute(insert(collection_payments).values(_payment_values(payment)))
                conn.execute(insert(collection_items), [_item_values(i) for i in payment.items])
                self._save_visit(conn, visit)
            return refused

        return await self._write(work)

    def _load(self, conn: Connection, reference: str, *, lock: bool = False) -> PaymentRecord | None:
        stmt = select(collection_payments).where(collection_payments.c.reference == reference)
        if lock:
            stmt = locked(stmt, conn.dialect)
        row = conn.execute(stmt).first()
        if row is None:
            return None
        items = conn.execute(
            select(collection_items).where(collection_items.c.reference == reference).order_by(collection_items.c.seq)
        ).all()
        return _payment(row, [_item(i) for i in items])

    def payment(self, reference: str) -> PaymentRecord | None:
        return self._read(lambda conn: self._load(conn, reference))

    async def update_payment(
        self, reference: str, change: Callable[[PaymentRecord], bool]
    ) -> tuple[PaymentRecord | None, bool]:
        """Load the payment, let ``change`` modify it (True: it changed), write it back on its
        version — all in one transaction, run again after a lost race."""

        def work(conn: Connection) -> tuple[PaymentRecord | None, bool]:
            payment = self._load(conn, reference, lock=True)
            if payment is None or not change(payment):
                return payment, False
            values = _payment_values(payment)
            values["version"] = payment.version + 1
            p = collection_payments.c
            done = conn.execute(
                update(collection_payments)
                .where(and_(p.reference == reference, p.version == payment.version))
                .values({k: v for k, v in values.items() if k != "reference"})
            )
            if done.rowcount != 1:
                raise StaleRecord(f"payment {reference} changed")
            payment.version += 1
            i = collection_items.c
            for item in payment.items:
                conn.execute(
                    update(collection_items)
                    .where(and_(i.reference == reference, i.seq == item.seq))
                    .values({k: v for k, v in _item_values(item).items() if k not in ("reference", "seq")})
                )
            return payment, True

        return await self._write(work)

    def due_queries(self, now_us: int, limit: int = 100) -> list[str]:
        p = collection_payments.c
        stmt = select(p.reference).where(p.next_query_us <= now_us).order_by(p.next_query_us).limit(limit)
        return self._read(lambda conn: [r[0] for r in conn.execute(stmt)])

    def due_credits(self, now_us: int, limit: int = 100) -> list[str]:
        i = collection_items.c
        stmt = (
            select(i.reference)
            .where(and_(i.next_us <= now_us, i.credit_state == CreditState.APPLYING.value))
            .group_by(i.reference)
            .order_by(func.min(i.next_us))
            .limit(limit)
        )
        return self._read(lambda conn: [r[0] for r in conn.execute(stmt)])

    def payments_between(self, start_us: int, end_us: int) -> list[PaymentRecord]:
        """Payments created in ``[start_us, end_us)`` with their items, oldest first."""
        p = collection_payments.c
        return self._many(and_(p.created_us >= start_us, p.created_us < end_us), limit=None, newest=False)

    def latest(self, limit: int = 100) -> list[PaymentRecord]:
        return self._many(None, limit=limit, newest=True)

    def unapplied(self) -> list[PaymentRecord]:
        """Approved payments with items not credited (applying or refused), oldest first."""
        i = collection_items.c
        refs = select(i.reference).where(i.credit_state.in_([CreditState.APPLYING.value, CreditState.REFUSED.value]))
        p = collection_payments.c
        return self._many(and_(p.reference.in_(refs), p.state == PayState.APPROVED.value), limit=None, newest=False)

    def _many(self, where: Any, *, limit: int | None, newest: bool) -> list[PaymentRecord]:
        p = collection_payments.c

        def read(conn: Connection) -> list[PaymentRecord]:
            stmt = select(collection_payments)
            if where is not None:
                stmt = stmt.where(where)
            stmt = stmt.order_by(p.created_us.desc() if newest else p.created_us, p.reference)
            if limit is not None:
                stmt = stmt.limit(limit)
            rows = conn.execute(stmt).all()
            if not rows:
                return []
            refs = [r.reference for r in rows]
            by_ref: dict[str, list[ItemRecord]] = {r: [] for r in refs}
            for chunk_start in range(0, len(refs), 500):
                chunk = refs[chunk_start : chunk_start + 500]
                for row in conn.execute(
                    select(collection_items)
                    .where(collection_items.c.reference.in_(chunk))
                    .order_by(collection_items.c.reference, collection_items.c.seq)
                ):
                    by_ref[row.reference].append(_item(row))
            return [_payment(r, by_ref[r.reference]) for r in rows]

        return self._read(read)

    def counts(self) -> dict[str, int]:
        p = collection_payments.c
        stmt = select(p.state, func.count()).group_by(p.state)
        return self._read(lambda conn: {state: n for state, n in conn.execute(stmt)})

    # -- confirmations (COL-20: the first one counts, duplicates only count) --------------------------------
    async def record_confirmation(self, transaction_id: str, state_pol: str, reference: str, now_us: int) -> int:
        """Record a verified confirmation; how many times it has now been received (1: the first)."""

        def work(conn: Connection) -> int:
            c = collection_confirmations.c
            key = and_(c.transaction_id == transaction_id, c.state_pol == state_pol)
            row = conn.execute(select(c.count).where(key)).first()
            if row is None:
                conn.execute(
                    insert(collection_confirmations).values(
                        transaction_id=transaction_id,
                        state_pol=state_pol,
                        reference=reference,
                        first_us=now_us,
                        count=1,
                    )
                )
                return 1
            seen = int(row[0]) + 1
            conn.execute(update(collection_confirmations).where(key).values(count=seen))
            return seen

        return await self._write(work)

    def confirmations_of(self, reference: str) -> list[dict[str, Any]]:
        c = collection_confirmations.c
        stmt = select(collection_confirmations).where(c.reference == reference).order_by(c.first_us)
        return self._read(lambda conn: [dict(r._mapping) for r in conn.execute(stmt)])


def references(payments: Sequence[PaymentRecord]) -> list[str]:
    return [p.reference for p in payments]

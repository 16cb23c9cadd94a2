"""Repository of SICOOP cash transactions (``sicoop_transactions``) and their events.

Every method works on a connection inside :meth:`AuthorizationStore.transaction`, so a cash
transaction row, its hold on the switch's ledger, its limit counter and its idempotency key
are written in one database transaction. Rows are loaded with ``FOR UPDATE`` on PostgreSQL
(SQLite's ``BEGIN IMMEDIATE`` already serializes writers) and updated on their ``version``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from operator import attrgetter
from typing import Any, Final

from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import Select

from reference_impl.store.prepared import Prepared
from reference_impl.store.tables import accounts, metadata, sicoop_events, sicoop_transactions

__all__ = ["CashEvent", "CashRepository", "CashTransaction", "StaleTransaction"]

_OPEN: Final = ("authorizing", "approved")


class StaleTransaction(RuntimeError):
    """An update matched no row: the row changed under a lock we hold (a bug, never a race)."""


@dataclass(frozen=True, slots=True)
class CashTransaction:
    id: str
    kind: str
    trace_number: str
    body_hash: str
    counter_id: str
    document_number: str | None
    phone: str | None
    card_id: str | None
    amount_minor: int
    currency: str
    status: str
    reason_code: str | None
    hold_id: str | None
    created_us: int
    updated_us: int
    expires_us: int | None
    resolved_us: int | None
    issuer_state: str
    issuer_sync: str
    issuer_attempts: int
    issuer_next_us: int | None
    version: int = 0

    def moved(self, **changes: Any) -> CashTransaction:
        """This transaction with ``changes`` and the next version."""
        return replace(self, version=self.version + 1, **changes)


@dataclass(frozen=True, slots=True)
class CashEvent:
    transaction_id: str
    at_us: int
    actor: str
    event: str
    from_status: str | None
    to_status: str
    reason_code: str | None = None
    detail: dict[str, Any] | None = None

    def values(self) -> tuple[Any, ...]:
        """The row's values in ``_EVENT_COLUMNS`` order (``detail`` as JSON text)."""
        detail = None if self.detail is None else json.dumps(self.detail, sort_keys=True, ensure_ascii=False)
        return (
            self.transaction_id,
            self.at_us,
            self.actor,
            self.event,
            self.from_status,
            self.to_status,
            self.reason_code,
            detail,
        )


_COLUMNS: Final = tuple(c.name for c in sicoop_transactions.columns)
_EVENT_COLUMNS: Final = (
    "transaction_id",
    "at_us",
    "actor",
    "event",
    "from_status",
    "to_status",
    "reason_code",
    "detail",
)


_UPDATED: Final = _COLUMNS[1:]  # every column but the id
_ACCOUNT_COLUMNS: Final = tuple(c.name for c in accounts.columns)


def _txn(row: Any) -> CashTransaction:
    return CashTransaction(*row)


astuple_fields: Final[Callable[[CashTransaction], tuple[Any, ...]]] = attrgetter(*_COLUMNS)
"""The transaction's values in column order (``_COLUMNS``; the version last)."""


class CashRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._is_pg = engine.dialect.name == "postgresql"
        self._insert = insert(sicoop_transactions)
        self._insert_events = insert(sicoop_events)
        dialect = engine.dialect
        txn = sicoop_transactions.c
        self._p_insert = Prepared(
            insert(sicoop_transactions).values({n: bindparam(n) for n in _COLUMNS}), dialect, _COLUMNS
        )
        self._p_update = Prepared(
            update(sicoop_transactions)
            .where(txn.id == bindparam("b_id"), txn.version == bindparam("b_seen_version"))
            .values({n: bindparam(f"b_{n}") for n in _UPDATED}),
            dialect,
            (*(f"b_{n}" for n in _UPDATED), "b_id", "b_seen_version"),
        )
        self._p_get = Prepared(select(sicoop_transactions).where(txn.id == bindparam("b_id")), dialect, ("b_id",))
        self._p_get_locked = Prepared(
            self._locked(select(sicoop_transactions).where(txn.id == bindparam("b_id"))), dialect, ("b_id",)
        )
        self._p_by_trace = Prepared(
            select(sicoop_transactions).where(txn.trace_number == bindparam("b_trace")), dialect, ("b_trace",)
        )
        self._p_event = Prepared(
            insert(sicoop_events).values({n: bindparam(n) for n in _EVENT_COLUMNS}), dialect, _EVENT_COLUMNS
        )
        dialect_insert = postgresql.insert if self._is_pg else sqlite.insert
        self._p_ensure_account = Prepared(
            dialect_insert(accounts)
            .values({n: bindparam(n) for n in _ACCOUNT_COLUMNS})
            .on_conflict_do_nothing(index_elements=["account_id"]),
            dialect,
            _ACCOUNT_COLUMNS,
        )
        self._known_accounts: set[str] = set()

    def _locked(self, stmt: Select[Any]) -> Select[Any]:
        return stmt.with_for_update() if self._is_pg else stmt

    # -- writes -----------------------------------------------------------------------------------
    def insert(self, conn: Connection, txn: CashTransaction) -> None:
        self._p_insert.execute(conn, astuple_fields(txn))

    def update(self, conn: Connection, before: CashTransaction, after: CashTransaction) -> None:
        values = astuple_fields(after)
        if self._p_update.execute(conn, (*values[1:], before.id, before.version)) != 1:
            raise StaleTransaction(f"transaction {before.id} changed under its lock")

    def add_events(self, conn: Connection, events: Iterable[CashEvent]) -> None:
        for event in events:
            self._p_event.execute(conn, event.values())

    def ensure_card_accounts(self, conn: Connection, cards: Sequence[tuple[str, str | None]]) -> None:
        """Create the switch's shadow ledger account of each card (balance kept by CEIBO)."""
        new = [(card_id, entity) for card_id, entity in cards if card_id not in self._known_accounts]
        if not new:
            return
        # account_id, balance_minor (kept by CEIBO), pending debit and credit, active, entity, product, version
        self._p_ensure_account.many(conn, [(card_id, None, 0, 0, True, entity, "DIMO", 0) for card_id, entity in new])

    def accounts_committed(self, cards: Iterable[str]) -> None:
        """Remember accounts known to exist (call after the transaction that ensured them commits)."""
        self._known_accounts.update(cards)

    def forget_accounts(self) -> None:
        self._known_accounts.clear()

    # -- reads ------------------------------------------------------------------------------------
    def get(self, conn: Connection, txn_id: str, *, lock: bool = False) -> CashTransaction | None:
        row = (self._p_get_locked if lock else self._p_get).one(conn, (txn_id,))
        return None if row is None else _txn(row)

    def get_by_trace(self, conn: Connection, trace_number: str) -> CashTransaction | None:
        row = self._p_by_trace.one(conn, (trace_number,))
        return None if row is None else _txn(row)

    def due_for_expiry(self, conn: Connection, now_us: int, limit: int) -> list[CashTransaction]:
        """Open transactions (authorizing or approved) whose hold deadline has passed."""
        stmt = (
            select(sicoop_transactions)
            .where(sicoop_transactions.c.status.in_(_OPEN), sicoop_transactions.c.expires_us <= now_us)
            .order_by(sicoop_transactions.c.expires_us)
            .limit(limit)
        )
        if self._is_pg:
            stmt = stmt.with_for_update(skip_locked=True)
        return [_txn(r) for r in conn.execute(stmt)]

    def due_for_issuer(self, conn: Connection, now_us: int, limit: int) -> list[CashTransaction]:
        """Transactions whose post or void still has to reach CEIBO, due now."""
        stmt = (
            select(sicoop_transactions)
            .where(sicoop_transactions.c.issuer_sync != "none", sicoop_transactions.c.issuer_next_us <= now_us)
            .order_by(sicoop_transactions.c.issuer_next_us)
            .limit(limit)
        )
        return [_txn(r) for r in conn.execute(stmt)]

    def between(
        self, conn: Connection, since_us: int, until_us: int, *, kind: str | None = None, limit: int | None = None
    ) -> list[CashTransaction]:
        cond = [sicoop_transactions.c.created_us >= since_us, sicoop_transactions.c.created_us < until_us]
        if kind is not None:
            cond.append(sicoop_transactions.c.kind == kind)
        stmt = select(sicoop_transactions).where(and_(*cond)).order_by(sicoop_transactions.c.created_us)
        if limit is not None:
            stmt = stmt.limit(limit)
        return [_txn(r) for r in conn.execute(stmt)]

    def latest(self, conn: Connection, limit: int, *, kind: str | None = None) -> list[CashTransaction]:
        stmt = select(sicoop_transactions)
        if kind is not None:
            stmt = stmt.where(sicoop_transactions.c.kind == kind)
        stmt = stmt.order_by(sicoop_transactions.c.created_us.desc(), sicoop_transactions.c.id).limit(limit)
        return [_txn(r) for r in conn.execute(stmt)]

    def counts(self, conn: Connection) -> dict[str, int]:
        stmt = select(sicoop_transactions.c.status, func.count()).group_by(sicoop_transactions.c.status)
        return {status: int(n) for status, n in conn.execute(stmt)}

    def events(self, conn: Connection, txn_id: str) -> list[dict[str, Any]]:
        stmt = select(sicoop_events).where(sicoop_events.c.transaction_id == txn_id).order_by(sicoop_events.c.seq)
        out = []
        for row in conn.execute(stmt):
            item = dict(row._mapping)
            item["detail"] = None if item["detail"] is None else json.loads(item["detail"])
            out.append(item)
        return out

    def open_count(self, conn: Connection) -> int:
        stmt = select(func.count()).where(
            or_(sicoop_transactions.c.status.in_(_OPEN), sicoop_transactions.c.issuer_sync != "none")
        )
        return int(conn.execute(stmt).scalar_one())

    # -- reset ------------------------------------------------------------------------------------
    def wipe_all(self, conn: Connection) -> None:
        """Delete every row of every table of the switch's store (``/_sandbox/reset``)."""
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
        self._known_accounts.clear()

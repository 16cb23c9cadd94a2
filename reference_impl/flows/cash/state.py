"""The cash flow's state: SICOOP cash transactions (``sicoop_transactions``) and their events.

Every method works on a connection inside a unit of work (:mod:`reference_impl.store.unit_of_work`),
so a cash transaction row, its hold on the switch's ledger, its limit counter and its idempotency
key are written in one database transaction. Rows are loaded with ``FOR UPDATE`` on PostgreSQL
(SQLite's ``BEGIN IMMEDIATE`` already serializes writers) and updated on their ``version``.
Statements go through the store's SQL helper (:mod:`reference_impl.store.sql`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any, Final

from sqlalchemy import Connection, Engine, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from reference_impl.flows.cash.logic import CashTransaction, TransactionEvent
from reference_impl.store.authorization import AuthorizationStore
from reference_impl.store.sql import Statement, locked
from reference_impl.store.tables import accounts, metadata, sicoop_events, sicoop_transactions
from reference_impl.store.unit_of_work import GroupCommit

__all__ = ["CashRepository", "CashState", "StaleTransaction"]

_OPEN: Final = ("authorizing", "approved")


class StaleTransaction(RuntimeError):
    """An update matched no row: the row changed under a lock we hold (a bug, never a race)."""


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


_EVENT_ROW: Final = tuple(c.name for c in sicoop_events.columns)
_UPDATED: Final = _COLUMNS[1:]  # every column but the id
_ACCOUNT_COLUMNS: Final = tuple(c.name for c in accounts.columns)


def _txn(row: Any) -> CashTransaction:
    return CashTransaction(*row)


astuple_fields: Final[Callable[[CashTransaction], tuple[Any, ...]]] = attrgetter(*_COLUMNS)
"""The transaction's values in column order (``_COLUMNS``; the version last)."""


class CashRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect
        txn = sicoop_transactions.c
        self._p_insert = Statement(
            insert(sicoop_transactions).values({n: bindparam(n) for n in _COLUMNS}), dialect, _COLUMNS
        )
        self._p_update = Statement(
            update(sicoop_transactions)
            .where(txn.id == bindparam("b_id"), txn.version == bindparam("b_seen_version"))
            .values({n: bindparam(f"b_{n}") for n in _UPDATED}),
            dialect,
            (*(f"b_{n}" for n in _UPDATED), "b_id", "b_seen_version"),
        )
        self._p_get = Statement(select(sicoop_transactions).where(txn.id == bindparam("b_id")), dialect, ("b_id",))
        self._p_get_locked = Statement(
            locked(select(sicoop_transactions).where(txn.id == bindparam("b_id")), dialect), dialect, ("b_id",)
        )
        self._p_by_trace = Statement(
            select(sicoop_transactions).where(txn.trace_number == bindparam("b_trace")), dialect, ("b_trace",)
        )
        self._p_event = Statement(
            insert(sicoop_events).values({n: bindparam(n) for n in _EVENT_COLUMNS}), dialect, _EVENT_COLUMNS
        )
        dialect_insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
        self._p_ensure_account = Statement(
            dialect_insert(accounts)
            .values({n: bindparam(n) for n in _ACCOUNT_COLUMNS})
            .on_conflict_do_nothing(index_elements=["account_id"]),
            dialect,
            _ACCOUNT_COLUMNS,
        )
        is_open = txn.status.in_([bindparam("b_open_1"), bindparam("b_open_2")])
        self._p_due_expiry = Statement(
            locked(
                select(sicoop_transactions)
                .where(is_open, txn.expires_us <= bindparam("b_now"))
                .order_by(txn.expires_us)
                .limit(bindparam("b_limit")),
                dialect,
                skip_locked=True,
            ),
            dialect,
            ("b_open_1", "b_open_2", "b_now", "b_limit"),
        )
        self._p_due_issuer = Statement(
            select(sicoop_transactions)
            .where(txn.issuer_sync != bindparam("b_none"), txn.issuer_next_us <= bindparam("b_now"))
            .order_by(txn.issuer_next_us)
            .limit(bindparam("b_limit")),
            dialect,
            ("b_none", "b_now", "b_limit"),
        )
        self._p_issuer_pending = Statement(
            select(sicoop_transactions)
            .where(txn.issuer_sync != bindparam("b_none"), txn.issuer_attempts >= bindparam("b_min"))
            .order_by(txn.issuer_attempts.desc(), txn.created_us)
            .limit(bindparam("b_limit")),
            dialect,
            ("b_none", "b_min", "b_limit"),
        )
        self._p_between = Statement(
            select(sicoop_transactions)
            .where(txn.created_us >= bindparam("b_since"), txn.created_us < bindparam("b_until"))
            .order_by(txn.created_us),
            dialect,
            ("b_since", "b_until"),
        )
        self._p_latest = Statement(
            select(sicoop_transactions).order_by(txn.created_us.desc(), txn.id).limit(bindparam("b_limit")),
            dialect,
            ("b_limit",),
        )
        self._p_counts = Statement(select(txn.status, func.count()).group_by(txn.status), dialect)
        ev = sicoop_events.c
        self._p_events = Statement(
            select(sicoop_events).where(ev.transaction_id == bindparam("b_id")).order_by(ev.seq),
            dialect,
            ("b_id",),
        )
        self._p_open_count = Statement(
            select(func.count()).where(or_(is_open, txn.issuer_sync != bindparam("b_none"))),
            dialect,
            ("b_open_1", "b_open_2", "b_none"),
        )
        self._p_wipe = [Statement(delete(table), dialect) for table in reversed(metadata.sorted_tables)]
        self._known_accounts: set[str] = set()

    # -- writes -----------------------------------------------------------------------------------
    def insert(self, conn: Connection, txn: CashTransaction) -> None:
        self._p_insert.execute(conn, astuple_fields(txn))

    def update(self, conn: Connection, before: CashTransaction, after: CashTransaction) -> None:
        values = astuple_fields(after)
        if self._p_update.execute(conn, (*values[1:], before.id, before.version)) != 1:
            raise StaleTransaction(f"transaction {before.id} changed under its lock")

    def add_events(self, conn: Connection, events: Iterable[TransactionEvent]) -> None:
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
        return [_txn(r) for r in self._p_due_expiry.all(conn, (*_OPEN, now_us, limit))]

    def due_for_issuer(self, conn: Connection, now_us: int, limit: int) -> list[CashTransaction]:
        """Transactions whose post or void still has to reach CEIBO, due now."""
        return [_txn(r) for r in self._p_due_issuer.all(conn, ("none", now_us, limit))]

    def issuer_pending(self, conn: Connection, min_attempts: int, limit: int) -> list[CashTransaction]:
        """Transactions whose post or void CEIBO has not acknowledged after ``min_attempts`` tries,
        the most tried first."""
        return [_txn(r) for r in self._p_issuer_pending.all(conn, ("none", min_attempts, limit))]

    def between(self, conn: Connection, since_us: int, until_us: int) -> list[CashTransaction]:
        """Transactions created in [since_us, until_us), oldest first."""
        return [_txn(r) for r in self._p_between.all(conn, (since_us, until_us))]

    def latest(self, conn: Connection, limit: int) -> list[CashTransaction]:
        return [_txn(r) for r in self._p_latest.all(conn, (limit,))]

    def counts(self, conn: Connection) -> dict[str, int]:
        return {status: int(n) for status, n in self._p_counts.all(conn)}

    def events(self, conn: Connection, txn_id: str) -> list[dict[str, Any]]:
        out = []
        for row in self._p_events.all(conn, (txn_id,)):
            item = dict(zip(_EVENT_ROW, row, strict=True))
            item["detail"] = None if item["detail"] is None else json.loads(item["detail"])
            out.append(item)
        return out

    def open_count(self, conn: Connection) -> int:
        row = self._p_open_count.one(conn, (*_OPEN, "none"))
        return 0 if row is None else int(row[0])

    # -- reset ------------------------------------------------------------------------------------
    def wipe_all(self, conn: Connection) -> None:
        """Delete every row of every table of the switch's store (``/_sandbox/reset``)."""
        for statement in self._p_wipe:
            statement.execute(conn)
        self._known_accounts.clear()


class CashState:
    """The cash flow's state: its transactions and their events (:class:`CashRepository`), the holds
    and idempotency keys it keeps on the switch's ledger (aggregates of the authorization store),
    and the group commit that writes them in one transaction per batch of requests."""

    def __init__(self, store: AuthorizationStore, commit: GroupCommit) -> None:
        self.transactions = CashRepository(store.engine)
        self.holds = store.holds
        self.idempotency = store.idempotency
        self.uow = store.unit_of_work
        self.commit = commit

    def reset(self) -> None:
        """Every row of the switch's store deleted (``/_sandbox/reset``: back to the world)."""
        self.uow.run(self.transactions.wipe_all)

    def summary(self) -> tuple[dict[str, int], int, list[CashTransaction]]:
        """Transactions by status, how many are still open, the latest 50."""

        def read(conn: Connection) -> tuple[dict[str, int], int, list[CashTransaction]]:
            return (
                self.transactions.counts(conn),
                self.transactions.open_count(conn),
                self.transactions.latest(conn, 50),
            )

        return self.uow.read(read)

"""coop's state: the cooperatives' products, their movements and the idempotency keys, in SQLite
(SQLAlchemy Core) under the party's state directory: it survives a restart of the party.

* Members never change during a run: they are read from the world (in memory).
* ``products``: each product's book (balance, holds, credit available, payments due).
* ``movements``: every debit, credit and reversal, with the effect it had on its book (a reversal
  undoes exactly that).
* ``idempotency_keys``: one row per (entity, key), **unique**: the database decides who owns a key.
  A call reads its key and, when free, stores its answer in the same transaction as its effect, so
  nothing is acknowledged before it is on disk and 50 identical calls in parallel give one effect.
  A row whose answer is stored but not yet sent (``released`` 0: an answer being delayed) answers
  409 to a retry.

Writes go through :meth:`CoopState.run`, a group commit: the calls that arrive while one
transaction commits share the next one (one ``fsync`` for all), run in a worker thread so the event
loop keeps reading requests; each call has its own savepoint. The hot statements are written once
as SQL (``SQL_*``) and run on the DBAPI connection of SQLAlchemy's transaction (:func:`raw`):
SQLAlchemy's per-statement work cost more than SQLite's (BENCHMARKS.md).
Every write runs in one ``BEGIN IMMEDIATE`` transaction (serialized against any other writer, in
this process or another); ``synchronous`` is FULL by default (a commit is on disk before it
returns; option ``sqlite_synchronous``). :meth:`CoopState.reset` puts the world back;
:meth:`CoopState.export` is ``GET /_sandbox/state``. When the file was written for another world,
the party starts from the world again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine, Row

from sandbox.coop.logic import Book, DayUsage, Effect, mask_number, opaque_id
from sandbox.kit.clock import from_us
from sandbox.kit.money import format_amount
from sandbox.world import World
from sandbox.world.model import Entity, Member, Product

SCHEMA_VERSION: Final = "2"
MAX_BATCH: Final = 256
T = TypeVar("T")
BUSY_TIMEOUT_MS: Final = 30_000

metadata = MetaData()

products = Table(
    "products",
    metadata,
    Column("product_id", String(64), primary_key=True),
    Column("entity", String(40), nullable=False, index=True),
    Column("member_id", String(64), nullable=False, index=True),
    Column("type", String(4), nullable=False),
    Column("number", String(20), nullable=False),
    Column("status", String(10), nullable=False),
    Column("balance", Integer, nullable=False),
    Column("held", Integer, nullable=False, default=0),
    Column("credit_available", Integer),
    Column("due_date", String(10)),
    Column("minimum_payment", Integer),
    Column("total_payment", Integer),
    Column("other_min", Integer),
    Column("other_max", Integer),
    Column("pse_debit", Boolean, nullable=False),
    Column("accepts_credit", Boolean, nullable=False),
    Column("cap_transaction", Integer),
    Column("cap_day", Integer),
    Column("cap_count", Integer),
)

movements = Table(
    "movements",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("transaction_id", String(64), nullable=False, unique=True),
    Column("entity", String(40), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("status", String(12), nullable=False),
    Column("product_id", String(64), nullable=False),
    Column("amount", Integer, nullable=False),
    Column("reference", String(64), nullable=False),
    Column("description", String(200)),
    Column("idempotency_key", String(255)),
    Column("created_us", Integer, nullable=False),
    Column("posted_us", Integer),
    Column("expires_us", Integer),
    Column("reversed", Boolean, nullable=False, default=False),
    Column("reversal_id", String(64)),
    Column("reverses", String(64)),
    Column("running_balance", Integer),
    Column("effect", Text),
    Column("business_day", String(10), nullable=False),
    Index("movements_by_product_day", "product_id", "business_day"),
    Index("movements_by_reference", "entity", "reference"),
    Index("movements_by_day", "entity", "business_day"),
    Index("movements_due", "status", "expires_us"),
)

keys = Table(
    "idempotency_keys",
    metadata,
    Column("entity", String(40), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("created_us", Integer, nullable=False, index=True),
    Column("status", Integer),
    Column("body", Text),
    Column("released", Boolean, nullable=False, default=True),
)

meta = Table("meta", metadata, Column("name", String(40), primary_key=True), Column("value", Text, nullable=False))


_BOOK_COLUMNS: Final = ", ".join(c.name for c in products.columns)
_MOVEMENT_COLUMNS: Final = ", ".join(c.name for c in movements.columns)
_MOVEMENT_INSERT: Final = [c.name for c in movements.columns if c.name != "seq"]
#: The hot path's statements, written once (SQLAlchemy's statement building costs more than SQLite
#: itself per call): run on the DBAPI connection of SQLAlchemy's transaction (:func:`raw`).
SQL_BOOK: Final = f"SELECT {_BOOK_COLUMNS} FROM products WHERE product_id = ? AND entity = ?"  # noqa: S608 - our own column names; values are bound
SQL_SAVE_BOOK: Final = (
    "UPDATE products SET balance = ?, held = ?, credit_available = ?, minimum_payment = ?, total_payment = ?, "
    "status = ? WHERE product_id = ?"
)
SQL_MOVEMENT: Final = f"SELECT {_MOVEMENT_COLUMNS} FROM movements WHERE transaction_id = ? AND entity = ?"  # noqa: S608 - our own column names; values are bound
SQL_ADD_MOVEMENT: Final = (
    f"INSERT INTO movements ({', '.join(_MOVEMENT_INSERT)}) VALUES ({', '.join('?' for _ in _MOVEMENT_INSERT)})"  # noqa: S608 - our own column names; values are bound
)
SQL_KEY: Final = "SELECT fingerprint, status, body, released FROM idempotency_keys WHERE entity = ? AND key = ?"
SQL_ADD_KEY: Final = (
    "INSERT INTO idempotency_keys (entity, key, fingerprint, created_us, status, body, released) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


_BOOK_NAMES: Final = tuple(c.name for c in products.columns)
_MOVEMENT_NAMES: Final = tuple(c.name for c in movements.columns)


def raw(conn: Connection) -> Any:
    """The DBAPI (sqlite3) connection under SQLAlchemy's, in the transaction SQLAlchemy began: the
    hot statements run on it directly (SQLAlchemy's per-statement bookkeeping cost more than
    SQLite's work)."""
    return conn.connection.driver_connection


@dataclass(frozen=True, slots=True)
class Movement:
    """A movement as stored (amounts in minor units, instants in epoch microseconds)."""

    transaction_id: str
    entity: str
    kind: str
    status: str
    product_id: str
    amount_minor: int
    reference: str
    description: str | None
    idempotency_key: str | None
    created_us: int
    business_day: str
    posted_us: int | None = None
    expires_us: int | None = None
    reversed: bool = False
    reversal_id: str | None = None
    reverses: str | None = None
    running_balance_minor: int | None = None
    effect: Effect | None = None


@dataclass(frozen=True, slots=True)
class StoredKey:
    """An idempotency key already claimed: its fingerprint and, once done, its answer."""

    fingerprint: str
    status: int | None
    body: dict[str, Any] | None
    released: bool


@dataclass(frozen=True, slots=True)
class MemberView:
    member_id: str
    member: Member


def _iso(us: int | None) -> str | None:
    return None if us is None else from_us(us).isoformat()


def cop(minor: int | None) -> str | None:
    return None if minor is None else format_amount(minor, "COP")


def _book(row: Row[Any] | Mapping[str, Any]) -> Book:
    m = row._mapping if isinstance(row, Row) else row
    return Book(
        product_id=m["product_id"],
        entity=m["entity"],
        member_id=m["member_id"],
        type=m["type"],
        number=m["number"],
        status=m["status"],
        balance_minor=m["balance"],
        held_minor=m["held"],
        credit_available_minor=m["credit_available"],
        due_date=m["due_date"],
        minimum_payment_minor=m["minimum_payment"],
        total_payment_minor=m["total_payment"],
        other_min_minor=m["other_min"],
        other_max_minor=m["other_max"],
        pse_debit=bool(m["pse_debit"]),
        accepts_credit=bool(m["accepts_credit"]),
        per_transaction_max_minor=m["cap_transaction"],
        per_day_max_minor=m["cap_day"],
        per_day_count=m["cap_count"],
    )


def _movement(row: Row[Any] | Mapping[str, Any]) -> Movement:
    m = row._mapping if isinstance(row, Row) else row
    return Movement(
        transaction_id=m["transaction_id"],
        entity=m["entity"],
        kind=m["kind"],
        status=m["status"],
        product_id=m["product_id"],
        amount_minor=m["amount"],
        reference=m["reference"],
        description=m["description"],
        idempotency_key=m["idempotency_key"],
        created_us=m["created_us"],
        business_day=m["business_day"],
        posted_us=m["posted_us"],
        expires_us=m["expires_us"],
        reversed=bool(m["reversed"]),
        reversal_id=m["reversal_id"],
        reverses=m["reverses"],
        running_balance_minor=m["running_balance"],
        effect=None if m["effect"] is None else Effect.from_dict(json.loads(m["effect"])),
    )


def member_id_of(entity: str, member: Member) -> str:
    return opaque_id("M", entity, member.id)


def product_id_of(product: Product) -> str:
    return opaque_id("P", product.entity, product.number)


def _product_row(member: Member, product: Product) -> dict[str, Any]:
    limits = product.limits
    return {
        "product_id": product_id_of(product),
        "entity": product.entity,
        "member_id": member_id_of(product.entity, member),
        "type": product.type.value,
        "number": product.number,
        "status": product.status,
        "balance": product.balance_minor,
        "held": 0,
        "credit_available": product.credit_available_minor,
        "due_date": None if product.due_date is None else product.due_date.isoformat(),
        "minimum_payment": product.minimum_payment_minor,
        "total_payment": product.total_payment_minor,
        "other_min": product.other_min_minor,
        "other_max": product.other_max_minor,
        "pse_debit": product.pse_debit,
        "accepts_credit": product.accepts_credit,
        "cap_transaction": None if limits is None else limits.per_transaction_max,
        "cap_day": None if limits is None else limits.per_day_max,
        "cap_count": None if limits is None else limits.per_day_count,
    }


def world_fingerprint(world: World) -> str:
    raw = json.dumps(
        [SCHEMA_VERSION, [m.model_dump(mode="json") for m in world.members], [e.code for e in world.entities]],
        sort_keys=True,
    )
    return hashlib.sha256(raw.encode()).hexdigest()


class CoopState:
    def __init__(self, world: World, path: Path, *, synchronous: str = "FULL") -> None:
        self.world = world
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})
        sync = synchronous.upper()
        if sync not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"sqlite_synchronous: FULL, NORMAL or EXTRA, not {synchronous!r}")

        @event.listens_for(self.engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={sync}")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.close()

        @event.listens_for(self.engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        self._queue: list[tuple[Callable[[Connection], Any], asyncio.Future[Any]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self.entities: dict[str, Entity] = {e.code: e for e in world.entities}
        self.members: dict[tuple[str, str], Member] = {}
        self.by_document: dict[tuple[str, str, str], str] = {}
        #: product_id → its number (never changes; only its last four digits leave the party).
        self.numbers: dict[str, str] = {product_id_of(p): p.number for m in world.members for p in m.products}
        for member in world.members:
            for entity in {p.entity for p in member.products}:
                mid = member_id_of(entity, member)
                self.members[(entity, mid)] = member
                self.by_document[(entity, member.document_type.value, member.document_number)] = mid
        metadata.create_all(self.engine)
        fingerprint = world_fingerprint(world)
        with self.engine.begin() as conn:
            stored = conn.execute(select(meta.c.value).where(meta.c.name == "world")).scalar()
            # Answers being delayed when the party stopped are sent to nobody: retries replay them.
            conn.execute(update(keys).where(keys.c.released.is_(False)).values(released=True))
        if stored != fingerprint:  # another world or an older schema: start again from the world
            metadata.drop_all(self.engine)
            metadata.create_all(self.engine)
            self.reset()

    def close(self) -> None:
        self.engine.dispose()

    # -- PartyState -------------------------------------------------------------------------------------
    def reset(self) -> None:
        rows = [_product_row(m, p) for m in self.world.members for p in m.products]
        with self.engine.begin() as conn:
            for table in (products, movements, keys, meta):
                conn.execute(delete(table))
            if rows:
                conn.execute(insert(products), rows)
            conn.execute(insert(meta), [{"name": "world", "value": world_fingerprint(self.world)}])

    def export(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            books = [_book(r) for r in conn.execute(select(products).order_by(products.c.entity, products.c.number))]
            latest = [_movement(r) for r in conn.execute(select(movements).order_by(movements.c.seq.desc()).limit(200))]
            counts: dict[str, int] = dict(
                conn.execute(select(movements.c.status, func.count()).group_by(movements.c.status)).all()
            )
            key_count = conn.execute(select(func.count()).select_from(keys)).scalar()
        return {
            "products": [
                {
                    "product_id": b.product_id,
                    "entity": b.entity,
                    "type": b.type,
                    "number_masked": mask_number(b.number),
                    "status": b.status,
                    "balance": cop(b.balance_minor),
                    "held": cop(b.held_minor),
                    "available": cop(b.available_minor),
                    "credit_available": cop(b.credit_available_minor),
                    "minimum_payment": cop(b.minimum_payment_minor),
                    "total_payment": cop(b.total_payment_minor),
                }
                for b in books
            ],
            "movements_by_status": counts,
            "idempotency_keys": key_count,
            "latest_movements": [movement_row(m, self.numbers.get(m.product_id)) for m in latest],
        }

    # -- transactions -----------------------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): committed on success, rolled back on error."""
        with self.engine.begin() as conn:
            yield conn

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    # -- members and products -----------------------------------------------------------------------------
    def member_by_document(self, entity: str, document_type: str, number: str) -> MemberView | None:
        mid = self.by_document.get((entity, document_type, number))
        return None if mid is None else MemberView(mid, self.members[(entity, mid)])

    def member(self, entity: str, member_id: str) -> Member | None:
        return self.members.get((entity, member_id))

    def books_of(self, conn: Connection, entity: str, member_id: str) -> list[Book]:
        query = (
            select(products)
            .where(and_(products.c.entity == entity, products.c.member_id == member_id))
            .order_by(products.c.number)
        )
        return [_book(r) for r in conn.execute(query)]

    def books_of_entity(self, conn: Connection, entity: str) -> list[Book]:
        query = select(products).where(products.c.entity == entity).order_by(products.c.member_id, products.c.number)
        return [_book(r) for r in conn.execute(query)]

    def book(self, conn: Connection, entity: str, product_id: str) -> Book | None:
        row = raw(conn).execute(SQL_BOOK, (product_id, entity)).fetchone()
        return None if row is None else _book(dict(zip(_BOOK_NAMES, row, strict=True)))

    def save_book(self, conn: Connection, book: Book) -> None:
        raw(conn).execute(
            SQL_SAVE_BOOK,
            (
                book.balance_minor,
                book.held_minor,
                book.credit_available_minor,
                book.minimum_payment_minor,
                book.total_payment_minor,
                book.status,
                book.product_id,
            ),
        )

    def day_usage(self, conn: Connection, product_id: str, day: str) -> DayUsage:
        row = conn.execute(
            select(func.count(), func.coalesce(func.sum(movements.c.amount), 0)).where(
                and_(
                    movements.c.product_id == product_id,
                    movements.c.business_day == day,
                    movements.c.kind == "debit",
                    movements.c.status.in_(("authorized", "posted")),
                    movements.c.reversed.is_(False),
                )
            )
        ).one()
        return DayUsage(int(row[0]), int(row[1]))

    # -- movements ------------------------------------------------------------------------------------------
    def add_movement(self, conn: Connection, m: Movement) -> None:
        values = {
            "transaction_id": m.transaction_id,
            "entity": m.entity,
            "kind": m.kind,
            "status": m.status,
            "product_id": m.product_id,
            "amount": m.amount_minor,
            "reference": m.reference,
            "description": m.description,
            "idempotency_key": m.idempotency_key,
            "created_us": m.created_us,
            "posted_us": m.posted_us,
            "expires_us": m.expires_us,
            "reversed": m.reversed,
            "reversal_id": m.reversal_id,
            "reverses": m.reverses,
            "running_balance": m.running_balance_minor,
            "effect": None if m.effect is None else json.dumps(m.effect.to_dict()),
            "business_day": m.business_day,
        }
        raw(conn).execute(SQL_ADD_MOVEMENT, tuple(values[name] for name in _MOVEMENT_INSERT))

    def update_movement(self, conn: Connection, transaction_id: str, **values: Any) -> None:
        if "effect" in values and isinstance(values["effect"], Effect):
            values["effect"] = json.dumps(values["effect"].to_dict())
        names = sorted(values)
        assert set(names) <= set(_MOVEMENT_INSERT)
        sql = f"UPDATE movements SET {', '.join(f'{n} = ?' for n in names)} WHERE transaction_id = ?"  # noqa: S608 - our own column names; values are bound
        raw(conn).execute(sql, (*(values[n] for n in names), transaction_id))

    def movement(self, conn: Connection, entity: str, transaction_id: str) -> Movement | None:
        row = raw(conn).execute(SQL_MOVEMENT, (transaction_id, entity)).fetchone()
        return None if row is None else _movement(dict(zip(_MOVEMENT_NAMES, row, strict=True)))

    def by_reference(self, conn: Connection, entity: str, reference: str) -> list[Movement]:
        query = (
            select(movements)
            .where(and_(movements.c.entity == entity, movements.c.reference == reference))
            .order_by(movements.c.seq)
        )
        return [_movement(r) for r in conn.execute(query)]

    def on_day(self, conn: Connection, entity: str, day: str, limit: int | None = None) -> list[Movement]:
        query = (
            select(movements)
            .where(and_(movements.c.entity == entity, movements.c.business_day == day))
            .order_by(movements.c.seq)
        )
        if limit is not None:
            query = query.limit(limit)
        return [_movement(r) for r in conn.execute(query)]

    def due_debits(self, conn: Connection, now_us: int) -> list[Movement]:
        query = select(movements).where(
            and_(movements.c.kind == "debit", movements.c.status == "authorized", movements.c.expires_us <= now_us)
        )
        return [_movement(r) for r in conn.execute(query)]

    # -- idempotency keys ------------------------------------------------------------------------------------
    def held_key(self, conn: Connection, entity: str, key: str) -> StoredKey | None:
        """The row that already holds ``key``, or None (the key is free)."""
        row = raw(conn).execute(SQL_KEY, (entity, key)).fetchone()
        if row is None:
            return None
        return StoredKey(row[0], row[1], None if row[2] is None else json.loads(row[2]), bool(row[3]))

    def keep_answer(
        self,
        conn: Connection,
        entity: str,
        key: str,
        fingerprint: str,
        now_us: int,
        status: int,
        body: dict[str, Any],
        *,
        released: bool,
    ) -> None:
        """Claim ``key`` with its answer, in the transaction of the call's effect. Inside the write
        transaction (``BEGIN IMMEDIATE``) nobody writes between :meth:`held_key` and this insert; the
        primary key (entity, key) stays the arbiter: a second insert fails in the database."""
        raw(conn).execute(
            SQL_ADD_KEY, (entity, key, fingerprint, now_us, status, json.dumps(body, ensure_ascii=False), released)
        )

    def release(self, conn: Connection, entity: str, key: str) -> None:
        conn.execute(update(keys).where(and_(keys.c.entity == entity, keys.c.key == key)).values(released=True))

    def purge_keys(self, conn: Connection, before_us: int) -> int:
        result = conn.execute(delete(keys).where(and_(keys.c.created_us < before_us, keys.c.released.is_(True))))
        return int(result.rowcount or 0)

    # -- group commit --------------------------------------------------------------------------------------------
    async def run(self, unit: Callable[[Connection], T]) -> T:
        """Run ``unit`` in a write transaction shared with the units submitted meanwhile (group
        commit: one commit, one fsync, for all of them), in a worker thread so the event loop keeps
        serving; each unit has its own savepoint (one that raises is undone alone, and raises to
        its caller). Nothing is answered before the transaction is committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._queue.append((unit, future))
        drainer = self._drainer
        if drainer is None or drainer.done() or drainer.get_loop() is not loop:
            self._drainer = loop.create_task(self._drain())
        result: T = await future
        return result

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                outcomes = await asyncio.to_thread(self._commit, [unit for unit, _ in batch])
            except Exception as exc:  # the commit itself failed: nothing of the batch is kept
                outcomes = [(False, exc)] * len(batch)
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    def _commit(self, units: list[Callable[[Connection], Any]]) -> list[tuple[bool, Any]]:
        outcomes: list[tuple[bool, Any]] = []
        with self.engine.begin() as conn:
            db = raw(conn)
            for unit in units:
                db.execute("SAVEPOINT unit")
                try:
                    outcomes.append((True, unit(conn)))
                except Exception as exc:
                    db.execute("ROLLBACK TO unit")
                    outcomes.append((False, exc))
                db.execute("RELEASE unit")
        return outcomes


def movement_row(m: Movement, number: str | None = None) -> dict[str, Any]:
    """A movement on the wire (``TransactionOut``); ``number`` is the product's (masked here)."""
    return {
        "transaction_id": m.transaction_id,
        "kind": m.kind,
        "status": "reversed" if m.reversed else m.status,
        "product_id": m.product_id,
        "number_masked": mask_number(number) if number else "****",
        "amount": cop(m.amount_minor),
        "currency": "COP",
        "reference": m.reference,
        "idempotency_key": m.idempotency_key,
        "created_at": _iso(m.created_us),
        "posted_at": _iso(m.posted_us),
        "reversed": m.reversed,
        "reversal_id": m.reversal_id,
        "running_balance": cop(m.running_balance_minor),
        "reverses": m.reverses,
        "expires_at": _iso(m.expires_us) if m.kind == "debit" else None,
        "description": m.description,
    }

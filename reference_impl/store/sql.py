"""The store's one way of running SQL: statements written with SQLAlchemy Core, compiled once for the
engine's dialect, run on the DBAPI cursor of the connection's transaction.

The hot path (a cash hold: idempotency claim, hold, account, counter, journal, transaction row,
events) skips SQLAlchemy's per-call statement building, cache-key generation, parameter processing
and result wrapping: the profile of the switch under load showed they cost more than SQLite itself,
and per-row parameter processing of ``executemany`` was most of the cost of a batch. SQLAlchemy
Core still writes the SQL (for SQLite or PostgreSQL, ``FOR UPDATE`` where the store locks), and the
bind order is checked when a statement is built, so values are plain tuples in ``names`` order and
rows come back as plain tuples in the statement's column order.

* :class:`Statement` — one statement: :meth:`~Statement.execute` (a write, its row count),
  :meth:`~Statement.many` (``executemany``), :meth:`~Statement.one` and :meth:`~Statement.all`;
* :class:`KeyedSelect` — ``SELECT ... WHERE k IN (...)`` for a list of keys, one compiled
  statement per padded list length;
* :func:`locked` (``FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serializes
  writers) and :class:`Dates` (SQLite keeps ``DATE`` as ISO text; the driver's cursor does not
  convert it).

Errors are the driver's own (``sqlite3.IntegrityError``, ``psycopg.errors.UniqueViolation``...): the
retry policy of :mod:`reference_impl.store.unit_of_work` treats them as SQLAlchemy's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, Final, TypeVar

from sqlalchemy import Connection, bindparam
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import Select

__all__ = ["CHUNK", "Dates", "KeyedSelect", "Statement", "chunks", "locked"]

T = TypeVar("T")
S = TypeVar("S", bound=Select[Any])

CHUNK: Final = 500
"""Keys per ``IN (...)`` list."""


def locked(stmt: S, dialect: Dialect, *, skip_locked: bool = False) -> S:
    """``stmt`` with ``FOR UPDATE`` (``SKIP LOCKED``) on PostgreSQL; unchanged on SQLite."""
    if dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=skip_locked)
    return stmt


def chunks(values: Sequence[T], size: int = CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class Statement:
    """One statement, compiled once; values are tuples in ``names`` order.

    Every bind parameter of the statement is one of ``names``, or a literal SQLAlchemy bound by
    itself (``LIMIT ? OFFSET 0`` on SQLite), whose value is fixed here once.
    """

    __slots__ = ("_fixed", "_plan", "_positional", "names", "sql")

    def __init__(self, stmt: Any, dialect: Dialect, names: Sequence[str] = ()) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.names = tuple(names)
        self._positional = bool(dialect.positional)
        order = tuple(compiled.positiontup or ()) if self._positional else tuple(compiled.binds)
        missing = set(self.names) - set(order)
        if missing:
            raise AssertionError(f"the statement has no bind parameter {sorted(missing)}")
        index = {name: i for i, name in enumerate(self.names)}
        fixed = {name: compiled.binds[name].effective_value for name in order if name not in index}
        self._fixed: dict[str, Any] = fixed
        # positional: where each bind's value comes from (an index into the values, or a fixed value)
        self._plan: tuple[tuple[bool, Any], ...] | None = None
        if self._positional and order != self.names:
            self._plan = tuple((name in index, index[name] if name in index else fixed[name]) for name in order)

    def _params(self, values: Sequence[Any]) -> Any:
        if self._positional:
            plan = self._plan
            if plan is None:
                return tuple(values)
            return tuple(values[where] if given else where for given, where in plan)
        params = dict(zip(self.names, values, strict=True))
        if self._fixed:
            params.update(self._fixed)
        return params

    def execute(self, conn: Connection, values: Sequence[Any] = ()) -> int:
        """Run a write; the number of rows it changed."""
        cursor = conn.connection.cursor()
        try:
            cursor.execute(self.sql, self._params(values))
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def many(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> int:
        """``executemany`` the rows; the total row count."""
        cursor = conn.connection.cursor()
        try:
            plain = self._positional and self._plan is None
            cursor.executemany(self.sql, rows if plain else [self._params(r) for r in rows])
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def one(self, conn: Connection, values: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        """Run a read; its first row (None: no row)."""
        cursor = conn.connection.cursor()
        try:
            cursor.execute(self.sql, self._params(values))
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else tuple(row)

    def all(self, conn: Connection, values: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a read; every row."""
        cursor = conn.connection.cursor()
        try:
            cursor.execute(self.sql, self._params(values))
            return list(cursor.fetchall())  # the drivers' rows are tuples already
        finally:
            cursor.close()


def _bucket(n: int) -> int:
    """Round a list length up to a power of two (few distinct compiled statements)."""
    size = 1
    while size < n:
        size *= 2
    return size


class KeyedSelect:
    """``SELECT <columns> FROM t WHERE k1 IN (...) [AND k2 IN (...)]`` for lists of keys.

    ``make(*groups)`` builds the Core statement for lists of bind parameters; it is compiled once
    per padded list length (padding repeats the last value, which changes nothing in an ``IN``).
    """

    def __init__(self, make: Callable[..., Any], dialect: Dialect) -> None:
        self._make = make
        self._dialect = dialect
        self._cache: dict[tuple[int, ...], Statement] = {}

    def _compiled(self, sizes: tuple[int, ...]) -> Statement:
        found = self._cache.get(sizes)
        if found is None:
            names = tuple(f"k{i}_{j}" for i, size in enumerate(sizes) for j in range(size))
            groups: list[list[Any]] = [[bindparam(f"k{i}_{j}") for j in range(size)] for i, size in enumerate(sizes)]
            found = self._cache[sizes] = Statement(self._make(*groups), self._dialect, names)
        return found

    def fetch(self, conn: Connection, *key_lists: Sequence[Any]) -> list[tuple[Any, ...]]:
        if not all(key_lists):
            return []
        values: list[Any] = []
        sizes = []
        for keys in key_lists:
            size = _bucket(len(keys))
            sizes.append(size)
            values.extend(keys)
            values.extend([keys[-1]] * (size - len(keys)))
        return self._compiled(tuple(sizes)).all(conn, values)


class Dates:
    """``DATE`` values to and from the driver: ISO text on SQLite (SQLAlchemy converts on its own
    path; statements run on the cursor convert here), ``date`` objects on PostgreSQL."""

    def __init__(self, dialect: Dialect) -> None:
        self._text = dialect.name == "sqlite"

    def to_db(self, value: date | None) -> Any:
        if value is None or not self._text:
            return value
        return value.isoformat()

    def from_db(self, value: Any) -> date | None:
        if value is None or not self._text:
            return value  # type: ignore[no-any-return]
        return date.fromisoformat(value)

"""Statements compiled once for the engine's dialect and run on the DBAPI cursor of the connection's
transaction.

The hot path (a cash hold: idempotency claim, transaction row, events) skips SQLAlchemy's per-call
statement building, cache-key generation, parameter processing and result wrapping: the profile of
the switch under load showed they cost more than SQLite itself. SQLAlchemy Core still writes the SQL
(for SQLite or PostgreSQL, ``FOR UPDATE`` where the store locks), and the bind order is checked when
the statement is built, so values are passed as plain tuples in ``names`` order.

Errors are the driver's own (``sqlite3.IntegrityError``, ``psycopg.errors.UniqueViolation``...): the
store's transaction policy and the group commit treat them as SQLAlchemy's (a lost race retries the
whole transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

__all__ = ["Prepared"]


class Prepared:
    """One statement, compiled once; values are tuples in ``names`` order."""

    __slots__ = ("_positional", "names", "sql")

    def __init__(self, stmt: Any, dialect: Any, names: Sequence[str]) -> None:
        compiled = stmt.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.names = tuple(names)
        self._positional = bool(dialect.positional)
        if self._positional and tuple(compiled.positiontup or ()) != self.names:
            raise AssertionError(f"bind order {compiled.positiontup} != {self.names}")
        if not self._positional and set(compiled.binds) != set(self.names):
            raise AssertionError(f"binds {sorted(compiled.binds)} != {sorted(self.names)}")

    def _params(self, values: Sequence[Any]) -> Any:
        return values if self._positional else dict(zip(self.names, values, strict=True))

    def run(self, conn: Connection, values: Sequence[Any]) -> Any:
        """Execute; the open DBAPI cursor (the caller closes it)."""
        cursor = conn.connection.cursor()
        cursor.execute(self.sql, self._params(values))
        return cursor

    def execute(self, conn: Connection, values: Sequence[Any]) -> int:
        """Execute a write; the number of rows it changed."""
        cursor = self.run(conn, values)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def one(self, conn: Connection, values: Sequence[Any]) -> tuple[Any, ...] | None:
        """Execute a read; its first row as a plain tuple (columns in the statement's order)."""
        cursor = self.run(conn, values)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else tuple(row)

    def many(self, conn: Connection, rows: Sequence[Sequence[Any]]) -> int:
        """``executemany`` the rows; the total row count."""
        cursor = conn.connection.cursor()
        try:
            cursor.executemany(self.sql, [self._params(r) for r in rows] if not self._positional else rows)
            return int(cursor.rowcount)
        finally:
            cursor.close()

"""Engine creation for the switch store: SQLite (WAL, default) or PostgreSQL, same code.

SQLite: every writing transaction starts with ``BEGIN IMMEDIATE`` (it takes the write lock at
once, so a read-decide-write transaction is serialized against every other writer, in
this process or another one); ``journal_mode=WAL`` lets readers run alongside the
writer; ``synchronous=FULL`` makes a commit durable before it returns (an acknowledged
operation is on disk); a busy timeout makes concurrent writers wait instead of failing.

PostgreSQL: READ COMMITTED with ``SELECT ... FOR UPDATE`` row locks taken by the store.
``postgresql://`` URLs are sent to the psycopg 3 driver.

Engines are thread safe (a connection pool); create one per process and dispose it at
shutdown (:meth:`sqlalchemy.engine.Engine.dispose`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL

from sandbox.kit.commit import SQLITE_BUSY_TIMEOUT_S, sqlite_pragmas

__all__ = [
    "DEFAULT_DATABASE_URL",
    "READ_ONLY_OPTION",
    "SQLITE_BUSY_TIMEOUT_S",
    "create_store_engine",
    "normalize_url",
]

DEFAULT_DATABASE_URL: Final = "sqlite:///var/switch.db"
READ_ONLY_OPTION: Final = "coop_read_only"
"""Execution option: ``conn.execution_options(coop_read_only=True)`` begins a read-only
transaction (plain ``BEGIN`` on SQLite, which does not queue behind the writer)."""


def normalize_url(url: str | URL) -> URL:
    """``postgresql://`` → ``postgresql+psycopg://`` (the driver installed); others unchanged."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _sqlite_begin(conn: Any) -> None:
    if conn.get_execution_options().get(READ_ONLY_OPTION):
        conn.exec_driver_sql("BEGIN")  # a reader: no write lock, sees the last commit (WAL)
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_store_engine(
    database_url: str | URL | None = None,
    *,
    echo: bool = False,
    connect_args: dict[str, Any] | None = None,
    **engine_kwargs: Any,
) -> Engine:
    """Create the engine for ``database_url`` (default ``sqlite:///var/switch.db``).

    For a SQLite file the parent directory is created. ``connect_args`` are passed to the
    driver (for PostgreSQL, e.g. ``{"options": "-c search_path=myschema"}``).
    """
    url = normalize_url(database_url or DEFAULT_DATABASE_URL)
    args: dict[str, Any] = dict(connect_args or {})
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_S)
        args.setdefault("check_same_thread", False)
        engine = create_engine(url, echo=echo, connect_args=args, **engine_kwargs)
        event.listen(engine, "connect", sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, echo=echo, connect_args=args, **engine_kwargs)

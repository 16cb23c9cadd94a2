"""Run the store's Alembic migrations from code (no ``alembic.ini``).

The switch calls :func:`upgrade` at start. Migrations live in
``reference_impl/store/migrations``. On PostgreSQL the upgrade takes a transaction-level
advisory lock, so several switch processes starting together migrate once, in turn.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.engine import URL

from reference_impl.store.engine import create_store_engine

__all__ = ["MIGRATIONS_LOCATION", "alembic_config", "current_revision", "upgrade"]

MIGRATIONS_LOCATION = "reference_impl.store:migrations"
_ADVISORY_LOCK_KEY = 0x5C00_0003  # any constant shared by every switch process


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` pointing at the packaged migrations (and at ``connection``)."""
    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS_LOCATION)
    cfg.set_main_option("path_separator", "os")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine_or_url: Engine | str | URL | None = None, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the latest). Idempotent.

    Accepts an engine (left open) or a URL (an engine is created and disposed).
    """
    if isinstance(engine_or_url, Engine):
        _upgrade(engine_or_url, revision)
        return
    engine = create_store_engine(engine_or_url)
    try:
        _upgrade(engine, revision)
    finally:
        engine.dispose()


def _upgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(_ADVISORY_LOCK_KEY)))
        command.upgrade(alembic_config(conn), revision)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None before the first upgrade)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()

"""Constants and helpers shared by the store tests (imported by name: this folder is on sys.path)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, select

from reference_impl.store import create_store_engine
from reference_impl.store.tables import journal, metadata

OTP_KEY = b"test-otp-key-0123456789abcdef"
T0 = datetime(2024, 6, 1, 15, 0, tzinfo=UTC)


def journal_rows(engine: Engine) -> list[Any]:
    """Every journal line, in order."""
    with engine.connect() as conn:
        return list(conn.execute(select(journal).order_by(journal.c.seq)))


class DbConfig:
    """How to reach one backend: URL plus driver connect args (the PG schema)."""

    def __init__(self, backend: str, url: str, connect_args: dict[str, Any] | None = None) -> None:
        self.backend = backend
        self.url = url
        self.connect_args = connect_args or {}

    def engine(self, **kwargs: Any) -> Engine:
        return create_store_engine(self.url, connect_args=dict(self.connect_args), **kwargs)


def wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))

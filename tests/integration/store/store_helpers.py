"""Constants and helpers shared by the store tests (imported by name: this folder is on sys.path)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from reference_impl.store.tables import journal

OTP_KEY = b"test-otp-key-0123456789abcdef"
T0 = datetime(2024, 6, 1, 15, 0, tzinfo=UTC)


def journal_rows(engine: Engine) -> list[Any]:
    """Every journal line, in order."""
    with engine.connect() as conn:
        return list(conn.execute(select(journal).order_by(journal.c.seq)))

"""The ledger's journal (``ledger_journal``): append-only lines every aggregate writes — the
movements of a hold, a limit counted or refunded, an OTP issued or checked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlalchemy import Connection, bindparam, insert
from sqlalchemy.engine import Dialect

from reference_impl.core.holds import HoldKind, JournalEntry
from reference_impl.store.sql import Statement
from reference_impl.store.tables import journal

__all__ = ["JOURNAL_COLUMNS", "LedgerJournal"]

JOURNAL_COLUMNS: Final = (
    "at_us",
    "operation",
    "subject_id",
    "hold_id",
    "kind",
    "amount_minor",
    "balance_delta_minor",
    "pending_delta_minor",
)
_KIND: Final = {k: k.value for k in HoldKind}


class LedgerJournal:
    def __init__(self, dialect: Dialect) -> None:
        self._insert = Statement(
            insert(journal).values({name: bindparam(name) for name in JOURNAL_COLUMNS}), dialect, JOURNAL_COLUMNS
        )

    def entries(self, conn: Connection, entries: Sequence[JournalEntry]) -> None:
        """The lines of hold movements (decided by the core)."""
        if entries:
            self._insert.many(
                conn,
                [
                    (
                        e.at_us,
                        e.operation,
                        e.account_id,
                        e.hold_id,
                        _KIND[e.kind],
                        e.amount_minor,
                        e.balance_delta_minor,
                        e.pending_delta_minor,
                    )
                    for e in entries
                ],
            )

    def line(
        self, conn: Connection, at_us: int, operation: str, subject_id: str, amount_minor: int | None = None
    ) -> None:
        """A line that moves no money (limits counted, OTPs)."""
        row: tuple[Any, ...] = (at_us, operation, subject_id, None, None, amount_minor, 0, 0)
        self._insert.execute(conn, row)

"""SICOOP cash: withdrawal and deposit transactions and their event journal.

Revision ID: 0002_sicoop_cash
Revises: 0001_authorization_core
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_sicoop_cash"
down_revision: str | None = "0001_authorization_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = 128
_OPEN = "status IN ('authorizing', 'approved')"
_SYNC = "issuer_sync <> 'none'"


def upgrade() -> None:
    op.create_table(
        "sicoop_transactions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("trace_number", sa.String(40), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("counter_id", sa.String(40), nullable=False),
        sa.Column("document_number", sa.String(20), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
        sa.Column("card_id", sa.String(_ID), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reason_code", sa.String(40), nullable=True),
        sa.Column("hold_id", sa.String(_ID), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_us", sa.BigInteger(), nullable=True),
        sa.Column("resolved_us", sa.BigInteger(), nullable=True),
        sa.Column("issuer_state", sa.String(12), nullable=False),
        sa.Column("issuer_sync", sa.String(8), nullable=False),
        sa.Column("issuer_attempts", sa.Integer(), nullable=False),
        sa.Column("issuer_next_us", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sicoop_transactions")),
        sa.UniqueConstraint("trace_number", name=op.f("uq_sicoop_transactions_trace_number")),
        sa.CheckConstraint("kind IN ('withdrawal', 'deposit')", name=op.f("ck_sicoop_transactions_kind")),
        sa.CheckConstraint(
            "status IN ('authorizing', 'approved', 'declined', 'confirmed', 'released', 'expired')",
            name=op.f("ck_sicoop_transactions_status"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_sicoop_transactions_amount_positive")),
        sa.CheckConstraint("issuer_sync IN ('none', 'post', 'void')", name=op.f("ck_sicoop_transactions_issuer_sync")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_sicoop_transactions_open_expires_us",
        "sicoop_transactions",
        ["expires_us"],
        sqlite_where=sa.text(_OPEN),
        postgresql_where=sa.text(_OPEN),
    )
    op.create_index(
        "ix_sicoop_transactions_issuer_next_us",
        "sicoop_transactions",
        ["issuer_next_us"],
        sqlite_where=sa.text(_SYNC),
        postgresql_where=sa.text(_SYNC),
    )
    op.create_index("ix_sicoop_transactions_created_us", "sicoop_transactions", ["created_us"])
    op.create_table(
        "sicoop_events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.String(40), nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(12), nullable=True),
        sa.Column("to_status", sa.String(12), nullable=False),
        sa.Column("reason_code", sa.String(40), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_sicoop_events")),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["sicoop_transactions.id"],
            name=op.f("fk_sicoop_events_transaction_id_sicoop_transactions"),
        ),
    )
    op.create_index("ix_sicoop_events_transaction_id", "sicoop_events", ["transaction_id"])
    op.create_index("ix_sicoop_events_at_us", "sicoop_events", ["at_us"])


def downgrade() -> None:
    op.drop_index("ix_sicoop_events_at_us", table_name="sicoop_events")
    op.drop_index("ix_sicoop_events_transaction_id", table_name="sicoop_events")
    op.drop_table("sicoop_events")
    op.drop_index("ix_sicoop_transactions_created_us", table_name="sicoop_transactions")
    op.drop_index("ix_sicoop_transactions_issuer_next_us", table_name="sicoop_transactions")
    op.drop_index("ix_sicoop_transactions_open_expires_us", table_name="sicoop_transactions")
    op.drop_table("sicoop_transactions")

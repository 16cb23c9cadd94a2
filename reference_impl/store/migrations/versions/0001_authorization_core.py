"""Authorization core: accounts, holds, limit counters, journal, OTPs, idempotency keys.

Revision ID: 0001_authorization_core
Revises:
Create Date: 2024-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_authorization_core"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = 128


def upgrade() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("account_id", sa.String(_ID), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=True, comment="NULL: balance kept by the processor"),
        sa.Column("pending_debit_minor", sa.BigInteger(), nullable=False),
        sa.Column("pending_credit_minor", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("entity", sa.String(64), nullable=True),
        sa.Column("product_type", sa.String(16), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_ledger_accounts")),
        sa.CheckConstraint("pending_debit_minor >= 0", name=op.f("ck_ledger_accounts_pending_debit_non_negative")),
        sa.CheckConstraint("pending_credit_minor >= 0", name=op.f("ck_ledger_accounts_pending_credit_non_negative")),
        sa.CheckConstraint(
            "balance_minor IS NULL OR balance_minor >= pending_debit_minor",
            name=op.f("ck_ledger_accounts_available_non_negative"),
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "holds",
        sa.Column("hold_id", sa.String(_ID), nullable=False),
        sa.Column("account_id", sa.String(_ID), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_us", sa.BigInteger(), nullable=False),
        sa.Column("resolved_us", sa.BigInteger(), nullable=True),
        sa.Column("limit_subject", sa.String(_ID), nullable=True),
        sa.Column("limit_day", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("hold_id", name=op.f("pk_holds")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.account_id"],
            name=op.f("fk_holds_account_id_ledger_accounts"),
        ),
        sa.CheckConstraint("kind IN ('debit', 'credit')", name=op.f("ck_holds_kind")),
        sa.CheckConstraint("state IN ('pending', 'posted', 'voided', 'expired')", name=op.f("ck_holds_state")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_holds_amount_positive")),
        sa.CheckConstraint("expires_us > created_us", name=op.f("ck_holds_expires_after_created")),
        sa.CheckConstraint("(state = 'pending') = (resolved_us IS NULL)", name=op.f("ck_holds_resolved_iff_final")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_holds_pending_expires_us",
        "holds",
        ["expires_us"],
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "limit_counters",
        sa.Column("subject_id", sa.String(_ID), nullable=False),
        sa.Column("day", sa.Date(), nullable=False, comment="calendar day in the subject's timezone"),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "day", name=op.f("pk_limit_counters")),
        sa.CheckConstraint("count >= 0", name=op.f("ck_limit_counters_count_non_negative")),
        sa.CheckConstraint("amount_minor >= 0", name=op.f("ck_limit_counters_amount_non_negative")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "journal",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(_ID), nullable=False, comment="account, card or transaction ref"),
        sa.Column("hold_id", sa.String(_ID), nullable=True),
        sa.Column("kind", sa.String(8), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("balance_delta_minor", sa.BigInteger(), nullable=False),
        sa.Column("pending_delta_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_journal")),
    )
    op.create_index("ix_journal_hold_id", "journal", ["hold_id"])
    op.create_table(
        "otp_challenges",
        sa.Column("transaction_ref", sa.String(_ID), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False, comment="hex HMAC-SHA256; never the code"),
        sa.Column("issued_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_us", sa.BigInteger(), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("transaction_ref", name=op.f("pk_otp_challenges")),
        sa.CheckConstraint("state IN ('active', 'used', 'locked')", name=op.f("ck_otp_challenges_state")),
        sa.CheckConstraint("failed_attempts >= 0", name=op.f("ck_otp_challenges_failed_attempts_non_negative")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("body_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("lease_expires_us", sa.BigInteger(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_json", sa.Text(), nullable=True),
        sa.Column("completed_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
        sa.CheckConstraint("state IN ('in_progress', 'completed')", name=op.f("ck_idempotency_keys_state")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("otp_challenges")
    op.drop_index("ix_journal_hold_id", table_name="journal")
    op.drop_table("journal")
    op.drop_table("limit_counters")
    op.drop_index("ix_holds_pending_expires_us", table_name="holds")
    op.drop_table("holds")
    op.drop_table("ledger_accounts")

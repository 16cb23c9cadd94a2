"""PSE debits at Banco Cooperativo Coopcentral (1066): payments by CUS, their attempts, portal logins.

Revision ID: 0005_pse_bank
Revises: 0004_collections
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_pse_bank"
down_revision: str | None = "0004_collections"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = 128
_STATUSES = (
    "'started', 'identified', 'authenticated', 'authorizing', 'authorized', 'posting', 'approved', "
    "'declined', 'reversed'"
)
_ACH_DUE = "ach_sync = 'due'"
_COOP_DUE = "coop_sync <> 'none'"
_SYNC_DUE = "sync <> 'none'"


def upgrade() -> None:
    op.create_table(
        "pse_payments",
        sa.Column("cus", sa.String(40), nullable=False),
        sa.Column("ach_entity_code", sa.String(20), nullable=False),
        sa.Column("ach_entity_name", sa.String(120), nullable=False),
        sa.Column("entity_url", sa.String(300), nullable=False),
        sa.Column("ticket_id", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
        sa.Column("vat_minor", sa.BigInteger(), nullable=False),
        sa.Column("solicite_date", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason_code", sa.String(40), nullable=True),
        sa.Column("document_type", sa.String(4), nullable=True),
        sa.Column("document_number", sa.String(20), nullable=True),
        sa.Column(
            "candidates", sa.String(400), nullable=True, comment="entities with active products, comma separated"
        ),
        sa.Column("entity", sa.String(64), nullable=True),
        sa.Column("member_id", sa.String(_ID), nullable=True),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("session_hash", sa.String(64), nullable=True, comment="SHA-256 of the browser's session token"),
        sa.Column("attempt_seq", sa.Integer(), nullable=False),
        sa.Column("debit_id", sa.String(_ID), nullable=True),
        sa.Column("product_id", sa.String(_ID), nullable=True),
        sa.Column("product_masked", sa.String(16), nullable=True),
        sa.Column("product_type", sa.String(4), nullable=True),
        sa.Column("transaction_id", sa.String(_ID), nullable=True),
        sa.Column("authorization_id", sa.String(40), nullable=True),
        sa.Column("ach_report", sa.String(16), nullable=True),
        sa.Column("ach_sync", sa.String(8), nullable=False),
        sa.Column("ach_attempts", sa.Integer(), nullable=False),
        sa.Column("ach_next_us", sa.BigInteger(), nullable=True),
        sa.Column("ach_result", sa.String(40), nullable=True),
        sa.Column("coop_sync", sa.String(8), nullable=False),
        sa.Column("coop_attempts", sa.Integer(), nullable=False),
        sa.Column("coop_next_us", sa.BigInteger(), nullable=True),
        sa.Column("coop_result", sa.String(40), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.Column("resolved_us", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("cus", name=op.f("pk_pse_payments")),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name=op.f("ck_pse_payments_status")),
        sa.CheckConstraint("value_minor > 0", name=op.f("ck_pse_payments_value_positive")),
        sa.CheckConstraint("ach_sync IN ('none', 'due', 'done', 'refused')", name=op.f("ck_pse_payments_ach_sync")),
        sa.CheckConstraint("coop_sync IN ('none', 'post', 'void', 'reverse')", name=op.f("ck_pse_payments_coop_sync")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_pse_payments_created_us", "pse_payments", ["created_us"])
    op.create_index(
        "ix_pse_payments_ach_next_us",
        "pse_payments",
        ["ach_next_us"],
        sqlite_where=sa.text(_ACH_DUE),
        postgresql_where=sa.text(_ACH_DUE),
    )
    op.create_index(
        "ix_pse_payments_coop_next_us",
        "pse_payments",
        ["coop_next_us"],
        sqlite_where=sa.text(_COOP_DUE),
        postgresql_where=sa.text(_COOP_DUE),
    )
    op.create_table(
        "pse_attempts",
        sa.Column("cus", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("product_id", sa.String(_ID), nullable=False),
        sa.Column("product_type", sa.String(4), nullable=False),
        sa.Column("product_masked", sa.String(16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("reason_code", sa.String(40), nullable=True),
        sa.Column("debit_id", sa.String(_ID), nullable=True),
        sa.Column("limit_subject", sa.String(_ID), nullable=True),
        sa.Column("limit_day", sa.Date(), nullable=True),
        sa.Column("sync", sa.String(8), nullable=False, comment="none | resolve (ask again, then void) | void"),
        sa.Column("sync_attempts", sa.Integer(), nullable=False),
        sa.Column("sync_next_us", sa.BigInteger(), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("resolved_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("cus", "seq", name=op.f("pk_pse_attempts")),
        sa.ForeignKeyConstraint(["cus"], ["pse_payments.cus"], name=op.f("fk_pse_attempts_cus_pse_payments")),
        sa.CheckConstraint(
            "outcome IN ('pending', 'authorized', 'declined', 'unknown', 'voided', 'posted')",
            name=op.f("ck_pse_attempts_outcome"),
        ),
        sa.CheckConstraint("sync IN ('none', 'resolve', 'void')", name=op.f("ck_pse_attempts_sync")),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_pse_attempts_amount_positive")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_pse_attempts_sync_next_us",
        "pse_attempts",
        ["sync_next_us"],
        sqlite_where=sa.text(_SYNC_DUE),
        postgresql_where=sa.text(_SYNC_DUE),
    )
    op.create_table(
        "portal_logins",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("next_allowed_us", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_portal_logins")),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_portal_logins_failures_non_negative")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("portal_logins")
    op.drop_index("ix_pse_attempts_sync_next_us", table_name="pse_attempts")
    op.drop_table("pse_attempts")
    op.drop_index("ix_pse_payments_coop_next_us", table_name="pse_payments")
    op.drop_index("ix_pse_payments_ach_next_us", table_name="pse_payments")
    op.drop_index("ix_pse_payments_created_us", table_name="pse_payments")
    op.drop_table("pse_payments")

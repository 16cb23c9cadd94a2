"""Collections (RedCoop Pagos PSE): visits, payments, their items and the confirmations received.

Revision ID: 0004_collections
Revises: 0003_otp_binding
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_collections"
down_revision: str | None = "0003_otp_binding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collection_sessions",
        sa.Column("id", sa.String(64), nullable=False, comment="opaque, from secrets"),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_us", sa.BigInteger(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_sessions")),
        sa.CheckConstraint(
            "state IN ('identifying', 'verified', 'confirming', 'started')", name=op.f("ck_collection_sessions_state")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "collection_payments",
        sa.Column("reference", sa.String(20), nullable=False),
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("member_id", sa.String(128), nullable=False),
        sa.Column("member_name", sa.String(200), nullable=False),
        sa.Column("payer", sa.Text(), nullable=False, comment="JSON: who pays (COL-04, COL-13)"),
        sa.Column("description", sa.String(140), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("gateway_transaction_id", sa.String(64), nullable=True),
        sa.Column("response_code", sa.String(64), nullable=True),
        sa.Column("cus", sa.String(64), nullable=True),
        sa.Column("bank", sa.String(120), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.Column("final_us", sa.BigInteger(), nullable=True),
        sa.Column("next_query_us", sa.BigInteger(), nullable=True),
        sa.Column("queries", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("reference", name=op.f("pk_collection_payments")),
        sa.CheckConstraint(
            "state IN ('created', 'pending', 'approved', 'declined', 'failed', 'expired')",
            name=op.f("ck_collection_payments_state"),
        ),
        sa.CheckConstraint("total_minor > 0", name=op.f("ck_collection_payments_total_positive")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_collection_payments_next_query_us", "collection_payments", ["next_query_us"])
    op.create_index("ix_collection_payments_created_us", "collection_payments", ["created_us"])
    op.create_table(
        "collection_items",
        sa.Column("reference", sa.String(20), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("product_type", sa.String(4), nullable=False),
        sa.Column("type_name", sa.String(64), nullable=False),
        sa.Column("number_masked", sa.String(32), nullable=False),
        sa.Column("payment_option", sa.String(8), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("credit_state", sa.String(16), nullable=False),
        sa.Column("coop_transaction_id", sa.String(64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_us", sa.BigInteger(), nullable=True, comment="when to (re)try the credit; NULL: nothing to do"),
        sa.Column("last_error", sa.String(64), nullable=True),
        sa.Column("applied_us", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reference"],
            ["collection_payments.reference"],
            name=op.f("fk_collection_items_reference_collection_payments"),
        ),
        sa.PrimaryKeyConstraint("reference", "seq", name=op.f("pk_collection_items")),
        sa.CheckConstraint(
            "credit_state IN ('waiting', 'applying', 'applied', 'refused', 'not_applicable')",
            name=op.f("ck_collection_items_credit_state"),
        ),
        sa.CheckConstraint("amount_minor > 0", name=op.f("ck_collection_items_amount_positive")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_collection_items_next_us", "collection_items", ["next_us"])
    op.create_table(
        "collection_confirmations",
        sa.Column("transaction_id", sa.String(64), nullable=False),
        sa.Column("state_pol", sa.String(8), nullable=False),
        sa.Column("reference", sa.String(20), nullable=False),
        sa.Column("first_us", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("transaction_id", "state_pol", name=op.f("pk_collection_confirmations")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    op.drop_table("collection_confirmations")
    op.drop_index("ix_collection_items_next_us", table_name="collection_items")
    op.drop_table("collection_items")
    op.drop_index("ix_collection_payments_created_us", table_name="collection_payments")
    op.drop_index("ix_collection_payments_next_query_us", table_name="collection_payments")
    op.drop_table("collection_payments")
    op.drop_table("collection_sessions")

"""OTP dynamic linking (NET-07): each challenge keeps the digest of what its code authorizes.

Revision ID: 0003_otp_binding
Revises: 0002_sicoop_cash
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_otp_binding"
down_revision: str | None = "0002_sicoop_cash"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "otp_challenges",
        sa.Column(
            "binding",
            sa.String(64),
            nullable=False,
            server_default="",
            comment="digest of what the code authorizes (NET-07); '' when unbound",
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("otp_challenges") as batch:
        batch.drop_column("binding")

"""Per-partner body signatures: a signing secret and whether a signature is required.

The secret is kept as is (an HMAC needs it; a hash would not do): it is shown once when it is
set and never printed again.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("partners", sa.Column("signing_secret", sa.Text(), nullable=True))
    op.add_column(
        "partners",
        sa.Column("require_signature", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("partners", "require_signature")
    op.drop_column("partners", "signing_secret")

"""The desk's "newest received" order (``GET /v1/items?sort=received``) reads an index.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "items_received_idx", "items", [sa.text("received_at DESC"), sa.text("id DESC")]
    )


def downgrade() -> None:
    op.drop_index("items_received_idx", table_name="items")

"""The change feed of ``GET /v1/stream``: an index on items' current version id (monotonic).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("items_current_version_idx", "items", ["current_version_id"])


def downgrade() -> None:
    op.drop_index("items_current_version_idx", table_name="items")

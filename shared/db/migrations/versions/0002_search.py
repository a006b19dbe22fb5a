"""Editors' search: a weighted tsvector per item and a subjects index.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("items", sa.Column("search", postgresql.TSVECTOR(), nullable=True))
    op.create_index("items_search_idx", "items", ["search"], postgresql_using="gin")
    op.create_index(
        "items_subjects_idx",
        "items",
        [sa.text("(doc -> 'subjects') jsonb_path_ops")],
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_index("items_subjects_idx", table_name="items")
    op.drop_index("items_search_idx", table_name="items")
    op.drop_column("items", "search")

"""Near-duplicate detection: item signatures and the LSH bucket table.

The bucket's primary key settles races between workers: of two transactions inserting the same
band key, exactly one owns it, and the other sees the owner once it has committed.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("items", sa.Column("signature", sa.LargeBinary(), nullable=True))
    op.create_index("items_cluster_idx", "items", ["cluster"])
    op.create_table(
        "lsh_buckets",
        sa.Column("bucket", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("item_id", sa.Text(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
            nullable=False,
        ),
    )  # fmt: skip
    op.create_index("lsh_buckets_created_idx", "lsh_buckets", ["created_at"])


def downgrade() -> None:
    op.drop_index("lsh_buckets_created_idx", table_name="lsh_buckets")
    op.drop_table("lsh_buckets")
    op.drop_index("items_cluster_idx", table_name="items")
    op.drop_column("items", "signature")

"""The API's parse kept with the submission (``submissions.prepared``), so the worker does not
parse the bytes again (shared/reading/kept.py).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("submissions", sa.Column("prepared", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("submissions", "prepared")

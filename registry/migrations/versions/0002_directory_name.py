"""The public directory (clause 7.3.3): the folded name of each listed register entry.

Entries stored before this revision carry no directory choice, so none is listed until the
issuer republishes them (``certreg registry rebuild``): nobody appears without their consent.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("documents", sa.Column("directory_name", sa.String(length=420), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.drop_column("directory_name")

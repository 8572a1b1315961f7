"""The set slots of each status list in a partial index of their own.

Rebuilding a list read every slot ever taken in it to find the few whose bit is set (a
table lookup per slot, about 35 ms for a list with 10,000 slots here); the index holds only
the set slots, so the read is as long as what the list shows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_status_slots_set",
        "status_slots",
        ["list_id", "idx", "value"],
        sqlite_where=sa.text("value != 0"),
        postgresql_where=sa.text("value != 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_status_slots_set", table_name="status_slots")

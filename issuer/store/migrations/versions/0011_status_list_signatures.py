"""Status lists remember when their published signature lapses, so it is renewed in time.

A status list credential now carries a short ``validUntil`` (a few times its ``ttl``): a
cache, a mirror or a man in the middle can no longer serve an old list, in which a
withdrawn certificate was still valid, for longer than that. The publisher must therefore
sign every list again before it lapses, even when no bit changed. This table says, per list,
when the newest published signature was made, when it lapses and when to sign it again
(halfway); a list without a row has never been published with a ``validUntil`` and is due at
once, so every list of an existing store is re-signed on the first round after the upgrade.
It is a table of its own rather than columns of ``status_lists``, whose rows issuance locks.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_list_signatures",
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["status_lists.id"],
            name=op.f("fk_status_list_signatures_list_id_status_lists"),
        ),
        sa.PrimaryKeyConstraint("list_id", name=op.f("pk_status_list_signatures")),
    )
    op.create_index(
        op.f("ix_status_list_signatures_refresh_at"),
        "status_list_signatures",
        ["refresh_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_status_list_signatures_refresh_at"), table_name="status_list_signatures")
    op.drop_table("status_list_signatures")

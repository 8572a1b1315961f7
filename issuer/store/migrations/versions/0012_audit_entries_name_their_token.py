"""Audit entries name the bearer token that acted, beside the staff member.

``audit_log.token_id`` holds the id of the token a request carried when it made the change
(empty for the entries written before, and for those the command line writes on the
server), indexed so that everything a token did can be listed once it is known to have
leaked. The chain hashes the token id only when an entry has one, so every entry written
before this revision still verifies unchanged.

The downgrade leaves the column and its index in place. Dropping them would erase which
token made each change, and every entry that named one would then fail verification for
good; the older code ignores the column (it never reads it, and its inserts leave it empty),
and upgrading again finds it there with every token id it held.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_INDEX = "ix_audit_log_token_id"


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if "token_id" not in {c["name"] for c in inspector.get_columns("audit_log")}:
        with op.batch_alter_table("audit_log") as batch:
            batch.add_column(sa.Column("token_id", sa.String(length=36), nullable=True))
    if _INDEX not in {i["name"] for i in inspector.get_indexes("audit_log")}:
        op.create_index(_INDEX, "audit_log", ["token_id"], unique=False)


def downgrade() -> None:
    """Nothing to undo: the column stays, with what it recorded (see the module docstring)."""

"""Bulk issuance: external ids that make a batch resumable and idempotent.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bulk_items",
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("row_digest", sa.String(length=64), nullable=False),
        sa.Column("batch_id", sa.String(length=36), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("certification_id", sa.String(length=36), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_bulk_items_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_bulk_items_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("external_id", name=op.f("pk_bulk_items")),
        sa.UniqueConstraint("certification_id", name=op.f("uq_bulk_items_certification_id")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_bulk_items_credential_id")),
    )
    with op.batch_alter_table("bulk_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulk_items_batch_id"), ["batch_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bulk_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulk_items_batch_id"))

    op.drop_table("bulk_items")

"""Lifecycle decisions (clauses 9.5, 9.6): suspension, reinstatement, withdrawal, scope
changes, recertification and expiry; credential supersession links.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lifecycle_decisions",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("certification_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("resolve_by", sa.Date(), nullable=True),
        sa.Column("scope_before", sa.Text(), nullable=True),
        sa.Column("scope_after", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_lifecycle_decisions_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["staff.id"], name=op.f("fk_lifecycle_decisions_decided_by_staff")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_lifecycle_decisions")),
        sa.UniqueConstraint("id", name=op.f("uq_lifecycle_decisions_id")),
    )
    with op.batch_alter_table("lifecycle_decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lifecycle_decisions_certification_id"),
            ["certification_id"],
            unique=False,
        )

    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolve_by", sa.Date(), nullable=True))

    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supersedes", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("superseded_by", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_credentials_supersedes_credentials"),
            "credentials",
            ["supersedes"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_credentials_superseded_by_credentials"),
            "credentials",
            ["superseded_by"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_credentials_superseded_by_credentials"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_credentials_supersedes_credentials"), type_="foreignkey"
        )
        batch_op.drop_column("superseded_by")
        batch_op.drop_column("supersedes")

    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_column("resolve_by")
        batch_op.drop_column("status_since")

    with op.batch_alter_table("lifecycle_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lifecycle_decisions_certification_id"))

    op.drop_table("lifecycle_decisions")

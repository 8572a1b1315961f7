"""Time-driven transitions keep their own record: escalations and effective instants.

The due jobs refer a suspension left unresolved past its resolve-by date to the
decision-makers (clause 9.5); ``suspension_escalations`` holds one row per suspend decision
and deadline, so a second run, or a second process, cannot refer it again. And an expiry is
recorded by whichever run comes after the end of the last valid day, so a lifecycle decision
may now say when it took effect (``effective_at``) apart from when it was recorded; the
regulators' change feed reports that instant.

The due jobs look every minute for active or suspended certifications past their expiry
date: the index on ``status`` alone became one on ``status`` and ``expiry_date``, so that
look reads only what is due, not every certification that expired years ago; queries by
status alone use its first column as before.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_certifications_status_expiry_date",
        "certifications",
        ["status", "expiry_date"],
        unique=False,
    )
    op.drop_index(op.f("ix_certifications_status"), table_name="certifications")
    with op.batch_alter_table("lifecycle_decisions") as batch:
        batch.add_column(sa.Column("effective_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "suspension_escalations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("certification_id", sa.String(length=36), nullable=False),
        sa.Column("suspension_id", sa.String(length=36), nullable=False),
        sa.Column("resolve_by", sa.Date(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_suspension_escalations_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["suspension_id"],
            ["lifecycle_decisions.id"],
            name=op.f("fk_suspension_escalations_suspension_id_lifecycle_decisions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suspension_escalations")),
        sa.UniqueConstraint(
            "suspension_id",
            "resolve_by",
            name=op.f("uq_suspension_escalations_suspension_deadline"),
        ),
    )
    op.create_index(
        op.f("ix_suspension_escalations_certification_id"),
        "suspension_escalations",
        ["certification_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_suspension_escalations_certification_id"), table_name="suspension_escalations"
    )
    op.drop_table("suspension_escalations")
    with op.batch_alter_table("lifecycle_decisions") as batch:
        batch.drop_column("effective_at")
    op.create_index(op.f("ix_certifications_status"), "certifications", ["status"], unique=False)
    op.drop_index("ix_certifications_status_expiry_date", table_name="certifications")

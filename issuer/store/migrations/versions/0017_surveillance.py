"""Surveillance scheduled, recorded and escalated (clauses 8.3, 9.6).

``scheme_surveillance_activities`` holds the surveillance activities of a scheme version
(a table beside ``scheme_versions``, as its scope items are). ``surveillance_due`` holds
each certification's schedule and the results recorded on it; ``proposed_suspensions``
the suspensions the due jobs propose for an item late or failed, one per item and reason.

Nothing to backfill: every scheme version recorded before this revision described its
surveillance in words only (``surveillance_methods``), so it defines no activity and its
certifications have nothing scheduled — exactly what a version without activities means
from now on.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheme_surveillance_activities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scheme_version_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("interval_months", sa.Integer(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scheme_version_id"],
            ["scheme_versions.id"],
            name=op.f("fk_scheme_surveillance_activities_scheme_version_id_scheme_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheme_surveillance_activities")),
        sa.UniqueConstraint(
            "scheme_version_id",
            "code",
            name=op.f("uq_scheme_surveillance_activities_code"),
        ),
    )
    op.create_index(
        op.f("ix_scheme_surveillance_activities_scheme_version_id"),
        "scheme_surveillance_activities",
        ["scheme_version_id"],
        unique=False,
    )

    op.create_table(
        "surveillance_due",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("certification_id", sa.String(length=36), nullable=False),
        sa.Column("activity_code", sa.String(length=40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("late_after", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("evidence_ref", sa.String(length=500), nullable=True),
        sa.Column("performed_by", sa.String(length=36), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_surveillance_due_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["performed_by"], ["staff.id"], name=op.f("fk_surveillance_due_performed_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["staff.id"], name=op.f("fk_surveillance_due_recorded_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveillance_due")),
        sa.UniqueConstraint(
            "certification_id", "activity_code", "due_on", name=op.f("uq_surveillance_due_item")
        ),
    )
    op.create_index(
        "ix_surveillance_due_state_late_after",
        "surveillance_due",
        ["state", "late_after"],
        unique=False,
    )

    op.create_table(
        "proposed_suspensions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("certification_id", sa.String(length=36), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=36), nullable=True),
        sa.Column("closing", sa.String(length=20), nullable=True),
        sa.Column("closing_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_proposed_suspensions_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["staff.id"], name=op.f("fk_proposed_suspensions_closed_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["surveillance_due.id"],
            name=op.f("fk_proposed_suspensions_item_id_surveillance_due"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposed_suspensions")),
        sa.UniqueConstraint("item_id", "reason", name=op.f("uq_proposed_suspensions_item_reason")),
    )
    op.create_index(
        op.f("ix_proposed_suspensions_certification_id"),
        "proposed_suspensions",
        ["certification_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_proposed_suspensions_closed_at"),
        "proposed_suspensions",
        ["closed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_proposed_suspensions_closed_at"), table_name="proposed_suspensions")
    op.drop_index(
        op.f("ix_proposed_suspensions_certification_id"), table_name="proposed_suspensions"
    )
    op.drop_table("proposed_suspensions")
    op.drop_index("ix_surveillance_due_state_late_after", table_name="surveillance_due")
    op.drop_table("surveillance_due")
    op.drop_index(
        op.f("ix_scheme_surveillance_activities_scheme_version_id"),
        table_name="scheme_surveillance_activities",
    )
    op.drop_table("scheme_surveillance_activities")

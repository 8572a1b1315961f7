"""Findings of the management system and their corrective actions (clause 10).

``findings`` holds each finding (its source, the clause it concerns, its description and
severity, when and by whom it was raised) and its corrective action (root cause, action,
owner, due date), the report that the action was taken and the check of its effectiveness,
each step's date and who took it.

Nothing to backfill: no finding was recorded before this revision, so a populated store
upgrades with an empty table; the examiner and management review reports read tables that
already exist.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_STAFF = ("raised_by", "owner_id", "planned_by", "taken_by", "checked_by")


def upgrade() -> None:
    op.create_table(
        "findings",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=30), nullable=False),
        sa.Column("clause", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("raised_by", sa.String(length=36), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("action", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.String(length=36), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("planned_by", sa.String(length=36), nullable=True),
        sa.Column("action_note", sa.Text(), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("taken_by", sa.String(length=36), nullable=True),
        sa.Column("effective", sa.Boolean(), nullable=True),
        sa.Column("check_note", sa.Text(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_by", sa.String(length=36), nullable=True),
        sa.Column("times_reopened", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        *(
            sa.ForeignKeyConstraint([column], ["staff.id"], name=f"fk_findings_{column}_staff")
            for column in _STAFF
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    op.create_index(op.f("ix_findings_raised_on"), "findings", ["raised_on"], unique=False)
    op.create_index("ix_findings_state_due_on", "findings", ["state", "due_on"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_findings_state_due_on", table_name="findings")
    op.drop_index(op.f("ix_findings_raised_on"), table_name="findings")
    op.drop_table("findings")

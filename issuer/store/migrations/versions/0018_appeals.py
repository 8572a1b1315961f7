"""Appeals against decisions about a person (clause 9.8).

``appeals`` holds each appeal: the decision it is against (by kind and id), the person and
certification concerned, its confidential grounds and rationale, its deadlines and each
step's date and who took it, and the lifecycle decision that gave the remedy of an upheld
one. ``lifecycle_decisions`` gains ``appeal_id``: the appeal a decision gives the remedy of.

Nothing to backfill: no appeal was recorded before this revision, and no decision recorded
before it gave the remedy of one, so every existing lifecycle decision keeps ``appeal_id``
empty (NULL), which is exactly what it means.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-17
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_STAFF = (
    "received_by",
    "acknowledged_by",
    "investigator_id",
    "assigned_by",
    "decided_by",
    "communicated_by",
    "closed_by",
    "withdrawn_by",
)


def upgrade() -> None:
    with op.batch_alter_table("lifecycle_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("appeal_id", sa.String(length=36), nullable=True))

    op.create_table(
        "appeals",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("decision_kind", sa.String(length=30), nullable=False),
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("certification_id", sa.String(length=36), nullable=True),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("appellant", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("acknowledge_by", sa.Date(), nullable=False),
        sa.Column("decide_by", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by", sa.String(length=36), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=36), nullable=True),
        sa.Column("investigator_id", sa.String(length=36), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_by", sa.String(length=36), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("remedy", sa.String(length=20), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=36), nullable=True),
        sa.Column("communicated_on", sa.Date(), nullable=True),
        sa.Column("communicated_via", sa.String(length=20), nullable=True),
        sa.Column("communicated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("communicated_by", sa.String(length=36), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=36), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=36), nullable=True),
        sa.Column("remedy_decision_id", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_appeals_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_appeals_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["remedy_decision_id"],
            ["lifecycle_decisions.id"],
            name=op.f("fk_appeals_remedy_decision_id_lifecycle_decisions"),
        ),
        *(
            sa.ForeignKeyConstraint([column], ["staff.id"], name=f"fk_appeals_{column}_staff")
            for column in _STAFF
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
    )
    op.create_index(op.f("ix_appeals_decision_id"), "appeals", ["decision_id"], unique=False)
    op.create_index(op.f("ix_appeals_person_id"), "appeals", ["person_id"], unique=False)
    op.create_index("ix_appeals_state_decide_by", "appeals", ["state", "decide_by"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_appeals_state_decide_by", table_name="appeals")
    op.drop_index(op.f("ix_appeals_person_id"), table_name="appeals")
    op.drop_index(op.f("ix_appeals_decision_id"), table_name="appeals")
    op.drop_table("appeals")
    with op.batch_alter_table("lifecycle_decisions", schema=None) as batch_op:
        batch_op.drop_column("appeal_id")

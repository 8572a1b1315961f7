"""Complaints (clause 9.9), misuse of certificates and marks among them (9.7).

``complaints`` holds each complaint: what it is about (the body, a certified person, a
certificate's or a mark's misuse) and the certificate it names, its confidential
description, complainant contact and response, its deadlines, each step's date and who took
it, and the unguessable reference its complainant looks it up by. ``lifecycle_decisions``
gains ``complaint_id``: the complaint a suspension answers.

Nothing to backfill: no complaint was recorded before this revision, and no decision recorded
before it answered one, so every existing lifecycle decision keeps ``complaint_id`` empty
(NULL), which is exactly what it means.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_STAFF = (
    "received_by",
    "validated_by",
    "acknowledged_by",
    "investigator_id",
    "assigned_by",
    "answered_by",
    "closed_by",
)


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=30), nullable=False),
        sa.Column("certificate_number", sa.String(length=64), nullable=True),
        sa.Column("certification_id", sa.String(length=36), nullable=True),
        sa.Column("person_id", sa.String(length=36), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("complainant_name", sa.String(length=200), nullable=True),
        sa.Column("complainant_email", sa.String(length=254), nullable=True),
        sa.Column("complainant_phone", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("acknowledge_by", sa.Date(), nullable=False),
        sa.Column("answer_by", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by", sa.String(length=36), nullable=True),
        sa.Column("validated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("validated_by", sa.String(length=36), nullable=True),
        sa.Column("rejected_reason", sa.Text(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=36), nullable=True),
        sa.Column("investigator_id", sa.String(length=36), nullable=True),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assigned_by", sa.String(length=36), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=36), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_complaints_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_complaints_certification_id_certifications"),
        ),
        *(
            sa.ForeignKeyConstraint([column], ["staff.id"], name=f"fk_complaints_{column}_staff")
            for column in _STAFF
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("reference", name=op.f("uq_complaints_reference")),
    )
    op.create_index(op.f("ix_complaints_person_id"), "complaints", ["person_id"], unique=False)
    op.create_index(
        "ix_complaints_state_answer_by", "complaints", ["state", "answer_by"], unique=False
    )
    op.create_index("ix_complaints_channel_state", "complaints", ["channel", "state"], unique=False)
    with op.batch_alter_table("lifecycle_decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("complaint_id", sa.String(length=36), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_lifecycle_decisions_complaint_id_complaints"),
            "complaints",
            ["complaint_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("lifecycle_decisions", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_lifecycle_decisions_complaint_id_complaints"), type_="foreignkey"
        )
        batch_op.drop_column("complaint_id")
    op.drop_index("ix_complaints_channel_state", table_name="complaints")
    op.drop_index("ix_complaints_state_answer_by", table_name="complaints")
    op.drop_index(op.f("ix_complaints_person_id"), table_name="complaints")
    op.drop_table("complaints")

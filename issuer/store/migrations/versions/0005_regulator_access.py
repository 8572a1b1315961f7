"""Regulators' access: disclosure log and notices to persons (clause 7.3.4), request log.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disclosures",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("certification_id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("legal_basis", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("token_id", sa.String(length=36), nullable=False),
        sa.Column("disclosed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_disclosures_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_disclosures_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_disclosures_token_id_api_tokens")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosures")),
    )
    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_disclosures_certification_id"), ["certification_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_disclosures_person_id"), ["person_id"], unique=False)

    op.create_table(
        "person_notices",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_notices_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["sent_by"], ["staff.id"], name=op.f("fk_person_notices_sent_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_notices")),
    )
    with op.batch_alter_table("person_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_notices_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_person_notices_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "regulator_requests",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("token_id", sa.String(length=36), nullable=True),
        sa.Column("staff_id", sa.String(length=36), nullable=True),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_tokens.id"],
            name=op.f("fk_regulator_requests_token_id_api_tokens"),
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_regulator_requests_staff_id_staff")
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_regulator_requests")),
    )
    with op.batch_alter_table("regulator_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_regulator_requests_token_id"), ["token_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("regulator_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_regulator_requests_token_id"))
    op.drop_table("regulator_requests")

    with op.batch_alter_table("person_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_notices_sent_at"))
        batch_op.drop_index(batch_op.f("ix_person_notices_person_id"))
    op.drop_table("person_notices")

    with op.batch_alter_table("disclosures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_disclosures_person_id"))
        batch_op.drop_index(batch_op.f("ix_disclosures_certification_id"))
    op.drop_table("disclosures")

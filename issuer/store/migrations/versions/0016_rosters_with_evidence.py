"""Rosters carry their evidence, and are prepared by one person and granted by another.

``bulk_items`` gains the evidence each roster row was granted on (clauses 9.3, 7.4.4): who
examined the person and when, the result, whether identity was checked and the NDA
accepted, and the body's examiner if one of its staff examined. Rows issued before this
revision were issued on no evidence the store recorded: their columns stay empty (NULL),
which is what an auditor must see for them, rather than evidence made up after the fact.

``rosters`` and ``roster_rows`` hold rosters prepared for approval: who prepared each (staff
member and token), who approved it, and each row's fields and outcome. There were none
before this revision.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-16
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_EVIDENCE = ("exam_provider", "examined_on", "exam_result", "identity_checked", "nda_accepted")


def upgrade() -> None:
    with op.batch_alter_table("bulk_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exam_provider", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("examined_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("exam_result", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("identity_checked", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("nda_accepted", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("examiner_id", sa.String(length=36), nullable=True))

    op.create_table(
        "rosters",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("prepared_by", sa.String(length=36), nullable=False),
        sa.Column("prepared_token_id", sa.String(length=36), nullable=True),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(length=36), nullable=True),
        sa.Column("approved_token_id", sa.String(length=36), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("issued", sa.Integer(), nullable=False),
        sa.Column("already_issued", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["prepared_by"], ["staff.id"], name=op.f("fk_rosters_prepared_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["prepared_token_id"],
            ["api_tokens.id"],
            name=op.f("fk_rosters_prepared_token_id_api_tokens"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["staff.id"], name=op.f("fk_rosters_approved_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["approved_token_id"],
            ["api_tokens.id"],
            name=op.f("fk_rosters_approved_token_id_api_tokens"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rosters")),
    )
    with op.batch_alter_table("rosters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rosters_prepared_at"), ["prepared_at"], unique=False)

    op.create_table(
        "roster_rows",
        sa.Column("roster_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("problem", sa.String(length=60), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("certification_id", sa.String(length=36), nullable=True),
        sa.Column("credential_id", sa.String(length=36), nullable=True),
        sa.Column("certificate_number", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["roster_id"], ["rosters.id"], name=op.f("fk_roster_rows_roster_id_rosters")
        ),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_roster_rows_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_roster_rows_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("roster_id", "number", name=op.f("pk_roster_rows")),
    )


def downgrade() -> None:
    op.drop_table("roster_rows")
    with op.batch_alter_table("rosters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rosters_prepared_at"))
    op.drop_table("rosters")
    with op.batch_alter_table("bulk_items", schema=None) as batch_op:
        for column in ("examiner_id", *reversed(_EVIDENCE)):
            batch_op.drop_column(column)

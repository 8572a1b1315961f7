"""The ``re-grant`` remedy of an upheld appeal given through a normal grant (clause 9.8).

``decisions.appeal_id`` names the upheld appeal whose remedy a grant gives (by id, as an
appeal names the decision it is against: no foreign key, which would close a cycle through
certifications); ``appeals.remedy_certification_id`` names the certification that grant
created, so the appeal's record leads to it.

Backfill: none. No grant before this revision gave a remedy (a ``re-grant`` was given by a
new application and grant that nothing linked to the appeal), so both columns start empty on
every existing row.

Revision ID: 0025
Revises: 0024
Create Date: 2027-01-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("appeal_id", sa.String(length=36), nullable=True))
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("remedy_certification_id", sa.String(length=36), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appeals_remedy_certification_id_certifications"),
            "certifications",
            ["remedy_certification_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appeals_remedy_certification_id_certifications"), type_="foreignkey"
        )
        batch_op.drop_column("remedy_certification_id")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("appeal_id")

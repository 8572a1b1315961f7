"""What the body publishes about itself (clauses 4.3, 9.8, 9.9), versioned.

``body_information`` holds each version an administrator records: the body's name, its
impartiality commitment, how appeals and complaints are handled, whom to contact for them,
and its accreditation if any, with who recorded it and when. The highest version is the one
published.

Backfill: none. A store upgraded from an earlier revision has recorded nothing of the kind,
so nothing is published until an administrator records it; the table starts empty, and
every row already in the store is left as it was.

Revision ID: 0022
Revises: 0021
Create Date: 2027-01-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "body_information",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("impartiality_commitment", sa.Text(), nullable=False),
        sa.Column("appeals_process", sa.Text(), nullable=False),
        sa.Column("complaints_process", sa.Text(), nullable=False),
        sa.Column("contact", sa.String(length=500), nullable=False),
        sa.Column("accreditation_body", sa.String(length=200), nullable=True),
        sa.Column("accreditation_number", sa.String(length=100), nullable=True),
        sa.Column("accreditation_scope_url", sa.String(length=2000), nullable=True),
        sa.Column("recorded_by", sa.String(length=36), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["staff.id"], name=op.f("fk_body_information_recorded_by_staff")
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_body_information")),
    )


def downgrade() -> None:
    op.drop_table("body_information")

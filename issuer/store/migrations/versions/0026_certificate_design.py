"""How the body's printed certificates look, and each scheme's certificate title.

``certificate_designs`` holds each version an administrator records of what the body prints
on its certificates beyond the credential — its address, its logo and accreditation mark
(PNG images), and who signs certificates for it — with who recorded it and when; the
highest version is the one printed. ``scheme_versions.certificate_title`` is the title a
scheme's certificates carry.

Backfill: none. A store upgraded from an earlier revision has recorded no design, so its
certificates print as before (no address, logo, mark or signatory); every existing scheme
version gets no title, which prints the title every certificate had before, "Certificate of
Competence".

Revision ID: 0026
Revises: 0025
Create Date: 2027-01-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "certificate_designs",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("signatory_name", sa.String(length=200), nullable=True),
        sa.Column("signatory_function", sa.String(length=200), nullable=True),
        sa.Column("logo_png", sa.LargeBinary(), nullable=True),
        sa.Column("accreditation_mark_png", sa.LargeBinary(), nullable=True),
        sa.Column("recorded_by", sa.String(length=36), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["staff.id"], name=op.f("fk_certificate_designs_recorded_by_staff")
        ),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_certificate_designs")),
    )
    with op.batch_alter_table("scheme_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("certificate_title", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scheme_versions", schema=None) as batch_op:
        batch_op.drop_column("certificate_title")
    op.drop_table("certificate_designs")

"""Signing keys, status lists and slots, credentials, scheme marks, mark agreements and the
renderings cache.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=10), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("encrypted_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("compromised_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kid", name=op.f("pk_signing_keys")),
    )
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signing_keys_state"), ["state"], unique=False)

    op.create_table(
        "status_lists",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_lists")),
    )
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_lists_purpose"), ["purpose"], unique=False)

    op.create_table(
        "scheme_marks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("scheme_id", sa.String(length=36), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("digest_sri", sa.String(length=100), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff.id"], name=op.f("fk_scheme_marks_created_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"], ["schemes.id"], name=op.f("fk_scheme_marks_scheme_id_schemes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheme_marks")),
    )
    with op.batch_alter_table("scheme_marks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_scheme_marks_scheme_id"), ["scheme_id"], unique=False)

    op.create_table(
        "credentials",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("certification_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("depends_on", sa.String(length=36), nullable=True),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("jws", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revocation_list_id", sa.String(length=36), nullable=False),
        sa.Column("revocation_index", sa.Integer(), nullable=False),
        sa.Column("suspension_list_id", sa.String(length=36), nullable=False),
        sa.Column("suspension_index", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_credentials_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["depends_on"], ["credentials.id"], name=op.f("fk_credentials_depends_on_credentials")
        ),
        sa.ForeignKeyConstraint(
            ["kid"], ["signing_keys.kid"], name=op.f("fk_credentials_kid_signing_keys")
        ),
        sa.ForeignKeyConstraint(
            ["revocation_list_id"],
            ["status_lists.id"],
            name=op.f("fk_credentials_revocation_list_id_status_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["suspension_list_id"],
            ["status_lists.id"],
            name=op.f("fk_credentials_suspension_list_id_status_lists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
    )
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credentials_certification_id"), ["certification_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_credentials_kid"), ["kid"], unique=False)

    op.create_table(
        "mark_agreements",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("certification_id", sa.String(length=36), nullable=False),
        sa.Column("mark_id", sa.String(length=36), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_mark_agreements_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["mark_id"], ["scheme_marks.id"], name=op.f("fk_mark_agreements_mark_id_scheme_marks")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["staff.id"], name=op.f("fk_mark_agreements_recorded_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mark_agreements")),
    )
    with op.batch_alter_table("mark_agreements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mark_agreements_certification_id"), ["certification_id"], unique=False
        )

    op.create_table(
        "status_slots",
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("certification_id", sa.String(length=36), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_status_slots_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["list_id"], ["status_lists.id"], name=op.f("fk_status_slots_list_id_status_lists")
        ),
        sa.PrimaryKeyConstraint("list_id", "idx", name=op.f("pk_status_slots")),
    )
    with op.batch_alter_table("status_slots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_status_slots_certification_id"), ["certification_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_status_slots_credential_id"), ["credential_id"], unique=False
        )

    op.create_table(
        "renderings",
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("format", sa.String(length=20), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_renderings_credential_id_credentials"),
        ),
        sa.PrimaryKeyConstraint("credential_id", "format", name=op.f("pk_renderings")),
    )


def downgrade() -> None:
    op.drop_table("renderings")
    with op.batch_alter_table("status_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_slots_credential_id"))
        batch_op.drop_index(batch_op.f("ix_status_slots_certification_id"))

    op.drop_table("status_slots")
    with op.batch_alter_table("mark_agreements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mark_agreements_certification_id"))

    op.drop_table("mark_agreements")
    with op.batch_alter_table("credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_kid"))
        batch_op.drop_index(batch_op.f("ix_credentials_certification_id"))

    op.drop_table("credentials")
    with op.batch_alter_table("scheme_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheme_marks_scheme_id"))

    op.drop_table("scheme_marks")
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_lists_purpose"))

    op.drop_table("status_lists")
    with op.batch_alter_table("signing_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_keys_state"))

    op.drop_table("signing_keys")

"""SD-JWT VCs and the IETF Token Status Lists their status lives in.

``token_status_lists`` are 2-bit Token Status Lists (draft-ietf-oauth-status-list-20);
``token_status_slots`` holds the one slot a certificate credential gets in them when the
first SD-JWT VC derived from it is issued (unique per credential, never reused), with its
value (0 valid, 1 invalid, 2 suspended); ``token_status_list_signatures`` says when each
list was last published signed and when to sign it again; ``sd_jwt_vcs`` records every
SD-JWT VC issued: its certification, the certificate credential it restates, its token
slot, the holder key's thumbprint, the signing key and its dates.

Backfill: none. A store upgraded from an earlier revision has issued no SD-JWT VC, so it has
no token list until the first one is issued.

Revision ID: 0027
Revises: 0026
Create Date: 2027-01-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "token_status_lists",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("bits", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_status_lists")),
    )
    op.create_table(
        "token_status_list_signatures",
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["token_status_lists.id"],
            name=op.f("fk_token_status_list_signatures_list_id_token_status_lists"),
        ),
        sa.PrimaryKeyConstraint("list_id", name=op.f("pk_token_status_list_signatures")),
    )
    op.create_index(
        op.f("ix_token_status_list_signatures_refresh_at"),
        "token_status_list_signatures",
        ["refresh_at"],
    )
    op.create_table(
        "token_status_slots",
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_token_status_slots_credential_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["token_status_lists.id"],
            name=op.f("fk_token_status_slots_list_id_token_status_lists"),
        ),
        sa.PrimaryKeyConstraint("list_id", "idx", name=op.f("pk_token_status_slots")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_token_status_slots_credential_id")),
    )
    op.create_index(
        "ix_token_status_slots_set",
        "token_status_slots",
        ["list_id", "idx", "value"],
        sqlite_where=sa.text("value != 0"),
        postgresql_where=sa.text("value != 0"),
    )
    op.create_table(
        "sd_jwt_vcs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("certification_id", sa.String(length=36), nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("token_list_id", sa.String(length=36), nullable=False),
        sa.Column("token_index", sa.Integer(), nullable=False),
        sa.Column("holder_thumbprint", sa.String(length=64), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_sd_jwt_vcs_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_sd_jwt_vcs_credential_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["kid"], ["signing_keys.kid"], name=op.f("fk_sd_jwt_vcs_kid_signing_keys")
        ),
        sa.ForeignKeyConstraint(
            ["token_list_id"],
            ["token_status_lists.id"],
            name=op.f("fk_sd_jwt_vcs_token_list_id_token_status_lists"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sd_jwt_vcs")),
    )
    op.create_index(op.f("ix_sd_jwt_vcs_certification_id"), "sd_jwt_vcs", ["certification_id"])
    op.create_index(op.f("ix_sd_jwt_vcs_credential_id"), "sd_jwt_vcs", ["credential_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sd_jwt_vcs_credential_id"), table_name="sd_jwt_vcs")
    op.drop_index(op.f("ix_sd_jwt_vcs_certification_id"), table_name="sd_jwt_vcs")
    op.drop_table("sd_jwt_vcs")
    op.drop_index("ix_token_status_slots_set", table_name="token_status_slots")
    op.drop_table("token_status_slots")
    op.drop_index(
        op.f("ix_token_status_list_signatures_refresh_at"),
        table_name="token_status_list_signatures",
    )
    op.drop_table("token_status_list_signatures")
    op.drop_table("token_status_lists")

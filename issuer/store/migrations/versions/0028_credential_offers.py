"""Credential offers to wallets (OpenID for Verifiable Credential Issuance 1.0).

``credential_offers`` holds each single-use offer of a certificate to a wallet: the
certification, the credential configuration offered, the digests of the secret in its
``credential_offer_uri``, of its pre-authorized code and of its transaction code, who made
it, when it expires, when it was redeemed and how many wrong transaction codes were tried.
``credential_offer_tokens`` holds the access token a redeemed offer gave (its digest, its
expiry, when it received the credential); ``proof_nonces`` the digest of each ``c_nonce``
handed out, with its expiry and the request that used it.

Backfill: none. No offer, token or nonce existed before this revision; dropping the tables
on a downgrade loses only offers that would have expired within minutes.

Revision ID: 0028
Revises: 0027
Create Date: 2027-01-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credential_offers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("certification_id", sa.String(length=36), nullable=False),
        sa.Column("configuration_id", sa.String(length=64), nullable=False),
        sa.Column("uri_digest", sa.String(length=64), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("tx_code_digest", sa.String(length=64), nullable=False),
        sa.Column("tx_code_length", sa.Integer(), nullable=False),
        sa.Column("offered_by", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_credential_offers_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff.id"], name=op.f("fk_credential_offers_created_by_staff")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_offers")),
    )
    op.create_index(
        op.f("ix_credential_offers_certification_id"),
        "credential_offers",
        ["certification_id"],
        unique=False,
    )
    op.create_table(
        "credential_offer_tokens",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("offer_id", sa.String(length=36), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["credential_offers.id"],
            name=op.f("fk_credential_offer_tokens_offer_id_credential_offers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_offer_tokens")),
        sa.UniqueConstraint("offer_id", name=op.f("uq_credential_offer_tokens_offer_id")),
    )
    op.create_table(
        "proof_nonces",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_proof_nonces")),
    )
    op.create_index(
        op.f("ix_proof_nonces_created_at"), "proof_nonces", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_proof_nonces_created_at"), table_name="proof_nonces")
    op.drop_table("proof_nonces")
    op.drop_table("credential_offer_tokens")
    op.drop_index(op.f("ix_credential_offers_certification_id"), table_name="credential_offers")
    op.drop_table("credential_offers")

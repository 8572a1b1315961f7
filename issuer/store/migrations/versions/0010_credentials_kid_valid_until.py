"""Credentials are indexed by signing key and validity end, not by signing key alone.

Every publication of the issuer's keys, and every drain that publishes credentials, asks
each retired key for the latest ``valid_until`` among the credentials it signed (a retired
key stays published while any of them is valid). With an index on ``kid`` alone that read
every credential the key signed, a row lookup each: 60 ms for a key that signed 100,000
credentials here, so after the first key rotation of a body with a million certificates,
most of a second per drain. On (``kid``, ``valid_until``) it is one index seek (under a
millisecond, with its transaction). The new index serves every query the old one did.

Building it reads the whole table once: on a store of a million credentials, a minute or
so during which writes wait.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_credentials_kid_valid_until", "credentials", ["kid", "valid_until"])
    op.drop_index("ix_credentials_kid", table_name="credentials")


def downgrade() -> None:
    op.create_index("ix_credentials_kid", "credentials", ["kid"])
    op.drop_index("ix_credentials_kid_valid_until", table_name="credentials")

"""Status slots lose the indexes on their certification and credential ids.

No query reads status slots by certification or credential: lifecycle decisions find a
credential's slots in the credential's own row (``revocation_list_id``/``revocation_index``
and the suspension pair), and rebuilding a list reads ``ix_status_slots_set``. Yet every
credential added four entries to the two indexes, two of them at random places (credential
ids are random). Without them, bulk issuance into SQLite wrote its status slots in 9–12 µs
a row instead of 15–20 (from 200,000 to 1,000,000 rows here); the two indexes took 18 MB
per 100,000 certifications even when built in one pass, more when grown by random inserts.
Certifications and credentials are never deleted, so no foreign key check needs them
either.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_status_slots_certification_id", table_name="status_slots")
    op.drop_index("ix_status_slots_credential_id", table_name="status_slots")


def downgrade() -> None:
    op.create_index("ix_status_slots_credential_id", "status_slots", ["credential_id"])
    op.create_index("ix_status_slots_certification_id", "status_slots", ["certification_id"])

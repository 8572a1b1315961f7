"""The one status an Open Badges 3.0 badge carries: 2-bit Bitstring ``message`` lists.

``message_status_lists`` are W3C Bitstring Status Lists of ``statusPurpose`` ``message`` and
``statusSize`` 2 (0 valid, 1 revoked, 2 suspended); ``message_status_slots`` holds the one
slot a certificate credential gets in them when its badge is first exported (unique per
credential, never reused), with its value; ``message_status_list_signatures`` says when each
list was last published signed and when to sign it again. A family of its own, apart from
the Token Status Lists of SD-JWT VCs: a badge names its holder, an SD-JWT VC may not, and
a shared slot would link the two.

Backfill: none. Badges exported before this revision keep citing their certificate's two
Bitstring slots, which still work; the next export claims a message slot.

Chained to 0029 (0030 may be taken by another change; alembic orders by the chain).

Revision ID: 0030
Revises: 0029
Create Date: 2027-02-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_status_lists",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("bits", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_status_lists")),
    )
    op.create_table(
        "message_status_list_signatures",
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["message_status_lists.id"],
            name=op.f("fk_message_status_list_signatures_list_id_message_status_lists"),
        ),
        sa.PrimaryKeyConstraint("list_id", name=op.f("pk_message_status_list_signatures")),
    )
    op.create_index(
        op.f("ix_message_status_list_signatures_refresh_at"),
        "message_status_list_signatures",
        ["refresh_at"],
    )
    op.create_table(
        "message_status_slots",
        sa.Column("list_id", sa.String(length=36), nullable=False),
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("credential_id", sa.String(length=36), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("allocated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials.id"],
            name=op.f("fk_message_status_slots_credential_id_credentials"),
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["message_status_lists.id"],
            name=op.f("fk_message_status_slots_list_id_message_status_lists"),
        ),
        sa.PrimaryKeyConstraint("list_id", "idx", name=op.f("pk_message_status_slots")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_message_status_slots_credential_id")),
    )
    op.create_index(
        "ix_message_status_slots_set",
        "message_status_slots",
        ["list_id", "idx", "value"],
        sqlite_where=sa.text("value != 0"),
        postgresql_where=sa.text("value != 0"),
    )


def downgrade() -> None:
    op.drop_index("ix_message_status_slots_set", table_name="message_status_slots")
    op.drop_table("message_status_slots")
    op.drop_index(
        op.f("ix_message_status_list_signatures_refresh_at"),
        table_name="message_status_list_signatures",
    )
    op.drop_table("message_status_list_signatures")
    op.drop_table("message_status_lists")

"""Notices e-mailed to persons: each notice's way to the person, and the person's language.

``person_notices`` gains its delivery state (``queued``, ``sending``, ``sent``,
``failed-retrying``, ``dead``, ``no-address``), the number of attempts, when the next one is
due (or when a sender's claim lapses), the last error (a short reason, never an address or
any of the message), the language it is written in, the facts it says (JSON) and a one-time
link it may carry, wiped once the notice is sent or dead. ``person_confidential`` gains the
person's ``language``.

Backfill: a notice already marked sent becomes ``sent``. A notice not yet sent was queued
before any sender existed, without the facts an e-mail needs, and staff were to send it by
hand: it becomes ``no-address``, the state of notices staff send by hand, so nothing is
e-mailed without staff deciding to and no notice leaves staff's list. Every notice is in
English (``en``) with no facts (``{}``); every person's language stays empty (NULL: the
body's default).

Revision ID: 0023
Revises: 0022
Create Date: 2027-01-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person_notices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("state", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("facts", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("secret_url", sa.String(length=2000), nullable=True))
    op.execute(
        "UPDATE person_notices SET state = CASE WHEN sent_at IS NULL THEN 'no-address'"
        " ELSE 'sent' END, attempts = 0, language = 'en', facts = '{}'"
    )
    with op.batch_alter_table("person_notices", schema=None) as batch_op:
        for column in ("state", "attempts", "language", "facts"):
            batch_op.alter_column(column, nullable=False)
    op.create_index(
        "ix_person_notices_state_due",
        "person_notices",
        ["state", "next_attempt_at"],
        unique=False,
    )
    with op.batch_alter_table("person_confidential", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person_confidential", schema=None) as batch_op:
        batch_op.drop_column("language")
    op.drop_index("ix_person_notices_state_due", table_name="person_notices")
    with op.batch_alter_table("person_notices", schema=None) as batch_op:
        for column in (
            "secret_url",
            "facts",
            "language",
            "last_error",
            "next_attempt_at",
            "attempts",
            "state",
        ):
            batch_op.drop_column(column)

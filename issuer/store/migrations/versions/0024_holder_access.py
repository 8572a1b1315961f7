"""Certified persons' own access: sign-in links and sessions; appeals a person sends.

``holder_sign_in_links`` holds each single-use sign-in link (the digest of its secret, the
person, how it was given, when it expires and when it was used); ``holder_sessions`` the
sessions they open (the digest of the cookie's secret, the link used, the expiry, the
sign-out). ``appeals.received_by`` may be empty: an appeal a person sends through their own
access was received by no staff member. ``person_confidential`` gains an index on the
e-mail address, which a request for a sign-in link looks up.

Backfill: none. No link or session existed before this revision, and every appeal recorded
before it was received by a staff member, so it keeps its ``received_by``. A downgrade
refuses while an appeal sent by a person is on record, rather than lose it.

Revision ID: 0024
Revises: 0023
Create Date: 2027-01-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holder_sign_in_links",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("secret_digest", sa.String(length=64), nullable=False),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["staff.id"], name=op.f("fk_holder_sign_in_links_created_by_staff")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_holder_sign_in_links_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holder_sign_in_links")),
    )
    op.create_index(
        "ix_holder_sign_in_links_person_created",
        "holder_sign_in_links",
        ["person_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "holder_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_id", sa.String(length=36), nullable=False),
        sa.Column("secret_digest", sa.String(length=64), nullable=False),
        sa.Column("link_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["link_id"],
            ["holder_sign_in_links.id"],
            name=op.f("fk_holder_sessions_link_id_holder_sign_in_links"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_holder_sessions_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holder_sessions")),
        sa.UniqueConstraint("link_id", name=op.f("uq_holder_sessions_link_id")),
    )
    op.create_index(
        op.f("ix_holder_sessions_person_id"), "holder_sessions", ["person_id"], unique=False
    )
    op.create_index("ix_person_confidential_email", "person_confidential", ["email"], unique=False)
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.alter_column("received_by", existing_type=sa.String(length=36), nullable=True)


def downgrade() -> None:
    sent = op.get_bind().execute(sa.text("SELECT count(*) FROM appeals WHERE received_by IS NULL"))
    if sent.scalar_one():
        raise RuntimeError(
            "appeals sent by certified persons through their own access are on record; an "
            "earlier revision cannot hold them"
        )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.alter_column("received_by", existing_type=sa.String(length=36), nullable=False)
    op.drop_index("ix_person_confidential_email", table_name="person_confidential")
    op.drop_index(op.f("ix_holder_sessions_person_id"), table_name="holder_sessions")
    op.drop_table("holder_sessions")
    op.drop_index("ix_holder_sign_in_links_person_created", table_name="holder_sign_in_links")
    op.drop_table("holder_sign_in_links")

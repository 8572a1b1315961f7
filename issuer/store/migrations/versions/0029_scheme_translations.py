"""A scheme version's own words in other languages: its title, its certificate title and its
scope items' titles, for certificates printed in those languages.

``scheme_translations`` holds, per scheme version and language, the translated title and
certificate title (each optional); ``scheme_scope_item_translations`` the translated title of
a scope item, by the item's code within the version, in the scheme's order. A version is
never changed, so neither are its translations: a corrected translation is a new version.

Backfill: none. Existing scheme versions have no translation, and their certificates print
the body's own words in every language, as they did before.

Revision ID: 0029
Revises: 0028
Create Date: 2027-01-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scheme_translations",
        sa.Column("scheme_version_id", sa.String(length=36), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("certificate_title", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["scheme_version_id"],
            ["scheme_versions.id"],
            name=op.f("fk_scheme_translations_scheme_version_id_scheme_versions"),
        ),
        sa.PrimaryKeyConstraint(
            "scheme_version_id", "language", name=op.f("pk_scheme_translations")
        ),
    )
    op.create_table(
        "scheme_scope_item_translations",
        sa.Column("scheme_version_id", sa.String(length=36), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["scheme_version_id"],
            ["scheme_versions.id"],
            name=op.f("fk_scheme_scope_item_translations_scheme_version_id_scheme_versions"),
        ),
        sa.PrimaryKeyConstraint(
            "scheme_version_id",
            "language",
            "code",
            name=op.f("pk_scheme_scope_item_translations"),
        ),
    )


def downgrade() -> None:
    op.drop_table("scheme_scope_item_translations")
    op.drop_table("scheme_translations")

"""Scope changes on evidence: what each examination assessed, what a lifecycle decision
relied on, and whether a scope reduction resolved a suspension (clauses 9.5, 9.3).

``examination_scope_items`` holds the scope items an examination assessed. Every examination
recorded before this revision assessed the whole application (there was no other way to
record one), so each is given its application's requested scope: nothing it proved is lost,
and nothing is claimed for it that the application did not ask for.

``lifecycle_decision_examinations`` links a scope expansion to the examinations it relied
on. ``lifecycle_decisions.resolves_suspension`` says that a scope reduction was decided to
resolve a suspension; every earlier decision is recorded as not having said so.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "examination_scope_items",
        sa.Column("examination_id", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["examination_id"],
            ["examinations.id"],
            name=op.f("fk_examination_scope_items_examination_id_examinations"),
        ),
        sa.PrimaryKeyConstraint("examination_id", "code", name=op.f("pk_examination_scope_items")),
    )
    op.execute(
        "INSERT INTO examination_scope_items (examination_id, code) "
        "SELECT examinations.id, application_scope_items.code "
        "FROM examinations JOIN application_scope_items "
        "ON application_scope_items.application_id = examinations.application_id"
    )

    op.create_table(
        "lifecycle_decision_examinations",
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("examination_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["lifecycle_decisions.id"],
            name=op.f("fk_lifecycle_decision_examinations_decision_id_lifecycle_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["examination_id"],
            ["examinations.id"],
            name=op.f("fk_lifecycle_decision_examinations_examination_id_examinations"),
        ),
        sa.PrimaryKeyConstraint(
            "decision_id", "examination_id", name=op.f("pk_lifecycle_decision_examinations")
        ),
    )
    with op.batch_alter_table("lifecycle_decision_examinations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_lifecycle_decision_examinations_examination_id"),
            ["examination_id"],
            unique=False,
        )

    with op.batch_alter_table("lifecycle_decisions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "resolves_suspension",
                sa.Boolean(),
                server_default=sa.text("false"),
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("lifecycle_decisions", schema=None) as batch_op:
        batch_op.drop_column("resolves_suspension")

    with op.batch_alter_table("lifecycle_decision_examinations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lifecycle_decision_examinations_examination_id"))
    op.drop_table("lifecycle_decision_examinations")

    op.drop_table("examination_scope_items")

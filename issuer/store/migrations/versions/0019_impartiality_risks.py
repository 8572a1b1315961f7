"""The register of threats to impartiality (clause 4.3), and conflicts linked to it.

``impartiality_risks`` holds each risk: where it comes from, what it is, whom it concerns,
its evaluation, the measure proposed and who approved it, its state and review date, each
step with who took it and when. ``conflict_declarations.risk_id`` links a declared conflict
of interest to the risk that treats it.

Backfill: every conflict declared before this revision is a threat the body has already
identified, so each becomes a risk of the register in state ``identified`` (source
``relationship``, concerning the staff member and the person, described by the nature
declared, identified by the declarant when they declared it) and the conflict is linked to
it. Its review date is the day it was declared, so the register lists it as overdue: it
still has to be evaluated. An identified risk lifts nothing, so every such conflict is
refused exactly as before.

Revision ID: 0019
Revises: 0018
Create Date: 2027-01-05
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _day(value: object) -> date:
    """The UTC day of a stored instant (SQLite hands back text, PostgreSQL a datetime)."""
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC)
    return instant.date()


def _backfill() -> None:
    conn = op.get_bind()
    conflicts = conn.execute(
        sa.text("SELECT id, staff_id, person_id, nature, declared_at FROM conflict_declarations")
    ).all()
    if not conflicts:
        return
    conn.execute(
        sa.text(
            "INSERT INTO impartiality_risks (id, source, description, staff_id, person_id, "
            "state, review_by, identified_by, identified_at, covers) VALUES (:id, "
            "'relationship', :description, :staff_id, :person_id, 'identified', :review_by, "
            ":staff_id, :identified_at, '')"
        ),
        [
            {
                "id": c.id,
                "description": (c.nature or "declared conflict of interest")[:4000],
                "staff_id": c.staff_id,
                "person_id": c.person_id,
                "review_by": _day(c.declared_at),
                "identified_at": c.declared_at,
            }
            for c in conflicts
        ],
    )
    conn.execute(sa.text("UPDATE conflict_declarations SET risk_id = id"))


def upgrade() -> None:
    op.create_table(
        "impartiality_risks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.String(length=36), nullable=True),
        sa.Column("person_id", sa.String(length=36), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("review_by", sa.Date(), nullable=False),
        sa.Column("identified_by", sa.String(length=36), nullable=False),
        sa.Column("identified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("likelihood", sa.Integer(), nullable=True),
        sa.Column("impact", sa.Integer(), nullable=True),
        sa.Column("evaluated_by", sa.String(length=36), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("covers", sa.String(length=40), nullable=False),
        sa.Column("proposed_by", sa.String(length=36), nullable=True),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=36), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("closed_by", sa.String(length=36), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closing_reason", sa.Text(), nullable=True),
        *(
            sa.ForeignKeyConstraint(
                [column], ["staff.id"], name=op.f(f"fk_impartiality_risks_{column}_staff")
            )
            for column in (
                "staff_id",
                "identified_by",
                "evaluated_by",
                "proposed_by",
                "approved_by",
                "closed_by",
            )
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_impartiality_risks_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impartiality_risks")),
    )
    for column in ("staff_id", "person_id", "state"):
        op.create_index(
            op.f(f"ix_impartiality_risks_{column}"), "impartiality_risks", [column], unique=False
        )
    with op.batch_alter_table("conflict_declarations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("risk_id", sa.String(length=36), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_conflict_declarations_risk_id"), ["risk_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_conflict_declarations_risk_id_impartiality_risks"),
            "impartiality_risks",
            ["risk_id"],
            ["id"],
        )
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("conflict_declarations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_conflict_declarations_risk_id_impartiality_risks"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_conflict_declarations_risk_id"))
        batch_op.drop_column("risk_id")
    for column in ("state", "person_id", "staff_id"):
        op.drop_index(op.f(f"ix_impartiality_risks_{column}"), table_name="impartiality_risks")
    op.drop_table("impartiality_risks")

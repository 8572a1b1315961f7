"""Recertification on evidence, once a cycle (clause 9.6).

Each scheme version says what a recertification may rely on (``recertification_evidence``:
the kinds of evidence accepted, comma-separated) and when it may be decided (a window that
opens ``recertification_window_months_before`` months before the day after expiry and closes
``recertification_grace_days`` days after it). Versions created before this revision get
what the process did before it in spirit: a new examination, a window of six months, no
grace.

``certifications.original_certification_date`` keeps the day the person was first
certified, which a recertification no longer overwrites. For a certification recorded
before this revision it is its first effective date: the earliest validity start of its
credentials (every credential starts on the effective date of its cycle, and the first on
the grant's), or its effective date when that is earlier or it has no credential.

``recertification_evidence`` holds the evidence items staff record for recertification
(continuing development, work done), confidential; ``lifecycle_decision_evidence`` links a
recertification to the items it relied on, each item at most once.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-21
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _day(value: object) -> date | None:
    """The UTC day of a stored instant (SQLite hands back text, PostgreSQL a datetime)."""
    if value is None:
        return None
    instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if instant.tzinfo is not None:
        instant = instant.astimezone(UTC)
    return instant.date()


def _backfill_original_dates() -> None:
    conn = op.get_bind()
    first_starts = {
        certification_id: _day(first)
        for certification_id, first in conn.execute(
            sa.text(
                "SELECT certification_id, min(valid_from) FROM credentials "
                "WHERE kind = 'certificate' GROUP BY certification_id"
            )
        )
    }
    updates = []
    for certification_id, effective in conn.execute(
        sa.text("SELECT id, effective_date FROM certifications")
    ):
        effective_day = effective if isinstance(effective, date) else date.fromisoformat(effective)
        first = first_starts.get(certification_id)
        original = effective_day if first is None else min(first, effective_day)
        updates.append({"id": certification_id, "original": original})
    if updates:
        conn.execute(
            sa.text(
                "UPDATE certifications SET original_certification_date = :original WHERE id = :id"
            ),
            updates,
        )


def upgrade() -> None:
    with op.batch_alter_table("scheme_versions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "recertification_evidence",
                sa.String(length=100),
                server_default=sa.text("'examination'"),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "recertification_window_months_before",
                sa.Integer(),
                server_default=sa.text("6"),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "recertification_grace_days",
                sa.Integer(),
                server_default=sa.text("0"),
                nullable=False,
            )
        )

    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_certification_date", sa.Date(), nullable=True))
    _backfill_original_dates()
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.alter_column(
            "original_certification_date", existing_type=sa.Date(), nullable=False
        )

    op.create_table(
        "recertification_evidence",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("certification_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("period_from", sa.Date(), nullable=False),
        sa.Column("period_to", sa.Date(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["certification_id"],
            ["certifications.id"],
            name=op.f("fk_recertification_evidence_certification_id_certifications"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"],
            ["staff.id"],
            name=op.f("fk_recertification_evidence_recorded_by_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recertification_evidence")),
    )
    op.create_index(
        op.f("ix_recertification_evidence_certification_id"),
        "recertification_evidence",
        ["certification_id"],
        unique=False,
    )

    op.create_table(
        "lifecycle_decision_evidence",
        sa.Column("decision_id", sa.String(length=36), nullable=False),
        sa.Column("evidence_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["lifecycle_decisions.id"],
            name=op.f("fk_lifecycle_decision_evidence_decision_id_lifecycle_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["recertification_evidence.id"],
            name=op.f("fk_lifecycle_decision_evidence_evidence_id_recertification_evidence"),
        ),
        sa.PrimaryKeyConstraint(
            "decision_id", "evidence_id", name=op.f("pk_lifecycle_decision_evidence")
        ),
        sa.UniqueConstraint("evidence_id", name=op.f("uq_lifecycle_decision_evidence_evidence_id")),
    )


def downgrade() -> None:
    op.drop_table("lifecycle_decision_evidence")
    op.drop_index(
        op.f("ix_recertification_evidence_certification_id"),
        table_name="recertification_evidence",
    )
    op.drop_table("recertification_evidence")
    with op.batch_alter_table("certifications", schema=None) as batch_op:
        batch_op.drop_column("original_certification_date")
    with op.batch_alter_table("scheme_versions", schema=None) as batch_op:
        batch_op.drop_column("recertification_grace_days")
        batch_op.drop_column("recertification_window_months_before")
        batch_op.drop_column("recertification_evidence")

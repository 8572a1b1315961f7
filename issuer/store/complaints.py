"""Complaints in the store (clause 9.9): one row per complaint, each step's date and who took
it, and the link a suspension decision makes to the complaint it answers.

A complaint is locked ``FOR UPDATE`` before any step is written, and each write names the
state it moves from, so two staff members taking the same step at once take it once: the
second sees the state the first left. The description, the complainant's contact and the
response are confidential: nothing here is ever published.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from issuer.model import (
    Complaint,
    ComplaintChannel,
    ComplaintOutcome,
    ComplaintState,
    ComplaintSubject,
)
from issuer.store.base import Unit, _columns, _fields
from issuer.store.tables import ComplaintRow, LifecycleDecisionRow

__all__ = ["ComplaintReads", "ComplaintWrites"]

_ENUMS: dict[str, Any] = {
    "subject": ComplaintSubject,
    "channel": ComplaintChannel,
    "state": ComplaintState,
    "outcome": ComplaintOutcome,
}
_AWAITING_ACK = (ComplaintState.RECEIVED.value, ComplaintState.VALIDATED.value)
_AWAITING_ANSWER = (
    *_AWAITING_ACK,
    ComplaintState.ACKNOWLEDGED.value,
    ComplaintState.UNDER_INVESTIGATION.value,
)


class ComplaintReads(Unit):
    """Complaints, read."""

    def get_complaint(self, complaint_id: str) -> Complaint | None:
        row = self._s.get(ComplaintRow, complaint_id)
        return None if row is None else _complaint(row)

    def complaint_by_reference(self, reference: str) -> Complaint | None:
        row = self._s.scalar(select(ComplaintRow).where(ComplaintRow.reference == reference))
        return None if row is None else _complaint(row)

    def list_complaints(
        self, *, state: ComplaintState | None = None, overdue_on: date | None = None
    ) -> list[Complaint]:
        """Complaints oldest first; only those in ``state``, only those overdue on
        ``overdue_on`` (a deadline passed before the step it asks for was reached)."""
        query = select(ComplaintRow).order_by(ComplaintRow.received_on, ComplaintRow.received_at)
        if state is not None:
            query = query.where(ComplaintRow.state == state.value)
        if overdue_on is not None:
            query = query.where(_overdue(overdue_on))
        return [_complaint(r) for r in self._s.scalars(query)]

    def complaint_figures(self, *, first: date, last: date, today: date) -> dict[str, Any]:
        """For the management review: complaints received in the period (by subject),
        rejected as invalid, answered (by outcome) and closed in it, overdue on ``today``,
        and the mean days from receipt to answer of those answered in it against the days
        allowed. Counts only: nothing a complainant wrote."""
        start = datetime.combine(first, time(), tzinfo=UTC)
        end = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)
        received = {
            str(subject): int(n)
            for subject, n in self._s.execute(
                select(ComplaintRow.subject, func.count())
                .where(ComplaintRow.received_on >= first, ComplaintRow.received_on <= last)
                .group_by(ComplaintRow.subject)
            )
        }
        answered = self._s.execute(
            select(
                ComplaintRow.outcome,
                ComplaintRow.received_on,
                ComplaintRow.answer_by,
                ComplaintRow.answered_at,
            ).where(ComplaintRow.answered_at >= start, ComplaintRow.answered_at < end)
        ).all()
        by_outcome: dict[str, int] = {}
        took: list[int] = []
        allowed: list[int] = []
        for outcome, received_on, answer_by, at in answered:
            assert at is not None  # selected by it
            by_outcome[str(outcome)] = by_outcome.get(str(outcome), 0) + 1
            took.append((at.date() - received_on).days)
            allowed.append((answer_by - received_on).days)

        def count(*where: ColumnElement[bool]) -> int:
            return int(self._s.scalar(select(func.count()).where(*where)) or 0)

        return {
            "received": dict(sorted(received.items())),
            "rejected_invalid": count(
                ComplaintRow.state == ComplaintState.REJECTED_INVALID.value,
                ComplaintRow.validated_at >= start,
                ComplaintRow.validated_at < end,
            ),
            "answered": by_outcome,
            "closed": count(ComplaintRow.closed_at >= start, ComplaintRow.closed_at < end),
            "overdue": count(_overdue(today)),
            "mean_days_to_answer": sum(took) / len(took) if took else None,
            "mean_days_allowed": sum(allowed) / len(allowed) if allowed else None,
            "answered_late": sum(1 for t, a in zip(took, allowed, strict=True) if t > a),
        }

    def count_unvalidated_public_complaints(self) -> int:
        """Complaints sent through the public form that no one has validated or rejected."""
        return int(
            self._s.scalar(
                select(func.count())
                .select_from(ComplaintRow)
                .where(
                    ComplaintRow.channel == ComplaintChannel.PUBLIC_FORM.value,
                    ComplaintRow.state == ComplaintState.RECEIVED.value,
                )
            )
            or 0
        )


class ComplaintWrites(Unit):
    """Complaints, written; a complaint locked before a step is taken on it."""

    def lock_public_intake(self) -> None:
        """Hold the public intake's lock until the transaction ends, so that counting the
        complaints waiting and inserting one is atomic: the cap is never overshot. On
        PostgreSQL a transaction-scoped advisory lock; on SQLite every writing transaction
        begins ``IMMEDIATE`` and already holds the database's one write lock."""
        if self._s.get_bind().dialect.name == "postgresql":
            self._s.execute(select(func.pg_advisory_xact_lock(_PUBLIC_INTAKE_LOCK)))

    def insert_complaint(self, complaint: Complaint) -> None:
        self._s.add(ComplaintRow(**_row_fields(complaint)))
        self._flush("complaint")

    def lock_complaint(self, complaint_id: str) -> Complaint | None:
        """The complaint, its row locked until the transaction ends."""
        row = self._s.scalar(
            select(ComplaintRow).where(ComplaintRow.id == complaint_id).with_for_update()
        )
        return None if row is None else _complaint(row)

    def update_complaint(self, complaint: Complaint, *, was: ComplaintState) -> bool:
        """Write ``complaint`` over the row if it is still in state ``was``; whether it was."""
        fields = _row_fields(complaint)
        del fields["id"]
        result = self._s.execute(
            update(ComplaintRow)
            .where(ComplaintRow.id == complaint.id, ComplaintRow.state == was.value)
            .values(**fields)
        )
        return bool(getattr(result, "rowcount", 0))

    def link_decision_to_complaint(self, decision_id: str, complaint_id: str) -> None:
        """Record on a lifecycle decision the complaint it answers."""
        self._s.execute(
            update(LifecycleDecisionRow)
            .where(LifecycleDecisionRow.id == decision_id)
            .values(complaint_id=complaint_id)
        )


_PUBLIC_INTAKE_LOCK = 0x17024_0909
"""The advisory lock key of the public complaint intake (any constant no other lock uses)."""


def _overdue(today: date) -> ColumnElement[bool]:
    late_ack = and_(ComplaintRow.state.in_(_AWAITING_ACK), ComplaintRow.acknowledge_by < today)
    late_answer = and_(ComplaintRow.state.in_(_AWAITING_ANSWER), ComplaintRow.answer_by < today)
    return or_(late_ack, late_answer)


def _row_fields(complaint: Complaint) -> dict[str, Any]:
    return {
        name: (value.value if name in _ENUMS and value is not None else value)
        for name, value in _fields(complaint).items()
    }


def _complaint(row: ComplaintRow) -> Complaint:
    fields = _columns(row)
    for name, kind in _ENUMS.items():
        if fields[name] is not None:
            fields[name] = kind(fields[name])
    return Complaint(**fields)

"""Surveillance in the store: each certification's schedule with the results recorded on it,
and the suspensions the due jobs propose for items late or failed (clauses 8.3, 9.6).

A schedule is written as many rows in one statement (a grant schedules every activity of
its scheme at once; a bulk chunk schedules thousands). The due jobs find their work with
``FOR UPDATE SKIP LOCKED`` on the certification, as the other due jobs do (see
:mod:`~issuer.store.certifications`), and a unique key on item and reason keeps a proposal
from being made twice. Nothing here is ever published: findings stay in the issuer.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from issuer.errors import Duplicate
from issuer.model import (
    Certification,
    CertificationStatus,
    ProposalClosing,
    ProposalReason,
    ProposedSuspension,
    SurveillanceDue,
    SurveillanceItem,
    SurveillanceOutcome,
    SurveillanceState,
)
from issuer.store.base import Unit, _fields
from issuer.store.certifications import _certification
from issuer.store.tables import CertificationRow, ProposedSuspensionRow, SurveillanceDueRow

__all__ = ["SurveillanceReads", "SurveillanceWrites"]

_OPEN = SurveillanceState.DUE.value


class SurveillanceReads(Unit):
    """Schedules, results and proposed suspensions, read."""

    def surveillance_items(self, certification_id: str) -> list[SurveillanceItem]:
        """A certification's schedule, by due date: results recorded, items open, waived."""
        rows = self._s.scalars(
            select(SurveillanceDueRow)
            .where(SurveillanceDueRow.certification_id == certification_id)
            .order_by(SurveillanceDueRow.due_on, SurveillanceDueRow.activity_code)
        )
        return [_item(r) for r in rows]

    def surveillance_proposed(self, item_id: int, reason: ProposalReason) -> bool:
        """Whether a suspension was proposed for ``item_id`` for ``reason``."""
        return bool(
            self._s.scalar(
                select(
                    exists().where(
                        ProposedSuspensionRow.item_id == item_id,
                        ProposedSuspensionRow.reason == reason.value,
                    )
                )
            )
        )

    def open_proposed_suspensions(self) -> list[ProposedSuspension]:
        """The worklist: proposals neither acted on nor dismissed, of active certifications
        (a withdrawn or expired one needs no suspension), oldest first."""
        return _proposals(
            self._s,
            and_(
                ProposedSuspensionRow.closed_at.is_(None),
                CertificationRow.status == CertificationStatus.ACTIVE.value,
            ),
        )

    def proposed_suspensions_of(self, certification_id: str) -> list[ProposedSuspension]:
        """Every suspension proposed for a certification, closed ones too, oldest first."""
        return _proposals(self._s, ProposedSuspensionRow.certification_id == certification_id)

    def get_proposed_suspension(self, proposal_id: str) -> ProposedSuspension | None:
        found = _proposals(self._s, ProposedSuspensionRow.id == proposal_id)
        return found[0] if found else None


class SurveillanceWrites(Unit):
    """Schedules, results and proposed suspensions, written; what a result or a proposal
    changes locked first."""

    def insert_surveillance_due(self, items: Sequence[SurveillanceDue]) -> None:
        """Schedule ``items`` (open, no result), in one statement."""
        if not items:
            return
        values: list[dict[str, Any]] = [_fields(i) | {"state": _OPEN} for i in items]
        try:
            self._s.execute(insert(SurveillanceDueRow), values)
        except IntegrityError as exc:
            raise Duplicate("this surveillance is already scheduled") from exc

    def lock_open_surveillance_item(
        self, certification_id: str, activity_code: str
    ) -> SurveillanceItem | None:
        """The earliest open item of the activity, locked until the transaction ends."""
        row = self._s.scalar(
            select(SurveillanceDueRow)
            .where(
                SurveillanceDueRow.certification_id == certification_id,
                SurveillanceDueRow.activity_code == activity_code,
                SurveillanceDueRow.state == _OPEN,
            )
            .order_by(SurveillanceDueRow.due_on)
            .limit(1)
            .with_for_update()
        )
        return None if row is None else _item(row)

    def record_surveillance_result(self, item: SurveillanceItem) -> None:
        """Write the result of an open item (its state, outcome and who did what, when)."""
        self._s.execute(
            update(SurveillanceDueRow)
            .where(SurveillanceDueRow.id == item.id, SurveillanceDueRow.state == _OPEN)
            .values(
                state=item.state.value,
                performed_on=item.performed_on,
                outcome=None if item.outcome is None else item.outcome.value,
                findings=item.findings,
                evidence_ref=item.evidence_ref,
                performed_by=item.performed_by,
                recorded_at=item.recorded_at,
                recorded_by=item.recorded_by,
            )
        )

    def waive_surveillance_items(self, item_ids: Collection[int]) -> None:
        """Close open items that a new certification cycle no longer requires."""
        if item_ids:
            self._s.execute(
                update(SurveillanceDueRow)
                .where(SurveillanceDueRow.id.in_(list(item_ids)), SurveillanceDueRow.state == _OPEN)
                .values(state=SurveillanceState.WAIVED_BY_RECERTIFICATION.value)
            )

    def lock_surveillance_to_propose(
        self, today: date, limit: int
    ) -> list[tuple[Certification, SurveillanceItem, ProposalReason]]:
        """Up to ``limit`` items of active certifications that call for a proposed
        suspension and have none yet: open past ``late_after`` (before ``today``), or
        failed. The certifications are locked until the transaction ends, those others
        hold skipped; the caller checks :meth:`surveillance_proposed` again under the lock
        (on PostgreSQL this statement's snapshot may predate another run's commit)."""
        item = SurveillanceDueRow
        overdue = and_(
            item.state == _OPEN,
            item.late_after < today,
            ~_proposed(ProposalReason.OVERDUE),
        )
        failed = and_(
            item.state == SurveillanceState.FAILED.value,
            ~_proposed(ProposalReason.UNSATISFACTORY),
        )
        rows = self._s.execute(
            select(CertificationRow, item)
            .join(item, item.certification_id == CertificationRow.id)
            .where(
                CertificationRow.status == CertificationStatus.ACTIVE.value, or_(overdue, failed)
            )
            .order_by(item.due_on, item.id)
            .limit(limit)
            .with_for_update(of=CertificationRow, skip_locked=True)
        ).all()
        return [
            (
                _certification(self._s, certification),
                _item(due),
                ProposalReason.UNSATISFACTORY
                if due.state == SurveillanceState.FAILED.value
                else ProposalReason.OVERDUE,
            )
            for certification, due in rows
        ]

    def insert_proposed_suspension(
        self,
        *,
        proposal_id: str,
        certification_id: str,
        item_id: int,
        reason: ProposalReason,
        at: datetime,
    ) -> None:
        self._s.add(
            ProposedSuspensionRow(
                id=proposal_id,
                certification_id=certification_id,
                item_id=item_id,
                reason=reason.value,
                proposed_at=at,
            )
        )
        self._flush("proposed suspension")

    def lock_proposed_suspension(self, proposal_id: str) -> ProposedSuspension | None:
        """The proposal, its row locked until the transaction ends."""
        locked = self._s.scalar(
            select(ProposedSuspensionRow.id)
            .where(ProposedSuspensionRow.id == proposal_id)
            .with_for_update()
        )
        found = [] if locked is None else _proposals(self._s, ProposedSuspensionRow.id == locked)
        return found[0] if found else None

    def close_proposed_suspensions(
        self,
        proposal_ids: Collection[str],
        *,
        at: datetime,
        by: str,
        closing: ProposalClosing,
        reason: str | None = None,
    ) -> None:
        """Close open proposals: acted on by a suspension, or dismissed with ``reason``."""
        if proposal_ids:
            self._s.execute(
                update(ProposedSuspensionRow)
                .where(
                    ProposedSuspensionRow.id.in_(list(proposal_ids)),
                    ProposedSuspensionRow.closed_at.is_(None),
                )
                .values(closed_at=at, closed_by=by, closing=closing.value, closing_reason=reason)
            )


def _proposed(reason: ProposalReason) -> Any:
    """A proposal for the item of the enclosing query, for ``reason``."""
    return exists().where(
        ProposedSuspensionRow.item_id == SurveillanceDueRow.id,
        ProposedSuspensionRow.reason == reason.value,
    )


def _item(row: SurveillanceDueRow) -> SurveillanceItem:
    return SurveillanceItem(
        id=row.id,
        certification_id=row.certification_id,
        activity_code=row.activity_code,
        due_on=row.due_on,
        late_after=row.late_after,
        state=SurveillanceState(row.state),
        performed_on=row.performed_on,
        outcome=None if row.outcome is None else SurveillanceOutcome(row.outcome),
        findings=row.findings,
        evidence_ref=row.evidence_ref,
        performed_by=row.performed_by,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
    )


def _proposals(session: Session, where: ColumnElement[bool]) -> list[ProposedSuspension]:
    rows = session.execute(
        select(
            ProposedSuspensionRow,
            CertificationRow.certificate_number,
            SurveillanceDueRow.activity_code,
            SurveillanceDueRow.due_on,
        )
        .join(CertificationRow, CertificationRow.id == ProposedSuspensionRow.certification_id)
        .join(SurveillanceDueRow, SurveillanceDueRow.id == ProposedSuspensionRow.item_id)
        .where(where)
        .order_by(ProposedSuspensionRow.proposed_at, ProposedSuspensionRow.id)
    ).all()
    return [
        ProposedSuspension(
            id=p.id,
            certification_id=p.certification_id,
            certificate_number=number,
            item_id=p.item_id,
            activity_code=code,
            due_on=due_on,
            reason=ProposalReason(p.reason),
            proposed_at=p.proposed_at,
            closed_at=p.closed_at,
            closed_by=p.closed_by,
            closing=None if p.closing is None else ProposalClosing(p.closing),
            closing_reason=p.closing_reason,
        )
        for p, number, code, due_on in rows
    ]

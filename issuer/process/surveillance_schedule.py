"""The surveillance schedule of a certification (clauses 8.3, 9.6): when each activity of its
scheme is due.

A grant (one decision, or a roster row of a bulk run) schedules each activity of the
scheme version ``interval_months`` after the effective date (:func:`first_surveillance`).
A result recorded on an item schedules the activity's next item ``interval_months`` after
the item's due date, whenever it was performed (:func:`next_surveillance`), so the
schedule keeps its rhythm. A scope change keeps the schedule as it is; a new cycle keeps
it too, under the new scheme version (:func:`continue_on_new_cycle`): an activity the new
version no longer has is waived, an activity it adds is scheduled from the new cycle's
start. A withdrawn or expired certification gets no next item: recording a result on it
is refused.

The suspensions surveillance proposed close here too (:func:`close_proposals`): when a
decision-maker suspends, or when late surveillance is done after all.

Below :mod:`issuer.process.decisions` and :mod:`issuer.process.lifecycle`, which call it;
it imports neither.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from issuer.model import (
    Certification,
    ProposalClosing,
    SchemeVersion,
    SurveillanceActivity,
    SurveillanceDue,
    SurveillanceItem,
    SurveillanceState,
)
from issuer.process.auth import Actor
from issuer.process.months import add_months
from issuer.store import Tx

__all__ = [
    "close_proposals",
    "continue_on_new_cycle",
    "due_after",
    "first_surveillance",
    "next_surveillance",
    "schedule_grant",
]


def due_after(certification_id: str, activity: SurveillanceActivity, day: date) -> SurveillanceDue:
    """The item of ``activity`` due ``interval_months`` after ``day``."""
    due_on = add_months(day, activity.interval_months)
    return SurveillanceDue(
        certification_id=certification_id,
        activity_code=activity.code,
        due_on=due_on,
        late_after=due_on + timedelta(days=activity.grace_days),
    )


def first_surveillance(
    certification_id: str, activities: Iterable[SurveillanceActivity], effective: date
) -> list[SurveillanceDue]:
    """The first item of each activity of a certification that takes effect on
    ``effective``."""
    return [due_after(certification_id, a, effective) for a in activities]


def next_surveillance(item: SurveillanceItem, activity: SurveillanceActivity) -> SurveillanceDue:
    """The item after ``item``, due an interval after ``item``'s due date."""
    return due_after(item.certification_id, activity, item.due_on)


def schedule_grant(
    tx: Tx, *, certification: Certification, version: SchemeVersion, actor: Actor, now: datetime
) -> None:
    """Schedule a newly granted certification's surveillance, and audit what was scheduled."""
    items = first_surveillance(
        certification.id, version.content.surveillance_activities, certification.effective_date
    )
    if items:
        tx.insert_surveillance_due(items)
        _audit_schedule(tx, certification, actor, now, scheduled=items, waived=[])


def continue_on_new_cycle(
    tx: Tx, *, certification: Certification, version: SchemeVersion, actor: Actor, now: datetime
) -> None:
    """Carry the schedule into a new cycle under ``version``: open items of activities the
    version still has are kept, those of activities it dropped are waived, and activities
    with no open item are scheduled from the new cycle's effective date."""
    activities = {a.code: a for a in version.content.surveillance_activities}
    open_items = [
        i for i in tx.surveillance_items(certification.id) if i.state is SurveillanceState.DUE
    ]
    waived = [i for i in open_items if i.activity_code not in activities]
    scheduled_codes = {i.activity_code for i in open_items}
    items = [
        due_after(certification.id, activity, certification.effective_date)
        for code, activity in activities.items()
        if code not in scheduled_codes
    ]
    tx.waive_surveillance_items([i.id for i in waived])
    tx.insert_surveillance_due(items)
    if items or waived:
        _audit_schedule(tx, certification, actor, now, scheduled=items, waived=waived)


def _audit_schedule(
    tx: Tx,
    certification: Certification,
    actor: Actor,
    now: datetime,
    *,
    scheduled: list[SurveillanceDue],
    waived: list[SurveillanceItem],
) -> None:
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="surveillance.scheduled",
        subject_type="certification",
        subject_id=certification.id,
        details={
            "scheduled": ",".join(f"{i.activity_code}@{i.due_on.isoformat()}" for i in scheduled),
            "waived": ",".join(str(i.id) for i in waived),
        },
    )


def close_proposals(
    tx: Tx,
    proposal_ids: list[str],
    *,
    certification_id: str,
    actor: Actor,
    now: datetime,
    closing: ProposalClosing,
    action: str,
) -> None:
    """Close open proposed suspensions of a certification, as ``closing``, each with its
    audit entry (``action``), so the worklist and the history agree on why it left."""
    tx.close_proposed_suspensions(proposal_ids, at=now, by=actor.staff(), closing=closing)
    for proposal_id in proposal_ids:
        tx.append_audit(
            at=now,
            actor=actor.audit_name,
            action=action,
            subject_type="certification",
            subject_id=certification_id,
            details={"proposal_id": proposal_id},
        )

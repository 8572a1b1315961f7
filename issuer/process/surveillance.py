"""Surveillance of certified persons (clauses 8.3, 9.6): results recorded, and suspensions
proposed to the decision-makers when surveillance is late or unsatisfactory.

- **A result** (:func:`record_result`) is recorded on the earliest open item of an
  activity, by the examiner who performed it (an examiner records their own; a registrar
  names the examiner, as for examinations). It schedules the activity's next item
  (:mod:`issuer.process.surveillance_schedule`). The findings are confidential: kept by
  the issuer, never published, never in the audit entry.
- **A proposed suspension** (:func:`propose_suspensions`, a due job) is recorded for each
  item of an active certification left without a result past its grace days
  (``surveillance-overdue``) or recorded as unsatisfactory
  (``surveillance-unsatisfactory``): once per item and reason, audited. The job never
  suspends: that decision is a person's. A decision-maker suspends through the lifecycle
  (:func:`issuer.process.lifecycle.suspend`, which closes the certification's open
  proposals) or dismisses the proposal with a reason (:func:`dismiss_proposal`). A
  satisfactory result recorded late answers the lateness: the item's overdue proposal
  closes as ``done-late`` (an unsatisfactory one raises its own proposal instead).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from issuer.errors import Forbidden, InvalidInput, NotFound, StateConflict
from issuer.model import (
    Certification,
    CertificationStatus,
    ProposalClosing,
    ProposalReason,
    ProposedSuspension,
    RiskActivity,
    Role,
    SurveillanceItem,
    SurveillanceOutcome,
    SurveillanceState,
)
from issuer.process import lifecycle
from issuer.process.auth import Actor
from issuer.process.impartiality import refuse_conflicted, refuse_trainer_of
from issuer.process.surveillance_schedule import close_proposals, next_surveillance
from issuer.runtime import Entropy, new_id
from issuer.store import Tx

__all__ = [
    "ACTOR",
    "SurveillanceResult",
    "dismiss_proposal",
    "propose_suspensions",
    "proposed_suspensions",
    "record_result",
    "schedule_of",
]

ACTOR = "system:due-jobs"
"""Who the audit log names for a proposal: the due jobs, no person."""

_STOPPED = frozenset({CertificationStatus.WITHDRAWN, CertificationStatus.EXPIRED})


@dataclass(frozen=True, slots=True)
class SurveillanceResult:
    activity: str
    performed_on: date
    outcome: SurveillanceOutcome
    findings: str
    evidence_ref: str | None = None
    performed_by: str | None = None
    """The examiner who performed it; ``None``: the examiner recording it."""


def schedule_of(tx: Tx, number: str) -> tuple[Certification, list[SurveillanceItem]]:
    """A certification and its surveillance schedule, results included."""
    certification = lifecycle.get_certification(tx, number)
    return certification, tx.surveillance_items(certification.id)


def _performer(
    tx: Tx, actor: Actor, given: str | None, certification: Certification, today: date
) -> tuple[str, str | None]:
    """The examiner who performed the surveillance: an examiner records their own, a
    registrar names them; either way an active examiner, free of a conflict with the
    person (unless an approved measure covers surveillance) and not their trainer; with the
    ids of the risks whose measures it acts under."""
    if actor.role is Role.EXAMINER:
        if given is not None and given != actor.staff():
            raise Forbidden("examiners record their own surveillance only", kind="wrong-role")
        given = actor.staff()
    if given is None:
        raise InvalidInput("name the examiner who performed the surveillance (performed_by)")
    examiner = tx.get_staff(given)
    if examiner is None:
        raise NotFound(f"no staff member {given!r}")
    if Role.EXAMINER not in examiner.roles or not examiner.active:
        raise Forbidden("the named examiner does not hold the examiner role", kind="missing-role")
    person = certification.person_id
    refuse_trainer_of(tx, staff_id=given, person_id=person, acting_as="examiner")
    risk_id = refuse_conflicted(
        tx,
        staff_id=given,
        person_id=person,
        acting_as="examiner",
        activity=RiskActivity.RECORD,
        today=today,
    )
    return given, risk_id


def record_result(
    tx: Tx, *, actor: Actor, now: datetime, number: str, result: SurveillanceResult
) -> SurveillanceItem:
    """Record ``result`` on the earliest open item of its activity and schedule the next.

    Refused: an activity neither the scheme version nor the schedule knows (422
    ``unknown-surveillance-activity``), an activity with no open item (409
    ``no-surveillance-due``), a date in the future (422), a withdrawn or expired
    certification, whose surveillance has stopped (409 ``state-conflict``)."""
    certification = lifecycle.get_certification(tx, number, lock=True)
    if certification.status in _STOPPED:
        raise StateConflict(
            f"surveillance has stopped: the certification is {certification.status.value}"
        )
    version = tx.get_scheme_version(certification.scheme_version_id)
    assert version is not None
    activities = {a.code: a for a in version.content.surveillance_activities}
    scheduled = {i.activity_code for i in tx.surveillance_items(certification.id)}
    if result.activity not in activities and result.activity not in scheduled:
        raise InvalidInput(
            f"the scheme defines no surveillance activity {result.activity[:40]!r} for this "
            f"certification; it defines {sorted(activities)}",
            kind="unknown-surveillance-activity",
        )
    if result.performed_on > now.date():
        raise InvalidInput("surveillance cannot be recorded before it is performed")
    if not result.findings.strip():
        raise InvalidInput("a surveillance result needs its findings on record")
    performer, risk_id = _performer(tx, actor, result.performed_by, certification, now.date())
    item = tx.lock_open_surveillance_item(certification.id, result.activity)
    if item is None:
        raise StateConflict(
            f"no surveillance of {result.activity!r} is due for this certification",
            kind="no-surveillance-due",
        )
    satisfactory = result.outcome is SurveillanceOutcome.SATISFACTORY
    recorded = dataclasses.replace(
        item,
        state=SurveillanceState.PASSED if satisfactory else SurveillanceState.FAILED,
        performed_on=result.performed_on,
        outcome=result.outcome,
        findings=result.findings,
        evidence_ref=result.evidence_ref,
        performed_by=performer,
        recorded_at=now,
        recorded_by=actor.staff(),
    )
    tx.record_surveillance_result(recorded)
    activity = activities.get(result.activity)
    following = None if activity is None else next_surveillance(item, activity)
    if following is not None:
        tx.insert_surveillance_due([following])
    if satisfactory:
        _close_overdue_proposals(tx, actor=actor, now=now, item=item)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="surveillance.result-recorded",
        subject_type="certification",
        subject_id=certification.id,
        details={
            "item_id": item.id,
            "activity": item.activity_code,
            "due_on": item.due_on.isoformat(),
            "performed_on": result.performed_on.isoformat(),
            "performed_by": performer,
            "outcome": result.outcome.value,
            "next_due_on": None if following is None else following.due_on.isoformat(),
            **({} if risk_id is None else {"risk_id": risk_id}),
        },
    )
    return recorded


def _close_overdue_proposals(
    tx: Tx, *, actor: Actor, now: datetime, item: SurveillanceItem
) -> None:
    """A late but satisfactory result answers the proposal the lateness raised: it leaves
    the worklist, closed as ``done-late`` and audited. An unsatisfactory result does not:
    its own proposal follows from the next due job."""
    close_proposals(
        tx,
        [
            p.id
            for p in tx.proposed_suspensions_of(item.certification_id)
            if p.item_id == item.id and p.reason is ProposalReason.OVERDUE and p.closed_at is None
        ],
        certification_id=item.certification_id,
        actor=actor,
        now=now,
        closing=ProposalClosing.DONE_LATE,
        action="surveillance.proposal-answered",
    )


def propose_suspensions(
    tx: Tx, *, now: datetime, entropy: Entropy, limit: int
) -> list[Certification]:
    """Propose a suspension for up to ``limit`` surveillance items of active certifications,
    late past their grace days or unsatisfactory, each once, audited; never suspend. The
    certification is locked first and the proposal looked for again under the lock, so two
    runs at once propose it once."""
    proposed = []
    for certification, item, reason in tx.lock_surveillance_to_propose(now.date(), limit):
        if tx.surveillance_proposed(item.id, reason):
            continue  # another run proposed it after this one looked
        proposal_id = new_id(entropy)
        tx.insert_proposed_suspension(
            proposal_id=proposal_id,
            certification_id=certification.id,
            item_id=item.id,
            reason=reason,
            at=now,
        )
        tx.append_audit(
            at=now,
            actor=ACTOR,
            action="surveillance.suspension-proposed",
            subject_type="certification",
            subject_id=certification.id,
            details={
                "proposal_id": proposal_id,
                "item_id": item.id,
                "activity": item.activity_code,
                "due_on": item.due_on.isoformat(),
                "reason": reason.value,
            },
        )
        proposed.append(certification)
    return proposed


def proposed_suspensions(tx: Tx) -> list[ProposedSuspension]:
    """The worklist: proposals of active certifications neither acted on nor dismissed."""
    return tx.open_proposed_suspensions()


def dismiss_proposal(
    tx: Tx, *, actor: Actor, now: datetime, proposal_id: str, reason: str
) -> ProposedSuspension:
    """A decision-maker decides not to suspend: the proposal leaves the worklist, with the
    reason on record. The decision-maker must be free to decide on the person (not their
    trainer, no conflict declared)."""
    proposal = tx.lock_proposed_suspension(proposal_id)
    if proposal is None:
        raise NotFound(f"no proposed suspension {proposal_id[:64]!r}")
    if proposal.closed_at is not None:
        raise StateConflict(f"this proposed suspension was already {proposal.closing}")
    if not reason.strip():
        raise InvalidInput("dismissing a proposed suspension needs its reason on record")
    maker = actor.staff()
    certification = tx.get_certification(proposal.certification_id)
    assert certification is not None
    person = certification.person_id
    refuse_trainer_of(tx, staff_id=maker, person_id=person, acting_as="decision-maker")
    risk_id = refuse_conflicted(
        tx,
        staff_id=maker,
        person_id=person,
        acting_as="decision-maker",
        activity=RiskActivity.DECIDE,
        today=now.date(),
    )
    tx.close_proposed_suspensions(
        [proposal.id], at=now, by=maker, closing=ProposalClosing.DISMISSED, reason=reason
    )
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="surveillance.proposal-dismissed",
        subject_type="certification",
        subject_id=certification.id,
        details={
            "proposal_id": proposal.id,
            "item_id": proposal.item_id,
            **({} if risk_id is None else {"risk_id": risk_id}),
        },
    )
    return dataclasses.replace(
        proposal,
        closed_at=now,
        closed_by=maker,
        closing=ProposalClosing.DISMISSED,
        closing_reason=reason,
    )

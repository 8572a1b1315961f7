"""Complaints (clause 9.9), misuse of certificates and marks among them (9.7), from receipt to
closing, and the suspension a complaint about a certified person may lead to.

A complaint comes in through the public form (no account: :func:`submit`) or is recorded by
a registrar from an e-mail, a letter, a call or a visit (:func:`receive`), with its
deadlines: acknowledgement and answer, counted in days from the day it was received. A
registrar validates it — it concerns certification activities the body is responsible for —
or rejects it as invalid with the reason, acknowledges it, and — with an administrator —
assigns an investigator who is not involved in the subject matter: for a complaint about a
certified person, not the person's examiner for that certification, not their trainer, no
declared conflict with them. A decision-maker answers it (outcome and response), a
registrar closes it. Each step is dated, audited and moves the state as
:data:`issuer.model.COMPLAINT_TRANSITIONS` allows; any other move is a 409.

A decision-maker may suspend the certification a complaint names in answer to it
(:func:`suspend_for`): the suspension is the normal lifecycle decision, which records the
complaint.

The description, the complainant's contact, the reason of a rejection and the response are
confidential: kept here, never in an audit entry, never published. The public reads only
the received date and the state in words (:attr:`issuer.model.Complaint.public_state`).
"""

from __future__ import annotations

import base64
import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from issuer.errors import (
    Forbidden,
    ImpartialityRefused,
    InvalidInput,
    NotFound,
    StateConflict,
    Unavailable,
)
from issuer.model import (
    COMPLAINT_TRANSITIONS,
    Certification,
    Complaint,
    ComplaintChannel,
    ComplaintOutcome,
    ComplaintState,
    ComplaintSubject,
)
from issuer.process import lifecycle
from issuer.process.auth import Actor
from issuer.process.impartiality import refuse_examiner_of_evidence, refuse_trainer_of
from issuer.runtime import Entropy, new_id
from issuer.store import Tx
from issuer.store.audit import AuditActor

__all__ = [
    "ComplaintInput",
    "Deadlines",
    "acknowledge",
    "answer",
    "assign",
    "close",
    "get_complaint",
    "list_complaints",
    "public_status",
    "receive",
    "reject",
    "submit",
    "suspend_for",
    "validate",
]

_PUBLIC = AuditActor("public:complaint-form")
"""How the audit log names whoever sent a complaint through the public form: no one known."""
_SUSPENDABLE = frozenset(
    {ComplaintState.VALIDATED, ComplaintState.ACKNOWLEDGED, ComplaintState.UNDER_INVESTIGATION}
)


@dataclass(frozen=True, slots=True)
class ComplaintInput:
    subject: ComplaintSubject
    description: str
    received_on: date
    channel: ComplaintChannel
    certificate_number: str | None = None
    certificate_unknown: bool = False
    """The complainant could not give the certificate's number (a misuse seen in passing)."""
    name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Deadlines:
    acknowledge_days: int
    answer_days: int


def new_reference(entropy: Entropy) -> str:
    """128 random bits in lower-case base32: what a complainant looks a complaint up by."""
    return base64.b32encode(entropy(16)).decode("ascii").rstrip("=").lower()


def _certification(tx: Tx, data: ComplaintInput) -> Certification | None:
    if data.certificate_number:
        found = tx.get_certification_by_number(data.certificate_number)
        if found is None:
            raise InvalidInput("no certificate has that number: check it, or leave it out")
        return found
    if data.subject.about_a_person and not data.certificate_unknown:
        raise InvalidInput(
            "a complaint about a certified person or the misuse of a certificate or mark "
            "names the certificate's number, or says it could not be given"
        )
    return None


def _new(
    tx: Tx,
    *,
    now: datetime,
    entropy: Entropy,
    data: ComplaintInput,
    deadlines: Deadlines,
    received_by: str | None,
) -> Complaint:
    if data.received_on > now.date():
        raise InvalidInput("a complaint cannot be received in the future")
    if not data.description.strip():
        raise InvalidInput("a complaint needs its description")
    certification = _certification(tx, data)
    return Complaint(
        id=new_id(entropy),
        reference=new_reference(entropy),
        subject=data.subject,
        certificate_number=None if certification is None else certification.certificate_number,
        certification_id=None if certification is None else certification.id,
        person_id=None if certification is None else certification.person_id,
        description=data.description,
        complainant_name=data.name or None,
        complainant_email=data.email or None,
        complainant_phone=data.phone or None,
        channel=data.channel,
        received_on=data.received_on,
        acknowledge_by=data.received_on + timedelta(days=deadlines.acknowledge_days),
        answer_by=data.received_on + timedelta(days=deadlines.answer_days),
        state=ComplaintState.RECEIVED,
        received_at=now,
        received_by=received_by,
    )


def _record(tx: Tx, actor: AuditActor, now: datetime, complaint: Complaint) -> Complaint:
    tx.insert_complaint(complaint)
    _audit(
        tx,
        actor,
        now,
        complaint,
        "complaint.received",
        subject=complaint.subject.value,
        certification_id=complaint.certification_id,
        channel=complaint.channel.value,
        received_on=complaint.received_on.isoformat(),
        acknowledge_by=complaint.acknowledge_by.isoformat(),
        answer_by=complaint.answer_by.isoformat(),
    )
    return complaint


def receive(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    data: ComplaintInput,
    deadlines: Deadlines,
) -> Complaint:
    """Record a complaint a registrar took in, received on ``data.received_on``."""
    complaint = _new(
        tx, now=now, entropy=entropy, data=data, deadlines=deadlines, received_by=actor.staff()
    )
    return _record(tx, actor.audit_name, now, complaint)


def submit(
    tx: Tx,
    *,
    now: datetime,
    entropy: Entropy,
    data: ComplaintInput,
    deadlines: Deadlines,
    cap: int,
) -> Complaint:
    """Record a complaint sent through the public form, received today; refused (503) while
    ``cap`` such complaints wait unvalidated, so a flood cannot fill the store. The count
    and the insert hold the intake's lock: concurrent senders cannot overshoot the cap."""
    tx.lock_public_intake()
    if tx.count_unvalidated_public_complaints() >= cap:
        raise Unavailable(
            "too many complaints wait to be looked at: please try again later, or write to "
            "the certification body",
            kind="complaints-full",
        )
    data = dataclasses.replace(data, channel=ComplaintChannel.PUBLIC_FORM, received_on=now.date())
    complaint = _new(tx, now=now, entropy=entropy, data=data, deadlines=deadlines, received_by=None)
    return _record(tx, _PUBLIC, now, complaint)


def public_status(tx: Tx, reference: str) -> Complaint:
    complaint = tx.complaint_by_reference(reference) if len(reference) <= 64 else None
    if complaint is None:
        raise NotFound("no complaint has that reference")
    return complaint


def get_complaint(tx: Tx, complaint_id: str, *, lock: bool = False) -> Complaint:
    complaint = tx.lock_complaint(complaint_id) if lock else tx.get_complaint(complaint_id)
    if complaint is None:
        raise NotFound(f"no complaint {complaint_id[:64]!r}")
    return complaint


def list_complaints(
    tx: Tx, *, today: date, state: ComplaintState | None = None, overdue: bool = False
) -> list[Complaint]:
    return tx.list_complaints(state=state, overdue_on=today if overdue else None)


def _move(tx: Tx, complaint: Complaint, target: ComplaintState, **changes: object) -> Complaint:
    """Move ``complaint`` (locked) to ``target`` with ``changes``, or refuse the move."""
    if target not in COMPLAINT_TRANSITIONS[complaint.state]:
        raise StateConflict(
            f"a complaint that is {complaint.state.value} cannot become {target.value}",
            kind="invalid-transition",
        )
    moved = dataclasses.replace(complaint, state=target, **changes)  # type: ignore[arg-type]
    if not tx.update_complaint(moved, was=complaint.state):  # pragma: no cover - locked
        raise StateConflict("the complaint changed meanwhile", kind="invalid-transition")
    return moved


def validate(tx: Tx, *, actor: Actor, now: datetime, complaint_id: str) -> Complaint:
    """Record that the complaint concerns certification activities the body is responsible
    for (9.9)."""
    complaint = get_complaint(tx, complaint_id, lock=True)
    moved = _move(
        tx, complaint, ComplaintState.VALIDATED, validated_at=now, validated_by=actor.staff()
    )
    _audit(tx, actor.audit_name, now, moved, "complaint.validated")
    return moved


def reject(tx: Tx, *, actor: Actor, now: datetime, complaint_id: str, reason: str) -> Complaint:
    """Reject the complaint as not concerning the body's certification activities."""
    complaint = get_complaint(tx, complaint_id, lock=True)
    if not reason.strip():
        raise InvalidInput("a complaint rejected as invalid needs the reason on record")
    moved = _move(
        tx,
        complaint,
        ComplaintState.REJECTED_INVALID,
        validated_at=now,
        validated_by=actor.staff(),
        rejected_reason=reason,
    )
    _audit(tx, actor.audit_name, now, moved, "complaint.rejected-invalid")
    return moved


def acknowledge(tx: Tx, *, actor: Actor, now: datetime, complaint_id: str) -> Complaint:
    complaint = get_complaint(tx, complaint_id, lock=True)
    moved = _move(
        tx,
        complaint,
        ComplaintState.ACKNOWLEDGED,
        acknowledged_at=now,
        acknowledged_by=actor.staff(),
    )
    late = now.date() > complaint.acknowledge_by
    _audit(tx, actor.audit_name, now, moved, "complaint.acknowledged", late=late)
    return moved


def _refuse_involved(tx: Tx, complaint: Complaint, staff_id: str) -> None:
    """Refuse an investigator involved in the subject matter (9.9): for a complaint about a
    certified person, their examiner for that certification, their trainer, or a declared
    conflict with them."""
    if complaint.person_id is None or complaint.certification_id is None:
        return
    certification = tx.get_certification(complaint.certification_id)
    assert certification is not None
    refuse_examiner_of_evidence(
        staff_id=staff_id, examinations=tx.list_examinations(certification.application_id)
    )
    refuse_trainer_of(
        tx, staff_id=staff_id, person_id=complaint.person_id, acting_as="investigator"
    )
    if tx.conflicts_between(staff_id, complaint.person_id):
        raise ImpartialityRefused(
            "the investigator declared a conflict of interest with this person (clause 4.3): "
            "a complaint is investigated by someone not involved in its subject",
            kind="declared-conflict",
        )


def assign(
    tx: Tx, *, actor: Actor, now: datetime, complaint_id: str, investigator_id: str
) -> Complaint:
    """Put the complaint under investigation by an active staff member not involved in its
    subject matter."""
    complaint = get_complaint(tx, complaint_id, lock=True)
    if ComplaintState.UNDER_INVESTIGATION not in COMPLAINT_TRANSITIONS[complaint.state]:
        _move(tx, complaint, ComplaintState.UNDER_INVESTIGATION)  # refuses with the reason
    investigator = tx.get_staff(investigator_id)
    if investigator is None:
        raise NotFound(f"no staff member {investigator_id[:64]!r}")
    if not investigator.active or not investigator.roles:
        raise Forbidden(
            "a complaint is investigated by an active staff member", kind="missing-role"
        )
    _refuse_involved(tx, complaint, investigator.id)
    moved = _move(
        tx,
        complaint,
        ComplaintState.UNDER_INVESTIGATION,
        investigator_id=investigator.id,
        assigned_at=now,
        assigned_by=actor.staff(),
    )
    _audit(tx, actor.audit_name, now, moved, "complaint.assigned", investigator_id=investigator.id)
    return moved


def answer(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    complaint_id: str,
    outcome: ComplaintOutcome,
    response: str,
) -> Complaint:
    """Record the outcome and the response sent to the complainant: only the investigator
    assigned answers (403 ``not-investigator``), who was found not involved in the subject."""
    complaint = get_complaint(tx, complaint_id, lock=True)
    if ComplaintState.ANSWERED not in COMPLAINT_TRANSITIONS[complaint.state]:
        _move(tx, complaint, ComplaintState.ANSWERED)  # refuses with the reason
    if actor.staff() != complaint.investigator_id:
        raise Forbidden(
            "only the staff member assigned to investigate this complaint answers it",
            kind="not-investigator",
        )
    if not response.strip():
        raise InvalidInput("a complaint's answer needs its response on record")
    moved = _move(
        tx,
        complaint,
        ComplaintState.ANSWERED,
        outcome=outcome,
        response=response,
        answered_at=now,
        answered_by=actor.staff(),
    )
    late = now.date() > complaint.answer_by
    _audit(tx, actor.audit_name, now, moved, "complaint.answered", outcome=outcome.value, late=late)
    return moved


def close(tx: Tx, *, actor: Actor, now: datetime, complaint_id: str) -> Complaint:
    complaint = get_complaint(tx, complaint_id, lock=True)
    moved = _move(tx, complaint, ComplaintState.CLOSED, closed_at=now, closed_by=actor.staff())
    _audit(tx, actor.audit_name, now, moved, "complaint.closed")
    return moved


def suspend_for(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    number: str,
    reason: str,
    resolve_by: date | None,
    complaint_id: str | None,
) -> Certification:
    """Suspend the certification (:func:`issuer.process.lifecycle.suspend`); naming
    ``complaint_id``, in answer to that complaint, which must be validated, not yet answered,
    and name this certification (otherwise 409 ``complaint-not-open``)."""
    complaint = None if complaint_id is None else get_complaint(tx, complaint_id, lock=True)
    if complaint is not None:
        if complaint.certificate_number != number:
            problem = "names another certificate, or none"
        elif complaint.state not in _SUSPENDABLE:
            problem = f"is {complaint.state.value}: only a validated complaint not yet answered"
        else:
            problem = ""
        if problem:
            raise StateConflict(f"the complaint named {problem}", kind="complaint-not-open")
    suspended = lifecycle.suspend(
        tx,
        actor=actor,
        now=now,
        entropy=entropy,
        number=number,
        reason=reason,
        resolve_by=resolve_by,
    )
    if complaint is not None:
        decision = tx.lifecycle_decisions(suspended.id)[-1]
        tx.link_decision_to_complaint(decision.id, complaint.id)
        _audit(
            tx,
            actor.audit_name,
            now,
            complaint,
            "complaint.suspension-linked",
            decision_id=decision.id,
            certification_id=suspended.id,
        )
    return suspended


def _audit(
    tx: Tx,
    actor: AuditActor,
    now: datetime,
    complaint: Complaint,
    action: str,
    **details: str | bool | None,
) -> None:
    """Audit a step; never the description, the contact or the response: confidential."""
    tx.append_audit(
        at=now,
        actor=actor,
        action=action,
        subject_type="complaint",
        subject_id=complaint.id,
        details={"state": complaint.state.value, **details},
    )

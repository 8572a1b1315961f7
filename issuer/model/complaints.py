"""Complaints (clause 9.9), misuse of certificates and marks among them (9.7): the record and
the moves its state may make.

A complaint is about the body itself or about a certified person, a certificate's misuse or
a mark's misuse (then it names the certificate, unless the complainant could not give it).
It walks ``received`` → ``validated`` (it concerns certification activities the body is
responsible for; otherwise ``rejected-invalid``) → ``acknowledged`` →
``under-investigation`` → ``answered`` → ``closed``. Each step keeps its date and who took
it; a complaint sent through the public form was received by no one (``received_by`` is
empty) and carries the ``reference`` its complainant looks it up by.

The description, the complainant's contact and the response are confidential: never
published, never audited. The public sees only the received date and the state in words.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "COMPLAINT_TRANSITIONS",
    "Complaint",
    "ComplaintChannel",
    "ComplaintOutcome",
    "ComplaintState",
    "ComplaintStep",
    "ComplaintSubject",
    "PublicComplaintState",
]


class ComplaintSubject(enum.StrEnum):
    BODY = "body"
    """The certification body's own work or conduct."""
    CERTIFIED_PERSON = "certified-person"
    CERTIFICATE_MISUSE = "certificate-misuse"
    MARK_MISUSE = "mark-misuse"

    @property
    def about_a_person(self) -> bool:
        """Whether the complaint concerns a certified person (and so names a certificate)."""
        return self is not ComplaintSubject.BODY


class ComplaintChannel(enum.StrEnum):
    PUBLIC_FORM = "public-form"
    EMAIL = "email"
    POST = "post"
    PHONE = "phone"
    IN_PERSON = "in-person"


class ComplaintState(enum.StrEnum):
    RECEIVED = "received"
    VALIDATED = "validated"
    REJECTED_INVALID = "rejected-invalid"
    ACKNOWLEDGED = "acknowledged"
    UNDER_INVESTIGATION = "under-investigation"
    ANSWERED = "answered"
    CLOSED = "closed"


COMPLAINT_TRANSITIONS: dict[ComplaintState, frozenset[ComplaintState]] = {
    ComplaintState.RECEIVED: frozenset({ComplaintState.VALIDATED, ComplaintState.REJECTED_INVALID}),
    ComplaintState.VALIDATED: frozenset({ComplaintState.ACKNOWLEDGED}),
    ComplaintState.ACKNOWLEDGED: frozenset({ComplaintState.UNDER_INVESTIGATION}),
    ComplaintState.UNDER_INVESTIGATION: frozenset({ComplaintState.ANSWERED}),
    ComplaintState.ANSWERED: frozenset({ComplaintState.CLOSED}),
    ComplaintState.REJECTED_INVALID: frozenset(),
    ComplaintState.CLOSED: frozenset(),
}
"""The moves a complaint may make; any other is refused (409 ``invalid-transition``)."""

_AWAITING_ACK = frozenset({ComplaintState.RECEIVED, ComplaintState.VALIDATED})
_AWAITING_ANSWER = _AWAITING_ACK | {
    ComplaintState.ACKNOWLEDGED,
    ComplaintState.UNDER_INVESTIGATION,
}


class ComplaintOutcome(enum.StrEnum):
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly-upheld"
    NOT_UPHELD = "not-upheld"


class PublicComplaintState(enum.StrEnum):
    """The state a complainant sees, in words: nothing of the handling inside."""

    RECEIVED = "received"
    BEING_HANDLED = "being handled"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class ComplaintStep:
    """One step of a complaint: the state reached, when, and by which staff member (none
    for a complaint sent through the public form)."""

    state: ComplaintState
    at: datetime
    by: str | None


@dataclass(frozen=True, slots=True)
class Complaint:
    """A complaint (9.9). ``description``, the complainant's contact, ``rejected_reason``
    and ``response`` are confidential. ``acknowledge_by`` and ``answer_by`` are deadlines
    counted from ``received_on``; ``certification_id`` and ``person_id`` are those of the
    certificate named, if any."""

    id: str
    reference: str
    subject: ComplaintSubject
    certificate_number: str | None
    certification_id: str | None
    person_id: str | None
    description: str
    complainant_name: str | None
    complainant_email: str | None
    complainant_phone: str | None
    channel: ComplaintChannel
    received_on: date
    acknowledge_by: date
    answer_by: date
    state: ComplaintState
    received_at: datetime
    received_by: str | None = None
    validated_at: datetime | None = None
    validated_by: str | None = None
    rejected_reason: str | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    investigator_id: str | None = None
    assigned_at: datetime | None = None
    assigned_by: str | None = None
    outcome: ComplaintOutcome | None = None
    response: str | None = None
    answered_at: datetime | None = None
    answered_by: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None

    def overdue(self, today: date) -> bool:
        """Whether a deadline passed before the step it asks for was reached."""
        late_ack = self.state in _AWAITING_ACK and today > self.acknowledge_by
        late_answer = self.state in _AWAITING_ANSWER and today > self.answer_by
        return late_ack or late_answer

    @property
    def public_state(self) -> PublicComplaintState:
        if self.state is ComplaintState.RECEIVED:
            return PublicComplaintState.RECEIVED
        if self.state in (ComplaintState.CLOSED, ComplaintState.REJECTED_INVALID):
            return PublicComplaintState.CLOSED
        return PublicComplaintState.BEING_HANDLED

    @property
    def steps(self) -> list[ComplaintStep]:
        """The steps taken so far, in order."""
        validated = (
            ComplaintState.REJECTED_INVALID
            if self.rejected_reason is not None
            else ComplaintState.VALIDATED
        )
        taken = [
            (ComplaintState.RECEIVED, self.received_at, self.received_by),
            (validated, self.validated_at, self.validated_by),
            (ComplaintState.ACKNOWLEDGED, self.acknowledged_at, self.acknowledged_by),
            (ComplaintState.UNDER_INVESTIGATION, self.assigned_at, self.assigned_by),
            (ComplaintState.ANSWERED, self.answered_at, self.answered_by),
            (ComplaintState.CLOSED, self.closed_at, self.closed_by),
        ]
        return [ComplaintStep(s, at, by) for s, at, by in taken if at is not None]

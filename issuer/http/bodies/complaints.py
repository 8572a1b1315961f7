"""Bodies of the complaint routes (:mod:`issuer.http.routes.complaints`, clause 9.9): a
complaint recorded by staff or sent through the public form, each later step, the complaint
as staff read it with its steps, and the little the public may read of it. The description,
the contact and the response are confidential: only the staff bodies carry them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from issuer.http.bodies.common import Day, Id, Text, _In, _Out, _printable
from issuer.model import (
    Complaint,
    ComplaintChannel,
    ComplaintOutcome,
    ComplaintState,
    ComplaintSubject,
    PublicComplaintState,
)

DESCRIPTION_MAX = 8_000

Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=DESCRIPTION_MAX),
    AfterValidator(_printable),
]
ContactName = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_printable)
]
ContactEmail = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
    AfterValidator(_printable),
]
ContactPhone = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^\+?[0-9 ()./-]{3,40}$")
]
CertificateNumber = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(_printable),
]


class PublicComplaintBody(_In):
    """A complaint as anyone may send it, without an account."""

    subject: ComplaintSubject = Field(
        description="`body`: the certification body itself; `certified-person`: a person it "
        "certified; `certificate-misuse` or `mark-misuse`: a certificate or the mark used "
        "wrongly"
    )
    certificate_number: CertificateNumber | None = Field(
        default=None,
        description="the certificate concerned; needed unless the subject is `body` or "
        "`certificate_unknown` is true",
    )
    certificate_unknown: bool = Field(
        default=False, description="true when you cannot give the certificate's number"
    )
    description: Description = Field(description="what happened; kept confidential")
    name: ContactName | None = Field(default=None, description="optional; confidential")
    email: ContactEmail | None = Field(default=None, description="optional; confidential")
    phone: ContactPhone | None = Field(default=None, description="optional; confidential")


class ComplaintBody(PublicComplaintBody):
    """A complaint a registrar took in by e-mail, post, phone or in person."""

    channel: ComplaintChannel = Field(description="how the complaint came in")
    received_on: Day = Field(description="the day it was received; not in the future")


class RejectBody(_In):
    reason: Text = Field(description="why it does not concern the body's certification work")


class AssignBody(_In):
    investigator_id: Id = Field(
        description="the staff member who investigates: not involved in the subject matter"
    )


class AnswerBody(_In):
    outcome: ComplaintOutcome
    response: Text = Field(description="the response sent to the complainant; confidential")


class ComplaintStepOut(_Out):
    state: ComplaintState
    at: datetime
    by: str | None = Field(description="the staff member; none for the public form")


class ComplaintOut(_Out):
    id: str
    reference: str = Field(description="what the complainant looks the complaint up by")
    subject: ComplaintSubject
    certificate_number: str | None
    certification_id: str | None
    person_id: str | None
    state: ComplaintState
    description: str = Field(description="confidential")
    complainant_name: str | None = Field(description="confidential")
    complainant_email: str | None = Field(description="confidential")
    complainant_phone: str | None = Field(description="confidential")
    channel: ComplaintChannel
    received_on: date
    acknowledge_by: date = Field(description="acknowledgement deadline")
    answer_by: date = Field(description="answer deadline")
    overdue: bool = Field(description="a deadline passed before the step it asks for")
    rejected_reason: str | None = Field(description="confidential")
    investigator_id: str | None
    outcome: ComplaintOutcome | None
    response: str | None = Field(description="confidential")
    steps: list[ComplaintStepOut] = Field(description="each step taken: when and by whom")

    @classmethod
    def of(cls, c: Complaint, today: date) -> ComplaintOut:
        return cls(
            id=c.id,
            reference=c.reference,
            subject=c.subject,
            certificate_number=c.certificate_number,
            certification_id=c.certification_id,
            person_id=c.person_id,
            state=c.state,
            description=c.description,
            complainant_name=c.complainant_name,
            complainant_email=c.complainant_email,
            complainant_phone=c.complainant_phone,
            channel=c.channel,
            received_on=c.received_on,
            acknowledge_by=c.acknowledge_by,
            answer_by=c.answer_by,
            overdue=c.overdue(today),
            rejected_reason=c.rejected_reason,
            investigator_id=c.investigator_id,
            outcome=c.outcome,
            response=c.response,
            steps=[ComplaintStepOut(state=s.state, at=s.at, by=s.by) for s in c.steps],
        )


class PublicComplaintOut(_Out):
    """All the public may read of a complaint: when it was received and its state in words."""

    reference: str
    received_on: date
    state: PublicComplaintState
    status_url: str = Field(description="where to look the complaint up again")

    @classmethod
    def of(cls, c: Complaint) -> PublicComplaintOut:
        return cls(
            reference=c.reference,
            received_on=c.received_on,
            state=c.public_state,
            status_url=f"/public/complaints/{c.reference}",
        )

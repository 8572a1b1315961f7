"""Bodies of the routes that follow one person through the process
(:mod:`issuer.http.routes.cases`, clauses 9.2–9.4): persons, applications, examinations and
decisions, with the certification a grant creates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from issuer.http.bodies.common import (
    Code,
    Day,
    Email,
    Id,
    Instant,
    Language,
    Name,
    Short,
    Text,
    _In,
    _Out,
)
from issuer.model import (
    Application,
    ApplicationState,
    Certification,
    CertificationStatus,
    Decision,
    DecisionOutcome,
    Examination,
    ExaminationResult,
    InvigilationMode,
    Person,
)
from schemas.languages import LANGUAGES


# ── persons ──────────────────────────────────────────────────────────────────────────────
class ConfidentialBody(_In):
    """Clause 7.3: confidential; never published, never in an audit entry."""

    date_of_birth: Day | None = None
    email: Email | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    address: Short | None = None
    identity_document_ref: Name | None = None
    language: Language | None = Field(
        default=None,
        description=(
            "the language the person's notices and printed certificates are written in "
            "(none: the body's language for certificates, English for notices)"
        ),
    )


class PersonCreate(_In):
    given_name: Name
    family_name: Name
    public_notice_version: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
    ] = Field(description="the notice of what will be public that the person was given (7.3.3)")
    directory_consent: bool = Field(description="whether the person chose to be listed publicly")
    confidential: ConfidentialBody = ConfidentialBody()


class PersonOut(_Out):
    id: str
    given_name: str
    family_name: str
    public_notice_version: str
    notice_given_at: datetime
    directory_consent: bool
    confidential: ConfidentialBody
    created_at: datetime

    @classmethod
    def of(cls, p: Person) -> PersonOut:
        c = p.confidential
        return cls(
            id=p.id,
            given_name=p.given_name,
            family_name=p.family_name,
            public_notice_version=p.public_notice_version,
            notice_given_at=p.notice_given_at,
            directory_consent=p.directory_consent,
            confidential=ConfidentialBody(
                date_of_birth=c.date_of_birth,
                email=c.email,
                phone=c.phone,
                address=c.address,
                identity_document_ref=c.identity_document_ref,
                language=c.language if c.language in LANGUAGES else None,
            ),
            created_at=p.created_at,
        )


class ContactPatch(_In):
    """A correction of a person's contact details, as a JSON merge patch (RFC 7396): a field
    given with a value sets it, given as ``null`` clears it, left out keeps it. The fields
    are checked as at registration."""

    email: Email | None = Field(default=None, description="the e-mail address notices go to")
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    address: Short | None = Field(default=None, description="the postal address")
    language: Language | None = Field(
        default=None,
        description=(
            "the language the person's notices and printed certificates are written in "
            "(null: none chosen)"
        ),
    )

    def changes(self) -> dict[str, str | None]:
        """The fields the patch names, with their new values (``None``: clear it)."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


# ── applications ─────────────────────────────────────────────────────────────────────────
class ApplicationCreate(_In):
    person_id: Id
    scheme_id: Id
    scope: list[Code] = Field(min_length=1, max_length=200)


class ReviewBody(_In):
    notes: Text


class RejectBody(_In):
    reason: Text


class ApplicationOut(_Out):
    id: str
    person_id: str
    scheme_id: str
    scheme_version_id: str
    requested_scope: list[str]
    state: ApplicationState
    submitted_at: datetime
    submitted_by: str
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_notes: str | None
    closed_at: datetime | None
    closed_by: str | None
    rejection_reason: str | None

    @classmethod
    def of(cls, a: Application) -> ApplicationOut:
        fields = {f: getattr(a, f) for f in Application.__slots__}
        fields["requested_scope"] = list(a.requested_scope)
        return cls(**fields)


# ── examinations ─────────────────────────────────────────────────────────────────────────
class AiUseBody(_In):
    """Clauses 4.3.5, 6.5: disclosed AI use with human oversight and acknowledgement."""

    description: Text
    human_reviewer_id: Id
    acknowledged_by_person_at: Instant


class ExaminationCreate(_In):
    application_id: Id
    examiner_id: Id | None = Field(
        default=None, description="required when a registrar records; an examiner records self"
    )
    held_on: Day
    method: Name
    result: ExaminationResult
    score: float = Field(ge=0, le=1_000_000, allow_inf_nan=False)
    max_score: float = Field(gt=0, le=1_000_000, allow_inf_nan=False)
    nda_accepted: bool
    identity_checked: bool
    invigilation_mode: InvigilationMode
    irregularities: Text | None = None
    ai_use: AiUseBody | None = None
    scope: list[Code] | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="the scope items assessed; default: every item the application requests",
    )


class ExaminationOut(_Out):
    id: str
    application_id: str
    examiner_id: str
    scope: list[str] = Field(description="the scope items the examination assessed")
    held_on: date
    method: str
    result: ExaminationResult
    score: float
    max_score: float
    nda_accepted: bool
    identity_checked: bool
    invigilation_mode: InvigilationMode
    irregularities: str | None
    ai_use: AiUseBody | None
    recorded_at: datetime
    recorded_by: str

    @classmethod
    def of(cls, e: Examination) -> ExaminationOut:
        fields = {f: getattr(e, f) for f in Examination.__slots__}
        fields["scope"] = list(e.scope)
        ai = e.ai_use
        fields["ai_use"] = (
            None
            if ai is None
            else AiUseBody(
                description=ai.description,
                human_reviewer_id=ai.human_reviewer_id,
                acknowledged_by_person_at=ai.acknowledged_by_person_at,
            )
        )
        return cls(**fields)


# ── decisions and certifications ─────────────────────────────────────────────────────────
class DecisionCreate(_In):
    application_id: Id
    outcome: DecisionOutcome
    rationale: Text
    scope: list[Code] | None = Field(
        default=None, max_length=200, description="granted scope; default: all requested"
    )
    effective_date: Day | None = Field(default=None, description="default: the decision date")
    appeal_id: Id | None = Field(
        default=None,
        description="for a grant: the upheld appeal (remedy re-grant) whose remedy it gives",
    )


class CertificationOut(_Out):
    id: str
    certificate_number: str
    person_id: str
    scheme_id: str
    scheme_version_id: str
    scheme_version: int
    application_id: str
    decision_id: str
    scope: list[str]
    status: CertificationStatus
    effective_date: date
    expiry_date: date
    created_at: datetime
    original_certification_date: date = Field(
        description="the day the person was first certified: a recertification keeps it"
    )
    status_since: datetime | None
    resolve_by: date | None

    @classmethod
    def of(cls, c: Certification) -> CertificationOut:
        fields = {f: getattr(c, f) for f in Certification.__slots__}
        fields["scope"] = list(c.scope)
        return cls(**fields)


class DecisionOut(_Out):
    id: str
    application_id: str
    decision_maker_id: str
    outcome: DecisionOutcome
    rationale: str
    decided_at: datetime
    appeal_id: str | None = Field(description="the upheld appeal whose re-grant this grant gives")
    certification: CertificationOut | None

    @classmethod
    def of(cls, d: Decision, certification: Certification | None) -> DecisionOut:
        return cls(
            **{f: getattr(d, f) for f in Decision.__slots__},
            certification=None if certification is None else CertificationOut.of(certification),
        )

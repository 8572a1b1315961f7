"""Request and response bodies of the back office API (pydantic, at the edge only).

Every request model forbids unknown fields and bounds every string, so a body is either
exactly what the API documents or a 422 problem.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from issuer.model import (
    Application,
    ApplicationState,
    Certification,
    CertificationStatus,
    CompetenceRecord,
    ConflictDeclaration,
    Credential,
    CredentialKind,
    Decision,
    DecisionOutcome,
    Examination,
    ExaminationResult,
    ExaminerApproval,
    InvigilationMode,
    KeyState,
    LifecycleDecision,
    LifecycleKind,
    MarkAgreement,
    Person,
    Role,
    Scheme,
    SchemeContent,
    SchemeMark,
    SchemeVersion,
    ScopeItem,
    SigningKey,
    Staff,
    TrainerRelation,
)

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _printable(value: str) -> str:
    """Control characters (NUL above all, which PostgreSQL refuses) never enter the record,
    nor bidirectional overrides, which could make a published name read as another."""
    if any((ord(c) < 32 and c not in "\t\n\r") or c in _BIDI_CONTROLS for c in value):
        raise ValueError("control and bidirectional-override characters are not allowed")
    return value


def _sane_instant(value: datetime) -> datetime:
    """An instant with an offset, between 1900 and 9000, converted to UTC."""
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("the instant is out of range") from exc
    if not 1900 <= utc.year <= 9000:
        raise ValueError("the instant must lie between the years 1900 and 9000")
    return utc


def _sane_date(value: date) -> date:
    if not 1900 <= value.year <= 9000:
        raise ValueError("the date must lie between the years 1900 and 9000")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_sane_instant)]
"""A point in time from a client: it must carry its UTC offset (no guessing)."""
Day = Annotated[date, AfterValidator(_sane_date)]

Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_printable),
]
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=20_000),
    AfterValidator(_printable),
]
Short = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2_000),
    AfterValidator(_printable),
]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_printable)]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$"),
    AfterValidator(_printable),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


# ── schemes ──────────────────────────────────────────────────────────────────────────────
class ScopeItemBody(_In):
    code: Code
    title: Name
    description: Text


class SchemeContentBody(_In):
    """Every part of a scheme named by clauses 8.2 and 8.3, plus what 7.2.2 publishes."""

    title: Name
    scheme_owner: Name
    scope_description: Text
    job_task_description: Text
    required_competence: Text
    abilities: Text | None = None
    prerequisites: Text | None = None
    code_of_conduct: Text | None = None
    application_requirements: Text
    initial_certification_criteria: Text
    recertification_criteria: Text
    initial_assessment_methods: Text
    recertification_assessment_methods: Text
    surveillance_methods: Text
    suspension_criteria: Text
    withdrawal_criteria: Text
    scope_change_criteria: Text
    process_description: Text
    recertification_interval_months: int = Field(ge=1, le=240)
    scope_items: list[ScopeItemBody] = Field(min_length=1, max_length=200)

    def to_model(self) -> SchemeContent:
        fields = self.model_dump(exclude={"scope_items"})
        items = tuple(
            ScopeItem(code=i.code, title=i.title, description=i.description)
            for i in self.scope_items
        )
        return SchemeContent(**fields, scope_items=items)


class SchemeCreate(SchemeContentBody):
    code: Code


class SchemeVersionOut(_Out):
    id: str
    version: int
    created_at: datetime
    created_by: str
    title: str
    scheme_owner: str
    scope_description: str
    job_task_description: str
    required_competence: str
    abilities: str | None
    prerequisites: str | None
    code_of_conduct: str | None
    application_requirements: str
    initial_certification_criteria: str
    recertification_criteria: str
    initial_assessment_methods: str
    recertification_assessment_methods: str
    surveillance_methods: str
    suspension_criteria: str
    withdrawal_criteria: str
    scope_change_criteria: str
    process_description: str
    recertification_interval_months: int
    scope_items: list[ScopeItemBody]

    @classmethod
    def of(cls, v: SchemeVersion) -> SchemeVersionOut:
        c = v.content
        fields = {f: getattr(c, f) for f in SchemeContent.__slots__ if f != "scope_items"}
        items = [
            ScopeItemBody(code=i.code, title=i.title, description=i.description)
            for i in c.scope_items
        ]
        return cls(
            id=v.id,
            version=v.version,
            created_at=v.created_at,
            created_by=v.created_by,
            scope_items=items,
            **fields,
        )


class SchemeOut(_Out):
    id: str
    code: str
    created_at: datetime
    current: SchemeVersionOut

    @classmethod
    def of(cls, s: Scheme) -> SchemeOut:
        return cls(
            id=s.id, code=s.code, created_at=s.created_at, current=SchemeVersionOut.of(s.current)
        )


# ── staff ────────────────────────────────────────────────────────────────────────────────
class StaffCreate(_In):
    name: Name
    email: Email | None = None
    roles: list[Role] = Field(min_length=1, max_length=10)


class RolesBody(_In):
    roles: list[Role] = Field(max_length=10)


class StaffOut(_Out):
    id: str
    name: str
    email: str | None
    roles: list[Role]
    active: bool
    created_at: datetime

    @classmethod
    def of(cls, s: Staff) -> StaffOut:
        return cls(
            id=s.id,
            name=s.name,
            email=s.email,
            roles=sorted(s.roles),
            active=s.active,
            created_at=s.created_at,
        )


class ApprovalCreate(_In):
    scheme_id: Id
    valid_until: Day | None = None


class ApprovalOut(_Out):
    id: str
    staff_id: str
    scheme_id: str
    approved_by: str
    approved_at: datetime
    valid_until: date | None

    @classmethod
    def of(cls, a: ExaminerApproval) -> ApprovalOut:
        return cls(**{f: getattr(a, f) for f in ExaminerApproval.__slots__})


class CompetenceCreate(_In):
    description: Text
    evidence: Text
    valid_until: Day | None = None


class CompetenceOut(_Out):
    id: str
    staff_id: str
    description: str
    evidence: str
    recorded_at: datetime
    valid_until: date | None

    @classmethod
    def of(cls, c: CompetenceRecord) -> CompetenceOut:
        return cls(**{f: getattr(c, f) for f in CompetenceRecord.__slots__})


class ConflictCreate(_In):
    person_id: Id
    nature: Text
    measures: Text | None = None


class ConflictOut(_Out):
    id: str
    staff_id: str
    person_id: str
    nature: str
    measures: str | None
    declared_at: datetime

    @classmethod
    def of(cls, c: ConflictDeclaration) -> ConflictOut:
        return cls(**{f: getattr(c, f) for f in ConflictDeclaration.__slots__})


class TraineeCreate(_In):
    person_id: Id
    description: Text
    started_on: Day | None = None
    ended_on: Day | None = None


class TraineeOut(_Out):
    id: str
    staff_id: str
    person_id: str
    description: str
    started_on: date | None
    ended_on: date | None
    recorded_at: datetime

    @classmethod
    def of(cls, t: TrainerRelation) -> TraineeOut:
        return cls(**{f: getattr(t, f) for f in TrainerRelation.__slots__})


class StaffDetailOut(StaffOut):
    approvals: list[ApprovalOut]
    competence: list[CompetenceOut]
    conflicts: list[ConflictOut]
    trainees: list[TraineeOut]


class TokenCreate(_In):
    name: Name
    role: Role
    staff_id: Id | None = None


class TokenOut(_Out):
    id: str
    name: str
    role: Role
    staff_id: str | None
    token: str = Field(description="the secret; shown only in this response")


# ── persons ──────────────────────────────────────────────────────────────────────────────
class ConfidentialBody(_In):
    """Clause 7.3: confidential; never published, never in an audit entry."""

    date_of_birth: Day | None = None
    email: Email | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    address: Short | None = None
    identity_document_ref: Name | None = None


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
            ),
            created_at=p.created_at,
        )


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


class ExaminationOut(_Out):
    id: str
    application_id: str
    examiner_id: str
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
    certification: CertificationOut | None

    @classmethod
    def of(cls, d: Decision, certification: Certification | None) -> DecisionOut:
        return cls(
            **{f: getattr(d, f) for f in Decision.__slots__},
            certification=None if certification is None else CertificationOut.of(certification),
        )


class CredentialOut(_Out):
    id: str
    kind: CredentialKind
    status: str = Field(description="active, suspended or revoked, from its status entries")
    depends_on: str | None
    kid: str
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    revocation_list_id: str
    revocation_index: int
    suspension_list_id: str
    suspension_index: int
    supersedes: str | None
    superseded_by: str | None

    @classmethod
    def of(cls, c: Credential, *, status: str) -> CredentialOut:
        return cls(
            id=c.id,
            kind=c.kind,
            status=status,
            depends_on=c.depends_on,
            kid=c.kid,
            valid_from=c.valid_from,
            valid_until=c.valid_until,
            issued_at=c.issued_at,
            revocation_list_id=c.revocation.list_id,
            revocation_index=c.revocation.index,
            suspension_list_id=c.suspension.list_id,
            suspension_index=c.suspension.index,
            supersedes=c.supersedes,
            superseded_by=c.superseded_by,
        )


class CertificationDetailOut(CertificationOut):
    decision: DecisionOut
    lifecycle: list[LifecycleDecisionOut]
    history: list[AuditEntryOut]
    credentials: list[CredentialOut]


class SuspendBody(_In):
    reason: Text = Field(description="confidential: kept by the issuer, never published")
    resolve_by: Day | None = Field(default=None, description="when the suspension must end")


class WithdrawBody(_In):
    reason: Text = Field(description="confidential: kept by the issuer, never published")


class ReasonBody(_In):
    reason: Text | None = None


class ScopeBody(_In):
    scope: list[Code] = Field(min_length=1, max_length=200)
    reason: Text | None = None


class LifecycleDecisionOut(_Out):
    id: str
    kind: LifecycleKind
    decided_by: str | None
    decided_at: datetime
    reason: str | None
    resolve_by: date | None
    scope_before: list[str] | None
    scope_after: list[str] | None

    @classmethod
    def of(cls, d: LifecycleDecision) -> LifecycleDecisionOut:
        return cls(
            id=d.id,
            kind=d.kind,
            decided_by=d.decided_by,
            decided_at=d.decided_at,
            reason=d.reason,
            resolve_by=d.resolve_by,
            scope_before=None if d.scope_before is None else list(d.scope_before),
            scope_after=None if d.scope_after is None else list(d.scope_after),
        )


# ── marks and keys ───────────────────────────────────────────────────────────────────────
class MarkCreate(_In):
    media_type: Annotated[str, StringConstraints(max_length=40)]
    image_base64: Annotated[str, StringConstraints(min_length=4, max_length=176_000)]
    rules: Text


class MarkOut(_Out):
    id: str
    scheme_id: str
    media_type: str
    digest_sri: str
    rules: str
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, m: SchemeMark) -> MarkOut:
        return cls(
            id=m.id,
            scheme_id=m.scheme_id,
            media_type=m.media_type,
            digest_sri=m.digest_sri,
            rules=m.rules,
            created_at=m.created_at,
            created_by=m.created_by,
        )


class MarkAgreementOut(_Out):
    id: str
    certification_id: str
    mark_id: str
    agreed_at: datetime
    recorded_by: str

    @classmethod
    def of(cls, a: MarkAgreement) -> MarkAgreementOut:
        return cls(**{f: getattr(a, f) for f in MarkAgreement.__slots__})


class RotateBody(_In):
    alg: Literal["ES256", "EdDSA"] | None = None


class KeyOut(_Out):
    kid: str
    alg: str
    state: KeyState
    public_jwk: dict[str, str]
    created_at: datetime
    retired_at: datetime | None
    compromised_at: datetime | None

    @classmethod
    def of(cls, k: SigningKey) -> KeyOut:
        return cls(**{f: getattr(k, f) for f in SigningKey.__slots__})


# ── audit ────────────────────────────────────────────────────────────────────────────────
class AuditEntryOut(_Out):
    seq: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    details_digest: str
    prev_hash: str
    entry_hash: str


class ChainReportOut(_Out):
    intact: bool
    entries: int
    head_seq: int
    first_broken_seq: int | None
    reason: str | None


CertificationDetailOut.model_rebuild()

"""The issuer's records as the rules see them: frozen dataclasses named in the standard's words.

Rows never leave ``issuer.store``; everything else works on these values. Clause numbers
refer to ISO/IEC 17024.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "APPLICATION_TRANSITIONS",
    "AiUse",
    "ApiToken",
    "Application",
    "ApplicationState",
    "Certification",
    "CertificationStatus",
    "CompetenceRecord",
    "ConflictDeclaration",
    "Credential",
    "CredentialKind",
    "Decision",
    "DecisionOutcome",
    "Examination",
    "ExaminationResult",
    "ExaminerApproval",
    "InvigilationMode",
    "KeyState",
    "LifecycleDecision",
    "LifecycleKind",
    "MarkAgreement",
    "Person",
    "PersonConfidential",
    "Role",
    "Scheme",
    "SchemeContent",
    "SchemeMark",
    "SchemeVersion",
    "ScopeItem",
    "SigningKey",
    "Staff",
    "StatusList",
    "StatusPurpose",
    "StatusSlot",
    "TrainerRelation",
]


class Role(enum.StrEnum):
    """Roles of clause 5.1.2, plus regulators as external readers."""

    ADMINISTRATOR = "administrator"
    SCHEME_MANAGER = "scheme-manager"
    REGISTRAR = "registrar"
    EXAMINER = "examiner"
    DECISION_MAKER = "decision-maker"
    AUDITOR = "auditor"
    REGULATOR = "regulator"


class ApplicationState(enum.StrEnum):
    """Clause 9.2: an application is submitted, reviewed, then accepted or rejected.

    An accepted application makes the applicant a candidate; ``certified`` and ``denied``
    record the certification decision (9.4) taken on that candidacy.
    """

    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CERTIFIED = "certified"
    DENIED = "denied"


APPLICATION_TRANSITIONS: dict[ApplicationState, frozenset[ApplicationState]] = {
    ApplicationState.SUBMITTED: frozenset({ApplicationState.REVIEWED}),
    ApplicationState.REVIEWED: frozenset({ApplicationState.ACCEPTED, ApplicationState.REJECTED}),
    ApplicationState.ACCEPTED: frozenset({ApplicationState.CERTIFIED, ApplicationState.DENIED}),
    ApplicationState.REJECTED: frozenset(),
    ApplicationState.CERTIFIED: frozenset(),
    ApplicationState.DENIED: frozenset(),
}
"""Every allowed move of an application; anything else is a state conflict."""


class ExaminationResult(enum.StrEnum):
    PASS = "pass"  # noqa: S105 - an examination outcome, not a password
    FAIL = "fail"


class InvigilationMode(enum.StrEnum):
    """Clause 7.4.4: how the examination was supervised."""

    IN_PERSON = "in-person"
    REMOTE = "remote"
    NONE = "none"


class DecisionOutcome(enum.StrEnum):
    GRANT = "grant"
    DENY = "deny"


class CertificationStatus(enum.StrEnum):
    """Clause 9.5 states of a certification."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class ScopeItem:
    """One job, role or function a certification may cover; ``code`` is stable across versions."""

    code: str
    title: str
    description: str


@dataclass(frozen=True, slots=True)
class SchemeContent:
    """Every part of a scheme that clauses 8.2 and 8.3 (and 7.2.2 for publication) name."""

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
    scope_items: tuple[ScopeItem, ...]


@dataclass(frozen=True, slots=True)
class SchemeVersion:
    """One immutable version of a scheme; certifications point at the version they were granted
    under."""

    id: str
    scheme_id: str
    version: int
    content: SchemeContent
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class Scheme:
    id: str
    code: str
    created_at: datetime
    current: SchemeVersion


@dataclass(frozen=True, slots=True)
class Staff:
    id: str
    name: str
    email: str | None
    roles: frozenset[Role]
    active: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ExaminerApproval:
    """Clause 6.2.2: an examiner is approved per scheme."""

    id: str
    staff_id: str
    scheme_id: str
    approved_by: str
    approved_at: datetime
    valid_until: date | None


@dataclass(frozen=True, slots=True)
class CompetenceRecord:
    """Clauses 6.1.5, 6.1.9: evidence of a staff member's competence."""

    id: str
    staff_id: str
    description: str
    evidence: str
    recorded_at: datetime
    valid_until: date | None


@dataclass(frozen=True, slots=True)
class ConflictDeclaration:
    """Clauses 4.3, 6.2.1: a declared conflict of interest with one person."""

    id: str
    staff_id: str
    person_id: str
    nature: str
    measures: str | None
    declared_at: datetime


@dataclass(frozen=True, slots=True)
class TrainerRelation:
    """Clause 5.2.3 e: the staff member trained this person, so may not examine them."""

    id: str
    staff_id: str
    person_id: str
    description: str
    started_on: date | None
    ended_on: date | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class PersonConfidential:
    """Clause 7.3: never published; kept apart from the public name in the store too."""

    date_of_birth: date | None
    email: str | None
    phone: str | None
    address: str | None
    identity_document_ref: str | None


@dataclass(frozen=True, slots=True)
class Person:
    """An applicant, candidate or certified person.

    ``given_name`` and ``family_name`` are the public name as it may appear in the register;
    ``public_notice_version`` records which notice of what will be public (7.3.3) the person
    was given, and ``directory_consent`` their choice about the public directory.
    """

    id: str
    given_name: str
    family_name: str
    public_notice_version: str
    notice_given_at: datetime
    directory_consent: bool
    confidential: PersonConfidential
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Application:
    id: str
    person_id: str
    scheme_id: str
    scheme_version_id: str
    requested_scope: tuple[str, ...]
    state: ApplicationState
    submitted_at: datetime
    submitted_by: str
    reviewed_at: datetime | None
    reviewed_by: str | None
    review_notes: str | None
    closed_at: datetime | None
    closed_by: str | None
    rejection_reason: str | None


@dataclass(frozen=True, slots=True)
class AiUse:
    """Clauses 4.3.5, 6.5: disclosed AI use, its human reviewer and the person's acknowledgement."""

    description: str
    human_reviewer_id: str
    acknowledged_by_person_at: datetime


@dataclass(frozen=True, slots=True)
class Examination:
    """Clauses 9.3, 7.4.4: the record of one examination of a candidate."""

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
    ai_use: AiUse | None
    recorded_at: datetime
    recorded_by: str


@dataclass(frozen=True, slots=True)
class Decision:
    """Clauses 4.2, 9.4: a certification decision by a decision-maker."""

    id: str
    application_id: str
    decision_maker_id: str
    outcome: DecisionOutcome
    rationale: str
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class Certification:
    """Clause 9.4: what a positive decision creates."""

    id: str
    certificate_number: str
    person_id: str
    scheme_id: str
    scheme_version_id: str
    scheme_version: int
    application_id: str
    decision_id: str
    scope: tuple[str, ...]
    status: CertificationStatus
    effective_date: date
    expiry_date: date
    created_at: datetime
    status_since: datetime | None = None
    resolve_by: date | None = None


class LifecycleKind(enum.StrEnum):
    """The decisions of clauses 9.5 and 9.6 on a granted certification."""

    SUSPEND = "suspend"
    REINSTATE = "reinstate"
    WITHDRAW = "withdraw"
    SCOPE = "scope"
    RECERTIFY = "recertify"
    EXPIRE = "expire"


@dataclass(frozen=True, slots=True)
class LifecycleDecision:
    """A recorded lifecycle decision. ``reason`` is confidential: it never leaves the issuer."""

    id: str
    certification_id: str
    kind: LifecycleKind
    decided_by: str | None
    decided_at: datetime
    reason: str | None
    resolve_by: date | None
    scope_before: tuple[str, ...] | None
    scope_after: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A bearer token as the store knows it: only the digest of the secret is kept."""

    id: str
    name: str
    role: Role
    staff_id: str | None
    created_at: datetime
    revoked_at: datetime | None


class KeyState(enum.StrEnum):
    """Lifecycle of a signing key: one active key signs; retired keys stay published while
    anything they signed is still valid; compromised keys are published as revoked."""

    ACTIVE = "active"
    RETIRED = "retired"
    COMPROMISED = "compromised"


class StatusPurpose(enum.StrEnum):
    """Bitstring Status List ``statusPurpose`` values certreg publishes."""

    REVOCATION = "revocation"
    SUSPENSION = "suspension"


class CredentialKind(enum.StrEnum):
    CERTIFICATE = "certificate"
    MARK = "mark"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A signing key as everyone but ``issuer.signing`` sees it: public parts and state."""

    kid: str
    alg: str
    public_jwk: dict[str, str]
    state: KeyState
    created_at: datetime
    retired_at: datetime | None
    compromised_at: datetime | None


@dataclass(frozen=True, slots=True)
class StatusList:
    id: str
    purpose: StatusPurpose
    entries: int
    allocated: int
    open: bool
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StatusSlot:
    list_id: str
    index: int


@dataclass(frozen=True, slots=True)
class Credential:
    """A signed credential (``application/vc+jwt``) and where its status lives."""

    id: str
    certification_id: str
    kind: CredentialKind
    depends_on: str | None
    kid: str
    jws: str
    valid_from: datetime
    valid_until: datetime
    revocation: StatusSlot
    suspension: StatusSlot
    issued_at: datetime
    supersedes: str | None = None
    superseded_by: str | None = None


@dataclass(frozen=True, slots=True)
class SchemeMark:
    """Clause 9.7: a scheme's certification mark and the rules for using it."""

    id: str
    scheme_id: str
    media_type: str
    image: bytes
    digest_sri: str
    rules: str
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class MarkAgreement:
    id: str
    certification_id: str
    mark_id: str
    agreed_at: datetime
    recorded_by: str

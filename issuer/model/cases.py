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
    "BulkItem",
    "Certification",
    "CertificationChange",
    "CertificationStatus",
    "ChangeKind",
    "CompetenceRecord",
    "ConfidentialField",
    "ConflictDeclaration",
    "Credential",
    "CredentialKind",
    "Decision",
    "DecisionOutcome",
    "Disclosure",
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
    "PersonNotice",
    "PublicCertification",
    "RegulatorRequest",
    "Role",
    "RosterGrant",
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
    """A signing key as everyone but ``issuer.credentials.signing`` sees it: public parts and
    state."""

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


# ── regulators' access (clause 7.3.4) ────────────────────────────────────────────────────
class ChangeKind(enum.StrEnum):
    """What happened to a certification, as the regulators' change feed names it."""

    GRANTED = "granted"
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    WITHDRAWN = "withdrawn"
    SCOPE_CHANGED = "scope-changed"
    RECERTIFIED = "recertified"
    EXPIRED = "expired"

    @classmethod
    def of(cls, kind: LifecycleKind) -> ChangeKind:
        return _CHANGE_OF[kind]


_CHANGE_OF = {
    LifecycleKind.SUSPEND: ChangeKind.SUSPENDED,
    LifecycleKind.REINSTATE: ChangeKind.REINSTATED,
    LifecycleKind.WITHDRAW: ChangeKind.WITHDRAWN,
    LifecycleKind.SCOPE: ChangeKind.SCOPE_CHANGED,
    LifecycleKind.RECERTIFY: ChangeKind.RECERTIFIED,
    LifecycleKind.EXPIRE: ChangeKind.EXPIRED,
}


class ConfidentialField(enum.StrEnum):
    """The fields of :class:`PersonConfidential` a regulator may ask to have disclosed."""

    DATE_OF_BIRTH = "date_of_birth"
    EMAIL = "email"
    PHONE = "phone"
    ADDRESS = "address"
    IDENTITY_DOCUMENT_REF = "identity_document_ref"


@dataclass(frozen=True, slots=True)
class PublicCertification:
    """A certification as a regulator sees it: the register's public fields (7.2.1) only.

    ``position`` is where it sits in the listing order, for keyset pagination.
    """

    certificate_number: str
    given_name: str
    family_name: str
    scheme_code: str
    scheme_version: int
    scope: tuple[str, ...]
    status: CertificationStatus
    status_since: datetime
    effective_date: date
    expiry_date: date
    credential_ids: tuple[str, ...]
    position: tuple[datetime, str]


@dataclass(frozen=True, slots=True)
class CertificationChange:
    """One entry of the change feed: a grant or a lifecycle decision, never its reason.

    ``position`` orders the feed: (recorded at, 0 for a grant or 1 for a decision, the
    decision's sequence number, the certification id of a grant).
    """

    certificate_number: str
    kind: ChangeKind
    effective_at: datetime
    recorded_at: datetime
    position: tuple[datetime, int, int, str]


@dataclass(frozen=True, slots=True)
class Disclosure:
    """A release of one confidential field (7.3.4). The value itself is not kept here."""

    id: str
    certification_id: str
    person_id: str
    field: ConfidentialField
    legal_basis: str
    reference: str | None
    token_id: str
    disclosed_at: datetime


@dataclass(frozen=True, slots=True)
class PersonNotice:
    """A notice owed to a person; ``subject_id`` names what it tells about (a disclosure)."""

    id: str
    person_id: str
    kind: str
    subject_id: str
    created_at: datetime
    sent_at: datetime | None
    sent_by: str | None


@dataclass(frozen=True, slots=True)
class RegulatorRequest:
    """One logged request under ``/regulator/v1`` (no body is ever logged)."""

    token_id: str | None
    staff_id: str | None
    method: str
    path: str
    query: str
    status: int
    at: datetime


# ── bulk issuance (rosters) ──────────────────────────────────────────────────────────────
@dataclass(frozen=True, slots=True)
class RosterGrant:
    """One roster row made ready for the store by :mod:`issuer.bulk.issuance`.

    A roster lists people the body already examined and granted (clause 9.4); each row
    becomes a *roster grant*: an application recorded as certified, a grant decision naming
    the decision-maker, the certification, and its certificate credential's status slots.
    ``person`` is the new person to register, or ``None`` when ``person_id`` names an
    existing one.
    """

    external_id: str
    row_digest: str
    person: Person | None
    person_id: str
    application_id: str
    decision_id: str
    decision_maker_id: str
    rationale: str
    certification_id: str
    certificate_number: str
    scheme_id: str
    scheme_version_id: str
    scope: tuple[str, ...]
    effective_date: date
    expiry_date: date
    credential_id: str
    valid_from: datetime
    valid_until: datetime
    revocation: StatusSlot
    suspension: StatusSlot


@dataclass(frozen=True, slots=True)
class BulkItem:
    """What an external id already issued: the idempotency record of bulk issuance."""

    external_id: str
    row_digest: str
    batch_id: str
    certification_id: str
    credential_id: str
    certificate_number: str

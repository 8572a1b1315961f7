"""A person's case, from application to certification decision (clauses 9.1 to 9.4).

The person (public name apart from confidential data, clause 7.3), the application and the
moves its state may make, the examinations of the candidate, and the decision taken on them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "APPLICATION_TRANSITIONS",
    "AiUse",
    "Application",
    "ApplicationState",
    "Decision",
    "DecisionOutcome",
    "Examination",
    "ExaminationResult",
    "InvigilationMode",
    "Person",
    "PersonConfidential",
]


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


@dataclass(frozen=True, slots=True)
class PersonConfidential:
    """Clause 7.3: never published; kept apart from the public name in the store too."""

    date_of_birth: date | None
    email: str | None
    phone: str | None
    address: str | None
    identity_document_ref: str | None
    language: str | None = None
    """The language notices are written in (``en``, ``de``); none: the body's default."""


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
    """Clauses 9.3, 7.4.4: the record of one examination of a candidate.

    ``scope`` is the scope items the examination assessed (by default every item the
    application requests): a decision may rely on it only for those items, so a later
    expansion of scope can say which examination proved competence in each added item.
    """

    id: str
    application_id: str
    examiner_id: str
    scope: tuple[str, ...]
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

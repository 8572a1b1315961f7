"""The certification body's staff (clauses 5.1.2, 6.1, 6.2) and the tokens that act for them.

Roles, examiner approvals per scheme, competence records, and the conflicts of interest and
trainer relations that keep a staff member away from a person's examination or decision.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "ApiToken",
    "CompetenceRecord",
    "ConflictDeclaration",
    "ExaminerApproval",
    "Role",
    "Staff",
    "TrainerRelation",
]


class Role(enum.StrEnum):
    """Roles of clause 5.1.2, the impartiality committee of 4.3, plus regulators as external
    readers."""

    ADMINISTRATOR = "administrator"
    SCHEME_MANAGER = "scheme-manager"
    REGISTRAR = "registrar"
    EXAMINER = "examiner"
    DECISION_MAKER = "decision-maker"
    AUDITOR = "auditor"
    IMPARTIALITY_COMMITTEE = "impartiality-committee"
    """Approves the measures that minimise threats to impartiality (clause 4.3)."""
    REGULATOR = "regulator"


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
    risk_id: str | None = None
    """The risk of the impartiality register that treats this conflict, if any."""


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
class ApiToken:
    """A bearer token as the store knows it: only the digest of the secret is kept."""

    id: str
    name: str
    role: Role
    staff_id: str | None
    created_at: datetime
    revoked_at: datetime | None

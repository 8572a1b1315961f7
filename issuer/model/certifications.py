"""Certifications (clauses 9.4 to 9.6): what a grant creates, and the decisions on it since.

A certification's status follows the lifecycle decisions recorded on it: suspension,
reinstatement, withdrawal, a change of scope, recertification and expiry.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "Certification",
    "CertificationStatus",
    "LifecycleDecision",
    "LifecycleKind",
]


class CertificationStatus(enum.StrEnum):
    """Clause 9.5 states of a certification."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


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
    """A recorded lifecycle decision. ``reason`` is confidential: it never leaves the issuer.

    ``examination_ids`` are the examinations a scope expansion relied on (clause 9.5: the
    added items need assessed competence); ``resolves_suspension`` is set only when the
    decision-maker said that this scope reduction resolves the suspension, since no change
    of scope lifts a suspension by itself.
    """

    id: str
    certification_id: str
    kind: LifecycleKind
    decided_by: str | None
    decided_at: datetime
    reason: str | None
    resolve_by: date | None
    scope_before: tuple[str, ...] | None
    scope_after: tuple[str, ...] | None
    examination_ids: tuple[str, ...] = ()
    resolves_suspension: bool = False

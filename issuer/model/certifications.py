"""Certifications (clauses 9.4 to 9.6): what a grant creates, and the decisions on it since.

A certification's status follows the lifecycle decisions recorded on it: suspension,
reinstatement, withdrawal, a change of scope, recertification and expiry. A suspension left
unresolved past its resolve-by date is referred to the decision-makers once (clause 9.5):
a :class:`SuspensionEscalation`.
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
    "OverdueSuspension",
    "RecertificationEvidence",
    "RecertificationEvidenceKind",
    "SuspensionEscalation",
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
    original_certification_date: date
    """The day the person was first certified: the first cycle's effective date, kept across
    every recertification (whose cycles start the day after the previous one expired)."""
    status_since: datetime | None = None
    resolve_by: date | None = None

    @property
    def renewed(self) -> bool:
        """Whether the current cycle was started by a recertification, not by the grant."""
        return self.effective_date > self.original_certification_date


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
    effective_at: datetime | None = None
    """When the change took effect, if not when it was recorded: an expiry takes effect at
    the end of the last valid day, whenever the due jobs come to record it."""
    examination_ids: tuple[str, ...] = ()
    resolves_suspension: bool = False
    evidence_ids: tuple[str, ...] = ()
    """The recorded evidence items (:class:`RecertificationEvidence`) a recertification
    relied on, beside the examinations it relied on."""
    appeal_id: str | None = None
    """The upheld appeal (9.8) whose remedy this decision gives, if it gives one."""
    complaint_id: str | None = None
    """The complaint (9.9) a suspension answers, if the decision-maker linked one."""


class RecertificationEvidenceKind(enum.StrEnum):
    """What a scheme may accept as evidence for recertification (clause 9.6): a new
    examination, continuing professional development, or evidence of work done."""

    EXAMINATION = "examination"
    CONTINUING_DEVELOPMENT = "continuing-development"
    WORK_EVIDENCE = "work-evidence"


@dataclass(frozen=True, slots=True)
class RecertificationEvidence:
    """An item of evidence for recertification other than an examination, recorded by staff
    on a certification: confidential, never published. ``used_by`` is the recertification
    decision that relied on it; each item is relied on once."""

    id: str
    certification_id: str
    kind: RecertificationEvidenceKind
    summary: str
    period_from: date
    period_to: date
    hours: float | None
    recorded_at: datetime
    recorded_by: str
    used_by: str | None = None


@dataclass(frozen=True, slots=True)
class SuspensionEscalation:
    """A suspension whose resolve-by date passed, referred to the decision-makers (9.5).

    One per suspension and deadline: ``suspension_id`` is the suspend decision in force,
    ``resolve_by`` the date that passed. It stays on record after the suspension is resolved.
    """

    id: str
    certification_id: str
    suspension_id: str
    resolve_by: date
    escalated_at: datetime


@dataclass(frozen=True, slots=True)
class OverdueSuspension:
    """A row of the overdue-suspensions worklist: the certification, and when (if yet) the
    due jobs referred its suspension to the decision-makers."""

    certification: Certification
    escalated_at: datetime | None

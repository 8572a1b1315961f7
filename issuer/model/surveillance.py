"""Surveillance of certified persons (clauses 8.3, 9.6): what is due, what was found, and the
suspensions proposed when it is late or unsatisfactory.

Each certification has a schedule: one :class:`SurveillanceItem` per activity of its scheme
and due date. A result recorded on an item (passed or failed) schedules the next one; an
item left without a result past its grace days, or failed, becomes a
:class:`ProposedSuspension` for a decision-maker, who suspends or dismisses it. The
findings are confidential: the issuer keeps them, nothing publishes them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "ProposalClosing",
    "ProposalReason",
    "ProposedSuspension",
    "SurveillanceDue",
    "SurveillanceItem",
    "SurveillanceOutcome",
    "SurveillanceState",
]


class SurveillanceState(enum.StrEnum):
    DUE = "due"
    """No result yet: the item is open."""
    PASSED = "passed"
    FAILED = "failed"
    WAIVED_BY_RECERTIFICATION = "waived-by-recertification"
    """A new cycle under a scheme version that no longer has the activity."""


class SurveillanceOutcome(enum.StrEnum):
    SATISFACTORY = "satisfactory"
    UNSATISFACTORY = "unsatisfactory"


class ProposalReason(enum.StrEnum):
    OVERDUE = "surveillance-overdue"
    UNSATISFACTORY = "surveillance-unsatisfactory"


class ProposalClosing(enum.StrEnum):
    SUSPENDED = "suspended"
    """A decision-maker suspended the certification (for this or another reason)."""
    DISMISSED = "dismissed"
    DONE_LATE = "done-late"
    """The overdue surveillance was done after all, with a satisfactory result: what the
    suspension was proposed for no longer stands."""


@dataclass(frozen=True, slots=True)
class SurveillanceDue:
    """An item to schedule: ``activity_code`` is due on ``due_on`` and late after
    ``late_after`` (the due date plus the activity's grace days)."""

    certification_id: str
    activity_code: str
    due_on: date
    late_after: date


@dataclass(frozen=True, slots=True)
class SurveillanceItem:
    """One scheduled surveillance of a certification, with its result once recorded.
    ``performed_by`` is the examiner who performed it; ``findings`` and ``evidence_ref``
    are confidential."""

    id: int
    certification_id: str
    activity_code: str
    due_on: date
    late_after: date
    state: SurveillanceState
    performed_on: date | None = None
    outcome: SurveillanceOutcome | None = None
    findings: str | None = None
    evidence_ref: str | None = None
    performed_by: str | None = None
    recorded_at: datetime | None = None
    recorded_by: str | None = None


@dataclass(frozen=True, slots=True)
class ProposedSuspension:
    """A suspension the due jobs propose because of a surveillance item (at most one per
    item and reason); it leaves the worklist when a decision-maker suspends the
    certification or dismisses it with a reason, or (an overdue one) when the surveillance
    is done after all with a satisfactory result."""

    id: str
    certification_id: str
    certificate_number: str
    item_id: int
    activity_code: str
    due_on: date
    reason: ProposalReason
    proposed_at: datetime
    closed_at: datetime | None = None
    closed_by: str | None = None
    closing: ProposalClosing | None = None
    closing_reason: str | None = None

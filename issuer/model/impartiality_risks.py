"""The register of threats to impartiality (clause 4.3): what was identified, how it was
evaluated, the measure that minimises it and who approved that measure.

A declared conflict of interest (:class:`~issuer.model.ConflictDeclaration`) may be linked to
a risk of this register; the staff member may then act for the person only in the
activities the risk's approved measure covers, and only until its review date.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "ACCEPTABLE_SCORE",
    "ImpartialityRisk",
    "RiskActivity",
    "RiskSource",
    "RiskState",
]

ACCEPTABLE_SCORE = 6
"""The highest score (likelihood × impact) at which a risk may be accepted without a measure."""


class RiskSource(enum.StrEnum):
    """Where the threat comes from (clause 4.3: relationships, activities, persons, money)."""

    RELATIONSHIP = "relationship"
    ACTIVITY = "activity"
    PERSON = "person"
    FINANCE = "finance"
    OTHER = "other"


class RiskState(enum.StrEnum):
    IDENTIFIED = "identified"
    """Recorded, not yet evaluated."""
    EVALUATED = "evaluated"
    """Likelihood and impact scored; a measure may be proposed."""
    TREATED = "treated"
    """A measure is recorded and approved by someone other than who proposed it."""
    ACCEPTED = "accepted"
    """A low risk (score ≤ 6) accepted without a measure, with the rationale on record."""
    CLOSED = "closed"
    """The threat is gone; a closed risk lifts nothing."""


class RiskActivity(enum.StrEnum):
    """What an approved measure lets a staff member with a declared conflict do for the person."""

    EXAMINE = "examine"
    """Examine the person (record their examination as its examiner)."""
    DECIDE = "decide"
    """Decide on their certification: grant or deny, suspend, reinstate, withdraw, change
    scope, recertify, or dismiss a proposed suspension."""
    RECORD = "record"
    """Perform and record the surveillance of their certification."""


@dataclass(frozen=True, slots=True)
class ImpartialityRisk:
    """One risk of the register, with each of its steps dated and the staff member who took it."""

    id: str
    source: RiskSource
    description: str
    staff_id: str | None
    person_id: str | None
    state: RiskState
    review_by: date
    identified_by: str
    identified_at: datetime
    likelihood: int | None = None
    impact: int | None = None
    evaluated_by: str | None = None
    evaluated_at: datetime | None = None
    measures: str | None = None
    covers: frozenset[RiskActivity] = frozenset()
    proposed_by: str | None = None
    proposed_at: datetime | None = None
    approved_by: str | None = None
    """Who approved the measure (``treated``) or accepted the risk (``accepted``)."""
    approved_at: datetime | None = None
    rationale: str | None = None
    """Why a low risk is accepted without a measure."""
    closed_by: str | None = None
    closed_at: datetime | None = None
    closing_reason: str | None = None

    @property
    def score(self) -> int | None:
        if self.likelihood is None or self.impact is None:
            return None
        return self.likelihood * self.impact

    def overdue(self, today: date) -> bool:
        """Past its review date and still open: the register lists it for review."""
        return self.state is not RiskState.CLOSED and self.review_by < today

    def lifts(self, activity: RiskActivity, today: date) -> bool:
        """Whether its approved measure lets the staff member do ``activity`` today."""
        return (
            self.state is RiskState.TREATED
            and activity in self.covers
            and self.approved_by is not None
            and today <= self.review_by
        )

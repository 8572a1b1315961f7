"""The management system (ISO/IEC 17024 clause 10): findings and their corrective actions,
and the figures that monitor examiners (6.2.2.3, 7.4.4).

A finding (from an internal audit, a management review, a complaint, an appeal or elsewhere)
names the clause it concerns and how serious it is. It walks ``open`` → ``action-planned``
(root cause, action, owner, due date) → ``action-taken`` → ``closed`` once someone other than
the action's owner found it effective; found not effective, it goes back to ``open`` with the
note of why. Each step keeps its date and who took it.

The examiner figures are counts over a period, never names: staff are named by their ids.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "FINDING_TRANSITIONS",
    "ExaminationTally",
    "Finding",
    "FindingSeverity",
    "FindingSource",
    "FindingState",
    "FindingStep",
]


class FindingSource(enum.StrEnum):
    INTERNAL_AUDIT = "internal-audit"
    MANAGEMENT_REVIEW = "management-review"
    COMPLAINT = "complaint"
    APPEAL = "appeal"
    OTHER = "other"


class FindingSeverity(enum.StrEnum):
    MAJOR = "major"
    MINOR = "minor"
    OBSERVATION = "observation"


class FindingState(enum.StrEnum):
    OPEN = "open"
    """Raised, or found not effective: a corrective action is needed."""
    ACTION_PLANNED = "action-planned"
    """Root cause, action, owner and due date on record."""
    ACTION_TAKEN = "action-taken"
    """The owner reports the action done; its effectiveness is still to be checked."""
    CLOSED = "closed"
    """The action was found effective by someone other than its owner."""


FINDING_TRANSITIONS: dict[FindingState, frozenset[FindingState]] = {
    FindingState.OPEN: frozenset({FindingState.ACTION_PLANNED}),
    FindingState.ACTION_PLANNED: frozenset({FindingState.ACTION_TAKEN}),
    FindingState.ACTION_TAKEN: frozenset({FindingState.CLOSED, FindingState.OPEN}),
    FindingState.CLOSED: frozenset(),
}
"""The moves a finding may make; any other is refused (409 ``invalid-transition``)."""


@dataclass(frozen=True, slots=True)
class FindingStep:
    """One step of a finding: what happened, when, and by which staff member."""

    step: str
    at: datetime
    by: str


@dataclass(frozen=True, slots=True)
class Finding:
    """A finding of the management system and its corrective action (clause 10). ``due_on``
    is the corrective action's deadline; ``times_reopened`` counts the checks that found it
    not effective, ``check_note`` says why the last check found what it found."""

    id: str
    source: FindingSource
    clause: str
    description: str
    severity: FindingSeverity
    raised_on: date
    raised_by: str
    raised_at: datetime
    state: FindingState
    root_cause: str | None = None
    action: str | None = None
    owner_id: str | None = None
    due_on: date | None = None
    planned_at: datetime | None = None
    planned_by: str | None = None
    action_note: str | None = None
    taken_at: datetime | None = None
    taken_by: str | None = None
    effective: bool | None = None
    check_note: str | None = None
    checked_at: datetime | None = None
    checked_by: str | None = None
    times_reopened: int = 0
    closed_at: datetime | None = None

    def overdue(self, today: date) -> bool:
        """Whether its corrective action's due date passed and it is not closed."""
        return (
            self.due_on is not None
            and today > self.due_on
            and self.state is not FindingState.CLOSED
        )

    @property
    def steps(self) -> list[FindingStep]:
        """The latest of each step taken so far, in order."""
        taken = [
            ("raised", self.raised_at, self.raised_by),
            ("action-planned", self.planned_at, self.planned_by),
            ("action-taken", self.taken_at, self.taken_by),
            ("checked", self.checked_at, self.checked_by),
        ]
        return [FindingStep(s, at, by) for s, at, by in taken if at is not None and by]


@dataclass(frozen=True, slots=True)
class ExaminationTally:
    """Examinations of one group (an examiner in a scheme, or a day in a scheme) over a
    period: how many, passed, with irregularities, without the identity check, and the sums
    of their score ratios (score / max_score) and of their squares, for mean and spread."""

    group: tuple[str, ...]
    held: int
    passed: int
    irregularities: int
    identity_failures: int
    ratio_sum: float
    ratio_square_sum: float

"""Appeals against decisions about a person (clause 9.8): the record and the moves its state
may make.

An appeal names the decision it is against — an application's grant or denial
(``decision``) or a lifecycle decision on a certification (``lifecycle-decision``:
suspension, withdrawal, change of scope…) — and walks ``received`` → ``acknowledged`` →
``under-investigation`` → ``decided`` → ``communicated`` → ``closed``; the appellant may
withdraw it at any point before it is decided. Each step keeps its date and who took it.

An upheld appeal changes no certification by itself: it records the remedy due, and a
decision-maker then takes the normal decision naming the appeal (``remedy_decision_id``).
The grounds and the rationale are confidential: never published, never audited.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "APPEAL_TRANSITIONS",
    "AWAITING_DECISION",
    "Appeal",
    "AppealOutcome",
    "AppealRemedy",
    "AppealState",
    "AppealStep",
    "AppealedKind",
    "Appellant",
    "ContactChannel",
]


class AppealedKind(enum.StrEnum):
    """What kind of decision an appeal is against."""

    DECISION = "decision"
    """A certification decision on an application: grant or denial (9.4)."""
    LIFECYCLE_DECISION = "lifecycle-decision"
    """A decision on a granted certification: suspension, withdrawal, scope… (9.5, 9.6)."""


class AppealState(enum.StrEnum):
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    UNDER_INVESTIGATION = "under-investigation"
    DECIDED = "decided"
    COMMUNICATED = "communicated"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


APPEAL_TRANSITIONS: dict[AppealState, frozenset[AppealState]] = {
    AppealState.RECEIVED: frozenset({AppealState.ACKNOWLEDGED, AppealState.WITHDRAWN}),
    AppealState.ACKNOWLEDGED: frozenset({AppealState.UNDER_INVESTIGATION, AppealState.WITHDRAWN}),
    AppealState.UNDER_INVESTIGATION: frozenset({AppealState.DECIDED, AppealState.WITHDRAWN}),
    AppealState.DECIDED: frozenset({AppealState.COMMUNICATED}),
    AppealState.COMMUNICATED: frozenset({AppealState.CLOSED}),
    AppealState.CLOSED: frozenset(),
    AppealState.WITHDRAWN: frozenset(),
}
"""The moves an appeal may make; any other is refused (409 ``invalid-transition``)."""

AWAITING_DECISION = frozenset(
    {AppealState.RECEIVED, AppealState.ACKNOWLEDGED, AppealState.UNDER_INVESTIGATION}
)
"""The states in which an appeal still waits for its decision."""


class Appellant(enum.StrEnum):
    PERSON = "person"
    REPRESENTATIVE = "representative"


class ContactChannel(enum.StrEnum):
    """How an appeal came in, or how its outcome was communicated."""

    EMAIL = "email"
    POST = "post"
    IN_PERSON = "in-person"
    PHONE = "phone"
    ONLINE_FORM = "online-form"
    OWN_ACCESS = "own-access"
    """The certified person's own signed-in pages (``/holder``): received from them, by no
    staff member."""


class AppealOutcome(enum.StrEnum):
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly-upheld"
    REJECTED = "rejected"

    @property
    def upheld(self) -> bool:
        return self is not AppealOutcome.REJECTED


class AppealRemedy(enum.StrEnum):
    """The normal decision an upheld appeal calls for."""

    REINSTATE = "reinstate"
    """Lift the suspension appealed: ``POST /certifications/{number}/reinstate``."""
    RE_GRANT = "re-grant"
    """Grant what was denied or withdrawn: a new decision on a new application."""
    RESTORE_SCOPE = "restore-scope"
    """Give back the scope a reduction took: ``POST /certifications/{number}/scope``."""


@dataclass(frozen=True, slots=True)
class AppealStep:
    """One step of an appeal: the state reached, when, and by which staff member (none for
    the receipt of an appeal the person sent through their own access)."""

    state: AppealState
    at: datetime
    by: str | None


@dataclass(frozen=True, slots=True)
class Appeal:
    """An appeal (9.8). ``grounds`` and ``rationale`` are confidential. ``acknowledge_by``
    and ``decide_by`` are the deadlines counted from ``received_on``; ``person_id`` and
    ``certification_id`` (if any) are those of the decision appealed."""

    id: str
    decision_kind: AppealedKind
    decision_id: str
    person_id: str
    certification_id: str | None
    grounds: str
    received_on: date
    appellant: Appellant
    channel: ContactChannel
    acknowledge_by: date
    decide_by: date
    state: AppealState
    received_at: datetime
    received_by: str | None
    """The registrar who recorded it; empty when the person sent it through their own
    access (channel ``own-access``)."""
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    investigator_id: str | None = None
    assigned_at: datetime | None = None
    assigned_by: str | None = None
    outcome: AppealOutcome | None = None
    remedy: AppealRemedy | None = None
    rationale: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    communicated_on: date | None = None
    communicated_via: ContactChannel | None = None
    communicated_at: datetime | None = None
    communicated_by: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    remedy_decision_id: str | None = None
    """The lifecycle decision that gave the remedy, once taken."""
    remedy_certification_id: str | None = None
    """For a ``re-grant``: the certification the grant giving the remedy created."""

    def overdue(self, today: date) -> bool:
        """Whether a deadline passed before the step it asks for was reached."""
        late_ack = self.state is AppealState.RECEIVED and today > self.acknowledge_by
        late_decision = self.state in AWAITING_DECISION and today > self.decide_by
        return late_ack or late_decision

    @property
    def steps(self) -> list[AppealStep]:
        """The steps taken so far, in order."""
        taken = [
            (AppealState.RECEIVED, self.received_at, self.received_by),
            (AppealState.ACKNOWLEDGED, self.acknowledged_at, self.acknowledged_by),
            (AppealState.UNDER_INVESTIGATION, self.assigned_at, self.assigned_by),
            (AppealState.DECIDED, self.decided_at, self.decided_by),
            (AppealState.COMMUNICATED, self.communicated_at, self.communicated_by),
            (AppealState.CLOSED, self.closed_at, self.closed_by),
            (AppealState.WITHDRAWN, self.withdrawn_at, self.withdrawn_by),
        ]
        return [
            AppealStep(s, at, by)
            for s, at, by in taken
            if at is not None and (by or s is AppealState.RECEIVED)
        ]

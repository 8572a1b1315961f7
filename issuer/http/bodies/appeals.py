"""Bodies of the appeal routes (:mod:`issuer.http.routes.appeals`, clause 9.8): an appeal
received, each later step, and the appeal as staff read it with its steps. Grounds and
rationale are confidential: these bodies are for staff only, and nothing publishes them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from issuer.http.bodies.common import Day, Id, Text, _In, _Out, _printable
from issuer.model import (
    Appeal,
    AppealedKind,
    AppealOutcome,
    AppealRemedy,
    AppealState,
    Appellant,
    ContactChannel,
)

Grounds = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=8_000),
    AfterValidator(_printable),
]


class AppealBody(_In):
    decision_kind: AppealedKind = Field(
        description="`decision`: a grant or denial of an application; `lifecycle-decision`: "
        "a suspension, withdrawal, change of scope or other decision on a certification"
    )
    decision_id: Id = Field(description="the id of the decision appealed")
    grounds: Grounds = Field(description="confidential: kept by the issuer, never published")
    received_on: Day = Field(description="the day the appeal was received; not in the future")
    appellant: Appellant = Field(description="the person, or their representative")
    channel: ContactChannel = Field(description="how the appeal came in")


class AssignBody(_In):
    investigator_id: Id = Field(
        description="the decision-maker who investigates: one who took no part in the "
        "decision appealed"
    )


class AppealDecisionBody(_In):
    outcome: AppealOutcome
    rationale: Text = Field(description="confidential: kept by the issuer, never published")
    remedy: AppealRemedy | None = Field(
        default=None,
        description="required when upheld, wholly or partly: the decision the appeal calls "
        "for (`reinstate` a suspension, `restore-scope` after a reduction, `re-grant` after a "
        "denial or withdrawal); none when rejected",
    )


class CommunicationBody(_In):
    communicated_on: Day = Field(
        description="the day the outcome was communicated: on or after the decision, not in "
        "the future"
    )
    via: ContactChannel = Field(description="how it was communicated")


class AppealStepOut(_Out):
    state: AppealState
    at: datetime
    by: str | None = Field(
        description="the staff member who took the step; empty for the receipt of an appeal "
        "the person sent through their own access"
    )


class AppealOut(_Out):
    id: str
    decision_kind: AppealedKind
    decision_id: str
    person_id: str
    certification_id: str | None
    state: AppealState
    grounds: str = Field(description="confidential")
    received_on: date
    appellant: Appellant
    channel: ContactChannel
    acknowledge_by: date = Field(description="acknowledgement deadline")
    decide_by: date = Field(description="decision deadline")
    overdue: bool = Field(description="a deadline passed before the step it asks for")
    investigator_id: str | None
    outcome: AppealOutcome | None
    remedy: AppealRemedy | None
    rationale: str | None = Field(description="confidential")
    communicated_on: date | None
    communicated_via: ContactChannel | None
    remedy_decision_id: str | None = Field(
        description="the lifecycle decision that gave the remedy of this upheld appeal"
    )
    remedy_certification_id: str | None = Field(
        default=None,
        description="for a re-grant: the certification the grant giving the remedy created",
    )
    steps: list[AppealStepOut] = Field(description="each step taken: when and by whom")

    @classmethod
    def of(cls, a: Appeal, today: date) -> AppealOut:
        return cls(
            id=a.id,
            decision_kind=a.decision_kind,
            decision_id=a.decision_id,
            person_id=a.person_id,
            certification_id=a.certification_id,
            state=a.state,
            grounds=a.grounds,
            received_on=a.received_on,
            appellant=a.appellant,
            channel=a.channel,
            acknowledge_by=a.acknowledge_by,
            decide_by=a.decide_by,
            overdue=a.overdue(today),
            investigator_id=a.investigator_id,
            outcome=a.outcome,
            remedy=a.remedy,
            rationale=a.rationale,
            communicated_on=a.communicated_on,
            communicated_via=a.communicated_via,
            remedy_decision_id=a.remedy_decision_id,
            remedy_certification_id=a.remedy_certification_id,
            steps=[AppealStepOut(state=s.state, at=s.at, by=s.by) for s in a.steps],
        )

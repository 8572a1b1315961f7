"""Bodies of the surveillance routes (:mod:`issuer.http.routes.surveillance`, clauses 8.3,
9.6): a surveillance result, a certification's schedule, and the rows of the
proposed-suspensions worklist. Findings are confidential: these bodies are for staff only,
and nothing publishes them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from issuer.http.bodies.common import Day, Id, Short, Text, _In, _Out, _printable
from issuer.model import (
    ProposalClosing,
    ProposalReason,
    ProposedSuspension,
    SurveillanceItem,
    SurveillanceOutcome,
    SurveillanceState,
)

Findings = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4_000),
    AfterValidator(_printable),
]
ActivityCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class SurveillanceResultBody(_In):
    activity: ActivityCode = Field(description="the code of one of the scheme's activities")
    performed_on: Day = Field(description="the day it was performed; not in the future")
    outcome: SurveillanceOutcome
    findings: Findings = Field(description="confidential: kept by the issuer, never published")
    evidence_ref: Short | None = Field(
        default=None, max_length=500, description="where the evidence is kept (confidential)"
    )
    performed_by: Id | None = Field(
        default=None,
        description="the examiner who performed it: required from a registrar; an examiner "
        "records their own",
    )


class SurveillanceItemOut(_Out):
    id: int
    activity: str
    due_on: date
    late_after: date = Field(description="the due date plus the activity's grace days")
    state: SurveillanceState
    performed_on: date | None
    outcome: SurveillanceOutcome | None
    findings: str | None = Field(description="confidential")
    evidence_ref: str | None = Field(description="confidential")
    performed_by: str | None
    recorded_at: datetime | None
    recorded_by: str | None

    @classmethod
    def of(cls, i: SurveillanceItem) -> SurveillanceItemOut:
        return cls(
            id=i.id,
            activity=i.activity_code,
            due_on=i.due_on,
            late_after=i.late_after,
            state=i.state,
            performed_on=i.performed_on,
            outcome=i.outcome,
            findings=i.findings,
            evidence_ref=i.evidence_ref,
            performed_by=i.performed_by,
            recorded_at=i.recorded_at,
            recorded_by=i.recorded_by,
        )


class SurveillanceScheduleOut(_Out):
    certificate_number: str
    items: list[SurveillanceItemOut] = Field(description="by due date, results included")


class ProposedSuspensionOut(_Out):
    id: str
    certification_id: str
    certificate_number: str
    reason: ProposalReason
    activity: str
    due_on: date
    item_id: int
    proposed_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    closing: ProposalClosing | None
    closing_reason: str | None = Field(description="confidential: why it was dismissed")

    @classmethod
    def of(cls, p: ProposedSuspension) -> ProposedSuspensionOut:
        return cls(
            id=p.id,
            certification_id=p.certification_id,
            certificate_number=p.certificate_number,
            reason=p.reason,
            activity=p.activity_code,
            due_on=p.due_on,
            item_id=p.item_id,
            proposed_at=p.proposed_at,
            closed_at=p.closed_at,
            closed_by=p.closed_by,
            closing=p.closing,
            closing_reason=p.closing_reason,
        )


class DismissBody(_In):
    reason: Text = Field(description="why no suspension is needed; confidential")

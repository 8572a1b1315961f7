"""Bodies of the lifecycle routes (:mod:`issuer.http.routes.lifecycle`, clauses 9.5, 9.6):
what a suspension, a withdrawal, a reinstatement, a recertification or a change of scope
carries, the lifecycle decisions a certification's record lists, and the rows of the
overdue-suspensions worklist."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from issuer.http.bodies.cases import CertificationOut
from issuer.http.bodies.common import Code, Day, Id, Short, Text, _In, _Out
from issuer.model import (
    LifecycleDecision,
    LifecycleKind,
    OverdueSuspension,
    RecertificationEvidence,
    RecertificationEvidenceKind,
)


class SuspendBody(_In):
    reason: Text = Field(description="confidential: kept by the issuer, never published")
    resolve_by: Day | None = Field(default=None, description="when the suspension must end")
    complaint_id: Id | None = Field(
        default=None,
        description="the complaint (9.9) this suspension answers: validated, not yet answered, "
        "and naming this certificate",
    )


class WithdrawBody(_In):
    reason: Text = Field(description="confidential: kept by the issuer, never published")


_APPEAL = (
    "the upheld appeal (9.8) whose remedy this decision gives: it must call for this remedy "
    "on this certification and not have had it yet"
)


class ReasonBody(_In):
    reason: Text | None = None
    appeal_id: Id | None = Field(default=None, description=_APPEAL)


class RecertifyBody(_In):
    reason: Text | None = Field(
        default=None, description="confidential: kept by the issuer, never published"
    )
    examination_ids: list[Id] = Field(
        default_factory=list,
        max_length=50,
        description="passed examinations of this person under this scheme, held within the "
        "window for recertification, that together assessed every item kept",
    )
    evidence_ids: list[Id] = Field(
        default_factory=list,
        max_length=200,
        description="evidence recorded on this certification (continuing development, work "
        "done) that no recertification relied on yet",
    )


class EvidenceBody(_In):
    kind: Literal["continuing-development", "work-evidence"] = Field(
        description="an examination is recorded as an examination, not here"
    )
    summary: Short = Field(description="what was done: confidential, never published")
    period_from: Day
    period_to: Day = Field(description="the last day of the period; not in the future")
    hours: float | None = Field(default=None, ge=0, le=100_000)


class EvidenceOut(_Out):
    id: str
    certification_id: str
    kind: RecertificationEvidenceKind
    summary: str
    period_from: date
    period_to: date
    hours: float | None
    recorded_at: datetime
    recorded_by: str
    used_by: str | None = Field(
        description="the recertification decision that relied on this evidence; null while none has"
    )

    @classmethod
    def of(cls, e: RecertificationEvidence) -> EvidenceOut:
        return cls(**{f: getattr(e, f) for f in RecertificationEvidence.__slots__})


class ScopeBody(_In):
    scope: list[Code] = Field(
        min_length=1, max_length=200, description="the whole scope after the change"
    )
    reason: Text | None = Field(
        default=None,
        description="confidential: kept by the issuer, never published; required when the "
        "change resolves a suspension",
    )
    examination_ids: list[Id] = Field(
        default_factory=list,
        max_length=50,
        description="the passed examinations of this person an expansion relies on: together "
        "they must have assessed every item added; none may be named for a reduction",
    )
    resolves_suspension: bool = Field(
        default=False,
        description="a reduction of a suspended certification that resolves the suspension "
        "(for example, it concerned the item removed); without it the certification stays "
        "suspended",
    )
    appeal_id: Id | None = Field(default=None, description=_APPEAL)


class LifecycleDecisionOut(_Out):
    id: str
    kind: LifecycleKind
    decided_by: str | None
    decided_at: datetime
    reason: str | None
    resolve_by: date | None
    scope_before: list[str] | None
    scope_after: list[str] | None
    effective_at: datetime | None = Field(
        description="when the change took effect, if not when it was recorded: an expiry "
        "takes effect at the end of the last valid day (UTC)"
    )
    examination_ids: list[str] = Field(
        description="the examinations a scope expansion or a recertification relied on"
    )
    resolves_suspension: bool = Field(description="this scope reduction resolved a suspension")
    evidence_ids: list[str] = Field(
        description="the recorded evidence (continuing development, work done) a "
        "recertification relied on"
    )
    appeal_id: str | None = Field(description="the upheld appeal whose remedy this decision gave")
    complaint_id: str | None = Field(description="the complaint this suspension answers")

    @classmethod
    def of(cls, d: LifecycleDecision) -> LifecycleDecisionOut:
        return cls(
            id=d.id,
            kind=d.kind,
            decided_by=d.decided_by,
            decided_at=d.decided_at,
            reason=d.reason,
            resolve_by=d.resolve_by,
            scope_before=None if d.scope_before is None else list(d.scope_before),
            scope_after=None if d.scope_after is None else list(d.scope_after),
            effective_at=d.effective_at,
            examination_ids=list(d.examination_ids),
            resolves_suspension=d.resolves_suspension,
            evidence_ids=list(d.evidence_ids),
            appeal_id=d.appeal_id,
            complaint_id=d.complaint_id,
        )


class OverdueSuspensionOut(CertificationOut):
    escalated_at: datetime | None = Field(
        description="when the suspension was referred to the decision-makers for missing its "
        "resolve-by date; null until the due jobs next run"
    )

    @classmethod
    def overdue(cls, row: OverdueSuspension) -> OverdueSuspensionOut:
        certification = CertificationOut.of(row.certification)
        return cls(**dict(certification), escalated_at=row.escalated_at)

"""Bodies of the impartiality risk register's routes (:mod:`issuer.http.routes.risks`,
clause 4.3): a risk recorded, evaluated, given a measure, approved, accepted, reviewed or
closed, and the risk as the register shows it, with each step's date and who took it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from issuer.http.bodies.common import Day, Id, _In, _Out, _printable
from issuer.model import ImpartialityRisk, RiskActivity, RiskSource, RiskState

Words = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=4_000),
    AfterValidator(_printable),
]
Score = Annotated[int, Field(ge=1, le=5)]


class RiskCreate(_In):
    source: RiskSource = Field(description="where the threat to impartiality comes from")
    description: Words
    staff_id: Id | None = Field(default=None, description="the staff member it concerns")
    person_id: Id | None = Field(default=None, description="the person it concerns")
    review_by: Day = Field(description="when it is reviewed next; after it, it is overdue")


class EvaluationBody(_In):
    likelihood: Score
    impact: Score


class MeasureBody(_In):
    measures: Words = Field(description="what eliminates or minimises the threat")
    covers: list[RiskActivity] = Field(
        default_factory=list,
        max_length=3,
        description="what a staff member with a declared conflict linked to this risk may "
        "do for the person once the measure is approved: examine, decide, record "
        "(surveillance)",
    )
    review_by: Day | None = Field(
        default=None, description="a new review date for the measure; the risk's by default"
    )


class AcceptanceBody(_In):
    rationale: Words = Field(description="why the risk is accepted without a measure")


class ReviewBody(_In):
    review_by: Day


class ClosureBody(_In):
    reason: Words


class ConflictRiskBody(_In):
    risk_id: Id


class EvaluationOut(_Out):
    likelihood: int
    impact: int
    score: int = Field(description="likelihood × impact; at most 6 may be accepted")
    evaluated_by: str
    evaluated_at: datetime


class RiskOut(_Out):
    id: str
    source: RiskSource
    description: str
    staff_id: str | None
    person_id: str | None
    state: RiskState
    review_by: date
    overdue: bool = Field(description="open and past its review date")
    identified_by: str
    identified_at: datetime
    evaluation: EvaluationOut | None
    measures: str | None
    covers: list[RiskActivity]
    proposed_by: str | None
    proposed_at: datetime | None
    approved_by: str | None = Field(description="who approved the measure or accepted the risk")
    approved_at: datetime | None
    rationale: str | None
    closed_by: str | None
    closed_at: datetime | None
    closing_reason: str | None

    @classmethod
    def of(cls, r: ImpartialityRisk, today: date) -> RiskOut:
        evaluation = None
        if r.likelihood is not None and r.impact is not None and r.score is not None:
            assert r.evaluated_by is not None
            assert r.evaluated_at is not None
            evaluation = EvaluationOut(
                likelihood=r.likelihood,
                impact=r.impact,
                score=r.score,
                evaluated_by=r.evaluated_by,
                evaluated_at=r.evaluated_at,
            )
        return cls(
            id=r.id,
            source=r.source,
            description=r.description,
            staff_id=r.staff_id,
            person_id=r.person_id,
            state=r.state,
            review_by=r.review_by,
            overdue=r.overdue(today),
            identified_by=r.identified_by,
            identified_at=r.identified_at,
            evaluation=evaluation,
            measures=r.measures,
            covers=sorted(r.covers),
            proposed_by=r.proposed_by,
            proposed_at=r.proposed_at,
            approved_by=r.approved_by,
            approved_at=r.approved_at,
            rationale=r.rationale,
            closed_by=r.closed_by,
            closed_at=r.closed_at,
            closing_reason=r.closing_reason,
        )

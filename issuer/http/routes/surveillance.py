"""Back office routes for surveillance (clauses 8.3, 9.6): results recorded on a
certification's schedule, and the worklist of suspensions that surveillance proposes.

A result is recorded by the examiner who performed it, or by a registrar naming them; the
schedule is read by the staff who read cases. The worklist is for decision-makers and
registrars; only a decision-maker dismisses a proposal (a suspension is decided through
``POST /certifications/{number}/suspend``, which takes the certification's proposals off
the worklist)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from issuer.http.bodies.surveillance import (
    DismissBody,
    ProposedSuspensionOut,
    SurveillanceItemOut,
    SurveillanceResultBody,
    SurveillanceScheduleOut,
)
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import CASE_READERS, DECIDERS, EXAMINING
from issuer.model import Role
from issuer.process import surveillance
from issuer.process.auth import Actor
from schemas.openapi import problem_responses

router = APIRouter(tags=["surveillance"])

Examining = Annotated[Actor, allow(*EXAMINING)]
Reader = Annotated[Actor, allow(*CASE_READERS)]
WorklistReader = Annotated[Actor, allow(Role.DECISION_MAKER, Role.REGISTRAR)]
DecisionMaker = Annotated[Actor, allow(*DECIDERS)]


@router.post(
    "/certifications/{number}/surveillance",
    status_code=201,
    responses=problem_responses(
        404,
        409,
        said={
            404: "No such certification, or no staff member with the id performed_by names",
            409: "Nothing of this activity is due, or the certification is withdrawn or expired",
        },
    ),
)
def record_result(
    number: str, body: SurveillanceResultBody, actor: Examining, services: ServicesDep
) -> SurveillanceItemOut:
    """Record the result of the earliest open item of an activity, and schedule the next one
    an interval after its due date. The findings are confidential: kept here, never
    published. An unsatisfactory result is proposed for suspension by the due jobs."""
    result = surveillance.SurveillanceResult(
        activity=body.activity,
        performed_on=body.performed_on,
        outcome=body.outcome,
        findings=body.findings,
        evidence_ref=body.evidence_ref,
        performed_by=body.performed_by,
    )
    with services.tx() as tx:
        item = surveillance.record_result(
            tx, actor=actor, now=services.now(), number=number, result=result
        )
    return SurveillanceItemOut.of(item)


@router.get("/certifications/{number}/surveillance", responses=problem_responses(404))
def schedule(number: str, actor: Reader, services: ServicesDep) -> SurveillanceScheduleOut:
    """The certification's surveillance: every item scheduled, by due date, with the results
    recorded (confidential)."""
    with services.tx() as tx:
        certification, items = surveillance.schedule_of(tx, number)
    return SurveillanceScheduleOut(
        certificate_number=certification.certificate_number,
        items=[SurveillanceItemOut.of(i) for i in items],
    )


@router.get("/worklist/proposed-suspensions")
def proposed_suspensions(
    actor: WorklistReader, services: ServicesDep
) -> list[ProposedSuspensionOut]:
    """Suspensions the due jobs proposed because surveillance is overdue or unsatisfactory,
    oldest first; each awaits a decision-maker, who suspends the certification or
    dismisses the proposal."""
    with services.tx() as tx:
        proposals = surveillance.proposed_suspensions(tx)
    return [ProposedSuspensionOut.of(p) for p in proposals]


@router.post(
    "/worklist/proposed-suspensions/{proposal_id}/dismiss",
    responses=problem_responses(404, 409),
)
def dismiss(
    proposal_id: str, body: DismissBody, actor: DecisionMaker, services: ServicesDep
) -> ProposedSuspensionOut:
    """Decide not to suspend: the proposal leaves the worklist, the reason kept on record."""
    with services.tx() as tx:
        proposal = surveillance.dismiss_proposal(
            tx, actor=actor, now=services.now(), proposal_id=proposal_id, reason=body.reason
        )
    return ProposedSuspensionOut.of(proposal)

"""Back office routes for the impartiality risk register (clause 4.3): risks recorded and
evaluated by administrators and scheme managers, their measures approved by an
administrator or the impartiality committee (never by who proposed them), the register read
by those and by auditors; and a declared conflict linked to the risk that treats it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from issuer.http.bodies.risks import (
    AcceptanceBody,
    ClosureBody,
    ConflictRiskBody,
    EvaluationBody,
    MeasureBody,
    ReviewBody,
    RiskCreate,
    RiskOut,
)
from issuer.http.bodies.staff import ConflictOut
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import RISK_APPROVERS, RISK_KEEPERS, RISK_READERS, STAFF
from issuer.model import RiskState
from issuer.process import risks
from issuer.process.auth import Actor
from schemas.openapi import problem_responses

router = APIRouter(tags=["impartiality"])

Keeper = Annotated[Actor, allow(*RISK_KEEPERS)]
Approver = Annotated[Actor, allow(*RISK_APPROVERS)]
Closer = Annotated[Actor, allow(*(RISK_KEEPERS | RISK_APPROVERS))]
RegisterReader = Annotated[Actor, allow(*RISK_READERS)]
AnyStaff = Annotated[Actor, allow(*STAFF)]

_STEP = problem_responses(
    404, 409, said={409: "The risk's state does not allow this step (invalid-transition)"}
)
_SEPARATE = problem_responses(
    403,
    404,
    409,
    said={
        403: "Who proposed the measure (or evaluated the risk) may not also approve it "
        "(separation-of-duties)",
        409: "The risk's state does not allow this step",
    },
)


@router.post("/impartiality-risks", status_code=201, responses=problem_responses(404))
def record(body: RiskCreate, actor: Keeper, services: ServicesDep) -> RiskOut:
    """Record a threat to impartiality, in state ``identified``."""
    now = services.now()
    with services.tx() as tx:
        risk = risks.record_risk(
            tx,
            actor=actor,
            now=now,
            entropy=services.entropy,
            source=body.source,
            description=body.description,
            staff_id=body.staff_id,
            person_id=body.person_id,
            review_by=body.review_by,
        )
    return RiskOut.of(risk, now.date())


@router.get("/impartiality-risks")
def register(
    actor: RegisterReader,
    services: ServicesDep,
    state: Annotated[RiskState | None, Query()] = None,
    overdue: Annotated[bool, Query(description="only the open risks past review")] = False,
) -> list[RiskOut]:
    """The register, oldest first."""
    today = services.now().date()
    with services.tx() as tx:
        found = tx.list_risks(state=state, review_before=today if overdue else None)
    return [RiskOut.of(r, today) for r in found]


@router.get("/impartiality-risks/{risk_id}", responses=problem_responses(404))
def one(risk_id: str, actor: RegisterReader, services: ServicesDep) -> RiskOut:
    with services.tx() as tx:
        risk = risks.get_risk(tx, risk_id)
    return RiskOut.of(risk, services.now().date())


@router.post("/impartiality-risks/{risk_id}/evaluation", responses=_STEP)
def evaluate(risk_id: str, body: EvaluationBody, actor: Keeper, services: ServicesDep) -> RiskOut:
    """Score likelihood and impact (1 to 5 each): the risk becomes ``evaluated``."""
    now = services.now()
    with services.tx() as tx:
        risk = risks.evaluate_risk(
            tx,
            actor=actor,
            now=now,
            risk_id=risk_id,
            likelihood=body.likelihood,
            impact=body.impact,
        )
    return RiskOut.of(risk, now.date())


@router.post("/impartiality-risks/{risk_id}/measure", responses=_STEP)
def propose(risk_id: str, body: MeasureBody, actor: Keeper, services: ServicesDep) -> RiskOut:
    """Propose the measure and what it covers; someone else approves it."""
    now = services.now()
    with services.tx() as tx:
        risk = risks.propose_measure(
            tx,
            actor=actor,
            now=now,
            risk_id=risk_id,
            measures=body.measures,
            covers=frozenset(body.covers),
            review_by=body.review_by,
        )
    return RiskOut.of(risk, now.date())


@router.post("/impartiality-risks/{risk_id}/approval", responses=_SEPARATE)
def approve(risk_id: str, actor: Approver, services: ServicesDep) -> RiskOut:
    """Approve the proposed measure: the risk becomes ``treated``."""
    now = services.now()
    with services.tx() as tx:
        risk = risks.approve_measure(tx, actor=actor, now=now, risk_id=risk_id)
    return RiskOut.of(risk, now.date())


@router.post("/impartiality-risks/{risk_id}/acceptance", responses=_SEPARATE)
def accept(risk_id: str, body: AcceptanceBody, actor: Approver, services: ServicesDep) -> RiskOut:
    """Accept a low risk (score at most 6) without a measure, with the rationale."""
    now = services.now()
    with services.tx() as tx:
        risk = risks.accept_risk(
            tx, actor=actor, now=now, risk_id=risk_id, rationale=body.rationale
        )
    return RiskOut.of(risk, now.date())


@router.post("/impartiality-risks/{risk_id}/review", responses=_SEPARATE)
def review(risk_id: str, body: ReviewBody, actor: Approver, services: ServicesDep) -> RiskOut:
    """Record a review: the next review date."""
    now = services.now()
    with services.tx() as tx:
        risk = risks.review_risk(
            tx, actor=actor, now=now, risk_id=risk_id, review_by=body.review_by
        )
    return RiskOut.of(risk, now.date())


@router.post("/impartiality-risks/{risk_id}/closure", responses=_STEP)
def close(risk_id: str, body: ClosureBody, actor: Closer, services: ServicesDep) -> RiskOut:
    """Close the risk: the threat is gone, and no conflict acts under it any more."""
    now = services.now()
    with services.tx() as tx:
        risk = risks.close_risk(tx, actor=actor, now=now, risk_id=risk_id, reason=body.reason)
    return RiskOut.of(risk, now.date())


@router.put(
    "/staff/{staff_id}/conflicts/{declaration_id}/risk",
    responses=problem_responses(
        403,
        404,
        409,
        422,
        said={422: "The risk concerns another staff member or person (risk-mismatch)"},
    ),
)
def link(
    staff_id: str,
    declaration_id: str,
    body: ConflictRiskBody,
    actor: AnyStaff,
    services: ServicesDep,
) -> ConflictOut:
    """Link a declared conflict to the risk that treats it: once the risk's measure is
    approved, the staff member may do for the person what the measure covers."""
    with services.tx() as tx:
        declaration = risks.link_conflict(
            tx,
            actor=actor,
            now=services.now(),
            staff_id=staff_id,
            declaration_id=declaration_id,
            risk_id=body.risk_id,
        )
    return ConflictOut.of(declaration)

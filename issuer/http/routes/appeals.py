"""Back office routes for appeals (clause 9.8): received, acknowledged, assigned,
decided, communicated and closed — or withdrawn — each step by its role, and the worklist
of appeals past a deadline.

Registrars record what the appellant sends and what is sent back; a registrar or an
administrator assigns the investigator; a decision-maker who took no part in the decision
appealed decides. Staff who read cases (the auditor too) read appeals."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from issuer.http.bodies.appeals import (
    AppealBody,
    AppealDecisionBody,
    AppealOut,
    AssignBody,
    CommunicationBody,
)
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import CASE_READERS, DECIDERS, NOTICE_KEEPERS, REGISTRY_CLERKS
from issuer.model import AppealState
from issuer.process import appeals
from issuer.process.auth import Actor
from schemas.openapi import problem_responses

router = APIRouter(tags=["appeals"])

Clerk = Annotated[Actor, allow(*REGISTRY_CLERKS)]
Assigner = Annotated[Actor, allow(*NOTICE_KEEPERS)]
DecisionMaker = Annotated[Actor, allow(*DECIDERS)]
Reader = Annotated[Actor, allow(*CASE_READERS)]
_STEP = problem_responses(404, 409, said={409: "The appeal's state does not allow this step"})


@router.post(
    "/appeals",
    status_code=201,
    responses=problem_responses(404, said={404: "No decision with that kind and id"}),
)
def receive(body: AppealBody, actor: Clerk, services: ServicesDep) -> AppealOut:
    """Record an appeal as received, with its acknowledgement and decision deadlines."""
    data = appeals.AppealInput(
        decision_kind=body.decision_kind,
        decision_id=body.decision_id,
        grounds=body.grounds,
        received_on=body.received_on,
        appellant=body.appellant,
        channel=body.channel,
    )
    now = services.now()
    with services.tx() as tx:
        appeal = appeals.receive(
            tx,
            actor=actor,
            now=now,
            entropy=services.entropy,
            data=data,
            acknowledge_days=services.settings.appeal_acknowledge_days,
            decide_days=services.settings.appeal_decide_days,
        )
    return AppealOut.of(appeal, now.date())


@router.get("/appeals")
def list_appeals(
    actor: Reader,
    services: ServicesDep,
    state: Annotated[AppealState | None, Query(description="only appeals in this state")] = None,
    overdue: Annotated[bool, Query(description="only appeals past a deadline not yet met")] = False,
) -> list[AppealOut]:
    """Appeals, oldest first."""
    today = services.now().date()
    with services.tx() as tx:
        found = appeals.list_appeals(tx, today=today, state=state, overdue=overdue)
    return [AppealOut.of(a, today) for a in found]


@router.get("/worklist/overdue-appeals")
def overdue_appeals(actor: Reader, services: ServicesDep) -> list[AppealOut]:
    """Appeals not acknowledged or not decided by their deadline, oldest first."""
    today = services.now().date()
    with services.tx() as tx:
        found = appeals.list_appeals(tx, today=today, overdue=True)
    return [AppealOut.of(a, today) for a in found]


@router.get("/appeals/{appeal_id}", responses=problem_responses(404))
def get_appeal(appeal_id: str, actor: Reader, services: ServicesDep) -> AppealOut:
    """The appeal, with each step taken: when and by whom."""
    with services.tx() as tx:
        appeal = appeals.get_appeal(tx, appeal_id)
    return AppealOut.of(appeal, services.now().date())


@router.post("/appeals/{appeal_id}/acknowledge", responses=_STEP)
def acknowledge(appeal_id: str, actor: Clerk, services: ServicesDep) -> AppealOut:
    """Record that the appeal's receipt was acknowledged to the appellant."""
    now = services.now()
    with services.tx() as tx:
        appeal = appeals.acknowledge(tx, actor=actor, now=now, appeal_id=appeal_id)
    return AppealOut.of(appeal, now.date())


@router.post("/appeals/{appeal_id}/assign", responses=_STEP)
def assign(appeal_id: str, body: AssignBody, actor: Assigner, services: ServicesDep) -> AppealOut:
    """Put the appeal under investigation by a decision-maker who took no part in the
    decision appealed."""
    now = services.now()
    with services.tx() as tx:
        appeal = appeals.assign(
            tx, actor=actor, now=now, appeal_id=appeal_id, investigator_id=body.investigator_id
        )
    return AppealOut.of(appeal, now.date())


@router.post(
    "/appeals/{appeal_id}/decision",
    responses=problem_responses(
        403,
        404,
        409,
        said={403: "Not the appeal's investigator", 409: "The state does not allow it"},
    ),
)
def decide(
    appeal_id: str, body: AppealDecisionBody, actor: DecisionMaker, services: ServicesDep
) -> AppealOut:
    """Decide the appeal (only the decision-maker assigned to investigate it). Upheld, it
    names the remedy due, which a decision-maker then gives through the normal decision
    naming the appeal; the appeal changes nothing else."""
    now = services.now()
    with services.tx() as tx:
        appeal = appeals.decide(
            tx,
            actor=actor,
            now=now,
            appeal_id=appeal_id,
            outcome=body.outcome,
            rationale=body.rationale,
            remedy=body.remedy,
        )
    return AppealOut.of(appeal, now.date())


@router.post("/appeals/{appeal_id}/communicate", responses=_STEP)
def communicate(
    appeal_id: str, body: CommunicationBody, actor: Clerk, services: ServicesDep
) -> AppealOut:
    """Record when and how the outcome was communicated to the appellant."""
    now = services.now()
    with services.tx() as tx:
        appeal = appeals.communicate(
            tx,
            actor=actor,
            now=now,
            appeal_id=appeal_id,
            communicated_on=body.communicated_on,
            via=body.via,
        )
    return AppealOut.of(appeal, now.date())


@router.post("/appeals/{appeal_id}/close", responses=_STEP)
def close(appeal_id: str, actor: Clerk, services: ServicesDep) -> AppealOut:
    """Close a communicated appeal."""
    now = services.now()
    with services.tx() as tx:
        appeal = appeals.close(tx, actor=actor, now=now, appeal_id=appeal_id)
    return AppealOut.of(appeal, now.date())


@router.post("/appeals/{appeal_id}/withdraw", responses=_STEP)
def withdraw(appeal_id: str, actor: Clerk, services: ServicesDep) -> AppealOut:
    """Record that the appellant withdrew the appeal; only before it is decided."""
    now = services.now()
    with services.tx() as tx:
        appeal = appeals.withdraw(tx, actor=actor, now=now, appeal_id=appeal_id)
    return AppealOut.of(appeal, now.date())

"""Back office routes for complaints (clause 9.9): recorded, validated or rejected,
acknowledged, assigned, answered and closed, each step by its role, and the worklist of
complaints past a deadline.

Registrars record what the complainant sends and what is sent back; a registrar or an
administrator assigns the investigator; a decision-maker or a registrar records the answer.
Staff who read cases (the auditor too) read complaints. The public side — the form and the
status page — is :mod:`issuer.http.routes.public_complaints`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from issuer.http.bodies.complaints import (
    AnswerBody,
    AssignBody,
    ComplaintBody,
    ComplaintOut,
    RejectBody,
)
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import CASE_READERS, NOTICE_KEEPERS, REGISTRY_CLERKS
from issuer.model import ComplaintState, Role
from issuer.process import complaints
from issuer.process.auth import Actor
from issuer.settings import Settings
from schemas.openapi import problem_responses

router = APIRouter(tags=["complaints"])

Clerk = Annotated[Actor, allow(*REGISTRY_CLERKS)]
Assigner = Annotated[Actor, allow(*NOTICE_KEEPERS)]
Answerer = Annotated[Actor, allow(Role.DECISION_MAKER, Role.REGISTRAR)]
Reader = Annotated[Actor, allow(*CASE_READERS)]
_STEP = problem_responses(404, 409, said={409: "The complaint's state does not allow this step"})


def deadlines(settings: Settings) -> complaints.Deadlines:
    return complaints.Deadlines(
        acknowledge_days=settings.complaint_acknowledge_days,
        answer_days=settings.complaint_answer_days,
    )


@router.post("/complaints", status_code=201)
def receive(body: ComplaintBody, actor: Clerk, services: ServicesDep) -> ComplaintOut:
    """Record a complaint taken in by e-mail, post, phone or in person, with its
    acknowledgement and answer deadlines."""
    data = complaints.ComplaintInput(
        subject=body.subject,
        description=body.description,
        received_on=body.received_on,
        channel=body.channel,
        certificate_number=body.certificate_number,
        certificate_unknown=body.certificate_unknown,
        name=body.name,
        email=body.email,
        phone=body.phone,
    )
    now = services.now()
    with services.tx() as tx:
        complaint = complaints.receive(
            tx,
            actor=actor,
            now=now,
            entropy=services.entropy,
            data=data,
            deadlines=deadlines(services.settings),
        )
    return ComplaintOut.of(complaint, now.date())


@router.get("/complaints")
def list_complaints(
    actor: Reader,
    services: ServicesDep,
    state: Annotated[
        ComplaintState | None, Query(description="only complaints in this state")
    ] = None,
    overdue: Annotated[
        bool, Query(description="only complaints past a deadline not yet met")
    ] = False,
) -> list[ComplaintOut]:
    """Complaints, oldest first."""
    today = services.now().date()
    with services.tx() as tx:
        found = complaints.list_complaints(tx, today=today, state=state, overdue=overdue)
    return [ComplaintOut.of(c, today) for c in found]


@router.get("/worklist/overdue-complaints")
def overdue_complaints(actor: Reader, services: ServicesDep) -> list[ComplaintOut]:
    """Complaints not acknowledged or not answered by their deadline, oldest first."""
    today = services.now().date()
    with services.tx() as tx:
        found = complaints.list_complaints(tx, today=today, overdue=True)
    return [ComplaintOut.of(c, today) for c in found]


@router.get("/complaints/{complaint_id}", responses=problem_responses(404))
def get_complaint(complaint_id: str, actor: Reader, services: ServicesDep) -> ComplaintOut:
    """The complaint, with each step taken: when and by whom."""
    with services.tx() as tx:
        complaint = complaints.get_complaint(tx, complaint_id)
    return ComplaintOut.of(complaint, services.now().date())


@router.post("/complaints/{complaint_id}/validate", responses=_STEP)
def validate(complaint_id: str, actor: Clerk, services: ServicesDep) -> ComplaintOut:
    """Record that the complaint concerns certification activities the body answers for."""
    now = services.now()
    with services.tx() as tx:
        complaint = complaints.validate(tx, actor=actor, now=now, complaint_id=complaint_id)
    return ComplaintOut.of(complaint, now.date())


@router.post("/complaints/{complaint_id}/reject", responses=_STEP)
def reject(
    complaint_id: str, body: RejectBody, actor: Clerk, services: ServicesDep
) -> ComplaintOut:
    """Reject the complaint as invalid: it does not concern the body's certification work."""
    now = services.now()
    with services.tx() as tx:
        complaint = complaints.reject(
            tx, actor=actor, now=now, complaint_id=complaint_id, reason=body.reason
        )
    return ComplaintOut.of(complaint, now.date())


@router.post("/complaints/{complaint_id}/acknowledge", responses=_STEP)
def acknowledge(complaint_id: str, actor: Clerk, services: ServicesDep) -> ComplaintOut:
    """Record that the complaint's receipt was acknowledged to the complainant."""
    now = services.now()
    with services.tx() as tx:
        complaint = complaints.acknowledge(tx, actor=actor, now=now, complaint_id=complaint_id)
    return ComplaintOut.of(complaint, now.date())


@router.post("/complaints/{complaint_id}/assign", responses=_STEP)
def assign(
    complaint_id: str, body: AssignBody, actor: Assigner, services: ServicesDep
) -> ComplaintOut:
    """Put the complaint under investigation by a staff member not involved in its subject."""
    now = services.now()
    with services.tx() as tx:
        complaint = complaints.assign(
            tx,
            actor=actor,
            now=now,
            complaint_id=complaint_id,
            investigator_id=body.investigator_id,
        )
    return ComplaintOut.of(complaint, now.date())


@router.post(
    "/complaints/{complaint_id}/answer",
    responses=problem_responses(
        403,
        404,
        409,
        said={403: "Not the complaint's investigator", 409: "The state does not allow it"},
    ),
)
def answer(
    complaint_id: str, body: AnswerBody, actor: Answerer, services: ServicesDep
) -> ComplaintOut:
    """Record the outcome and the response sent to the complainant; only the staff member
    assigned to investigate the complaint answers it."""
    now = services.now()
    with services.tx() as tx:
        complaint = complaints.answer(
            tx,
            actor=actor,
            now=now,
            complaint_id=complaint_id,
            outcome=body.outcome,
            response=body.response,
        )
    return ComplaintOut.of(complaint, now.date())


@router.post("/complaints/{complaint_id}/close", responses=_STEP)
def close(complaint_id: str, actor: Clerk, services: ServicesDep) -> ComplaintOut:
    """Close an answered complaint."""
    now = services.now()
    with services.tx() as tx:
        complaint = complaints.close(tx, actor=actor, now=now, complaint_id=complaint_id)
    return ComplaintOut.of(complaint, now.date())

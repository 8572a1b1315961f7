"""Back office routes for what the body publishes about itself (clauses 4.3, 9.8, 9.9): an
administrator records it, each recording a new version published to the registry's
``/body``; any staff member reads what is recorded now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from issuer.http.bodies.body_information import BodyInformationIn, BodyInformationOut
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import ADMIN, STAFF
from issuer.process import body_information
from issuer.process.auth import Actor
from schemas.openapi import problem_responses

router = APIRouter(tags=["body information"])

Administrator = Annotated[Actor, allow(*ADMIN)]
AnyStaff = Annotated[Actor, allow(*STAFF)]


@router.put("/body-information", responses=problem_responses())
def record(
    body: BodyInformationIn, actor: Administrator, services: ServicesDep
) -> BodyInformationOut:
    """Record what the body publishes about itself: a new version, audited and published."""
    with services.tx() as tx:
        information = body_information.record_body_information(
            tx,
            actor=actor,
            now=services.now(),
            name=body.name,
            impartiality_commitment=body.impartiality_commitment,
            appeals_process=body.appeals_process,
            complaints_process=body.complaints_process,
            contact=body.contact,
            accreditation=None if body.accreditation is None else body.accreditation.model(),
        )
    return BodyInformationOut.of(information)


@router.get(
    "/body-information",
    responses=problem_responses(404, said={404: "Nothing is recorded yet (not-found)"}),
)
def current(actor: AnyStaff, services: ServicesDep) -> BodyInformationOut:
    """What the body publishes about itself now, as last recorded."""
    with services.tx() as tx:
        return BodyInformationOut.of(body_information.current_body_information(tx))

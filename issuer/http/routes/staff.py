"""Back office routes for staff, their roles, approvals, competence, conflicts and trainees,
their deactivation, and for API tokens: made, listed and revoked (the rules of who may do
which are :mod:`issuer.process.access`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from issuer.http.bodies.common import Id
from issuer.http.bodies.staff import (
    ApprovalCreate,
    ApprovalOut,
    CompetenceCreate,
    CompetenceOut,
    ConflictCreate,
    ConflictOut,
    RolesBody,
    StaffCreate,
    StaffDetailOut,
    StaffOut,
    TokenCreate,
    TokenInfoOut,
    TokenOut,
    TraineeCreate,
    TraineeOut,
)
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import ADMIN, AUDIT, DECIDERS, REGISTRY_CLERKS, SCHEME_EDITORS, STAFF
from issuer.process import access, staff
from issuer.process.auth import Actor
from schemas.openapi import problem_responses

router = APIRouter(tags=["staff"])

Admin = Annotated[Actor, allow(*ADMIN)]
StaffReader = Annotated[Actor, allow(*(ADMIN | AUDIT | SCHEME_EDITORS))]
SchemeEditor = Annotated[Actor, allow(*SCHEME_EDITORS)]
AnyStaff = Annotated[Actor, allow(*STAFF)]
Clerk = Annotated[Actor, allow(*(REGISTRY_CLERKS | ADMIN))]
TokenMaker = Annotated[Actor, allow(*(ADMIN | DECIDERS))]

_INACTIVE = {409: "The staff member is deactivated, or already in the state asked for"}


@router.post("/staff", status_code=201)
def create_staff(body: StaffCreate, actor: Admin, services: ServicesDep) -> StaffOut:
    with services.tx() as tx:
        member = staff.create_staff(
            tx,
            actor=actor.audit_name,
            now=services.now(),
            entropy=services.entropy,
            name=body.name,
            email=body.email,
            roles=frozenset(body.roles),
        )
    return StaffOut.of(member)


@router.get("/staff")
def list_staff(actor: StaffReader, services: ServicesDep) -> list[StaffOut]:
    with services.tx() as tx:
        return [StaffOut.of(s) for s in tx.list_staff()]


@router.get("/staff/{staff_id}")
def get_staff(staff_id: str, actor: StaffReader, services: ServicesDep) -> StaffDetailOut:
    with services.tx() as tx:
        member = staff.get_staff(tx, staff_id)
        return StaffDetailOut(
            **StaffOut.of(member).model_dump(),
            approvals=[ApprovalOut.of(a) for a in tx.list_approvals(staff_id)],
            competence=[CompetenceOut.of(c) for c in tx.list_competence(staff_id)],
            conflicts=[ConflictOut.of(c) for c in tx.list_conflicts(staff_id)],
            trainees=[TraineeOut.of(t) for t in tx.list_trainees(staff_id)],
        )


@router.put("/staff/{staff_id}/roles", responses=problem_responses(409, said=_INACTIVE))
def set_roles(staff_id: str, body: RolesBody, actor: Admin, services: ServicesDep) -> StaffOut:
    """Give the staff member exactly these roles. Their tokens for a role taken away are
    revoked: giving the role back later needs a new token. Administrator and decision-maker
    are never held together, and no one gives themselves the decision-maker role."""
    with services.tx() as tx:
        member = staff.set_roles(
            tx, actor=actor, now=services.now(), staff_id=staff_id, roles=frozenset(body.roles)
        )
    return StaffOut.of(member)


@router.post("/staff/{staff_id}/deactivate", responses=problem_responses(409, said=_INACTIVE))
def deactivate_staff(staff_id: str, actor: Admin, services: ServicesDep) -> StaffOut:
    """The staff member stops acting at once: every token of theirs is revoked, and they
    can be given no role or token until reactivated."""
    with services.tx() as tx:
        member = access.deactivate(tx, actor=actor, now=services.now(), staff_id=staff_id)
    return StaffOut.of(member)


@router.post("/staff/{staff_id}/reactivate", responses=problem_responses(409, said=_INACTIVE))
def reactivate_staff(staff_id: str, actor: Admin, services: ServicesDep) -> StaffOut:
    """The staff member may be given roles and tokens again; no earlier token comes back."""
    with services.tx() as tx:
        member = access.reactivate(tx, actor=actor, now=services.now(), staff_id=staff_id)
    return StaffOut.of(member)


@router.post("/staff/{staff_id}/approvals", status_code=201)
def approve_examiner(
    staff_id: str, body: ApprovalCreate, actor: SchemeEditor, services: ServicesDep
) -> ApprovalOut:
    with services.tx() as tx:
        approval = staff.approve_examiner(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            staff_id=staff_id,
            scheme_id=body.scheme_id,
            valid_until=body.valid_until,
        )
    return ApprovalOut.of(approval)


@router.post("/staff/{staff_id}/competence", status_code=201)
def record_competence(
    staff_id: str, body: CompetenceCreate, actor: SchemeEditor, services: ServicesDep
) -> CompetenceOut:
    with services.tx() as tx:
        record = staff.record_competence(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            staff_id=staff_id,
            description=body.description,
            evidence=body.evidence,
            valid_until=body.valid_until,
        )
    return CompetenceOut.of(record)


@router.post(
    "/staff/{staff_id}/conflicts",
    status_code=201,
    responses=problem_responses(
        404,
        409,
        422,
        said={
            409: "The named impartiality risk is closed",
            422: "The named impartiality risk concerns another staff member or person "
            "(risk-mismatch)",
        },
    ),
)
def declare_conflict(
    staff_id: str, body: ConflictCreate, actor: AnyStaff, services: ServicesDep
) -> ConflictOut:
    with services.tx() as tx:
        declaration = staff.declare_conflict(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            staff_id=staff_id,
            person_id=body.person_id,
            nature=body.nature,
            measures=body.measures,
            risk_id=body.risk_id,
        )
    return ConflictOut.of(declaration)


@router.post("/staff/{staff_id}/trainees", status_code=201)
def record_trainee(
    staff_id: str, body: TraineeCreate, actor: Clerk, services: ServicesDep
) -> TraineeOut:
    with services.tx() as tx:
        relation = staff.record_trainer_relation(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            staff_id=staff_id,
            person_id=body.person_id,
            description=body.description,
            started_on=body.started_on,
            ended_on=body.ended_on,
        )
    return TraineeOut.of(relation)


@router.post(
    "/tokens",
    status_code=201,
    tags=["tokens"],
    responses=problem_responses(
        404,
        409,
        said={404: "No staff member with this staff_id", 409: "The staff member is deactivated"},
    ),
)
def create_token(body: TokenCreate, actor: TokenMaker, services: ServicesDep) -> TokenOut:
    """Create a token for an existing staff member (with one of their roles) or a regulator.

    An administrator creates every kind but a decision-maker's: that one is created on the
    server (`certreg token create --role decision-maker`) or by the decision-maker with
    their own decision-maker token, for themselves."""
    with services.tx() as tx:
        token, secret = staff.create_token(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            name=body.name,
            role=body.role,
            staff_id=body.staff_id,
        )
    return TokenOut(
        id=token.id, name=token.name, role=token.role, staff_id=token.staff_id, token=secret
    )


@router.get("/tokens", tags=["tokens"])
def list_tokens(
    actor: Admin,
    services: ServicesDep,
    staff_id: Annotated[Id | None, Query(description="only this staff member's tokens")] = None,
) -> list[TokenInfoOut]:
    """Every token, revoked ones included, oldest first: never a secret, which is not kept."""
    with services.tx() as tx:
        return [TokenInfoOut.of(t) for t in tx.list_tokens(staff_id=staff_id)]


@router.post(
    "/tokens/{token_id}/revoke",
    tags=["tokens"],
    responses=problem_responses(409, said={409: "The token is already revoked"}),
)
def revoke_token(token_id: str, actor: AnyStaff, services: ServicesDep) -> TokenInfoOut:
    """Revoke a token: it is refused from the next request on, for good. An administrator
    revokes any token (a regulator's too); any staff member their own."""
    with services.tx() as tx:
        token = access.revoke_token(tx, actor=actor, now=services.now(), token_id=token_id)
    return TokenInfoOut.of(token)

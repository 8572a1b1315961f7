"""Back office routes for staff, their roles, approvals, competence, conflicts and trainees,
and for API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

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
    TokenOut,
    TraineeCreate,
    TraineeOut,
)
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import ADMIN, AUDIT, REGISTRY_CLERKS, SCHEME_EDITORS, STAFF
from issuer.process import staff
from issuer.process.auth import Actor
from schemas.openapi import problem_responses

router = APIRouter(tags=["staff"])

Admin = Annotated[Actor, allow(*ADMIN)]
StaffReader = Annotated[Actor, allow(*(ADMIN | AUDIT | SCHEME_EDITORS))]
SchemeEditor = Annotated[Actor, allow(*SCHEME_EDITORS)]
AnyStaff = Annotated[Actor, allow(*STAFF)]
Clerk = Annotated[Actor, allow(*(REGISTRY_CLERKS | ADMIN))]


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


@router.put("/staff/{staff_id}/roles")
def set_roles(staff_id: str, body: RolesBody, actor: Admin, services: ServicesDep) -> StaffOut:
    with services.tx() as tx:
        member = staff.set_roles(
            tx, actor=actor, now=services.now(), staff_id=staff_id, roles=frozenset(body.roles)
        )
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


@router.post("/staff/{staff_id}/conflicts", status_code=201)
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
    responses=problem_responses(404, said={404: "No staff member with this staff_id"}),
)
def create_token(body: TokenCreate, actor: Admin, services: ServicesDep) -> TokenOut:
    """Create a token for an existing staff member (with one of their roles) or a regulator."""
    with services.tx() as tx:
        token, secret = staff.create_token(
            tx,
            actor=actor.audit_name,
            now=services.now(),
            entropy=services.entropy,
            name=body.name,
            role=body.role,
            staff_id=body.staff_id,
        )
    return TokenOut(
        id=token.id, name=token.name, role=token.role, staff_id=token.staff_id, token=secret
    )

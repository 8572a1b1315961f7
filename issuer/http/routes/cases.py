"""Back office routes that follow one person through the process (clauses 9.2–9.4):
persons, applications, examinations and decisions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from issuer.errors import NotFound
from issuer.http.bodies.cases import (
    ApplicationCreate,
    ApplicationOut,
    ContactPatch,
    DecisionCreate,
    DecisionOut,
    ExaminationCreate,
    ExaminationOut,
    PersonCreate,
    PersonOut,
    RejectBody,
    ReviewBody,
)
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import CASE_READERS, DECIDERS, EXAMINING, REGISTRY_CLERKS
from issuer.model import AiUse, PersonConfidential
from issuer.process import applications, contact, decisions, examinations, persons
from issuer.process.auth import Actor
from schemas.openapi import problem_responses

router = APIRouter()

_NO_REFERENCE = (
    "A record the body names (person, scheme, application, examination, staff) does not exist"
)
_CONFLICT = problem_responses(409)

Registrar = Annotated[Actor, allow(*REGISTRY_CLERKS)]
Reader = Annotated[Actor, allow(*CASE_READERS)]
Examining = Annotated[Actor, allow(*EXAMINING)]
DecisionMaker = Annotated[Actor, allow(*DECIDERS)]


@router.post("/persons", status_code=201, tags=["persons"])
def register_person(body: PersonCreate, actor: Registrar, services: ServicesDep) -> PersonOut:
    with services.tx() as tx:
        person = persons.register_person(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            given_name=body.given_name,
            family_name=body.family_name,
            public_notice_version=body.public_notice_version,
            directory_consent=body.directory_consent,
            confidential=PersonConfidential(**body.confidential.model_dump()),
        )
    return PersonOut.of(person)


@router.get("/persons/{person_id}", tags=["persons"])
def get_person(person_id: str, actor: Reader, services: ServicesDep) -> PersonOut:
    with services.tx() as tx:
        return PersonOut.of(persons.get_person(tx, person_id))


@router.patch(
    "/persons/{person_id}/contact",
    tags=["persons"],
    openapi_extra={
        "requestBody": {
            "content": {
                media: {"schema": {"$ref": "#/components/schemas/ContactPatch"}}
                for media in ("application/merge-patch+json", "application/json")
            },
            "required": True,
        }
    },
)
def correct_contact(
    person_id: str, body: ContactPatch, actor: Registrar, services: ServicesDep
) -> PersonOut:
    """Correct the person's e-mail address, phone, postal address or language: a JSON merge
    patch, where a field given as null is cleared and a field left out is kept. Notices not
    yet sent go to the corrected address (retry a dead one after correcting it), and the
    sign-in by e-mail works with the new address only. The audit log records which fields
    changed, never their values. Of two corrections at once, each applies whole; the later
    one wins a field both change."""
    with services.tx() as tx:
        person = contact.correct_contact(
            tx, actor=actor, now=services.now(), person_id=person_id, changes=body.changes()
        )
    return PersonOut.of(person)


@router.post(
    "/applications",
    status_code=201,
    tags=["applications"],
    responses=problem_responses(404, 409, said={404: _NO_REFERENCE}),
)
def submit_application(
    body: ApplicationCreate, actor: Registrar, services: ServicesDep
) -> ApplicationOut:
    with services.tx() as tx:
        application = applications.submit(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            person_id=body.person_id,
            scheme_id=body.scheme_id,
            scope=tuple(body.scope),
        )
    return ApplicationOut.of(application)


@router.get("/applications/{application_id}", tags=["applications"])
def get_application(application_id: str, actor: Reader, services: ServicesDep) -> ApplicationOut:
    with services.tx() as tx:
        return ApplicationOut.of(applications.get_application(tx, application_id))


@router.post("/applications/{application_id}/review", tags=["applications"], responses=_CONFLICT)
def review_application(
    application_id: str, body: ReviewBody, actor: Registrar, services: ServicesDep
) -> ApplicationOut:
    with services.tx() as tx:
        application = applications.review(
            tx, actor=actor, now=services.now(), application_id=application_id, notes=body.notes
        )
    return ApplicationOut.of(application)


@router.post("/applications/{application_id}/accept", tags=["applications"], responses=_CONFLICT)
def accept_application(
    application_id: str, actor: Registrar, services: ServicesDep
) -> ApplicationOut:
    """The applicant met the requirements and becomes a candidate."""
    with services.tx() as tx:
        application = applications.accept(
            tx, actor=actor, now=services.now(), application_id=application_id
        )
    return ApplicationOut.of(application)


@router.post("/applications/{application_id}/reject", tags=["applications"], responses=_CONFLICT)
def reject_application(
    application_id: str, body: RejectBody, actor: Registrar, services: ServicesDep
) -> ApplicationOut:
    with services.tx() as tx:
        application = applications.reject(
            tx, actor=actor, now=services.now(), application_id=application_id, reason=body.reason
        )
    return ApplicationOut.of(application)


@router.get("/applications/{application_id}/examinations", tags=["examinations"])
def list_examinations(
    application_id: str, actor: Reader, services: ServicesDep
) -> list[ExaminationOut]:
    with services.tx() as tx:
        applications.get_application(tx, application_id)
        return [ExaminationOut.of(e) for e in tx.list_examinations(application_id)]


@router.post(
    "/examinations",
    status_code=201,
    tags=["examinations"],
    responses=problem_responses(404, 409, said={404: _NO_REFERENCE}),
)
def record_examination(
    body: ExaminationCreate, actor: Examining, services: ServicesDep
) -> ExaminationOut:
    ai = body.ai_use
    data = examinations.ExaminationInput(
        **body.model_dump(exclude={"ai_use", "scope"}),
        scope=None if body.scope is None else tuple(body.scope),
        ai_use=None
        if ai is None
        else AiUse(
            description=ai.description,
            human_reviewer_id=ai.human_reviewer_id,
            acknowledged_by_person_at=ai.acknowledged_by_person_at,
        ),
    )
    with services.tx() as tx:
        examination = examinations.record_examination(
            tx, actor=actor, now=services.now(), entropy=services.entropy, data=data
        )
    return ExaminationOut.of(examination)


@router.get("/examinations/{examination_id}", tags=["examinations"])
def get_examination(examination_id: str, actor: Reader, services: ServicesDep) -> ExaminationOut:
    with services.tx() as tx:
        return ExaminationOut.of(examinations.get_examination(tx, examination_id))


@router.post(
    "/decisions",
    status_code=201,
    tags=["decisions"],
    responses=problem_responses(404, 409, said={404: _NO_REFERENCE}),
)
def decide(body: DecisionCreate, actor: DecisionMaker, services: ServicesDep) -> DecisionOut:
    """Grant or deny; a grant creates the certification (clause 9.4). A grant naming
    ``appeal_id`` gives the remedy of that upheld appeal (``re-grant``, clause 9.8)."""
    data = decisions.DecisionInput(
        application_id=body.application_id,
        outcome=body.outcome,
        rationale=body.rationale,
        scope=None if body.scope is None else tuple(body.scope),
        effective_date=body.effective_date,
        appeal_id=body.appeal_id,
    )
    with services.tx() as tx:
        decision, certification = decisions.decide(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            data=data,
            issuance=services.issuance,
        )
    return DecisionOut.of(decision, certification)


@router.get("/decisions/{decision_id}", tags=["decisions"])
def get_decision(decision_id: str, actor: Reader, services: ServicesDep) -> DecisionOut:
    with services.tx() as tx:
        decision = tx.get_decision(decision_id)
        if decision is None:
            raise NotFound(f"no decision {decision_id!r}")
        return DecisionOut.of(decision, tx.certification_for_application(decision.application_id))

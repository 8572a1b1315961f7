"""Back office routes for certification schemes and their versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from issuer.errors import NotFound
from issuer.http.bodies.schemes import SchemeContentBody, SchemeCreate, SchemeOut, SchemeVersionOut
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import SCHEME_EDITORS, STAFF
from issuer.process import schemes
from issuer.process.auth import Actor
from schemas.openapi import problem_responses

router = APIRouter(prefix="/schemes", tags=["schemes"])

Editor = Annotated[Actor, allow(*SCHEME_EDITORS)]
Reader = Annotated[Actor, allow(*STAFF)]


@router.post("", status_code=201, responses=problem_responses(409))
def create_scheme(body: SchemeCreate, actor: Editor, services: ServicesDep) -> SchemeOut:
    content = SchemeContentBody.model_validate(body.model_dump(exclude={"code"})).to_model()
    with services.tx() as tx:
        scheme = schemes.create_scheme(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            code=body.code,
            content=content,
        )
    return SchemeOut.of(scheme)


@router.get("")
def list_schemes(actor: Reader, services: ServicesDep) -> list[SchemeOut]:
    with services.tx() as tx:
        return [SchemeOut.of(s) for s in tx.list_schemes()]


@router.get("/{scheme_id}")
def get_scheme(scheme_id: str, actor: Reader, services: ServicesDep) -> SchemeOut:
    with services.tx() as tx:
        return SchemeOut.of(schemes.get_scheme(tx, scheme_id))


@router.post("/{scheme_id}/versions", status_code=201)
def revise_scheme(
    scheme_id: str, body: SchemeContentBody, actor: Editor, services: ServicesDep
) -> SchemeOut:
    """Edit a scheme: the edit becomes the next version; earlier versions never change."""
    with services.tx() as tx:
        scheme = schemes.revise_scheme(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            scheme_id=scheme_id,
            content=body.to_model(),
        )
    return SchemeOut.of(scheme)


@router.get("/{scheme_id}/versions/{version}")
def get_scheme_version(
    scheme_id: str, version: str, actor: Reader, services: ServicesDep
) -> SchemeVersionOut:
    with services.tx() as tx:
        found = (
            tx.get_scheme_version_by_number(scheme_id, int(version))
            if version.isdigit() and len(version) < 9
            else None
        )
    if found is None:
        raise NotFound(f"no version {version!r} of scheme {scheme_id!r}")
    return SchemeVersionOut.of(found)

"""Back office route for the Open Badges 3.0 export of a certification.

The same staff who may download a certificate credential may download its badge; the badge
is signed on request from the records as they are (:mod:`issuer.process.openbadges`), so a
withdrawn or expired certification gets a 409 rather than a badge."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import CASE_READERS
from issuer.process import openbadges
from issuer.process.auth import Actor
from schemas.openapi import problem_responses

router = APIRouter(tags=["credentials"])

Reader = Annotated[Actor, allow(*CASE_READERS)]

VC_JWT = "application/vc+jwt"
_PRIVATE = {"Cache-Control": "private, no-cache"}
"""A badge says what the certification is when it is asked for (a later scope change gives
another one), so a browser asks again rather than keeping it."""

_RESPONSES = {
    200: {
        "description": "the signed OpenBadgeCredential, or with format=json the credential "
        "it signs (a preview, which writes nothing: without credentialStatus until the first "
        "signed badge has claimed the certificate's message slot)",
        "content": {VC_JWT: {"schema": {"type": "string"}}, "application/json": {"schema": {}}},
    },
    **problem_responses(
        404,
        409,
        said={
            404: "No such certification, or it has no current certificate credential",
            409: "The certification was withdrawn or has expired",
        },
    ),
}


@router.get("/certifications/{number}/openbadge", response_class=Response, responses=_RESPONSES)
def openbadge(
    number: str,
    actor: Reader,
    services: ServicesDep,
    format: Annotated[
        Literal["jwt", "json"],
        Query(description="jwt: the signed credential (vc+jwt); json: the credential unsigned"),
    ] = "jwt",
) -> Response:
    """The certification as an Open Badges 3.0 ``OpenBadgeCredential``.

    It carries one status entry (a Bitstring ``message`` list, 2 bits: valid, revoked,
    suspended) that follows the current certificate's status, its dates and signing key: a suspended
    certification's badge verifies as suspended until the suspension is lifted. Each signed
    download is written to the audit log. The ``json`` preview writes nothing
    (:func:`issuer.process.openbadges.openbadge_document`)."""
    now = services.now()
    with services.tx() as tx:
        if format == "json":
            document = openbadges.openbadge_document(tx, number, context=services.issuance, now=now)
            return JSONResponse(document, headers=_PRIVATE)
        badge = openbadges.openbadge_for(
            tx,
            number,
            context=services.issuance,
            actor=actor.audit_name,
            now=now,
            entropy=services.entropy,
        )
    return Response(badge.jws, media_type=VC_JWT, headers=_PRIVATE)

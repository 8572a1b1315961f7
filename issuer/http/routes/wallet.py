"""Back office route that issues a certification to a wallet as an SD-JWT VC.

The registrars who issue mark credentials (:mod:`issuer.http.routes.credentials`) may issue
it; the OpenID4VCI credential endpoint calls the same function
(:func:`issuer.process.wallet_credentials.issue_sd_jwt_vc`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from issuer.credentials.sd_jwt_vc import DC_SD_JWT_MEDIA_TYPE
from issuer.http.bodies.wallet import SdJwtVcCreate
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import REGISTRY_CLERKS
from issuer.process import wallet_credentials
from issuer.process.auth import Actor
from schemas.openapi import problem_responses

router = APIRouter(tags=["credentials"])

Clerk = Annotated[Actor, allow(*REGISTRY_CLERKS)]

_PRIVATE = {"Cache-Control": "no-store"}
"""The SD-JWT VC carries the salts of its disclosures: nothing keeps a copy on the way."""

_RESPONSES = {
    200: {
        "description": "the SD-JWT VC, <jwt>~<disclosure>~…~, bound to the holder key",
        "content": {DC_SD_JWT_MEDIA_TYPE: {"schema": {"type": "string"}}},
    },
    **problem_responses(
        404,
        409,
        422,
        said={
            404: "No such certification, or it has no current certificate credential",
            409: "The certification is not active",
            422: "The holder key is private, unsupported or malformed",
        },
    ),
}


@router.post("/certifications/{number}/sd-jwt-vc", response_class=Response, responses=_RESPONSES)
def issue_sd_jwt_vc(
    number: str, body: SdJwtVcCreate, actor: Clerk, services: ServicesDep
) -> Response:
    """Issue the certification as an SD-JWT VC (``application/dc+sd-jwt``) for a wallet.

    Its holder can disclose their name, the certificate number, the scheme, each scope item
    and the validity dates one by one; its status is the certificate's Token Status List slot
    (``/statuslists/{id}`` on the registry). Each issuance is written to the audit log with
    the holder key's thumbprint."""
    with services.tx() as tx:
        serialized = wallet_credentials.issue_sd_jwt_vc(
            tx,
            number=number,
            holder_jwk=body.holder_jwk,
            context=services.issuance,
            actor=actor.audit_name,
            now=services.now(),
            entropy=services.entropy,
        )
    return Response(serialized, media_type=DC_SD_JWT_MEDIA_TYPE, headers=_PRIVATE)

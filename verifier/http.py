"""``POST /credentials/verify``: the VC-API verification of one presented credential.

The request is the VC API's ``VerifyCredentialRequest`` for a credential secured with JOSE::

    {"verifiableCredential": {"@context": "https://www.w3.org/ns/credentials/v2",
                              "type": "EnvelopedVerifiableCredential",
                              "id": "data:application/vc+jwt,eyJ…"},
     "options": {"checks": […], "challenge": …, "domain": …, "returnCredential": true}}

with the JWS in the data URL plain or base64 (``data:application/vc+jwt;base64,…``), or, as a
convenience, ``"verifiableCredential": "eyJ…"`` (the compact JWS itself). An SD-JWT VC comes
the same ways, as ``data:application/dc+sd-jwt,<JWT>~<disclosures>~`` or the bare SD-JWT
(:mod:`verifier.sd_jwt_vc`); one ending with a key-binding JWT is verified against
``options.challenge`` (its nonce) and ``options.domain`` (its audience), which it then needs.
Its answer adds ``vct``, ``disclosedClaims``, ``alwaysVisibleClaims`` and ``keyBound``.
The request is read by :mod:`verifier.requests` (no FastAPI there); the VC API options
as :func:`~verifier.requests.read_options` says; an option it does not know is ignored
with a warning, never refused. The answer is the one verification result :mod:`verifier.result`
writes for every surface (``certreg verify --json`` too): ``verified``, ``credential``,
``problemDetails``, ``checks``, ``warnings``, and certreg's ``verdict``, ``supersededBy``,
``checkedAt`` and ``issuer``.

Status codes follow the VC API: ``200`` whenever verification ran, whether the credential
verified or not — a revoked credential, a bad signature, a token that does not parse or a
plain JSON credential that nothing secures is a verification *result* (``verified: false``
with its problem details), not a failed request.
Only a request the verifier cannot even start on is an error, as problem+json with a stable
``type`` (:data:`verifier.requests.REQUEST_PROBLEMS`): a body over :data:`MAX_BODY_BYTES`
(413), a body that is not JSON (400), a content type other than JSON (415), and a JSON body
that is not a verify request (422) — including an envelope of another media type (the W3C
``vc+sd-jwt``, ``vc+cose``…) or a credential with an embedded proof, which this verifier does
not read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from verifier.core import Verifier
from verifier.requests import DC_SD_JWT, RequestProblem, VerifyRequest, parse_request
from verifier.result import Report, verification_result
from verifier.sd_jwt_vc import SdJwtVcResult, SdJwtVcVerifier

__all__ = ["MAX_BODY_BYTES", "verification_router"]

MAX_BODY_BYTES = 256 * 1024
"""A verify request carries one credential of a few kilobytes; anything larger is refused."""
_JSON_TYPES = ("application/json",)
_NO_STORE = {"Cache-Control": "no-store"}


async def _read_body(request: Request, max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """The body, refused as soon as it is known to exceed ``max_bytes``."""
    declared = request.headers.get("content-length")
    if declared is not None and (
        not (declared.isascii() and declared.isdigit()) or len(declared) > 18
    ):
        raise RequestProblem("malformed-request", "invalid Content-Length")
    if declared is not None and int(declared) > max_bytes:
        raise RequestProblem("payload-too-large", f"the body exceeds {max_bytes} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise RequestProblem("payload-too-large", f"the body exceeds {max_bytes} bytes")
    return bytes(body)


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


def verification_router(
    verifier_factory: Callable[[], Verifier],
    clock: Callable[[], datetime],
    sd_jwt_verifier_factory: Callable[[], SdJwtVcVerifier] | None = None,
) -> APIRouter:
    """The ``POST /credentials/verify`` route over the verifier ``verifier_factory`` returns,
    and for SD-JWT VCs the one ``sd_jwt_verifier_factory`` returns (without it an SD-JWT VC
    is an ``unsupported-envelope``).

    The factories are called once per request, so the trust policy and key sources they build
    may follow what the deployment holds (see :mod:`registry.verification`); ``clock`` gives
    the instant of each check, timezone-aware.
    """
    router = APIRouter(tags=["verification"])

    @router.post(
        "/credentials/verify",
        response_class=JSONResponse,
        responses={
            200: {"description": "verification ran; see verified and problemDetails"},
            400: {"description": "the body is not JSON"},
            413: {"description": f"the body exceeds {MAX_BODY_BYTES} bytes"},
            415: {"description": "the body is not application/json"},
            422: {"description": "not a verify request, or an envelope not read here"},
        },
    )
    async def verify_credential(request: Request) -> JSONResponse:
        """Verify one credential: a ``data:application/vc+jwt`` or ``dc+sd-jwt`` envelope, a
        compact JWS, or an SD-JWT VC."""
        try:
            if not _is_json(request.headers.get("content-type")):
                raise RequestProblem("unsupported-media-type", "send the request as JSON")
            presented = parse_request(await _read_body(request))
            if presented.media_type == DC_SD_JWT and sd_jwt_verifier_factory is None:
                raise RequestProblem("unsupported-envelope", "SD-JWT VCs are not verified here")
        except RequestProblem as problem:
            return problem.response()
        sd_jwt = presented.refusal is None and presented.media_type == DC_SD_JWT
        if sd_jwt and sd_jwt_verifier_factory is not None:
            sd_jwt_verifier = await run_in_threadpool(sd_jwt_verifier_factory)
            sd_result = await run_in_threadpool(_check_sd_jwt, sd_jwt_verifier, presented, clock())
            body = sd_result.as_json(
                warnings=(*sd_result.report.warnings, *presented.warnings),
                with_credential=presented.return_credential,
            )
            return JSONResponse(body, headers=_NO_STORE)
        if presented.refusal is not None:
            report = Report.refused(presented.refusal, now=clock())
        else:
            verifier = await run_in_threadpool(verifier_factory)
            report = await run_in_threadpool(verifier.check, presented.token, now=clock())
        result = verification_result(
            report,
            warnings=(*report.warnings, *presented.warnings),
            with_credential=presented.return_credential,
        )
        return JSONResponse(result, headers=_NO_STORE)

    return router


def _check_sd_jwt(
    verifier: SdJwtVcVerifier, presented: VerifyRequest, now: datetime
) -> SdJwtVcResult:
    """An SD-JWT VC as issued, or a key-bound presentation against the request's options."""
    if presented.challenge is not None and presented.domain is not None:
        return verifier.check_presentation(
            presented.token, nonce=presented.challenge, audience=presented.domain, now=now
        )
    return verifier.check(presented.token, now=now)

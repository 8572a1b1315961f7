"""``POST /credentials/verify``: the VC-API verification of one presented credential.

The request is the VC API's ``VerifyCredentialRequest`` for a credential secured with JOSE::

    {"verifiableCredential": {"@context": "https://www.w3.org/ns/credentials/v2",
                              "type": "EnvelopedVerifiableCredential",
                              "id": "data:application/vc+jwt,eyJ…"},
     "options": {}}

or, as a convenience, ``"verifiableCredential": "eyJ…"`` (the compact JWS itself). The answer
follows the VC API's verification result: ``verified``, ``credential`` (the verified payload,
also when it is revoked or expired, so a relying party can say whose it is) and
``problemDetails`` (RFC 9457 objects with the VC Data Model §7.2 and Bitstring Status List
types). It keeps the older VC API members ``checks`` (what passed) and ``warnings``, and adds
certreg's own, named so they cannot be mistaken for VC API ones: ``verdict`` (one word for a
person: valid, suspended, revoked, expired, not-yet-valid, invalid, cannot-confirm),
``checkedAt`` and ``issuer``.

Status codes follow the VC API: ``200`` whenever verification ran, whether the credential
verified or not — a revoked credential, a bad signature or a token that does not parse is a
verification *result* (``verified: false`` with its problem details), not a failed request.
Only a request the verifier cannot even start on is an error, as problem+json with a stable
``type`` (:data:`REQUEST_PROBLEMS`): a body over :data:`MAX_BODY_BYTES` (413), a body that
is not JSON (400), a content type other than JSON (415), and a JSON body that is not a verify
request (422) — including an envelope of another media type (``vc+sd-jwt``, ``vc+cose``…) or
its base64 variant, which this verifier does not read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from schemas.problem import PROBLEM_MEDIA_TYPE, Problem, problem_type_uri
from verifier.core import Report, Verifier

__all__ = [
    "ENVELOPE_PREFIX",
    "MAX_BODY_BYTES",
    "REQUEST_PROBLEMS",
    "RequestProblem",
    "unwrap_credential",
    "verification_result",
    "verification_router",
]

MAX_BODY_BYTES = 256 * 1024
"""A verify request carries one credential of a few kilobytes; anything larger is refused."""
ENVELOPE_PREFIX = "data:application/vc+jwt,"
"""The only ``EnvelopedVerifiableCredential`` id read here (VC JOSE COSE §3.1.1)."""
ENVELOPE_TYPE = "EnvelopedVerifiableCredential"
VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
_JSON_TYPES = ("application/json",)
_NO_STORE = {"Cache-Control": "no-store"}

REQUEST_PROBLEMS: dict[str, tuple[int, str]] = {
    "malformed-request": (400, "The request could not be read"),
    "payload-too-large": (413, "The request body is too large"),
    "unsupported-media-type": (415, "The request body must be application/json"),
    "validation-failed": (422, "The request does not match the documented shape"),
    "unsupported-envelope": (
        422,
        "Only credentials enveloped as data:application/vc+jwt are verified here",
    ),
}
"""The request errors of this endpoint by ``kind``: status and title."""


class RequestProblem(Exception):
    """A verify request that cannot be started on; ``kind`` is one of :data:`REQUEST_PROBLEMS`."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.status, self.title = REQUEST_PROBLEMS[kind]
        self.detail = detail

    def response(self) -> JSONResponse:
        problem = Problem(
            type=problem_type_uri(self.kind),
            title=self.title,
            status=self.status,
            detail=self.detail[:500],
        )
        return JSONResponse(
            problem.model_dump(exclude_none=True),
            status_code=self.status,
            media_type=PROBLEM_MEDIA_TYPE,
            headers=_NO_STORE,
        )


def unwrap_credential(value: object) -> str:
    """The compact JWS inside a presented credential: the string itself, or the payload of
    an ``EnvelopedVerifiableCredential`` whose id is a ``data:application/vc+jwt,`` URL.

    A string is passed on as it is (the verifier answers PARSING_ERROR if it is not a JWS);
    an object must be an envelope, and an envelope of any other media type, or the base64
    variant of the data URL, is refused with :class:`RequestProblem` — it names a securing
    mechanism this verifier does not implement, which is not a fact about the credential.
    """
    if isinstance(value, str):
        return _data_url(value) if value.startswith("data:") else value
    if not isinstance(value, Mapping):
        raise RequestProblem(
            "validation-failed",
            "verifiableCredential is an EnvelopedVerifiableCredential object or a compact JWS",
        )
    types = value.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or ENVELOPE_TYPE not in types:
        raise RequestProblem(
            "unsupported-envelope",
            "only an EnvelopedVerifiableCredential (vc+jwt) is verified; "
            "embedded Data Integrity proofs are not",
        )
    context = value.get("@context", VC_CONTEXT_V2)
    first = context[0] if isinstance(context, list) and context else context
    if first != VC_CONTEXT_V2:
        raise RequestProblem("validation-failed", f"@context must start with {VC_CONTEXT_V2}")
    unknown = set(value) - {"@context", "id", "type"}
    if unknown:
        raise RequestProblem(
            "validation-failed",
            f"an envelope has only @context, id and type, not {sorted(unknown)[0][:60]!r}",
        )
    url = value.get("id")
    if not isinstance(url, str) or not url.startswith("data:"):
        raise RequestProblem("validation-failed", "the envelope's id is a data: URL")
    return _data_url(url)


def _data_url(url: str) -> str:
    """The data of a ``data:application/vc+jwt,`` URL (RFC 2397), the only form read here."""
    media, comma, data = url[5:].partition(",")
    if not comma:
        raise RequestProblem("validation-failed", "the envelope's data: URL has no comma")
    if ";base64" in media.lower():
        raise RequestProblem(
            "unsupported-envelope",
            "the base64 form of the data: URL is not read; a JWS is already base64url",
        )
    if media != ENVELOPE_PREFIX[5:-1]:
        raise RequestProblem(
            "unsupported-envelope", f"the envelope's media type {media[:60]!r} is not read here"
        )
    return data


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_request(body: bytes) -> str:
    """The compact JWS a verify request presents, or :class:`RequestProblem`."""
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise RequestProblem("malformed-request", "the body is not UTF-8 JSON") from exc
    if not isinstance(data, dict):
        raise RequestProblem("validation-failed", "the body is a JSON object")
    unknown = set(data) - {"verifiableCredential", "options"}
    if unknown:
        raise RequestProblem(
            "validation-failed", f"unknown member {sorted(unknown)[0][:60]!r} in the request"
        )
    if "verifiableCredential" not in data:
        raise RequestProblem("validation-failed", "the body needs verifiableCredential")
    options = data.get("options", {})
    if not isinstance(options, dict):
        raise RequestProblem("validation-failed", "options is a JSON object")
    if options:
        raise RequestProblem(
            "validation-failed",
            f"option {sorted(options)[0][:60]!r} is not supported by this verifier",
        )
    return unwrap_credential(data["verifiableCredential"])


def verification_result(report: Report) -> dict[str, Any]:
    """The VC API verification result of a :class:`~verifier.core.Report`, with certreg's
    ``verdict``, ``checkedAt`` and ``issuer`` beside the VC API members."""
    answer = report.as_json()
    return {
        "verified": answer["verified"],
        "credential": answer["credential"],
        "problemDetails": answer["errors"],
        "checks": answer["checks"],
        "warnings": answer["warnings"],
        "verdict": answer["verdict"],
        "checkedAt": answer["checkedAt"],
        "issuer": answer["issuer"],
    }


async def _read_body(request: Request) -> bytes:
    """The body, refused as soon as it is known to exceed :data:`MAX_BODY_BYTES`."""
    declared = request.headers.get("content-length")
    if declared is not None and (
        not (declared.isascii() and declared.isdigit()) or len(declared) > 18
    ):
        raise RequestProblem("malformed-request", "invalid Content-Length")
    if declared is not None and int(declared) > MAX_BODY_BYTES:
        raise RequestProblem("payload-too-large", f"the body exceeds {MAX_BODY_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise RequestProblem("payload-too-large", f"the body exceeds {MAX_BODY_BYTES} bytes")
    return bytes(body)


def _is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


def verification_router(
    verifier_factory: Callable[[], Verifier], clock: Callable[[], datetime]
) -> APIRouter:
    """The ``POST /credentials/verify`` route over the verifier ``verifier_factory`` returns.

    The factory is called once per request, so the trust policy and key sources it builds may
    follow what the deployment holds (see :mod:`registry.verification`); ``clock`` gives the
    instant of each check, timezone-aware.
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
        """Verify one credential: a ``data:application/vc+jwt`` envelope or a compact JWS."""
        try:
            if not _is_json(request.headers.get("content-type")):
                raise RequestProblem("unsupported-media-type", "send the request as JSON")
            token = parse_request(await _read_body(request))
        except RequestProblem as problem:
            return problem.response()
        verifier = await run_in_threadpool(verifier_factory)
        report = await run_in_threadpool(verifier.check, token, now=clock())
        return JSONResponse(verification_result(report), headers=_NO_STORE)

    return router

"""``POST /presentations/verify``: the VC-API verification of one presentation.

The request is the VC API's "verify presentation" request::

    {"verifiablePresentation": {"@context": "https://www.w3.org/ns/credentials/v2",
                                "type": "EnvelopedVerifiablePresentation",
                                "id": "data:application/vp+jwt,eyJ…"},
     "options": {"challenge": "<the nonce the verifier chose>",
                 "domain": "<the audience it named>"}}

with the presentation also accepted as the compact ``vp+jwt`` itself or a ``data:`` URL
(:mod:`verifier.presented`). ``challenge`` and ``domain`` are required: a presentation
checked against no challenge could be a copy replayed from any earlier exchange, so this
endpoint never checks one without them. They are compared with the JWT's ``nonce`` and
``aud`` claims, which the holder signed.

As for credentials (:mod:`verifier.http`), the answer is ``200`` whenever verification ran,
whatever its outcome (``verified``, ``verdict``, ``holder``, ``problemDetails``,
``credentialResults`` — one verification result per credential, with its
``holderBinding``); only a request that cannot be started on is a problem+json: 400 not
JSON, 413 too large, 415 not JSON by its type, 422 not a verify-presentation request or a
presentation format not verified here (``unsupported-presentation-format``, such as an
SD-JWT presentation until its verifier is wired in).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from verifier.errors import VerificationError
from verifier.http import _is_json, _read_body
from verifier.presentations import PresentationReport, PresentationVerifier
from verifier.presented import read_presented, verify_presented
from verifier.requests import RequestProblem, reject_constant

__all__ = ["MAX_PRESENTATION_BODY_BYTES", "PresentationRequest", "presentation_router"]

MAX_PRESENTATION_BODY_BYTES = 1024 * 1024 + 64 * 1024
"""A presentation of up to its cap (:class:`verifier.presentations.PresentationLimits`), in
its JSON request."""
OPTION_NAMES = frozenset({"challenge", "domain"})
_NO_STORE = {"Cache-Control": "no-store"}


class PresentationRequest:
    """A verify-presentation request, read: the presented value and the expected challenge."""

    def __init__(self, presented: object, challenge: str, domain: str, warnings: list[str]):
        self.presented = presented
        self.challenge = challenge
        self.domain = domain
        self.warnings = warnings

    @classmethod
    def parse(cls, body: bytes) -> PresentationRequest:
        try:
            data = json.loads(body.decode("utf-8"), parse_constant=reject_constant)
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise RequestProblem("malformed-request", "the body is not UTF-8 JSON") from exc
        if not isinstance(data, dict):
            raise RequestProblem("validation-failed", "the body is a JSON object")
        unknown = set(data) - {"verifiablePresentation", "options"}
        if unknown:
            raise RequestProblem(
                "validation-failed", f"unknown member {sorted(unknown)[0][:60]!r} in the request"
            )
        if "verifiablePresentation" not in data:
            raise RequestProblem("validation-failed", "the body needs verifiablePresentation")
        options = data.get("options")
        if not isinstance(options, dict):
            raise RequestProblem(
                "validation-failed",
                "options with challenge and domain are required: a presentation is checked "
                "against the nonce and audience you asked the holder to sign",
            )
        values = []
        for name in ("challenge", "domain"):
            value = options.get(name)
            if not isinstance(value, str) or not value or len(value) > 1000:
                raise RequestProblem(
                    "validation-failed",
                    f"options.{name} is required: a non-empty string of at most 1000 characters",
                )
            values.append(value)
        warnings = []
        ignored = sorted(set(options) - OPTION_NAMES)
        if ignored:
            warnings.append(f"option {ignored[0][:60]!r} is not one this verifier reads; ignored")
        return cls(data["verifiablePresentation"], values[0], values[1], warnings)


def answer(
    request: PresentationRequest, verifier: PresentationVerifier, now: datetime
) -> PresentationReport:
    """The report for a parsed request (a :class:`RequestProblem` for a format not read)."""
    try:
        presented = read_presented(request.presented)
    except VerificationError as refusal:  # unsecured: an answer already
        return PresentationReport.refused(
            refusal,
            now=now,
            presentation_format="unsecured",
            nonce=request.challenge,
            audience=request.domain,
        )
    return verify_presented(
        presented,
        presentations=verifier,
        nonce=request.challenge,
        audience=request.domain,
        now=now,
    )


def presentation_router(
    verifier_factory: Callable[[], PresentationVerifier], clock: Callable[[], datetime]
) -> APIRouter:
    """The ``POST /presentations/verify`` route over the verifier the factory returns, called
    once per request; ``clock`` gives the instant of each check, timezone-aware."""
    router = APIRouter(tags=["verification"])

    @router.post(
        "/presentations/verify",
        response_class=JSONResponse,
        responses={
            200: {"description": "verification ran; see verified, verdict and credentialResults"},
            400: {"description": "the body is not JSON"},
            413: {"description": f"the body exceeds {MAX_PRESENTATION_BODY_BYTES} bytes"},
            415: {"description": "the body is not application/json"},
            422: {"description": "not a verify-presentation request, or a format not read here"},
        },
    )
    async def verify_presentation(request: Request) -> JSONResponse:
        """Verify one presentation (``vp+jwt``) against the challenge and domain you chose."""
        try:
            if not _is_json(request.headers.get("content-type")):
                raise RequestProblem("unsupported-media-type", "send the request as JSON")
            body = await _read_body(request, MAX_PRESENTATION_BODY_BYTES)
            parsed = PresentationRequest.parse(body)
            verifier = await run_in_threadpool(verifier_factory)
            report = await run_in_threadpool(answer, parsed, verifier, clock())
        except RequestProblem as problem:
            return problem.response()
        result: dict[str, Any] = report.as_json()
        result["warnings"] = [*result["warnings"], *parsed.warnings]
        return JSONResponse(result, headers=_NO_STORE)

    return router

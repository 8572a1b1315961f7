"""The page for employers: ``GET /presentations`` and ``POST /presentations``.

An employer who asked a certified person for proof of their certification receives a
*presentation*: the person's credentials, signed by the person over a nonce and an audience
the employer chose when asking. Here the employer pastes it (or uploads the file), types the
nonce and audience again, and reads the answer in words: whether it is valid, who presented
it, and what each credential states (:func:`registry.verification_page.read_facts`) — for
an SD-JWT VC, the claims the person chose to show and those they kept back
(:mod:`registry.disclosed_claims`).

The check is :func:`verifier.presented.verify_presented` with the registry's own
presentation verifier: credentials against the keys and status lists this registry holds
(an SD-JWT VC's Token Status List too), holders' keys only from a ``did:jwk`` or an SD-JWT
VC's ``cnf`` (written in the presentation itself). So the form
fetches nothing from anywhere a poster names — it cannot be used to make this server reach
another one. The form works without JavaScript, posts as ``application/x-www-form-urlencoded``
or ``multipart/form-data`` (the file), and keeps no session, so it needs no CSRF token: a
forged post could only make someone's browser see a verification answer. A body over
:data:`MAX_FORM_BYTES`, or without a ``Content-Length``, is refused before it is read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from registry import pages, public_pages
from registry.disclosed_claims import DisclosedView, disclosed_view
from registry.intake import Registry
from registry.verification_page import Facts, read_facts
from registry.verification_render import BANNERS, day_of, stamp
from schemas.languages import DEFAULT_LANGUAGE
from schemas.openapi import HTML_MEDIA_TYPE as HTML_DOCUMENTED
from schemas.openapi import negotiated_response
from verifier.errors import CryptographicSecurityError, Verdict, VerificationError
from verifier.presentation_http import MAX_PRESENTATION_BODY_BYTES
from verifier.presentations import (
    Binding,
    CredentialResult,
    PresentationReport,
    PresentationVerifier,
)
from verifier.presented import read_presented, verify_presented
from verifier.requests import RequestProblem

__all__ = ["MAX_FORM_BYTES", "presentation_page_router"]

MAX_FORM_BYTES = MAX_PRESENTATION_BODY_BYTES
"""A presentation at its cap, with the form's other fields around it."""
MAX_FIELD = 1000
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_NO_STORE = {"Cache-Control": "no-store"}

STANDING_OF_VERDICT = {
    Verdict.VALID: "valid",
    Verdict.SUSPENDED: "suspended",
    Verdict.REVOKED: "withdrawn",
    Verdict.SUPERSEDED: "superseded",
    Verdict.EXPIRED: "expired",
    Verdict.NOT_YET_VALID: "not-yet-valid",
    Verdict.INVALID: "not-valid",
    Verdict.CANNOT_CONFIRM: "cannot-confirm",
}
"""The register's words (:class:`registry.verification_page.Standing`) for each verdict."""


@dataclass(frozen=True, slots=True)
class CredentialView:
    number: int
    standing: str
    banner_css: str
    facts: Facts | None
    binding: str
    effective: date | None
    expiry: date | None
    problem_titles: list[str]
    selective: DisclosedView | None
    """For an SD-JWT VC: what the person showed and kept back, in words."""
    issuer: str


class FormError(Exception):
    """Why the form cannot be checked as sent: a word the template turns into a sentence."""

    def __init__(self, word: str, status: int) -> None:
        super().__init__(word)
        self.word = word
        self.status = status


def _credential_view(
    number: int, result: CredentialResult, language: pages.PageLanguage
) -> CredentialView:
    report = result.report
    standing = STANDING_OF_VERDICT[report.verdict]
    facts = read_facts(report.credential) if report.credential is not None else None
    selective = (
        disclosed_view(result.disclosed, report.credential, language)
        if result.disclosed is not None and report.credential is not None
        else None
    )
    return CredentialView(
        number=number,
        standing=standing,
        banner_css=BANNERS[standing].css,
        facts=facts,
        binding=result.binding.value,
        effective=day_of(facts.effective_date) if facts else None,
        expiry=day_of(facts.expiry_date) if facts else None,
        problem_titles=_titles(report.errors, language),
        selective=selective,
        issuer=(report.issuer or "")[:200],
    )


def _titles(errors: Sequence[Mapping[str, Any]], language: pages.PageLanguage) -> list[str]:
    """What went wrong, in ``language``: the verifier's problem titles are marked for
    translation (:data:`registry.verification_render.PROBLEM_TITLES`)."""
    return [
        language.gettext(p["title"])
        for p in errors
        if isinstance(p.get("title"), str) and p["title"]
    ]


def _reason(report: PresentationReport) -> str:
    """The one word the template explains when the presentation itself was refused."""
    error = report.error
    if error is None:
        return ""
    if isinstance(error, CryptographicSecurityError) and error.reason == "unsecured":
        return "unsecured"
    return f"{error.kind}:{error.reason}" if error.reason else error.kind


_PROBLEM_KINDS = {
    "form-type": "unsupported-media-type",
    "too-large": "payload-too-large",
    "no-length": "malformed-request",
    "malformed": "malformed-request",
    "format": "unsupported-presentation-format",
}
"""The problem+json kind of each refusal, for a program that posts the form; any other
refusal (a missing field, a text that is not a presentation) is ``validation-failed``."""


def _refusal(
    request: Request, status: int, word: str, language: pages.PageLanguage, **page: Any
) -> Response:
    """The refusal as a page for a browser, as problem+json for anything else."""
    if pages.prefers_html(request.headers.get("accept")):
        return _render(status, language=language, problem=word, **page)
    kind = _PROBLEM_KINDS.get(word, "validation-failed")
    return RequestProblem(kind, f"the form was refused: {word}").response()


def _render(
    status: int,
    *,
    language: pages.PageLanguage,
    publisher: pages.BodyHeader | None,
    report: PresentationReport | None = None,
    problem: str = "",
    nonce: str = "",
    audience: str = "",
) -> Response:
    context: dict[str, Any] = {
        "report": report,
        "problem": problem,
        "nonce": nonce[:MAX_FIELD],
        "audience": audience[:MAX_FIELD],
        "max_field": MAX_FIELD,
    }
    if report is not None:
        standing = STANDING_OF_VERDICT[report.verdict]
        context |= {
            "standing": standing,
            "banner": BANNERS[standing],
            "reason": _reason(report),
            "credentials": [
                _credential_view(n, c, language) for n, c in enumerate(report.credentials, 1)
            ],
            "bound": any(c.binding is Binding.BOUND for c in report.credentials),
            "problem_titles": _titles(report.errors, language),
            "checked_at": report.checked_at,
            "checked_stamp": stamp(report.checked_at),
        }
    page = pages.render(
        "presentations.html",
        title=language.gettext("Verify a presentation"),
        publisher=publisher,
        language=language,
        **context,
    )
    return Response(
        page,
        status_code=status,
        media_type=pages.HTML_MEDIA_TYPE,
        headers=language.headers | _NO_STORE,
    )


async def _fields(request: Request) -> tuple[str, str, str, str]:
    """The presentation (pasted, else the uploaded file), the nonce, the audience and the
    language of the page the form was on (its hidden ``lang`` field)."""
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media not in _FORM_TYPES:
        raise FormError("form-type", 415)
    declared = request.headers.get("content-length")
    if declared is None or not (declared.isascii() and declared.isdigit()) or len(declared) > 18:
        raise FormError("no-length", 400)
    if int(declared) > MAX_FORM_BYTES:
        raise FormError("too-large", 413)
    try:
        form = await request.form(max_files=1, max_fields=8, max_part_size=MAX_FORM_BYTES)
    except Exception as exc:  # starlette raises its own errors for a malformed form
        raise FormError("malformed", 400) from exc
    try:
        pasted = form.get("presentation")
        text = pasted.strip() if isinstance(pasted, str) else ""
        upload = form.get("file")
        if not text and isinstance(upload, UploadFile):
            raw = await upload.read(MAX_FORM_BYTES + 1)
            if len(raw) > MAX_FORM_BYTES:
                raise FormError("too-large", 413)
            try:
                text = raw.decode("utf-8").strip()
            except UnicodeDecodeError as exc:
                raise FormError("not-text", 422) from exc
        nonce, audience, lang = form.get("nonce"), form.get("audience"), form.get("lang")
    finally:
        await form.close()
    return (
        text,
        nonce.strip() if isinstance(nonce, str) else "",
        audience.strip() if isinstance(audience, str) else "",
        lang[:8] if isinstance(lang, str) else "",
    )


def _presented(text: str) -> object:
    """The pasted text as the verifier reads it: a JSON envelope, or the compact form."""
    if text.startswith("{"):
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            return text  # not JSON after all: the verifier names the parsing error
    return text


def presentation_page_router(
    registry: Registry,
    verifier_factory: Callable[[], PresentationVerifier],
    now: Callable[[], datetime],
    *,
    language: str = DEFAULT_LANGUAGE,
) -> APIRouter:
    """``GET`` and ``POST /presentations`` over ``registry``'s verifier, at ``now()``; pages
    in the reader's language, else in ``language``, the body's own."""
    router = APIRouter(tags=["verification"])
    html = {HTML_DOCUMENTED: {"schema": {"type": "string"}}}

    @router.get(
        "/presentations",
        response_class=Response,
        responses={200: {"description": "The form", "content": html}},
    )
    async def presentation_form(request: Request) -> Response:
        """The form where an employer pastes or uploads a presentation a person sent."""
        publisher = await run_in_threadpool(public_pages.body_header, registry)
        return _render(200, language=pages.page_language(request, language), publisher=publisher)

    @router.post(
        "/presentations",
        response_class=Response,
        openapi_extra={
            "requestBody": {
                "content": {
                    "application/x-www-form-urlencoded": {"schema": {}},
                    "multipart/form-data": {"schema": {}},
                }
            }
        },
        responses={
            200: {"description": "The verification answer, in words", "content": html},
            400: negotiated_response("the form could not be read", problem=True),
            413: negotiated_response("the form is too large", problem=True),
            415: negotiated_response("not a form", problem=True),
            422: negotiated_response("a field is missing, or a format not read here", problem=True),
        },
    )
    async def presentation_answer(request: Request) -> Response:
        """Verify a pasted or uploaded presentation against the nonce and audience given."""
        publisher = await run_in_threadpool(public_pages.body_header, registry)
        reading = pages.page_language(request, language)
        try:
            text, nonce, audience, chosen = await _fields(request)
        except FormError as error:
            return _refusal(request, error.status, error.word, reading, publisher=publisher)
        reading = pages.page_language(request, language, chosen=chosen)
        missing = (
            "no-presentation"
            if not text
            else "no-nonce"
            if not nonce
            else "no-audience"
            if not audience
            else ""
        )
        if not missing and (len(nonce) > MAX_FIELD or len(audience) > MAX_FIELD):
            missing = "too-long"
        if missing:
            return _refusal(
                request, 422, missing, reading, publisher=publisher, nonce=nonce, audience=audience
            )
        instant = now()
        try:
            presented = read_presented(_presented(text))
            verifier = await run_in_threadpool(verifier_factory)
            report = await run_in_threadpool(
                lambda: verify_presented(
                    presented,
                    presentations=verifier,
                    nonce=nonce,
                    audience=audience,
                    now=instant,
                )
            )
        except VerificationError as refusal:
            report = PresentationReport.refused(
                refusal,
                now=instant,
                presentation_format="unsecured",
                nonce=nonce,
                audience=audience,
            )
        except RequestProblem as problem:
            word = (
                "format"
                if problem.kind == "unsupported-presentation-format"
                else "not-a-presentation"
            )
            return _refusal(
                request, 422, word, reading, publisher=publisher, nonce=nonce, audience=audience
            )
        return _render(
            200,
            language=reading,
            publisher=publisher,
            report=report,
            nonce=nonce,
            audience=audience,
        )

    return router

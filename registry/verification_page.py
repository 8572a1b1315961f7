"""The verification page ``GET /v/{credential_id}``: what a certificate's QR code opens.

An employer holds a phone up to a certificate and must see at once whether the person is
certified, for what and until when (clause 7.2.1) — and nothing else. The page verifies the
credential as any verifier would (:mod:`verifier`, over this registry's stored keys and
status lists, :mod:`registry.verification`) at the instant of the request, so a suspension
published a second ago is already shown; the answer depends on that instant, hence
``Cache-Control: no-store``.

The verifier's verdict becomes one of the words of the register (its :class:`Standing`):
a revoked credential is *withdrawn*, unless the signed register entry names the credential
that superseded it (a scope change, a recertification, a re-issue after a key compromise),
in which case it is *superseded* and the page links the current one. A credential whose
signing key the issuer declared compromised does not verify; once the issuer has re-issued
it, the entry (verified again with the current keys) names its replacement, and the page
says *superseded* too — with nothing of what the old credential states. When the status
cannot be read or trusted the answer is *cannot confirm*, in neutral grey — never the green
of *valid* (ARCHITECTURE.md, data flow 8).

What is shown is only what the credential itself states (holder's public name, certificate
number, scheme, scope, dates, issuing body); credentials hold no confidential field, and the
reason of a suspension or withdrawal is never published. When the signature could not be
verified now, nothing of the credential is shown; when only its status could not be
confirmed, its facts are shown as the registry accepted them (their signature was verified
on intake) under the "cannot confirm" banner.

A browser gets the HTML page (:mod:`registry.pages`), anything asking for JSON the same
answer as JSON (:meth:`Answer.as_json`). An unknown or malformed id is a 404: a page for a
browser, problem+json for a program.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from registry import jws, pages, public_pages
from registry.errors import NotFound, RegistryError
from registry.intake import Registry, credential_key
from registry.verification import RegistryVerification
from registry.verification_render import (
    BANNERS,
    MARK,
    day_of,
    register_href,
    scheme_href,
    stamp,
    verification_href,
)
from schemas.languages import DEFAULT_LANGUAGE
from schemas.openapi import negotiated_response
from schemas.publication import DocumentKind
from verifier.errors import CryptographicSecurityError, UntrustedIssuer, Verdict
from verifier.result import Report

__all__ = [
    "Answer",
    "Standing",
    "answer_for",
    "verification_page_router",
]

NO_STORE = "no-store"
CERTIFICATE = "certificate"


class Standing(enum.StrEnum):
    """What the page says about a credential, in the register's words."""

    VALID = "valid"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    NOT_YET_VALID = "not-yet-valid"
    NOT_VALID = "not-valid"
    CANNOT_CONFIRM = "cannot-confirm"


_STANDING_OF_VERDICT = {
    Verdict.VALID: Standing.VALID,
    Verdict.SUSPENDED: Standing.SUSPENDED,
    Verdict.REVOKED: Standing.WITHDRAWN,
    Verdict.SUPERSEDED: Standing.SUPERSEDED,
    Verdict.EXPIRED: Standing.EXPIRED,
    Verdict.NOT_YET_VALID: Standing.NOT_YET_VALID,
    Verdict.INVALID: Standing.NOT_VALID,
    Verdict.CANNOT_CONFIRM: Standing.CANNOT_CONFIRM,
}


@dataclass(frozen=True, slots=True)
class ScopeItem:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Facts:
    """The public facts a certificate or mark credential states, read defensively."""

    kind: str
    holder_name: str
    certificate_number: str
    scheme_id: str
    scheme_code: str
    scheme_name: str
    scheme_version: int | None
    scope: tuple[ScopeItem, ...]
    effective_date: str
    expiry_date: str
    issuer_id: str
    issuer_name: str
    certificate_credential: str | None = None
    """For a mark: the id of the certificate credential it is tied to."""
    certified_since: str = ""
    """The day the person was first certified (``originalCertificationDate``, kept across
    recertifications), or ``""`` for a credential that does not say (issued before v3)."""
    family_name: str = ""
    """The holder's family name, with which the page links the register entry."""


@dataclass(frozen=True, slots=True)
class Answer:
    """The whole answer about one credential, for the page and for JSON alike."""

    credential_id: str
    standing: Standing
    report: Report
    facts: Facts | None
    superseded_by: str | None = None
    problems: tuple[dict[str, Any], ...] = field(default=())
    suspended_since: str = ""
    """When a suspended certification was suspended: the ``statusSince`` of the signed
    register entry, which says when, never why; ``""`` otherwise."""

    @property
    def checked_at(self) -> datetime:
        return self.report.checked_at

    def as_json(self) -> dict[str, Any]:
        """The answer as JSON: the same facts the page shows, and the problem details."""
        facts = self.facts
        body: dict[str, Any] = {
            "credentialId": self.credential_id,
            "status": self.standing.value,
            "verified": self.standing is Standing.VALID,
            "verdict": self.report.verdict.value,
            "checkedAt": stamp(self.checked_at),
            "supersededBy": self.superseded_by,
            "problemDetails": list(self.problems),
        }
        if facts is None:
            return body | {"kind": None, "holderName": None, "certificateNumber": None}
        return body | {
            "kind": facts.kind,
            "holderName": facts.holder_name,
            "certificateNumber": facts.certificate_number,
            "certificateCredential": facts.certificate_credential,
            "scheme": {
                "id": facts.scheme_id,
                "code": facts.scheme_code,
                "name": facts.scheme_name,
                "version": facts.scheme_version,
            },
            "scope": [{"code": item.code, "name": item.name} for item in facts.scope],
            "effectiveDate": facts.effective_date,
            "expiryDate": facts.expiry_date,
            "originalCertificationDate": facts.certified_since or None,
            "issuer": {"id": facts.issuer_id, "name": facts.issuer_name},
            "suspendedSince": self.suspended_since or None,
        }


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _day(value: object) -> str:
    """The ``YYYY-MM-DD`` day of a date or a timestamp, or ``""``."""
    text = _text(value)[:10]
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return ""


def read_facts(credential: Mapping[str, Any]) -> Facts | None:
    """The public facts of a certificate or mark credential payload, ``None`` for any other."""
    subject = _mapping(credential.get("credentialSubject"))
    issuer = _mapping(credential.get("issuer"))
    if "certification" in subject:
        kind, part = CERTIFICATE, _mapping(subject.get("certification"))
        effective, expiry = _day(part.get("effectiveDate")), _day(part.get("expiryDate"))
        tied_to = None
    elif "certificationMark" in subject:
        kind, part = MARK, _mapping(subject.get("certificationMark"))
        # A mark carries the certification's validity as its own window.
        effective, expiry = _day(credential.get("validFrom")), _day(credential.get("validUntil"))
        tied_to = _text(part.get("certification")) or None
    else:
        return None
    scheme = _mapping(part.get("scheme"))
    version = scheme.get("version")
    items = part.get("scope")
    return Facts(
        kind=kind,
        holder_name=_text(subject.get("name")),
        certificate_number=_text(part.get("certificateNumber")),
        scheme_id=_text(scheme.get("id")),
        scheme_code=_text(scheme.get("code")),
        scheme_name=_text(scheme.get("name")),
        scheme_version=version
        if isinstance(version, int) and not isinstance(version, bool)
        else None,
        scope=tuple(
            ScopeItem(code=_text(item.get("code")), name=_text(item.get("name")))
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, Mapping)
        ),
        effective_date=effective,
        expiry_date=expiry,
        issuer_id=_text(issuer.get("id")) or _text(credential.get("issuer")),
        issuer_name=_text(issuer.get("name")),
        certificate_credential=tied_to,
        certified_since=_day(part.get("originalCertificationDate")),
        family_name=_text(subject.get("familyName")),
    )


def _stored_payload(body: str) -> Mapping[str, Any]:
    try:
        return jws.parse_compact(body).payload
    except RegistryError:
        return {}


def _entry(registry: Registry, number: str) -> Mapping[str, Any]:
    """The subject of the signed register entry of certificate ``number`` (``{}`` if none)."""
    entry = registry.document(DocumentKind.REGISTER_ENTRY, number) if number else None
    if entry is None:
        return {}
    return _mapping(_stored_payload(entry.body).get("credentialSubject"))


def _superseded_by(subject: Mapping[str, Any], credential_id: str) -> str | None:
    """The credential the signed register entry names as replacing ``credential_id``."""
    listed = subject.get("credentials")
    for item in listed if isinstance(listed, list) else []:
        item = _mapping(item)
        if item.get("id") == credential_id and (
            item.get("supersededBy") or item.get("status") == "superseded"
        ):
            return _text(item.get("supersededBy")) or ""
    return None


def answer_for(
    registry: Registry, verification: RegistryVerification, credential_id: str, now: datetime
) -> Answer | None:
    """Verify the stored credential ``credential_id`` at ``now``; ``None`` if none is stored.

    The verdict comes from the verifier alone; the register entry can only make a verified
    credential *superseded*, never make anything valid.
    """
    document = registry.credential(credential_id)
    key = credential_key(credential_id)
    if document is None or key is None:
        return None
    report = verification.check(document.body, now=now)
    standing = _STANDING_OF_VERDICT[report.verdict]
    if isinstance(report.error, UntrustedIssuer) and verification.keys.did() is None:
        # This registry accepted the credential with its issuer's keys, and holds none now:
        # it cannot say anything about the credential, which is not the same as "not valid".
        standing = Standing.CANNOT_CONFIRM
    if report.credential is not None:
        facts = read_facts(report.credential)
    elif standing is Standing.CANNOT_CONFIRM:
        # The status (or the keys) could not be read now; the signature of what is shown
        # was verified when the registry accepted the credential.
        facts = read_facts(_stored_payload(document.body))
    else:
        facts = None
    urn = f"urn:uuid:{key}"
    replaced = None
    since = ""
    if facts is not None and standing is not Standing.NOT_VALID:
        entry = _entry(registry, facts.certificate_number)
        replaced = _superseded_by(entry, urn)
        if replaced is not None:
            standing = Standing.SUPERSEDED
        elif standing is Standing.SUSPENDED and entry.get("status") == "suspended":
            # The entry says since when (its statusSince), as the register does; the
            # reason stays with the body.
            since = _text(entry.get("statusSince"))
    elif isinstance(report.error, CryptographicSecurityError) and (
        report.error.reason == "key-revoked"
    ):
        replaced = verification.replaced_after_key_revocation(
            registry, _stored_payload(document.body), now=now
        )
        if replaced:
            standing = Standing.SUPERSEDED
    return Answer(
        credential_id=urn,
        standing=standing,
        report=report,
        facts=facts,
        superseded_by=replaced or None,
        problems=report.errors,
        suspended_since=since,
    )


def render_answer(
    answer: Answer,
    *,
    complaint_form_url: str | None = None,
    publisher: pages.BodyHeader | None = None,
    language: pages.PageLanguage,
) -> bytes:
    """The HTML page of ``answer`` in ``language``, under the header of the body that
    published it."""
    facts = answer.facts
    standing = answer.standing.value
    context: dict[str, Any] = {
        "answer": answer,
        "facts": facts,
        "standing": standing,
        "banner": BANNERS[standing],
        "is_mark": facts is not None and facts.kind == MARK,
        "scheme_href": scheme_href(facts.scheme_id) if facts else None,
        "certificate_href": verification_href(facts.certificate_credential) if facts else None,
        "register_href": register_href(facts.certificate_number, facts.family_name)
        if facts
        else None,
        "superseded_href": verification_href(answer.superseded_by),
        "effective": day_of(facts.effective_date) if facts else None,
        "certified_since": day_of(facts.certified_since) if facts else None,
        "expiry": day_of(facts.expiry_date) if facts else None,
        "suspended_since": day_of(answer.suspended_since),
        "suspended_stamp": answer.suspended_since,
        "checked_at": answer.checked_at,
        "checked_stamp": stamp(answer.checked_at),
        "problem_titles": [
            p["title"] for p in answer.problems if isinstance(p.get("title"), str) and p["title"]
        ],
        "complaint_href": pages.complaint_href(
            complaint_form_url, facts.certificate_number if facts else None
        ),
    }
    return pages.render(
        "verification.html",
        title="",
        publisher=publisher,
        language=language,
        **context,
    )


def verification_page_router(
    registry: Registry,
    now: Callable[[], datetime],
    *,
    complaint_form_url: str | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> APIRouter:
    """``GET /v/{credential_id}`` over ``registry`` at ``now()``; pages link the complaint form
    and are in the reader's language, ``language`` (the body's) when nothing else is known."""
    router = APIRouter(tags=["verification"])
    verification = RegistryVerification(registry)

    @router.get(
        "/v/{credential_id}",
        responses={
            200: negotiated_response("the verification answer (HTML for browsers, else JSON)"),
            404: negotiated_response("no credential with this id is published here", problem=True),
        },
    )
    async def verification_page(credential_id: str, request: Request) -> Response:
        """Verify a published credential now: its standing, holder, scheme, scope and dates."""
        browser = pages.prefers_html(request.headers.get("accept"))
        instant = now()
        answer = await run_in_threadpool(answer_for, registry, verification, credential_id, instant)
        body = await run_in_threadpool(public_pages.body_header, registry) if browser else None
        headers = {"Cache-Control": NO_STORE}
        reading = pages.page_language(request, language)
        if answer is None:
            if not browser:
                raise NotFound("no credential with this id is published here")
            page = pages.render(
                "credential_not_found.html",
                title=reading.gettext("No such credential"),
                publisher=body,
                language=reading,
            )
            return Response(
                page,
                status_code=404,
                media_type=pages.HTML_MEDIA_TYPE,
                headers=reading.headers | headers,
            )
        if browser:
            page = render_answer(
                answer, complaint_form_url=complaint_form_url, publisher=body, language=reading
            )
            return Response(
                page, media_type=pages.HTML_MEDIA_TYPE, headers=reading.headers | headers
            )
        return Response(
            json.dumps(answer.as_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
            media_type="application/json",
            headers={"Vary": "Accept"} | headers,
        )

    return router

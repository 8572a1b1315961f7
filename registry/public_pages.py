"""The registry's pages for people: the home page, a register entry, the directory's
results, and the errors they can meet, each in plain words.

Clause 7.2.1 asks the body to tell anyone who asks whether a person holds a valid
certification; most who ask are employers or clients holding a paper certificate, in a
browser. So ``/`` offers what they can do (check a certificate by its number and the
holder's family name, search the directory, read the schemes, verify a credential file,
complain), and ``/register/{number}`` and ``/directory`` answer a browser with a page and
every program with the JSON of before (:func:`registry.pages.prefers_html`). The lookup
form sends ``GET /register?number=…&family_name=…``, the same lookup with the number in the
query, since a form cannot put it in the path.

A browser's error is a page too (:func:`error_page`, called by :mod:`registry.problems`
for ``GET`` requests): a lookup that finds nothing says the same whether the number is
unknown or the name does not match — it is the same refusal, raised after the same work
(:mod:`registry.http`), drawn by one template; a search too short says how to search; a
rate-limited request says when to try again. Pages load nothing and run nothing (the
Content Security Policy of :mod:`registry.pages`); every word is in the templates, marked
for translation, and each page is drawn in the reader's language
(:func:`registry.pages.page_language`), the body's own language when nothing else is known.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from registry import documented, jws, page_views, pages
from registry.fast_paths import route_path
from registry.intake import DIRECTORY_MAX_QUERY, DIRECTORY_MIN_QUERY, Registry
from registry.ratelimit import Throttle
from registry.verification_render import (
    day_of,
    register_href,
    scheme_href,
    verification_href,
)
from schemas.languages import DEFAULT_LANGUAGE
from schemas.openapi import HTML_MEDIA_TYPE as HTML_DOCUMENTED
from schemas.publication import BODY_INFORMATION_KEY, DocumentKind

__all__ = [
    "EntryView",
    "body_header",
    "directory_page",
    "entry_page",
    "error_page",
    "home_router",
    "searches",
]

MAX_NUMBER = 64
"""The longest certificate number a lookup accepts as typed (longer is never a number)."""
_ECHO = 200
"""At most this much of what was typed is shown back in a form."""


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def body_header(registry: Registry) -> pages.BodyHeader | None:
    """Who publishes this register, from the body information it published (``/body``);
    ``None`` until the body has published it, or if it names no body."""
    document = registry.document(DocumentKind.BODY_INFORMATION, BODY_INFORMATION_KEY)
    if document is None:
        return None
    view = page_views.body_view(jws.parse_compact(document.body).payload.get("credentialSubject"))
    if not view.name:
        return None
    return pages.BodyHeader(view.name, view.accreditation_body, view.accreditation_number)


@dataclass(frozen=True, slots=True)
class Day:
    """A date as a machine reads it (``datetime`` attribute) and as the page writes it in
    the reader's language (``value``, through the template's ``day`` filter)."""

    iso: str
    value: date


def _day(value: object) -> Day | None:
    day = day_of(_text(value))
    return None if day is None else Day(day.isoformat(), day)


@dataclass(frozen=True, slots=True)
class CredentialLink:
    href: str
    mark: bool
    status: str


@dataclass(frozen=True, slots=True)
class EntryView:
    """What a register entry page shows: the entry's public fields, read defensively."""

    name: str
    number: str
    standing: str
    """A word of :class:`registry.verification_page.Standing` for the banner."""
    status: str
    status_since: Day | None
    scheme_name: str
    scheme_version: int | None
    scheme_href: str | None
    scope: list[tuple[str, str]]
    effective: Day | None
    expiry: Day | None
    certified_since: Day | None
    credentials: list[CredentialLink]
    href: str | None


_STANDINGS = {"active": "valid", "suspended": "suspended", "withdrawn": "withdrawn"}


def _standing(status: str, effective: Day | None, expiry: Day | None, today: date) -> str:
    """The banner of an entry: its signed status, and the dates read today — an entry still
    ``active`` after its last day has expired, whether or not the issuer's due job has
    republished it yet."""
    if status == "expired":
        return "expired"
    word = _STANDINGS.get(status, "cannot-confirm")
    if word == "valid" and expiry is not None and date.fromisoformat(expiry.iso) < today:
        return "expired"
    if word == "valid" and effective is not None and date.fromisoformat(effective.iso) > today:
        return "not-yet-valid"
    return word


def entry_view(entry: Mapping[str, Any], today: date) -> EntryView:
    """The view of a register entry's subject (which may be anything) on ``today``."""
    scheme = _mapping(entry.get("scheme"))
    version = scheme.get("version")
    items = entry.get("scope")
    listed = entry.get("credentials")
    status = _text(entry.get("status"))
    effective, expiry = _day(entry.get("effectiveDate")), _day(entry.get("expiryDate"))
    number = _text(entry.get("certificateNumber"))
    credentials = []
    for item in listed if isinstance(listed, list) else []:
        item = _mapping(item)
        href = verification_href(_text(item.get("id")))
        if href is None or item.get("supersededBy") or item.get("status") == "superseded":
            continue
        credentials.append(
            CredentialLink(
                href=href,
                mark=item.get("type") == "CertificationMarkCredential",
                status=_text(item.get("status")),
            )
        )
    return EntryView(
        name=_text(entry.get("name")),
        number=number,
        standing=_standing(status, effective, expiry, today),
        status=status,
        status_since=_day(entry.get("statusSince")),
        scheme_name=_text(scheme.get("name")),
        scheme_version=version
        if isinstance(version, int) and not isinstance(version, bool)
        else None,
        scheme_href=scheme_href(_text(scheme.get("id"))),
        scope=[
            (_text(i.get("code")), _text(i.get("name")))
            for i in (items if isinstance(items, list) else [])
            if isinstance(i, Mapping)
        ],
        effective=effective,
        expiry=expiry,
        certified_since=_day(entry.get("originalCertificationDate")),
        credentials=credentials,
        href=register_href(number, _text(entry.get("familyName"))),
    )


def entry_page(
    entry: Mapping[str, Any],
    *,
    today: date,
    publisher: pages.BodyHeader | None,
    language: pages.PageLanguage,
) -> bytes:
    """The page of a register entry a lookup found."""
    view = entry_view(entry, today)
    return pages.render(
        "entry.html", title=view.name, entry=view, publisher=publisher, language=language
    )


def directory_page(
    name: str | None,
    found: Sequence[Mapping[str, Any]] | None,
    *,
    truncated: bool,
    today: date,
    publisher: pages.BodyHeader | None,
    language: pages.PageLanguage,
) -> bytes:
    """The directory's search form, with what a search for ``name`` found (``None``: no
    search yet)."""
    views = None if found is None else [entry_view(entry, today) for entry in found]
    return pages.render(
        "directory.html",
        title=language.gettext("Search the public directory"),
        language=language,
        name=name or "",
        results=views,
        truncated=truncated,
        min_query=DIRECTORY_MIN_QUERY,
        max_query=DIRECTORY_MAX_QUERY,
        publisher=publisher,
    )


def _area(path: str) -> str:
    if path == "/register" or path.startswith("/register/"):
        return "lookup"
    if path == "/directory":
        return "directory"
    return "other"


def searches(request: Request) -> bool:
    """Whether ``request`` is a register lookup or a directory search."""
    return _area(route_path(request.scope)) != "other"


def error_page(
    request: Request,
    *,
    kind: str,
    status: int,
    retry_after: int | None = None,
    default_language: str = DEFAULT_LANGUAGE,
) -> Response:
    """A browser's page for a refused ``GET``: what went wrong and what to do, in words.

    Only what the request itself carried is shown back (the number and names typed, cut
    short), never anything read from the register, so a lookup's refusal is the same page
    whether the number exists or not.
    """
    path = route_path(request.scope)
    area = _area(path)
    query = request.query_params
    number = path[len("/register/") :] if path.startswith("/register/") else query.get("number")
    language = pages.page_language(request, default_language)
    page = pages.render(
        "problem.html",
        title=language.gettext("Not found") if status == 404 else language.gettext("Cannot answer"),
        language=language,
        kind=kind,
        status=status,
        area=area,
        retry_after=retry_after,
        number=(number or "")[:MAX_NUMBER],
        family_name=(query.get("family_name") or "")[:_ECHO],
        name=(query.get("name") or "")[:_ECHO],
        min_query=DIRECTORY_MIN_QUERY,
        max_query=DIRECTORY_MAX_QUERY,
    )
    headers = language.headers | {"Cache-Control": "no-store"}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(page, status_code=status, media_type=pages.HTML_MEDIA_TYPE, headers=headers)


def home_router(
    registry: Registry,
    *,
    browsing: Throttle,
    complaint_form_url: str | None,
    language: str = DEFAULT_LANGUAGE,
) -> APIRouter:
    """``GET /``: what a member of the public can do here, under the body's name."""
    router = APIRouter(tags=["registry"])

    @router.get(
        "/",
        response_class=Response,
        dependencies=[Depends(browsing)],
        responses={
            200: {
                "description": "The home page",
                "content": {HTML_DOCUMENTED: {"schema": {"type": "string"}}},
            },
            **documented.RATE_LIMITED,
        },
    )
    async def home(request: Request) -> Response:
        """The register's home page: check a certificate, search the directory, the
        schemes, how to verify a credential and how to complain."""
        publisher = await run_in_threadpool(body_header, registry)
        reading = pages.page_language(request, language)
        page = pages.render(
            "home.html",
            title=publisher.name if publisher else reading.gettext(pages.SITE_NAME),
            language=reading,
            publisher=publisher,
            complaint_href=complaint_form_url,
            min_query=DIRECTORY_MIN_QUERY,
            max_query=DIRECTORY_MAX_QUERY,
        )
        return Response(
            page,
            media_type=pages.HTML_MEDIA_TYPE,
            headers=reading.headers | {"Cache-Control": "no-cache"},
        )

    return router

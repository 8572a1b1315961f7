"""Signing in and out of a certified person's own access, and the registrar's link.

``GET /holder/sign-in`` asks for an e-mail address; ``POST /holder/sign-in`` e-mails a link
to it if it is on record, and answers the same either way (rate limited per client, and per
person by :func:`issuer.process.holders.links_for_address`). A link opens
``GET /holder/link/{token}``, a page whose button (``POST /holder/link``) uses it once and
sets the session cookie; opening the page uses nothing, so a mail scanner that fetches links
cannot spend it. ``POST /holder/sign-out`` ends the session. A registrar makes a link to
give or print with ``POST /api/v1/persons/{id}/sign-in-links``; its answer is the only place
the link is shown.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from issuer.errors import NotFound, SignInRefused
from issuer.http.bodies.holders import SignInLinkOut
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import REGISTRY_CLERKS
from issuer.http.routes.holder_pages import HEADERS, N_, PageLanguage, page
from issuer.http.routes.holder_session import (
    COOKIE,
    FORM,
    PAGE,
    TO_SIGN_IN,
    Form,
    Holder,
    ThrottledForm,
    as_holder,
    html_errors,
    language_of,
    problem_page,
)
from issuer.process import holders, wallet_offers
from issuer.process.auth import Actor
from issuer.store import Tx
from schemas.openapi import problem_responses

__all__ = ["LinkRedaction", "api_router", "hide_links_from_access_log", "router"]

router = APIRouter(prefix="/holder", tags=["certified persons' own access"])
api_router = APIRouter(tags=["persons"])

Clerk = Annotated[Actor, allow(*REGISTRY_CLERKS)]


_SECRET_PATHS = (holders.LINK_PATH, wallet_offers.OFFER_PATH)
"""Paths followed by a secret: a sign-in link's, and a wallet offer's URI."""


def _redacted(text: str) -> str:
    for path in _SECRET_PATHS:
        if text.startswith(path):
            return f"{path}…"
    return text


class LinkRedaction(logging.Filter):
    """Takes the token out of a sign-in link's path (and a wallet offer's URI) in an access
    log line, so the server's log never holds a link that works: ``/holder/link/…`` is
    logged instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(_redacted(a) if isinstance(a, str) else a for a in args)
        return True


def hide_links_from_access_log() -> None:
    """Install :class:`LinkRedaction` on uvicorn's access log, once."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, LinkRedaction) for f in access.filters):
        access.addFilter(LinkRedaction())


# ── signing in and out ─────────────────────────────────────────────────────────────────
def _sign_in_page(
    language: PageLanguage, *, sent: bool, signed_out: bool, minutes: int
) -> Response:
    return page(
        "sign_in",
        language=language.at("/holder/sign-in"),
        title=language.gettext("Sign in"),
        sent=sent,
        signed_out=signed_out,
        minutes=language.number(minutes),
    )


@router.get("/sign-in", response_class=Response, responses=PAGE)
def sign_in_page(
    request: Request,
    signed_out: Annotated[bool, Query(alias="signed-out")] = False,
) -> Response:
    """Where a certified person asks for a sign-in link by e-mail address."""
    return _sign_in_page(language_of(request), sent=False, signed_out=signed_out, minutes=0)


@router.post(
    "/sign-in",
    response_class=Response,
    responses={**PAGE, **html_errors(413, 422, 429)},
    openapi_extra=FORM,
)
def ask_for_link(request: Request, form: ThrottledForm, services: ServicesDep) -> Response:
    """Send a sign-in link to the address, if it is one on record; the answer is the same
    either way, so the page tells no one whether an address is known."""
    if form.refusal is not None:
        return form.refusal
    minutes = services.settings.holder_link_minutes
    with services.tx() as tx:
        holders.links_for_address(
            tx,
            now=services.now(),
            entropy=services.entropy,
            address=form.fields.get("email", "")[:300],
            minutes=minutes,
            per_person_per_hour=services.settings.holder_links_per_person_per_hour,
            base_url=services.settings.base_url,
        )
    return _sign_in_page(language_of(request), sent=True, signed_out=False, minutes=minutes)


@router.get("/link/{token}", response_class=Response, responses={**PAGE, **html_errors(404)})
def link_page(token: str, request: Request) -> Response:
    """The page a sign-in link opens: a button that uses it. Opening the page uses nothing,
    so a mail program that fetches links to scan them cannot spend it."""
    if len(token) > 100:
        raise NotFound("no such sign-in link")
    language = language_of(request)
    return page("link", language=language, title=language.gettext("Sign in"), token=token)


@router.post(
    "/link",
    response_class=Response,
    responses={**TO_SIGN_IN, **html_errors(403, 413, 422, 429)},
    openapi_extra=FORM,
)
def use_link(request: Request, form: ThrottledForm, services: ServicesDep) -> Response:
    """Use the sign-in link once: a session cookie, and on to the person's certifications
    (in the language chosen on the link's page, if one was)."""
    if form.refusal is not None:
        return form.refusal
    settings = services.settings
    language = language_of(request)
    try:
        with services.tx() as tx:
            opened = holders.sign_in(
                tx,
                token=form.fields.get("token", ""),
                now=services.now(),
                entropy=services.entropy,
                session_hours=settings.holder_session_hours,
            )
    except SignInRefused:
        return problem_page(
            language,
            403,
            N_("This link does not work"),
            N_("It may have been used already, or it has expired. Ask for a new one."),
            signed_in=False,
        )
    response = RedirectResponse(language.url("/holder"), status_code=303, headers=HEADERS)
    response.set_cookie(
        COOKIE,
        opened.cookie,
        max_age=settings.holder_session_hours * 3600,
        path="/holder",
        secure=settings.base_url.startswith("https://"),
        httponly=True,
        samesite="lax",
    )
    return response


@router.post(
    "/sign-out",
    response_class=Response,
    responses={**TO_SIGN_IN, **html_errors(403, 413, 422)},
    openapi_extra=FORM,
)
def sign_out(request: Request, form: Form, services: ServicesDep) -> Response:
    """End the session on the server and forget the cookie."""

    def answer(tx: Tx, holder: Holder) -> Response:
        holders.sign_out(tx, session=holder.session, now=services.now())
        # The sign-in page stays in the language the person was reading, chosen or not.
        target = f"/holder/sign-in?signed-out=true&lang={holder.language.code}"
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(COOKIE, path="/holder")
        return response

    return as_holder(request, services, answer, form=form)


# ── staff ──────────────────────────────────────────────────────────────────────────────
@api_router.post(
    "/persons/{person_id}/sign-in-links", status_code=201, responses=problem_responses(404)
)
def make_link(person_id: str, actor: Clerk, services: ServicesDep) -> SignInLinkOut:
    """A sign-in link for the person, to give them or print: it works once, for
    ``CERTREG_HOLDER_LINK_MINUTES``. The answer is the only place the link is ever shown."""
    with services.tx() as tx:
        issued = holders.link_for_person(
            tx,
            actor=actor,
            now=services.now(),
            entropy=services.entropy,
            person_id=person_id,
            minutes=services.settings.holder_link_minutes,
        )
    return SignInLinkOut(
        id=issued.link.id,
        person_id=issued.link.person_id,
        url=issued.url(services.settings.base_url),
        expires_at=issued.link.expires_at,
    )

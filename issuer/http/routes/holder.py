"""A certified person's own access (``/holder``): sign in with a single-use link, then see
their certifications and credentials, download the certificate, its QR code and the signed
credential, share it, choose whether to be in the public directory, and appeal a decision
about them. A registrar can make a person's link (``POST /api/v1/persons/{id}/sign-in-links``).

These routes live on the back office app, never the registry: they read confidential
records. Every page but sign-in needs the session cookie (HttpOnly, SameSite=Lax, Secure on
an https base URL, path ``/holder``); without one it sends the browser to the sign-in page.
Another person's certificate or credential is 404, as an unknown one is. Forms carry the
session's form token. Asking for a link by e-mail takes a token from the client's bucket
(``CERTREG_HOLDER_SIGN_IN_PER_MINUTE``), and a person gets at most
``CERTREG_HOLDER_LINKS_PER_PERSON_PER_HOUR`` links by e-mail; the page answers the same
whether or not the address is on record.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from issuer.credentials import renderings
from issuer.errors import NotFound, PayloadTooLarge, RateLimited, SignInRefused
from issuer.http.bodies.holders import SignInLinkOut
from issuer.http.deps import Services, ServicesDep, allow
from issuer.http.roles import REGISTRY_CLERKS
from issuer.http.routes.holder_pages import HEADERS, linkedin_url, page
from issuer.model import (
    AppealedKind,
    Certification,
    CredentialKind,
    DecisionAbout,
    HolderSession,
)
from issuer.process import appeals, holders
from issuer.process.auth import Actor
from issuer.store import Tx
from registry import RateLimit
from registry.pages import HTML_MEDIA_TYPE
from registry.ratelimit import ClientAddress, RateLimiter
from schemas.openapi import problem_content, problem_responses

__all__ = ["COOKIE", "HolderIntake", "api_router", "router"]

COOKIE = "certreg_holder"
MAX_FORM_BYTES = 32 * 1024
GROUNDS_MAX = 20_000

router = APIRouter(prefix="/holder", tags=["certified persons' own access"])
api_router = APIRouter(tags=["persons"])

Clerk = Annotated[Actor, allow(*REGISTRY_CLERKS)]

_STATUS_WORDS = {
    "active": "Valid",
    "suspended": "Suspended: not valid until it is reinstated",
    "withdrawn": "Withdrawn: no longer valid",
    "expired": "Expired",
}
_DECISION_WORDS = {
    "grant": "Certification granted",
    "deny": "Certification refused",
    "suspend": "Suspension",
    "reinstate": "Reinstatement",
    "withdraw": "Withdrawal",
    "scope": "Change of scope",
    "recertify": "Recertification",
}


def _html(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Errors these pages answer as a page to a browser, declared with their problem form."""
    out = problem_responses(*statuses)
    for response in out.values():
        response["content"] = {**problem_content(), HTML_MEDIA_TYPE: {"schema": {}}}
    return out


_PAGE = {200: {"content": {HTML_MEDIA_TYPE: {}}, "description": "the page"}}
_TO_SIGN_IN = {
    303: {
        "description": "not signed in (or done): to the sign-in page, or back to a page",
        "headers": {"Location": {"schema": {"type": "string"}}},
    }
}
_FORM = {"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {}}}}}


class HolderIntake:
    """The rate limit of the public sign-in routes, one bucket per client address."""

    def __init__(self, services: Services) -> None:
        settings = services.settings
        per_minute = settings.holder_sign_in_per_minute
        self.limiter = (
            RateLimiter(
                RateLimit(per_minute=per_minute, burst=settings.holder_sign_in_burst),
                clock=lambda: services.clock().timestamp(),
            )
            if per_minute
            else None
        )
        self.clients = ClientAddress(settings.registry_trusted_proxies)

    def check(self, request: Request) -> None:
        if self.limiter is None:
            return
        wait = self.limiter.acquire(self.clients.of(request.scope))
        if wait > 0:
            raise RateLimited(
                "too many sign-in requests from your address: please wait a little",
                retry_after=max(1, math.ceil(wait)),
            )


async def _form(request: Request) -> dict[str, str]:
    """A form's fields (the first value of each), from a body of at most 32 KiB."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise PayloadTooLarge(f"a form is at most {MAX_FORM_BYTES} bytes")
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=10)
    except (UnicodeDecodeError, ValueError):
        fields = {}
    return {name: values[0] for name, values in fields.items() if values}


async def _throttled_form(request: Request) -> dict[str, str]:
    intake: HolderIntake = request.app.state.holder_intake
    intake.check(request)
    return await _form(request)


Form = Annotated[dict[str, str], Depends(_form)]
ThrottledForm = Annotated[dict[str, str], Depends(_throttled_form)]


@dataclass(frozen=True, slots=True)
class _Holder:
    session: HolderSession
    cookie: str

    @property
    def person_id(self) -> str:
        return self.session.person_id

    @property
    def csrf(self) -> str:
        return holders.form_token(self.cookie)


def _problem_page(status: int, heading: str, message: str, signed_in: bool) -> Response:
    target = ("/holder", "Back to your certifications") if signed_in else None
    href, label = target or ("/holder/sign-in", "Ask for a new sign-in link")
    return page(
        "holder_problem",
        title=heading,
        status=status,
        heading=heading,
        message=message,
        next_href=href,
        next_label=label,
    )


def _as_holder(
    request: Request,
    services: Services,
    answer: Callable[[Tx, _Holder], Response],
    *,
    form: dict[str, str] | None = None,
) -> Response:
    """``answer`` for the signed-in person, in one transaction; to the sign-in page without
    a session; a page saying so for what is not theirs (404) or a form without its token."""
    cookie = request.cookies.get(COOKIE)
    try:
        with services.tx() as tx:
            session = holders.current_session(tx, cookie=cookie, now=services.now())
            if session is None or cookie is None:
                return RedirectResponse("/holder/sign-in", status_code=303)
            holder = _Holder(session=session, cookie=cookie)
            if form is not None:
                holders.check_form_token(cookie, form.get("csrf"))
            return answer(tx, holder)
    except NotFound:
        return _problem_page(
            404, "Not found", "There is nothing of yours at this address.", signed_in=True
        )
    except SignInRefused:
        return _problem_page(
            403,
            "Please try again",
            "This form did not come from your own page, or your session ended. Open the "
            "page again and send it from there.",
            signed_in=True,
        )


# ── signing in and out ─────────────────────────────────────────────────────────────────
@router.get("/sign-in", response_class=Response, responses=_PAGE)
def sign_in_page(
    signed_out: Annotated[bool, Query(alias="signed-out")] = False,
) -> Response:
    """Where a certified person asks for a sign-in link by e-mail address."""
    return page(
        "holder_sign_in", title="Sign in", sent=False, signed_out=signed_out, minutes=0
    )


@router.post(
    "/sign-in",
    response_class=Response,
    responses={**_PAGE, **_html(413, 429)},
    openapi_extra=_FORM,
)
def ask_for_link(form: ThrottledForm, services: ServicesDep) -> Response:
    """Send a sign-in link to the address, if it is one on record; the answer is the same
    either way, so the page tells no one whether an address is known."""
    minutes = services.settings.holder_link_minutes
    with services.tx() as tx:
        holders.links_for_address(
            tx,
            now=services.now(),
            entropy=services.entropy,
            address=form.get("email", "")[:300],
            minutes=minutes,
            per_person_per_hour=services.settings.holder_links_per_person_per_hour,
            base_url=services.settings.base_url,
        )
    return page("holder_sign_in", title="Sign in", sent=True, signed_out=False, minutes=minutes)


@router.get("/link/{token}", response_class=Response, responses={**_PAGE, **_html(404)})
def link_page(token: str) -> Response:
    """The page a sign-in link opens: a button that uses it. Opening the page uses nothing,
    so a mail program that fetches links to scan them cannot spend it."""
    if len(token) > 100:
        raise NotFound("no such sign-in link")
    return page("holder_link", title="Sign in", token=token)


@router.post(
    "/link",
    response_class=Response,
    responses={**_TO_SIGN_IN, **_html(403, 413, 429)},
    openapi_extra=_FORM,
)
def use_link(form: ThrottledForm, services: ServicesDep) -> Response:
    """Use the sign-in link once: a session cookie, and on to the person's certifications."""
    settings = services.settings
    try:
        with services.tx() as tx:
            opened = holders.sign_in(
                tx,
                token=form.get("token", ""),
                now=services.now(),
                entropy=services.entropy,
                session_hours=settings.holder_session_hours,
            )
    except SignInRefused:
        return _problem_page(
            403,
            "This link does not work",
            "It may have been used already, or it has expired. Ask for a new one.",
            signed_in=False,
        )
    response = RedirectResponse("/holder", status_code=303, headers=HEADERS)
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
    responses={**_TO_SIGN_IN, **_html(403, 413)},
    openapi_extra=_FORM,
)
def sign_out(request: Request, form: Form, services: ServicesDep) -> Response:
    """End the session on the server and forget the cookie."""

    def answer(tx: Tx, holder: _Holder) -> Response:
        holders.sign_out(tx, session=holder.session, now=services.now())
        response = RedirectResponse("/holder/sign-in?signed-out=true", status_code=303)
        response.delete_cookie(COOKIE, path="/holder")
        return response

    return _as_holder(request, services, answer, form=form)


# ── the person's pages ─────────────────────────────────────────────────────────────────
def _scheme_title(tx: Tx, certification: Certification) -> str:
    version = tx.get_scheme_version(certification.scheme_version_id)
    assert version is not None
    return version.content.title


@router.get("", response_class=Response, responses={**_PAGE, **_TO_SIGN_IN})
def home(request: Request, services: ServicesDep) -> Response:
    """The person's certifications with their status, their directory choice, their
    appeals."""

    def answer(tx: Tx, holder: _Holder) -> Response:
        person = tx.get_person(holder.person_id)
        assert person is not None
        certifications = [
            {
                "number": c.certificate_number,
                "scheme": _scheme_title(tx, c),
                "status": _STATUS_WORDS[c.status.value],
                "expiry": c.expiry_date.isoformat(),
            }
            for c in tx.certifications_of_person(holder.person_id)
        ]
        return page(
            "holder_home",
            title="Your certifications",
            name=f"{person.given_name} {person.family_name}",
            certifications=certifications,
            listed=person.directory_consent,
            appeals=[
                {"received_on": a.received_on.isoformat(), "state": a.state.value}
                for a in tx.appeals_of_person(holder.person_id)
            ],
            csrf=holder.csrf,
        )

    return _as_holder(request, services, answer)


@router.get(
    "/certifications/{number}",
    response_class=Response,
    responses={**_PAGE, **_TO_SIGN_IN, **_html(404)},
)
def certification(number: str, request: Request, services: ServicesDep) -> Response:
    """One certification: its facts, the certificate to download or share."""
    settings = services.settings

    def answer(tx: Tx, holder: _Holder) -> Response:
        found = holders.own_certification(tx, person_id=holder.person_id, number=number)
        current = [
            c
            for c in tx.credentials_of(found.id)
            if c.kind is CredentialKind.CERTIFICATE and c.superseded_by is None
        ]
        scheme = _scheme_title(tx, found)
        credential_id = current[-1].id if current else None
        share_url = f"{settings.base_url}/v/{credential_id}"
        return page(
            "holder_certification",
            title=scheme,
            scheme=scheme,
            number=found.certificate_number,
            status=_STATUS_WORDS[found.status.value],
            effective=found.effective_date.isoformat(),
            expiry=found.expiry_date.isoformat(),
            scope=", ".join(found.scope),
            credential=None if credential_id is None else f"/holder/credentials/{credential_id}",
            share_url=share_url,
            linkedin_url=linkedin_url(
                found, scheme=scheme, body_name=settings.body_name, share_url=share_url
            ),
            # OPEN BADGES 3.0 EXPORT: the address of this certification's Open Badges file
            # goes here (the download link is already in the page, shown when it is set).
            open_badges_url=None,
        )

    return _as_holder(request, services, answer)


_DOWNLOADS: dict[str, tuple[str, str]] = {
    "certificate.pdf": ("application/pdf", "certificate-{number}.pdf"),
    "qr.svg": ("image/svg+xml", "qr-{number}.svg"),
    "qr.png": ("image/png", "qr-{number}.png"),
    "credential.jwt": ("application/vc+jwt", "credential-{number}.jwt"),
}


def _download(
    request: Request, services: ServicesDep, credential_id: str, what: str
) -> Response:
    media_type, filename = _DOWNLOADS[what]
    base_url, now = services.settings.base_url, services.now()

    def answer(tx: Tx, holder: _Holder) -> Response:
        credential = holders.own_credential(
            tx, person_id=holder.person_id, credential_id=credential_id
        )
        certification = tx.get_certification(credential.certification_id)
        assert certification is not None
        if what == "credential.jwt":
            content = credential.jws.encode("ascii")
        elif what == "certificate.pdf":
            content = renderings.certificate_pdf(tx, credential, base_url=base_url, now=now)
        else:
            fmt: renderings.QrFormat = "qr.svg" if what == "qr.svg" else "qr.png"
            content = renderings.qr_code(tx, credential, fmt, base_url=base_url, now=now)
        name = filename.format(number=certification.certificate_number)
        return Response(
            content,
            media_type=media_type,
            headers={
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
                "Content-Disposition": f'attachment; filename="{name}"',
            },
        )

    return _as_holder(request, services, answer)


def _download_responses(media_type: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"content": {media_type: {}}, "description": "the file, to download"},
        **_TO_SIGN_IN,
        **_html(404),
    }


@router.get(
    "/credentials/{credential_id}/certificate.pdf",
    response_class=Response,
    responses=_download_responses("application/pdf"),
)
def certificate_pdf(credential_id: str, request: Request, services: ServicesDep) -> Response:
    """The printable certificate, as staff print it: what is true now is on it."""
    return _download(request, services, credential_id, "certificate.pdf")


@router.get(
    "/credentials/{credential_id}/qr.svg",
    response_class=Response,
    responses=_download_responses("image/svg+xml"),
)
def qr_svg(credential_id: str, request: Request, services: ServicesDep) -> Response:
    """The QR code of the certificate's verification address, as SVG."""
    return _download(request, services, credential_id, "qr.svg")


@router.get(
    "/credentials/{credential_id}/qr.png",
    response_class=Response,
    responses=_download_responses("image/png"),
)
def qr_png(credential_id: str, request: Request, services: ServicesDep) -> Response:
    """The QR code of the certificate's verification address, as PNG."""
    return _download(request, services, credential_id, "qr.png")


@router.get(
    "/credentials/{credential_id}/credential.jwt",
    response_class=Response,
    responses=_download_responses("application/vc+jwt"),
)
def credential_file(credential_id: str, request: Request, services: ServicesDep) -> Response:
    """The signed credential (``application/vc+jwt``), for a wallet or a verifier."""
    return _download(request, services, credential_id, "credential.jwt")


@router.post(
    "/directory",
    response_class=Response,
    responses={**_TO_SIGN_IN, **_html(403, 413)},
    openapi_extra=_FORM,
)
def directory(request: Request, form: Form, services: ServicesDep) -> Response:
    """The person's choice about the public directory (``listed=yes`` or ``no``), recorded
    and published at once."""

    def answer(tx: Tx, holder: _Holder) -> Response:
        listed = form.get("listed")
        if listed in ("yes", "no"):
            holders.choose_directory(
                tx, person_id=holder.person_id, now=services.now(), listed=listed == "yes"
            )
        return RedirectResponse("/holder#directory", status_code=303)

    return _as_holder(request, services, answer, form=form)


# ── appeals ────────────────────────────────────────────────────────────────────────────
def _decision_options(decisions: list[DecisionAbout]) -> list[dict[str, str]]:
    return [
        {
            "value": f"{d.kind.value}:{d.id}",
            "label": f"{_DECISION_WORDS.get(d.what, d.what)}, {d.decided_at.date().isoformat()}"
            + (f", certificate {d.certificate_number}" if d.certificate_number else ""),
        }
        for d in decisions
    ]


def _appeal_form(
    tx: Tx, holder: _Holder, *, chosen: str, grounds: str, errors: list[str], status: int = 200
) -> Response:
    return page(
        "holder_appeal",
        title="Make an appeal",
        status=status,
        decisions=_decision_options(tx.decisions_about(holder.person_id)),
        chosen=chosen,
        grounds=grounds,
        errors=errors,
        csrf=holder.csrf,
        max_grounds=GROUNDS_MAX,
    )


@router.get("/appeals/new", response_class=Response, responses={**_PAGE, **_TO_SIGN_IN})
def new_appeal(
    request: Request,
    services: ServicesDep,
    certificate: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The appeal form: the decisions about the person, the latest chosen (of the
    certificate named, if one is)."""

    def answer(tx: Tx, holder: _Holder) -> Response:
        decisions = tx.decisions_about(holder.person_id)
        named = [d for d in decisions if certificate and d.certificate_number == certificate]
        latest = (named or decisions)[-1:] or None
        chosen = "" if latest is None else f"{latest[0].kind.value}:{latest[0].id}"
        return _appeal_form(tx, holder, chosen=chosen, grounds="", errors=[])

    return _as_holder(request, services, answer)


@router.post(
    "/appeals",
    response_class=Response,
    responses={**_PAGE, **_TO_SIGN_IN, **_html(403, 404, 413, 422)},
    openapi_extra=_FORM,
)
def send_appeal(request: Request, form: Form, services: ServicesDep) -> Response:
    """Send an appeal against a decision about the person; staff handle it as any other."""
    settings = services.settings

    def answer(tx: Tx, holder: _Holder) -> Response:
        chosen, grounds = form.get("decision", ""), form.get("grounds", "").strip()
        kind_value, _, decision_id = chosen.partition(":")
        errors = []
        if kind_value not in {k.value for k in AppealedKind} or not decision_id:
            errors.append("Choose the decision you appeal.")
        if not grounds or len(grounds) > GROUNDS_MAX or "\x00" in grounds:
            errors.append(f"Say why you disagree, in at most {GROUNDS_MAX} characters.")
        if errors:
            return _appeal_form(
                tx, holder, chosen=chosen, grounds=grounds, errors=errors, status=422
            )
        appeal = appeals.receive_from_person(
            tx,
            person_id=holder.person_id,
            now=services.now(),
            entropy=services.entropy,
            decision_kind=AppealedKind(kind_value),
            decision_id=decision_id[:64],
            grounds=grounds,
            acknowledge_days=settings.appeal_acknowledge_days,
            decide_days=settings.appeal_decide_days,
        )
        return page(
            "holder_appeal_sent",
            title="Appeal received",
            received_on=appeal.received_on.isoformat(),
            acknowledge_by=appeal.acknowledge_by.isoformat(),
            decide_by=appeal.decide_by.isoformat(),
        )

    return _as_holder(request, services, answer, form=form)


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

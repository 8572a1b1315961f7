"""What every page of a certified person's own access shares: the session cookie, the
form reading, the rate limit of the public sign-in routes (a page in words, with
``Retry-After``, to a browser past it; problem+json to a program), the page's language, and
the guard that answers for the signed-in person only (to the sign-in page without a session;
"not found" for what is not theirs; a page saying so for a form without its token).

The cookie (``certreg_holder``) holds the session's id and secret; it is HttpOnly,
SameSite=Lax, Secure on an https base URL, and sent only to ``/holder``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response

from issuer.errors import InvalidInput, NotFound, PayloadTooLarge, RateLimited, SignInRefused
from issuer.http.client_limit import ClientLimit
from issuer.http.deps import Services
from issuer.http.routes.holder_pages import N_, PageLanguage, page, page_language
from issuer.model import HolderSession
from issuer.process import holders
from issuer.store import Tx
from registry.pages import HTML_MEDIA_TYPE, prefers_html
from schemas.openapi import problem_content, problem_responses

__all__ = [
    "COOKIE",
    "FORM",
    "PAGE",
    "TO_SIGN_IN",
    "Form",
    "Holder",
    "Throttled",
    "ThrottledForm",
    "as_holder",
    "html_errors",
    "language_of",
    "problem_page",
    "rate_limited_page",
    "sign_in_limit",
]

COOKIE = "certreg_holder"
MAX_FORM_BYTES = 32 * 1024


def html_errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Errors these pages answer as a page to a browser, declared with their problem form."""
    out = problem_responses(*statuses)
    for response in out.values():
        response["content"] = {**problem_content(), HTML_MEDIA_TYPE: {"schema": {}}}
    return out


PAGE: dict[int | str, dict[str, Any]] = {
    200: {"content": {HTML_MEDIA_TYPE: {}}, "description": "the page"}
}
TO_SIGN_IN: dict[int | str, dict[str, Any]] = {
    303: {
        "description": "not signed in (or done): to the sign-in page, or back to a page",
        "headers": {"Location": {"schema": {"type": "string"}}},
    }
}
FORM: dict[str, Any] = {
    "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {}}}}
}


def sign_in_limit(services: Services) -> ClientLimit:
    """The rate limit of the public sign-in routes, one bucket per client address."""
    settings = services.settings
    return ClientLimit(
        per_minute=settings.holder_sign_in_per_minute,
        burst=settings.holder_sign_in_burst,
        clock=services.clock,
        trusted_proxies=settings.registry_trusted_proxies,
        refusal="too many sign-in requests from your address: please wait a little",
    )


async def _form(request: Request) -> dict[str, str]:
    """A form's fields (the first value of each), from a body of at most 32 KiB; a body
    that is not a form is refused (422), never guessed at."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise PayloadTooLarge(f"a form is at most {MAX_FORM_BYTES} bytes")
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=10, strict_parsing=bool(body))
    except (UnicodeDecodeError, ValueError):
        raise InvalidInput("the request is not a form of this site") from None
    return {name: values[0] for name, values in fields.items() if values}


def language_of(request: Request) -> PageLanguage:
    """The language of a page for someone not (yet) signed in: ``?lang=``, the browser's,
    the body's."""
    services: Services = request.app.state.services
    return page_language(request, default=services.settings.language)


def rate_limited_page(request: Request, refused: RateLimited) -> Response:
    """What a browser past the sign-in routes' rate limit reads: how long to wait, in words,
    and the same ``Retry-After`` a program gets."""
    language = language_of(request).at("/holder/sign-in")
    return page(
        "rate_limited",
        language=language,
        title=language.gettext("Please wait a moment"),
        status=429,
        headers={"Retry-After": str(refused.retry_after)},
        seconds=refused.retry_after,
    )


@dataclass(frozen=True, slots=True)
class Throttled:
    """A public form's fields, or the page refusing it: its client asked too often, and its
    browser prefers a page to problem+json (a program gets the 429 problem itself)."""

    fields: dict[str, str]
    refusal: Response | None = None


async def _throttled_form(request: Request) -> Throttled:
    intake: ClientLimit = request.app.state.holder_intake
    try:
        intake.check(request)
    except RateLimited as refused:
        if not prefers_html(request.headers.get("accept")):
            raise
        return Throttled(fields={}, refusal=rate_limited_page(request, refused))
    return Throttled(fields=await _form(request))


Form = Annotated[dict[str, str], Depends(_form)]
ThrottledForm = Annotated[Throttled, Depends(_throttled_form)]


@dataclass(frozen=True, slots=True)
class Holder:
    session: HolderSession
    cookie: str
    language: PageLanguage

    @property
    def person_id(self) -> str:
        return self.session.person_id

    @property
    def csrf(self) -> str:
        return holders.form_token(self.cookie)


def problem_page(
    language: PageLanguage, status: int, heading: str, message: str, *, signed_in: bool
) -> Response:
    """A refusal in words; ``heading`` and ``message`` are the English source, marked with
    ``N_`` where they are written."""
    target = ("/holder", N_("Back to your certifications")) if signed_in else None
    href, label = target or ("/holder/sign-in", N_("Ask for a new sign-in link"))
    title = language.gettext(heading)
    return page(
        "problem",
        language=language.at(href),
        title=title,
        status=status,
        heading=title,
        message=language.gettext(message),
        next_href=language.url(href),
        next_label=language.gettext(label),
    )


def as_holder(
    request: Request,
    services: Services,
    answer: Callable[[Tx, Holder], Response],
    *,
    form: dict[str, str] | None = None,
) -> Response:
    """``answer`` for the signed-in person, in one transaction; to the sign-in page without
    a session; a page saying so for what is not theirs (404) or a form without its token."""
    cookie = request.cookies.get(COOKIE)
    language = language_of(request)
    try:
        with services.tx() as tx:
            session = holders.current_session(tx, cookie=cookie, now=services.now())
            if session is None or cookie is None:
                return RedirectResponse(language.url("/holder/sign-in"), status_code=303)
            person = tx.get_person(session.person_id)
            assert person is not None
            language = page_language(
                request,
                default=services.settings.language,
                recorded=person.confidential.language,
            )
            holder = Holder(session=session, cookie=cookie, language=language)
            if form is not None:
                holders.check_form_token(cookie, form.get("csrf"))
            return answer(tx, holder)
    except NotFound:
        return problem_page(
            language,
            404,
            N_("Not found"),
            N_("There is nothing of yours at this address."),
            signed_in=True,
        )
    except SignInRefused:
        return problem_page(
            language,
            403,
            N_("Please try again"),
            N_(
                "This form did not come from your own page, or your session ended. Open the "
                "page again and send it from there."
            ),
            signed_in=True,
        )

"""What every page of a certified person's own access shares: the session cookie, the
form reading, the rate limit of the public sign-in routes, and the guard that answers for
the signed-in person only (to the sign-in page without a session; "not found" for what is
not theirs; a page saying so for a form without its token).

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

from issuer.errors import InvalidInput, NotFound, PayloadTooLarge, SignInRefused
from issuer.http.client_limit import ClientLimit
from issuer.http.deps import Services
from issuer.http.routes.holder_pages import page
from issuer.model import HolderSession
from issuer.process import holders
from issuer.store import Tx
from registry.pages import HTML_MEDIA_TYPE
from schemas.openapi import problem_content, problem_responses

__all__ = [
    "COOKIE",
    "FORM",
    "PAGE",
    "TO_SIGN_IN",
    "Form",
    "Holder",
    "ThrottledForm",
    "as_holder",
    "html_errors",
    "problem_page",
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


async def _throttled_form(request: Request) -> dict[str, str]:
    intake: ClientLimit = request.app.state.holder_intake
    intake.check(request)
    return await _form(request)


Form = Annotated[dict[str, str], Depends(_form)]
ThrottledForm = Annotated[dict[str, str], Depends(_throttled_form)]


@dataclass(frozen=True, slots=True)
class Holder:
    session: HolderSession
    cookie: str

    @property
    def person_id(self) -> str:
        return self.session.person_id

    @property
    def csrf(self) -> str:
        return holders.form_token(self.cookie)


def problem_page(status: int, heading: str, message: str, signed_in: bool) -> Response:
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
    try:
        with services.tx() as tx:
            session = holders.current_session(tx, cookie=cookie, now=services.now())
            if session is None or cookie is None:
                return RedirectResponse("/holder/sign-in", status_code=303)
            holder = Holder(session=session, cookie=cookie)
            if form is not None:
                holders.check_form_token(cookie, form.get("csrf"))
            return answer(tx, holder)
    except NotFound:
        return problem_page(
            404, "Not found", "There is nothing of yours at this address.", signed_in=True
        )
    except SignInRefused:
        return problem_page(
            403,
            "Please try again",
            "This form did not come from your own page, or your session ended. Open the "
            "page again and send it from there.",
            signed_in=True,
        )

"""The public complaint intake (clause 9.9): anyone, without an account, may complain about
the body, a certified person, or the misuse of a certificate or mark, as JSON
(``POST /public/complaints``) or through a form that works without JavaScript
(``GET /public/complaints/new`` posting to ``POST /public/complaints/form``), and later read
what became of it by its reference (``GET /public/complaints/{reference}``): the received
date and the state in words, nothing else.

These routes live on the back office app, never on the registry: the registry process holds
nothing confidential. They are open to the world, so each complaint sent takes a token from
its client's bucket (``CERTREG_COMPLAINT_PER_MINUTE``, ``CERTREG_COMPLAINT_BURST``: 429
past it), bodies are capped at 32 KiB, and while ``CERTREG_COMPLAINT_OPEN_PUBLIC_CAP``
public complaints wait unvalidated new ones are refused (503), so a flood cannot fill the
store.
Pages share the registry's layout and its Content Security Policy: no script, no outside
resource, the form posting only to this site.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from jinja2 import ChoiceLoader, DictLoader, Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from issuer.errors import InvalidInput, IssuerError, PayloadTooLarge
from issuer.http.bodies.complaints import (
    DESCRIPTION_MAX,
    PublicComplaintBody,
    PublicComplaintOut,
)
from issuer.http.client_limit import ClientLimit
from issuer.http.deps import Services, ServicesDep
from issuer.http.routes.complaints import deadlines
from issuer.model import Complaint, ComplaintChannel, ComplaintSubject
from issuer.process import complaints
from registry.pages import CSS, HTML_MEDIA_TYPE, PAGE_HEADERS, SITE_NAME, prefers_html
from schemas.openapi import problem_responses

__all__ = ["FORM_PATH", "MAX_BODY_BYTES", "complaint_limit", "router"]

MAX_BODY_BYTES = 32 * 1024

router = APIRouter(prefix="/public/complaints", tags=["public complaints"])

FORM_PATH = "/public/complaints/new"
"""The complaint form's address, which the page behind a QR code links to (with
``?certificate=``) when this server serves the registry too."""

_SUBJECTS = {
    ComplaintSubject.BODY: "The certification body itself",
    ComplaintSubject.CERTIFIED_PERSON: "A person it certified",
    ComplaintSubject.CERTIFICATE_MISUSE: "A certificate used wrongly",
    ComplaintSubject.MARK_MISUSE: "The certification mark used wrongly",
}
_STATES = {
    "received": "Received: no one has looked at it yet.",
    "being handled": "Being handled: it is being looked into.",
    "closed": "Closed: the body has finished with it.",
}

_FORM = """{% extends "base.html" %}
{% block content %}
<h1>Make a complaint</h1>
<p>Tell us about a problem with our certification work, with a person we certified, or with
a certificate or our mark being used wrongly. What you write stays confidential.</p>
{% if errors %}
<div class="banner banner-bad"><p>Please correct this:</p><ul>
{% for error in errors %}<li>{{ error }}</li>{% endfor %}</ul></div>
{% endif %}
<form method="post" action="/public/complaints/form">
<h2><label for="subject">What is it about?</label></h2>
<select id="subject" name="subject">
{% for value, label in subjects %}
<option value="{{ value }}"
{%- if value == values.subject %} selected{% endif %}>{{ label }}</option>
{% endfor %}</select>
<h2><label for="certificate_number">Certificate number</label></h2>
<p class="meta">Needed for a complaint about a person, a certificate or the mark.</p>
<input id="certificate_number" name="certificate_number" maxlength="64"
 value="{{ values.certificate_number }}">
<p><label><input type="checkbox" name="certificate_unknown" value="true"
{%- if values.certificate_unknown %} checked{% endif %}>
 I cannot give the certificate number</label></p>
<h2><label for="description">What happened?</label></h2>
<textarea id="description" name="description" rows="10" cols="60"
 maxlength="{{ max_description }}" required>{{ values.description }}</textarea>
<h2>How can we reach you? (optional)</h2>
<p><label for="name">Name</label><br>
<input id="name" name="name" maxlength="200" value="{{ values.name }}"></p>
<p><label for="email">E-mail</label><br>
<input id="email" name="email" type="email" maxlength="254" value="{{ values.email }}"></p>
<p><label for="phone">Phone</label><br>
<input id="phone" name="phone" maxlength="40" value="{{ values.phone }}"></p>
<p><button type="submit">Send the complaint</button></p>
</form>
{% endblock %}
"""

_STATUS = """{% extends "base.html" %}
{% block content %}
<h1>{{ heading }}</h1>
{% if receipt %}
<p>Thank you. Keep this reference to see what becomes of your complaint.</p>
{% endif %}
<dl class="facts">
<dt>Reference</dt><dd><span class="code">{{ reference }}</span></dd>
<dt>Received</dt><dd>{{ received_on }}</dd>
<dt>State</dt><dd>{{ state }}</dd>
</dl>
<p>See it again at <a href="{{ status_url }}">{{ status_url }}</a>.</p>
{% endblock %}
"""

_environment = Environment(
    loader=ChoiceLoader(
        [
            DictLoader({"complaint_form.html": _FORM, "complaint_status.html": _STATUS}),
            PackageLoader("registry", "templates"),
        ]
    ),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    # The registry's layout marks its words for translation; these pages are in English.
    extensions=["jinja2.ext.i18n"],
)
_environment.policies["ext.i18n.trimmed"] = True
_environment.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


def _page(template: str, *, title: str, status: int = 200, **context: Any) -> Response:
    body = _environment.get_template(template).render(
        title=title,
        lang="en",
        site_name=SITE_NAME,
        css=Markup(CSS),  # noqa: S704 - the registry's constant, hashed into its CSP
        generated_at=None,
        **context,
    )
    return Response(
        body.encode("utf-8"), status_code=status, media_type=HTML_MEDIA_TYPE, headers=PAGE_HEADERS
    )


def complaint_limit(services: Services) -> ClientLimit:
    """The rate limit of the public complaint routes, one bucket per client."""
    settings = services.settings
    return ClientLimit(
        per_minute=settings.complaint_per_minute,
        burst=settings.complaint_burst,
        clock=services.clock,
        trusted_proxies=settings.registry_trusted_proxies,
        refusal="too many complaints from your address: please wait a little",
    )


async def _throttled(request: Request) -> None:
    """One token from the client's bucket, and a body of at most 32 KiB."""
    intake: ClientLimit = request.app.state.complaint_intake
    intake.check(request)
    if len(await request.body()) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"a complaint is at most {MAX_BODY_BYTES} bytes")


Throttled = Annotated[None, Depends(_throttled)]
_LIMITED = problem_responses(413, 429, 503)


def _submit(services: Services, body: PublicComplaintBody) -> Complaint:
    data = complaints.ComplaintInput(
        subject=body.subject,
        description=body.description,
        received_on=services.now().date(),
        channel=ComplaintChannel.PUBLIC_FORM,
        certificate_number=body.certificate_number,
        certificate_unknown=body.certificate_unknown,
        name=body.name,
        email=body.email,
        phone=body.phone,
    )
    with services.tx() as tx:
        return complaints.submit(
            tx,
            now=services.now(),
            entropy=services.entropy,
            data=data,
            deadlines=deadlines(services.settings),
            cap=services.settings.complaint_open_public_cap,
        )


@router.post("", status_code=201, responses=_LIMITED)
def submit(body: PublicComplaintBody, _: Throttled, services: ServicesDep) -> PublicComplaintOut:
    """Send a complaint, without an account. The answer gives its reference and the address
    where its state can be read."""
    return PublicComplaintOut.of(_submit(services, body))


def _status_page(complaint: Complaint, *, receipt: bool) -> Response:
    out = PublicComplaintOut.of(complaint)
    return _page(
        "complaint_status.html",
        title="Your complaint",
        heading="Complaint received" if receipt else "Your complaint",
        receipt=receipt,
        reference=out.reference,
        received_on=out.received_on.isoformat(),
        state=_STATES[out.state.value],
        status_url=out.status_url,
    )


def _form(values: dict[str, Any], errors: list[str], status: int = 200) -> Response:
    return _page(
        "complaint_form.html",
        title="Make a complaint",
        status=status,
        subjects=[(s.value, label) for s, label in _SUBJECTS.items()],
        values=values,
        errors=errors,
        max_description=DESCRIPTION_MAX,
    )


@router.get("/new", response_class=Response, responses={200: {"content": {"text/html": {}}}})
def new(
    certificate: Annotated[
        str | None, Query(max_length=64, description="the certificate concerned, if known")
    ] = None,
) -> Response:
    """The complaint form, as a page that works without JavaScript."""
    subject = ComplaintSubject.CERTIFIED_PERSON if certificate else ComplaintSubject.BODY
    values = {
        "subject": subject.value,
        "certificate_number": certificate or "",
        "certificate_unknown": False,
        "description": "",
        "name": "",
        "email": "",
        "phone": "",
    }
    return _form(values, [])


_WORDS = {
    "subject": "what it is about",
    "certificate_number": "the certificate number",
    "description": "what happened",
    "name": "your name",
    "email": "your e-mail",
    "phone": "your phone",
}


@router.post(
    "/form",
    response_class=Response,
    responses={
        200: {"content": {"text/html": {}}},
        **problem_responses(
            413, 422, 429, 503, said={422: "The form again, as a page, saying what to correct"}
        ),
    },
    openapi_extra={
        "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {}}}}
    },
)
async def submit_form(request: Request, _: Throttled, services: ServicesDep) -> Response:
    """The form's post (``application/x-www-form-urlencoded``): a receipt page with the
    complaint's reference, or the form again saying what to correct (422)."""
    try:
        fields = parse_qs((await request.body()).decode("utf-8"), max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        fields = {}
    values: dict[str, Any] = {name: (fields.get(name) or [""])[0] for name in _WORDS}
    values["certificate_unknown"] = (fields.get("certificate_unknown") or [""])[0] == "true"
    given = {k: v for k, v in values.items() if v not in ("", None)}
    try:
        body = PublicComplaintBody.model_validate(given)
        complaint = await run_in_threadpool(_submit, services, body)  # off the event loop
    except ValidationError as exc:
        errors = sorted(
            {
                f"Check {_WORDS.get(str(e['loc'][0]) if e['loc'] else '', 'the form')}."
                for e in exc.errors()
            }
        )
        return _form(values, errors, status=422)
    except InvalidInput as exc:
        return _form(values, [exc.detail[:300]], status=422)
    except IssuerError:
        raise
    return _status_page(complaint, receipt=True)


@router.get(
    "/{reference}",
    response_model=PublicComplaintOut,
    responses={**problem_responses(404), 200: {"content": {"text/html": {}}}},
)
def status(reference: str, request: Request, services: ServicesDep) -> Any:
    """What became of a complaint: the day it was received and its state in words. Not rate
    limited: a reference holds 128 random bits, too many to guess."""
    with services.tx() as tx:
        complaint = complaints.public_status(tx, reference)
    if prefers_html(request.headers.get("accept")):
        return _status_page(complaint, receipt=False)
    return PublicComplaintOut.of(complaint)

"""The pages of a certified person's own access, as HTML that needs no JavaScript, in the
person's language.

They share the registry's layout, style sheet and Content Security Policy (no script, no
outside resource, forms posting only to this site), and are never cached: each shows one
person's own records. :mod:`issuer.http.routes.holder` serves them.

The templates are files (``holder_templates/``), so that ``pybabel extract`` finds their
words; the words are translated in the ``holder`` domain (``schemas/locales``). A page's
language is, in order: an explicit ``?lang=`` choice, the signed-in person's recorded
language, the browser's ``Accept-Language``, the body's own. An explicit choice is carried
on every link and form of the page (as ``?lang=``), so it holds for the rest of the visit
without a cookie or anything stored; a language that was not chosen is not carried, so a
person who signs in later reads their own recorded language.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from issuer.model import Certification
from registry.pages import CSS, HTML_MEDIA_TYPE, PAGE_HEADERS
from schemas.languages import (
    LANGUAGE_NAMES,
    LANGUAGES,
    format_date,
    format_number,
    negotiate,
    translations,
)

__all__ = [
    "DOMAIN",
    "HEADERS",
    "N_",
    "SITE",
    "PageLanguage",
    "linkedin_url",
    "page",
    "page_language",
]

DOMAIN = "holder"
HEADERS = {**PAGE_HEADERS, "Cache-Control": "no-store", "Vary": "Accept, Accept-Language"}
"""The registry's page headers, and never kept by a browser or a proxy: the pages are one
person's. Their language follows ``Accept-Language`` when none is chosen."""


def N_(message: str) -> str:  # noqa: N802 - gettext's name for a marker, known to pybabel
    """Marks ``message`` for translation where it is written, translated where it is shown."""
    return message


SITE = N_("Your certifications")


@dataclass(frozen=True, slots=True)
class PageLanguage:
    """The language a page is written in, and whether the reader chose it (``?lang=``): a
    choice is carried on the page's links and forms. ``here`` is the address the language
    switch reloads, in another language (a page answering a form names a page to get)."""

    code: str
    chosen: bool
    here: str

    def gettext(self, message: str, **values: object) -> str:
        text = translations(DOMAIN, self.code).gettext(message)
        return text % values if values else text

    def date(self, value: date) -> str:
        return format_date(value, self.code)

    def number(self, value: int) -> str:
        return format_number(value, self.code)

    def url(self, path: str, **query: str) -> str:
        """``path`` with ``query``, and the reader's choice of language if they made one."""
        fields = {**query, **({"lang": self.code} if self.chosen else {})}
        return f"{path}?{urlencode(fields)}" if fields else path

    def at(self, here: str) -> PageLanguage:
        return replace(self, here=here)

    def switch(self) -> list[dict[str, object]]:
        path, _, query = self.here.partition("?")
        kept = query + "&" if query else ""
        return [
            {
                "code": code,
                "name": LANGUAGE_NAMES[code],
                "href": f"{path}?{kept}{urlencode({'lang': code})}",
                "current": code == self.code,
            }
            for code in LANGUAGES
        ]


def _requested(request: Request) -> str | None:
    asked = request.query_params.get("lang", "")[:8].strip().lower()
    return asked if asked in LANGUAGES else None


def page_language(request: Request, *, default: str, recorded: str | None = None) -> PageLanguage:
    """The language of a page answering ``request``: ``?lang=``, then the person's
    ``recorded`` language (once signed in), then ``Accept-Language``, then ``default``."""
    requested = _requested(request)
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    here = request.url.path + (f"?{urlencode(query)}" if query else "")
    if requested is not None:
        return PageLanguage(code=requested, chosen=True, here=here)
    if recorded in LANGUAGES:
        return PageLanguage(code=str(recorded), chosen=False, here=here)
    code = negotiate(None, request.headers.get("accept-language"), default=default)
    return PageLanguage(code=code, chosen=False, here=here)


@functools.cache
def _environment(code: str) -> Environment:
    """One environment per language, its catalogue installed once: pages are rendered in
    several threads at once, so no render may swap another's translations."""
    environment = Environment(
        loader=PackageLoader("issuer.http.routes", "holder_templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        translations(DOMAIN, code), newstyle=True
    )
    return environment


def page(
    template: str,
    *,
    language: PageLanguage,
    title: str,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response:
    """``template`` in ``language``; ``title`` is already in it."""
    body = (
        _environment(language.code)
        .get_template(f"{template}.html")
        .render(
            title=title,
            lang=language.code,
            site_name=language.gettext(SITE),
            url=language.url,
            languages=language.switch(),
            css=Markup(CSS),  # noqa: S704 - the registry's constant, hashed into its CSP
            **context,
        )
    )
    return Response(
        body.encode("utf-8"),
        status_code=status,
        media_type=HTML_MEDIA_TYPE,
        headers={**HEADERS, "Content-Language": language.code, **(headers or {})},
    )


def linkedin_url(
    certification: Certification, *, scheme: str, body_name: str, share_url: str
) -> str:
    """LinkedIn's "Add to profile" address for a certification, filled in: the name, the
    issuing body, the issue and expiry month, the verification address and the number."""
    issued: date = certification.original_certification_date
    expires: date = certification.expiry_date
    query = {
        "startTask": "CERTIFICATION_NAME",
        "name": scheme,
        "organizationName": body_name,
        "issueYear": str(issued.year),
        "issueMonth": str(issued.month),
        "expirationYear": str(expires.year),
        "expirationMonth": str(expires.month),
        "certUrl": share_url,
        "certId": certification.certificate_number,
    }
    return "https://www.linkedin.com/profile/add?" + urlencode(query)

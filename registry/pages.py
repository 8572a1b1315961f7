"""The registry's HTML pages: one layout, one style sheet, content negotiation, safe output.

The public reads a certificate's standing and a scheme's requirements on a phone as often as
on a desk, often from a QR code, so every page is rendered on the server, works without
JavaScript, sets its language, fits a 360-pixel-wide screen and keeps text contrast at WCAG
AA or better. Pages load nothing from elsewhere: the style sheet is inline and the Content
Security Policy allows exactly that style sheet (by hash) and nothing else. Templates are
Jinja2 with autoescaping, so a scheme title holding ``<script>`` is shown, never run.

The same address answers JSON or HTML: a browser (``Accept`` preferring ``text/html``) gets
the page, anything else — ``application/json``, ``*/*``, no ``Accept`` — the JSON it always
got. Responses say ``Vary: Accept`` so caches keep the two apart.

Pages speak the reader's language (:class:`PageLanguage`): ``?lang=`` if it names one certreg
speaks, else the browser's ``Accept-Language``, else the body's own language
(:func:`schemas.languages.negotiate`). Every word is marked for translation in the templates
(``{% trans %}``, ``_()``) or here (:func:`N_`), and translated from the ``registry``
catalogues; dates and numbers are written by Babel for the language. Each language has its
own Jinja environment, its translations installed once, so rendering shares nothing mutable
between requests. A page says ``Content-Language`` and ``Vary: Accept, Accept-Language``;
JSON answers are not translated and keep ``Vary: Accept``. Scheme titles, scope items and
names are the body's words and are shown as recorded.

New pages extend ``templates/base.html`` and render through :func:`render` (what the scheme
and body pages show is read in :mod:`registry.page_views`); the banner
classes in the style sheet (``banner-ok``, ``banner-warn``, ``banner-bad``,
``banner-unknown``) pair a colour with words, never colour alone.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup
from starlette.requests import Request

from schemas.languages import (
    DEFAULT_LANGUAGE,
    LANGUAGE_NAMES,
    LANGUAGES,
    format_date,
    format_datetime,
    format_number,
    negotiate,
    translations,
)

__all__ = [
    "CSS",
    "HTML_MEDIA_TYPE",
    "N_",
    "PAGE_HEADERS",
    "SITE_NAME",
    "BodyHeader",
    "LanguageLink",
    "PageLanguage",
    "complaint_href",
    "page_language",
    "prefers_html",
    "render",
]

HTML_MEDIA_TYPE = "text/html; charset=utf-8"
DOMAIN = "registry"
"""The message domain of the public pages (``schemas/locales/registry.cfg``)."""


def N_(message: str) -> str:  # noqa: N802 - the marker name gettext's tools know
    """Mark ``message`` for translation where it is written, translate it where it is shown
    (a heading kept in a table, read before the language of the request is known)."""
    return message


SITE_NAME = N_("Public register of certified persons")

CSS = """
:root{color-scheme:light;--ink:#1b1b1b;--muted:#4a4a4a;--line:#c9c9c9;--link:#0b4f8a;
--paper:#ffffff;--soft:#f3f4f6}
*{box-sizing:border-box}
html{font-size:100%;-webkit-text-size-adjust:100%}
body{margin:0;background:var(--paper);color:var(--ink);line-height:1.5;
font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif;
overflow-wrap:anywhere}
a{color:var(--link);text-underline-offset:.15em}
a:focus-visible{outline:3px solid var(--ink);outline-offset:2px}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:1rem;background:var(--paper);padding:.5rem;z-index:1}
header.site,main,footer.site{max-width:44rem;margin:0 auto;padding:0 1rem}
header.site{border-bottom:1px solid var(--line)}
.site-name{margin:.75rem 0;font-weight:600}
.site-name a{color:var(--ink);text-decoration:none}
h1{font-size:1.6rem;line-height:1.25;margin:1.25rem 0 .75rem}
h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
footer.site{margin-top:2.5rem;padding-top:.75rem;padding-bottom:1.5rem;
border-top:1px solid var(--line);color:var(--muted);font-size:.9rem}
.meta,.crumbs{color:var(--muted);font-size:.95rem}
.code{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.95em;
background:var(--soft);padding:0 .25em;border-radius:.2em}
ul.cards{list-style:none;padding:0;margin:0}
ul.cards li{border:1px solid var(--line);border-radius:.4rem;padding:.75rem;margin:.5rem 0}
ul.cards a{font-weight:600}
ul.cards .meta{display:block}
dl.facts{display:grid;grid-template-columns:minmax(7rem,auto) 1fr;gap:.25rem 1rem;margin:1rem 0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
dl.scope dt{font-weight:600;margin-top:.75rem}
dl.scope dd{margin:.25rem 0 0 0}
.banner{border:2px solid currentColor;border-radius:.5rem;padding:1rem;margin:1rem 0;
font-size:1.4rem;font-weight:700}
.banner-ok{color:#0f5132;background:#d1e7dd}
.banner-warn{color:#664d03;background:#fff3cd}
.banner-bad{color:#842029;background:#f8d7da}
.banner-unknown{color:#41464b;background:#e2e3e5}
.banner h1{display:flex;align-items:center;gap:.6rem;margin:0;font-size:1.8rem}
.banner p{margin:.5rem 0 0;font-size:1rem;font-weight:400}
.banner svg{flex:none}
ul.scope-items{padding-left:1.25rem}
input,select,textarea,button{font:inherit;max-width:100%}
textarea{width:100%}
form.search{border:1px solid var(--line);border-radius:.4rem;padding:0 1rem 1rem;margin:1rem 0}
form.search label{display:block;font-weight:600;margin-top:.75rem}
form.search input{width:100%;padding:.5rem;border:1px solid #6b6b6b;border-radius:.25rem;
background:var(--paper);color:var(--ink)}
form.search button{margin-top:1rem;padding:.55rem 1.25rem;border:0;border-radius:.25rem;
background:var(--link);color:#ffffff;font-weight:600;cursor:pointer}
input:focus-visible,button:focus-visible{outline:3px solid var(--ink);outline-offset:2px}
nav.languages ul{list-style:none;display:flex;flex-wrap:wrap;gap:0 1rem;margin:0 0 .5rem;padding:0}
nav.languages a{display:inline-block;padding:.25rem 0}
nav.languages a[aria-current]{color:var(--ink);font-weight:700;text-decoration:none}
.hint{color:var(--muted);font-size:.95rem;margin:.25rem 0}
@media (max-width:30rem){dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.5rem}}
""".strip()
"""The one style sheet: system fonts, text on white at ≥ 7:1, banners at ≥ 7:1."""

_CSS_HASH = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")

PAGE_HEADERS = {
    "Content-Security-Policy": (
        f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Vary": "Accept",
}
"""Headers every page carries: nothing but the inline style sheet may load or run."""

_MAX_ECHOED_QUERY = 2048
"""The longest query string a language link carries along; a longer one is left out."""


@dataclass(frozen=True, slots=True)
class LanguageLink:
    """One language of the switch on every page: its code, its own name and the address of
    this page in it."""

    code: str
    name: str
    href: str
    current: bool


@dataclass(frozen=True, slots=True)
class PageLanguage:
    """The language a page is written in, and what its language switch links to: the same
    page (its other query parameters kept) with ``?lang=`` set."""

    code: str
    query: tuple[tuple[str, str], ...] = ()
    explicit: bool = False
    """Whether the reader chose it (``?lang=``): then the page's links keep it."""

    def href(self, path: str) -> str:
        """A link to another page of the register, in this language if the reader chose
        it; else left to the browser's ``Accept-Language`` there too."""
        if not self.explicit:
            return path
        return f"{path}{'&' if '?' in path else '?'}{urlencode({'lang': self.code})}"

    def gettext(self, message: str) -> str:
        """``message`` in this language (a title made in Python)."""
        return translations(DOMAIN, self.code).gettext(message)

    def links(self) -> list[LanguageLink]:
        kept = urlencode(self.query)
        if len(kept) > _MAX_ECHOED_QUERY:
            kept = ""
        return [
            LanguageLink(
                code=code,
                name=LANGUAGE_NAMES[code],
                href="?" + (f"{kept}&" if kept else "") + urlencode({"lang": code}),
                current=code == self.code,
            )
            for code in LANGUAGES
        ]

    @property
    def headers(self) -> dict[str, str]:
        """The headers of a page in this language: caches keep each language apart."""
        return PAGE_HEADERS | {"Content-Language": self.code, "Vary": "Accept, Accept-Language"}


def page_language(
    request: Request, default: str = DEFAULT_LANGUAGE, *, chosen: str | None = None
) -> PageLanguage:
    """The language to answer ``request`` in: its ``?lang=`` if certreg speaks it, else its
    ``Accept-Language``, else ``default`` (the body's own language). An unknown ``?lang=``
    is no error: the choice falls back as if it were not given.

    ``chosen`` is the ``lang`` field of a posted form, which stands for ``?lang=``: a form
    carries the language of the page it was on, so the answer comes back in it."""
    query = request.query_params
    requested = chosen if chosen else query.get("lang")
    code = negotiate(requested, request.headers.get("accept-language"), default=default)
    return PageLanguage(
        code,
        tuple((k, v) for k, v in query.multi_items() if k != "lang"),
        explicit=requested is not None and requested.strip().lower() == code,
    )


def _day_in(language: str) -> Any:
    def day(value: date | None) -> str:
        return "" if value is None else format_date(value, language)

    return day


def _instant_in(language: str) -> Any:
    def instant(value: datetime) -> str:
        return format_datetime(value.astimezone(UTC), language, form="long")

    return instant


def _number_in(language: str) -> Any:
    def number(value: int | float) -> str:
        return format_number(value, language)

    return number


@functools.cache
def _environment(language: str) -> Environment:
    """The templates in ``language``: one environment per language, made once, its
    translations and its date and number filters installed before any page is drawn."""
    environment = Environment(
        loader=PackageLoader("registry", "templates"),
        autoescape=select_autoescape(["html"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.policies["ext.i18n.trimmed"] = True
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        translations(DOMAIN, language), newstyle=True
    )
    environment.filters["day"] = _day_in(language)
    environment.filters["instant"] = _instant_in(language)
    environment.filters["number"] = _number_in(language)
    return environment


@dataclass(frozen=True, slots=True)
class BodyHeader:
    """Who publishes this register, for the header of its pages: the certification body's
    name, and its accreditation when the body information states one."""

    name: str
    accreditation_body: str
    accreditation_number: str


def complaint_href(form_url: str | None, certificate_number: str | None) -> str | None:
    """The back office's complaint form (if one is configured), for this certificate."""
    if form_url is None or not certificate_number:
        return form_url
    return f"{form_url}?{urlencode({'certificate': certificate_number})}"


def render(template: str, *, title: str, language: PageLanguage, **context: Any) -> bytes:
    """A page from ``templates/{template}`` in the shared layout, in ``language``, as UTF-8
    bytes (``title`` already in that language)."""
    page = (
        _environment(language.code)
        .get_template(template)
        .render(
            title=title,
            lang=language.code,
            languages=language.links(),
            href=language.href,
            site_name=language.gettext(SITE_NAME),
            css=Markup(CSS),  # noqa: S704 - a constant of this module, hashed into the CSP
            generated_at=context.pop("generated_at", None),
            publisher=context.pop("publisher", None),
            **context,
        )
    )
    return page.encode("utf-8")


def _quality(value: str) -> float:
    try:
        q = float(value)
    except ValueError:
        return 0.0
    return min(max(q, 0.0), 1.0) if math.isfinite(q) else 0.0


def prefers_html(accept: str | None) -> bool:
    """Whether ``Accept`` ranks ``text/html`` above ``application/json`` (RFC 9110 §12.5.1).

    Each type takes the quality of the most specific range that matches it; a tie — ``*/*``
    or no header at all — keeps JSON, the registry's answer to programs.
    """
    if not accept:
        return False
    best: dict[str, tuple[int, float]] = {}
    for part in accept[:2000].split(",")[:50]:
        media, *parameters = part.split(";")
        media = media.strip().lower()
        quality = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                quality = _quality(value.strip())
        for target in ("text/html", "application/json"):
            family = target.split("/")[0]
            specificity = {target: 3, f"{family}/*": 2, "*/*": 1}.get(media, 0)
            if specificity and specificity > best.get(target, (0, 0.0))[0]:
                best[target] = (specificity, quality)
            elif specificity and specificity == best[target][0]:
                best[target] = (specificity, max(quality, best[target][1]))
    html = best.get("text/html", (0, 0.0))[1]
    json = best.get("application/json", (0, 0.0))[1]
    return html > json

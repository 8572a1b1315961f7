"""How the page behind a QR code is drawn: dates in words, links, and the banner's colour
and shape for each standing (:class:`registry.verification_page.Standing`).

Kept apart from the verification itself (:mod:`registry.verification_page`) so that each
stays readable. Every word a reader sees is in the templates (``verification.html``,
``_words.html``), none is assembled here, so the page can later be translated by giving
other templates; this module only chooses what the templates are given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from registry import pages
from registry.intake import credential_key

if TYPE_CHECKING:
    from registry.verification_page import Answer

__all__ = [
    "human_date",
    "human_instant",
    "register_href",
    "render_answer",
    "scheme_href",
    "stamp",
    "verification_href",
]

_SCHEME_KEY = re.compile(r"[A-Za-z0-9._-]{1,64}")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MARK = "certification-mark"


@dataclass(frozen=True, slots=True)
class Banner:
    """How a standing is shown: a colour class and a shape, beside the words the template
    gives it (``_words.html``) — never colour alone."""

    css: str
    icon: str


_BANNERS = {
    "valid": Banner("banner-ok", "check"),
    "suspended": Banner("banner-warn", "pause"),
    "withdrawn": Banner("banner-bad", "cross"),
    "expired": Banner("banner-bad", "clock"),
    "superseded": Banner("banner-warn", "arrow"),
    "not-yet-valid": Banner("banner-warn", "clock"),
    "not-valid": Banner("banner-bad", "cross"),
    "cannot-confirm": Banner("banner-unknown", "question"),
}
"""By the values of :class:`registry.verification_page.Standing`."""


def stamp(instant: datetime) -> str:
    """An instant as RFC 3339 UTC to the second, as credentials state them."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def human_date(day: str) -> str:
    """``2031-11-24`` as ``24 November 2031`` (unambiguous in every country)."""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        return day
    return f"{parsed.day} {_MONTHS[parsed.month - 1]} {parsed.year}"


def human_instant(instant: datetime) -> str:
    utc = instant.astimezone(UTC)
    return f"{human_date(utc.date().isoformat())}, {utc:%H:%M:%S} UTC"


def verification_href(credential_id: str | None) -> str | None:
    """The path of the verification page of ``credential_id`` (``urn:uuid:…``), if any."""
    key = credential_key(credential_id) if credential_id else None
    return None if key is None else "/v/" + key


def scheme_href(scheme_id: str) -> str | None:
    """This registry's page of a scheme named by its URL (``…/schemes/{id}``)."""
    head, found, key = scheme_id.rpartition("/schemes/")
    if not found or not head or not _SCHEME_KEY.fullmatch(key):
        return None
    return "/schemes/" + quote(key, safe="")


def register_href(certificate_number: str, family_name: str) -> str | None:
    """The register entry page of a certificate, looked up with its holder's family name
    (which the page linking to it already shows), or ``None`` if either is unknown."""
    if not certificate_number or not family_name:
        return None
    query = urlencode({"family_name": family_name})
    return f"/register/{quote(certificate_number, safe='')}?{query}"


def _day_of(instant: str) -> str:
    """The day of an RFC 3339 instant, in words; ``""`` if it is not one."""
    return human_date(instant[:10]) if len(instant) >= 10 else ""


def render_answer(
    answer: Answer,
    *,
    complaint_form_url: str | None = None,
    publisher: pages.BodyHeader | None = None,
) -> bytes:
    """The HTML page of ``answer``, under the header of the body that published it."""
    facts = answer.facts
    standing = answer.standing.value
    context: dict[str, Any] = {
        "answer": answer,
        "facts": facts,
        "standing": standing,
        "banner": _BANNERS[standing],
        "is_mark": facts is not None and facts.kind == MARK,
        "scheme_href": scheme_href(facts.scheme_id) if facts else None,
        "certificate_href": verification_href(facts.certificate_credential) if facts else None,
        "register_href": register_href(facts.certificate_number, facts.family_name)
        if facts
        else None,
        "superseded_href": verification_href(answer.superseded_by),
        "effective": human_date(facts.effective_date) if facts else "",
        "certified_since": human_date(facts.certified_since)
        if facts and facts.certified_since
        else "",
        "expiry": human_date(facts.expiry_date) if facts else "",
        "suspended_since": _day_of(answer.suspended_since),
        "suspended_stamp": answer.suspended_since,
        "checked_at": human_instant(answer.checked_at),
        "checked_stamp": stamp(answer.checked_at),
        "problem_titles": [
            p["title"] for p in answer.problems if isinstance(p.get("title"), str) and p["title"]
        ],
        "complaint_href": pages.complaint_href(
            complaint_form_url, facts.certificate_number if facts else None
        ),
    }
    return pages.render("verification.html", title="", publisher=publisher, **context)

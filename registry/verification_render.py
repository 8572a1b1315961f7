"""What the public pages are drawn with: dates in words, the links between pages, and the
banner's colour and shape for each standing (:class:`registry.verification_page.Standing`).

Kept apart from the verification itself (:mod:`registry.verification_page`) and shared
with the register entry and directory pages (:mod:`registry.public_pages`). Every word a
reader sees is in the templates (``verification.html``, ``_words.html``…), none is
assembled here, so the pages can later be translated by giving other templates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import quote, urlencode

from registry.intake import credential_key

__all__ = [
    "BANNERS",
    "MARK",
    "Banner",
    "day_of",
    "human_date",
    "human_instant",
    "register_href",
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


BANNERS = {
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


def day_of(instant: str) -> str:
    """The day of an RFC 3339 instant, in words; ``""`` if it is not one."""
    return human_date(instant[:10]) if len(instant) >= 10 else ""

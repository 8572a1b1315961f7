"""What the public pages are drawn with: the days they show, the links between pages, and
the banner's colour and shape for each standing (:class:`registry.verification_page.Standing`).

Kept apart from the verification itself (:mod:`registry.verification_page`) and shared
with the register entry and directory pages (:mod:`registry.public_pages`). Every word a
reader sees is in the templates (``verification.html``, ``_words.html``…), marked for
translation, and days are handed to them as dates, which they write in the reader's
language; none is assembled here. The verifier's problem titles are English; those it can
give are listed here (:data:`PROBLEM_TITLES`) so the page can show them translated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import quote, urlencode

from registry.intake import credential_key
from registry.pages import N_

__all__ = [
    "BANNERS",
    "MARK",
    "PROBLEM_TITLES",
    "Banner",
    "day_of",
    "register_href",
    "scheme_href",
    "stamp",
    "verification_href",
]

_SCHEME_KEY = re.compile(r"[A-Za-z0-9._-]{1,64}")
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


def day_of(value: str) -> date | None:
    """The day of an ISO date or an RFC 3339 instant (``2031-11-24…``); ``None`` if it is
    not one."""
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


PROBLEM_TITLES = (
    N_("The credential could not be verified"),
    N_("The credential could not be parsed"),
    N_("The credential's securing mechanism did not verify"),
    N_("The credential is not a conforming document"),
    N_("A value is outside its allowed range"),
    N_("The status list could not be retrieved"),
    N_("The status list could not be verified"),
    N_("The status list is shorter than the minimum"),
    N_("The issuer's keys could not be retrieved"),
    N_("The issuer is not trusted by this verifier's policy"),
    N_("The credential has expired"),
    N_("The credential is not valid yet"),
    N_("The credential has been revoked"),
    N_("The credential has been replaced by a newer one"),
    N_("The credential is suspended"),
    N_("The presentation was not made for this request"),
    N_("The presentation is out of date"),
    N_("The credential is not bound to the holder who presented it"),
)
"""The titles of the verifier's problems (:mod:`verifier.errors`), marked for translation:
the page behind a QR code says what went wrong in the reader's language."""

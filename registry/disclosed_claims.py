"""The claims of an SD-JWT VC presentation in words: what the person showed, what they kept.

An SD-JWT VC lets its holder choose which claims a verifier sees; the others stay hidden as
digests, so a verifier cannot tell what they were. For the credential certreg issues (its
``vct`` is ``{iss}/vct/certification/v1``) the claims the holder may show are known — the
issuer's documented list (docs/WALLETS.md), mirrored in :data:`CERTIFICATION_CLAIMS` — so
the page can name those kept back. For any other ``vct`` it can only say that other claims
may have been kept back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from registry.pages import N_, PageLanguage
from registry.verification_render import day_of
from schemas.languages import format_date
from verifier.sd_jwt_vc import DisclosedClaim

__all__ = [
    "CERTIFICATION_CLAIMS",
    "CERTIFICATION_VCT_PATH",
    "ClaimWords",
    "DisclosedView",
    "disclosed_view",
]

CERTIFICATION_VCT_PATH = "/vct/certification/v1"
"""The path of the ``vct`` of certreg's SD-JWT VC, after the issuer's base URL (``iss``)."""


class ClaimWords(NamedTuple):
    """A claim's name in the page's words, both ways the page uses it."""

    label: str
    """As the label of its value ("Certificate number")."""
    in_a_sentence: str
    """As it reads inside a sentence listing what was kept back ("certificate number"):
    languages differ there (German keeps its nouns capitalised), so each is translated."""


CERTIFICATION_CLAIMS: dict[str, ClaimWords] = {
    "given_name": ClaimWords(N_("Given name"), N_("given name")),
    "family_name": ClaimWords(N_("Family name"), N_("family name")),
    "certificate_number": ClaimWords(N_("Certificate number"), N_("certificate number")),
    "scheme": ClaimWords(N_("Scheme"), N_("scheme")),
    "valid_from": ClaimWords(N_("Valid from"), N_("valid from")),
    "valid_until": ClaimWords(N_("Valid until"), N_("valid until")),
    "certification_body": ClaimWords(N_("Certification body"), N_("certification body")),
    "scope": ClaimWords(N_("Scope"), N_("scope")),
}
"""Each claim certreg's SD-JWT VC lets its holder show or keep back, in the page's words
(marked for translation; ``scope``: its items, each disclosed on its own), in the order the
page lists them."""
MAX_VALUE = 300


@dataclass(frozen=True, slots=True)
class DisclosedView:
    """What the page says about one SD-JWT VC's claims."""

    shown: list[tuple[str, str]]
    """Each disclosed claim: its name in words, its value in words."""
    kept_back: list[str]
    """The names, as they read in a sentence, of the claims the holder did not show (when
    they are known)."""
    known: bool
    """Whether the claims the holder could have shown are known (certreg's ``vct``)."""
    holder_name: str
    """The disclosed given and family names, for the heading ("" when kept back)."""


def _text(value: object, limit: int = MAX_VALUE) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text[:limit]


def _scheme(value: object, language: PageLanguage) -> str:
    if not isinstance(value, Mapping):
        return _text(value)
    title, code, version = value.get("title"), value.get("code"), value.get("version")
    words = _text(title) if isinstance(title, str) else _text(code)
    if isinstance(code, str) and code and code != title:
        words += f" ({_text(code, 60)})"
    if isinstance(version, int) and not isinstance(version, bool):
        words = language.gettext("%(scheme)s, version %(version)s") % {
            "scheme": words,
            "version": version,
        }
    return words


def _day(value: str, language: PageLanguage) -> str:
    day = day_of(value)
    return _text(value) if day is None else format_date(day, language.code)


def _scope_item(value: object) -> str:
    if not isinstance(value, Mapping):
        return _text(value)
    return " ".join(_text(value.get(n), 150) for n in ("code", "title") if value.get(n))


def _in_words(claim: DisclosedClaim, certreg: bool, language: PageLanguage) -> tuple[str, str]:
    path, value = claim.path, claim.value
    if certreg and len(path) == 2 and path[0] == "scope" and isinstance(path[1], int):
        return language.gettext("Scope item"), _scope_item(value)
    name = path[0] if len(path) == 1 and isinstance(path[0], str) else None
    if certreg and name in CERTIFICATION_CLAIMS:
        words = language.gettext(CERTIFICATION_CLAIMS[name].label)
        if name == "scheme":
            return words, _scheme(value, language)
        if name == "valid_from" and isinstance(value, str):
            return words, _day(value, language)
        if name == "valid_until" and isinstance(value, str):
            day = _day(value, language)
            return words, language.gettext("%(day)s (end of day, UTC)") % {"day": day}
        return words, _text(value)
    return " › ".join(_text(p, 60) for p in path)[:100], _text(value)


def disclosed_view(
    disclosed: Sequence[DisclosedClaim],
    claims: Mapping[str, Any] | None,
    language: PageLanguage,
) -> DisclosedView:
    """The page's words, in ``language``, for the claims ``disclosed`` of the credential
    whose processed ``claims`` (issuer, ``vct``) the verifier read."""
    claims = claims or {}
    iss, vct = claims.get("iss"), claims.get("vct")
    certreg = isinstance(iss, str) and vct == iss.rstrip("/") + CERTIFICATION_VCT_PATH
    order = list(CERTIFICATION_CLAIMS)
    ranked = sorted(
        disclosed,
        key=lambda c: order.index(c.path[0]) if certreg and c.path[0] in order else len(order),
    )
    shown = [_in_words(claim, certreg, language) for claim in ranked]
    names = {str(claim.path[0]) for claim in disclosed if claim.path}
    kept_back = [
        language.gettext(words.in_a_sentence)
        for name, words in CERTIFICATION_CLAIMS.items()
        if name not in names
    ]
    given, family = claims.get("given_name"), claims.get("family_name")
    holder = " ".join(n for n in (given, family) if isinstance(n, str) and n) if certreg else ""
    return DisclosedView(
        shown=shown,
        kept_back=kept_back if certreg else [],
        known=certreg,
        holder_name=holder[:200],
    )

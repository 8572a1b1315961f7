"""What a holder hands over, read once for every surface: which format, and the text to verify.

``POST /presentations/verify``, the registry's page for employers and ``certreg verify`` all
start here, so they accept the same forms and refuse the same ones alike:

* a compact ``vp+jwt`` (VC-JOSE-COSE §3.1.2), bare or as ``data:application/vp+jwt,…``
  (plain, or ``;base64``), or inside an ``EnvelopedVerifiablePresentation`` object;
* an SD-JWT presentation (``dc+sd-jwt`` with key binding: the issuer's JWT, disclosures and
  a key binding JWT joined by ``~``), bare or in a ``data:application/dc+sd-jwt`` URL.

:func:`verify_presented` is the one dispatch on the format: a ``vp+jwt`` goes to
:class:`verifier.presentations.PresentationVerifier`; an SD-JWT presentation to its SD-JWT VC
verifier (:attr:`~verifier.presentations.PresentationVerifier.sd_jwt`), key binding required,
its KB-JWT's ``nonce`` checked against the challenge and its ``aud`` against the domain
(:mod:`verifier.sd_jwt_presentation`). Both answer a
:class:`~verifier.presentation_result.PresentationReport`. A presentation in plain
JSON that nothing signs is a verification *result* (``CRYPTOGRAPHIC_SECURITY_ERROR``,
``unsecured``), as it is for a credential; anything else is a request problem
(:class:`verifier.requests.RequestProblem`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from verifier.errors import CryptographicSecurityError
from verifier.presentations import PresentationReport, PresentationVerifier
from verifier.requests import RequestProblem, base64_jws
from verifier.sd_jwt_presentation import check_sd_jwt_presentation

__all__ = ["PresentationFormat", "Presented", "read_presented", "verify_presented"]

VC_CONTEXT_V2 = "https://www.w3.org/ns/credentials/v2"
ENVELOPE_TYPE = "EnvelopedVerifiablePresentation"
PRESENTATION_TYPE = "VerifiablePresentation"


class PresentationFormat(enum.StrEnum):
    VP_JWT = "vp+jwt"
    SD_JWT = "dc+sd-jwt"


_MEDIA_TYPES = {
    "application/vp+jwt": PresentationFormat.VP_JWT,
    "application/dc+sd-jwt": PresentationFormat.SD_JWT,
    "application/vc+sd-jwt": PresentationFormat.SD_JWT,
    "application/vp+sd-jwt": PresentationFormat.SD_JWT,
    "application/sd-jwt": PresentationFormat.SD_JWT,
}


@dataclass(frozen=True, slots=True)
class Presented:
    """A presentation, read: its format and the compact text its verifier takes."""

    presentation_format: PresentationFormat
    text: str


def read_presented(value: object) -> Presented:
    """The format and text of what was presented; see the module for the accepted forms.

    Raises :class:`~verifier.errors.CryptographicSecurityError` (``unsecured``) for a plain
    JSON presentation, and :class:`~verifier.requests.RequestProblem` for anything that is not
    a presentation in a form read here.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("data:"):
            return _data_url(text)
        if "~" in text:
            return Presented(PresentationFormat.SD_JWT, text)
        return Presented(PresentationFormat.VP_JWT, text)
    if not isinstance(value, Mapping):
        raise RequestProblem(
            "validation-failed",
            "a presentation is an EnvelopedVerifiablePresentation object or a compact string",
        )
    types = value.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or ENVELOPE_TYPE not in types:
        if isinstance(types, list) and PRESENTATION_TYPE in types and "proof" not in value:
            raise CryptographicSecurityError(
                "the presentation is not secured: nothing signs it, so it proves nothing about "
                "who presents it; ask the holder for a signed presentation (vp+jwt or "
                "dc+sd-jwt)",
                reason="unsecured",
            )
        raise RequestProblem(
            "unsupported-presentation-format",
            "only presentations secured as vp+jwt or dc+sd-jwt are verified here; embedded "
            "Data Integrity proofs are not",
        )
    context = value.get("@context", VC_CONTEXT_V2)
    first = context[0] if isinstance(context, list) and context else context
    if first != VC_CONTEXT_V2:
        raise RequestProblem("validation-failed", f"@context must start with {VC_CONTEXT_V2}")
    url = value.get("id")
    if not isinstance(url, str) or not url.startswith("data:"):
        raise RequestProblem("validation-failed", "the envelope's id is a data: URL")
    return _data_url(url)


def _data_url(url: str) -> Presented:
    media, comma, data = url[5:].partition(",")
    if not comma:
        raise RequestProblem("validation-failed", "the data: URL has no comma")
    media = media.lower()
    encoded = media.endswith(";base64")
    media = media.removesuffix(";base64")
    known = _MEDIA_TYPES.get(media)
    if known is None:
        raise RequestProblem(
            "unsupported-presentation-format",
            f"presentations of media type {media[:60]!r} are not verified here",
        )
    return Presented(known, base64_jws(data) if encoded else data)


def verify_presented(
    presented: Presented,
    *,
    presentations: PresentationVerifier,
    nonce: str,
    audience: str,
    now: datetime,
) -> PresentationReport:
    """Verify ``presented`` with the verifier of its format, against the expected nonce
    (challenge) and audience (domain); an SD-JWT presentation given to a
    :class:`PresentationVerifier` without an SD-JWT VC verifier is a
    :class:`~verifier.requests.RequestProblem`."""
    if presented.presentation_format is PresentationFormat.VP_JWT:
        return presentations.check(presented.text, nonce=nonce, audience=audience, now=now)
    if presentations.sd_jwt is None:
        raise RequestProblem(
            "unsupported-presentation-format",
            "SD-JWT presentations (dc+sd-jwt) are not verified by this verifier: ask the "
            "holder for a vp+jwt presentation",
        )
    return check_sd_jwt_presentation(
        presentations.sd_jwt, presented.text, nonce=nonce, audience=audience, now=now
    )

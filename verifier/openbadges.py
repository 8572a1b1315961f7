"""Open Badges 3.0's own VC-JWT form, accepted for an Open Badge and for nothing else.

A VC 2.0 credential secured as a JWT says what it is in its header (VC-JOSE-COSE:
``typ: vc+jwt``, ``cty: vc``), and the verifier refuses a JWT of another kind. Open Badges
3.0 profiles the same securing differently (OB 3.0, "JSON Web Token Proof Format"): the
header holds ``alg``, ``kid`` (or ``jwk``) and, optionally, ``typ``, which must then be
``JWT``, and no other parameter; the payload is the ``OpenBadgeCredential`` plus JWT claims
that repeat its members — ``iss`` (``issuer.id``), ``jti`` (``id``), ``sub``
(``credentialSubject.id``), ``nbf`` (``validFrom``), all required, and ``exp``
(``validUntil``) whenever the credential has one. OB's verifiers must check each of them.

So a token whose ``typ`` is ``JWT`` or absent is read as a credential only when its payload
is an Open Badge — typed ``OpenBadgeCredential`` or ``AchievementCredential`` (OB's two
names for it) under OB 3.0's context — and its header has nothing but ``alg``, ``kid`` and
``typ`` (:func:`check_header`, before the signature, like every media-type check). Once the
signature holds, every mirrored claim must be present and equal to its member
(:func:`check_claims`), so a badge whose claims say one thing and whose credential another
is refused rather than read either way. Certificates and everything else keep ``vc+jwt``.

The header check raises :class:`~verifier.errors.CryptographicSecurityError` (reason
``media-type``), the claims check :class:`~verifier.errors.MalformedValueError` with the
claim's name as its reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from verifier.errors import CryptographicSecurityError, MalformedValueError
from verifier.timestamps import instant

__all__ = ["HEADER_MEMBERS", "OB_CONTEXT", "OB_TYPES", "check_claims", "check_header"]

OB_TYPES = ("OpenBadgeCredential", "AchievementCredential")
HEADER_MEMBERS = frozenset({"alg", "kid", "typ"})
"""OB also allows ``jwk`` in place of ``kid``; the verifier takes keys from the issuer's
DID document only, so a ``jwk`` header is refused like any other parameter."""
OB_CONTEXT = re.compile(r"https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d+\.\d+)?\.json")
"""OB 3.0's context, as the second ``@context`` item (its versioned or unversioned URL)."""


def _is_open_badge(payload: Mapping[str, Any]) -> bool:
    types = payload.get("type")
    types = [types] if isinstance(types, str) else types
    context = payload.get("@context")
    return (
        isinstance(types, list)
        and any(name in types for name in OB_TYPES)
        and isinstance(context, list)
        and len(context) > 1
        and isinstance(context[1], str)
        and OB_CONTEXT.fullmatch(context[1]) is not None
    )


def check_header(header: Mapping[str, Any], payload: Mapping[str, Any]) -> None:
    """Raise unless ``header`` is OB's VC-JWT header and ``payload`` an Open Badge."""
    typ = header.get("typ", "JWT")
    if not isinstance(typ, str) or typ != "JWT" or not _is_open_badge(payload):
        raise CryptographicSecurityError(
            "the JWS typ must be vc+jwt (a JWT of another kind is not a credential; "
            "only an Open Badge may be typed JWT)",
            reason="media-type",
        )
    extra = set(header) - HEADER_MEMBERS
    if extra:
        raise CryptographicSecurityError(
            "an Open Badge's JOSE header has only alg, kid and typ (OB 3.0 VC-JWT), not "
            f"{sorted(extra)[0][:40]!r}",
            reason="media-type",
        )


def _fail(claim: str, detail: str) -> MalformedValueError:
    return MalformedValueError(f"{claim} must {detail} (OB 3.0 VC-JWT)", reason=claim)


def _same_instant(claim: object, stamp: object) -> bool:
    """A NumericDate equal to a dateTimeStamp, to the second or exactly."""
    if isinstance(claim, bool) or not isinstance(claim, int | float):
        return False
    try:
        when = instant(stamp)
    except ValueError:
        return False
    return claim in (when.seconds, when.timestamp())


def check_claims(payload: Mapping[str, Any]) -> None:
    """Raise unless every JWT claim OB requires is present and equals the member it repeats.

    Runs after the VC 2.0 checks, so ``issuer`` and the dates are already well formed.
    """
    issuer = payload.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if "iss" not in payload or payload["iss"] != issuer_id:
        raise _fail("iss", "be present and equal issuer.id")
    if "jti" not in payload or payload["jti"] != payload.get("id"):
        raise _fail("jti", "be present and equal the credential's id")
    subject = payload.get("credentialSubject")
    subject_id = subject.get("id") if isinstance(subject, Mapping) else None
    if subject_id is None or "sub" not in payload or payload["sub"] != subject_id:
        raise _fail("sub", "be present and equal credentialSubject.id (a single subject's)")
    if not _same_instant(payload.get("nbf"), payload.get("validFrom")):
        raise _fail("nbf", "be present and equal validFrom")
    if "validUntil" in payload:
        if not _same_instant(payload.get("exp"), payload["validUntil"]):
            raise _fail("exp", "be present and equal validUntil")
    elif "exp" in payload:
        raise _fail("exp", "repeat validUntil, which the credential does not have")

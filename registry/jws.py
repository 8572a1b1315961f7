"""The registry's view of :mod:`verifier.jws`: the same strict JWS code, registry errors.

The registry verifies but never signs. It uses the verifier's JWS parser and signature
check (one implementation of the strict rules, not two) and turns the verifier's refusals
into the :class:`~registry.errors.PublicationRefused` kinds the intake reports to the issuer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from registry.errors import (
    BadSignature,
    InvalidKeys,
    InvalidPayload,
    JwsTooLarge,
    MalformedJws,
    PublicationRefused,
    UnsupportedAlgorithm,
)
from verifier import jws as _jws
from verifier.errors import CryptographicSecurityError, ParsingError, VerificationError
from verifier.jws import (
    ALLOWED_ALGORITHMS,
    MAX_COMPACT_BYTES,
    PRIVATE_MEMBERS,
    CompactJws,
    PublicKey,
)

__all__ = [
    "ALLOWED_ALGORITHMS",
    "MAX_COMPACT_BYTES",
    "PRIVATE_MEMBERS",
    "CompactJws",
    "b64url_decode",
    "parse_compact",
    "public_key",
    "verify_signature",
]

_T = TypeVar("_T")
_BY_REASON: dict[tuple[type[VerificationError], str], type[PublicationRefused]] = {
    (ParsingError, "too-large"): JwsTooLarge,
    (ParsingError, "malformed"): MalformedJws,
    (ParsingError, "payload"): InvalidPayload,
    (CryptographicSecurityError, "algorithm"): UnsupportedAlgorithm,
    (CryptographicSecurityError, "key"): InvalidKeys,
    (CryptographicSecurityError, "signature"): BadSignature,
}


def _registry_errors(call: Callable[[], _T]) -> _T:
    try:
        return call()
    except VerificationError as exc:
        refused = _BY_REASON.get((type(exc), exc.reason), MalformedJws)
        raise refused(exc.detail) from exc


def b64url_decode(text: str) -> bytes:
    """Strict base64url (see :func:`verifier.jws.b64url_decode`)."""
    return _registry_errors(lambda: _jws.b64url_decode(text))


def parse_compact(compact: str, *, max_bytes: int = MAX_COMPACT_BYTES) -> CompactJws:
    """Split and decode ``compact``; the header is checked, the signature is not."""
    return _registry_errors(lambda: _jws.parse_compact(compact, max_bytes=max_bytes))


def public_key(jwk: Mapping[str, Any]) -> PublicKey:
    """The public key of a P-256 or Ed25519 JWK; private members are refused."""
    return _registry_errors(lambda: _jws.public_key(jwk))


def verify_signature(jws: CompactJws, jwk: Mapping[str, Any]) -> None:
    """Raise unless ``jws`` is signed by ``jwk`` with an algorithm that suits the key."""
    _registry_errors(lambda: _jws.verify_signature(jws, jwk))

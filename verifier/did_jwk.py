"""``did:jwk`` identifiers: a public key written as a DID, resolved without fetching anything.

A holder who signs a presentation needs a DID a verifier can check without asking a server
anyone could name; ``did:jwk`` (the did:jwk method specification) is exactly the key:
``did:jwk:<base64url of the JWK's JSON>``, whose one verification method is ``#0``. Reading
one is pure arithmetic on the string, so the verifier resolves it offline and can never be
made to fetch an address of the presenter's choosing. The key must be a public P-256 or
Ed25519 key (:func:`verifier.jws.public_key`); a JWK carrying private members is refused.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from verifier import jws
from verifier.errors import CryptographicSecurityError, ParsingError

__all__ = ["DID_JWK_PREFIX", "did_jwk_for", "did_jwk_key", "is_did_jwk"]

DID_JWK_PREFIX = "did:jwk:"
MAX_DID_JWK_LENGTH = 1024
"""A P-256 or Ed25519 JWK is about 120 bytes of JSON; far longer is not a key we read."""
_KEY_MEMBERS = ("crv", "kty", "x", "y")


def is_did_jwk(value: object) -> bool:
    return isinstance(value, str) and value.startswith(DID_JWK_PREFIX)


def did_jwk_key(did_url: str) -> tuple[str, dict[str, Any], jws.PublicKey]:
    """The DID, its JWK and its public key, from a ``did:jwk`` DID or DID URL.

    The fragment, when there is one, must be ``0``: the method defines no other
    verification method, so any other names nothing this DID controls.
    """
    if len(did_url) > MAX_DID_JWK_LENGTH or not is_did_jwk(did_url):
        raise CryptographicSecurityError("not a did:jwk identifier", reason="holder-key")
    did, hashed, fragment = did_url.partition("#")
    if hashed and fragment != "0":
        raise CryptographicSecurityError(
            "a did:jwk has one verification method, #0", reason="holder-key"
        )
    try:
        raw = jws.b64url_decode(did.removeprefix(DID_JWK_PREFIX))
        jwk = json.loads(raw.decode("utf-8"))
    except (ParsingError, ValueError, RecursionError) as exc:
        raise CryptographicSecurityError(
            "the did:jwk does not hold a JWK in base64url", reason="holder-key"
        ) from exc
    if not isinstance(jwk, dict):
        raise CryptographicSecurityError("the did:jwk does not hold a JWK", reason="holder-key")
    return did, jwk, jws.public_key(jwk)


def did_jwk_for(jwk: Mapping[str, Any]) -> str:
    """The ``did:jwk`` of a public JWK: its key members only, in a canonical order, so one
    key has one DID whatever other members (``kid``, ``alg``, ``use``) it was given with."""
    members = {name: jwk[name] for name in _KEY_MEMBERS if name in jwk}
    text = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return DID_JWK_PREFIX + base64.urlsafe_b64encode(text).rstrip(b"=").decode("ascii")

"""A wallet's key proof (OpenID4VCI 1.0 Appendix F.1), checked before anything is signed.

The proof is a JWT the wallet signs with the key the credential is to be bound to. It is
accepted only when all of this holds, in this order (the first failure names the error):

* at most :data:`MAX_PROOF_CHARS` characters, a compact JWS with a JSON header and payload;
* header ``typ`` is ``openid4vci-proof+jwt``, ``alg`` is ES256 or EdDSA (never ``none``, an
  HMAC or RSA), and it names its key by exactly one of ``jwk`` (a public key: a JWK with a
  private member is refused) or ``kid`` (a ``did:jwk`` DID URL); ``x5c`` and key
  attestations are not supported;
* the signature verifies with that key (a proof signed by another key fails);
* ``aud`` is the credential issuer identifier (the deployment's base URL);
* ``iat`` is a number no older than ``max_age`` seconds and not more than a minute ahead;
* ``nonce`` is a string: whether it is an unused ``c_nonce`` the caller checks, since using
  it is a write.

All but the last are ``invalid_proof``; a missing nonce is ``invalid_nonce``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from issuer.process.wallet_configurations import PROOF_ALGORITHMS
from issuer.process.wallet_errors import WalletRefusal
from verifier import jws
from verifier.errors import VerificationError

__all__ = ["MAX_PROOF_CHARS", "PROOF_TYP", "CheckedProof", "check_proof"]

PROOF_TYP = "openid4vci-proof+jwt"
MAX_PROOF_CHARS = 8192
"""A proof is a header with a public key, three claims and a signature: well under 2 KiB."""
_FUTURE_SKEW_SECONDS = 60
_DID_JWK = "did:jwk:"
_KEY_MEMBERS = {"EC": ("kty", "crv", "x", "y"), "OKP": ("kty", "crv", "x")}


@dataclass(frozen=True, slots=True)
class CheckedProof:
    """A proof whose signature and claims hold: the holder's public key and its nonce."""

    holder_jwk: dict[str, Any]
    nonce: str


def _invalid(description: str) -> WalletRefusal:
    return WalletRefusal("invalid_proof", description)


def _did_jwk_key(kid: object) -> dict[str, Any]:
    if not isinstance(kid, str) or not kid.startswith(_DID_JWK) or len(kid) > 1000:
        raise _invalid("kid must be a did:jwk DID URL")
    encoded = kid[len(_DID_JWK) :].removesuffix("#0")
    try:
        key = json.loads(jws.b64url_decode(encoded))
    except (VerificationError, ValueError) as exc:
        raise _invalid("the did:jwk in kid does not hold a JWK") from exc
    if not isinstance(key, dict):
        raise _invalid("the did:jwk in kid does not hold a JWK")
    return key


def _holder_key(header: dict[str, Any]) -> dict[str, Any]:
    for unsupported in ("x5c", "trust_chain", "key_attestation"):
        if unsupported in header:
            raise _invalid(f"proofs with {unsupported} are not supported: use jwk or kid")
    if ("jwk" in header) == ("kid" in header):
        raise _invalid("the proof header must name its key by exactly one of jwk and kid")
    key = header["jwk"] if "jwk" in header else _did_jwk_key(header["kid"])
    if not isinstance(key, dict):
        raise _invalid("jwk must be a JSON object")
    return key


def _public_members(key: dict[str, Any]) -> dict[str, Any]:
    """The members that define the key, as the credential will name it."""
    return {m: key[m] for m in _KEY_MEMBERS[key["kty"]]}


def _check_claims(payload: dict[str, Any], *, audience: str, now: datetime, max_age: int) -> str:
    aud = payload.get("aud")
    if not (aud == audience or (isinstance(aud, list) and audience in aud and len(aud) <= 10)):
        raise _invalid(f"aud must be the credential issuer {audience}")
    iat = payload.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise _invalid("iat must be a NumericDate")
    moment = now.timestamp()
    if iat < moment - max_age or iat > moment + _FUTURE_SKEW_SECONDS:
        raise _invalid(f"iat must be within the last {max_age} seconds")
    nonce = payload.get("nonce")
    if not isinstance(nonce, str) or not nonce or len(nonce) > 200:
        raise WalletRefusal(
            "invalid_nonce", "the proof must carry a c_nonce from the nonce endpoint"
        )
    return nonce


def check_proof(proof: object, *, audience: str, now: datetime, max_age: int) -> CheckedProof:
    """The holder key and nonce of ``proof`` once everything above holds; else raise
    :class:`WalletRefusal` (``invalid_proof`` or ``invalid_nonce``)."""
    if not isinstance(proof, str) or len(proof) > MAX_PROOF_CHARS:
        raise _invalid(f"a proof is a compact JWT of at most {MAX_PROOF_CHARS} characters")
    try:
        parsed = jws.parse_compact(
            proof,
            max_bytes=MAX_PROOF_CHARS,
            algorithms=frozenset(PROOF_ALGORITHMS),
            require_kid=False,
        )
    except VerificationError as exc:
        raise _invalid(f"the proof is not a JWT signed with {', '.join(PROOF_ALGORITHMS)}") from exc
    if parsed.header.get("typ") != PROOF_TYP:
        raise _invalid(f"the proof's typ must be {PROOF_TYP}")
    key = _holder_key(parsed.header)
    try:
        jws.verify_with_key(parsed, jws.public_key(key), key_alg=key.get("alg"))
    except VerificationError as exc:
        raise _invalid(
            "the proof is not signed by the key it names, or the key is not a "
            "public P-256 or Ed25519 key"
        ) from exc
    nonce = _check_claims(parsed.payload, audience=audience, now=now, max_age=max_age)
    return CheckedProof(holder_jwk=_public_members(key), nonce=nonce)

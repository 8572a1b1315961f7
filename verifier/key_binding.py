"""Key binding of an SD-JWT presentation (RFC 9901 §4.3 and §7.3).

A holder proves that the SD-JWT VC is theirs by signing a Key Binding JWT with the key the
issuer put in the credential's ``cnf``; the KB-JWT names the verifier (``aud``), the
verifier's one-time ``nonce``, when it was made (``iat``) and the digest of exactly what
was presented (``sd_hash`` over ``<issuer JWT>~<disclosures>~``). Each check stops a
different theft:

* a copied presentation replayed to another verifier fails ``aud``;
* one replayed to the same verifier later fails ``nonce`` (and ``iat``'s window);
* disclosures added, dropped or swapped after the holder signed fail ``sd_hash``;
* a stolen SD-JWT presented by someone without the holder's private key fails the signature.

A credential without ``cnf`` cannot be key-bound at all; whether binding is *required* is
the verifier's choice (RFC 9901 §7.3), never decided by whether a KB-JWT happens to be sent.
Every failure is a :class:`~verifier.errors.CryptographicSecurityError` with a ``kb-…``
reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from schemas.sd_jwt import SdJwt
from verifier import jws
from verifier.errors import CryptographicSecurityError, VerificationError

__all__ = ["DEFAULT_MAX_AGE", "KB_JWT_TYPE", "check_key_binding", "holder_key"]

KB_JWT_TYPE = "kb+jwt"
DEFAULT_MAX_AGE = timedelta(minutes=5)
"""How old a KB-JWT may be: a wallet signs it when it answers the verifier's request."""


def _refuse(detail: str, reason: str) -> CryptographicSecurityError:
    return CryptographicSecurityError(detail, reason=reason)


def holder_key(claims: Mapping[str, Any]) -> tuple[jws.PublicKey, object]:
    """The holder's public key from ``cnf.jwk`` (RFC 7800 §3.2), and its JWK ``alg``."""
    cnf = claims.get("cnf")
    if cnf is None:
        raise _refuse("the credential names no holder key (cnf): it cannot be key-bound", "no-cnf")
    jwk = cnf.get("jwk") if isinstance(cnf, Mapping) else None
    if not isinstance(jwk, Mapping):
        raise _refuse("the credential's cnf holds no jwk, the only form read here", "kb-cnf")
    try:
        return jws.public_key(jwk), jwk.get("alg")
    except VerificationError as exc:
        raise _refuse(f"the holder key in cnf cannot be used: {exc.detail}", "kb-cnf") from exc


def check_key_binding(
    sd_jwt: SdJwt,
    claims: Mapping[str, Any],
    *,
    nonce: str,
    audience: str,
    algorithms: frozenset[str],
    leeway_seconds: int,
    now: datetime,
    max_age: timedelta = DEFAULT_MAX_AGE,
) -> None:
    """Raise unless ``sd_jwt`` ends with a KB-JWT the credential's holder signed for this
    ``audience`` and ``nonce``, recently, over exactly what was presented."""
    if sd_jwt.key_binding_jwt is None:
        raise _refuse(
            "the presentation is not key-bound, and this verifier requires it", "kb-missing"
        )
    key, key_alg = holder_key(claims)
    try:
        kb = jws.parse_compact(sd_jwt.key_binding_jwt, algorithms=algorithms, require_kid=False)
    except VerificationError as exc:
        raise _refuse(f"the key binding JWT cannot be read: {exc.detail}", "kb-malformed") from exc
    if kb.header.get("typ") != KB_JWT_TYPE:
        raise _refuse("the key binding JWT is not typed kb+jwt", "kb-typ")
    try:
        jws.verify_with_key(kb, key, key_alg=key_alg)
    except VerificationError as exc:
        raise _refuse(
            f"the key binding JWT is not signed by the holder key in cnf: {exc.detail}",
            "kb-signature",
        ) from exc
    payload = kb.payload
    iat = payload.get("iat")
    if isinstance(iat, bool) or not isinstance(iat, int | float):
        raise _refuse("the key binding JWT has no iat", "kb-iat")
    stamp, leeway = now.timestamp(), float(leeway_seconds)
    if iat > stamp + leeway or iat < stamp - max_age.total_seconds() - leeway:
        raise _refuse(
            f"the key binding JWT was not made within {int(max_age.total_seconds())} s of now",
            "kb-iat",
        )
    if payload.get("aud") != audience:
        raise _refuse("the key binding JWT is addressed to another verifier (aud)", "kb-audience")
    if payload.get("nonce") != nonce:
        raise _refuse("the key binding JWT answers another request (nonce)", "kb-nonce")
    if payload.get("sd_hash") != sd_jwt.sd_hash:
        raise _refuse(
            "the key binding JWT was signed over other disclosures than those presented (sd_hash)",
            "kb-sd-hash",
        )

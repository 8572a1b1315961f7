"""Just enough JWS (RFC 7515 compact serialization) to check what the issuer signed.

The registry verifies but never signs, so this module holds public keys only, and refuses
anything it was not built for rather than guessing: algorithms outside the allow-list
(``none``, HMAC, RSA…), ``crit`` extensions, non-canonical or padded base64url, duplicate
JSON members, and bodies over a size cap. Keys arrive as public JWKs; a JWK carrying any
private member is refused outright, since a published private key is a compromised key.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from registry.errors import (
    BadSignature,
    InvalidKeys,
    InvalidPayload,
    JwsTooLarge,
    MalformedJws,
    UnsupportedAlgorithm,
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

ALLOWED_ALGORITHMS = frozenset({"ES256", "EdDSA"})
MAX_COMPACT_BYTES = 4 * 1024 * 1024
"""The same cap as :class:`schemas.publication.Publication` puts on a body."""
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "k"})

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
PublicKey = ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


@dataclass(frozen=True, slots=True)
class CompactJws:
    """A parsed, not yet verified, JWS: header and payload are JSON objects."""

    header: dict[str, Any]
    payload: dict[str, Any]
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> str:
        alg: str = self.header["alg"]
        return alg

    @property
    def kid(self) -> str:
        kid: str = self.header["kid"]
        return kid


def b64url_decode(text: str) -> bytes:
    """Strict base64url: the URL-safe alphabet, no padding, canonical trailing bits."""
    if not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise MalformedJws("not base64url without padding")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:  # pragma: no cover - the regex rules it out
        raise MalformedJws("not base64url") from exc
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != text:
        raise MalformedJws("base64url with non-zero trailing bits")
    return raw


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            raise ValueError(f"duplicate member {name[:40]!r}")
        result[name] = value
    return result


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _json(raw: bytes) -> Any:
    return json.loads(
        raw.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_refuse_constant
    )


def parse_compact(compact: str, *, max_bytes: int = MAX_COMPACT_BYTES) -> CompactJws:
    """Split and decode ``compact``; the header is checked, the signature is not."""
    if len(compact) > max_bytes:
        raise JwsTooLarge(f"the JWS exceeds {max_bytes} bytes")
    parts = compact.split(".")
    if len(parts) != 3 or not all(parts[:2]) or not parts[2]:
        raise MalformedJws("a compact JWS has three non-empty parts")
    try:
        header = _json(b64url_decode(parts[0]))
    except (ValueError, RecursionError) as exc:
        raise MalformedJws("the protected header is not JSON") from exc
    if not isinstance(header, dict):
        raise MalformedJws("the protected header is not a JSON object")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in ALLOWED_ALGORITHMS:
        raise UnsupportedAlgorithm(f"alg must be one of {sorted(ALLOWED_ALGORITHMS)}")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 200:
        raise MalformedJws("the protected header needs a kid")
    if "crit" in header or "b64" in header:
        raise MalformedJws("JWS extensions (crit, b64) are not supported")
    payload_bytes = b64url_decode(parts[1])
    signature = b64url_decode(parts[2])
    try:
        payload = _json(payload_bytes)
    except (ValueError, RecursionError) as exc:
        raise InvalidPayload("the payload is not JSON") from exc
    if not isinstance(payload, dict):
        raise InvalidPayload("the payload is not a JSON object")
    return CompactJws(
        header=header,
        payload=payload,
        signing_input=f"{parts[0]}.{parts[1]}".encode("ascii"),
        signature=signature,
    )


def _member(jwk: Mapping[str, Any], name: str, size: int) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise InvalidKeys(f"the JWK lacks {name}")
    try:
        raw = b64url_decode(value)
    except MalformedJws as exc:
        raise InvalidKeys(f"the JWK member {name} is not base64url") from exc
    if len(raw) != size:
        raise InvalidKeys(f"the JWK member {name} has the wrong length")
    return raw


def public_key(jwk: Mapping[str, Any]) -> PublicKey:
    """The public key of a P-256 or Ed25519 JWK; private members are refused."""
    if not isinstance(jwk, Mapping):
        raise InvalidKeys("a JWK is a JSON object")
    leaked = PRIVATE_MEMBERS & set(jwk)
    if leaked:
        raise InvalidKeys(f"a published JWK carries private members {sorted(leaked)}")
    kty, crv = jwk.get("kty"), jwk.get("crv")
    if kty == "EC" and crv == "P-256":
        x = int.from_bytes(_member(jwk, "x", 32), "big")
        y = int.from_bytes(_member(jwk, "y", 32), "big")
        try:
            return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()
        except ValueError as exc:
            raise InvalidKeys("the EC point is not on P-256") from exc
    if kty == "OKP" and crv == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(_member(jwk, "x", 32))
    raise InvalidKeys("only EC P-256 and OKP Ed25519 keys are supported")


def verify_signature(jws: CompactJws, jwk: Mapping[str, Any]) -> None:
    """Raise unless ``jws`` is signed by ``jwk`` with an algorithm that suits the key."""
    key = public_key(jwk)
    if jwk.get("alg") not in (None, jws.alg):
        raise UnsupportedAlgorithm("the JWS alg differs from the key's alg")
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            if jws.alg != "EdDSA":
                raise UnsupportedAlgorithm("an Ed25519 key signs only EdDSA")
            key.verify(jws.signature, jws.signing_input)
            return
        if jws.alg != "ES256":
            raise UnsupportedAlgorithm("a P-256 key signs only ES256")
        if len(jws.signature) != 64:
            raise BadSignature("an ES256 signature is 64 bytes (R‖S)")
        r = int.from_bytes(jws.signature[:32], "big")
        s = int.from_bytes(jws.signature[32:], "big")
        key.verify(encode_dss_signature(r, s), jws.signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise BadSignature("the signature does not verify") from exc

"""The only module that touches private keys.

It generates signing keys (ES256 on P-256 by default, Ed25519 as ``EdDSA``), keeps them
encrypted at rest with the passphrase from settings (scrypt-derived key, AES-256-GCM over the
PKCS#8 DER, the ``kid`` as associated data so a blob cannot be swapped onto another key), and
signs JWS compact serializations for whatever :mod:`issuer.issuance` and :mod:`issuer.status`
hand it. Nothing else in certreg ever sees a private key object or its bytes in clear.

The ``kid`` of every key is its RFC 7638 JWK thumbprint (SHA-256, base64url), so anyone can
recompute it from the published public key.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

__all__ = [
    "Algorithm",
    "GeneratedKey",
    "KeyDecryptionError",
    "LoadedSigner",
    "Signer",
    "b64url",
    "generate_key",
    "jwk_thumbprint",
    "load_signer",
    "sign_compact",
]


class Algorithm(enum.StrEnum):
    ES256 = "ES256"
    EDDSA = "EdDSA"


class KeyDecryptionError(Exception):
    """The stored key could not be decrypted: wrong passphrase or damaged bytes."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_THUMBPRINT_MEMBERS = {"EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}


def jwk_thumbprint(jwk: dict[str, Any]) -> str:
    """RFC 7638: SHA-256 over the required members, sorted, without whitespace."""
    members = _THUMBPRINT_MEMBERS[jwk["kty"]]
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode("utf-8")).digest())


def _public_jwk(private: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey) -> dict[str, Any]:
    if isinstance(private, ed25519.Ed25519PrivateKey):
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        jwk: dict[str, Any] = {"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}
        alg = Algorithm.EDDSA
    else:
        numbers = private.public_key().public_numbers()
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(32, "big")),
            "y": b64url(numbers.y.to_bytes(32, "big")),
        }
        alg = Algorithm.ES256
    kid = jwk_thumbprint(jwk)
    return {**jwk, "alg": alg.value, "kid": kid, "use": "sig"}


@dataclass(frozen=True, slots=True)
class GeneratedKey:
    """A new key as the store keeps it: public JWK in clear, private key encrypted."""

    kid: str
    alg: Algorithm
    public_jwk: dict[str, Any]
    encrypted_private_key: bytes


_BLOB_VERSION = b"certreg-key-v1:"
_SCRYPT_N = 2**15


def _wrapping_key(passphrase: bytes, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=8, p=1).derive(passphrase)


def _encrypt(der: bytes, *, kid: str, passphrase: bytes) -> bytes:
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_wrapping_key(passphrase, salt)).encrypt(nonce, der, kid.encode("ascii"))
    return _BLOB_VERSION + salt + nonce + sealed


def _decrypt(blob: bytes, *, kid: str, passphrase: bytes) -> bytes:
    if not blob.startswith(_BLOB_VERSION):
        raise KeyDecryptionError(f"stored key {kid} is not in a format this version reads")
    body = blob[len(_BLOB_VERSION) :]
    salt, nonce, sealed = body[:16], body[16:28], body[28:]
    try:
        return AESGCM(_wrapping_key(passphrase, salt)).decrypt(nonce, sealed, kid.encode("ascii"))
    except InvalidTag as exc:
        raise KeyDecryptionError(f"cannot decrypt signing key {kid}: wrong passphrase?") from exc


def generate_key(alg: Algorithm, *, passphrase: bytes) -> GeneratedKey:
    """A fresh key from the operating system's CSPRNG, encrypted with ``passphrase``."""
    if not passphrase:
        raise ValueError("a passphrase is required to keep the private key encrypted at rest")
    private: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey
    private = (
        ed25519.Ed25519PrivateKey.generate()
        if alg is Algorithm.EDDSA
        else ec.generate_private_key(ec.SECP256R1())
    )
    jwk = _public_jwk(private)
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    blob = _encrypt(der, kid=jwk["kid"], passphrase=passphrase)
    return GeneratedKey(kid=jwk["kid"], alg=alg, public_jwk=jwk, encrypted_private_key=blob)


class Signer(Protocol):
    """What issuance and status publication may ask of a key: its identity and a signature."""

    @property
    def kid(self) -> str: ...

    @property
    def alg(self) -> Algorithm: ...

    def sign(self, signing_input: bytes) -> bytes:
        """The JWS signature (raw R‖S for ES256) over ``signing_input``."""
        ...


class LoadedSigner:
    """A decrypted key held in memory for signing; it never exposes the key itself."""

    __slots__ = ("_alg", "_key", "_kid")

    def __init__(self, *, kid: str, alg: Algorithm, key: Any) -> None:
        self._kid = kid
        self._alg = alg
        self._key = key

    @property
    def kid(self) -> str:
        return self._kid

    @property
    def alg(self) -> Algorithm:
        return self._alg

    def sign(self, signing_input: bytes) -> bytes:
        if self._alg is Algorithm.EDDSA:
            signature: bytes = self._key.sign(signing_input)
            return signature
        r, s = decode_dss_signature(self._key.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def __repr__(self) -> str:
        return f"LoadedSigner(kid={self._kid!r}, alg={self._alg.value!r})"


def load_signer(
    *, kid: str, alg: Algorithm, encrypted_private_key: bytes, passphrase: bytes
) -> LoadedSigner:
    der = _decrypt(encrypted_private_key, kid=kid, passphrase=passphrase)
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError) as exc:
        raise KeyDecryptionError(f"stored key {kid} is damaged") from exc
    expected = ed25519.Ed25519PrivateKey if alg is Algorithm.EDDSA else ec.EllipticCurvePrivateKey
    if not isinstance(key, expected) or _public_jwk(key)["kid"] != kid:
        raise KeyDecryptionError(f"stored key {kid} does not match its record")
    return LoadedSigner(kid=kid, alg=alg, key=key)


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_compact(*, header: dict[str, Any], payload: dict[str, Any], signer: Signer) -> str:
    """JWS compact serialization; ``alg`` and ``kid`` always come from the signer."""
    protected = {**header, "alg": signer.alg.value, "kid": signer.kid}
    signing_input = f"{b64url(_json(protected))}.{b64url(_json(payload))}"
    signature = signer.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"

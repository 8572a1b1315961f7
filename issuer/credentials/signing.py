"""The only module that touches private keys.

It generates signing keys (ES256 on P-256 by default, Ed25519 as ``EdDSA``), keeps them
encrypted at rest with the passphrase from settings (scrypt-derived key, AES-256-GCM over the
PKCS#8 DER, the ``kid`` as associated data so a blob cannot be swapped onto another key), and
signs JWS compact serializations for whatever :mod:`issuer.credentials.issuance` and
:mod:`issuer.credentials.status` hand it. Nothing else in certreg ever sees a private key object or
its bytes in clear.

The ``kid`` of every key is its RFC 7638 JWK thumbprint (SHA-256, base64url), so anyone can
recompute it from the published public key; storage and the audit log know keys by it (it is
also the associated data of the encrypted blob). On the wire a JWS names its key by the DID
URL of its verification method, ``<issuer DID>#<thumbprint>`` (VC-JOSE-COSE §4): every
signing function takes the issuer's ``did`` and writes that ``kid`` itself, so no caller can
name another key than the one that signs. SD-JWT VCs and Token Status List tokens are found
by their keys in a JWK Set (``/.well-known/jwt-vc-issuer``), so
:func:`sign_compact_by_thumbprint` writes the bare thumbprint instead, still the signer's.

Holders' public keys are checked here too (:func:`holder_public_jwk`), since checking that a
point lies on its curve needs the same parts of ``cryptography``.
"""

from __future__ import annotations

import enum
import hashlib
import json
import multiprocessing
import os
import re
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import pybase64
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from issuer.credentials.identity import verification_method_id
from issuer.lifeline import die_with_parent

__all__ = [
    "Algorithm",
    "GeneratedKey",
    "HolderKeyError",
    "KeyDecryptionError",
    "LoadedSigner",
    "PendingSignatures",
    "Signer",
    "SignerHandOver",
    "SigningPool",
    "b64url",
    "generate_key",
    "holder_public_jwk",
    "jwk_thumbprint",
    "load_signer",
    "sign_compact",
    "sign_compact_by_thumbprint",
    "sign_compact_many",
]


class Algorithm(enum.StrEnum):
    ES256 = "ES256"
    EDDSA = "EdDSA"


_ES256 = ec.ECDSA(hashes.SHA256())
"""Immutable: one instance serves every ES256 signature (bulk issuance makes thousands a
second, and building it anew each time was measurable)."""


class KeyDecryptionError(Exception):
    """The stored key could not be decrypted: wrong passphrase or damaged bytes."""


def b64url(data: bytes) -> str:
    """base64url without padding; ``pybase64`` encodes a credential's payload in a third of
    the time of the standard library (bulk issuance encodes two texts per credential)."""
    return pybase64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


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
    blob = _encrypt(_private_der(private), kid=jwk["kid"], passphrase=passphrase)
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
        r, s = decode_dss_signature(self._key.sign(signing_input, _ES256))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def hand_over(self) -> SignerHandOver:
        """The key on its way to a process of certreg's own (see :class:`SignerHandOver`)."""
        return SignerHandOver(kid=self._kid, alg=self._alg, _der=_private_der(self._key))

    def __repr__(self) -> str:
        return f"LoadedSigner(kid={self._kid!r}, alg={self._alg.value!r})"


def _private_der(key: Any) -> bytes:
    der: bytes = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return der


@dataclass(frozen=True, slots=True, repr=False)
class SignerHandOver:
    """A loaded key handed to a process that certreg starts for itself (a bulk run's
    signing workers and writing process), among the start-up arguments of a ``spawn``
    process: it travels over the private pipe between parent and child, never through a
    file, the environment or a command line, and lives only in those processes' memory.
    :meth:`load` gives the child its :class:`LoadedSigner`; its ``repr`` names the key
    without showing it, and nothing outside this module reads its bytes.
    """

    kid: str
    alg: Algorithm
    _der: bytes

    def load(self) -> LoadedSigner:
        key = serialization.load_der_private_key(self._der, password=None)
        return LoadedSigner(kid=self.kid, alg=self.alg, key=key)

    def __repr__(self) -> str:
        return f"SignerHandOver(kid={self.kid!r}, alg={self.alg.value!r})"


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


def _protected(header: dict[str, Any], alg: Algorithm, kid: str, did: str) -> str:
    """The encoded protected header: ``alg`` and ``kid`` (the DID URL of the signing key in
    the document of ``did``) from the signer, whatever ``header`` holds."""
    return b64url(_json({**header, "alg": alg.value, "kid": verification_method_id(did, kid)}))


def sign_compact(
    *, header: dict[str, Any], payload: dict[str, Any], signer: Signer, did: str
) -> str:
    """JWS compact serialization; ``alg`` and ``kid`` always come from the signer (the
    ``kid`` as the DID URL ``<did>#<thumbprint>``)."""
    protected = _protected(header, signer.alg, signer.kid, did)
    signing_input = f"{protected}.{b64url(_json(payload))}"
    signature = signer.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{b64url(signature)}"


def sign_compact_by_thumbprint(
    *, header: dict[str, Any], payload: dict[str, Any], signer: Signer
) -> str:
    """:func:`sign_compact` with the ``kid`` as the key's JWKS ``kid`` (its thumbprint): what
    SD-JWT VC issuer metadata (``/.well-known/jwt-vc-issuer``) and Token Status List
    verifiers look keys up by in a JWK Set, where no DID URL appears."""
    protected = b64url(_json({**header, "alg": signer.alg.value, "kid": signer.kid}))
    signing_input = f"{protected}.{b64url(_json(payload))}"
    return f"{signing_input}.{b64url(signer.sign(signing_input.encode('ascii')))}"


# ── holders' public keys (SD-JWT VC key binding) ─────────────────────────────────────────
class HolderKeyError(ValueError):
    """A holder's JWK certreg will not bind a credential to; ``reason`` is stable:
    ``private`` (it carries private members), ``unsupported`` (a key type or curve other
    than EC P-256 or OKP Ed25519), ``malformed`` (not a valid key of its type)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


_B64URL = re.compile(r"[A-Za-z0-9_-]{1,100}")
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k", "r", "t"})
_HOLDER_KEYS = {("EC", "P-256"): 32, ("OKP", "Ed25519"): 32}


def _coordinate(jwk: Mapping[str, Any], name: str, size: int) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str) or not _B64URL.fullmatch(value) or len(value) % 4 == 1:
        raise HolderKeyError("malformed", f"the key's {name!r} is not base64url")
    raw = pybase64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    if len(raw) != size or b64url(raw) != value:
        raise HolderKeyError("malformed", f"the key's {name!r} is not {size} bytes")
    return raw


def holder_public_jwk(jwk: Mapping[str, Any]) -> dict[str, str]:
    """The holder key ``jwk`` reduced to its public members (``kty``, ``crv``, ``x``,
    ``y``), after checking it is a real public key this code can verify key-binding JWTs
    with: an EC P-256 point on the curve, or an Ed25519 key. Raises :class:`HolderKeyError`.

    Here because only this module imports the asymmetric-key parts of ``cryptography``."""
    private = sorted(_PRIVATE_MEMBERS & set(jwk))
    if private:
        raise HolderKeyError(
            "private", "the holder key carries private members: send the public key only"
        )
    kty, crv = jwk.get("kty"), jwk.get("crv")
    size = _HOLDER_KEYS.get((kty, crv)) if isinstance(kty, str) and isinstance(crv, str) else None
    if size is None:
        raise HolderKeyError("unsupported", "the holder key must be EC P-256 or OKP Ed25519")
    x = _coordinate(jwk, "x", size)
    if kty == "OKP":
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(x)
        except ValueError as exc:
            raise HolderKeyError("malformed", "not an Ed25519 public key") from exc
        return {"kty": "OKP", "crv": "Ed25519", "x": jwk["x"]}
    y = _coordinate(jwk, "y", size)
    try:
        ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        ).public_key()
    except ValueError as exc:
        raise HolderKeyError("malformed", "the point is not on the P-256 curve") from exc
    return {"kty": "EC", "crv": "P-256", "x": jwk["x"], "y": jwk["y"]}


# ── many signatures at once (bulk issuance) ──────────────────────────────────────────────
def _compact_many(protected: str, payloads: Sequence[bytes], sign: Any) -> list[str]:
    tokens = []
    for payload in payloads:
        signing_input = f"{protected}.{b64url(payload)}"
        tokens.append(f"{signing_input}.{b64url(sign(signing_input.encode('ascii')))}")
    return tokens


def sign_compact_many(
    *, header: dict[str, Any], payloads: Sequence[bytes], signer: Signer, did: str
) -> list[str]:
    """:func:`sign_compact` for many payloads that share one header, in this process.

    The payloads come serialized (bulk issuance renders them from templates); the protected
    header is encoded once. ``alg`` and ``kid`` still come from the signer.
    """
    protected = _protected(header, signer.alg, signer.kid, did)
    return _compact_many(protected, payloads, signer.sign)


_pool_signer: LoadedSigner | None = None
"""The key of a signing worker process (set once by :func:`_start_worker`)."""


def _start_worker(handover: SignerHandOver) -> None:
    """A signing worker's start: it ends with the process that started it, however that one
    ends (a worker holds the key in clear; its parent killed outright closes nothing), then
    loads its key."""
    global _pool_signer  # one key per worker process, for its whole life
    die_with_parent()
    _pool_signer = handover.load()


def _ready_in_worker() -> bool:
    return _pool_signer is not None


def _sign_in_worker(protected: str, payloads: list[bytes]) -> list[str]:
    assert _pool_signer is not None
    return _compact_many(protected, payloads, _pool_signer.sign)


class PendingSignatures:
    """Signatures being made in worker processes; :meth:`result` waits for all of them."""

    __slots__ = ("_futures",)

    def __init__(self, futures: list[Future[list[str]]]) -> None:
        self._futures = futures

    def result(self) -> list[str]:
        return [token for future in self._futures for token in future.result()]


class SigningPool:
    """Signs JWS compact serializations in worker processes, so signing uses every core.

    Each worker holds the one key it was started with, handed over once
    (:class:`SignerHandOver`). Workers end with :meth:`close` (or the ``with`` block), or
    by themselves as soon as the process that started them is gone, however it went
    (:func:`issuer.lifeline.die_with_parent`). Nothing outside this module sees the key.
    """

    def __init__(self, signer: LoadedSigner, *, workers: int) -> None:
        if workers < 1:
            raise ValueError("a signing pool needs at least one worker")
        self._kid = signer.kid
        self._alg = signer.alg
        self._workers = workers
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(signer.hand_over(),),
        )
        # One task per worker starts them all now, in the background: a spawned process
        # starts an interpreter and imports its parent's main module (for the certreg
        # command, the command line without the server stack) and this module, about as
        # long as signing twenty thousand credentials.
        self._started = [self._executor.submit(_ready_in_worker) for _ in range(workers)]

    def wait_ready(self) -> None:
        """Block until every worker has started (raising what a failed start raised)."""
        for started in self._started:
            started.result()

    @property
    def ready(self) -> bool:
        """Whether every worker has started (never blocks); until then, callers that can
        sign in their own process should, rather than wait."""
        return all(f.done() and f.exception() is None and f.result() for f in self._started)

    @property
    def kid(self) -> str:
        return self._kid

    @property
    def alg(self) -> Algorithm:
        return self._alg

    def submit(
        self, *, header: dict[str, Any], payloads: Sequence[bytes], did: str
    ) -> PendingSignatures:
        """Start signing ``payloads`` (split evenly over the workers); returns at once."""
        protected = _protected(header, self._alg, self._kid, did)
        share = -(-len(payloads) // self._workers) or 1
        futures = [
            self._executor.submit(_sign_in_worker, protected, list(payloads[i : i + share]))
            for i in range(0, len(payloads), share)
        ]
        return PendingSignatures(futures)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> SigningPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

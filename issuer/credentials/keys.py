"""The signing-key lifecycle and the issuer's published keys (DID document and JWKS).

One key is active and signs everything new. Rotation makes a new active key; the old one is
retired but stays published while any credential it signed is still within its validity, so
those credentials keep verifying. A compromised key stays in the DID document with a
``revoked`` time so verifiers reject it, and leaves the JWKS; a compromised active key is
replaced by a new one in the same step (:func:`compromise`), so the body can sign again at
once — the announcement of the compromise first. The keys document itself is
signed by a key the registry already trusts (:func:`endorsing_key`): after a rotation, the
previous key vouches for the new one. Private keys are only ever
opened by :mod:`issuer.credentials.signing`; this module handles their public parts and states.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from issuer.credentials import signing
from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.signing import Algorithm, LoadedSigner
from issuer.errors import InvalidInput, NotFound, StateConflict
from issuer.model import KeyState, SigningKey
from issuer.store import Tx
from issuer.store.audit import AuditActor
from schemas.publication import DocumentKind

__all__ = [
    "KeyRing",
    "compromise",
    "create_key",
    "did_document",
    "endorsing_key",
    "jwks",
    "mark_compromised",
    "published_keys",
    "retire",
    "rotate",
]

_ACTOR = "system:keys"


def _audit(tx: Tx, *, actor: str | AuditActor, now: datetime, action: str, kid: str) -> None:
    """Audit a key change and ask for the published keys to be republished."""
    tx.append_audit(
        at=now, actor=actor, action=action, subject_type="signing-key", subject_id=kid, details={}
    )
    tx.enqueue(DocumentKind.ISSUER_KEYS.value, "issuer", now)


def create_key(
    tx: Tx, *, alg: Algorithm, passphrase: bytes, now: datetime, actor: str | AuditActor = _ACTOR
) -> SigningKey:
    """A new key; it becomes the active one only if there is none (else use :func:`rotate`)."""
    generated = signing.generate_key(alg, passphrase=passphrase)
    state = KeyState.ACTIVE if tx.active_signing_key() is None else KeyState.RETIRED
    tx.insert_signing_key(
        kid=generated.kid,
        alg=generated.alg.value,
        public_jwk=generated.public_jwk,
        encrypted_private_key=generated.encrypted_private_key,
        state=state,
        created_at=now,
    )
    _audit(tx, actor=actor, now=now, action="key.created", kid=generated.kid)
    key = tx.get_signing_key(generated.kid)
    assert key is not None
    return key


def rotate(
    tx: Tx, *, alg: Algorithm, passphrase: bytes, now: datetime, actor: str | AuditActor = _ACTOR
) -> SigningKey:
    """The new key signs from now on; the previous active key is retired (still published)."""
    previous = tx.active_signing_key()
    if previous is not None:
        tx.set_key_state(previous.kid, KeyState.RETIRED, now)
        _audit(tx, actor=actor, now=now, action="key.retired", kid=previous.kid)
    return create_key(tx, alg=alg, passphrase=passphrase, now=now, actor=actor)


def _key(tx: Tx, kid: str) -> SigningKey:
    key = tx.get_signing_key(kid)
    if key is None:
        raise NotFound(f"no signing key {kid!r}")
    return key


def retire(
    tx: Tx, *, kid: str, passphrase: bytes, now: datetime, actor: str | AuditActor = _ACTOR
) -> SigningKey:
    """Stop signing with ``kid``. Retiring the active key rotates to a new key of its kind;
    retiring a retired key changes nothing; a compromised key stays compromised."""
    key = _key(tx, kid)
    if key.state is KeyState.COMPROMISED:
        raise StateConflict("a compromised key stays marked compromised")
    if key.state is KeyState.ACTIVE:
        rotate(tx, alg=Algorithm(key.alg), passphrase=passphrase, now=now, actor=actor)
    return _key(tx, kid)


def mark_compromised(
    tx: Tx, *, kid: str, now: datetime, actor: str | AuditActor = _ACTOR
) -> SigningKey:
    """Publish the key as revoked, and nothing more: if it was active, nothing is signed
    until a rotation. :func:`compromise` is the whole step, successor included."""
    key = _key(tx, kid)
    if key.state is KeyState.COMPROMISED:
        return key
    tx.set_key_state(kid, KeyState.COMPROMISED, now)
    _audit(tx, actor=actor, now=now, action="key.compromised", kid=kid)
    return _key(tx, kid)


def compromise(
    tx: Tx,
    *,
    kid: str,
    passphrase: Callable[[], bytes],
    now: datetime,
    actor: str | AuditActor = _ACTOR,
) -> tuple[SigningKey, SigningKey | None]:
    """Mark ``kid`` compromised and, if it was the active key, make a new active key of its
    kind in the same transaction; returns the key and that successor (``None`` when the key
    was not the one signing, or was marked before).

    Why the successor comes at once: until one exists the body can sign nothing — no
    credential, no status list — and, when the compromised key was the only one the
    registry trusts, no keys document could announce the compromise either, since that
    document must name a usable successor (docs/REGISTRY.md). The thief's window would stay
    open until someone thought of rotating. ``passphrase`` is asked only when a key is made.
    """
    key = _key(tx, kid)
    if key.state is KeyState.COMPROMISED:
        return key, None
    was_active = key.state is KeyState.ACTIVE
    compromised = mark_compromised(tx, kid=kid, now=now, actor=actor)
    successor = None
    if was_active:
        successor = create_key(
            tx, alg=Algorithm(key.alg), passphrase=passphrase(), now=now, actor=actor
        )
    return compromised, successor


def published_keys(tx: Tx, *, now: datetime, keep: str | None = None) -> list[SigningKey]:
    """Active keys, retired keys still needed by a valid credential, and compromised keys;
    and the retired key ``keep`` even if no credential needs it any more (the key that signs
    the keys document, which must list it: :func:`endorsing_key`)."""
    keys = []
    for key in tx.list_signing_keys():
        if key.state is KeyState.RETIRED and key.kid != keep:
            last = tx.last_valid_until_signed_by(key.kid)
            if last is None or last < now:
                continue
        keys.append(key)
    return keys


def endorsing_key(tx: Tx, *, trusted: frozenset[str] | None) -> SigningKey | None:
    """The key that signs the next keys document, given the kids the registry's current one
    lists as usable (``trusted``; ``None`` while it holds none).

    The registry takes a new keys document only if a key it already trusts signed it
    (docs/REGISTRY.md, "Who may change the keys"), so the active key signs it only once the
    registry knows that key. Until then — after a rotation, or several since the registry
    last heard from the body — the most recent key the registry trusts signs it: a retired
    one, or, when every key it trusts is compromised, the most recent of those, announcing
    its own compromise in the document it signs. The first keys document, and a registry
    that trusts none of the body's keys (it must then be reset by its operator), get the
    active key. ``None`` when there is no active key to fall back on.
    """
    active = tx.active_signing_key()
    if trusted is None or (active is not None and active.kid in trusted):
        return active
    held = [key for key in tx.list_signing_keys() if key.kid in trusted]  # oldest first
    usable = [key for key in held if key.state is not KeyState.COMPROMISED]
    if usable:
        return usable[-1]
    return held[-1] if held else active


def _rfc3339(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%SZ")


def did_document(identity: IssuerIdentity, keys: list[SigningKey]) -> dict[str, Any]:
    """The ``did:web`` document: one ``JsonWebKey`` verification method per published key."""
    did = identity.did
    methods = []
    for key in keys:
        method: dict[str, Any] = {
            "id": identity.verification_method(key.kid),
            "type": "JsonWebKey",
            "controller": did,
            "publicKeyJwk": dict(key.public_jwk),
        }
        if key.state is KeyState.COMPROMISED and key.compromised_at is not None:
            method["revoked"] = _rfc3339(key.compromised_at)
        methods.append(method)
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://www.w3.org/ns/cid/v1"],
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }


def jwks(keys: list[SigningKey]) -> dict[str, Any]:
    """The same keys as a JWK Set, without compromised ones (a JWKS cannot mark them)."""
    return {"keys": [dict(k.public_jwk) for k in keys if k.state is not KeyState.COMPROMISED]}


class KeyRing:
    """Holds the decrypted active key in memory and notices rotations made elsewhere."""

    def __init__(self, *, passphrase: bytes) -> None:
        self._passphrase = passphrase
        self._signer: LoadedSigner | None = None
        self._lock = threading.Lock()

    def signer_for(self, tx: Tx, key: SigningKey) -> LoadedSigner:
        """The signer of ``key``, whatever its state: the active key as :meth:`signer` holds
        it, any other (the one that signs a keys document, :func:`endorsing_key`) decrypted
        for this one use."""
        if key.state is KeyState.ACTIVE:
            active = self.signer(tx)
            if active.kid == key.kid:
                return active
        return signing.load_signer(
            kid=key.kid,
            alg=Algorithm(key.alg),
            encrypted_private_key=tx.encrypted_private_key(key.kid),
            passphrase=self._passphrase,
        )

    def signer(self, tx: Tx) -> LoadedSigner:
        active = tx.active_signing_key()
        if active is None:
            raise InvalidInput(
                "there is no active signing key; run `certreg keys rotate`", kind="no-signing-key"
            )
        with self._lock:
            if self._signer is None or self._signer.kid != active.kid:
                self._signer = signing.load_signer(
                    kid=active.kid,
                    alg=Algorithm(active.alg),
                    encrypted_private_key=tx.encrypted_private_key(active.kid),
                    passphrase=self._passphrase,
                )
            return self._signer

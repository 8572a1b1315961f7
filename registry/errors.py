"""The registry's errors: one base, a stable ``kind`` and HTTP status each.

Intake and lookups raise these; only :mod:`registry.problems` turns them into problem+json. A
refused publication names exactly why, so the issuer's publisher can log it and stop retrying
what will never be accepted. The tree::

    RegistryError
    ├── Unauthenticated              401  no or malformed bearer secret on the intake route
    ├── Forbidden                    403  wrong bearer secret
    ├── NotFound                     404  nothing published here (or the name does not match)
    ├── InvalidQuery                 400  a directory search too short, too long or empty
    ├── RateLimited                  429  this client asked too often; ``Retry-After`` says when
    ├── PayloadTooLarge              413  intake request body over the cap
    └── PublicationRefused           422  a publication the registry will not store
        ├── MalformedJws             422  not a compact JWS, bad base64url, bad JSON header
        ├── JwsTooLarge              413  over the size cap
        ├── UnsupportedAlgorithm     422  ``alg`` outside the allow-list (ES256, EdDSA, Ed25519)
        ├── WrongType                422  ``typ``/``cty`` not what the kind requires
        ├── InvalidKeys              422  keys document: private members, DID ≠ JWKS, bad JWK
        ├── KeysNotEndorsed          422  new keys document not signed by a key the held one trusts
        ├── UnknownKey               422  ``kid`` not among the stored issuer keys
        ├── KeyRevoked               422  ``kid`` marked ``revoked`` in the stored DID document
        ├── BadSignature             422  the signature does not verify
        ├── InvalidPayload           422  not a JSON object, not a VC, breaks its JSON Schema
        ├── IdentifierMismatch       422  the payload names another document than its URL
        ├── NoIssuerKeys             409  no issuer keys stored yet: publish them first
        └── CheckpointGoesBack       409  an audit checkpoint behind, or beside, the one held
"""

from __future__ import annotations

from typing import ClassVar

from verifier.errors import ERRORS as VERIFICATION_ERRORS
from verifier.requests import REQUEST_PROBLEMS

__all__ = [
    "PROBLEM_KINDS",
    "BadSignature",
    "CheckpointGoesBack",
    "Forbidden",
    "IdentifierMismatch",
    "InvalidKeys",
    "InvalidPayload",
    "InvalidQuery",
    "JwsTooLarge",
    "KeyRevoked",
    "KeysNotEndorsed",
    "MalformedJws",
    "NoIssuerKeys",
    "NotFound",
    "PayloadTooLarge",
    "PublicationRefused",
    "RateLimited",
    "RegistryError",
    "Unauthenticated",
    "UnknownKey",
    "UnsupportedAlgorithm",
    "WrongType",
]


class RegistryError(Exception):
    """Base of every error the registry raises on purpose."""

    kind: ClassVar[str] = "registry-error"
    title: ClassVar[str] = "The request could not be completed"
    status: ClassVar[int] = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Unauthenticated(RegistryError):
    kind = "unauthenticated"
    title = "A valid bearer secret is required"
    status = 401


class Forbidden(RegistryError):
    kind = "forbidden"
    title = "This secret may not publish"
    status = 403


class NotFound(RegistryError):
    kind = "not-found"
    title = "Nothing is published here"
    status = 404


class InvalidQuery(RegistryError):
    kind = "invalid-query"
    title = "The search cannot be answered"
    status = 400


class RateLimited(RegistryError):
    """Too many requests from one client; ``retry_after`` whole seconds until the next one."""

    kind = "rate-limited"
    title = "Too many requests from this client"
    status = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class PayloadTooLarge(RegistryError):
    kind = "payload-too-large"
    title = "The request body is too large"
    status = 413


class PublicationRefused(RegistryError):
    kind = "publication-refused"
    title = "The publication was refused"
    status = 422


class MalformedJws(PublicationRefused):
    kind = "malformed-jws"
    title = "The body is not a well-formed JWS compact serialization"


class JwsTooLarge(PublicationRefused):
    kind = "jws-too-large"
    title = "The JWS is larger than the registry accepts"
    status = 413


class UnsupportedAlgorithm(PublicationRefused):
    kind = "unsupported-algorithm"
    title = "The JWS algorithm is not allowed"


class WrongType(PublicationRefused):
    kind = "wrong-type"
    title = "The JWS type does not match the document kind"


class InvalidKeys(PublicationRefused):
    kind = "invalid-keys"
    title = "The issuer keys document is not acceptable"


class KeysNotEndorsed(PublicationRefused):
    """A new issuer keys document not signed by a key the keys document the registry holds
    lists as usable: taking it would let whoever holds the intake secret replace the body's
    keys (docs/REGISTRY.md, "Who may change the keys")."""

    kind = "keys-not-endorsed"
    title = "The new issuer keys are not signed by a key the registry already trusts"


class UnknownKey(PublicationRefused):
    kind = "unknown-key"
    title = "The signing key is not among the issuer keys"


class KeyRevoked(PublicationRefused):
    kind = "key-revoked"
    title = "The signing key is revoked"


class BadSignature(PublicationRefused):
    kind = "bad-signature"
    title = "The signature does not verify"


class InvalidPayload(PublicationRefused):
    kind = "invalid-payload"
    title = "The signed document does not have the required shape"


class IdentifierMismatch(PublicationRefused):
    kind = "identifier-mismatch"
    title = "The signed document names another document"


class NoIssuerKeys(PublicationRefused):
    kind = "no-issuer-keys"
    title = "No issuer keys are published yet"
    status = 409


class CheckpointGoesBack(PublicationRefused):
    """An audit checkpoint that names an earlier entry of the issuer's log than the one the
    registry holds, or another entry at the same position: the log it describes lost its
    end, or was rewritten. The registry keeps what it holds, so the cut stays visible
    (docs/AUDIT.md)."""

    kind = "checkpoint-goes-back"
    title = "The audit checkpoint goes back from the one the registry holds"
    status = 409


_ALL: tuple[type[RegistryError], ...] = (
    Unauthenticated,
    Forbidden,
    NotFound,
    InvalidQuery,
    RateLimited,
    PayloadTooLarge,
    PublicationRefused,
    MalformedJws,
    JwsTooLarge,
    UnsupportedAlgorithm,
    WrongType,
    InvalidKeys,
    KeysNotEndorsed,
    UnknownKey,
    KeyRevoked,
    BadSignature,
    InvalidPayload,
    IdentifierMismatch,
    NoIssuerKeys,
    CheckpointGoesBack,
)

PROBLEM_KINDS: dict[str, tuple[int, str]] = (
    {error.kind: (error.status, error.title) for error in _ALL}
    | {
        "malformed-request": (400, "The request could not be read"),
        "method-not-allowed": (405, "Method not allowed"),
        "validation-failed": (422, "The request does not match the documented shape"),
        "internal-error": (500, "Internal error"),
    }
    | REQUEST_PROBLEMS
    | {
        # Verification outcomes: they appear inside 200 answers of /credentials/verify and /v/….
        error.kind: (200, error.title)
        for error in VERIFICATION_ERRORS
        if error.problem_type == f"/problems/{error.kind}"
    }
)
"""Every problem ``type`` the registry answers with, for ``GET /problems/{kind}``."""

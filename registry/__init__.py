"""The public registry security context: serves what the issuer signed, never signs.

It holds no private key and no confidential field, so it cannot leak either, and it can be
rebuilt entirely by re-publishing from the issuer. The issuer's composition root needs only
what is exported here: a store, the intake over it, the app factory, the migrations, and the
errors a refused publication raises.
"""

from __future__ import annotations

from registry.app import create_registry_app
from registry.errors import (
    BadSignature,
    CheckpointGoesBack,
    Forbidden,
    IdentifierMismatch,
    InvalidKeys,
    InvalidPayload,
    InvalidQuery,
    JwsTooLarge,
    KeyRevoked,
    KeysNotEndorsed,
    MalformedJws,
    NoIssuerKeys,
    NotFound,
    PayloadTooLarge,
    PublicationRefused,
    RateLimited,
    RegistryError,
    Unauthenticated,
    UnknownKey,
    UnsupportedAlgorithm,
    WrongType,
)
from registry.intake import Registry
from registry.migrate import upgrade
from registry.ratelimit import RateLimit
from registry.store import RegistryStore

__all__ = [
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
    "RateLimit",
    "RateLimited",
    "Registry",
    "RegistryError",
    "RegistryStore",
    "Unauthenticated",
    "UnknownKey",
    "UnsupportedAlgorithm",
    "WrongType",
    "create_registry_app",
    "upgrade",
]

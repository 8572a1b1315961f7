"""Signed credentials and what they rest on: signing keys, status lists and their slots.

A credential names the key that signed it and its slots in a revocation and a suspension
Bitstring Status List, where its status is published.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "Credential",
    "CredentialKind",
    "KeyState",
    "MessageStatusList",
    "SigningKey",
    "StatusList",
    "StatusPurpose",
    "StatusSlot",
]


class KeyState(enum.StrEnum):
    """Lifecycle of a signing key: one active key signs; retired keys stay published while
    anything they signed is still valid; compromised keys are published as revoked."""

    ACTIVE = "active"
    RETIRED = "retired"
    COMPROMISED = "compromised"


class StatusPurpose(enum.StrEnum):
    """Bitstring Status List ``statusPurpose`` values certreg publishes."""

    REVOCATION = "revocation"
    SUSPENSION = "suspension"


class CredentialKind(enum.StrEnum):
    CERTIFICATE = "certificate"
    MARK = "mark"


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A signing key as everyone but ``issuer.credentials.signing`` sees it: public parts and
    state."""

    kid: str
    alg: str
    public_jwk: dict[str, str]
    state: KeyState
    created_at: datetime
    retired_at: datetime | None
    compromised_at: datetime | None


@dataclass(frozen=True, slots=True)
class StatusList:
    id: str
    purpose: StatusPurpose
    entries: int
    allocated: int
    open: bool
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StatusSlot:
    list_id: str
    index: int


@dataclass(frozen=True, slots=True)
class MessageStatusList:
    """One Bitstring Status List of purpose ``message``, ``bits`` (2) per entry: the lists
    Open Badges cite their one status in (:mod:`issuer.credentials.message_status`)."""

    id: str
    bits: int
    entries: int
    allocated: int
    open: bool
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Credential:
    """A signed credential (``application/vc+jwt``) and where its status lives."""

    id: str
    certification_id: str
    kind: CredentialKind
    depends_on: str | None
    kid: str
    jws: str
    valid_from: datetime
    valid_until: datetime
    revocation: StatusSlot
    suspension: StatusSlot
    issued_at: datetime
    supersedes: str | None = None
    superseded_by: str | None = None

"""Bodies of the routes for signed things (:mod:`issuer.http.routes.credentials`):
credentials, certification marks and the agreements to their rules, and signing keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from issuer.http.bodies.common import Text, _In, _Out
from issuer.model import (
    Credential,
    CredentialKind,
    KeyState,
    MarkAgreement,
    SchemeMark,
    SigningKey,
)
from issuer.process.compromise import Compromise


# ── credentials ──────────────────────────────────────────────────────────────────────────
class CredentialOut(_Out):
    id: str
    kind: CredentialKind
    status: str = Field(description="active, suspended or revoked, from its status entries")
    depends_on: str | None
    kid: str
    valid_from: datetime
    valid_until: datetime
    issued_at: datetime
    revocation_list_id: str
    revocation_index: int
    suspension_list_id: str
    suspension_index: int
    supersedes: str | None
    superseded_by: str | None

    @classmethod
    def of(cls, c: Credential, *, status: str) -> CredentialOut:
        return cls(
            id=c.id,
            kind=c.kind,
            status=status,
            depends_on=c.depends_on,
            kid=c.kid,
            valid_from=c.valid_from,
            valid_until=c.valid_until,
            issued_at=c.issued_at,
            revocation_list_id=c.revocation.list_id,
            revocation_index=c.revocation.index,
            suspension_list_id=c.suspension.list_id,
            suspension_index=c.suspension.index,
            supersedes=c.supersedes,
            superseded_by=c.superseded_by,
        )


# ── marks and keys ───────────────────────────────────────────────────────────────────────
class MarkCreate(_In):
    media_type: Annotated[str, StringConstraints(max_length=40)]
    image_base64: Annotated[str, StringConstraints(min_length=4, max_length=176_000)]
    rules: Text


class MarkOut(_Out):
    id: str
    scheme_id: str
    media_type: str
    digest_sri: str
    rules: str
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, m: SchemeMark) -> MarkOut:
        return cls(
            id=m.id,
            scheme_id=m.scheme_id,
            media_type=m.media_type,
            digest_sri=m.digest_sri,
            rules=m.rules,
            created_at=m.created_at,
            created_by=m.created_by,
        )


class MarkAgreementOut(_Out):
    id: str
    certification_id: str
    mark_id: str
    agreed_at: datetime
    recorded_by: str

    @classmethod
    def of(cls, a: MarkAgreement) -> MarkAgreementOut:
        return cls(**{f: getattr(a, f) for f in MarkAgreement.__slots__})


class RotateBody(_In):
    alg: Literal["ES256", "EdDSA"] | None = None


class KeyOut(_Out):
    kid: str
    alg: str
    state: KeyState
    public_jwk: dict[str, str]
    created_at: datetime
    retired_at: datetime | None
    compromised_at: datetime | None

    @classmethod
    def of(cls, k: SigningKey) -> KeyOut:
        return cls(**{f: getattr(k, f) for f in SigningKey.__slots__})


class CompromisedKeyOut(KeyOut):
    """A key just declared compromised, and what the declaration set going."""

    successor: KeyOut | None = Field(
        description="the new key that signs from now on, when the compromised key was the "
        "one signing; null if it was not, or was declared compromised before"
    )
    republished: dict[str, int] = Field(
        description="documents queued for the public registry, by kind: the keys "
        "(this key marked revoked) first, then every status list, scheme and register entry, "
        "signed again by the active key; empty if the key was declared compromised before"
    )
    to_reissue: int = Field(
        description="certifications whose valid certificate or mark this key (or another "
        "compromised key) signed: the server re-issues them under the active key by itself "
        "within its due-jobs interval, or run `certreg keys reissue`"
    )

    @classmethod
    def declared(cls, compromise: Compromise) -> CompromisedKeyOut:
        successor = compromise.successor
        return cls(
            **KeyOut.of(compromise.key).model_dump(),
            successor=None if successor is None else KeyOut.of(successor),
            republished=compromise.republished,
            to_reissue=compromise.owed,
        )

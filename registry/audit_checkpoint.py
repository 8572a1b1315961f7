"""Audit checkpoints on intake: signed by the issuer, and never going back.

An audit checkpoint states how far the issuer's audit log went at one moment: the position
of its last entry and that entry's hash, which commits to every entry before it
(docs/AUDIT.md). The issuer's database alone cannot show that entries were cut off its end —
delete the last entries, move the head back, and the chain that remains is consistent, just
shorter. The checkpoint the registry holds can: it is outside the issuer's database, and the
registry never lets it go back.

So the registry orders checkpoints by what they sign, not by the publication's ``version``
(which is not signed, and which anyone holding the intake secret could set): it stores a
checkpoint further along the log than the one it holds, or one at the same entry signed
later (the issuer republishes it at an interval, to say "still here, nothing lost"); it
ignores a replay; and it refuses with :class:`~registry.errors.CheckpointGoesBack` one that
names an earlier entry, or another entry at the same position. A checkpoint further along
cannot be checked here against the one held — the registry has the hashes, not the entries —
so the issuer checks, before it publishes one, that its own log still passes through the
checkpoint the registry holds (:mod:`issuer.publication.checkpoints`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from registry import jws
from registry.errors import CheckpointGoesBack, IdentifierMismatch, InvalidPayload, WrongType
from registry.issuer_keys import IssuerKeys, verify_by_kid
from schemas import credential_schemas
from schemas.publication import AUDIT_CHECKPOINT_JWT_TYPE, AUDIT_CHECKPOINT_KEY

__all__ = ["HeldCheckpoint", "check_audit_checkpoint", "goes_further", "read_audit_checkpoint"]


@dataclass(frozen=True, slots=True)
class HeldCheckpoint:
    """What an audit checkpoint says: the last entry's position and hash, and when it was
    signed (``iat``)."""

    seq: int
    entry_hash: str
    signed_at: int


def _checkpoint(payload: Mapping[str, Any]) -> HeldCheckpoint:
    return HeldCheckpoint(
        seq=int(payload["seq"]),
        entry_hash=str(payload["entryHash"]),
        signed_at=int(payload["iat"]),
    )


def check_audit_checkpoint(key: str, compact: str, keys: IssuerKeys) -> HeldCheckpoint:
    """Verify an audit checkpoint published under ``key``: its type, its signature by a
    usable issuer key, its schema (``audit-checkpoint-v1``) and its issuer."""
    if key != AUDIT_CHECKPOINT_KEY:
        raise IdentifierMismatch(f'an audit checkpoint has the key "{AUDIT_CHECKPOINT_KEY}"')
    parsed = jws.parse_compact(compact)
    if parsed.header.get("typ") != AUDIT_CHECKPOINT_JWT_TYPE:
        raise WrongType(f"an audit checkpoint has typ {AUDIT_CHECKPOINT_JWT_TYPE}")
    verify_by_kid(parsed, keys)
    payload = parsed.payload
    try:
        credential_schemas.validate(credential_schemas.AUDIT_CHECKPOINT_V1, payload)
    except credential_schemas.SchemaViolation as exc:
        raise InvalidPayload("; ".join(exc.problems)[:500]) from exc
    if payload["iss"] != keys.did_document.get("id"):
        raise IdentifierMismatch("the checkpoint's iss is not the DID of the issuer keys")
    return _checkpoint(payload)


def read_audit_checkpoint(compact: str) -> HeldCheckpoint:
    """What a stored checkpoint says (verified when it was taken in, so only decoded)."""
    return _checkpoint(jws.parse_compact(compact).payload)


def goes_further(offered: HeldCheckpoint, held: HeldCheckpoint) -> bool:
    """Whether ``offered`` should replace ``held``: further along the log, or at the same
    entry and signed later (``False``: a replay, or an older signature of the same end).
    Raises :class:`CheckpointGoesBack` if it names an earlier entry, or another entry at
    the same position."""
    if offered.seq < held.seq:
        raise CheckpointGoesBack(
            f"the checkpoint ends the audit log at entry {offered.seq}; the registry holds"
            f" one that ends it at entry {held.seq}"
        )
    if offered.seq == held.seq:
        if offered.entry_hash != held.entry_hash:
            raise CheckpointGoesBack(
                f"the checkpoint names another entry {offered.seq} than the one the registry"
                " holds: the audit log was rewritten"
            )
        return offered.signed_at > held.signed_at
    return True

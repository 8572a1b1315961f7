"""Signed checkpoints of the audit log's end, published to the registry (clause 7.1.2).

The hash chain shows an entry changed, deleted, inserted or reordered *inside* the log; it
cannot show entries cut off its *end*: delete the last entries, move the head row back, and
what remains is a consistent chain, only shorter. So the issuer publishes how far its log
went — the position and hash of its last entry, signed like every other published document,
with nothing of any entry's content — to the registry, which is outside its database and
never lets that checkpoint go back (:mod:`registry.audit_checkpoint`). A log that no longer
passes through the latest checkpoint was cut, or rewritten up to it.

The checkpoint is put in the outbox by the first audit entry of every transaction (in that
transaction: :meth:`issuer.store.Tx.append_audit`) and, by ``certreg serve``, at an interval
(:func:`enqueue_checkpoint`), so that an unchanged log is also seen to be unchanged. The
drain signs it from the head as committed when its own transaction reads it — never from a
transaction still under way, whose entries may yet be rolled back (:func:`sign_checkpoint`).

Before it publishes one, the drain checks that its log still passes through the checkpoint
the registry holds: a log cut, then grown again past the old end, would otherwise publish a
checkpoint further along, which the registry cannot tell from an honest one (it holds
hashes, not entries), and the cut would be papered over. Such a log publishes no checkpoint
at all, and ``certreg audit verify`` keeps reporting the cut (:mod:`.audit_check`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.signing import Signer, sign_compact
from issuer.model import KeyState
from issuer.runtime import Clock
from issuer.store import Reader, Store
from schemas.credential_schemas import AUDIT_CHECKPOINT_V1, is_valid, validate
from schemas.publication import AUDIT_CHECKPOINT_JWT_TYPE, AUDIT_CHECKPOINT_KEY, DocumentKind
from verifier import jws
from verifier.errors import VerificationError

__all__ = [
    "Checkpoint",
    "CheckpointSource",
    "CheckpointUnverifiable",
    "cut_at",
    "enqueue_checkpoint",
    "read_checkpoint",
    "sign_checkpoint",
]

log = logging.getLogger("certreg.publication")


class CheckpointSource(Protocol):
    """Where the latest published audit checkpoint is read: the registry, in this process
    or over HTTP."""

    def audit_checkpoint(self) -> str | None:
        """The latest audit checkpoint the registry holds, as signed (``None``: it holds
        none yet). Raises :class:`issuer.publication.outbox.PublisherUnavailable` when the
        registry cannot be reached."""
        ...


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A verified audit checkpoint: the log ended at entry ``seq`` with hash ``entry_hash``
    when it was signed (``signed_at``) by key ``kid``."""

    seq: int
    entry_hash: str
    signed_at: datetime
    kid: str

    def describe(self) -> str:
        """How a report names it: "the registry's checkpoint of 2026-11-25 09:00:00 UTC"."""
        return f"the registry's checkpoint of {self.signed_at:%Y-%m-%d %H:%M:%S} UTC"


class CheckpointUnverifiable(Exception):
    """A checkpoint that cannot be taken as this body's word: unreadable, not signed by one
    of its keys, signed by a key marked compromised, or not of a checkpoint's shape."""


def enqueue_checkpoint(store: Store, *, clock: Clock) -> int:
    """Put the audit checkpoint in the outbox, for ``certreg serve``'s interval: a log that
    did not change is republished as such, signed anew. Returns 1, the documents enqueued."""
    with store.transaction() as tx:
        tx.enqueue(DocumentKind.AUDIT_CHECKPOINT.value, AUDIT_CHECKPOINT_KEY, clock())
    return 1


def read_checkpoint(reader: Reader, compact: str) -> Checkpoint:
    """Verify ``compact`` as an audit checkpoint of this body: signed by one of its keys (any
    not marked compromised: a key retired since still vouches for what it signed), whatever
    DID the key was named under (the command line may run with another base URL than the
    server), of the checkpoint's shape. Raises :class:`CheckpointUnverifiable`."""
    try:
        parsed = jws.parse_compact(compact)
    except VerificationError as exc:
        raise CheckpointUnverifiable(f"it is not a readable signed document: {exc.detail}") from exc
    if parsed.header.get("typ") != AUDIT_CHECKPOINT_JWT_TYPE:
        raise CheckpointUnverifiable(f"it is not of type {AUDIT_CHECKPOINT_JWT_TYPE}")
    named = parsed.header.get("kid")
    did, _, kid = named.rpartition("#") if isinstance(named, str) else ("", "", "")
    key = next((k for k in reader.list_signing_keys() if k.kid == kid), None)
    if key is None:
        raise CheckpointUnverifiable("it is not signed by one of this body's keys")
    if key.state is KeyState.COMPROMISED:
        raise CheckpointUnverifiable(f"its signing key {kid} is marked compromised")
    try:
        jws.verify_signature(parsed, key.public_jwk)
    except VerificationError as exc:
        raise CheckpointUnverifiable(f"its signature does not verify: {exc.detail}") from exc
    payload = parsed.payload
    if not is_valid(AUDIT_CHECKPOINT_V1, payload) or payload["iss"] != did:
        raise CheckpointUnverifiable("it does not have the shape of an audit checkpoint")
    return Checkpoint(
        seq=int(payload["seq"]),
        entry_hash=str(payload["entryHash"]),
        signed_at=datetime.fromtimestamp(int(payload["iat"]), UTC),
        kid=kid,
    )


def cut_at(reader: Reader, checkpoint: Checkpoint) -> str | None:
    """Why the log in ``reader`` no longer passes through ``checkpoint``, or ``None`` if it
    does: it ends before the checkpoint's entry, or holds another entry there."""
    head = reader.audit_head()
    named = checkpoint.describe()
    if head.seq < checkpoint.seq:
        first, last = head.seq + 1, checkpoint.seq
        lost = f"entry {last} was" if first == last else f"entries {first}..{last} were"
        return (
            f"{named} ends the audit log at entry {checkpoint.seq}, but it now ends at entry"
            f" {head.seq}: {lost} cut off its end"
        )
    entry = reader.audit_entry(checkpoint.seq)
    if entry is None:
        return f"entry {checkpoint.seq}, the end of the log in {named}, is missing"
    if entry.entry_hash != checkpoint.entry_hash:
        return (
            f"entry {checkpoint.seq} is not the entry {named} names: the log was rewritten up to it"
        )
    return None


def sign_checkpoint(
    reader: Reader,
    *,
    signer: Signer,
    identity: IssuerIdentity,
    now: datetime,
    held: Callable[[], str | None],
) -> str | None:
    """The signed checkpoint of the log's end as committed when ``reader`` (the drain's
    transaction) reads it, or ``None`` when there is none to publish: the log is empty, its
    head row names no entry of the log, or the log no longer passes through the checkpoint
    the registry holds (``held()``, which raises
    :class:`~issuer.publication.outbox.PublisherUnavailable` if it cannot be read)."""
    head = reader.audit_head()
    if head.seq == 0:
        return None
    last = reader.audit_entry(head.seq)
    if last is None or last.entry_hash != head.entry_hash:
        log.error(
            "no audit checkpoint published: the head of the audit log names entry %d, which"
            " the log does not hold as such; run `certreg audit verify`",
            head.seq,
        )
        return None
    prior = held()
    if prior is not None:
        try:
            checkpoint = read_checkpoint(reader, prior)
        except CheckpointUnverifiable as exc:
            log.warning("the registry's audit checkpoint is not this body's (%s): replaced", exc)
        else:
            cut = cut_at(reader, checkpoint)
            if cut is not None:
                log.error("no audit checkpoint published: %s; run `certreg audit verify`", cut)
                return None
            if checkpoint.seq > head.seq:
                return None  # another drain published a later committed end meanwhile
    payload = {
        "iss": identity.did,
        "iat": int(now.timestamp()),
        "seq": head.seq,
        "entryHash": head.entry_hash,
    }
    validate(AUDIT_CHECKPOINT_V1, payload)
    return sign_compact(
        header={"typ": AUDIT_CHECKPOINT_JWT_TYPE}, payload=payload, signer=signer, did=identity.did
    )

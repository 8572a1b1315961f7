"""The audit log's hash chain (clause 7.1.2: records whose integrity can be shown).

Each entry commits to the one before it: ``entry_hash = SHA-256(prev_hash ‖ canonical JSON of
the entry)``, and the store keeps the last link in a separate head row. Altering, deleting,
inserting or reordering a stored entry therefore breaks the chain at a position that
:func:`verify_chain` names. Entries hold identifiers and a digest of non-personal details,
never personal data: the log outlives the retention of the records it describes.

An entry made by a request names the bearer token that acted (``token_id``) beside the staff
member, so that the log shows which of a member's tokens did it, and a token's every act can
be found once it is known to have leaked. The token id is hashed only when an entry has one:
the entries written before tokens were recorded, and those the command line writes on the
server, hash exactly as they always did, so the chain they form still verifies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "GENESIS_HASH",
    "AuditActor",
    "AuditEntry",
    "AuditHead",
    "ChainBreak",
    "ChainReport",
    "Details",
    "details_digest",
    "entry_hash",
    "verify_chain",
]

GENESIS_HASH = "0" * 64

Details = Mapping[str, str | int | bool | None]
"""What an action changed, as identifiers and enumerated values only."""


@dataclass(frozen=True, slots=True)
class AuditActor:
    """Who made a change, as an entry records it: ``name`` (``staff:{id}``, ``token:{id}`` for
    a regulator, ``system:…`` for the command line; never a personal name) and the id of the
    bearer token that acted, when a request did.

    It travels where the bare name used to (``actor=`` of every function that audits), so
    the token goes wherever the name goes; a bare string is still taken for the name of an
    actor that holds no token.
    """

    name: str
    token_id: str | None = None

    @classmethod
    def of(cls, actor: str | AuditActor) -> AuditActor:
        return actor if isinstance(actor, AuditActor) else cls(actor)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    details_digest: str
    prev_hash: str
    entry_hash: str
    token_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The end of the chain as the head row records it: the last entry's position and hash
    (0 and :data:`GENESIS_HASH` while the log is empty). What an audit checkpoint publishes."""

    seq: int
    entry_hash: str


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """The first entry at which the stored chain stops being the chain that was written."""

    seq: int
    reason: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    head_seq: int
    break_: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.break_ is None


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def details_digest(details: Details) -> str:
    return hashlib.sha256(_canonical(dict(details))).hexdigest()


def entry_hash(
    *,
    prev_hash: str,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    details_digest: str,
    token_id: str | None = None,
) -> str:
    """The entry's link: ``token_id`` is part of what is hashed only when there is one, so an
    entry without it hashes as entries did before tokens were recorded."""
    body = {
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "details_digest": details_digest,
    }
    if token_id is not None:
        body["token_id"] = token_id
    return hashlib.sha256(prev_hash.encode() + _canonical(body)).hexdigest()


def _recomputed(entry: AuditEntry) -> str:
    return entry_hash(
        prev_hash=entry.prev_hash,
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        details_digest=entry.details_digest,
        token_id=entry.token_id,
    )


def verify_chain(entries: Iterable[AuditEntry], *, head_seq: int, head_hash: str) -> ChainReport:
    """Walk the entries in ``seq`` order and report the first break, if any.

    Checks, in order for each entry: that its number follows the previous one (a gap is a
    deletion, a repeat an insertion), that it names the previous entry's hash (reordering or
    insertion), and that its own hash matches its content (alteration). Finally the last entry
    must be the recorded head, which catches deletion or addition at the end.
    """
    expected_seq = 1
    prev = GENESIS_HASH
    count = 0
    for entry in entries:
        count += 1
        if entry.seq != expected_seq:
            if entry.seq > expected_seq:
                reason = (
                    f"entry {expected_seq} is missing (deleted), the chain jumps to {entry.seq}"
                )
                return ChainReport(count, head_seq, ChainBreak(expected_seq, reason))
            reason = f"entry {entry.seq} appears out of sequence (inserted or reordered)"
            return ChainReport(count, head_seq, ChainBreak(entry.seq, reason))
        if entry.prev_hash != prev:
            reason = (
                f"entry {entry.seq} does not follow entry {entry.seq - 1} "
                "(inserted, reordered, or its predecessor was altered)"
            )
            return ChainReport(count, head_seq, ChainBreak(entry.seq, reason))
        if _recomputed(entry) != entry.entry_hash:
            reason = f"entry {entry.seq} was altered: its content no longer matches its hash"
            return ChainReport(count, head_seq, ChainBreak(entry.seq, reason))
        prev = entry.entry_hash
        expected_seq += 1
    last = expected_seq - 1
    if last != head_seq or prev != head_hash:
        if last < head_seq:
            reason = f"entries {last + 1}..{head_seq} are missing (deleted from the end)"
            return ChainReport(count, head_seq, ChainBreak(last + 1, reason))
        if last > head_seq:
            reason = f"entry {head_seq + 1} was appended outside the log (past the head)"
            return ChainReport(count, head_seq, ChainBreak(head_seq + 1, reason))
        reason = f"entry {last} is not the recorded head of the chain (replaced)"
        return ChainReport(count, head_seq, ChainBreak(last, reason))
    return ChainReport(count, head_seq, None)

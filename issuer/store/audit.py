"""The audit log's hash chain (clause 7.1.2: records whose integrity can be shown).

Each entry commits to the one before it: ``entry_hash = SHA-256(prev_hash ‖ canonical JSON of
the entry)``, and the store keeps the last link in a separate head row. Altering, deleting,
inserting or reordering a stored entry therefore breaks the chain at a position that
:func:`verify_chain` names. Entries hold identifiers and a digest of non-personal details,
never personal data: the log outlives the retention of the records it describes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
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
) -> str:
    body = {
        "seq": seq,
        "at": at.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "details_digest": details_digest,
    }
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

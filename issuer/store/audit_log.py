"""The audit log in the store: each entry appended as the next link of the hash chain of
:mod:`issuer.store.audit`, under the lock of the chain's head row until the transaction
ends (concurrent writers extend the chain one at a time); the entries read back, and the
chain verified from its first link to its head. An entry names its actor and, when a request
made the change, the token that acted (:class:`~issuer.store.audit.AuditActor`).

The first entry a transaction appends also puts the audit checkpoint in the outbox, in that
transaction: the end of the log the registry holds then follows every change within the
publisher's delay, whichever process, route or command made the change, and nothing that
appends to the log can forget it (docs/AUDIT.md, "Checkpoints")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from issuer.store import audit
from issuer.store.base import Unit, _insert
from issuer.store.tables import AuditHeadRow, AuditRow, OutboxRow

__all__ = ["AUDIT_CHECKPOINT_KIND", "AuditReads", "AuditWrites"]

AUDIT_CHECKPOINT_KIND = "audit-checkpoint"
"""The outbox kind of the audit checkpoint (``schemas.publication.DocumentKind``, spelled out
so that the store, which a bulk run's writing process imports, needs no pydantic; a test
holds the two equal), published under the key :data:`AUDIT_CHECKPOINT_KEY`."""
AUDIT_CHECKPOINT_KEY = "issuer"
_CHECKPOINT_ENQUEUED = "certreg.audit_checkpoint_enqueued"
"""The session's note that this transaction already put the checkpoint in the outbox."""


class AuditReads(Unit):
    """The audit log, read and verified."""

    def audit_entries(self, *, after: int = 0, limit: int = 100) -> list[audit.AuditEntry]:
        rows = self._s.scalars(
            select(AuditRow).where(AuditRow.seq > after).order_by(AuditRow.seq).limit(limit)
        )
        return [_audit_entry(r) for r in rows]

    def audit_entries_for(self, subject_ids: list[str]) -> list[audit.AuditEntry]:
        rows = self._s.scalars(
            select(AuditRow).where(AuditRow.subject_id.in_(subject_ids)).order_by(AuditRow.seq)
        )
        return [_audit_entry(r) for r in rows]

    def audit_head(self) -> audit.AuditHead:
        """The end of the chain as the head row records it (position 0 while the log is
        empty), read afresh at each call, never from the session's copy: on PostgreSQL each
        statement sees what is committed when it runs, and a caller that reads the head a
        second time must see it move if another transaction moved it meanwhile."""
        head = self._s.get(AuditHeadRow, 1, populate_existing=True)
        if head is None:
            return audit.AuditHead(0, audit.GENESIS_HASH)
        return audit.AuditHead(head.seq, head.entry_hash)

    def audit_entry(self, seq: int) -> audit.AuditEntry | None:
        """The entry at position ``seq``, if there is one."""
        row = self._s.scalars(
            select(AuditRow).where(AuditRow.seq == seq).execution_options(populate_existing=True)
        ).first()
        return None if row is None else _audit_entry(row)

    def verify_audit_chain(self, *, batch: int = 1000) -> audit.ChainReport:
        head = self._s.get(AuditHeadRow, 1)
        head_seq, head_hash = (
            (0, audit.GENESIS_HASH) if head is None else (head.seq, head.entry_hash)
        )

        result = self._s.execute(
            select(AuditRow).order_by(AuditRow.seq).execution_options(yield_per=batch)
        )
        try:
            entries = (_audit_entry(row) for row in result.scalars())
            return audit.verify_chain(entries, head_seq=head_seq, head_hash=head_hash)
        finally:
            result.close()  # a break found early must not leave a server-side cursor open


class AuditWrites(Unit):
    """The audit log, appended to."""

    def append_audit(
        self,
        *,
        at: datetime,
        actor: str | audit.AuditActor,
        action: str,
        subject_type: str,
        subject_id: str,
        details: audit.Details,
    ) -> audit.AuditEntry:
        """Append one link to the chain; the head row is locked until the transaction ends.
        ``actor`` is an :class:`~issuer.store.audit.AuditActor` (a name with the token that
        acted) or, for an actor without a token, its name alone."""
        acting = audit.AuditActor.of(actor)
        head = self._s.get(AuditHeadRow, 1, with_for_update=True)
        if head is None:
            # First entry ever: create the head so that racing first writers meet on one row.
            insert = _insert(self._s)
            self._s.execute(
                insert(AuditHeadRow)
                .values(id=1, seq=0, entry_hash=audit.GENESIS_HASH)
                .on_conflict_do_nothing()
            )
            head = self._s.get(AuditHeadRow, 1, with_for_update=True, populate_existing=True)
            assert head is not None
        seq = head.seq + 1
        digest = audit.details_digest(details)
        entry_hash = audit.entry_hash(
            prev_hash=head.entry_hash,
            seq=seq,
            at=at,
            actor=acting.name,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            details_digest=digest,
            token_id=acting.token_id,
        )
        row = AuditRow(
            seq=seq,
            at=at,
            actor=acting.name,
            token_id=acting.token_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            details_digest=digest,
            prev_hash=head.entry_hash,
            entry_hash=entry_hash,
        )
        self._s.add(row)
        head.seq = seq
        head.entry_hash = entry_hash
        if not self._s.info.get(_CHECKPOINT_ENQUEUED):
            # Once per transaction: the drain publishes the head as committed, whatever
            # else this transaction appends after this entry.
            self._s.add(
                OutboxRow(kind=AUDIT_CHECKPOINT_KIND, key=AUDIT_CHECKPOINT_KEY, enqueued_at=at)
            )
            self._s.info[_CHECKPOINT_ENQUEUED] = True
        self._flush("audit entry")
        return _audit_entry(row)


def _audit_entry(row: AuditRow) -> audit.AuditEntry:
    return audit.AuditEntry(
        seq=row.seq,
        at=row.at,
        actor=row.actor,
        action=row.action,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        details_digest=row.details_digest,
        prev_hash=row.prev_hash,
        entry_hash=row.entry_hash,
        token_id=row.token_id,
    )

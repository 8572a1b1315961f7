"""The audit log checked whole: its hash chain, then its end against the registry's checkpoint.

The chain (:func:`issuer.store.audit.verify_chain`) shows what was changed, deleted,
inserted or reordered inside the log; the latest audit checkpoint the registry holds
(:mod:`issuer.publication.checkpoints`) shows what was cut off its end. ``certreg audit
verify`` and ``GET /api/v1/audit/verify`` both answer with :func:`verify_audit`: the chain's
report, and whether its end is *confirmed* (the log passes through the checkpoint), *cut*
(it ends before the checkpoint's entry, or holds another entry there) or *unconfirmed* (no
checkpoint could be read and trusted: the registry is unreachable, holds none yet, or holds
one that is not this body's), with the reason.

The checkpoint is read before the log: the drain publishes a checkpoint only of what was
committed, so a log read afterwards is at least as far along; read the other way round, a
checkpoint published in between would be ahead of the log read, and look like a cut.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from issuer.publication.checkpoints import (
    Checkpoint,
    CheckpointSource,
    CheckpointUnverifiable,
    cut_at,
    read_checkpoint,
)
from issuer.publication.outbox import PublisherUnavailable
from issuer.store import Store
from issuer.store.audit import ChainReport

__all__ = ["AuditVerification", "EndCheck", "verify_audit"]


class EndCheck(enum.StrEnum):
    """What the registry's checkpoint says of the log's end."""

    CONFIRMED = "confirmed"
    CUT = "cut"
    UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The chain's report, what the checkpoint says of its end, the checkpoint (when one was
    read and trusted), and the reason the end is cut or unconfirmed."""

    chain: ChainReport
    end: EndCheck
    checkpoint: Checkpoint | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        """Nothing changed inside the log, and nothing cut off its end that a checkpoint
        shows (an unconfirmed end is intact as far as anyone can tell: see :attr:`end`)."""
        return self.chain.intact and self.end is not EndCheck.CUT

    @property
    def broken_because(self) -> str | None:
        """Why the log is not intact: the chain's first break, else the cut at its end."""
        if self.chain.break_ is not None:
            return self.chain.break_.reason
        return self.reason if self.end is EndCheck.CUT else None

    @property
    def first_broken_seq(self) -> int | None:
        """The first entry found broken: the chain's first break, else the first entry cut
        off the end, else the entry where the log no longer matches the checkpoint."""
        if self.chain.break_ is not None:
            return self.chain.break_.seq
        if self.end is not EndCheck.CUT or self.checkpoint is None:
            return None
        return min(self.chain.head_seq + 1, self.checkpoint.seq)


def verify_audit(store: Store, checkpoints: CheckpointSource | None) -> AuditVerification:
    """Check the log's chain from its first entry to its head, and its end against the
    checkpoint ``checkpoints`` reads (``None``: no registry is known, the end stays
    unconfirmed). Reads the log in one unit of work that writes nothing."""
    compact: str | None = None
    unavailable = None
    if checkpoints is None:
        unavailable = "no registry is configured to read the audit checkpoint from"
    else:
        try:
            compact = checkpoints.audit_checkpoint()
        except PublisherUnavailable as exc:
            unavailable = f"the registry could not be reached: {exc}"
    with store.reading() as reader:
        chain = reader.verify_audit_chain()
        if unavailable is not None:
            return AuditVerification(chain, EndCheck.UNCONFIRMED, reason=unavailable)
        if compact is None:
            if chain.entries == chain.head_seq == 0:
                return AuditVerification(chain, EndCheck.CONFIRMED)  # nothing to lose yet
            return AuditVerification(
                chain, EndCheck.UNCONFIRMED, reason="the registry holds no audit checkpoint yet"
            )
        try:
            checkpoint = read_checkpoint(reader, compact)
        except CheckpointUnverifiable as exc:
            reason = f"the registry's audit checkpoint cannot be trusted: {exc}"
            return AuditVerification(chain, EndCheck.UNCONFIRMED, reason=reason)
        cut = cut_at(reader, checkpoint)
    end = EndCheck.CONFIRMED if cut is None else EndCheck.CUT
    return AuditVerification(chain, end, checkpoint, cut)

"""Bodies of the routes that read the record (:mod:`issuer.http.routes.records`): a
certification with everything on record about it, and the audit log and its check."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from issuer.http.bodies.cases import CertificationOut, DecisionOut
from issuer.http.bodies.common import _Out
from issuer.http.bodies.credentials import CredentialOut
from issuer.http.bodies.lifecycle import LifecycleDecisionOut
from issuer.publication.audit_check import EndCheck


# ── certifications ───────────────────────────────────────────────────────────────────────
class CertificationDetailOut(CertificationOut):
    decision: DecisionOut
    lifecycle: list[LifecycleDecisionOut]
    history: list[AuditEntryOut]
    credentials: list[CredentialOut]


# ── audit ────────────────────────────────────────────────────────────────────────────────
class AuditEntryOut(_Out):
    seq: int
    at: datetime
    actor: str
    token_id: str | None = Field(
        description="the bearer token that made the change; null for the command line on "
        "the server, and for entries recorded before tokens were"
    )
    action: str
    subject_type: str
    subject_id: str
    details_digest: str
    prev_hash: str
    entry_hash: str


class CheckpointOut(_Out):
    seq: int = Field(description="the position of the log's last entry when it was signed")
    entry_hash: str = Field(description="that entry's hash")
    signed_at: datetime


class ChainReportOut(_Out):
    intact: bool = Field(
        description="nothing changed inside the log, and nothing cut off its end that the "
        "registry's checkpoint shows"
    )
    entries: int
    head_seq: int
    first_broken_seq: int | None
    reason: str | None = Field(
        description="why the log is not intact: its first break, or the cut its end shows"
    )
    end: EndCheck = Field(
        description="the log's end against the registry's latest audit checkpoint: confirmed "
        "(the log passes through it), cut (it ends before it, or holds another entry there) "
        "or unconfirmed (no checkpoint could be read and trusted; see end_reason)"
    )
    end_reason: str | None = Field(description="why the end is cut or unconfirmed")
    checkpoint: CheckpointOut | None = Field(
        description="the registry's latest audit checkpoint, when one was read and trusted"
    )


CertificationDetailOut.model_rebuild()

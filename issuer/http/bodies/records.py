"""Bodies of the routes that read the record (:mod:`issuer.http.routes.records`): a
certification with everything on record about it, and the audit log and its check."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from issuer.http.bodies.cases import CertificationOut, DecisionOut
from issuer.http.bodies.common import _Out
from issuer.http.bodies.credentials import CredentialOut
from issuer.http.bodies.lifecycle import LifecycleDecisionOut


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


class ChainReportOut(_Out):
    intact: bool
    entries: int
    head_seq: int
    first_broken_seq: int | None
    reason: str | None


CertificationDetailOut.model_rebuild()

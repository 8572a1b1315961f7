"""Back office routes that read the record: certifications and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from issuer.credentials.status import credential_status
from issuer.http.bodies.cases import CertificationOut, DecisionOut
from issuer.http.bodies.credentials import CredentialOut
from issuer.http.bodies.lifecycle import LifecycleDecisionOut
from issuer.http.bodies.records import (
    AuditEntryOut,
    CertificationDetailOut,
    ChainReportOut,
    CheckpointOut,
)
from issuer.http.deps import ServicesDep, allow
from issuer.http.roles import AUDIT, CASE_READERS
from issuer.model import Certification, CertificationStatus
from issuer.process import lifecycle
from issuer.process.auth import Actor
from issuer.publication import audit_check
from issuer.store import Tx
from issuer.store.audit import AuditEntry

router = APIRouter()

Reader = Annotated[Actor, allow(*CASE_READERS)]
Auditor = Annotated[Actor, allow(*AUDIT)]


def _entry(e: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut(**{f: getattr(e, f) for f in AuditEntry.__slots__})


@router.get("/certifications", tags=["certifications"])
def list_certifications(
    actor: Reader,
    services: ServicesDep,
    scheme: Annotated[str | None, Query(max_length=64, description="scheme id or code")] = None,
    status: CertificationStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> list[CertificationOut]:
    with services.tx() as tx:
        scheme_id = None
        if scheme is not None:
            found = tx.get_scheme(scheme) or tx.get_scheme_by_code(scheme)
            if found is None:
                return []
            scheme_id = found.id
        rows = tx.list_certifications(
            scheme_id=scheme_id, status=status, limit=limit, offset=offset
        )
    return [CertificationOut.of(c) for c in rows]


def certification_detail(tx: Tx, certification: Certification) -> CertificationDetailOut:
    """A certification with its decisions, credentials and history from the audit log.

    The history includes the applications whose examinations a scope expansion relied on:
    the expansion decided them, so their story is part of this certification's."""
    decision = tx.get_decision(certification.decision_id)
    assert decision is not None
    credentials = tx.credentials_of(certification.id)
    lifecycle_decisions = tx.lifecycle_decisions(certification.id)
    evidence = {
        examination.application_id
        for d in lifecycle_decisions
        for examination_id in d.examination_ids
        if (examination := tx.get_examination(examination_id)) is not None
    }
    history = tx.audit_entries_for(
        [
            certification.id,
            certification.application_id,
            *sorted(evidence - {certification.application_id}),
            *(c.id for c in credentials),
        ]
    )
    return CertificationDetailOut(
        **CertificationOut.of(certification).model_dump(),
        decision=DecisionOut.of(decision, certification),
        lifecycle=[LifecycleDecisionOut.of(d) for d in lifecycle_decisions],
        history=[_entry(e) for e in history],
        credentials=[CredentialOut.of(c, status=credential_status(tx, c)) for c in credentials],
    )


@router.get("/certifications/{number}", tags=["certifications"])
def get_certification(number: str, actor: Reader, services: ServicesDep) -> CertificationDetailOut:
    """One certification with its decisions, credentials and history from the audit log."""
    with services.tx() as tx:
        return certification_detail(tx, lifecycle.get_certification(tx, number))


@router.get("/audit", tags=["audit"])
def audit_log(
    actor: Auditor,
    services: ServicesDep,
    after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntryOut]:
    with services.tx() as tx:
        return [_entry(e) for e in tx.audit_entries(after=after, limit=limit)]


@router.get("/audit/verify", tags=["audit"])
def verify_audit(actor: Auditor, services: ServicesDep) -> ChainReportOut:
    """Walk the whole hash chain and name the first entry that was tampered with, then check
    that the log still passes through the latest checkpoint of its end the registry holds:
    entries cut off the end leave a consistent chain, which only the checkpoint shows."""
    verification = audit_check.verify_audit(services.store, services.checkpoints)
    chain, checkpoint = verification.chain, verification.checkpoint
    return ChainReportOut(
        intact=verification.intact,
        entries=chain.entries,
        head_seq=chain.head_seq,
        first_broken_seq=verification.first_broken_seq,
        reason=verification.broken_because,
        end=verification.end,
        end_reason=verification.reason,
        checkpoint=None
        if checkpoint is None
        else CheckpointOut(
            seq=checkpoint.seq, entry_hash=checkpoint.entry_hash, signed_at=checkpoint.signed_at
        ),
    )

"""The record of one lifecycle decision on a certification, and the notice it owes.

Every lifecycle decision (:mod:`issuer.process.lifecycle`,
:mod:`issuer.process.recertification`, the due jobs' expiry in :mod:`issuer.process.due`)
ends here: the certification updated, the decision recorded, the register entry
republished, the audit entry written — and the certified person's notice queued
(:func:`issuer.process.notices.queue`), all in one transaction. The notice says what was
decided and when, never the reason recorded: a suspension's or a withdrawal's reason may
name a complaint or an investigation, which the person learns of from staff, not from an
e-mail. An expiry queues none here: the person was told ahead of it (the due jobs' expiry
notice).
"""

from __future__ import annotations

from datetime import datetime

from issuer.model import (
    Appeal,
    Certification,
    LifecycleDecision,
    LifecycleKind,
    NoticeKind,
    RiskActivity,
)
from issuer.process import appeal_remedies, notices
from issuer.process.auth import Actor
from issuer.process.evidence import Evidence
from issuer.process.impartiality import measure_in_force
from issuer.runtime import Entropy, new_id
from issuer.store import Tx
from issuer.store.audit import AuditActor
from schemas.publication import DocumentKind

__all__ = ["NOTICE_OF", "record_change"]

_SYSTEM = "system:lifecycle"
"""The audit name of a change no one decides (an expiry comes with its date)."""

NOTICE_OF = {
    LifecycleKind.SUSPEND: NoticeKind.SUSPENDED,
    LifecycleKind.REINSTATE: NoticeKind.REINSTATED,
    LifecycleKind.WITHDRAW: NoticeKind.WITHDRAWN,
    LifecycleKind.SCOPE: NoticeKind.SCOPE_CHANGED,
    LifecycleKind.RECERTIFY: NoticeKind.RECERTIFIED,
}
"""The notice each lifecycle decision owes the person (an expiry owes none: see above)."""


def _notify(
    tx: Tx,
    *,
    before: Certification,
    after: Certification,
    kind: LifecycleKind,
    decision_id: str,
    now: datetime,
    entropy: Entropy,
) -> str | None:
    """Queue the person's notice of the decision; its id, for the decision's audit entry."""
    notice_kind = NOTICE_OF.get(kind)
    if notice_kind is None:
        return None
    facts = notices.certification_facts(tx, after)
    facts["decided_on"] = now.date().isoformat()
    if kind is LifecycleKind.SUSPEND and after.resolve_by is not None:
        facts["resolve_by"] = after.resolve_by.isoformat()
    if kind is LifecycleKind.SCOPE:
        facts["scope_before"] = ", ".join(before.scope)[:500]
    return notices.queue(
        tx,
        now=now,
        entropy=entropy,
        person_id=after.person_id,
        kind=notice_kind,
        subject_id=decision_id,
        facts=facts,
    ).id


def record_change(
    tx: Tx,
    *,
    before: Certification,
    after: Certification,
    kind: LifecycleKind,
    actor: Actor | None,
    now: datetime,
    entropy: Entropy,
    reason: str | None = None,
    effective_at: datetime | None = None,
    requested_by: Actor | None = None,
    evidence: Evidence | None = None,
    resolves_suspension: bool = False,
    evidence_ids: tuple[str, ...] = (),
    appeal: Appeal | None = None,
) -> Certification:
    """Record one lifecycle change of ``before`` into ``after``: the decision, the register
    entry republished and the audit entry, in ``tx``. Every lifecycle decision goes through
    here, the due jobs' expiry too (:func:`issuer.process.due.expire_due`); it queues the
    person's notice of it.

    ``actor`` decided (``None``: nobody did, the date did); ``requested_by`` is the token
    that asked for a change nobody decides, which the audit entry names. ``appeal`` is the
    upheld appeal whose remedy this decision gives
    (:func:`issuer.process.appeal_remedies.remedy_due`): the decision names it and it names
    the decision."""
    tx.update_certification(after)
    decision = LifecycleDecision(
        id=new_id(entropy),
        certification_id=after.id,
        kind=kind,
        decided_by=None if actor is None else actor.staff(),
        decided_at=now,
        reason=reason,
        resolve_by=after.resolve_by,
        scope_before=before.scope if before.scope != after.scope else None,
        scope_after=after.scope if before.scope != after.scope else None,
        effective_at=effective_at,
        examination_ids=() if evidence is None else evidence.ids,
        resolves_suspension=resolves_suspension,
        evidence_ids=evidence_ids,
        appeal_id=None if appeal is None else appeal.id,
    )
    tx.insert_lifecycle_decision(decision)
    notice_id = _notify(
        tx,
        before=before,
        after=after,
        kind=kind,
        decision_id=decision.id,
        now=now,
        entropy=entropy,
    )
    tx.enqueue(DocumentKind.REGISTER_ENTRY.value, after.certificate_number, now)
    details: dict[str, str | int | bool | None] = {
        "decision_id": decision.id,
        "from": before.status.value,
        "to": after.status.value,
        "scope": ",".join(after.scope),
        "examinations": ",".join(decision.examination_ids),
    }
    if notice_id is not None:
        details["notice_id"] = notice_id
    if evidence_ids:
        details["evidence"] = ",".join(evidence_ids)
    if appeal is not None:
        details["appeal_id"] = appeal.id
    if effective_at is not None:
        details["effective_at"] = effective_at.isoformat()
    if actor is not None:
        risk_id = measure_in_force(
            tx,
            staff_id=actor.staff(),
            person_id=after.person_id,
            activity=RiskActivity.DECIDE,
            today=now.date(),
        )
        if risk_id is not None:
            details["risk_id"] = risk_id
    audit_actor = (
        AuditActor(_SYSTEM, None if requested_by is None else requested_by.token_id)
        if actor is None
        else actor.audit_name
    )
    tx.append_audit(
        at=now,
        actor=audit_actor,
        action=f"certification.{kind.value}",
        subject_type="certification",
        subject_id=after.id,
        details=details,
    )
    if resolves_suspension:
        # Its own entry, so that the history says in words that the suspension ended here.
        tx.append_audit(
            at=now,
            actor=audit_actor,
            action="certification.suspension-resolved",
            subject_type="certification",
            subject_id=after.id,
            details={"decision_id": decision.id, "kind": kind.value},
        )
    if appeal is not None:
        assert actor is not None  # a remedy is always someone's decision
        appeal_remedies.record_remedy(
            tx, actor=actor, now=now, appeal=appeal, decision_id=decision.id
        )
    return after

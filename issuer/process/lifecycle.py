"""Lifecycle decisions on a granted certification (clauses 9.5, 9.6, 4.2).

Each is a recorded decision by an impartial decision-maker (one who did not train the
person, declared no conflict with them, nor examined in the evidence decided on), an audit
entry, and — where the world must learn of it — a status-list change in the same
transaction, with the certified person's notice (:mod:`issuer.process.lifecycle_record`
records each decision and queues its notice):

- **suspend** sets the suspension bit (reason confidential, a resolve-by date tracked),
  and acts on the suspensions surveillance proposed;
- **reinstate** clears it;
- **withdraw** sets the revocation bit; it is terminal, nothing clears it;
- **scope** (reduce or expand) and **recertify** (:mod:`issuer.process.recertification`)
  revoke the current credential as *superseded* and issue a new one with new slots, linked
  both ways (:func:`reissue`); items added need passed examinations that assessed them;
- **expire** marks certifications past their expiry date (their credentials lapse by
  ``validUntil`` on their own): :func:`issuer.process.due.expire_due`, which the due jobs
  run by themselves, a batch at a time, records it through :func:`record_change`.

Only a reinstatement lifts a suspension, or a scope reduction whose decision says it
resolves the suspension: a reissued certificate of a suspended certification is suspended
from the start, so an expansion or a new cycle cannot make a suspended person valid again.

Mark credentials share their certificate's slots, so they follow every bit flip; when a
certificate is superseded its marks are reissued beside the new certificate. The Token
Status List slot of a certificate that SD-JWT VCs were derived from follows every bit flip
too, in the same transaction (:func:`issuer.credentials.token_status.follow`), and so does
the message slot an Open Badge cites (:func:`issuer.credentials.message_status.follow`).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from issuer.credentials import certificate_numbers, message_status, token_status
from issuer.credentials.issuance import (
    IssuanceContext,
    current_certificate,
    issue_certificate,
    issue_mark,
)
from issuer.errors import InvalidInput, NotFound, StateConflict
from issuer.model import (
    Appeal,
    AppealRemedy,
    Certification,
    CertificationStatus,
    CredentialKind,
    LifecycleKind,
    ProposalClosing,
    RiskActivity,
    StatusSlot,
)
from issuer.process import appeal_remedies
from issuer.process.auth import Actor
from issuer.process.evidence import Evidence, decide_candidacies, expansion_evidence
from issuer.process.impartiality import (
    refuse_conflicted,
    refuse_examiner_of_evidence,
    refuse_trainer_of,
)
from issuer.process.lifecycle_record import record_change
from issuer.process.surveillance_schedule import close_proposals
from issuer.runtime import Entropy
from issuer.store import Tx
from schemas.publication import DocumentKind

__all__ = [
    "ACTIVE",
    "EXPIRED",
    "SUSPENDED",
    "change_scope",
    "get_certification",
    "open_decision",
    "record_change",
    "reinstate",
    "reissue",
    "suspend",
    "suspension_stands",
    "withdraw",
]

ACTIVE = CertificationStatus.ACTIVE
SUSPENDED = CertificationStatus.SUSPENDED
WITHDRAWN = CertificationStatus.WITHDRAWN
EXPIRED = CertificationStatus.EXPIRED


def get_certification(tx: Tx, number: str, *, lock: bool = False) -> Certification:
    canonical = certificate_numbers.normalize(number)
    certification = None
    if canonical is not None:
        certification = (
            tx.lock_certification(canonical) if lock else tx.get_certification_by_number(canonical)
        )
    if certification is None:
        raise NotFound(f"no certification {number[:64]!r}")
    return certification


def open_decision(
    tx: Tx,
    actor: Actor,
    number: str,
    kind: LifecycleKind,
    allowed: frozenset[CertificationStatus],
    *,
    today: date,
) -> Certification:
    certification = get_certification(tx, number, lock=True)
    if certification.status not in allowed:
        terminal = " (withdrawal is terminal)" if certification.status is WITHDRAWN else ""
        state = certification.status.value
        article = "an" if state[0] in "aeiou" else "a"
        raise StateConflict(
            f"{article} {state} certification cannot be subject to {kind.value}{terminal}",
            kind="invalid-transition",
        )
    maker = actor.staff()
    person = certification.person_id
    refuse_trainer_of(tx, staff_id=maker, person_id=person, acting_as="decision-maker")
    refuse_conflicted(
        tx,
        staff_id=maker,
        person_id=person,
        acting_as="decision-maker",
        activity=RiskActivity.DECIDE,
        today=today,
    )
    return certification


def _flip(tx: Tx, slot: StatusSlot, value: int, now: datetime) -> None:
    """Set a status bit and ask for its list to be republished at once; the Token Status
    List slot of the certificate holding it, if an SD-JWT VC gave it one, and its message
    slot, if a badge gave it one, follow."""
    if tx.set_slot_value(slot, value, now):
        tx.enqueue(DocumentKind.STATUS_LIST.value, slot.list_id, now)
        token_status.follow(tx, slot, now)
        message_status.follow(tx, slot, now)


def _require_reason(reason: str) -> str:
    if not reason.strip():
        raise InvalidInput("this decision needs its reason on record")
    return reason


def suspend(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    number: str,
    reason: str,
    resolve_by: date | None,
) -> Certification:
    certification = open_decision(
        tx, actor, number, LifecycleKind.SUSPEND, frozenset({ACTIVE}), today=now.date()
    )
    if resolve_by is not None and resolve_by < now.date():
        raise InvalidInput("a suspension cannot have to be resolved in the past")
    _flip(tx, current_certificate(tx, certification.id).suspension, 1, now)
    after = dataclasses.replace(
        certification, status=SUSPENDED, status_since=now, resolve_by=resolve_by
    )
    suspended = record_change(
        tx,
        before=certification,
        after=after,
        kind=LifecycleKind.SUSPEND,
        actor=actor,
        now=now,
        entropy=entropy,
        reason=_require_reason(reason),
    )
    # The suspensions surveillance proposed are acted on: they leave the worklist.
    close_proposals(
        tx,
        [p.id for p in tx.proposed_suspensions_of(certification.id) if p.closed_at is None],
        certification_id=certification.id,
        actor=actor,
        now=now,
        closing=ProposalClosing.SUSPENDED,
        action="surveillance.proposal-acted-on",
    )
    return suspended


def reinstate(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    number: str,
    reason: str | None,
    appeal_id: str | None = None,
) -> Certification:
    """Lift the suspension; naming ``appeal_id``, as the remedy of that upheld appeal."""
    certification = open_decision(
        tx, actor, number, LifecycleKind.REINSTATE, frozenset({SUSPENDED}), today=now.date()
    )
    appeal = _remedy(tx, appeal_id, certification, AppealRemedy.REINSTATE)
    _flip(tx, current_certificate(tx, certification.id).suspension, 0, now)
    after = dataclasses.replace(certification, status=ACTIVE, status_since=now, resolve_by=None)
    return record_change(
        tx,
        before=certification,
        after=after,
        kind=LifecycleKind.REINSTATE,
        actor=actor,
        now=now,
        entropy=entropy,
        reason=reason,
        appeal=appeal,
    )


def withdraw(
    tx: Tx, *, actor: Actor, now: datetime, entropy: Entropy, number: str, reason: str
) -> Certification:
    certification = open_decision(
        tx, actor, number, LifecycleKind.WITHDRAW, frozenset({ACTIVE, SUSPENDED}), today=now.date()
    )
    _flip(tx, current_certificate(tx, certification.id).revocation, 1, now)
    after = dataclasses.replace(certification, status=WITHDRAWN, status_since=now, resolve_by=None)
    return record_change(
        tx,
        before=certification,
        after=after,
        kind=LifecycleKind.WITHDRAW,
        actor=actor,
        now=now,
        entropy=entropy,
        reason=_require_reason(reason),
    )


def reissue(
    tx: Tx,
    *,
    before: Certification,
    after: Certification,
    kind: LifecycleKind,
    context: IssuanceContext,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    reason: str | None,
    evidence: Evidence | None = None,
    resolves_suspension: bool = False,
    evidence_ids: tuple[str, ...] = (),
    appeal: Appeal | None = None,
) -> Certification:
    """Revoke the current certificate (and its marks) as superseded, issue and link anew,
    and record the decision that required it. A certification still suspended after the
    decision gets its new certificate suspended too, in the same transaction, so no moment
    exists in which the new credential reads valid."""
    old = current_certificate(tx, before.id)
    marks = [
        c
        for c in tx.credentials_of(before.id)
        if c.kind is CredentialKind.MARK and c.depends_on == old.id
    ]
    _flip(tx, old.revocation, 1, now)
    tx.update_certification(after)
    new = issue_certificate(
        tx, certification=after, context=context, actor=actor.audit_name, now=now, entropy=entropy
    )
    if after.status is SUSPENDED:
        _flip(tx, new.suspension, 1, now)
    tx.link_supersession(old.id, new.id)
    current_mark = tx.current_scheme_mark(after.scheme_id)
    agreed = current_mark is not None and tx.mark_agreement(after.id, current_mark.id) is not None
    if marks and agreed:
        # Without an agreement to the scheme's current mark rules the old mark just ends.
        mark = issue_mark(
            tx,
            certification=after,
            context=context,
            actor=actor.audit_name,
            now=now,
            entropy=entropy,
            replacing=True,
        )
        for previous in marks:
            tx.link_supersession(previous.id, mark.id)
    return record_change(
        tx,
        before=before,
        after=after,
        kind=kind,
        actor=actor,
        now=now,
        entropy=entropy,
        reason=reason,
        evidence=evidence,
        resolves_suspension=resolves_suspension,
        evidence_ids=evidence_ids,
        appeal=appeal,
    )


def _remedy(
    tx: Tx, appeal_id: str | None, certification: Certification, remedy: AppealRemedy
) -> Appeal | None:
    if appeal_id is None:
        return None
    return appeal_remedies.remedy_due(
        tx, appeal_id=appeal_id, certification=certification, remedy=remedy
    )


def suspension_stands(tx: Tx, certification: Certification) -> bool:
    """Whether a suspension is in force that no decision has resolved: the certification is
    suspended, or it expired while suspended (its current certificate still carries the
    suspension bit, which only a reinstatement clears)."""
    if certification.status is SUSPENDED:
        return True
    if certification.status is EXPIRED:
        return tx.slot_value(current_certificate(tx, certification.id).suspension) == 1
    return False


def change_scope(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    context: IssuanceContext,
    number: str,
    scope: tuple[str, ...],
    reason: str | None,
    examination_ids: tuple[str, ...] = (),
    resolves_suspension: bool = False,
    appeal_id: str | None = None,
) -> Certification:
    """Reduce or expand the scope (9.5); naming ``appeal_id``, as the remedy of that upheld
    appeal against a reduction (``restore-scope``).

    Every item added needs evidence: the decision names the passed examinations of this
    person that assessed it (:func:`issuer.process.evidence.expansion_evidence`), and the
    decision-maker examined in none of them. A change never lifts a suspension by itself:
    a suspended certification stays suspended, its new certificate too. Only a reduction
    whose decision says so (``resolves_suspension``, with its reason: typically, the
    suspension concerned the item removed) makes it active again.
    """
    certification = open_decision(
        tx, actor, number, LifecycleKind.SCOPE, frozenset({ACTIVE, SUSPENDED}), today=now.date()
    )
    appeal = _remedy(tx, appeal_id, certification, AppealRemedy.RESTORE_SCOPE)
    version = tx.get_scheme_version(certification.scheme_version_id)
    assert version is not None
    offered = {item.code for item in version.content.scope_items}
    new_scope = tuple(sorted(set(scope)))
    if not new_scope or len(new_scope) != len(scope) or not set(new_scope) <= offered:
        raise InvalidInput(
            "the scope must name each item once, at least one, all from the scheme version "
            f"the certification was granted under: {sorted(offered)}"
        )
    if new_scope == certification.scope:
        raise StateConflict("the certification already has exactly this scope", kind="no-change")
    added = tuple(sorted(set(new_scope) - set(certification.scope)))
    after = dataclasses.replace(certification, scope=new_scope)
    if resolves_suspension:
        if certification.status is not SUSPENDED:
            raise StateConflict(
                f"only a suspended certification has a suspension to resolve; this one is "
                f"{certification.status.value}",
                kind="not-suspended",
            )
        if added:
            raise InvalidInput(
                "only a reduction of scope can resolve a suspension: decide the items added "
                "apart from it"
            )
        reason = _require_reason(reason or "")
        after = dataclasses.replace(after, status=ACTIVE, status_since=now, resolve_by=None)
    evidence = None
    if added:
        evidence = expansion_evidence(
            tx, certification=certification, added=added, examination_ids=examination_ids
        )
        refuse_examiner_of_evidence(staff_id=actor.staff(), examinations=evidence.examinations)
    elif examination_ids:
        raise InvalidInput(
            "a reduction of scope relies on no examination: name examinations only for items "
            "added to the scope"
        )
    changed = reissue(
        tx,
        before=certification,
        after=after,
        kind=LifecycleKind.SCOPE,
        context=context,
        actor=actor,
        now=now,
        entropy=entropy,
        reason=reason,
        evidence=evidence,
        resolves_suspension=resolves_suspension,
        appeal=appeal,
    )
    if evidence is not None:
        decide_candidacies(tx, evidence=evidence, certification=changed, actor=actor, now=now)
    return changed

"""Lifecycle decisions on a granted certification (clauses 9.5, 9.6, 4.2).

Each is a recorded decision by an impartial decision-maker, an audit entry, and — where the
world must learn of it — a status-list change in the same transaction:

- **suspend** sets the suspension bit (reason confidential, a resolve-by date tracked);
- **reinstate** clears it;
- **withdraw** sets the revocation bit; it is terminal, nothing clears it;
- **scope** (reduce or expand) and **recertify** revoke the current credential as
  *superseded* and issue a new one with new slots, linked both ways;
- **expire** marks certifications past their expiry date (their credentials lapse by
  ``validUntil`` on their own); the due jobs (:mod:`issuer.process.due`) run it by
  themselves, a batch at a time.

Mark credentials share their certificate's slots, so they follow every bit flip; when a
certificate is superseded its marks are reissued beside the new certificate.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

from issuer.credentials import certificate_numbers
from issuer.credentials.issuance import (
    IssuanceContext,
    current_certificate,
    issue_certificate,
    issue_mark,
)
from issuer.errors import InvalidInput, NotFound, StateConflict
from issuer.model import (
    Certification,
    CertificationStatus,
    CredentialKind,
    LifecycleDecision,
    LifecycleKind,
    OverdueSuspension,
    StatusSlot,
)
from issuer.process.auth import Actor
from issuer.process.decisions import add_months, expiry_for
from issuer.process.impartiality import refuse_conflicted, refuse_trainer_of
from issuer.runtime import Entropy, new_id
from issuer.store import Tx
from issuer.store.audit import AuditActor
from schemas.publication import DocumentKind

__all__ = [
    "change_scope",
    "end_of_validity",
    "expire_due",
    "get_certification",
    "overdue_suspensions",
    "recertify",
    "reinstate",
    "suspend",
    "withdraw",
]

ACTIVE = CertificationStatus.ACTIVE
SUSPENDED = CertificationStatus.SUSPENDED
WITHDRAWN = CertificationStatus.WITHDRAWN
EXPIRED = CertificationStatus.EXPIRED
_SYSTEM = "system:lifecycle"
"""The audit name of a change no one decides (an expiry comes with its date)."""


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


def _open(
    tx: Tx, actor: Actor, number: str, kind: LifecycleKind, allowed: frozenset[CertificationStatus]
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
    refuse_conflicted(tx, staff_id=maker, person_id=person, acting_as="decision-maker")
    return certification


def _record(
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
) -> Certification:
    """``actor`` decided (``None``: nobody did, the date did); ``requested_by`` is the token
    that asked for a change nobody decides, which the audit entry names."""
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
    )
    tx.insert_lifecycle_decision(decision)
    tx.enqueue(DocumentKind.REGISTER_ENTRY.value, after.certificate_number, now)
    details: dict[str, str | int | bool | None] = {
        "decision_id": decision.id,
        "from": before.status.value,
        "to": after.status.value,
        "scope": ",".join(after.scope),
    }
    if effective_at is not None:
        details["effective_at"] = effective_at.isoformat()
    tx.append_audit(
        at=now,
        actor=(
            AuditActor(_SYSTEM, None if requested_by is None else requested_by.token_id)
            if actor is None
            else actor.audit_name
        ),
        action=f"certification.{kind.value}",
        subject_type="certification",
        subject_id=after.id,
        details=details,
    )
    return after


def _flip(tx: Tx, slot: StatusSlot, value: int, now: datetime) -> None:
    """Set a status bit and ask for its list to be republished at once."""
    if tx.set_slot_value(slot, value, now):
        tx.enqueue(DocumentKind.STATUS_LIST.value, slot.list_id, now)


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
    certification = _open(tx, actor, number, LifecycleKind.SUSPEND, frozenset({ACTIVE}))
    if resolve_by is not None and resolve_by < now.date():
        raise InvalidInput("a suspension cannot have to be resolved in the past")
    _flip(tx, current_certificate(tx, certification.id).suspension, 1, now)
    after = dataclasses.replace(
        certification, status=SUSPENDED, status_since=now, resolve_by=resolve_by
    )
    return _record(
        tx,
        before=certification,
        after=after,
        kind=LifecycleKind.SUSPEND,
        actor=actor,
        now=now,
        entropy=entropy,
        reason=_require_reason(reason),
    )


def reinstate(
    tx: Tx, *, actor: Actor, now: datetime, entropy: Entropy, number: str, reason: str | None
) -> Certification:
    certification = _open(tx, actor, number, LifecycleKind.REINSTATE, frozenset({SUSPENDED}))
    _flip(tx, current_certificate(tx, certification.id).suspension, 0, now)
    after = dataclasses.replace(certification, status=ACTIVE, status_since=now, resolve_by=None)
    return _record(
        tx,
        before=certification,
        after=after,
        kind=LifecycleKind.REINSTATE,
        actor=actor,
        now=now,
        entropy=entropy,
        reason=reason,
    )


def withdraw(
    tx: Tx, *, actor: Actor, now: datetime, entropy: Entropy, number: str, reason: str
) -> Certification:
    certification = _open(tx, actor, number, LifecycleKind.WITHDRAW, frozenset({ACTIVE, SUSPENDED}))
    _flip(tx, current_certificate(tx, certification.id).revocation, 1, now)
    after = dataclasses.replace(certification, status=WITHDRAWN, status_since=now, resolve_by=None)
    return _record(
        tx,
        before=certification,
        after=after,
        kind=LifecycleKind.WITHDRAW,
        actor=actor,
        now=now,
        entropy=entropy,
        reason=_require_reason(reason),
    )


def _reissue(
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
) -> Certification:
    """Revoke the current certificate (and its marks) as superseded, issue and link anew,
    and record the decision that required it."""
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
        )
        for previous in marks:
            tx.link_supersession(previous.id, mark.id)
    return _record(
        tx,
        before=before,
        after=after,
        kind=kind,
        actor=actor,
        now=now,
        entropy=entropy,
        reason=reason,
    )


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
) -> Certification:
    """Reduce or expand the scope (9.5). A suspended certification whose scope is reduced
    becomes active again: the reduction is how the suspension is resolved."""
    certification = _open(tx, actor, number, LifecycleKind.SCOPE, frozenset({ACTIVE, SUSPENDED}))
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
    after = dataclasses.replace(
        certification, scope=new_scope, status=ACTIVE, status_since=now, resolve_by=None
    )
    return _reissue(
        tx,
        before=certification,
        after=after,
        kind=LifecycleKind.SCOPE,
        context=context,
        actor=actor,
        now=now,
        entropy=entropy,
        reason=reason,
    )


def recertify(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    context: IssuanceContext,
    number: str,
    reason: str | None,
) -> Certification:
    """A new cycle under the scheme's current version (9.6).

    Before expiry the cycle keeps its anniversary (new expiry = old expiry + interval);
    after expiry it starts today.
    """
    certification = _open(
        tx, actor, number, LifecycleKind.RECERTIFY, frozenset({ACTIVE, SUSPENDED, EXPIRED})
    )
    scheme = tx.get_scheme(certification.scheme_id)
    assert scheme is not None
    version = scheme.current
    offered = {item.code for item in version.content.scope_items}
    scope = tuple(code for code in certification.scope if code in offered)
    if not scope:
        raise InvalidInput("no scope item of this certification exists in the current scheme")
    interval = version.content.recertification_interval_months
    today = now.date()
    if today <= certification.expiry_date:
        expiry = add_months(certification.expiry_date + timedelta(days=1), interval) - timedelta(
            days=1
        )
    else:
        expiry = expiry_for(today, interval)
    after = dataclasses.replace(
        certification,
        scheme_version_id=version.id,
        scheme_version=version.version,
        scope=scope,
        status=ACTIVE,
        status_since=now,
        resolve_by=None,
        effective_date=today,
        expiry_date=expiry,
    )
    return _reissue(
        tx,
        before=certification,
        after=after,
        kind=LifecycleKind.RECERTIFY,
        context=context,
        actor=actor,
        now=now,
        entropy=entropy,
        reason=reason,
    )


def end_of_validity(expiry_date: date) -> datetime:
    """The instant a certification expires: the end of its last valid day (UTC), the same
    instant its credentials' ``validUntil`` ends."""
    return datetime.combine(expiry_date + timedelta(days=1), time(0), tzinfo=UTC)


def expire_due(
    tx: Tx,
    *,
    now: datetime,
    entropy: Entropy,
    limit: int = 500,
    requested_by: Actor | None = None,
) -> list[Certification]:
    """Mark up to ``limit`` active or suspended certifications past their expiry date as
    expired (9.6), each locked first, and return them. No one decides an expiry;
    ``requested_by`` is the token that asked for it now, if one did.

    A certification another transaction holds is left for the next run; one that a run
    before this one already expired no longer matches, so running it again (or twice at
    once) expires nothing twice. Each expiry republishes the register entry; the status
    lists do not change (the credentials lapse by ``validUntil``). The decision records
    when it took effect — the end of the last valid day — apart from when it was recorded.
    """
    today = now.date()
    expired = []
    for certification in tx.lock_due_for_expiry(today, limit):
        if certification.status not in (ACTIVE, SUSPENDED) or certification.expiry_date >= today:
            continue  # changed since it was found: nothing is due any more
        after = dataclasses.replace(certification, status=EXPIRED, status_since=now)
        expired.append(
            _record(
                tx,
                before=certification,
                after=after,
                kind=LifecycleKind.EXPIRE,
                actor=None,
                now=now,
                entropy=entropy,
                effective_at=end_of_validity(certification.expiry_date),
                requested_by=requested_by,
            )
        )
    return expired


def overdue_suspensions(tx: Tx, *, now: datetime) -> list[OverdueSuspension]:
    """Suspensions whose resolve-by date has passed: each needs the decision 9.5 requires,
    with when the due jobs referred it to the decision-makers."""
    return tx.overdue_suspensions(now.date())

"""Recovering from a compromised signing key: announce it at once, then re-issue what it
signed (ISO/IEC 17024 9.4 and 9.7: certificates and marks that can be relied upon).

A stolen key can sign anything in the body's name, so everything it ever signed must stop
counting — and the holders of certificates that are still valid must not pay for the
body's loss. Two steps:

1. **The announcement** (:func:`declare`), in one transaction: the key is marked
   compromised; if it was the key that signs, a new key of its kind signs from then on;
   the keys document (the DID document marks the key ``revoked``, the JWKS drops it) is
   queued for the registry, and with it every status list, scheme information and register
   entry, to be signed again by the new key (:func:`issuer.publication.outbox.enqueue_resigning`).
   The publisher sends the keys first, so the registry and every verifier refuse the key
   from the next drain on — no rotation needs to be remembered.
2. **The re-issue** (:func:`reissue_owed`, :func:`run_reissue`): every active or suspended
   certification whose current certificate, or a current mark, was signed by a compromised
   key gets a replacement signed by the active key, as a scope change replaces one
   (revoked as superseded, linked both ways, published), with the suspension carried over
   — a suspended certification stays suspended — and a notice queued for its holder
   (kind :data:`NOTICE_KIND`). Withdrawn and expired certifications are not re-issued: their
   credentials had already stopped counting. Nothing about the certification changes, so no
   lifecycle decision is recorded; the audit says ``credential.reissued`` with the reason
   ``key-compromise``.

The re-issue works in batches, each its own transaction, like bulk issuance: an interrupted
run loses at most the batch under way, and a run started again finds only what is still
owed, because what it looks for — a current credential signed by a compromised key — is
exactly what a re-issue ends. Certifications are locked before they are looked at, so two
runs at once (``certreg keys reissue`` while ``certreg serve`` does it by itself,
:func:`reissue_job`) re-issue nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from issuer.credentials import keys, message_status, token_status
from issuer.credentials.issuance import IssuanceContext, issue_certificate, issue_mark
from issuer.model import (
    Certification,
    Credential,
    CredentialKind,
    KeyState,
    NoticeKind,
    PersonNotice,
    SchemeMark,
    SigningKey,
    StatusSlot,
)
from issuer.process import lifecycle, notices
from issuer.process.due import ACTOR as DUE_JOBS_ACTOR
from issuer.process.due import DueJob
from issuer.publication import outbox
from issuer.runtime import Clock, Entropy
from issuer.store import Reader, Store, Tx
from issuer.store.audit import AuditActor
from schemas.publication import DocumentKind

__all__ = [
    "BATCH_SIZE",
    "NOTICE_KIND",
    "REASON",
    "Batch",
    "Compromise",
    "Reissue",
    "ReissueReport",
    "compromised_kids",
    "declare",
    "owed",
    "reissue_certification",
    "reissue_job",
    "reissue_owed",
    "run_reissue",
]

log = logging.getLogger("certreg.compromise")

REASON = "key-compromise"
"""The reason the audit gives for a credential re-issued because its key was compromised."""
NOTICE_KIND = NoticeKind.REISSUED.value
"""The kind of the notice queued for a holder whose credentials were re-issued: staff send
them the new certificate (its QR code now answers Valid) and say why the old one changed."""
BATCH_SIZE = 200
"""Certifications per transaction: as for the due jobs, a batch holds its locks for a
moment, and a hundred thousand re-issues take a few hundred transactions."""

Actor = str | AuditActor


@dataclass(frozen=True, slots=True)
class Compromise:
    """What :func:`declare` did: the ``key`` as it now stands, the ``successor`` that signs
    from now on (``None`` if the key was not the signing one, or was marked before),
    whether it was marked compromised just now (``newly``), the documents queued for the
    registry (``republished``, by kind, the keys document included: empty when the key was
    marked before) and how many certifications are ``owed`` a re-issue."""

    key: SigningKey
    successor: SigningKey | None
    newly: bool
    republished: dict[str, int]
    owed: int


def compromised_kids(reader: Reader) -> frozenset[str]:
    """Every key ever declared compromised: what any of them signed is owed a re-issue,
    whichever declaration came first (a run resumes the work of all of them)."""
    return frozenset(k.kid for k in reader.list_signing_keys() if k.state is KeyState.COMPROMISED)


def owed(reader: Reader, *, now: datetime) -> int:
    """How many certifications still have a current credential signed by a compromised key."""
    return reader.count_owed_reissues(compromised_kids(reader), now)


def declare(
    tx: Tx, *, kid: str, passphrase: Callable[[], bytes], now: datetime, actor: Actor
) -> Compromise:
    """Mark ``kid`` compromised and queue its announcement, in ``tx``.

    If it was the active key a new one of its kind signs from now on (``passphrase`` is
    asked then: the new key is encrypted with it). Declaring a key compromised twice
    changes nothing the second time; what is still owed a re-issue is counted either way.
    """
    before = tx.get_signing_key(kid)
    key, successor = keys.compromise(tx, kid=kid, passphrase=passphrase, now=now, actor=actor)
    newly = before is not None and before.state is not KeyState.COMPROMISED
    republished = outbox.enqueue_resigning(tx, now) if newly else {}
    if newly:
        republished = {DocumentKind.ISSUER_KEYS.value: 1, **republished}
    return Compromise(
        key=key, successor=successor, newly=newly, republished=republished, owed=owed(tx, now=now)
    )


@dataclass(frozen=True, slots=True)
class Reissue:
    """One certification's re-issue: the credentials ``replaced`` and those ``issued`` in
    their place (the certificate first, if it was replaced), and the holder's notice."""

    certification: Certification
    replaced: tuple[Credential, ...]
    issued: tuple[Credential, ...]
    notice: PersonNotice


def _flip(tx: Tx, slot: StatusSlot, now: datetime) -> None:
    """Set a status bit; the certificate's Token Status List and message slots, if any,
    follow."""
    if tx.set_slot_value(slot, 1, now):
        tx.enqueue(DocumentKind.STATUS_LIST.value, slot.list_id, now)
        token_status.follow(tx, slot, now)
        message_status.follow(tx, slot, now)


def _agreed_mark(tx: Tx, certification: Certification) -> SchemeMark | None:
    """The mark a replacement mark credential is issued under: the scheme's current mark if
    the holder agreed to its rules, else the latest mark whose rules they agreed to — a
    key compromise must not cost a holder the mark they had."""
    current = tx.current_scheme_mark(certification.scheme_id)
    if current is not None and tx.mark_agreement(certification.id, current.id) is not None:
        return current
    for agreement in reversed(tx.mark_agreements_of(certification.id)):
        mark = tx.get_scheme_mark(agreement.mark_id)
        if mark is not None:
            return mark
    return None


def reissue_certification(
    tx: Tx,
    certification: Certification,
    *,
    kids: frozenset[str],
    context: IssuanceContext,
    now: datetime,
    entropy: Entropy,
    actor: Actor,
) -> Reissue | None:
    """Re-issue what of ``certification`` (locked by the caller) a key of ``kids`` signed;
    ``None`` when nothing is owed any more (another run did it, or it was withdrawn or
    expired meanwhile)."""
    if certification.status not in (lifecycle.ACTIVE, lifecycle.SUSPENDED):
        return None
    credentials = tx.credentials_of(certification.id)
    certificates = [
        c for c in credentials if c.kind is CredentialKind.CERTIFICATE and c.superseded_by is None
    ]
    if not certificates or certificates[-1].valid_until <= now:
        return None
    old = certificates[-1]
    marks = [
        c
        for c in credentials
        if c.kind is CredentialKind.MARK and c.superseded_by is None and c.depends_on == old.id
    ]
    replaced: list[Credential] = []
    issued: list[Credential] = []
    if old.kid in kids:
        # The old certificate's marks share its status bits, which this revokes: all of
        # them are replaced with it, whichever key signed them.
        stale_marks = marks
        suspended = (
            certification.status is lifecycle.SUSPENDED or tx.slot_value(old.suspension) == 1
        )
        _flip(tx, old.revocation, now)
        new = issue_certificate(
            tx, certification=certification, context=context, actor=actor, now=now, entropy=entropy
        )
        if suspended:
            _flip(tx, new.suspension, now)
        tx.link_supersession(old.id, new.id)
        replaced.append(old)
        issued.append(new)
    else:
        stale_marks = [m for m in marks if m.kid in kids]
    scheme_mark = _agreed_mark(tx, certification) if stale_marks else None
    if scheme_mark is not None:
        mark = issue_mark(
            tx,
            certification=certification,
            context=context,
            actor=actor,
            now=now,
            entropy=entropy,
            replacing=True,
            under=scheme_mark,
        )
        for previous in stale_marks:
            tx.link_supersession(previous.id, mark.id)
        replaced.extend(stale_marks)
        issued.append(mark)
    if not issued:
        return None
    notice = notices.queue(
        tx,
        now=now,
        entropy=entropy,
        person_id=certification.person_id,
        kind=NoticeKind.REISSUED,
        subject_id=issued[0].id,
        facts={
            "certificate_number": certification.certificate_number,
            "reissued_on": now.date().isoformat(),
        },
    )
    for credential in issued:
        before = [c for c in replaced if c.kind is credential.kind]
        tx.append_audit(
            at=now,
            actor=actor,
            action="credential.reissued",
            subject_type="credential",
            subject_id=credential.id,
            details={
                "certification_id": certification.id,
                "kind": credential.kind.value,
                "reason": REASON,
                "replaces": ",".join(c.id for c in before),
                "compromised_kids": ",".join(sorted({c.kid for c in before if c.kid in kids})),
                "kid": credential.kid,
                "notice_id": notice.id,
            },
        )
    return Reissue(
        certification=certification,
        replaced=tuple(replaced),
        issued=tuple(issued),
        notice=notice,
    )


@dataclass(frozen=True, slots=True)
class Batch:
    """One batch: the id of the last certification looked at, where the next batch starts
    (``None``: none was left, the walk is over), and the re-issues made."""

    last: str | None
    reissues: tuple[Reissue, ...]


def reissue_owed(
    tx: Tx,
    *,
    context: IssuanceContext,
    now: datetime,
    entropy: Entropy,
    limit: int,
    actor: Actor,
    after: str = "",
) -> Batch:
    """Re-issue the next up to ``limit`` owed certifications, those whose id follows
    ``after``."""
    kids = compromised_kids(tx)
    found, last = tx.lock_owed_reissues(kids, now, after=after, limit=limit)
    done = []
    for certification in found:
        reissue = reissue_certification(
            tx,
            certification,
            kids=kids,
            context=context,
            now=now,
            entropy=entropy,
            actor=actor,
        )
        if reissue is not None:
            done.append(reissue)
    return Batch(last=last, reissues=tuple(done))


@dataclass(frozen=True, slots=True)
class ReissueReport:
    """What a run re-issued, and how many certifications it left owing (``remaining``:
    held by another run at the time, or with nothing that could be re-issued)."""

    certifications: int
    certificates: int
    marks: int
    notices: int
    remaining: int


def run_reissue(
    store: Store,
    *,
    context: IssuanceContext,
    clock: Clock,
    entropy: Entropy,
    actor: Actor,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> ReissueReport:
    """Re-issue everything owed, a batch per transaction, calling ``progress`` with the
    number of certifications each batch re-issued. ``stopping`` is asked between batches.

    A pass walks the owed certifications in the order of their ids, so one that cannot be
    re-issued is passed over rather than found again and again; another pass follows while
    the last one re-issued something and some are still owed (rows another run held).
    ``progress`` is called only for batches that re-issued something.
    """
    reissues: list[Reissue] = []
    remaining = 0
    while not stopping():
        cursor: str | None = ""
        in_pass = 0
        while cursor is not None and not stopping():
            with store.transaction() as tx:
                batch = reissue_owed(
                    tx,
                    context=context,
                    now=clock(),
                    entropy=entropy,
                    limit=batch_size,
                    actor=actor,
                    after=cursor,
                )
            reissues.extend(batch.reissues)
            in_pass += len(batch.reissues)
            if progress is not None and batch.reissues:
                progress(len(batch.reissues))
            cursor = batch.last
        with store.reading() as reader:
            remaining = owed(reader, now=clock())
        if not remaining or not in_pass:
            break
    return ReissueReport(
        certifications=len(reissues),
        certificates=sum(
            1 for r in reissues for c in r.issued if c.kind is CredentialKind.CERTIFICATE
        ),
        marks=sum(1 for r in reissues for c in r.issued if c.kind is CredentialKind.MARK),
        notices=len(reissues),
        remaining=remaining,
    )


class _Walk:
    """The re-issue as a due job's step: each call goes on from where the last one stopped,
    so the server's runs walk the owed certifications once rather than from the start at
    every batch; at the end of a walk the next call starts a new one."""

    def __init__(self, context: IssuanceContext, actor: Actor) -> None:
        self._context = context
        self._actor = actor
        self._after = ""
        self._warned = False

    def __call__(
        self, tx: Tx, *, now: datetime, entropy: Entropy, limit: int
    ) -> Sequence[Certification]:
        if tx.active_signing_key() is None:
            # A key declared compromised by an earlier release left none: nothing can be
            # signed until `certreg keys rotate`. Said once, not at every run.
            if not self._warned and compromised_kids(tx):
                log.warning("no active signing key: the re-issue waits for `certreg keys rotate`")
                self._warned = True
            return []
        self._warned = False
        batch = reissue_owed(
            tx,
            context=self._context,
            now=now,
            entropy=entropy,
            limit=limit,
            actor=self._actor,
            after=self._after,
        )
        self._after = batch.last or ""
        return [r.certification for r in batch.reissues]


def reissue_job(context: IssuanceContext, *, actor: Actor = DUE_JOBS_ACTOR) -> DueJob:
    """The re-issue as one of the jobs ``certreg serve`` runs by itself: after a key is
    declared compromised through the API, the server re-issues within one interval. The
    job runs on the one thread of the due jobs, which holds its place in the walk."""
    return DueJob(
        name="key-compromise-reissue",
        done="re-issued under a new key after a key compromise",
        step=_Walk(context, actor),
    )

"""The notices the calendar owes a certified person: their certificate's expiry ahead, and
the opening of their recertification window (clause 9.6).

Two due jobs (:data:`EXPIRY_AHEAD`, :data:`RECERTIFICATION_DUE`, run with the others by
:func:`issuer.process.due.run_due`) each queue one notice per certification and cycle:

- **expiry ahead**: :data:`EXPIRY_NOTICE_DAYS` days before an active or suspended
  certification's expiry date, so the person can act (recertify, or stop using the
  certificate) before it lapses;
- **recertification due**: when the window of the scheme's current version opens
  (:func:`issuer.process.recertification.window`), for an active certification.

Once per cycle: a certification is owed a notice of the kind unless one was queued since
the start of the period the notice belongs to (``EXPIRY_NOTICE_DAYS`` days, or the window's
months, before the run). A notice of the cycle before was queued before that period
began, as long as a cycle lasts more than twice the period — a cycle of at least four
months, and a window of at most half a cycle, which every scheme's recertification
interval is. Each certification is locked first and asked again once held, so two runs at
once queue nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from issuer.model import Certification, CertificationStatus, NoticeKind, SchemeContent
from issuer.process import notices, recertification
from issuer.process.due import ACTOR, DueJob
from issuer.process.months import add_months
from issuer.runtime import Entropy
from issuer.store import Tx

__all__ = ["EXPIRY_AHEAD", "EXPIRY_NOTICE_DAYS", "NOTICE_JOBS", "RECERTIFICATION_DUE"]

EXPIRY_NOTICE_DAYS = 60
"""How many days before its expiry date a certified person is told it is coming."""


def _queue(
    tx: Tx,
    certification: Certification,
    kind: NoticeKind,
    now: datetime,
    entropy: Entropy,
    **extra: str,
) -> None:
    facts = notices.certification_facts(tx, certification)
    facts.update(extra)
    notice = notices.queue(
        tx,
        now=now,
        entropy=entropy,
        person_id=certification.person_id,
        kind=kind,
        subject_id=certification.id,
        facts=facts,
    )
    tx.append_audit(
        at=now,
        actor=ACTOR,
        action="person.notice-queued",
        subject_type="certification",
        subject_id=certification.id,
        details={"notice_id": notice.id, "kind": notice.kind},
    )


def _last_expiry_in_window(content: SchemeContent, today: date) -> date:
    """The latest expiry date whose recertification window has opened by ``today``: the
    query's bound is exact, so every certification it returns is owed the notice and a
    batch never fills with ones that are not (a roster gives thousands the same date)."""
    last = add_months(today, content.recertification_window_months_before)
    while recertification.window(content, last + timedelta(days=1)).opens <= today:
        last += timedelta(days=1)
    while recertification.window(content, last).opens > today:
        last -= timedelta(days=1)
    return last


def _already(tx: Tx, kind: NoticeKind, certification: Certification, since: datetime) -> bool:
    """Asked again once the certification is locked: another run may have queued it."""
    return any(n.created_at >= since for n in tx.notices_about(kind.value, [certification.id]))


def queue_expiry_ahead(
    tx: Tx, *, now: datetime, entropy: Entropy, limit: int = 500
) -> list[Certification]:
    """Queue the expiry-ahead notice of up to ``limit`` certifications expiring within
    :data:`EXPIRY_NOTICE_DAYS` days that were not told yet in this cycle."""
    today = now.date()
    since = now - timedelta(days=EXPIRY_NOTICE_DAYS + 1)
    told = []
    for certification in tx.lock_certifications_owed_notice(
        NoticeKind.EXPIRY_AHEAD.value,
        statuses=(CertificationStatus.ACTIVE, CertificationStatus.SUSPENDED),
        scheme_id=None,
        expiring=(today, today + timedelta(days=EXPIRY_NOTICE_DAYS)),
        noticed_since=since,
        limit=limit,
    ):
        if _already(tx, NoticeKind.EXPIRY_AHEAD, certification, since):
            continue
        _queue(tx, certification, NoticeKind.EXPIRY_AHEAD, now, entropy)
        told.append(certification)
    return told


def queue_recertification_due(
    tx: Tx, *, now: datetime, entropy: Entropy, limit: int = 500
) -> list[Certification]:
    """Queue the recertification-due notice of up to ``limit`` active certifications whose
    recertification window (under their scheme's current version) has opened."""
    today = now.date()
    told: list[Certification] = []
    for scheme in tx.list_schemes():
        content = scheme.current.content
        months = content.recertification_window_months_before
        since = datetime.combine(
            add_months(today, -months) - timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo
        )
        for certification in tx.lock_certifications_owed_notice(
            NoticeKind.RECERTIFICATION_DUE.value,
            statuses=(CertificationStatus.ACTIVE,),
            scheme_id=scheme.id,
            expiring=(today, _last_expiry_in_window(content, today)),
            noticed_since=since,
            limit=limit - len(told),
        ):
            window = recertification.window(content, certification.expiry_date)
            if _already(tx, NoticeKind.RECERTIFICATION_DUE, certification, since):
                continue
            _queue(
                tx,
                certification,
                NoticeKind.RECERTIFICATION_DUE,
                now,
                entropy,
                window_opens=window.opens.isoformat(),
                window_closes=window.closes.isoformat(),
            )
            told.append(certification)
        if len(told) >= limit:
            break
    return told


EXPIRY_AHEAD = DueJob(
    name="expiry-ahead-notices",
    done=f"announced to their holder as expiring within {EXPIRY_NOTICE_DAYS} days",
    step=queue_expiry_ahead,
)
RECERTIFICATION_DUE = DueJob(
    name="recertification-due-notices",
    done="announced to their holder as open for recertification",
    step=queue_recertification_due,
)
NOTICE_JOBS: Sequence[DueJob] = (EXPIRY_AHEAD, RECERTIFICATION_DUE)
"""The due jobs that queue notices, run after the others (an expired certification is owed
no expiry-ahead notice)."""

"""Recertification on evidence, once a cycle (clause 9.6).

A certification is recertified under its scheme's current version, which says what a
recertification may rely on (``recertification_evidence``: a new examination, continuing
development, evidence of work done) and when it may be decided: a window that opens
``recertification_window_months_before`` months before the day after expiry and closes
``recertification_grace_days`` days after the expiry date.

- **The evidence** is named by the decision: examinations (``examination_ids``: passed, the
  identity checked and the confidentiality agreement accepted, of this person under this
  scheme, held within the window, together assessing every item kept) and items staff
  recorded on the certification (``evidence_ids``, :func:`record_evidence`: continuing
  development or work done, whose period ends within the window). Each is relied on by one
  recertification only, and the decision-maker examined in none of them.
- **Once a cycle**: the new cycle runs from the day after the previous expiry, so a
  recertification decided in the window makes the next cycle; a second one in the same
  window is refused as ``already-recertified``.
- **The dates chain**: effective date = previous expiry + 1 day, expiry = that + interval −
  1 day, also in the grace period after expiry (an expired certification becomes active
  again with no gap). The day the person was first certified
  (``original_certification_date``) stays.
- A suspension in force stays in force: a new cycle is no reinstatement.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

from issuer.credentials.issuance import IssuanceContext
from issuer.errors import InvalidInput, NotFound, StateConflict
from issuer.model import (
    Application,
    ApplicationState,
    Certification,
    Examination,
    LifecycleKind,
    RecertificationEvidence,
    RecertificationEvidenceKind,
    SchemeContent,
)
from issuer.process.applications import get_application
from issuer.process.auth import Actor
from issuer.process.decisions import add_months, expiry_for
from issuer.process.evidence import QUALIFYING, Evidence, decide_candidacies, qualifies, uncovered
from issuer.process.examinations import get_examination
from issuer.process.impartiality import refuse_examiner_of_evidence
from issuer.process.lifecycle import (
    ACTIVE,
    EXPIRED,
    SUSPENDED,
    WITHDRAWN,
    get_certification,
    open_decision,
    reissue,
    suspension_stands,
)
from issuer.process.surveillance_schedule import continue_on_new_cycle
from issuer.runtime import Entropy, new_id
from issuer.store import Tx

__all__ = ["Window", "evidence_of", "recertify", "record_evidence", "window"]

EXAMINATION = RecertificationEvidenceKind.EXAMINATION


@dataclasses.dataclass(frozen=True, slots=True)
class Window:
    """When a certification expiring on ``expiry`` may be recertified: ``opens`` to
    ``closes``, both days included."""

    opens: date
    closes: date


def window(content: SchemeContent, expiry: date) -> Window:
    """The recertification window of a cycle that ends on ``expiry``, under ``content``."""
    return Window(
        opens=add_months(expiry + timedelta(days=1), -content.recertification_window_months_before),
        closes=expiry + timedelta(days=content.recertification_grace_days),
    )


def record_evidence(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    number: str,
    kind: RecertificationEvidenceKind,
    summary: str,
    period_from: date,
    period_to: date,
    hours: float | None,
) -> RecertificationEvidence:
    """Record an item of evidence for the certification's recertification: confidential,
    never published, relied on later by one recertification at most. An examination is
    recorded as an examination, not here."""
    certification = get_certification(tx, number, lock=True)
    if certification.status is WITHDRAWN:
        raise StateConflict(
            "a withdrawn certification is not recertified: withdrawal is terminal",
            kind="invalid-transition",
        )
    if kind is EXAMINATION:
        raise InvalidInput(
            "an examination is recorded as an examination of the person's application, "
            "then named in examination_ids"
        )
    if not summary.strip():
        raise InvalidInput("say what the evidence is in its summary")
    if period_to < period_from:
        raise InvalidInput("the period of the evidence ends before it starts")
    if period_to > now.date():
        raise InvalidInput("evidence is of what was done: its period cannot end in the future")
    evidence = RecertificationEvidence(
        id=new_id(entropy),
        certification_id=certification.id,
        kind=kind,
        summary=summary,
        period_from=period_from,
        period_to=period_to,
        hours=hours,
        recorded_at=now,
        recorded_by=actor.staff(),
    )
    tx.insert_recertification_evidence(evidence)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="certification.evidence-recorded",
        subject_type="certification",
        subject_id=certification.id,
        details={"evidence_id": evidence.id, "kind": kind.value},
    )
    return evidence


def evidence_of(tx: Tx, number: str) -> list[RecertificationEvidence]:
    """The evidence items recorded on a certification, each with the decision that used it."""
    certification = get_certification(tx, number)
    return tx.recertification_evidence_of(certification.id)


def _refuse_outside_window(
    certification: Certification, content: SchemeContent, today: date
) -> None:
    """Refuse unless ``today`` is inside the window of the current cycle; a second
    recertification in the window that already made the current cycle is told so."""
    current = window(content, certification.expiry_date)
    if current.opens <= today <= current.closes:
        return
    if today > current.closes:
        raise StateConflict(
            f"the window for recertification closed on {current.closes.isoformat()} (the "
            f"certification expired on {certification.expiry_date.isoformat()}): a new "
            "certification needs a new application",
            kind="recertification-window",
        )
    previous = window(content, certification.effective_date - timedelta(days=1))
    if certification.renewed and today >= previous.opens:
        raise StateConflict(
            f"this certification was already recertified: its current cycle runs from "
            f"{certification.effective_date.isoformat()} to "
            f"{certification.expiry_date.isoformat()}; the next recertification opens on "
            f"{current.opens.isoformat()}",
            kind="already-recertified",
        )
    raise StateConflict(
        f"the window for recertification opens on {current.opens.isoformat()} and closes on "
        f"{current.closes.isoformat()}",
        kind="recertification-window",
    )


def _not_usable(what: str, why: str) -> InvalidInput:
    return InvalidInput(f"{what} cannot be relied on: {why}", kind="evidence-not-usable")


def _examinations(
    tx: Tx,
    *,
    certification: Certification,
    scope: tuple[str, ...],
    examination_ids: tuple[str, ...],
    within: Window,
    today: date,
) -> Evidence:
    """The named examinations, each checked usable for this recertification; together they
    assessed every item kept. The applications they were held for are locked (the
    recertification may close one, as a grant would)."""
    used = tx.examinations_used_for_recertification(examination_ids)
    examinations: list[Examination] = []
    applications: dict[str, Application] = {}
    for examination_id in examination_ids:
        examination = get_examination(tx, examination_id)
        what = f"examination {examination_id!r}"
        application = applications.get(examination.application_id)
        if application is None:
            application = get_application(tx, examination.application_id, for_update=True)
            applications[application.id] = application
        if (
            application.person_id != certification.person_id
            or application.scheme_id != certification.scheme_id
        ):
            raise _not_usable(what, "it is not of this certified person under this scheme")
        if application.state is ApplicationState.DENIED:
            raise _not_usable(what, "certification was denied on the application it was held for")
        if not qualifies(examination):
            raise _not_usable(what, f"it is not {QUALIFYING}")
        if examination_id in used:
            raise _not_usable(what, "another recertification already relied on it")
        if not within.opens <= examination.held_on <= min(within.closes, today):
            raise _not_usable(
                what,
                f"it was held on {examination.held_on.isoformat()}, outside the window for "
                f"recertification ({within.opens.isoformat()} to {within.closes.isoformat()})",
            )
        examinations.append(examination)
    missing = uncovered(scope, examinations)
    if missing:
        raise InvalidInput(
            f"no examination named assessed {missing}: a recertification by examination "
            f"needs {QUALIFYING} that assessed every item kept",
            kind="evidence-missing",
        )
    return Evidence(tuple(examinations), tuple(applications.values()))


def _recorded(
    tx: Tx, *, certification: Certification, evidence_ids: tuple[str, ...], within: Window
) -> list[RecertificationEvidence]:
    items = []
    for evidence_id in evidence_ids:
        item = tx.get_recertification_evidence(evidence_id)
        if item is None:
            raise NotFound(f"no evidence {evidence_id!r}")
        what = f"evidence {evidence_id!r}"
        if item.certification_id != certification.id:
            raise _not_usable(what, "it was recorded for another certification")
        if item.used_by is not None:
            raise _not_usable(what, "another recertification already relied on it")
        if item.period_to < within.opens:
            raise _not_usable(
                what,
                f"its period ended on {item.period_to.isoformat()}, before the window for "
                f"recertification opened ({within.opens.isoformat()})",
            )
        items.append(item)
    return items


def _refuse_kinds_not_accepted(
    content: SchemeContent, examination_ids: tuple[str, ...], items: list[RecertificationEvidence]
) -> None:
    accepted = set(content.recertification_evidence)
    named = {EXAMINATION.value} if examination_ids else set()
    named |= {item.kind.value for item in items}
    if not named & accepted:
        raise InvalidInput(
            f"a recertification under this scheme relies on evidence of the kinds "
            f"{sorted(accepted)}: name it (examination_ids for examinations, evidence_ids "
            "for the evidence recorded on the certification)",
            kind="evidence-missing",
        )
    for kind in sorted(named - accepted):
        raise InvalidInput(
            f"this scheme does not accept {kind} as evidence for recertification; it "
            f"accepts {sorted(accepted)}",
            kind="evidence-not-usable",
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
    examination_ids: tuple[str, ...] = (),
    evidence_ids: tuple[str, ...] = (),
) -> Certification:
    """A new cycle under the scheme's current version (9.6), on evidence, within the window,
    once a cycle. The cycle starts the day after the previous expiry; a suspension in force
    stays in force (the new certificate is suspended, the resolve-by date kept)."""
    certification = open_decision(
        tx,
        actor,
        number,
        LifecycleKind.RECERTIFY,
        frozenset({ACTIVE, SUSPENDED, EXPIRED}),
        today=now.date(),
    )
    scheme = tx.get_scheme(certification.scheme_id)
    assert scheme is not None
    version = scheme.current
    content = version.content
    offered = {item.code for item in content.scope_items}
    scope = tuple(code for code in certification.scope if code in offered)
    if not scope:
        raise InvalidInput("no scope item of this certification exists in the current scheme")
    today = now.date()
    _refuse_outside_window(certification, content, today)
    if len(set(examination_ids)) != len(examination_ids) or len(set(evidence_ids)) != len(
        evidence_ids
    ):
        raise InvalidInput("name each item of evidence once")
    within = window(content, certification.expiry_date)
    items = _recorded(tx, certification=certification, evidence_ids=evidence_ids, within=within)
    _refuse_kinds_not_accepted(content, examination_ids, items)
    examined = None
    if examination_ids:
        examined = _examinations(
            tx,
            certification=certification,
            scope=scope,
            examination_ids=examination_ids,
            within=within,
            today=today,
        )
        refuse_examiner_of_evidence(staff_id=actor.staff(), examinations=examined.examinations)
    effective = certification.expiry_date + timedelta(days=1)
    status = SUSPENDED if suspension_stands(tx, certification) else ACTIVE
    after = dataclasses.replace(
        certification,
        scheme_version_id=version.id,
        scheme_version=version.version,
        scope=scope,
        status=status,
        status_since=certification.status_since
        if status is SUSPENDED and certification.status is SUSPENDED
        else now,
        resolve_by=certification.resolve_by if status is SUSPENDED else None,
        effective_date=effective,
        expiry_date=expiry_for(effective, content.recertification_interval_months),
    )
    renewed = reissue(
        tx,
        before=certification,
        after=after,
        kind=LifecycleKind.RECERTIFY,
        context=context,
        actor=actor,
        now=now,
        entropy=entropy,
        reason=reason,
        evidence=examined,
        evidence_ids=tuple(sorted(item.id for item in items)),
    )
    if examined is not None:
        decide_candidacies(tx, evidence=examined, certification=renewed, actor=actor, now=now)
    continue_on_new_cycle(tx, certification=renewed, version=version, actor=actor, now=now)
    return renewed

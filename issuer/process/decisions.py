"""Certification decisions (clauses 4.2, 9.4): grant or deny, by an impartial decision-maker.

A grant creates the certification: an unguessable certificate number, the scheme version,
the granted scope, the effective date and the expiry date from the scheme's interval. The
expiry date is the last day on which the certification is valid. It also schedules the
scheme's surveillance activities (:mod:`issuer.process.surveillance_schedule`).

A grant may give the ``re-grant`` remedy of an upheld appeal against a denial or a
withdrawal (clause 9.8) by naming it (``appeal_id``): an application of the same person in
the same scheme, decided by someone who took no part in the decision appealed, relying on
its own examinations and on those the decision appealed stood on
(:func:`issuer.process.appeal_remedies.regrant_due`). The decision names the appeal and
the appeal names the certification created; publication follows as for any grant.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from issuer.credentials import certificate_numbers
from issuer.credentials.issuance import IssuanceContext, issue_certificate
from issuer.errors import InvalidInput
from issuer.model import (
    ApplicationState,
    Certification,
    CertificationStatus,
    Decision,
    DecisionOutcome,
    NoticeKind,
    PersonNotice,
    RiskActivity,
)
from issuer.process import appeal_remedies, notices
from issuer.process.applications import get_application, move
from issuer.process.auth import Actor
from issuer.process.evidence import QUALIFYING, qualifies, uncovered
from issuer.process.impartiality import refuse_conflicted, refuse_examiner_of, refuse_trainer_of
from issuer.process.months import add_months
from issuer.process.surveillance_schedule import schedule_grant
from issuer.runtime import Entropy, new_id
from issuer.store import Tx

__all__ = ["DecisionInput", "add_months", "decide", "expiry_for"]


@dataclass(frozen=True, slots=True)
class DecisionInput:
    application_id: str
    outcome: DecisionOutcome
    rationale: str
    scope: tuple[str, ...] | None
    effective_date: date | None
    appeal_id: str | None = None
    """For a grant: the upheld appeal whose ``re-grant`` remedy it gives."""


def expiry_for(effective: date, interval_months: int) -> date:
    """The last valid day of a certification that starts on ``effective``."""
    return add_months(effective, interval_months) - timedelta(days=1)


def _new_number(tx: Tx, entropy: Entropy) -> str:
    for _ in range(8):
        number = certificate_numbers.generate(entropy)
        if not tx.certificate_number_taken(number):
            return number
    raise RuntimeError("the entropy source keeps repeating certificate numbers")


def _notify(
    tx: Tx,
    decision: Decision,
    certification: Certification | None,
    scheme_version_id: str,
    person_id: str,
    now: datetime,
    entropy: Entropy,
) -> PersonNotice:
    """The person's notice of the decision. A denial's says what was decided and that it
    may be appealed (9.8); its rationale stays on record, for staff to explain."""
    if certification is not None:
        facts = notices.certification_facts(tx, certification)
        facts["effective_on"] = certification.effective_date.isoformat()
        kind, subject = NoticeKind.GRANTED, certification.id
    else:
        version = tx.get_scheme_version(scheme_version_id)
        facts = {
            "scheme": version.content.title if version is not None else "",
            "decided_on": now.date().isoformat(),
        }
        kind, subject = NoticeKind.DENIED, decision.id
    return notices.queue(
        tx,
        now=now,
        entropy=entropy,
        person_id=person_id,
        kind=kind,
        subject_id=subject,
        facts=facts,
    )


def decide(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    data: DecisionInput,
    issuance: IssuanceContext,
) -> tuple[Decision, Certification | None]:
    """Record the decision; a grant creates the certification and signs its certificate
    credential in the same transaction (no credential without a decision, and no decision
    whose credential failed)."""
    maker = actor.staff()
    application = get_application(tx, data.application_id, for_update=True)
    target = (
        ApplicationState.CERTIFIED
        if data.outcome is DecisionOutcome.GRANT
        else ApplicationState.DENIED
    )
    move(application, target)
    person_id = application.person_id
    refuse_examiner_of(tx, staff_id=maker, person_id=person_id)
    refuse_trainer_of(tx, staff_id=maker, person_id=person_id, acting_as="decision-maker")
    risk_id = refuse_conflicted(
        tx,
        staff_id=maker,
        person_id=person_id,
        acting_as="decision-maker",
        activity=RiskActivity.DECIDE,
        today=now.date(),
    )
    if not data.rationale.strip():
        raise InvalidInput("a decision needs its rationale on record")
    appeal = None
    if data.appeal_id is not None:
        if data.outcome is not DecisionOutcome.GRANT:
            raise InvalidInput("only a grant gives the remedy of an upheld appeal")
        appeal = appeal_remedies.regrant_due(
            tx, appeal_id=data.appeal_id, application=application, staff_id=maker
        )

    decision = Decision(
        id=new_id(entropy),
        application_id=application.id,
        decision_maker_id=maker,
        outcome=data.outcome,
        rationale=data.rationale,
        decided_at=now,
        appeal_id=None if appeal is None else appeal.id,
    )
    certification = None
    if data.outcome is DecisionOutcome.GRANT:
        exams = tx.list_examinations(application.id)
        if appeal is not None:  # the evidence the decision appealed stood on stands
            exams = [*exams, *appeal_remedies.regrant_evidence(tx, appeal)]
        if not any(qualifies(e) for e in exams):
            raise InvalidInput(f"a grant needs {QUALIFYING}", kind="evidence-missing")
        if data.scope is not None and len(set(data.scope)) != len(data.scope):
            raise InvalidInput("name each granted scope item once")
        scope = tuple(sorted(data.scope)) if data.scope is not None else application.requested_scope
        if not scope or not set(scope) <= set(application.requested_scope):
            raise InvalidInput("the granted scope must be a non-empty part of the requested scope")
        missing = uncovered(scope, exams)
        if missing:
            raise InvalidInput(
                f"no passed examination assessed {missing}: grant only the scope items "
                f"examined, each by {QUALIFYING}",
                kind="evidence-missing",
            )
        effective = data.effective_date or now.date()
        if effective < now.date():
            raise InvalidInput("a certification cannot take effect before it is decided")
        if effective > now.date() + timedelta(days=366):
            raise InvalidInput("a certification takes effect within a year of its decision")
        version = tx.get_scheme_version(application.scheme_version_id)
        assert version is not None
        certification_id = new_id(entropy)
        certification = Certification(
            id=certification_id,
            certificate_number=_new_number(tx, entropy),
            person_id=person_id,
            scheme_id=application.scheme_id,
            scheme_version_id=version.id,
            scheme_version=version.version,
            application_id=application.id,
            decision_id=decision.id,
            scope=scope,
            status=CertificationStatus.ACTIVE,
            effective_date=effective,
            expiry_date=expiry_for(effective, version.content.recertification_interval_months),
            created_at=now,
            original_certification_date=effective,
        )

    tx.insert_decision(decision)
    notice = _notify(
        tx, decision, certification, application.scheme_version_id, person_id, now, entropy
    )
    tx.update_application(
        dataclasses.replace(application, state=target, closed_at=now, closed_by=maker)
    )
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action=f"decision.{data.outcome.value}",
        subject_type="application",
        subject_id=application.id,
        details={
            "decision_id": decision.id,
            "outcome": data.outcome.value,
            "notice_id": notice.id,
            **({} if risk_id is None else {"risk_id": risk_id}),
            **({} if appeal is None else {"appeal_id": appeal.id}),
        },
    )
    if certification is not None:
        tx.insert_certification(certification)
        tx.append_audit(
            at=now,
            actor=actor.audit_name,
            action="certification.granted",
            subject_type="certification",
            subject_id=certification.id,
            details={
                "decision_id": decision.id,
                "scheme_version_id": certification.scheme_version_id,
                "scope": ",".join(certification.scope),
                "effective_date": certification.effective_date.isoformat(),
                "expiry_date": certification.expiry_date.isoformat(),
                **({} if risk_id is None else {"risk_id": risk_id}),
            },
        )
        issue_certificate(
            tx,
            certification=certification,
            context=issuance,
            actor=actor.audit_name,
            now=now,
            entropy=entropy,
        )
        assert version is not None  # read for the grant above
        schedule_grant(tx, certification=certification, version=version, actor=actor, now=now)
        if appeal is not None:
            appeal_remedies.record_regrant(
                tx,
                actor=actor,
                now=now,
                appeal=appeal,
                decision_id=decision.id,
                certification_id=certification.id,
            )
    return decision, certification

"""The remedies of upheld appeals (clause 9.8), given only through normal decisions.

An upheld appeal changes nothing by itself. The lifecycle decision that reinstates or
restores scope, or the grant that re-grants, names the appeal: it asks here first whether
the appeal is upheld with that remedy and not yet remedied (:func:`remedy_due`,
:func:`regrant_due`), and records here afterwards which decision gave it
(:func:`record_remedy`, :func:`record_regrant`). Kept apart from :mod:`issuer.process.appeals`,
which walks an appeal from receipt to closing.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from issuer.errors import StateConflict
from issuer.model import Appeal, AppealedKind, AppealRemedy, Application, Certification, Examination
from issuer.process.appeals import (
    DONE_STATES,
    appealed_decision,
    audit_step,
    get_appeal,
    refuse_took_part,
)
from issuer.process.auth import Actor
from issuer.store import Tx

__all__ = ["record_regrant", "record_remedy", "regrant_due", "regrant_evidence", "remedy_due"]


def remedy_due(
    tx: Tx, *, appeal_id: str, certification: Certification, remedy: AppealRemedy
) -> Appeal:
    """The appeal a lifecycle decision names, locked, if it is upheld with ``remedy`` for
    ``certification`` and its remedy not yet given; otherwise 409 ``appeal-not-upheld``."""
    appeal = get_appeal(tx, appeal_id, lock=True)
    if appeal.certification_id != certification.id:
        problem = "is about another certification"
    elif appeal.state not in DONE_STATES or appeal.outcome is None or not appeal.outcome.upheld:
        outcome = appeal.outcome.value if appeal.outcome else appeal.state.value
        problem = f"is not upheld (it is {outcome})"
    elif appeal.remedy is not remedy:
        problem = f"calls for another remedy ({appeal.remedy})"
    elif appeal.remedy_decision_id is not None:
        problem = "already had its remedy given"
    else:
        return appeal
    raise StateConflict(f"the appeal named {problem}", kind="appeal-not-upheld")


def record_remedy(
    tx: Tx, *, actor: Actor, now: datetime, appeal: Appeal, decision_id: str
) -> Appeal:
    """Record that ``decision_id`` gave the remedy of ``appeal`` (from :func:`remedy_due`)."""
    remedied = dataclasses.replace(appeal, remedy_decision_id=decision_id)
    tx.update_appeal(remedied, was=appeal.state)
    audit_step(tx, actor, now, remedied, "appeal.remedied", decision_id=decision_id)
    return remedied


def regrant_due(tx: Tx, *, appeal_id: str, application: Application, staff_id: str) -> Appeal:
    """The appeal a grant names, locked, if it is upheld with ``re-grant`` for this person
    in this scheme and its remedy not yet given (otherwise 409 ``appeal-not-upheld``), and
    ``staff_id`` took no part in the decision appealed (otherwise 403)."""
    appeal = get_appeal(tx, appeal_id, lock=True)
    appealed = appealed_decision(tx, appeal.decision_kind, appeal.decision_id)
    if appeal.person_id != application.person_id or appealed.scheme_id != application.scheme_id:
        problem = "is about another person or scheme than this application"
    elif appeal.state not in DONE_STATES or appeal.outcome is None or not appeal.outcome.upheld:
        outcome = appeal.outcome.value if appeal.outcome else appeal.state.value
        problem = f"is not upheld (it is {outcome})"
    elif appeal.remedy is not AppealRemedy.RE_GRANT:
        problem = f"calls for another remedy ({appeal.remedy})"
    elif appeal.remedy_certification_id is not None:
        problem = "already had its remedy given"
    else:
        refuse_took_part(appealed, staff_id, "decision-maker")
        return appeal
    raise StateConflict(f"the appeal named {problem}", kind="appeal-not-upheld")


def regrant_evidence(tx: Tx, appeal: Appeal) -> list[Examination]:
    """The examinations the decision appealed stood on: the denied application's, or those
    of the application the withdrawn certification was granted on."""
    if appeal.decision_kind is AppealedKind.DECISION:
        decision = tx.get_decision(appeal.decision_id)
        assert decision is not None  # checked when the appeal was received
        return tx.list_examinations(decision.application_id)
    certification = tx.get_certification(appeal.certification_id or "")
    return [] if certification is None else tx.list_examinations(certification.application_id)


def record_regrant(
    tx: Tx, *, actor: Actor, now: datetime, appeal: Appeal, decision_id: str, certification_id: str
) -> Appeal:
    """Record that the grant ``decision_id`` gave the ``re-grant`` of ``appeal`` (from
    :func:`regrant_due`), creating ``certification_id``."""
    remedied = dataclasses.replace(appeal, remedy_certification_id=certification_id)
    tx.update_appeal(remedied, was=appeal.state)
    audit_step(
        tx,
        actor,
        now,
        remedied,
        "appeal.remedied",
        decision_id=decision_id,
        certification_id=certification_id,
    )
    return remedied

"""The impartiality risk register (clause 4.3): threats identified, evaluated, and
eliminated or minimised by a measure approved by someone other than who proposed it.

States: ``identified`` → ``evaluated`` (likelihood and impact, 1 to 5 each; the score is
their product) → ``treated`` (a measure proposed, then approved by another staff member) →
``closed``. An evaluated risk scoring at most :data:`~issuer.model.ACCEPTABLE_SCORE` may be
``accepted`` instead, with its rationale, by someone other than who evaluated it. A new
measure proposed for a treated risk takes it back to ``evaluated`` until that one is
approved. Any open risk may be closed, and given a new review date; past it, the register
lists the risk as overdue, and a measure past its review lifts no conflict
(:mod:`issuer.process.impartiality`). Every step is audited with who took it.

Who: administrators and scheme managers record, evaluate, propose and close; an
administrator or the impartiality committee approves, accepts and reviews. The route
roles say so; this module holds the rules that depend on the record (separation of
duties, transitions, the acceptable score).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from issuer.errors import Forbidden, InvalidInput, NotFound, StateConflict
from issuer.model import (
    ACCEPTABLE_SCORE,
    ConflictDeclaration,
    ImpartialityRisk,
    RiskActivity,
    RiskSource,
    RiskState,
    Role,
)
from issuer.process.auth import Actor
from issuer.runtime import Entropy, new_id
from issuer.store import Tx

__all__ = [
    "accept_risk",
    "approve_measure",
    "check_link",
    "close_risk",
    "evaluate_risk",
    "get_risk",
    "link_conflict",
    "propose_measure",
    "record_risk",
    "review_risk",
]

_OPEN = frozenset(RiskState) - {RiskState.CLOSED}


def get_risk(tx: Tx, risk_id: str) -> ImpartialityRisk:
    risk = tx.get_risk(risk_id)
    if risk is None:
        raise NotFound(f"no impartiality risk {risk_id[:64]!r}")
    return risk


def _locked(tx: Tx, risk_id: str, allowed: frozenset[RiskState], doing: str) -> ImpartialityRisk:
    risk = tx.lock_risk(risk_id)
    if risk is None:
        raise NotFound(f"no impartiality risk {risk_id[:64]!r}")
    if risk.state not in allowed:
        raise StateConflict(
            f"a risk that is {risk.state.value} cannot be {doing}", kind="invalid-transition"
        )
    return risk


def _audit(
    tx: Tx,
    actor: Actor,
    now: datetime,
    risk: ImpartialityRisk,
    action: str,
    **details: str | int | None,
) -> None:
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action=f"impartiality-risk.{action}",
        subject_type="impartiality-risk",
        subject_id=risk.id,
        details={"state": risk.state.value, **details},
    )


def _review_date(review_by: date, now: datetime) -> date:
    if review_by < now.date():
        raise InvalidInput("the review date cannot be in the past")
    return review_by


def record_risk(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    source: RiskSource,
    description: str,
    staff_id: str | None,
    person_id: str | None,
    review_by: date,
) -> ImpartialityRisk:
    if not description.strip():
        raise InvalidInput("describe the threat to impartiality")
    if staff_id is not None and tx.get_staff(staff_id) is None:
        raise NotFound(f"no staff member {staff_id[:64]!r}")
    if person_id is not None and tx.get_person(person_id) is None:
        raise NotFound(f"no person {person_id[:64]!r}")
    risk = ImpartialityRisk(
        id=new_id(entropy),
        source=source,
        description=description,
        staff_id=staff_id,
        person_id=person_id,
        state=RiskState.IDENTIFIED,
        review_by=_review_date(review_by, now),
        identified_by=actor.staff(),
        identified_at=now,
    )
    tx.insert_risk(risk)
    _audit(
        tx,
        actor,
        now,
        risk,
        "identified",
        source=source.value,
        staff_id=staff_id,
        person_id=person_id,
        review_by=risk.review_by.isoformat(),
    )
    return risk


def evaluate_risk(
    tx: Tx, *, actor: Actor, now: datetime, risk_id: str, likelihood: int, impact: int
) -> ImpartialityRisk:
    """Score the risk; an identified or evaluated one (a re-evaluation drops a measure that
    was proposed but not yet approved: it answered the old evaluation)."""
    if not (1 <= likelihood <= 5 and 1 <= impact <= 5):
        raise InvalidInput("likelihood and impact are each scored from 1 to 5")
    risk = _locked(tx, risk_id, frozenset({RiskState.IDENTIFIED, RiskState.EVALUATED}), "evaluated")
    risk = dataclasses.replace(
        risk,
        state=RiskState.EVALUATED,
        likelihood=likelihood,
        impact=impact,
        evaluated_by=actor.staff(),
        evaluated_at=now,
        measures=None,
        covers=frozenset(),
        proposed_by=None,
        proposed_at=None,
    )
    tx.update_risk(risk)
    _audit(
        tx, actor, now, risk, "evaluated", likelihood=likelihood, impact=impact, score=risk.score
    )
    return risk


def propose_measure(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    risk_id: str,
    measures: str,
    covers: frozenset[RiskActivity],
    review_by: date | None,
) -> ImpartialityRisk:
    """Record the measure that eliminates or minimises the risk, and the activities it lets a
    staff member with a declared conflict do; it takes effect once someone else approves it."""
    if not measures.strip():
        raise InvalidInput("describe the measure")
    risk = _locked(
        tx, risk_id, frozenset({RiskState.EVALUATED, RiskState.TREATED}), "given a measure"
    )
    risk = dataclasses.replace(
        risk,
        state=RiskState.EVALUATED,
        measures=measures,
        covers=covers,
        proposed_by=actor.staff(),
        proposed_at=now,
        approved_by=None,
        approved_at=None,
        review_by=risk.review_by if review_by is None else _review_date(review_by, now),
    )
    tx.update_risk(risk)
    _audit(
        tx,
        actor,
        now,
        risk,
        "measure-proposed",
        covers=",".join(sorted(c.value for c in covers)),
        review_by=risk.review_by.isoformat(),
    )
    return risk


def approve_measure(tx: Tx, *, actor: Actor, now: datetime, risk_id: str) -> ImpartialityRisk:
    risk = _locked(tx, risk_id, frozenset({RiskState.EVALUATED}), "treated")
    if risk.measures is None or risk.proposed_by is None:
        raise StateConflict(
            "no measure is proposed for this risk: propose one first", kind="invalid-transition"
        )
    approver = actor.staff()
    if approver == risk.proposed_by:
        raise Forbidden(
            "a measure is approved by someone other than who proposed it (clause 4.3)",
            kind="separation-of-duties",
        )
    risk = dataclasses.replace(risk, state=RiskState.TREATED, approved_by=approver, approved_at=now)
    tx.update_risk(risk)
    _audit(tx, actor, now, risk, "treated", proposed_by=risk.proposed_by)
    return risk


def accept_risk(
    tx: Tx, *, actor: Actor, now: datetime, risk_id: str, rationale: str
) -> ImpartialityRisk:
    if not rationale.strip():
        raise InvalidInput("accepting a risk needs its rationale on record")
    risk = _locked(tx, risk_id, frozenset({RiskState.EVALUATED}), "accepted")
    assert risk.score is not None
    if risk.score > ACCEPTABLE_SCORE:
        raise StateConflict(
            f"a risk scoring {risk.score} is too high to accept (at most {ACCEPTABLE_SCORE}): "
            "record a measure and have it approved",
            kind="risk-not-acceptable",
        )
    accepter = actor.staff()
    if accepter == risk.evaluated_by:
        raise Forbidden(
            "a risk is accepted by someone other than who evaluated it (clause 4.3)",
            kind="separation-of-duties",
        )
    risk = dataclasses.replace(
        risk,
        state=RiskState.ACCEPTED,
        approved_by=accepter,
        approved_at=now,
        rationale=rationale,
        measures=None,
        covers=frozenset(),
        proposed_by=None,
        proposed_at=None,
    )
    tx.update_risk(risk)
    _audit(tx, actor, now, risk, "accepted", score=risk.score)
    return risk


def review_risk(
    tx: Tx, *, actor: Actor, now: datetime, risk_id: str, review_by: date
) -> ImpartialityRisk:
    """The risk reviewed: a new review date. A treated risk's measure is renewed by that
    date, so not by who proposed the measure."""
    risk = _locked(tx, risk_id, _OPEN, "reviewed")
    reviewer = actor.staff()
    if risk.state is RiskState.TREATED and reviewer == risk.proposed_by:
        raise Forbidden(
            "a measure is reviewed by someone other than who proposed it (clause 4.3)",
            kind="separation-of-duties",
        )
    before = risk.review_by
    risk = dataclasses.replace(risk, review_by=_review_date(review_by, now))
    tx.update_risk(risk)
    _audit(
        tx,
        actor,
        now,
        risk,
        "reviewed",
        review_by_before=before.isoformat(),
        review_by=risk.review_by.isoformat(),
    )
    return risk


def close_risk(
    tx: Tx, *, actor: Actor, now: datetime, risk_id: str, reason: str
) -> ImpartialityRisk:
    """The threat is gone; a closed risk lifts no conflict any more."""
    if not reason.strip():
        raise InvalidInput("closing a risk needs its reason on record")
    risk = _locked(tx, risk_id, _OPEN, "closed")
    risk = dataclasses.replace(
        risk,
        state=RiskState.CLOSED,
        closed_by=actor.staff(),
        closed_at=now,
        closing_reason=reason,
    )
    tx.update_risk(risk)
    _audit(tx, actor, now, risk, "closed")
    return risk


def check_link(tx: Tx, *, risk_id: str, staff_id: str, person_id: str) -> ImpartialityRisk:
    """The risk a conflict of ``staff_id`` with ``person_id`` may be linked to: an open one
    that concerns that staff member and that person, so that a measure approved for one
    relationship never lifts another."""
    risk = get_risk(tx, risk_id)
    if risk.staff_id != staff_id or risk.person_id != person_id:
        raise InvalidInput(
            "the impartiality risk must concern the same staff member and person as the conflict",
            kind="risk-mismatch",
        )
    if risk.state is RiskState.CLOSED:
        raise StateConflict("the impartiality risk is closed", kind="invalid-transition")
    return risk


def link_conflict(
    tx: Tx, *, actor: Actor, now: datetime, staff_id: str, declaration_id: str, risk_id: str
) -> ConflictDeclaration:
    """Link a declared conflict to the risk that treats it (the staff member themselves, or
    an administrator)."""
    if actor.role is not Role.ADMINISTRATOR and actor.staff_id != staff_id:
        raise Forbidden("staff members link their own conflicts of interest", kind="wrong-role")
    declaration = tx.lock_conflict(declaration_id)
    if declaration is None or declaration.staff_id != staff_id:
        raise NotFound(f"no conflict declaration {declaration_id[:64]!r} of this staff member")
    check_link(tx, risk_id=risk_id, staff_id=staff_id, person_id=declaration.person_id)
    tx.link_conflict_to_risk(declaration.id, risk_id)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="conflict.linked-to-risk",
        subject_type="staff",
        subject_id=staff_id,
        details={
            "declaration_id": declaration.id,
            "person_id": declaration.person_id,
            "risk_id": risk_id,
            "risk_id_before": declaration.risk_id,
        },
    )
    return dataclasses.replace(declaration, risk_id=risk_id)

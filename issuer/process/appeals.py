"""Appeals against decisions about a person (clause 9.8), from receipt to closing.

An appeal names the decision it is against: an application's grant or denial
(``decision``) or a decision on a granted certification (``lifecycle-decision``). A
registrar records it as received (with its deadlines: acknowledgement and decision, counted
in days from the day it was received), acknowledges it, and — with an administrator — assigns
a decision-maker to investigate it. A decision-maker decides it; whoever investigates or
decides must have taken no part in the decision appealed (not its decision-maker, not the
examiner of an examination it relied on, not the person's trainer, no declared conflict
with the person). A registrar records how the outcome was communicated, then closes it. The
appellant may withdraw it until it is decided. Each step is dated, audited and moves the
state as :data:`issuer.model.APPEAL_TRANSITIONS` allows; any other move is a 409.

An upheld appeal changes nothing by itself: it records the remedy due, and a decision-maker
gives it through the normal lifecycle decision naming the appeal
(:func:`issuer.process.lifecycle.reinstate`, :func:`issuer.process.lifecycle.change_scope`),
which calls :func:`issuer.process.appeal_remedies.remedy_due` before and
:func:`~issuer.process.appeal_remedies.record_remedy` after it decides; a ``re-grant``
through a grant naming it (:func:`issuer.process.decisions.decide`, with
:func:`~issuer.process.appeal_remedies.regrant_due` and
:func:`~issuer.process.appeal_remedies.record_regrant`), on an application of the same person in
the same scheme.

The grounds and the rationale are confidential: kept here, never in an audit entry, never
published.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from issuer.errors import Forbidden, ImpartialityRefused, InvalidInput, NotFound, StateConflict
from issuer.model import (
    APPEAL_TRANSITIONS,
    Appeal,
    AppealedKind,
    AppealOutcome,
    AppealRemedy,
    AppealState,
    Appellant,
    ContactChannel,
    Examination,
    LifecycleKind,
    Role,
)
from issuer.process.auth import Actor
from issuer.process.impartiality import (
    refuse_examiner_of_evidence,
    refuse_trainer_of,
)
from issuer.runtime import Entropy, new_id
from issuer.store import Tx
from issuer.store.audit import AuditActor

__all__ = [
    "DONE_STATES",
    "AppealInput",
    "Appealed",
    "acknowledge",
    "appealed_decision",
    "assign",
    "audit_step",
    "close",
    "communicate",
    "decide",
    "get_appeal",
    "list_appeals",
    "receive",
    "receive_from_person",
    "refuse_took_part",
    "withdraw",
]

DONE_STATES = frozenset({AppealState.DECIDED, AppealState.COMMUNICATED, AppealState.CLOSED})
_REMEDIES: dict[tuple[AppealedKind, str], frozenset[AppealRemedy]] = {
    (AppealedKind.DECISION, "deny"): frozenset({AppealRemedy.RE_GRANT}),
    (AppealedKind.LIFECYCLE_DECISION, LifecycleKind.SUSPEND.value): frozenset(
        {AppealRemedy.REINSTATE}
    ),
    (AppealedKind.LIFECYCLE_DECISION, LifecycleKind.WITHDRAW.value): frozenset(
        {AppealRemedy.RE_GRANT}
    ),
    (AppealedKind.LIFECYCLE_DECISION, LifecycleKind.SCOPE.value): frozenset(
        {AppealRemedy.RESTORE_SCOPE}
    ),
}
"""Which remedies can answer an upheld appeal, by the kind of decision appealed."""


@dataclass(frozen=True, slots=True)
class AppealInput:
    decision_kind: AppealedKind
    decision_id: str
    grounds: str
    received_on: date
    appellant: Appellant
    channel: ContactChannel


@dataclass(frozen=True, slots=True)
class Appealed:
    """What an appeal is against: who decided, about whom, relying on which examinations."""

    kind: str
    decided_by: str
    person_id: str
    scheme_id: str
    certification_id: str | None
    examinations: tuple[Examination, ...]


def appealed_decision(tx: Tx, kind: AppealedKind, decision_id: str) -> Appealed:
    if kind is AppealedKind.DECISION:
        decision = tx.get_decision(decision_id)
        if decision is None:
            raise NotFound(f"no decision {decision_id[:64]!r}")
        application = tx.get_application(decision.application_id)
        assert application is not None
        certification = tx.certification_for_application(application.id)
        return Appealed(
            kind=decision.outcome.value,
            decided_by=decision.decision_maker_id,
            person_id=application.person_id,
            scheme_id=application.scheme_id,
            certification_id=None if certification is None else certification.id,
            examinations=tuple(tx.list_examinations(application.id)),
        )
    lifecycle = tx.get_lifecycle_decision(decision_id)
    if lifecycle is None:
        raise NotFound(f"no lifecycle decision {decision_id[:64]!r}")
    if lifecycle.decided_by is None:
        raise InvalidInput(
            f"no one decided this {lifecycle.kind.value}: the calendar did, and there is no "
            "decision to appeal"
        )
    certification = tx.get_certification(lifecycle.certification_id)
    assert certification is not None
    examinations = (tx.get_examination(e) for e in lifecycle.examination_ids)
    return Appealed(
        kind=lifecycle.kind.value,
        decided_by=lifecycle.decided_by,
        person_id=certification.person_id,
        scheme_id=certification.scheme_id,
        certification_id=certification.id,
        examinations=tuple(e for e in examinations if e is not None),
    )


def refuse_took_part(appealed: Appealed, staff_id: str, acting_as: str) -> None:
    if staff_id == appealed.decided_by:
        raise ImpartialityRefused(
            f"the {acting_as} took the decision appealed: an appeal is decided, and its "
            "remedy given, by someone who took no part in it (clause 9.8)",
            kind="took-part-in-decision",
        )
    refuse_examiner_of_evidence(staff_id=staff_id, examinations=appealed.examinations)


def _refuse_involved(tx: Tx, appeal: Appeal, staff_id: str, acting_as: str) -> None:
    """Refuse ``staff_id`` if they took any part in the decision appealed (9.8)."""
    appealed = appealed_decision(tx, appeal.decision_kind, appeal.decision_id)
    refuse_took_part(appealed, staff_id, acting_as)
    refuse_trainer_of(tx, staff_id=staff_id, person_id=appeal.person_id, acting_as=acting_as)
    if tx.conflicts_between(staff_id, appeal.person_id):
        # No measure lifts it here: an appeal is heard by someone free of the matter (9.8),
        # and there is always another decision-maker to hear it.
        raise ImpartialityRefused(
            f"the {acting_as} declared a conflict of interest with this person (clause 4.3): "
            "an appeal is heard by someone with none, whatever measure is in force",
            kind="declared-conflict",
        )


def get_appeal(tx: Tx, appeal_id: str, *, lock: bool = False) -> Appeal:
    appeal = tx.lock_appeal(appeal_id) if lock else tx.get_appeal(appeal_id)
    if appeal is None:
        raise NotFound(f"no appeal {appeal_id[:64]!r}")
    return appeal


def list_appeals(
    tx: Tx, *, today: date, state: AppealState | None = None, overdue: bool = False
) -> list[Appeal]:
    return tx.list_appeals(state=state, overdue_on=today if overdue else None)


def receive(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    data: AppealInput,
    acknowledge_days: int,
    decide_days: int,
) -> Appeal:
    """Record an appeal as received on ``data.received_on`` (not in the future), with its
    deadlines counted from that day."""
    if data.received_on > now.date():
        raise InvalidInput("an appeal cannot be received in the future")
    if data.channel is ContactChannel.OWN_ACCESS:
        raise InvalidInput("only the person sends an appeal through their own access")
    appealed = appealed_decision(tx, data.decision_kind, data.decision_id)
    return _received(
        tx,
        audit_as=actor.audit_name,
        now=now,
        entropy=entropy,
        data=data,
        appealed=appealed,
        received_by=actor.staff(),
        days=(acknowledge_days, decide_days),
    )


def receive_from_person(
    tx: Tx,
    *,
    person_id: str,
    now: datetime,
    entropy: Entropy,
    decision_kind: AppealedKind,
    decision_id: str,
    grounds: str,
    acknowledge_days: int,
    decide_days: int,
) -> Appeal:
    """Record an appeal the person sent through their own access, received today by no staff
    member; staff handle it from there as any other. A person appeals only a decision about
    themselves: any other is "not found", so that no one learns what exists."""
    try:
        appealed = appealed_decision(tx, decision_kind, decision_id)
    except InvalidInput:
        raise NotFound(f"no decision {decision_id[:64]!r} about you") from None
    if appealed.person_id != person_id:
        raise NotFound(f"no decision {decision_id[:64]!r} about you")
    data = AppealInput(
        decision_kind=decision_kind,
        decision_id=decision_id,
        grounds=grounds,
        received_on=now.date(),
        appellant=Appellant.PERSON,
        channel=ContactChannel.OWN_ACCESS,
    )
    return _received(
        tx,
        audit_as=f"person:{person_id}",
        now=now,
        entropy=entropy,
        data=data,
        appealed=appealed,
        received_by=None,
        days=(acknowledge_days, decide_days),
    )


def _received(
    tx: Tx,
    *,
    audit_as: AuditActor | str,
    now: datetime,
    entropy: Entropy,
    data: AppealInput,
    appealed: Appealed,
    received_by: str | None,
    days: tuple[int, int],
) -> Appeal:
    if not data.grounds.strip():
        raise InvalidInput("an appeal needs its grounds on record")
    appeal = Appeal(
        id=new_id(entropy),
        decision_kind=data.decision_kind,
        decision_id=data.decision_id,
        person_id=appealed.person_id,
        certification_id=appealed.certification_id,
        grounds=data.grounds,
        received_on=data.received_on,
        appellant=data.appellant,
        channel=data.channel,
        acknowledge_by=data.received_on + timedelta(days=days[0]),
        decide_by=data.received_on + timedelta(days=days[1]),
        state=AppealState.RECEIVED,
        received_at=now,
        received_by=received_by,
    )
    tx.insert_appeal(appeal)
    tx.append_audit(
        at=now,
        actor=audit_as,
        action="appeal.received",
        subject_type="appeal",
        subject_id=appeal.id,
        details={
            "state": appeal.state.value,
            "decision_kind": appeal.decision_kind.value,
            "decision_id": appeal.decision_id,
            "received_on": appeal.received_on.isoformat(),
            "appellant": appeal.appellant.value,
            "channel": appeal.channel.value,
            "acknowledge_by": appeal.acknowledge_by.isoformat(),
            "decide_by": appeal.decide_by.isoformat(),
        },
    )
    return appeal


def _move(tx: Tx, appeal: Appeal, target: AppealState, **changes: object) -> Appeal:
    """Move ``appeal`` (locked) to ``target`` with ``changes``, or refuse the move."""
    if target not in APPEAL_TRANSITIONS[appeal.state]:
        raise StateConflict(
            f"an appeal that is {appeal.state.value} cannot become {target.value}",
            kind="invalid-transition",
        )
    moved = dataclasses.replace(appeal, state=target, **changes)  # type: ignore[arg-type]
    if not tx.update_appeal(moved, was=appeal.state):  # pragma: no cover - locked above
        raise StateConflict("the appeal changed meanwhile", kind="invalid-transition")
    return moved


def acknowledge(tx: Tx, *, actor: Actor, now: datetime, appeal_id: str) -> Appeal:
    appeal = get_appeal(tx, appeal_id, lock=True)
    moved = _move(
        tx, appeal, AppealState.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by=actor.staff()
    )
    audit_step(
        tx, actor, now, moved, "appeal.acknowledged", late=now.date() > appeal.acknowledge_by
    )
    return moved


def assign(tx: Tx, *, actor: Actor, now: datetime, appeal_id: str, investigator_id: str) -> Appeal:
    """Put the appeal under investigation by a decision-maker who took no part in the
    decision appealed."""
    appeal = get_appeal(tx, appeal_id, lock=True)
    if AppealState.UNDER_INVESTIGATION not in APPEAL_TRANSITIONS[appeal.state]:
        _move(tx, appeal, AppealState.UNDER_INVESTIGATION)  # refuses with the reason
    investigator = tx.get_staff(investigator_id)
    if investigator is None:
        raise NotFound(f"no staff member {investigator_id[:64]!r}")
    if Role.DECISION_MAKER not in investigator.roles or not investigator.active:
        raise Forbidden(
            "an appeal is investigated by an active decision-maker", kind="missing-role"
        )
    _refuse_involved(tx, appeal, investigator.id, "investigator")
    moved = _move(
        tx,
        appeal,
        AppealState.UNDER_INVESTIGATION,
        investigator_id=investigator.id,
        assigned_at=now,
        assigned_by=actor.staff(),
    )
    audit_step(tx, actor, now, moved, "appeal.assigned", investigator_id=investigator.id)
    return moved


def decide(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    appeal_id: str,
    outcome: AppealOutcome,
    rationale: str,
    remedy: AppealRemedy | None,
) -> Appeal:
    """Decide the appeal: upheld (wholly or partly) with the remedy due, or rejected. The
    decision-maker took no part in the decision appealed, and is the one assigned to
    investigate it (403 ``not-investigator`` otherwise). Nothing else changes: the remedy is
    given by a decision of its own that names the appeal."""
    maker = actor.staff()
    appeal = get_appeal(tx, appeal_id, lock=True)
    if AppealState.DECIDED not in APPEAL_TRANSITIONS[appeal.state]:
        _move(tx, appeal, AppealState.DECIDED)  # refuses with the reason
    _refuse_involved(tx, appeal, maker, "decision-maker")
    if maker != appeal.investigator_id:
        raise Forbidden(
            "only the decision-maker assigned to investigate this appeal decides it",
            kind="not-investigator",
        )
    if not rationale.strip():
        raise InvalidInput("an appeal's decision needs its rationale on record")
    if outcome.upheld:
        appealed = appealed_decision(tx, appeal.decision_kind, appeal.decision_id)
        fitting = _REMEDIES.get((appeal.decision_kind, appealed.kind), frozenset())
        if remedy not in fitting:
            names = ", ".join(sorted(r.value for r in fitting)) or "none"
            raise InvalidInput(
                f"an upheld appeal against a {appealed.kind} names the remedy due: {names}"
            )
    elif remedy is not None:
        raise InvalidInput("a rejected appeal has no remedy")
    moved = _move(
        tx,
        appeal,
        AppealState.DECIDED,
        outcome=outcome,
        remedy=remedy,
        rationale=rationale,
        decided_at=now,
        decided_by=maker,
    )
    audit_step(
        tx,
        actor,
        now,
        moved,
        "appeal.decided",
        outcome=outcome.value,
        remedy=None if remedy is None else remedy.value,
        late=now.date() > appeal.decide_by,
    )
    return moved


def communicate(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    appeal_id: str,
    communicated_on: date,
    via: ContactChannel,
) -> Appeal:
    """Record when and how the outcome was communicated to the appellant."""
    appeal = get_appeal(tx, appeal_id, lock=True)
    if AppealState.COMMUNICATED in APPEAL_TRANSITIONS[appeal.state]:
        assert appeal.decided_at is not None
        if communicated_on > now.date() or communicated_on < appeal.decided_at.date():
            raise InvalidInput(
                "the outcome is communicated on or after the day it was decided, and not in "
                "the future"
            )
    moved = _move(
        tx,
        appeal,
        AppealState.COMMUNICATED,
        communicated_on=communicated_on,
        communicated_via=via,
        communicated_at=now,
        communicated_by=actor.staff(),
    )
    audit_step(
        tx,
        actor,
        now,
        moved,
        "appeal.communicated",
        communicated_on=communicated_on.isoformat(),
        via=via.value,
    )
    return moved


def close(tx: Tx, *, actor: Actor, now: datetime, appeal_id: str) -> Appeal:
    appeal = get_appeal(tx, appeal_id, lock=True)
    moved = _move(tx, appeal, AppealState.CLOSED, closed_at=now, closed_by=actor.staff())
    audit_step(tx, actor, now, moved, "appeal.closed")
    return moved


def withdraw(tx: Tx, *, actor: Actor, now: datetime, appeal_id: str) -> Appeal:
    """The appellant withdraws the appeal (recorded by staff); only before it is decided."""
    appeal = get_appeal(tx, appeal_id, lock=True)
    moved = _move(tx, appeal, AppealState.WITHDRAWN, withdrawn_at=now, withdrawn_by=actor.staff())
    audit_step(tx, actor, now, moved, "appeal.withdrawn", was=appeal.state.value)
    return moved


def audit_step(
    tx: Tx, actor: Actor, now: datetime, appeal: Appeal, action: str, **details: str | bool | None
) -> None:
    """Audit a step; never the grounds or the rationale, which are confidential."""
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action=action,
        subject_type="appeal",
        subject_id=appeal.id,
        details={"state": appeal.state.value, **details},
    )

"""Findings of the management system and their corrective actions (ISO/IEC 17024 clause 10).

An administrator or a scheme manager raises a finding — from an internal audit, a management
review, a complaint, an appeal or elsewhere — naming the clause it concerns, what was found
and how serious it is. They plan its corrective action (root cause, action, the staff member
who owns it, the day it is due), record that the action was taken, and check its
effectiveness: the check is made by someone other than the action's owner (403
``separation-of-duties``). Found effective, the finding is closed; found not effective, it
goes back to ``open`` with the note of why, for a new corrective action. Each step is dated,
audited and moves the state as :data:`issuer.model.FINDING_TRANSITIONS` allows; any other
move is a 409 ``invalid-transition``. A finding not closed by its action's due date is
overdue.

The audit log records the steps, the clause and the severity, never the texts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from issuer.errors import Forbidden, InvalidInput, NotFound, StateConflict
from issuer.model import (
    FINDING_TRANSITIONS,
    Finding,
    FindingSeverity,
    FindingSource,
    FindingState,
)
from issuer.process.auth import Actor
from issuer.runtime import Entropy, new_id
from issuer.store import Tx

__all__ = [
    "CorrectiveAction",
    "FindingInput",
    "check_effectiveness",
    "get_finding",
    "list_findings",
    "plan_action",
    "raise_finding",
    "record_action_taken",
]


@dataclass(frozen=True, slots=True)
class FindingInput:
    source: FindingSource
    clause: str
    description: str
    severity: FindingSeverity
    raised_on: date


@dataclass(frozen=True, slots=True)
class CorrectiveAction:
    root_cause: str
    action: str
    owner_id: str
    due_on: date


def get_finding(tx: Tx, finding_id: str, *, lock: bool = False) -> Finding:
    finding = tx.lock_finding(finding_id) if lock else tx.get_finding(finding_id)
    if finding is None:
        raise NotFound(f"no finding {finding_id[:64]!r}")
    return finding


def list_findings(
    tx: Tx, *, today: date, state: FindingState | None = None, overdue: bool = False
) -> list[Finding]:
    return tx.list_findings(state=state, overdue_on=today if overdue else None)


def raise_finding(
    tx: Tx, *, actor: Actor, now: datetime, entropy: Entropy, data: FindingInput
) -> Finding:
    """Record a finding raised on ``data.raised_on`` (not in the future)."""
    if data.raised_on > now.date():
        raise InvalidInput("a finding cannot be raised in the future")
    finding = Finding(
        id=new_id(entropy),
        source=data.source,
        clause=data.clause,
        description=data.description,
        severity=data.severity,
        raised_on=data.raised_on,
        raised_by=actor.staff(),
        raised_at=now,
        state=FindingState.OPEN,
    )
    tx.insert_finding(finding)
    _audit(
        tx,
        actor,
        now,
        finding,
        "finding.raised",
        source=finding.source.value,
        clause=finding.clause,
        severity=finding.severity.value,
        raised_on=finding.raised_on.isoformat(),
    )
    return finding


def _move(tx: Tx, finding: Finding, target: FindingState, **changes: object) -> Finding:
    """Move ``finding`` (locked) to ``target`` with ``changes``, or refuse the move."""
    _allowed(finding, target)
    moved = dataclasses.replace(finding, state=target, **changes)  # type: ignore[arg-type]
    if not tx.update_finding(moved, was=finding.state):  # pragma: no cover - locked above
        raise StateConflict("the finding changed meanwhile", kind="invalid-transition")
    return moved


def _allowed(finding: Finding, target: FindingState) -> None:
    if target not in FINDING_TRANSITIONS[finding.state]:
        raise StateConflict(
            f"a finding that is {finding.state.value} cannot become {target.value}",
            kind="invalid-transition",
        )


def plan_action(
    tx: Tx, *, actor: Actor, now: datetime, finding_id: str, plan: CorrectiveAction
) -> Finding:
    """Record the corrective action of an open finding: its root cause, the action, the
    active staff member who owns it and the day it is due (not in the past)."""
    finding = get_finding(tx, finding_id, lock=True)
    _allowed(finding, FindingState.ACTION_PLANNED)
    owner = tx.get_staff(plan.owner_id)
    if owner is None:
        raise NotFound(f"no staff member {plan.owner_id[:64]!r}")
    if not owner.active:
        raise StateConflict(
            "the owner of a corrective action is an active staff member", kind="staff-inactive"
        )
    if plan.due_on < now.date():
        raise InvalidInput("a corrective action cannot be due in the past")
    moved = _move(
        tx,
        finding,
        FindingState.ACTION_PLANNED,
        root_cause=plan.root_cause,
        action=plan.action,
        owner_id=owner.id,
        due_on=plan.due_on,
        planned_at=now,
        planned_by=actor.staff(),
    )
    _audit(
        tx,
        actor,
        now,
        moved,
        "finding.action-planned",
        owner_id=owner.id,
        due_on=plan.due_on.isoformat(),
    )
    return moved


def record_action_taken(
    tx: Tx, *, actor: Actor, now: datetime, finding_id: str, note: str
) -> Finding:
    """Record that the corrective action was taken, with what was done."""
    finding = get_finding(tx, finding_id, lock=True)
    moved = _move(
        tx,
        finding,
        FindingState.ACTION_TAKEN,
        action_note=note,
        taken_at=now,
        taken_by=actor.staff(),
    )
    assert finding.due_on is not None
    _audit(tx, actor, now, moved, "finding.action-taken", late=now.date() > finding.due_on)
    return moved


def check_effectiveness(
    tx: Tx, *, actor: Actor, now: datetime, finding_id: str, effective: bool, note: str
) -> Finding:
    """Check whether the corrective action taken was effective; never by its owner.
    Effective, the finding is closed; not effective, it is open again for a new action."""
    checker = actor.staff()
    finding = get_finding(tx, finding_id, lock=True)
    target = FindingState.CLOSED if effective else FindingState.OPEN
    _allowed(finding, target)
    if checker == finding.owner_id:
        raise Forbidden(
            "the effectiveness of a corrective action is checked by someone other than its owner",
            kind="separation-of-duties",
        )
    moved = _move(
        tx,
        finding,
        target,
        effective=effective,
        check_note=note,
        checked_at=now,
        checked_by=checker,
        times_reopened=finding.times_reopened + (0 if effective else 1),
        closed_at=now if effective else None,
    )
    _audit(tx, actor, now, moved, "finding.checked", effective=effective)
    return moved


def _audit(
    tx: Tx, actor: Actor, now: datetime, finding: Finding, action: str, **details: str | bool
) -> None:
    """Audit a step: its state, never the texts of the finding or its action."""
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action=action,
        subject_type="finding",
        subject_id=finding.id,
        details={"state": finding.state.value, **details},
    )

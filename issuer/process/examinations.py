"""Examinations (clauses 9.3, 7.4.4, 6.2.2, 6.5): recorded for a candidate by an approved,
unconflicted examiner who did not train them, with the scope items they assessed (what a
grant or a later expansion of scope may rely on them for).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from issuer.errors import Forbidden, InvalidInput, NotFound, StateConflict
from issuer.model import (
    AiUse,
    ApplicationState,
    Examination,
    ExaminationResult,
    InvigilationMode,
    RiskActivity,
    Role,
)
from issuer.process.applications import get_application
from issuer.process.auth import Actor
from issuer.process.impartiality import refuse_conflicted, refuse_trainer_of
from issuer.runtime import Entropy, new_id
from issuer.store import Tx

__all__ = ["ExaminationInput", "get_examination", "record_examination"]


@dataclass(frozen=True, slots=True)
class ExaminationInput:
    application_id: str
    examiner_id: str | None
    held_on: date
    method: str
    result: ExaminationResult
    score: float
    max_score: float
    nda_accepted: bool
    identity_checked: bool
    invigilation_mode: InvigilationMode
    irregularities: str | None
    ai_use: AiUse | None
    scope: tuple[str, ...] | None = None
    """The scope items assessed; ``None``: every item the application requests."""


def get_examination(tx: Tx, examination_id: str) -> Examination:
    examination = tx.get_examination(examination_id)
    if examination is None:
        raise NotFound(f"no examination {examination_id!r}")
    return examination


def _examiner_id(actor: Actor, given: str | None) -> str:
    """An examiner records their own examinations; a registrar names the examiner."""
    if actor.role is Role.EXAMINER:
        if given is not None and given != actor.staff():
            raise Forbidden("examiners record their own examinations only", kind="wrong-role")
        return actor.staff()
    if given is None:
        raise InvalidInput("name the examiner (examiner_id)")
    return given


def _assessed(requested: tuple[str, ...], given: tuple[str, ...] | None) -> tuple[str, ...]:
    """The scope items an examination assessed: those named, each once and all requested
    by the application (a candidate is examined only for what they applied for)."""
    if given is None:
        return requested
    if not given or len(set(given)) != len(given):
        raise InvalidInput("name each assessed scope item once, at least one")
    unrequested = sorted(set(given) - set(requested))
    if unrequested:
        raise InvalidInput(
            f"an examination assesses only scope items the application requests "
            f"({sorted(requested)}); not requested: {unrequested}"
        )
    return tuple(sorted(given))


def record_examination(
    tx: Tx, *, actor: Actor, now: datetime, entropy: Entropy, data: ExaminationInput
) -> Examination:
    application = get_application(tx, data.application_id)
    if application.state is not ApplicationState.ACCEPTED:
        raise StateConflict(
            f"only candidates are examined; this application is {application.state.value}",
            kind="not-a-candidate",
        )
    examiner_id = _examiner_id(actor, data.examiner_id)
    examiner = tx.get_staff(examiner_id)
    if examiner is None:
        raise NotFound(f"no staff member {examiner_id!r}")
    if Role.EXAMINER not in examiner.roles or not examiner.active:
        raise Forbidden("the named examiner does not hold the examiner role", kind="missing-role")
    approval = tx.get_approval(examiner_id, application.scheme_id)
    if approval is None or (
        approval.valid_until is not None and approval.valid_until < data.held_on
    ):
        raise Forbidden(
            "the examiner is not approved for this scheme on that date (clause 6.2.2)",
            kind="examiner-not-approved",
        )
    refuse_trainer_of(
        tx, staff_id=examiner_id, person_id=application.person_id, acting_as="examiner"
    )
    risk_id = refuse_conflicted(
        tx,
        staff_id=examiner_id,
        person_id=application.person_id,
        acting_as="examiner",
        activity=RiskActivity.EXAMINE,
        today=now.date(),
    )
    if data.held_on > now.date():
        raise InvalidInput("an examination cannot be recorded before it is held")
    if not 0 <= data.score <= data.max_score or data.max_score <= 0:
        raise InvalidInput("the score must lie between 0 and a positive max_score")
    scope = _assessed(application.requested_scope, data.scope)
    if data.ai_use is not None:
        if tx.get_staff(data.ai_use.human_reviewer_id) is None:
            raise NotFound(f"no staff member {data.ai_use.human_reviewer_id!r} to review AI use")
        if data.ai_use.acknowledged_by_person_at > now:
            raise InvalidInput("the person's acknowledgement of AI use cannot be in the future")
    examination = Examination(
        id=new_id(entropy),
        application_id=application.id,
        examiner_id=examiner_id,
        scope=scope,
        held_on=data.held_on,
        method=data.method,
        result=data.result,
        score=data.score,
        max_score=data.max_score,
        nda_accepted=data.nda_accepted,
        identity_checked=data.identity_checked,
        invigilation_mode=data.invigilation_mode,
        irregularities=data.irregularities,
        ai_use=data.ai_use,
        recorded_at=now,
        recorded_by=actor.staff(),
    )
    tx.insert_examination(examination)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="examination.recorded",
        subject_type="examination",
        subject_id=examination.id,
        details={
            "application_id": application.id,
            "examiner_id": examiner_id,
            "result": data.result.value,
            "scope": ",".join(scope),
            "ai_used": data.ai_use is not None,
            **({} if risk_id is None else {"risk_id": risk_id}),
        },
    )
    return examination

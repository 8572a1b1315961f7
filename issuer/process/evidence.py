"""What a certification decision may rely on (clauses 9.3, 9.4, 9.5, 7.4.4).

The evidence is examinations: passed, with the candidate's identity checked and the
confidentiality agreement accepted, each for the scope items it assessed. A grant relies on
the examinations of its application; an expansion of scope names the examinations it relies
on, which must be of the same person under the same scheme and together cover every item
added, so that no item is ever certified without assessed competence behind it.

An expansion decides the candidacy its evidence came from: an application still open (the
person applied for the added items and was examined) is closed as certified, as a grant
would close it, so that it cannot be granted a second time nor keep the person from
applying again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime

from issuer.errors import InvalidInput
from issuer.model import (
    Application,
    ApplicationState,
    Certification,
    Examination,
    ExaminationResult,
)
from issuer.process.applications import get_application, move
from issuer.process.auth import Actor
from issuer.process.examinations import get_examination
from issuer.store import Tx

__all__ = ["Evidence", "decide_candidacies", "expansion_evidence", "qualifies", "uncovered"]

QUALIFYING = (
    "a passed examination with the candidate's identity checked and the confidentiality "
    "agreement accepted (clauses 9.3, 7.4.4)"
)


def qualifies(examination: Examination) -> bool:
    """Whether a decision may rely on the examination at all."""
    return (
        examination.result is ExaminationResult.PASS
        and examination.nda_accepted
        and examination.identity_checked
    )


def uncovered(scope: Iterable[str], examinations: Iterable[Examination]) -> list[str]:
    """The items of ``scope`` that no qualifying examination among ``examinations`` assessed."""
    assessed = {code for e in examinations if qualifies(e) for code in e.scope}
    return sorted(set(scope) - assessed)


@dataclasses.dataclass(frozen=True, slots=True)
class Evidence:
    """The examinations an expansion relies on, and the applications they were held for."""

    examinations: tuple[Examination, ...]
    applications: tuple[Application, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(sorted(e.id for e in self.examinations))


def expansion_evidence(
    tx: Tx,
    *,
    certification: Certification,
    added: tuple[str, ...],
    examination_ids: tuple[str, ...],
) -> Evidence:
    """The named examinations, checked to support adding ``added`` to ``certification``.

    Each must be of this person under this certification's scheme, held for an application
    that was not denied, and qualifying; together they must have assessed every added item.
    The applications they were held for are locked: the expansion may close one.
    """
    if not examination_ids:
        raise InvalidInput(
            f"adding {list(added)} to the scope needs the examinations it relies on: name "
            f"(examination_ids) each {QUALIFYING} that assessed them",
            kind="evidence-missing",
        )
    if len(set(examination_ids)) != len(examination_ids):
        raise InvalidInput("name each examination relied on once")
    examinations: list[Examination] = []
    applications: dict[str, Application] = {}
    for examination_id in examination_ids:
        examination = get_examination(tx, examination_id)
        application = applications.get(examination.application_id)
        if application is None:
            application = get_application(tx, examination.application_id, for_update=True)
            applications[application.id] = application
        if (
            application.person_id != certification.person_id
            or application.scheme_id != certification.scheme_id
        ):
            raise InvalidInput(
                f"examination {examination_id!r} is not of this certified person under this "
                "certification's scheme",
                kind="evidence-not-usable",
            )
        if application.state is ApplicationState.DENIED:
            raise InvalidInput(
                f"certification was denied on the application examination {examination_id!r} "
                "was held for: a decision cannot rely on it",
                kind="evidence-not-usable",
            )
        if not qualifies(examination):
            raise InvalidInput(
                f"examination {examination_id!r} is not {QUALIFYING}", kind="evidence-missing"
            )
        examinations.append(examination)
    missing = uncovered(added, examinations)
    if missing:
        raise InvalidInput(
            f"no examination named assessed {missing}: every item added to the scope needs "
            f"{QUALIFYING} that assessed it",
            kind="evidence-missing",
        )
    return Evidence(tuple(examinations), tuple(applications.values()))


def decide_candidacies(
    tx: Tx, *, evidence: Evidence, certification: Certification, actor: Actor, now: datetime
) -> None:
    """Close, as certified, each application still open whose examination an expansion of
    ``certification`` relied on: the expansion was the decision on that candidacy."""
    for application in evidence.applications:
        if application.state is not ApplicationState.ACCEPTED:
            continue
        move(application, ApplicationState.CERTIFIED)
        tx.update_application(
            dataclasses.replace(
                application,
                state=ApplicationState.CERTIFIED,
                closed_at=now,
                closed_by=actor.staff(),
            )
        )
        tx.append_audit(
            at=now,
            actor=actor.audit_name,
            action="application.certified",
            subject_type="application",
            subject_id=application.id,
            details={
                "from": application.state.value,
                "to": ApplicationState.CERTIFIED.value,
                "certification_id": certification.id,
            },
        )

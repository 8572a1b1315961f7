"""Applications (clause 9.2): submitted, reviewed, then accepted (a candidate) or rejected.

Every move is checked against :data:`issuer.model.APPLICATION_TRANSITIONS`; anything else is
a :class:`~issuer.errors.StateConflict` and leaves the record untouched.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from issuer.errors import InvalidInput, NotFound, StateConflict
from issuer.model import APPLICATION_TRANSITIONS, Application, ApplicationState
from issuer.process.auth import Actor
from issuer.process.schemes import get_scheme
from issuer.runtime import Entropy, new_id
from issuer.store import Tx

__all__ = ["accept", "get_application", "move", "reject", "review", "submit"]

OPEN_STATES = frozenset(
    {ApplicationState.SUBMITTED, ApplicationState.REVIEWED, ApplicationState.ACCEPTED}
)


def get_application(tx: Tx, application_id: str, *, for_update: bool = False) -> Application:
    application = tx.get_application(application_id, for_update=for_update)
    if application is None:
        raise NotFound(f"no application {application_id!r}")
    return application


def move(application: Application, to: ApplicationState) -> None:
    """Refuse any move the process does not allow."""
    if to not in APPLICATION_TRANSITIONS[application.state]:
        raise StateConflict(
            f"an application that is {application.state.value} cannot become {to.value}",
            kind="invalid-transition",
        )


def submit(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    person_id: str,
    scheme_id: str,
    scope: tuple[str, ...],
) -> Application:
    if tx.get_person(person_id) is None:
        raise NotFound(f"no person {person_id!r}")
    scheme = get_scheme(tx, scheme_id)
    offered = {item.code for item in scheme.current.content.scope_items}
    unknown = sorted(set(scope) - offered)
    if unknown:
        raise InvalidInput(f"scope items not in the scheme's current version: {unknown}")
    if not scope or len(set(scope)) != len(scope):
        raise InvalidInput("name each requested scope item once, at least one")
    if tx.has_open_application(person_id, scheme_id, OPEN_STATES):
        raise StateConflict(
            "the person already has an open application for this scheme",
            kind="open-application",
        )
    application = Application(
        id=new_id(entropy),
        person_id=person_id,
        scheme_id=scheme_id,
        scheme_version_id=scheme.current.id,
        requested_scope=tuple(sorted(scope)),
        state=ApplicationState.SUBMITTED,
        submitted_at=now,
        submitted_by=actor.staff(),
        reviewed_at=None,
        reviewed_by=None,
        review_notes=None,
        closed_at=None,
        closed_by=None,
        rejection_reason=None,
    )
    tx.insert_application(application)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="application.submitted",
        subject_type="application",
        subject_id=application.id,
        details={"person_id": person_id, "scheme_version_id": scheme.current.id},
    )
    return application


def _transition(
    tx: Tx,
    application: Application,
    to: ApplicationState,
    *,
    actor: Actor,
    now: datetime,
    **changes: object,
) -> Application:
    move(application, to)
    updated = dataclasses.replace(application, state=to, **changes)  # type: ignore[arg-type]
    tx.update_application(updated)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action=f"application.{to.value}",
        subject_type="application",
        subject_id=application.id,
        details={"from": application.state.value, "to": to.value},
    )
    return updated


def review(tx: Tx, *, actor: Actor, now: datetime, application_id: str, notes: str) -> Application:
    application = get_application(tx, application_id, for_update=True)
    return _transition(
        tx,
        application,
        ApplicationState.REVIEWED,
        actor=actor,
        now=now,
        reviewed_at=now,
        reviewed_by=actor.staff(),
        review_notes=notes,
    )


def accept(tx: Tx, *, actor: Actor, now: datetime, application_id: str) -> Application:
    """The applicant met the application requirements and becomes a candidate."""
    application = get_application(tx, application_id, for_update=True)
    return _transition(
        tx,
        application,
        ApplicationState.ACCEPTED,
        actor=actor,
        now=now,
        closed_at=None,
        closed_by=None,
    )


def reject(tx: Tx, *, actor: Actor, now: datetime, application_id: str, reason: str) -> Application:
    application = get_application(tx, application_id, for_update=True)
    if not reason.strip():
        raise InvalidInput("a rejection needs a reason")
    return _transition(
        tx,
        application,
        ApplicationState.REJECTED,
        actor=actor,
        now=now,
        closed_at=now,
        closed_by=actor.staff(),
        rejection_reason=reason,
    )

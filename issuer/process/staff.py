"""Personnel (clauses 5.1.2, 6.1, 6.2): roles, examiner approval, competence, impartiality.

Conflict-of-interest declarations (4.3, 6.2.1) and trainer relations (5.2.3 e) are recorded
here and consulted by :mod:`issuer.process.examinations` and :mod:`issuer.process.decisions`, which
refuse to let a conflicted person examine or decide. Who may give which role or token, and
how tokens end, is :mod:`issuer.process.access`.
"""

from __future__ import annotations

from datetime import date, datetime

from issuer.errors import Forbidden, InvalidInput, NotFound
from issuer.model import (
    ApiToken,
    CompetenceRecord,
    ConflictDeclaration,
    ExaminerApproval,
    Role,
    Staff,
    TrainerRelation,
)
from issuer.process import access, risks, tokens
from issuer.process.auth import Actor
from issuer.runtime import Entropy, new_id
from issuer.store import Tx
from issuer.store.audit import AuditActor

__all__ = [
    "approve_examiner",
    "create_staff",
    "create_token",
    "declare_conflict",
    "enrol",
    "get_staff",
    "record_competence",
    "record_trainer_relation",
    "set_roles",
]

STAFF_ROLES = frozenset(Role) - {Role.REGULATOR}


def get_staff(tx: Tx, staff_id: str) -> Staff:
    staff = tx.get_staff(staff_id)
    if staff is None:
        raise NotFound(f"no staff member {staff_id!r}")
    return staff


def create_staff(
    tx: Tx,
    *,
    actor: str | AuditActor,
    now: datetime,
    entropy: Entropy,
    name: str,
    email: str | None,
    roles: frozenset[Role],
) -> Staff:
    """``actor`` is the audit name of whoever records the staff member (a token or the CLI)."""
    access.check_roles(roles)
    staff = Staff(
        id=new_id(entropy), name=name, email=email, roles=roles, active=True, created_at=now
    )
    tx.insert_staff(staff)
    tx.append_audit(
        at=now,
        actor=actor,
        action="staff.created",
        subject_type="staff",
        subject_id=staff.id,
        details={"roles": ",".join(sorted(r.value for r in roles))},
    )
    return staff


def set_roles(
    tx: Tx, *, actor: Actor, now: datetime, staff_id: str, roles: frozenset[Role]
) -> Staff:
    """Give the staff member exactly ``roles``. Their tokens for a role taken away are
    revoked, so giving the role back later needs a new token; so are any left over for a
    role they did not hold before this change (only tokens for a role held before and after
    stay valid)."""
    before = access.locked_staff(tx, staff_id)
    access.check_grant(actor, before, roles)
    tx.set_roles(staff_id, roles)
    access.revoke_tokens_of(
        tx,
        actor=actor,
        now=now,
        staff_id=staff_id,
        keep=before.roles & roles,
        reason="role-removed",
    )
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="staff.roles-set",
        subject_type="staff",
        subject_id=staff_id,
        details={"roles": ",".join(sorted(r.value for r in roles))},
    )
    return get_staff(tx, staff_id)


def approve_examiner(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    staff_id: str,
    scheme_id: str,
    valid_until: date | None,
) -> ExaminerApproval:
    """Clause 6.2.2: approve an examiner for one scheme."""
    staff = get_staff(tx, staff_id)
    if Role.EXAMINER not in staff.roles:
        raise InvalidInput("only a staff member with the examiner role can be approved")
    if tx.get_scheme(scheme_id) is None:
        raise NotFound(f"no scheme {scheme_id!r}")
    if valid_until is not None and valid_until < now.date():
        raise InvalidInput("an approval cannot end in the past")
    approval = ExaminerApproval(
        id=new_id(entropy),
        staff_id=staff_id,
        scheme_id=scheme_id,
        approved_by=actor.staff(),
        approved_at=now,
        valid_until=valid_until,
    )
    tx.insert_approval(approval)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="examiner.approved",
        subject_type="staff",
        subject_id=staff_id,
        details={"scheme_id": scheme_id, "approval_id": approval.id},
    )
    return approval


def record_competence(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    staff_id: str,
    description: str,
    evidence: str,
    valid_until: date | None,
) -> CompetenceRecord:
    get_staff(tx, staff_id)
    record = CompetenceRecord(
        id=new_id(entropy),
        staff_id=staff_id,
        description=description,
        evidence=evidence,
        recorded_at=now,
        valid_until=valid_until,
    )
    tx.insert_competence(record)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="competence.recorded",
        subject_type="staff",
        subject_id=staff_id,
        details={"competence_id": record.id},
    )
    return record


def declare_conflict(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    staff_id: str,
    person_id: str,
    nature: str,
    measures: str | None,
    risk_id: str | None = None,
) -> ConflictDeclaration:
    """A staff member declares a conflict themselves; an administrator may record one for them.
    ``risk_id`` links it to the risk of the impartiality register that treats it."""
    if actor.role is not Role.ADMINISTRATOR and actor.staff_id != staff_id:
        raise Forbidden("staff members declare their own conflicts of interest", kind="wrong-role")
    get_staff(tx, staff_id)
    if tx.get_person(person_id) is None:
        raise NotFound(f"no person {person_id!r}")
    if risk_id is not None:
        risks.check_link(tx, risk_id=risk_id, staff_id=staff_id, person_id=person_id)
    declaration = ConflictDeclaration(
        id=new_id(entropy),
        staff_id=staff_id,
        person_id=person_id,
        nature=nature,
        measures=measures,
        declared_at=now,
        risk_id=risk_id,
    )
    tx.insert_conflict(declaration)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="conflict.declared",
        subject_type="staff",
        subject_id=staff_id,
        details={"person_id": person_id, "declaration_id": declaration.id, "risk_id": risk_id},
    )
    return declaration


def record_trainer_relation(
    tx: Tx,
    *,
    actor: Actor,
    now: datetime,
    entropy: Entropy,
    staff_id: str,
    person_id: str,
    description: str,
    started_on: date | None,
    ended_on: date | None,
) -> TrainerRelation:
    get_staff(tx, staff_id)
    if tx.get_person(person_id) is None:
        raise NotFound(f"no person {person_id!r}")
    if started_on and ended_on and ended_on < started_on:
        raise InvalidInput("a training relation cannot end before it starts")
    relation = TrainerRelation(
        id=new_id(entropy),
        staff_id=staff_id,
        person_id=person_id,
        description=description,
        started_on=started_on,
        ended_on=ended_on,
        recorded_at=now,
    )
    tx.insert_trainer_relation(relation)
    tx.append_audit(
        at=now,
        actor=actor.audit_name,
        action="trainer.recorded",
        subject_type="staff",
        subject_id=staff_id,
        details={"person_id": person_id, "relation_id": relation.id},
    )
    return relation


def create_token(
    tx: Tx,
    *,
    actor: Actor | str,
    now: datetime,
    entropy: Entropy,
    name: str,
    role: Role,
    staff_id: str | None,
) -> tuple[ApiToken, str]:
    """Create a token; returns it with the secret, which is never stored and shown once.

    ``actor`` is the requesting token's :class:`Actor`, or the audit name of the command
    line on the server; :func:`issuer.process.access.check_token` says who may make which
    token (a decision-maker's, never an administrator)."""
    staff = None if staff_id is None else access.locked_staff(tx, staff_id)
    access.check_token(actor, role, staff)
    secret = tokens.generate(entropy)
    token = ApiToken(
        id=new_id(entropy), name=name, role=role, staff_id=staff_id, created_at=now, revoked_at=None
    )
    tx.insert_token(token, token_digest=tokens.digest(secret))
    tx.append_audit(
        at=now,
        actor=actor.audit_name if isinstance(actor, Actor) else actor,
        action="token.created",
        subject_type="token",
        subject_id=token.id,
        details={"role": role.value, "staff_id": staff_id},
    )
    return token, secret


def enrol(
    tx: Tx, *, actor: str, now: datetime, entropy: Entropy, name: str, role: Role
) -> tuple[ApiToken, str]:
    """``certreg token create``: a regulator token, or a new staff member with a token."""
    staff_id = None
    if role is not Role.REGULATOR:
        staff = create_staff(
            tx,
            actor=actor,
            now=now,
            entropy=entropy,
            name=name,
            email=None,
            roles=frozenset({role}),
        )
        staff_id = staff.id
    return create_token(
        tx, actor=actor, now=now, entropy=entropy, name=name, role=role, staff_id=staff_id
    )

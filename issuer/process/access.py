"""Who may act for the body, and when that ends (clauses 4.2, 4.3, 5.1.2): separation of
duties, the revocation of tokens and the deactivation of staff.

Whoever manages staff and tokens could, without these rules, make a certification decision
appear in the name of a decision-maker, or become one. So (docs/FLOW.md, "Staff and
tokens"):

1. **Administrator and decision-maker are incompatible roles**: no staff member holds both.
   A member given both before this rule existed cannot use their decision-maker token
   (:func:`issuer.process.auth.authenticate`) until one of the two roles is removed.
2. **No one gives themselves the decision-maker role.**
3. **A decision-maker token is made only on the server** (``certreg token create``), whose
   operator answers for the body, **or by that decision-maker with their own
   decision-maker token** (to replace it); an administrator's token makes none, for anyone.

A token stops for good when it is revoked, when its staff member loses the role it carries
(it stays dead if the role is given back: the member needs a new token), and when its staff
member is deactivated (reactivation revives none). Every one of these is audited, each
revoked token with an entry of its own, in the transaction of the change.

``actor`` is the :class:`~issuer.process.auth.Actor` of a request, or the audit name of the
command line on the server (``system:…``), which the rules trust as the body's operator.
"""

from __future__ import annotations

from datetime import datetime

from issuer.errors import Forbidden, InvalidInput, NotFound, StateConflict
from issuer.model import ApiToken, Role, Staff
from issuer.process.auth import Actor
from issuer.store import Tx
from issuer.store.audit import AuditActor

__all__ = [
    "INCOMPATIBLE_ROLES",
    "check_grant",
    "check_roles",
    "check_token",
    "deactivate",
    "locked_staff",
    "reactivate",
    "revoke_token",
    "revoke_tokens_of",
]

INCOMPATIBLE_ROLES = frozenset({Role.ADMINISTRATOR, Role.DECISION_MAKER})
"""No staff member holds all of these at once."""


def _audit_actor(actor: Actor | str) -> AuditActor | str:
    return actor.audit_name if isinstance(actor, Actor) else actor


def locked_staff(tx: Tx, staff_id: str) -> Staff:
    """The staff member, locked for a change of their roles, tokens or activity."""
    staff = tx.lock_staff(staff_id)
    if staff is None:
        raise NotFound(f"no staff member {staff_id!r}")
    return staff


def _active(staff: Staff, doing: str) -> None:
    if not staff.active:
        raise StateConflict(
            f"the staff member is deactivated: reactivate them before {doing}",
            kind="staff-inactive",
        )


def check_roles(roles: frozenset[Role]) -> None:
    """Rules on a set of roles, whoever gives it."""
    if Role.REGULATOR in roles:
        raise InvalidInput("regulators are external readers, not staff; create a regulator token")
    if roles >= INCOMPATIBLE_ROLES:
        raise InvalidInput(
            "one staff member cannot be both administrator and decision-maker: whoever "
            "manages staff and tokens does not decide on certification",
            kind="incompatible-roles",
        )


def check_grant(actor: Actor | str, staff: Staff, roles: frozenset[Role]) -> None:
    """``actor`` may give ``staff`` these ``roles``: the member is active, the roles go
    together, and no one gives themselves the decision-maker role."""
    _active(staff, "giving them roles")
    if (
        isinstance(actor, Actor)
        and actor.staff_id == staff.id
        and Role.DECISION_MAKER in roles - staff.roles
    ):
        raise Forbidden(
            "you cannot give yourself the decision-maker role; another administrator decides "
            "who decides",
            kind="separation-of-duties",
        )
    check_roles(roles)


def check_token(actor: Actor | str, role: Role, staff: Staff | None) -> None:
    """``actor`` may create a token with ``role`` for ``staff`` (``None``: a regulator)."""
    if staff is None:
        if role is not Role.REGULATOR:
            raise InvalidInput("a staff token needs the staff member it acts for")
    else:
        if role is Role.REGULATOR:
            raise InvalidInput("a regulator token belongs to no staff member")
        _active(staff, "giving them a token")
        if role not in staff.roles:
            raise InvalidInput(f"the staff member does not hold the role {role.value!r}")
        if role is Role.DECISION_MAKER and Role.ADMINISTRATOR in staff.roles:
            raise Forbidden(
                "the staff member is also an administrator, and an administrator does not "
                "decide on certification; remove one of the two roles first",
                kind="separation-of-duties",
            )
    if not isinstance(actor, Actor):
        return  # the command line on the server
    if role is Role.DECISION_MAKER:
        assert staff is not None
        if actor.role is not Role.DECISION_MAKER or actor.staff_id != staff.id:
            raise Forbidden(
                "a decision-maker's token is created on the server (`certreg token create "
                "--role decision-maker`) or by that decision-maker with their own token, "
                "never by an administrator",
                kind="separation-of-duties",
            )
    elif actor.role is not Role.ADMINISTRATOR:
        raise Forbidden(
            "a decision-maker's token may create only a new decision-maker token for themselves",
            kind="wrong-role",
        )


def _revoke(
    tx: Tx, *, actor: Actor | str, now: datetime, tokens: list[ApiToken], reason: str
) -> None:
    tx.revoke_tokens([t.id for t in tokens], now)
    for token in tokens:
        tx.append_audit(
            at=now,
            actor=_audit_actor(actor),
            action="token.revoked",
            subject_type="token",
            subject_id=token.id,
            details={"role": token.role.value, "staff_id": token.staff_id, "reason": reason},
        )


def revoke_tokens_of(
    tx: Tx,
    *,
    actor: Actor | str,
    now: datetime,
    staff_id: str,
    keep: frozenset[Role],
    reason: str,
) -> list[ApiToken]:
    """Revoke the staff member's live tokens for every role not in ``keep``."""
    ending = [t for t in tx.lock_live_tokens(staff_id) if t.role not in keep]
    _revoke(tx, actor=actor, now=now, tokens=ending, reason=reason)
    return ending


def revoke_token(tx: Tx, *, actor: Actor | str, now: datetime, token_id: str) -> ApiToken:
    """Revoke one token: an administrator any, a staff member their own. It is refused from
    the next request on."""
    token = tx.lock_token(token_id)
    if token is None:
        raise NotFound(f"no token {token_id!r}")
    if (
        isinstance(actor, Actor)
        and actor.role is not Role.ADMINISTRATOR
        and (token.staff_id is None or token.staff_id != actor.staff_id)
    ):
        raise Forbidden("only an administrator revokes another person's token", kind="wrong-role")
    if token.revoked_at is not None:
        raise StateConflict(f"the token was already revoked at {token.revoked_at.isoformat()}")
    _revoke(tx, actor=actor, now=now, tokens=[token], reason="revoked")
    revoked = tx.get_token(token_id)
    assert revoked is not None
    return revoked


def deactivate(tx: Tx, *, actor: Actor | str, now: datetime, staff_id: str) -> Staff:
    """The staff member stops acting at once: every token of theirs is revoked, and they
    can be given no role or token until reactivated."""
    staff = locked_staff(tx, staff_id)
    if not staff.active:
        raise StateConflict("the staff member is already deactivated", kind="staff-inactive")
    tx.set_staff_active(staff_id, False)
    revoked = revoke_tokens_of(
        tx, actor=actor, now=now, staff_id=staff_id, keep=frozenset(), reason="staff-deactivated"
    )
    tx.append_audit(
        at=now,
        actor=_audit_actor(actor),
        action="staff.deactivated",
        subject_type="staff",
        subject_id=staff_id,
        details={"tokens_revoked": len(revoked)},
    )
    return locked_staff(tx, staff_id)


def reactivate(tx: Tx, *, actor: Actor | str, now: datetime, staff_id: str) -> Staff:
    """The staff member may again be given roles and tokens. No earlier token comes back:
    any still unrevoked (a member deactivated before deactivation revoked tokens) is revoked
    now, so that every token they use is one made after this."""
    staff = locked_staff(tx, staff_id)
    if staff.active:
        raise StateConflict("the staff member is already active")
    tx.set_staff_active(staff_id, True)
    revoke_tokens_of(
        tx, actor=actor, now=now, staff_id=staff_id, keep=frozenset(), reason="staff-reactivated"
    )
    tx.append_audit(
        at=now,
        actor=_audit_actor(actor),
        action="staff.reactivated",
        subject_type="staff",
        subject_id=staff_id,
        details={},
    )
    return locked_staff(tx, staff_id)

"""Who is asking: bearer tokens resolved to an :class:`Actor`, and role checks.

A staff token carries one role and acts as its staff member; the role is re-checked against
the staff record on every request, so taking a role away takes effect at once. Regulator
tokens belong to no staff member. A revoked token, or any token of a deactivated staff
member, is refused from the next request on. A decision-maker token of a staff member who
also holds the administrator role is refused (separation of duties, see
:mod:`issuer.process.access`): such a member was given both roles before the rule existed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from issuer.errors import Forbidden, Unauthenticated
from issuer.model import Role
from issuer.process import tokens
from issuer.store import Tx
from issuer.store.audit import AuditActor

__all__ = ["Actor", "authenticate", "require_role"]


@dataclass(frozen=True, slots=True)
class Actor:
    token_id: str
    role: Role
    staff_id: str | None

    @property
    def audit_name(self) -> AuditActor:
        """How the audit log names the actor — an identifier, never a personal name — with
        the token that acted, so every entry a request makes names both."""
        name = f"staff:{self.staff_id}" if self.staff_id else f"token:{self.token_id}"
        return AuditActor(name, token_id=self.token_id)

    def staff(self) -> str:
        """The acting staff member's id; refuses tokens that belong to no staff member."""
        if self.staff_id is None:
            raise Forbidden("this action needs a staff member's token")
        return self.staff_id


def authenticate(tx: Tx, authorization: str | None) -> Actor:
    """Resolve an ``Authorization`` header value to an actor, or raise ``Unauthenticated``."""
    if not authorization:
        raise Unauthenticated("send 'Authorization: Bearer <token>'")
    scheme, _, credentials = authorization.partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not tokens.looks_like_token(credentials):
        raise Unauthenticated("the Authorization header is not a certreg bearer token")
    token = tx.token_by_digest(tokens.digest(credentials))
    if token is None:
        raise Unauthenticated("the bearer token is unknown")
    if token.revoked_at is not None:
        # Only the token's holder can send it, so saying when it ended tells no one else.
        raise Unauthenticated(
            f"the bearer token was revoked at {token.revoked_at.isoformat(timespec='seconds')}"
            " and works no more: a new token is needed"
        )
    if token.staff_id is not None:
        staff = tx.get_staff(token.staff_id)
        if staff is None or not staff.active:
            raise Unauthenticated("the token's staff member is no longer active")
        if token.role not in staff.roles:
            raise Forbidden(
                f"the token's staff member no longer holds the role {token.role.value!r}",
                kind="missing-role",
            )
        if token.role is Role.DECISION_MAKER and Role.ADMINISTRATOR in staff.roles:
            raise Forbidden(
                "the token's staff member is also an administrator, and an administrator "
                "does not decide on certification; remove one of the two roles first",
                kind="separation-of-duties",
            )
    return Actor(token_id=token.id, role=token.role, staff_id=token.staff_id)


def require_role(actor: Actor, allowed: Iterable[Role]) -> None:
    allowed = frozenset(allowed)
    if actor.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise Forbidden(
            f"the role {actor.role.value!r} may not do this; allowed: {names}",
            kind="wrong-role",
        )

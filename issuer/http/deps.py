"""What back office routes receive: the services of the app and the authenticated actor.

Routes declare the roles they admit with ``Annotated[Actor, allow(Role.X, …)]``; the
dependency authenticates the bearer token, then checks the role, on every request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from issuer.credentials.issuance import IssuanceContext
from issuer.model import Role
from issuer.process.auth import Actor, authenticate, require_role
from issuer.publication.checkpoints import CheckpointSource
from issuer.runtime import Clock, Entropy
from issuer.settings import Settings
from issuer.store import Store, Tx

__all__ = ["Services", "ServicesDep", "allow"]

_bearer = HTTPBearer(auto_error=False, description="a token from `certreg token create`")


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    store: Store
    clock: Clock
    entropy: Entropy
    issuance: IssuanceContext
    checkpoints: CheckpointSource | None = None
    """Where the registry's latest audit checkpoint is read, when this app knows a registry
    (``GET /api/v1/audit/verify`` checks the log against it)."""

    def now(self) -> datetime:
        return self.clock()

    @contextmanager
    def tx(self) -> Iterator[Tx]:
        with self.store.transaction() as tx:
            yield tx


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(_services)]


def allow(*roles: Role) -> Any:
    """A dependency that yields the :class:`Actor` if their token has one of ``roles``."""
    allowed = frozenset(roles)

    def dependency(
        services: ServicesDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Actor:
        header = None if credentials is None else f"Bearer {credentials.credentials}"
        with services.tx() as tx:
            actor = authenticate(tx, header)
        require_role(actor, allowed)
        return actor

    return Depends(dependency)

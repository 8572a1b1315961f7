"""Crash tests: the publisher process is killed (SIGKILL, no clean-up) between the commit of
a decision and its publication, or after the registry stored it but before the outbox was
marked. After a restart the change is published, and the registry stores it exactly once."""

from __future__ import annotations

import base64
import multiprocessing
import os
import signal
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from issuer import demo
from issuer.credentials.identity import IssuerIdentity
from issuer.credentials.issuance import IssuanceContext
from issuer.credentials.keys import KeyRing
from issuer.model import Role
from issuer.process import lifecycle
from issuer.process.auth import Actor
from issuer.publication import outbox
from issuer.publication.publishers import InProcessPublisher
from issuer.runtime import system_entropy
from issuer.store import Store, create_issuer_engine
from registry import Registry, RegistryStore
from registry import upgrade as registry_upgrade
from registry.store import create_registry_engine
from schemas.publication import DocumentKind, Publication
from tests.conftest import PASSPHRASE


@dataclass(frozen=True)
class Target:
    """How a child process reaches the same two stores (picklable)."""

    issuer_url: str
    registry_url: str
    options: str | None

    def stores(self) -> tuple[Store, RegistryStore]:
        args = {} if self.options is None else {"connect_args": {"options": self.options}}
        issuer = Store(create_issuer_engine(self.issuer_url, **args))
        registry = RegistryStore(create_registry_engine(self.registry_url, **args))
        return issuer, registry


def _context() -> IssuanceContext:
    return IssuanceContext(
        identity=IssuerIdentity(base_url="https://certs.example.test", name="Example Body"),
        keyring=KeyRing(passphrase=PASSPHRASE.encode()),
        list_entries=131_072,
    )


class _KillingPublisher:
    """Kills its own process at the first document for the certification: before handing
    it over, or right after the registry stored it."""

    def __init__(self, inner: InProcessPublisher, number: str, *, after_store: bool) -> None:
        self._inner = inner
        self._number = number
        self._after_store = after_store

    def publish(self, item: Publication) -> bool:
        if item.kind is DocumentKind.REGISTER_ENTRY and item.key == self._number:
            if self._after_store:
                self._inner.publish(item)
            os.kill(os.getpid(), signal.SIGKILL)
        return self._inner.publish(item)

    def trusted_kids(self) -> frozenset[str] | None:
        return self._inner.trusted_kids()

    def audit_checkpoint(self) -> str | None:
        return self._inner.audit_checkpoint()


def _suspend_then_die(target: Target, number: str, after_store: bool) -> None:
    issuer, registry_store = target.stores()
    with issuer.transaction() as tx:
        decider = next(s for s in tx.list_staff() if Role.DECISION_MAKER in s.roles)
        actor = Actor(token_id="crash-test", role=Role.DECISION_MAKER, staff_id=decider.id)
        lifecycle.suspend(
            tx,
            actor=actor,
            now=datetime.now(UTC),
            entropy=system_entropy,
            number=number,
            reason="complaint",
            resolve_by=None,
        )
    publisher = _KillingPublisher(
        InProcessPublisher(Registry(registry_store)), number, after_store=after_store
    )
    outbox.drain(
        issuer, publisher, context=_context(), ttl_seconds=300, clock=lambda: datetime.now(UTC)
    )


@pytest.fixture
def target(backend: str, store: Store, tmp_path: Path, request: pytest.FixtureRequest) -> Target:
    if backend == "sqlite":
        issuer_url = str(store.engine.url)
        registry_url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
        options = None
    else:
        schema = request.getfixturevalue("postgres_schema")
        issuer_url = registry_url = schema.url
        options = f"-csearch_path={schema.schema}"
    result = Target(issuer_url, registry_url, options)
    _, registry_store = result.stores()
    with registry_store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS documents")
        conn.exec_driver_sql("DROP TABLE IF EXISTS registry_alembic_version")
    registry_upgrade(registry_store.engine)
    registry_store.dispose()
    return result


@pytest.mark.parametrize("after_store", [False, True], ids=["before-delivery", "after-store"])
def test_a_killed_publisher_loses_nothing_and_publishes_once(
    target: Target, store: Store, after_store: bool
) -> None:
    seeded = demo.seed(store, now=datetime.now(UTC), entropy=system_entropy, issuance=_context())
    assert seeded is not None
    with store.transaction() as tx:
        outbox.enqueue_keys(tx, datetime.now(UTC))
    _, registry_store = target.stores()
    registry = Registry(registry_store)
    clock = lambda: datetime.now(UTC)  # noqa: E731
    outbox.drain(
        store, InProcessPublisher(registry), context=_context(), ttl_seconds=300, clock=clock
    )
    number = seeded.certificate_numbers[0]
    before = registry.document(DocumentKind.REGISTER_ENTRY, number)
    assert before is not None

    child = multiprocessing.get_context("spawn").Process(
        target=_suspend_then_die, args=(target, number, after_store)
    )
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL

    with store.transaction() as tx:
        pending = tx.pending_publications(100)
    assert any(key == number for _, _, key in pending)  # committed, not marked published
    crashed = registry.document(DocumentKind.REGISTER_ENTRY, number)
    assert crashed is not None
    assert (crashed.version > before.version) is after_store

    received: list[bool] = []

    class Counting:
        def publish(self, item: Publication) -> bool:
            stored = registry.accept(item)
            if item.key == number:
                received.append(stored)
            return stored

        def trusted_kids(self) -> frozenset[str] | None:
            return registry.trusted_kids()

        def audit_checkpoint(self) -> str | None:
            return InProcessPublisher(registry).audit_checkpoint()

    outbox.drain(store, Counting(), context=_context(), ttl_seconds=300, clock=clock)
    after = registry.document(DocumentKind.REGISTER_ENTRY, number)
    assert after is not None
    assert after.version > before.version
    assert '"suspended"' in _payload_text(after.body)
    # once: a document already stored before the crash is not stored again
    assert received == [not after_store]
    with store.transaction() as tx:
        assert tx.pending_publications(100) == []
    registry_store.dispose()


def _payload_text(body: str) -> str:
    part = body.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()

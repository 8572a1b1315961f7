"""The issuer signs each new keys document with a key the registry already trusts, so key
rotation, retirement and compromise reach a registry that refuses keys documents it cannot
trace back to the keys it holds (tests/registry/test_keys_endorsement.py): in process and
over HTTP."""

from __future__ import annotations

import json
from datetime import datetime
from typing import cast

import httpx
import pytest
from fastapi.testclient import TestClient

from issuer.credentials import keys
from issuer.credentials.signing import Algorithm
from issuer.http.deps import Services
from issuer.publication import outbox
from issuer.publication.outbox import Publisher, PublisherUnavailable
from issuer.publication.publishers import HttpPublisher, InProcessPublisher
from issuer.store import Store
from registry import KeysNotEndorsed, Registry, RegistryStore, create_registry_app
from registry.jws import parse_compact
from schemas.publication import DocumentKind
from tests.backoffice import BackOffice, grant
from tests.conftest import PASSPHRASE, FrozenClock
from tests.registry.conftest import KeyPair, TestIssuer

INTAKE = "intake-secret-for-these-tests"


def _drain(office: BackOffice, publisher: Publisher) -> int:
    services: Services = office.client.app.state.services  # type: ignore[attr-defined]
    return outbox.drain(
        office.store, publisher, context=services.issuance, ttl_seconds=300, clock=office.clock
    )


def _signed_by(registry: Registry) -> str:
    """The kid of the key that signed the keys document the registry holds."""
    document = registry.document(DocumentKind.ISSUER_KEYS, "issuer")
    assert document is not None
    return parse_compact(document.body).kid.rsplit("#", 1)[1]


def _listed(registry: Registry) -> tuple[set[str], set[str]]:
    held = registry.keys()
    return set(held.keys), set(held.revoked)


def _active(store: Store) -> str:
    with store.transaction() as tx:
        key = tx.active_signing_key()
    assert key is not None
    return key.kid


def _rotate(store: Store, clock: FrozenClock) -> str:
    with store.transaction() as tx:
        return keys.rotate(tx, alg=Algorithm.ES256, passphrase=PASSPHRASE.encode(), now=clock()).kid


def _republish_keys(store: Store, at: datetime) -> None:
    with store.transaction() as tx:
        outbox.enqueue_keys(tx, at)


@pytest.fixture
def registry(registry_store: RegistryStore) -> Registry:
    return Registry(registry_store)


@pytest.fixture
def trusting(office: BackOffice, registry: Registry) -> Registry:
    """A registry that holds the body's first keys document (trusted on first use)."""
    _republish_keys(office.store, office.clock())
    _drain(office, InProcessPublisher(registry))
    assert _listed(registry) == ({_active(office.store)}, set())
    return registry


def test_the_previous_key_signs_the_keys_that_add_its_successor(
    office: BackOffice, trusting: Registry, clock: FrozenClock
) -> None:
    """A rotation: the retired key, which the registry trusts, signs the document that
    lists the new one; once the registry holds that, the new key signs the keys too."""
    first = _active(office.store)
    grant(office)  # the first key signs a credential: it stays published while it is valid
    second = _rotate(office.store, clock)
    _drain(office, InProcessPublisher(trusting))
    assert _signed_by(trusting) == first
    assert _listed(trusting) == ({first, second}, set())
    _republish_keys(office.store, clock())
    _drain(office, InProcessPublisher(trusting))
    assert _signed_by(trusting) == second


def test_several_rotations_the_registry_did_not_hear_of_still_reach_it(
    office: BackOffice, trusting: Registry, clock: FrozenClock
) -> None:
    """Two rotations while the registry was out of reach: the key it last trusted signs,
    and stays listed for that though no credential needs it any more; the next keys
    document, signed by the active key, drops it."""
    first = _active(office.store)
    _rotate(office.store, clock)
    third = _rotate(office.store, clock)
    _drain(office, InProcessPublisher(trusting))
    assert _signed_by(trusting) == first
    assert _listed(trusting) == ({first, third}, set())
    _republish_keys(office.store, clock())
    _drain(office, InProcessPublisher(trusting))
    assert _signed_by(trusting) == third
    assert _listed(trusting) == ({third}, set())


def test_a_compromised_key_the_registry_trusts_announces_its_compromise(
    office: BackOffice, trusting: Registry, clock: FrozenClock
) -> None:
    """The registry trusts one key, and it is compromised: it signs the document that marks
    it revoked and lists the new key, which then signs everything, keys documents included."""
    first = _active(office.store)
    second = _rotate(office.store, clock)
    with office.store.transaction() as tx:
        keys.mark_compromised(tx, kid=first, now=clock())
    _drain(office, InProcessPublisher(trusting))
    assert _signed_by(trusting) == first
    assert _listed(trusting) == ({second}, {first})
    number = grant(office)["certification"]["certificate_number"]
    _drain(office, InProcessPublisher(trusting))
    entry = trusting.document(DocumentKind.REGISTER_ENTRY, number)
    assert entry is not None
    assert parse_compact(entry.body).kid.endswith(f"#{second}")
    _republish_keys(office.store, clock())
    _drain(office, InProcessPublisher(trusting))
    assert _signed_by(trusting) == second


def test_a_registry_that_trusts_none_of_the_bodys_keys_refuses_them_and_nothing_is_lost(
    office: BackOffice, registry: Registry
) -> None:
    """A registry already holding other keys (another body's, or a thief's): the body's
    keys document is refused with the reason, and stays in the outbox for when the
    registry's operator has reset it."""
    stranger = KeyPair(Algorithm.ES256)
    assert registry.accept(TestIssuer(stranger).keys_publication(1))
    for _ in range(2):  # sent as version 2 or later: newer than what the registry holds
        _republish_keys(office.store, office.clock())
    with pytest.raises(KeysNotEndorsed):
        _drain(office, InProcessPublisher(registry))
    assert _listed(registry) == ({stranger.kid}, set())
    with office.store.transaction() as tx:
        pending = tx.pending_publications(100)
    assert any(kind == DocumentKind.ISSUER_KEYS for _, kind, _ in pending)


def test_keys_reach_a_registry_over_http_through_a_rotation_and_a_compromise(
    office: BackOffice, registry: Registry, clock: FrozenClock
) -> None:
    """The publisher of ``certreg serve --only issuer`` asks the registry which keys it
    trusts (its JWKS: none before the first keys document) and the drain signs with one."""
    app = create_registry_app(registry, intake_token=INTAKE)
    with TestClient(app) as client:
        # The registry over HTTP, in this process: the test client speaks httpx's API.
        publisher = HttpPublisher(client=cast(httpx.Client, client), token=INTAKE)
        assert publisher.trusted_kids() is None
        _republish_keys(office.store, clock())
        _drain(office, publisher)
        first = _active(office.store)
        assert publisher.trusted_kids() == frozenset({first})
        second = _rotate(office.store, clock)
        with office.store.transaction() as tx:
            keys.mark_compromised(tx, kid=first, now=clock())
        _drain(office, publisher)
        assert _signed_by(registry) == first
        assert publisher.trusted_kids() == frozenset({second})
        served = client.get("/.well-known/did.json").json()
        revoked = [m for m in served["verificationMethod"] if "revoked" in m]
        assert [m["id"].rsplit("#", 1)[1] for m in revoked] == [first]
        thief = KeyPair(Algorithm.ES256)
        swap = TestIssuer(thief).keys_publication(10**12).model_dump(mode="json")
        refused = client.post(
            "/registry/v1/publications",
            content=json.dumps(swap),
            headers={"Authorization": f"Bearer {INTAKE}", "Content-Type": "application/json"},
        )
        assert refused.json()["type"] == "/problems/keys-not-endorsed"
        assert publisher.trusted_kids() == frozenset({second})


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (404, b"{}", None),
        (200, b'{"keys": [{"kid": "a"}, {"kid": "b"}]}', frozenset({"a", "b"})),
        (503, b"", PublisherUnavailable),
        (429, b"", PublisherUnavailable),
        (200, b"<html>", RuntimeError),
        (200, b'{"keys": [{"x": 1}]}', RuntimeError),
        (403, b"{}", RuntimeError),
    ],
)
def test_the_http_publisher_reads_the_trusted_keys_from_the_registrys_jwks(
    status: int, body: bytes, expected: object
) -> None:
    """A registry that is down or busy is retried later, like a delivery; an answer that is
    not a JWKS is a fault to surface, never taken for "no keys yet"."""

    def answer(request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("GET", "/.well-known/jwks.json")
        return httpx.Response(status, content=body)

    client = httpx.Client(base_url="http://registry.test", transport=httpx.MockTransport(answer))
    publisher = HttpPublisher(client=client, token=INTAKE)
    if isinstance(expected, type) and issubclass(expected, Exception):
        with pytest.raises(expected):
            publisher.trusted_kids()
    else:
        assert publisher.trusted_kids() == expected
    client.close()


def test_an_unreachable_registry_is_retried_later() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = httpx.Client(base_url="http://registry.test", transport=httpx.MockTransport(refuse))
    with pytest.raises(PublisherUnavailable):
        HttpPublisher(client=client, token=INTAKE).trusted_kids()
    client.close()

"""The public answers of the all-in-one mode end to end: issued credentials published for
their verification page, the public directory by consent, scheme pages, and the configured
rate limits — with nothing confidential on the way."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.credentials import keys
from issuer.credentials.keys import KeyRing
from issuer.credentials.signing import Algorithm
from issuer.http.app import create_app
from issuer.publication import outbox
from issuer.publication.publishers import InProcessPublisher
from issuer.settings import Settings
from issuer.store import Store
from registry import Registry, RegistryStore
from registry import upgrade as registry_upgrade
from schemas.publication import DocumentKind
from tests.backoffice import (
    BackOffice,
    candidate,
    enrol_office,
    exam_body,
    member,
    person_body,
    setup_scheme,
)
from tests.conftest import PASSPHRASE, FrozenClock, SeededEntropy

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SECRETS = {
    "date_of_birth": "1977-07-17",
    "email": "zq-distinctive@confidential.example",
    "address": "Rue Très-Confidentielle 99",
}


def _app(
    settings: Settings,
    store: Store,
    registry_store: RegistryStore,
    clock: FrozenClock,
    entropy: SeededEntropy,
    keyring: KeyRing,
) -> Any:
    return create_app(
        settings,
        store=store,
        clock=clock,
        entropy=entropy,
        keyring=keyring,
        registry=Registry(registry_store),
        publish_interval=None,
    )


@pytest.fixture
def public(
    settings: Settings,
    store: Store,
    registry_store: RegistryStore,
    clock: FrozenClock,
    entropy: SeededEntropy,
    keyring: KeyRing,
) -> Iterator[tuple[BackOffice, TestClient]]:
    unlimited = settings.model_copy(
        update={"registry_lookup_per_minute": 0, "registry_page_per_minute": 0}
    )
    app = _app(unlimited, store, registry_store, clock, entropy, keyring)
    with store.transaction() as tx:
        outbox.enqueue_keys(tx, clock())
    with TestClient(app) as client:
        office = enrol_office(BackOffice(client=client, store=store, clock=clock, entropy=entropy))
        yield office, client


def _publish(client: TestClient) -> None:
    client.app.state.drain()  # type: ignore[attr-defined]


def _certify(
    office: BackOffice, scheme: dict[str, Any], given: str, family: str, *, directory: bool
) -> str:
    """A person (with confidential details) certified in ``scheme``; the certificate number."""
    body = person_body(given, family, **SECRETS) | {"directory_consent": directory}
    person = office.ok("POST", "/persons", member(office, "registrar"), body)
    accepted = candidate(office, scheme, ["VT-STEEL", "VT-PRESSURE"], person_id=person["id"])
    office.ok(
        "POST",
        "/examinations",
        member(office, "examiner"),
        exam_body(accepted["id"], date(2026, 11, 20)),
    )
    decision = {"application_id": accepted["id"], "outcome": "grant", "rationale": "passed"}
    granted = office.ok("POST", "/decisions", member(office, "decider"), decision)
    number: str = granted["certification"]["certificate_number"]
    return number


def _credential_ids(office: BackOffice, number: str) -> list[str]:
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    return [c["id"] for c in detail["credentials"]]


def _decoded(text: str) -> str:
    parts = [text]
    for part in text.replace('"', ".").split("."):
        try:
            parts.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode())
        except (ValueError, UnicodeDecodeError):
            continue
    return "\n".join(parts)


def test_issued_credentials_are_published_as_signed(
    public: tuple[BackOffice, TestClient], registry_store: RegistryStore
) -> None:
    office, client = public
    scheme = setup_scheme(office)
    number = _certify(office, scheme, "Ana", "Moreau", directory=True)
    registry = Registry(registry_store)
    [first] = _credential_ids(office, number)
    assert registry.credential(first) is None  # not before the outbox is drained
    _publish(client)
    stored = registry.credential(first)
    assert stored is not None
    signed = office.call("GET", f"/credentials/{first}", member(office, "registrar")).text
    assert stored.body == signed
    assert (stored.version, stored.media_type) == (1, "application/vc+jwt")
    assert registry.credential(f"urn:uuid:{first}") == stored
    office.ok(
        "POST",
        f"/certifications/{number}/scope",
        member(office, "decider"),
        {"scope": ["VT-STEEL"]},
    )
    _publish(client)
    ids = _credential_ids(office, number)
    assert len(ids) == 2
    for credential_id in ids:
        document = registry.credential(credential_id)
        assert document is not None
        assert document.version == 1
    assert registry.credential(first) == stored  # a superseded credential stays as signed
    assert SECRETS["email"] not in _decoded(stored.body)


def test_a_rebuild_republishes_credentials_and_changes_none(
    public: tuple[BackOffice, TestClient],
    registry_store: RegistryStore,
    store: Store,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    office, client = public
    number = _certify(office, setup_scheme(office), "Ana", "Moreau", directory=False)
    _publish(client)
    live = Registry(registry_store)
    services = client.app.state.services  # type: ignore[attr-defined]
    fresh = Registry(RegistryStore.from_url(f"sqlite:///{tmp_path / 'fresh.sqlite3'}"))
    registry_upgrade(fresh.store.engine)

    def rebuild(into: Registry) -> int:
        return outbox.rebuild(
            store, InProcessPublisher(into), context=services.issuance, ttl_seconds=300, clock=clock
        )

    rebuild(fresh)
    rebuild(live)  # the live registry already holds every credential: stored as before
    [credential_id] = _credential_ids(office, number)
    held, rebuilt = live.credential(credential_id), fresh.credential(credential_id)
    assert held is not None
    assert rebuilt is not None
    assert (rebuilt.body, rebuilt.version) == (held.body, held.version)
    fresh.store.dispose()


def test_credentials_of_a_compromised_key_are_not_republished(
    public: tuple[BackOffice, TestClient], store: Store, clock: FrozenClock, tmp_path: Path
) -> None:
    """The registry would refuse them (and no verifier accepts them): a rebuild skips them
    instead of failing on them forever."""
    office, client = public
    number = _certify(office, setup_scheme(office), "Ana", "Moreau", directory=False)
    [credential_id] = _credential_ids(office, number)
    with store.transaction() as tx:
        old = tx.active_signing_key()
        assert old is not None
        keys.rotate(tx, alg=Algorithm.ES256, passphrase=PASSPHRASE.encode(), now=clock())
        keys.mark_compromised(tx, kid=old.kid, now=clock())
    services = client.app.state.services  # type: ignore[attr-defined]
    fresh = Registry(RegistryStore.from_url(f"sqlite:///{tmp_path / 'fresh.sqlite3'}"))
    registry_upgrade(fresh.store.engine)
    outbox.rebuild(
        store, InProcessPublisher(fresh), context=services.issuance, ttl_seconds=300, clock=clock
    )
    assert fresh.credential(credential_id) is None
    assert fresh.document(DocumentKind.REGISTER_ENTRY, number) is not None
    fresh.store.dispose()


def test_the_directory_finds_only_persons_who_chose_it(
    public: tuple[BackOffice, TestClient],
) -> None:
    office, client = public
    scheme = setup_scheme(office)
    listed = _certify(office, scheme, "Zoé", "Lefèvre", directory=True)
    unlisted = _certify(office, scheme, "Zoe", "Lefevre-Privat", directory=False)
    _publish(client)
    for query in ("lefevre", "LEFÈVRE", "zoe lef", "Zoé Lefèvre"):
        response = client.get("/directory", params={"name": query})
        assert response.status_code == 200, response.text
        found = [r["certificateNumber"] for r in response.json()["results"]]
        assert found == [listed], query
    assert client.get("/directory", params={"name": "privat"}).json()["results"] == []
    # Leaving the directory is not leaving the register: the lookup still answers.
    assert client.get(f"/register/{unlisted}", params={"family_name": "lefevre-privat"}).is_success
    answer = client.get("/directory", params={"name": "lefèvre"})
    haystack = _decoded(answer.text)
    for secret in SECRETS.values():
        assert secret not in haystack
    assert "credentials" not in answer.json()["results"][0]
    assert client.get("/directory", params={"name": "le"}).status_code == 400


def test_register_entries_state_the_directory_choice(
    public: tuple[BackOffice, TestClient],
) -> None:
    office, client = public
    scheme = setup_scheme(office)
    yes = _certify(office, scheme, "Ana", "Moreau", directory=True)
    no = _certify(office, scheme, "Bea", "Moreau", directory=False)
    _publish(client)
    for number, choice in ((yes, True), (no, False)):
        # The lookup folds accents and case like the directory does.
        response = client.get(f"/register/{number}", params={"family_name": "MORÉAU"})
        assert response.status_code == 200, response.text
        assert response.json()["entry"]["directory"] is choice
        payload = response.json()["credential"].split(".")[1]
        signed = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert signed["credentialSubject"]["directory"] is choice


def test_scheme_pages_are_generated_from_the_published_scheme(
    public: tuple[BackOffice, TestClient],
) -> None:
    office, client = public
    scheme = setup_scheme(office)
    _publish(client)
    title = client.get(f"/schemes/{scheme['id']}").json()["name"]
    page = client.get(f"/schemes/{scheme['id']}", headers={"Accept": BROWSER})
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert f"<title>{title} · " in page.text
    assert "How to apply" in page.text
    listing = client.get("/schemes", headers={"Accept": BROWSER})
    assert f'href="/schemes/{scheme["id"]}"' in listing.text


def test_the_configured_limits_apply_in_the_all_in_one_app(
    settings: Settings,
    store: Store,
    registry_store: RegistryStore,
    clock: FrozenClock,
    entropy: SeededEntropy,
    keyring: KeyRing,
) -> None:
    strict = settings.model_copy(
        update={"registry_lookup_per_minute": 1, "registry_lookup_burst": 2}
    )
    app = _app(strict, store, registry_store, clock, entropy, keyring)
    with TestClient(app) as client:
        answers = [
            client.get("/directory", params={"name": "nobody"}).status_code for _ in range(3)
        ]
        assert answers == [200, 200, 429]
        limited = client.get("/register/7K3M-9QXD-2HFW-8T4B-E", params={"family_name": "x"})
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert client.get("/status/nope").status_code == 404  # not limited: a 404, not a 429


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_problem_type_resolves_in_the_all_in_one_app(
    public: tuple[BackOffice, TestClient],
) -> None:
    """Issuer, registry and verification problem types all resolve at /problems/{kind}."""
    _, client = public
    for kind, status in [
        ("missing-role", "403"),  # the back office's
        ("rate-limited", "429"),  # the registry's
        ("unsupported-envelope", "422"),  # POST /credentials/verify's
        ("suspended", "200"),  # a verification outcome
    ]:
        described = client.get(f"/problems/{kind}")
        assert described.status_code == 200, kind
        assert described.json()["status"] == status
    assert client.get("/problems/no-such-kind").status_code == 404

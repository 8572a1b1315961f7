"""The all-in-one mode end to end through HTTP: back office decisions reach the public
registry (status lists, register entries, keys), and nothing confidential does."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc import jws

from issuer.credentials.keys import KeyRing
from issuer.http.app import create_app
from issuer.publication import outbox
from issuer.publication.publishers import InProcessPublisher
from issuer.settings import Settings
from issuer.store import Store
from registry import Registry, RegistryStore
from registry import upgrade as registry_upgrade
from schemas import bitstring_status_list as bsl
from schemas.credential_schemas import (
    AUDIT_CHECKPOINT_V1,
    REGISTER_ENTRY_V3,
    STATUS_LIST_CREDENTIAL_V1,
    validate,
)
from schemas.publication import DocumentKind
from tests.backoffice import BackOffice, enrol_office, grant, member, person_body
from tests.conftest import FrozenClock, SeededEntropy
from tests.test_credentials import method_key


@pytest.fixture
def public(
    settings: Settings,
    store: Store,
    registry_store: RegistryStore,
    clock: FrozenClock,
    entropy: SeededEntropy,
    keyring: KeyRing,
) -> Iterator[tuple[BackOffice, TestClient]]:
    app = create_app(
        settings,
        store=store,
        clock=clock,
        entropy=entropy,
        keyring=keyring,
        registry=Registry(registry_store),
        publish_interval=None,
    )
    with store.transaction() as tx:
        outbox.enqueue_keys(tx, clock())
    with TestClient(app) as client:
        office = enrol_office(BackOffice(client=client, store=store, clock=clock, entropy=entropy))
        yield office, client


def _publish(client: TestClient) -> None:
    client.app.state.drain()  # type: ignore[attr-defined]


def _bit(client: TestClient, entry: dict[str, Any]) -> int:
    """Read a status bit as a verifier would: from the served list, signature checked."""
    keys = method_key(client.get("/.well-known/did.json").json())
    served = client.get(entry["statusListCredential"].replace("https://certs.example.test", ""))
    assert served.status_code == 200
    assert served.headers["content-type"] == "application/vc+jwt"
    assert "max-age=300" in served.headers["cache-control"]
    signed = jws.deserialize_compact(served.text, keys, algorithms=["ES256"])
    subject = json.loads(signed.payload)["credentialSubject"]
    bits = bsl.decode_list(subject["encodedList"])
    return bsl.get_status(bits, int(entry["statusListIndex"]))


def _entries(office: BackOffice, client: TestClient, credential_id: str) -> list[dict[str, Any]]:
    token = office.call("GET", f"/credentials/{credential_id}", member(office, "registrar")).text
    keys = method_key(client.get("/.well-known/did.json").json())
    payload = json.loads(jws.deserialize_compact(token, keys, algorithms=["ES256"]).payload)
    entries: list[dict[str, Any]] = payload["credentialStatus"]
    return entries


def _register(client: TestClient, number: str, family: str = "Moreau") -> Any:
    return client.get(f"/register/{number}", params={"family_name": family})


def test_decisions_reach_the_public_registry(public: tuple[BackOffice, TestClient]) -> None:
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    _publish(client)
    did = client.get("/.well-known/did.json").json()
    assert did["id"] == "did:web:certs.example.test"
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    first = detail["credentials"][0]["id"]
    revocation, suspension = _entries(office, client, first)
    assert (_bit(client, revocation), _bit(client, suspension)) == (0, 0)
    entry = _register(client, number).json()["entry"]
    assert entry["status"] == "active"

    def decide(action: str, body: dict[str, Any]) -> None:
        office.ok("POST", f"/certifications/{number}/{action}", member(office, "decider"), body)
        _publish(client)

    decide("suspend", {"reason": "eye test overdue"})
    assert _bit(client, suspension) == 1
    assert _register(client, number).json()["entry"]["status"] == "suspended"
    decide("reinstate", {})
    assert _bit(client, suspension) == 0
    decide("scope", {"scope": ["VT-STEEL"]})
    assert _bit(client, revocation) == 1  # the old credential, superseded
    entry = _register(client, number).json()["entry"]
    statuses = {c["id"]: c["status"] for c in entry["credentials"]}
    assert statuses[f"urn:uuid:{first}"] == "superseded"
    [new] = [c for c in entry["credentials"] if c["status"] == "active"]
    assert new["supersedes"] == f"urn:uuid:{first}"
    new_revocation, _ = _entries(office, client, new["id"].removeprefix("urn:uuid:"))
    assert _bit(client, new_revocation) == 0
    decide("withdraw", {"reason": "falsified evidence"})
    assert _bit(client, new_revocation) == 1
    assert _register(client, number).json()["entry"]["status"] == "withdrawn"
    refused = office.call(
        "POST", f"/certifications/{number}/recertify", member(office, "decider"), {}
    )
    assert refused.status_code == 409
    assert _register(client, number, "Somebody").status_code == 404


def test_nothing_confidential_reaches_the_registry(
    public: tuple[BackOffice, TestClient], registry_store: RegistryStore, tmp_path: Path
) -> None:
    office, client = public
    secrets = {
        "date_of_birth": "1977-07-17",
        "email": "zq-distinctive@confidential.example",
        "address": "Rue Très-Confidentielle 99",
        "phone": "+41 79 000 77 66",
        "identity_document_ref": "PASSPORT-X9Q7Z3",
    }
    registrar = member(office, "registrar")
    person = office.ok("POST", "/persons", registrar, person_body("Ana", "Moreau", **secrets))
    del person
    certification = grant(office)["certification"]
    number = certification["certificate_number"]
    corrected = {  # contact details corrected after the grant: confidential all the same
        "email": "zq-corrected@confidential.example",
        "address": "Corrected-Address-Lane 88",
        "phone": "+41 79 000 88 99",
    }
    answer = office.call(
        "PATCH", f"/persons/{certification['person_id']}/contact", registrar, corrected
    )
    assert answer.status_code == 200, answer.text
    office.ok(
        "POST",
        f"/certifications/{number}/suspend",
        member(office, "decider"),
        {"reason": "Confidential-Suspension-Reason-4711"},
    )
    _publish(client)
    distinctive = [
        *secrets.values(),
        *corrected.values(),
        "83.75",
        "Confidential-Suspension-Reason-4711",
    ]
    checkpoint = client.get("/audit/checkpoint")  # the end of the audit log, nothing of it
    assert checkpoint.status_code == 200
    responses = [
        client.get("/.well-known/did.json").text,
        client.get("/.well-known/jwks.json").text,
        _register(client, number).text,
        checkpoint.text,
    ]
    entry = _register(client, number).json()["entry"]
    for credential in entry["credentials"]:
        for item in _entries(office, client, credential["id"].removeprefix("urn:uuid:")):
            path = item["statusListCredential"].replace("https://certs.example.test", "")
            responses.append(client.get(path).text)
    decoded = []
    for text in responses:
        for part in text.split("."):
            try:
                decoded.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode())
            except (ValueError, UnicodeDecodeError):
                continue
    haystack = "\n".join(responses + decoded)
    for value in distinctive:
        assert value not in haystack
    if registry_store.engine.dialect.name == "sqlite":
        database = (tmp_path / "registry.sqlite3").read_bytes()
        for value in distinctive:
            assert value.encode() not in database


def test_background_publication_serves_a_change_within_a_second(
    settings: Settings,
    store: Store,
    registry_store: RegistryStore,
    clock: FrozenClock,
    entropy: SeededEntropy,
    keyring: KeyRing,
) -> None:
    app = create_app(
        settings,
        store=store,
        clock=clock,
        entropy=entropy,
        keyring=keyring,
        registry=Registry(registry_store),
        publish_interval=0.1,
    )
    with store.transaction() as tx:
        outbox.enqueue_keys(tx, clock())
    with TestClient(app) as client:
        office = enrol_office(BackOffice(client=client, store=store, clock=clock, entropy=entropy))
        number = grant(office)["certification"]["certificate_number"]
        office.ok(
            "POST", f"/certifications/{number}/suspend", member(office, "decider"), {"reason": "x"}
        )
        started = time.monotonic()
        while time.monotonic() - started < 1.0:
            found = _register(client, number)
            if found.status_code == 200 and found.json()["entry"]["status"] == "suspended":
                break
            time.sleep(0.05)
        else:
            pytest.fail("the suspension was not served within one second")


def test_every_served_document_matches_its_published_schema(
    public: tuple[BackOffice, TestClient],
) -> None:
    """Clause 7.2.2's scheme information is published too; every document the registry
    serves validates against a schema with ``additionalProperties: false``."""
    office, client = public
    decision = grant(office)
    scheme_id = decision["certification"]["scheme_id"]
    number = decision["certification"]["certificate_number"]
    _publish(client)
    schemes = client.get("/schemes").json()
    scheme = client.get(f"/schemes/{scheme_id}").json()
    assert scheme in (schemes if isinstance(schemes, list) else schemes.get("schemes", []))
    for field in (
        "scopeDescription",
        "prerequisites",
        "applicationRequirements",
        "initialCertificationRequirements",
        "surveillanceRequirements",
        "recertificationIntervalMonths",
        "recertificationRequirements",
        "processDescription",
    ):
        assert scheme[field], field
    assert scheme["recertificationIntervalMonths"] == 36
    assert scheme["recertificationEvidence"] == ["examination"]
    assert (scheme["recertificationWindowMonthsBefore"], scheme["recertificationGraceDays"]) == (
        6,
        0,
    )
    assert [i["code"] for i in scheme["scopeItems"]] == ["VT-STEEL", "VT-PRESSURE"]
    assert client.get("/schemes/no-such-scheme").status_code == 404

    def payload(token: str) -> Any:
        part = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))

    entry = _register(client, number).json()
    validate(REGISTER_ENTRY_V3, payload(entry["credential"]))
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    for item in _entries(office, client, detail["credentials"][0]["id"]):
        path = item["statusListCredential"].replace("https://certs.example.test", "")
        validate(STATUS_LIST_CREDENTIAL_V1, payload(client.get(path).text))
    assert client.get("/.well-known/jwks.json").json()["keys"]
    validate(AUDIT_CHECKPOINT_V1, payload(client.get("/audit/checkpoint").text))


def test_rebuild_yields_the_same_registry(
    public: tuple[BackOffice, TestClient],
    tmp_path: Path,
    store: Store,
    clock: FrozenClock,
    registry_store: RegistryStore,
) -> None:
    """A registry rebuilt from nothing holds the same documents as one that followed every
    change (the signing times aside)."""
    office, client = public
    number = grant(office)["certification"]["certificate_number"]
    for action, body in (("suspend", {"reason": "x"}), ("scope", {"scope": ["VT-STEEL"]})):
        office.ok("POST", f"/certifications/{number}/{action}", member(office, "decider"), body)
        _publish(client)
    fresh_store = RegistryStore.from_url(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    registry_upgrade(fresh_store.engine)
    fresh = Registry(fresh_store)
    services = client.app.state.services  # type: ignore[attr-defined]
    outbox.rebuild(
        store,
        InProcessPublisher(fresh),
        context=services.issuance,
        ttl_seconds=300,
        clock=clock,
    )
    live = Registry(registry_store)

    def contents(registry: Registry) -> dict[tuple[str, str], Any]:
        out = {}
        for kind in DocumentKind:
            for document in registry.documents(kind):
                part = document.body.split(".")[1]
                payload = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
                payload.pop("iat", None)
                payload.pop("validFrom", None)
                out[(document.kind, document.key)] = payload
        return out

    assert contents(fresh) == contents(live)
    # keys, the scheme, two lists (shared), one entry, two credentials (the scope change
    # superseded the first), the audit checkpoint
    assert len(contents(live)) == 8
    fresh_store.dispose()

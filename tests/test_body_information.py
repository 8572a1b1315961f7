"""What the body publishes about itself (clauses 4.3, 9.8, 9.9): recorded by an
administrator, audited, published through the outbox as a signed credential, checked by
schema at the registry's intake, and served at ``/body`` to programs and browsers, with a
link to it from the scheme pages and the page behind the QR code."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.credentials.identity import IssuerIdentity, jwt_claims
from issuer.credentials.keys import KeyRing
from issuer.credentials.signing import sign_compact
from issuer.model import Role
from issuer.store import Store
from registry import Registry, RegistryStore
from registry.errors import InvalidPayload
from schemas.publication import DocumentKind, Publication
from tests.backoffice import BackOffice, grant, member
from tests.conftest import FrozenClock
from tests.test_registry_e2e import public  # noqa: F401 (fixture)

HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}

INFORMATION: dict[str, Any] = {
    "name": "Northern Welding Certification",
    "impartiality_commitment": "We decide on evidence alone.\n\nNo one who trained a "
    "candidate examines or decides about them.",
    "appeals_process": "Appeal within 30 days of a decision. People who took no part in it decide.",
    "complaints_process": "Write to us; we acknowledge within 5 working days.",
    "contact": "appeals@nwc.example",
    "accreditation": {
        "accreditation_body": "National Accreditation Service",
        "accreditation_number": "PC-0042",
        "scope_url": "https://nas.example/scopes/PC-0042",
    },
}


def _publish(client: TestClient) -> None:
    client.app.state.drain()  # type: ignore[attr-defined]


def _payload(body: str) -> dict[str, Any]:
    part = body.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def test_nothing_is_published_until_the_body_records_it(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    office, client = public
    _publish(client)
    assert client.get("/body", headers=JSON).status_code == 404
    page = client.get("/body", headers=HTML)
    assert page.status_code == 404
    assert "has not yet published how to appeal" in page.text
    assert office.call("GET", "/body-information", member(office, "auditor")).status_code == 404


def test_recorded_information_reaches_the_registry_and_a_change_is_republished(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    store: Store,
) -> None:
    office, client = public
    recorded = office.ok("PUT", "/body-information", member(office, "admin"), INFORMATION)
    assert recorded["version"] == 1
    assert recorded["recorded_by"] == member(office, "admin").staff_id
    _publish(client)

    answer = client.get("/body", headers=JSON)
    assert answer.status_code == 200
    assert answer.headers["vary"] == "Accept"
    subject = answer.json()
    assert subject["type"] == "CertificationBody"
    assert subject["name"] == INFORMATION["name"]
    assert subject["appealsProcess"] == INFORMATION["appeals_process"]
    assert subject["accreditation"]["scopeUrl"] == "https://nas.example/scopes/PC-0042"
    # Nothing of the back office: no staff member, no time of recording.
    assert "recordedBy" not in json.dumps(subject)
    assert member(office, "admin").staff_id not in json.dumps(subject)
    etag = answer.headers["etag"]
    assert client.get("/body", headers=JSON | {"If-None-Match": etag}).status_code == 304

    page = client.get("/body", headers=HTML)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "<script" not in page.text
    assert "Our commitment to impartiality" in page.text
    assert "No one who trained a candidate examines" in page.text  # second paragraph
    assert "appeals@nwc.example" in page.text
    assert 'href="https://nas.example/scopes/PC-0042"' in page.text

    changed = INFORMATION | {"appeals_process": "Appeal within 60 days of a decision."}
    changed.pop("accreditation")
    assert office.ok("PUT", "/body-information", member(office, "admin"), changed)["version"] == 2
    _publish(client)
    subject = client.get("/body", headers=JSON).json()
    assert subject["appealsProcess"] == "Appeal within 60 days of a decision."
    assert subject["version"] == 2
    assert "accreditation" not in subject
    assert client.get("/body", headers=JSON | {"If-None-Match": etag}).status_code == 200
    read = office.ok("GET", "/body-information", member(office, "auditor"))
    assert (read["version"], read["accreditation"]) == (2, None)
    with store.reading() as reader:
        actions = [
            e.action
            for e in reader.audit_entries(limit=10_000)
            if e.subject_type == "body-information"
        ]
    assert actions == ["body-information.recorded", "body-information.recorded"]


def test_only_an_administrator_records_it_and_nonsense_is_refused(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    office, _ = public
    refused = office.call("PUT", "/body-information", member(office, "manager"), INFORMATION)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    blank = INFORMATION | {"appeals_process": "   "}
    assert (
        office.call("PUT", "/body-information", member(office, "admin"), blank).status_code == 422
    )
    script = INFORMATION | {
        "accreditation": INFORMATION["accreditation"] | {"scope_url": "javascript:alert(1)"}
    }
    answer = office.call("PUT", "/body-information", member(office, "admin"), script)
    assert answer.status_code == 422
    assert office.call("GET", "/body-information", member(office, "admin")).status_code == 404


def test_the_scheme_page_and_the_qr_page_link_to_it(
    public: tuple[BackOffice, TestClient],  # noqa: F811
) -> None:
    office, client = public
    decision = grant(office)
    number = decision["certification"]["certificate_number"]
    _publish(client)
    scheme = client.get(f"/schemes/{decision['certification']['scheme_id']}", headers=HTML)
    assert scheme.status_code == 200
    assert '<a href="/body">How to appeal or complain</a>' in scheme.text
    detail = office.ok("GET", f"/certifications/{number}", member(office, "auditor"))
    page = client.get(f"/v/{detail['credentials'][0]['id']}", headers=HTML)
    assert page.status_code == 200
    assert '<a href="/body">How to appeal or complain</a>' in page.text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_registry_refuses_a_body_document_its_schema_refuses(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    store: Store,
    registry_store: RegistryStore,
    keyring: KeyRing,
    clock: FrozenClock,
) -> None:
    office, client = public
    office.ok("PUT", "/body-information", member(office, "admin"), INFORMATION)
    _publish(client)
    registry = Registry(registry_store)
    held = registry.document(DocumentKind.BODY_INFORMATION, "body")
    assert held is not None
    good = _payload(held.body)
    identity = IssuerIdentity(base_url="https://certs.example.test", name="x")
    assert good["id"] == identity.body_url

    def signed(payload: dict[str, Any]) -> str:
        with store.transaction() as tx:
            signer = keyring.signer(tx)
        return sign_compact(
            header={"typ": "vc+jwt", "cty": "vc"},
            payload=payload | jwt_claims(good["issuer"], clock()),
            signer=signer,
            did=good["issuer"],
        )

    bad_subject = dict(good["credentialSubject"])
    del bad_subject["appealsProcess"]  # a body information without its appeals process
    for bad in (
        good | {"credentialSubject": bad_subject},
        good | {"credentialSubject": good["credentialSubject"] | {"recordedBy": "someone"}},
        good | {"@context": good["@context"][:2]},
    ):
        with pytest.raises(InvalidPayload):
            registry.accept(
                Publication(
                    kind=DocumentKind.BODY_INFORMATION,
                    key="body",
                    version=held.version + 1,
                    body=signed(bad),
                )
            )
    # The same document, well formed, is taken: the refusals above were the schema's.
    assert registry.accept(
        Publication(
            kind=DocumentKind.BODY_INFORMATION,
            key="body",
            version=held.version + 1,
            body=signed(good),
        )
    )


def test_two_administrators_recording_at_once_both_record_one_version_after_the_other(
    public: tuple[BackOffice, TestClient],  # noqa: F811
    store: Store,
) -> None:
    office, client = public
    admins = [member(office, "admin"), office.enrol("admin-2", Role.ADMINISTRATOR)]
    bodies = [INFORMATION, INFORMATION | {"contact": "complaints@nwc.example"}]
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def go(index: int) -> None:
        barrier.wait()
        answers[index] = office.call("PUT", "/body-information", admins[index], bodies[index])

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    versions = sorted(a.json()["version"] for a in answers)
    assert versions == [1, 2]
    [last] = [i for i, a in enumerate(answers) if a.json()["version"] == 2]
    _publish(client)
    assert client.get("/body", headers=JSON).json()["contact"] == bodies[last]["contact"]
    with store.reading() as reader:
        entries = reader.audit_entries(limit=10_000)
    assert [e.action for e in entries if e.subject_type == "body-information"] == [
        "body-information.recorded"
    ] * 2

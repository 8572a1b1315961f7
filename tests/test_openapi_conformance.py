"""The OpenAPI document tells the truth: schemathesis calls every operation it declares with
generated requests, valid and invalid, and checks each answer against the document.

Two apps are run: the all-in-one app of ``certreg serve`` (back office and public registry,
seeded with the demo records and published, called with an administrator's token) and the
public registry alone with its intake route (``certreg serve --only registry``). Every answer
must be no server error and have a status, a media type and a body that the document
declares for that operation. Generated requests rarely name a record that exists, so the
seeded records are then asked for by name, as browsers and programs ask for them.

The run is schemathesis' own engine (the one behind ``schemathesis run``: its examples,
coverage and fuzzing phases), bounded and reproducible — a few derandomized examples per
operation and generation mode. Its pytest integration is not used: its fixture-based loader
relies on a private attribute that pytest 9 no longer has.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.checks import not_a_server_error
from schemathesis.engine import Status, events, from_schema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from issuer import demo
from issuer.credentials import keys
from issuer.credentials.keys import KeyRing
from issuer.credentials.signing import Algorithm
from issuer.http.app import create_app, public_registry_app
from issuer.settings import Settings
from issuer.store import Store, migrate
from registry import Registry, RegistryStore
from registry import upgrade as registry_upgrade
from schemas.publication import DocumentKind
from tests.conftest import PASSPHRASE, START, SeededEntropy

CHECK_NAMES = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
MAX_EXAMPLES = 5
INTAKE_TOKEN = "intake-secret-only-for-tests"


@dataclass(frozen=True)
class Running:
    app: FastAPI
    headers: dict[str, str]
    registry: Registry | None = None


def _settings(data_dir: Path) -> Settings:
    # Rate limits off: a limited client would see mostly 429s and little else of each route.
    return Settings(
        data_dir=data_dir,
        base_url="https://certs.example.test",
        body_name="Example Welding Certification Body",
        key_passphrase=PASSPHRASE,
        registry_lookup_per_minute=0,
        registry_page_per_minute=0,
    )


@pytest.fixture
def all_in_one(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """``certreg serve --demo``: the demo records issued and published, an administrator.

    A fresh one for each test: the generated requests of one may revoke the administrator's
    token or deactivate staff (as the API allows), which must not decide what the next sees."""
    data_dir = tmp_path_factory.mktemp("all-in-one")
    store = Store.from_url(f"sqlite:///{data_dir / 'issuer.sqlite3'}")
    migrate.upgrade(store.engine)
    registry_store = RegistryStore.from_url(f"sqlite:///{data_dir / 'registry.sqlite3'}")
    registry_upgrade(registry_store.engine)
    registry = Registry(registry_store)
    app = create_app(
        _settings(data_dir),
        store=store,
        clock=lambda: START,
        entropy=SeededEntropy(),
        keyring=KeyRing(passphrase=PASSPHRASE.encode()),
        registry=registry,
        publish_interval=None,
    )
    services = app.state.services
    with store.transaction() as tx:
        keys.rotate(tx, alg=Algorithm.ES256, passphrase=PASSPHRASE.encode(), now=START)
    seeded = demo.seed(store, now=START, entropy=services.entropy, issuance=services.issuance)
    assert seeded is not None
    app.state.drain()
    headers = {"Authorization": f"Bearer {seeded.admin_token}"}
    yield Running(app=app, headers=headers, registry=registry)
    store.dispose()
    registry_store.dispose()


@pytest.fixture(scope="module")
def registry_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """``certreg serve --only registry`` with an intake secret, holding nothing yet."""
    data_dir = tmp_path_factory.mktemp("registry-only")
    store = RegistryStore.from_url(f"sqlite:///{data_dir / 'registry.sqlite3'}")
    registry_upgrade(store.engine)
    app = public_registry_app(store, _settings(data_dir), intake_token=INTAKE_TOKEN)
    yield Running(app=app, headers={"Authorization": f"Bearer {INTAKE_TOKEN}"})
    store.dispose()


def _schema(app: FastAPI, headers: dict[str, str]) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict(
        {
            "headers": headers,
            "workers": 1,
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "database": "none",
            },
            "phases": {"stateful": {"enabled": False}},
            "checks": {"enabled": False} | {name: {"enabled": True} for name in CHECK_NAMES},
        }
    )
    return schemathesis.openapi.from_asgi("/openapi.json", app, config=config)


def _failures(schema: schemathesis.BaseSchema) -> list[str]:
    """Run schemathesis over ``schema``; one line per failed check and operation."""
    found: set[str] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.FatalError | events.NonFatalError):
            found.add(f"schemathesis could not run: {event!r}")
        if not isinstance(event, events.ScenarioFinished):
            continue
        recorder = event.recorder
        for case_id, checks in recorder.checks.items():
            for check in checks:
                if check.status is not Status.FAILURE:
                    continue
                interaction = recorder.interactions.get(case_id)
                if interaction is None:
                    found.add(f"{recorder.label}: {check.name}: (no request recorded)")
                    continue
                request = f"{interaction.request.method} {interaction.request.uri}"
                response = interaction.response
                said = f"{response.status_code} {response.content[:200]!r}" if response else ""
                found.add(f"{recorder.label}: {check.name}: {request[:200]} -> {said}")
    return sorted(found)


def test_the_all_in_one_app_answers_as_documented(all_in_one: Running) -> None:
    assert _failures(_schema(all_in_one.app, all_in_one.headers)) == []


def test_the_registry_alone_answers_as_documented(registry_only: Running) -> None:
    assert _failures(_schema(registry_only.app, registry_only.headers)) == []


def test_the_run_fails_when_the_document_omits_an_answer(registry_only: Running) -> None:
    """The checks can fail: without its declared 404, an unknown scheme's answer is found."""
    app = registry_only.app
    document = copy.deepcopy(app.openapi())
    del document["paths"]["/schemes/{scheme_id}"]["get"]["responses"]["404"]
    lying = FastAPI(openapi_url=None)

    @lying.get("/openapi.json", include_in_schema=False)
    def openapi() -> dict[str, Any]:
        return document

    lying.mount("/", app)
    schema = _schema(lying, registry_only.headers).include(path="/schemes/{scheme_id}")
    failures = _failures(schema)
    assert failures, "schemathesis found nothing wrong with an undeclared 404"
    assert all("status_code_conformance" in failure for failure in failures), failures


def _seeded_requests(running: Running) -> list[tuple[str, str, dict[str, Any]]]:
    """(path template, method, request) for records the demo seed holds, asked for in every
    way a client asks: as a program, as a browser, and again with the ETag it was given."""
    assert running.registry is not None
    registry = running.registry
    status_lists = [d.key for d in registry.documents(DocumentKind.STATUS_LIST)]
    schemes = [d.key for d in registry.documents(DocumentKind.SCHEME)]
    with TestClient(running.app) as client:
        listed = client.get("/api/v1/certifications", headers=running.headers).json()
        assert isinstance(listed, list), listed
        number = listed[0]["certificate_number"]
        detail = client.get(f"/api/v1/certifications/{number}", headers=running.headers).json()
    credential = detail["credentials"][0]["id"]
    entry_json = registry.document(DocumentKind.REGISTER_ENTRY, number)
    assert entry_json is not None
    family_name = _family_name(entry_json.body)
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("/.well-known/did.json", "GET", {}),
        ("/.well-known/jwks.json", "GET", {}),
        ("/audit/checkpoint", "GET", {}),
        ("/schemes", "GET", {}),
        ("/status/{list_id}", "GET", {"path_parameters": {"list_id": status_lists[0]}}),
        ("/schemes/{scheme_id}", "GET", {"path_parameters": {"scheme_id": schemes[0]}}),
        ("/v/{credential_id}", "GET", {"path_parameters": {"credential_id": credential}}),
        ("/v/{credential_id}", "GET", {"path_parameters": {"credential_id": "no-such-id"}}),
        (
            "/register/{certificate_number}",
            "GET",
            {
                "path_parameters": {"certificate_number": number},
                "query": {"family_name": family_name},
            },
        ),
        ("/directory", "GET", {"query": {"name": family_name}}),
        ("/api/v1/certifications/{number}", "GET", {"path_parameters": {"number": number}}),
    ]
    for part in ("", "/qr.svg", "/qr.png", "/certificate.pdf"):
        path = "/api/v1/credentials/{credential_id}" + part
        requests.append((path, "GET", {"path_parameters": {"credential_id": credential}}))
    return requests


def _family_name(compact: str) -> str:
    payload = compact.split(".")[1]
    subject = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    name: str = subject["credentialSubject"]["familyName"]
    return name


def test_the_seeded_records_are_answered_as_documented(all_in_one: Running) -> None:
    schema = _schema(all_in_one.app, all_in_one.headers)
    checked = 0
    for path, method, request in _seeded_requests(all_in_one):
        operation = schema[path][method]
        for accept in ("application/json", "text/html"):
            headers = all_in_one.headers | {"Accept": accept}
            case = operation.Case(headers=headers, **request)
            response = case.call()
            case.validate_response(response, checks=CHECKS)
            etag = response.headers.get("etag")
            if etag:
                again = operation.Case(headers=headers | {"If-None-Match": etag[0]}, **request)
                answer = again.call()
                assert answer.status_code == 304, (path, answer.status_code)
                again.validate_response(answer, checks=CHECKS)
            checked += 1
    assert checked >= 28

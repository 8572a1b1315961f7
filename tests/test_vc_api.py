"""``POST /credentials/verify`` through the registry app, on credentials the back office issued.

The registry verifies against its own stored keys and status lists (registry/verification.py),
so a suspension published a moment ago is seen at once. A credential that does not verify is
a ``200`` with ``verified: false`` (a verification result, as the VC API says); only a request
that cannot be started on is a typed 4xx problem — never a 500, whatever the body.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from issuer.credentials.keys import KeyRing
from issuer.http.app import create_app
from issuer.publication import outbox
from issuer.settings import Settings
from issuer.store import Store
from registry import Registry, RegistryStore, create_registry_app
from registry.verification import RegistryStatusLists, RegistryVerification
from schemas.publication import DocumentKind
from tests.backoffice import BackOffice, enrol_office, grant, member
from tests.conftest import FrozenClock, SeededEntropy
from tests.verifier.tokens import FakeIssuer
from verifier import StatusRetrievalError, Verdict
from verifier.http import MAX_BODY_BYTES

W3C = "https://www.w3.org/TR/vc-data-model#"
DID = "did:web:certs.example.test"


@dataclass
class World:
    office: BackOffice
    registry: Registry
    verify: TestClient
    clock: FrozenClock

    def publish(self) -> None:
        self.office.client.app.state.drain()  # type: ignore[attr-defined]

    def issue(self) -> tuple[str, str]:
        """A granted certification's number and its credential (compact JWS), published."""
        number: str = grant(self.office)["certification"]["certificate_number"]
        self.publish()
        detail = self.office.ok("GET", f"/certifications/{number}", member(self.office, "auditor"))
        credential_id = detail["credentials"][0]["id"]
        token = self.office.call(
            "GET", f"/credentials/{credential_id}", member(self.office, "registrar")
        ).text
        return number, token

    def post(self, body: Any) -> Any:
        return self.verify.post("/credentials/verify", json=body)


@pytest.fixture
def world(
    settings: Settings,
    store: Store,
    registry_store: RegistryStore,
    clock: FrozenClock,
    entropy: SeededEntropy,
    keyring: KeyRing,
) -> Iterator[World]:
    registry = Registry(registry_store)
    app = create_app(
        settings,
        store=store,
        clock=clock,
        entropy=entropy,
        keyring=keyring,
        registry=registry,
        publish_interval=None,
    )
    with store.transaction() as tx:
        outbox.enqueue_keys(tx, clock())
    public = create_registry_app(registry, page_limit=None, now=clock)
    with TestClient(app) as client, TestClient(public) as verify:
        office = enrol_office(BackOffice(client=client, store=store, clock=clock, entropy=entropy))
        yield World(office=office, registry=registry, verify=verify, clock=clock)


def enveloped(token: str) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "id": f"data:application/vc+jwt,{token}",
        "type": "EnvelopedVerifiableCredential",
    }


def test_an_enveloped_credential_verifies(world: World) -> None:
    number, token = world.issue()
    response = world.post({"verifiableCredential": enveloped(token), "options": {}})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    result = response.json()
    assert result["verified"] is True
    assert result["verdict"] == "valid"
    assert result["problemDetails"] == []
    assert {"signature", "trusted-issuer", "credential-status", "validity-period"} <= set(
        result["checks"]
    )
    assert result["issuer"] == DID
    subject = result["credential"]["credentialSubject"]
    assert subject["certification"]["certificateNumber"] == number
    assert result["checkedAt"] == "2026-11-25T09:00:00Z"


def test_the_compact_form_verifies_the_same(world: World) -> None:
    _, token = world.issue()
    compact = world.post({"verifiableCredential": token}).json()
    envelope = world.post({"verifiableCredential": enveloped(token)}).json()
    assert compact == envelope
    assert compact["verified"] is True


def test_a_suspension_is_seen_as_soon_as_it_is_published(world: World) -> None:
    number, token = world.issue()
    world.office.ok(
        "POST",
        f"/certifications/{number}/suspend",
        member(world.office, "decider"),
        {"reason": "surveillance overdue"},
    )
    world.publish()
    result = world.post({"verifiableCredential": enveloped(token)}).json()
    assert result["verified"] is False
    assert result["verdict"] == "suspended"
    [problem] = result["problemDetails"]
    assert problem["type"] == "/problems/suspended"
    assert problem["title"]
    assert result["credential"]["credentialSubject"]["certification"]["certificateNumber"] == (
        number
    )
    assert "surveillance overdue" not in json.dumps(result)


def test_expiry_comes_from_the_injected_clock(world: World) -> None:
    _, token = world.issue()
    world.clock.advance(days=365 * 6)
    result = world.post({"verifiableCredential": token}).json()
    assert (result["verified"], result["verdict"]) == (False, "expired")


@pytest.mark.parametrize(
    ("mangle", "problem_type"),
    [
        (
            lambda t: t[:-4] + ("AAAA" if t[-4:] != "AAAA" else "BBBB"),
            W3C + "CRYPTOGRAPHIC_SECURITY_ERROR",
        ),
        (lambda t: t.replace(".", "", 1), W3C + "PARSING_ERROR"),
        (lambda t: "not a credential", W3C + "PARSING_ERROR"),
        (lambda t: "", W3C + "PARSING_ERROR"),
    ],
)
def test_credentials_that_do_not_verify_are_results_not_request_errors(
    world: World, mangle: Any, problem_type: str
) -> None:
    _, token = world.issue()
    response = world.post({"verifiableCredential": enveloped(mangle(token))})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["verified"] is False
    assert result["verdict"] == "invalid"
    assert [p["type"] for p in result["problemDetails"]] == [problem_type]


def test_another_issuers_credential_is_untrusted(world: World) -> None:
    world.issue()
    stranger = FakeIssuer(host="elsewhere.example")
    result = world.post({"verifiableCredential": stranger.token()}).json()
    assert result["verified"] is False
    assert result["problemDetails"][0]["type"] == "/problems/untrusted-issuer"
    assert result["credential"] is None


def test_before_any_keys_are_published_nothing_verifies(
    registry_store: RegistryStore, clock: FrozenClock
) -> None:
    app = create_registry_app(registry_store, page_limit=None, now=clock)
    with TestClient(app) as client:
        token = FakeIssuer(host="certs.example.test").token()
        result = client.post("/credentials/verify", json={"verifiableCredential": token}).json()
    assert result["verified"] is False
    assert result["verdict"] == Verdict.CANNOT_CONFIRM
    assert result["problemDetails"][0]["type"] == "/problems/key-retrieval-error"


def test_registry_status_lists_serve_only_their_own_urls(world: World) -> None:
    world.issue()
    lists = RegistryStatusLists(world.registry)
    [stored, *_] = world.registry.documents(DocumentKind.STATUS_LIST)
    url = f"https://certs.example.test/status/{stored.key}"
    assert lists.status_list(url, now=world.clock()).body.decode() == stored.body
    for other in (
        f"https://evil.example/status/{stored.key}",
        "https://certs.example.test/status/",
        "https://certs.example.test/status/../x",
        "no url at all",
    ):
        with pytest.raises(StatusRetrievalError):
            lists.status_list(other, now=world.clock())


def test_the_registry_verification_follows_key_changes(world: World) -> None:
    number, token = world.issue()
    verification = RegistryVerification(world.registry)
    assert verification.check(token, now=world.clock()).verified
    assert verification.keys.did() == DID
    first = verification.verifier()
    assert verification.verifier() is first  # reused while the stored issuer is the same
    detail = world.office.ok("GET", f"/certifications/{number}", member(world.office, "auditor"))
    kid = detail["credentials"][0]["kid"]
    world.office.ok("POST", "/keys/rotate", member(world.office, "admin"), {})
    world.office.ok("POST", f"/keys/{kid}/compromised", member(world.office, "admin"))
    world.publish()
    report = verification.check(token, now=world.clock())
    assert report.verdict is Verdict.INVALID
    assert report.errors[0]["type"] == W3C + "CRYPTOGRAPHIC_SECURITY_ERROR"
    assert "revoked" in report.errors[0]["detail"]


def _problem(response: Any, status: int, kind: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == f"/problems/{kind}"


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ([], "validation-failed"),
        ("eyJ", "validation-failed"),
        ({}, "validation-failed"),
        ({"verifiableCredential": 5}, "validation-failed"),
        ({"verifiableCredential": None}, "validation-failed"),
        ({"verifiableCredential": "x", "extra": 1}, "validation-failed"),
        ({"verifiableCredential": "x", "options": []}, "validation-failed"),
        ({"verifiableCredential": "x", "options": {"checks": "proof"}}, "validation-failed"),
        ({"verifiableCredential": "x", "options": {"challenge": 5}}, "validation-failed"),
        ({"verifiableCredential": "x", "options": {"returnCredential": 1}}, "validation-failed"),
        ({"verifiableCredential": {"id": "data:application/vc+jwt,x"}}, "unsupported-envelope"),
        (
            {"verifiableCredential": {"type": "EnvelopedVerifiableCredential", "id": "x"}},
            "validation-failed",
        ),
        (
            {
                "verifiableCredential": {
                    "type": "EnvelopedVerifiableCredential",
                    "id": "data:application/vc+jwt",
                }
            },
            "validation-failed",
        ),
        (
            {
                "verifiableCredential": {
                    "type": "EnvelopedVerifiableCredential",
                    "id": "data:application/vc+sd-jwt,eyJ.eyJ.x",
                }
            },
            "unsupported-envelope",
        ),
        (
            {
                "verifiableCredential": {
                    "type": "EnvelopedVerifiableCredential",
                    "id": "data:application/vc+sd-jwt;base64,ZXlK",
                }
            },
            "unsupported-envelope",
        ),
        ({"verifiableCredential": "data:application/vc+cose,AAAA"}, "unsupported-envelope"),
        (
            {
                "verifiableCredential": {
                    "@context": ["https://www.w3.org/2018/credentials/v1"],
                    "type": "EnvelopedVerifiableCredential",
                    "id": "data:application/vc+jwt,x",
                }
            },
            "validation-failed",
        ),
        (
            {
                "verifiableCredential": {
                    "@context": ["https://www.w3.org/ns/credentials/v2"],
                    "type": ["VerifiableCredential"],
                    "issuer": DID,
                    "credentialSubject": {},
                    "proof": {"type": "DataIntegrityProof"},
                }
            },
            "unsupported-envelope",
        ),
    ],
)
def test_bodies_that_are_not_verify_requests_are_typed_4xx(
    world: World, body: Any, kind: str
) -> None:
    _problem(world.post(body), 422, kind)


def test_bodies_that_are_not_json_or_too_large(world: World) -> None:
    post = world.verify.post
    json_type = {"content-type": "application/json"}
    _problem(
        post("/credentials/verify", content=b"{not json", headers=json_type),
        400,
        "malformed-request",
    )
    _problem(
        post("/credentials/verify", content=b"\xff\xfe", headers=json_type),
        400,
        "malformed-request",
    )
    _problem(
        post("/credentials/verify", content=b'{"a": NaN}', headers=json_type),
        400,
        "malformed-request",
    )
    deep = b"[" * 100_000 + b"]" * 100_000
    _problem(
        post("/credentials/verify", content=deep[: MAX_BODY_BYTES - 10], headers=json_type),
        400,
        "malformed-request",
    )
    _problem(
        post("/credentials/verify", content=b"eyJ", headers={"content-type": "text/plain"}),
        415,
        "unsupported-media-type",
    )
    big = json.dumps({"verifiableCredential": "e" * (MAX_BODY_BYTES + 1)}).encode()
    _problem(post("/credentials/verify", content=big, headers=json_type), 413, "payload-too-large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap holds while streaming
        for _ in range(40):
            yield b" " * 16_384

    _problem(
        post("/credentials/verify", content=chunks(), headers=json_type), 413, "payload-too-large"
    )
    assert world.verify.get("/credentials/verify").status_code == 405


def _json_containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)


_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    _json_containers,
    max_leaves=20,
)
_credential_like = st.fixed_dictionaries(
    {
        "verifiableCredential": _json
        | st.text(max_size=200)
        | st.builds(
            lambda t: {"type": "EnvelopedVerifiableCredential", "id": t},
            st.text(max_size=60).map(lambda s: "data:" + s),
        )
    },
    optional={"options": _json},
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_json | _credential_like)
def test_no_json_body_makes_a_500(world: World, body: Any) -> None:
    response = world.post(body)
    assert response.status_code in (200, 400, 413, 415, 422), response.text
    if response.status_code == 200:
        assert response.json()["verified"] is False


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    raw=st.binary(max_size=300),
    content_type=st.sampled_from(["application/json", "application/ld+json", "text/plain", ""]),
)
def test_no_raw_body_makes_a_500(world: World, raw: bytes, content_type: str) -> None:
    response = world.verify.post(
        "/credentials/verify", content=raw, headers={"content-type": content_type}
    )
    assert response.status_code in (200, 400, 415, 422), response.text


@pytest.fixture
def issued(world: World) -> tuple[World, str]:
    return world, world.issue()[1]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_no_mangled_credential_makes_a_500_or_verifies(
    issued: tuple[World, str], data: st.DataObject
) -> None:
    world, token = issued
    position = data.draw(st.integers(min_value=0, max_value=len(token) - 1))
    replacement = data.draw(st.text(max_size=3))
    mangled = token[:position] + replacement + token[position + 1 :]
    response = world.post({"verifiableCredential": enveloped(mangled)})
    assert response.status_code == 200, response.text
    result = response.json()
    if result["verified"]:
        assert _segments(mangled) == _segments(token)  # only unused base64url bits changed


def _segments(token: str) -> list[bytes]:
    return [
        base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)) for part in token.strip().split(".")
    ]

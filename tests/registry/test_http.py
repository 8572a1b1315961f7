"""The public routes: ETag/304, Cache-Control, identical 404s, and the intake route."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from registry import Registry, create_registry_app
from schemas.publication import DocumentKind
from tests.registry.conftest import (
    INTAKE_TOKEN,
    NUMBER,
    TestIssuer,
    register_entry_payload,
    scheme_payload,
    status_list_payload,
)

AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}"}


def _publish_all(registry: Registry, issuer: TestIssuer) -> None:
    assert registry.accept(
        issuer.publication(DocumentKind.STATUS_LIST, "r1", status_list_payload("r1"))
    )
    assert registry.accept(
        issuer.publication(DocumentKind.STATUS_LIST, "s1", status_list_payload("s1", ttl_ms=None))
    )
    assert registry.accept(
        issuer.publication(DocumentKind.REGISTER_ENTRY, NUMBER, register_entry_payload())
    )
    assert registry.accept(
        issuer.publication(DocumentKind.SCHEME, "welding-inspector", scheme_payload())
    )


def test_keys_are_served_with_cors(registry_client: TestClient, published: TestIssuer) -> None:
    did = registry_client.get("/.well-known/did.json")
    jwks = registry_client.get("/.well-known/jwks.json")
    assert did.json() == published.did_document()
    assert jwks.json() == {"keys": [published.key.public_jwk]}
    for response in (did, jwks):
        assert response.headers["access-control-allow-origin"] == "*"
        again = registry_client.get(
            response.url.path, headers={"If-None-Match": response.headers["etag"]}
        )
        assert again.status_code == 304


def test_status_lists_are_served_as_signed_with_their_ttl(
    registry_client: TestClient, registry: Registry, published: TestIssuer
) -> None:
    _publish_all(registry, published)
    response = registry_client.get("/status/r1")
    stored = registry.document(DocumentKind.STATUS_LIST, "r1")
    assert stored is not None
    assert response.status_code == 200
    assert response.text == stored.body
    assert response.headers["content-type"] == "application/vc+jwt"
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["etag"] == stored.etag
    default = registry_client.get("/status/s1")
    assert default.headers["cache-control"] == "public, max-age=300"


@pytest.mark.parametrize("form", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_if_none_match_answers_304_without_a_body(
    registry_client: TestClient, registry: Registry, published: TestIssuer, form: str
) -> None:
    _publish_all(registry, published)
    etag = registry_client.get("/status/r1").headers["etag"]
    response = registry_client.get("/status/r1", headers={"If-None-Match": form.format(etag=etag)})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == etag
    assert response.headers["cache-control"] == "public, max-age=60"
    changed = registry_client.get("/status/r1", headers={"If-None-Match": '"stale"'})
    assert changed.status_code == 200


@pytest.mark.parametrize(
    ("number", "family_name"),
    [
        (NUMBER, "Müller"),
        (NUMBER.replace("-", ""), "MÜLLER"),
        (NUMBER.lower().replace("-", " "), "  müller "),
        (NUMBER, "Ｍüller"),  # fullwidth M: NFKC folds it
    ],
)
def test_register_lookup_normalises_number_and_name(
    registry_client: TestClient,
    registry: Registry,
    published: TestIssuer,
    number: str,
    family_name: str,
) -> None:
    _publish_all(registry, published)
    response = registry_client.get(f"/register/{number}", params={"family_name": family_name})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["entry"] == register_entry_payload()["credentialSubject"]
    assert body["validFrom"] == "2026-11-25T09:00:00Z"
    stored = registry.document(DocumentKind.REGISTER_ENTRY, NUMBER)
    assert stored is not None
    assert body["credential"] == stored.body
    assert response.headers["cache-control"] == "no-cache"
    etag = response.headers["etag"]
    again = registry_client.get(
        f"/register/{number}", params={"family_name": family_name}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304


def test_register_404s_are_identical(
    registry_client: TestClient, registry: Registry, published: TestIssuer
) -> None:
    _publish_all(registry, published)
    answers = [
        registry_client.get(f"/register/{number}", params={"family_name": name})
        for number, name in [
            ("AAAA-BBBB-CCCC-DDDD-E", "Müller"),
            (NUMBER, "Mueller"),
            ("not-a-number", "Müller"),
            (NUMBER + "X", "Müller"),
        ]
    ]
    assert {a.status_code for a in answers} == {404}
    assert len({a.content for a in answers}) == 1
    assert answers[0].headers["content-type"] == "application/problem+json"
    assert "etag" not in answers[0].headers
    missing = registry_client.get(f"/register/{NUMBER}")
    assert missing.status_code == 422
    assert missing.json()["type"] == "/problems/validation-failed"


def test_schemes_are_listed_and_served_one_by_one(
    registry_client: TestClient, registry: Registry, published: TestIssuer
) -> None:
    _publish_all(registry, published)
    subject = scheme_payload()["credentialSubject"]
    assert registry_client.get("/schemes").json() == [subject]
    one = registry_client.get("/schemes/welding-inspector")
    assert one.json() == subject
    again = registry_client.get(
        "/schemes/welding-inspector", headers={"If-None-Match": one.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/status/nope",
        "/schemes/nope",
        "/.well-known/did.json",
        "/nowhere",
        "/status/a%00b",
        "/status/" + "x" * 500,
        "/schemes/%C3%A9",
    ],
)
def test_unknown_or_odd_paths_are_404_problems(registry_client: TestClient, path: str) -> None:
    response = registry_client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/not-found"


def test_intake_route_is_absent_without_a_secret(registry: Registry) -> None:
    with TestClient(create_registry_app(registry)) as client:
        response = client.post("/registry/v1/publications", json={}, headers=AUTH)
    assert response.status_code == 404


def test_intake_route_checks_the_secret(
    registry_client: TestClient, test_issuer: TestIssuer
) -> None:
    body = test_issuer.keys_publication().model_dump(mode="json")
    url = "/registry/v1/publications"
    none = registry_client.post(url, json=body)
    assert none.status_code == 401
    assert none.headers["www-authenticate"] == "Bearer"
    assert (
        registry_client.post(url, json=body, headers={"Authorization": "Basic x"}).status_code
        == 401
    )
    wrong = registry_client.post(url, json=body, headers={"Authorization": "Bearer wrong"})
    assert (wrong.status_code, wrong.json()["type"]) == (403, "/problems/forbidden")
    assert registry_client.post(url, json=body, headers=AUTH).json() == {"stored": True}
    assert registry_client.post(url, json=body, headers=AUTH).json() == {"stored": False}


def test_intake_route_refuses_bad_publications(
    registry_client: TestClient, published: TestIssuer
) -> None:
    url = "/registry/v1/publications"
    good = published.publication(DocumentKind.STATUS_LIST, "r1", status_list_payload("r1"))
    header, payload, _ = good.body.split(".")
    forged = {**good.model_dump(mode="json"), "body": f"{header}.{payload}.AAAA"}
    refused = registry_client.post(url, json=forged, headers=AUTH)
    assert (refused.status_code, refused.json()["type"]) == (422, "/problems/bad-signature")
    invalid = registry_client.post(url, json={"kind": "nope"}, headers=AUTH)
    assert invalid.status_code == 422
    assert invalid.json()["type"] == "/problems/validation-failed"
    garbage = registry_client.post(url, content=b"{not json", headers=AUTH)
    assert garbage.status_code == 422
    big = {**good.model_dump(mode="json"), "body": "a" * 70_000}
    assert registry_client.post(url, json=big, headers=AUTH).status_code == 413
    described = registry_client.get("/problems/bad-signature").json()
    assert described["status"] == "422"

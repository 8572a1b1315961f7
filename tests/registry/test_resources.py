"""What credentials cite by address: schemas, contexts and mark images, served immutable.

Mark images arrive like everything else, signed by the issuer, and are stored only when the
digest they state is the digest of their bytes (the digest mark credentials carry).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry import Registry
from registry.errors import IdentifierMismatch, InvalidPayload, UnknownKey, WrongType
from registry.resources import IMMUTABLE
from schemas import credential_schemas
from schemas.publication import MARK_JWT_TYPE, DocumentKind, Publication, digest_sri
from tests.registry.conftest import BASE_URL, KeyPair, TestIssuer

MARK_ID = "5f0c2b1e-8d4a-4c3b-9e2f-7a6b5c4d3e2f"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def _mark_payload(**changes: Any) -> dict[str, Any]:
    payload = {
        "id": f"{BASE_URL}/marks/{MARK_ID}",
        "mediaType": "image/png",
        "digestSRI": digest_sri(PNG),
        "image": base64.b64encode(PNG).decode("ascii"),
        "iat": 1795597200,
    }
    return payload | changes


def _mark(issuer: TestIssuer, payload: dict[str, Any], **kw: Any) -> Publication:
    header = kw.pop("header", {"typ": MARK_JWT_TYPE})
    return issuer.publication(DocumentKind.MARK, MARK_ID, payload, header=header, **kw)


def _is_immutable(response: Any) -> None:
    assert response.headers["cache-control"] == IMMUTABLE
    assert response.headers["access-control-allow-origin"] == "*"
    etag = response.headers["etag"]
    digest = base64.urlsafe_b64encode(hashlib.sha256(response.content).digest()).rstrip(b"=")
    assert etag == f'"{digest.decode()}"'  # strong: the SHA-256 of the very bytes


@pytest.mark.parametrize("name", sorted(credential_schemas.SCHEMA_NAMES))
def test_every_schema_is_served_as_shipped(registry_client: TestClient, name: str) -> None:
    response = registry_client.get(f"/schemas/{name}.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/schema+json"
    assert response.content == credential_schemas.schema_bytes(name)
    _is_immutable(response)
    again = registry_client.get(
        f"/schemas/{name}.json", headers={"If-None-Match": response.headers["etag"]}
    )
    assert (again.status_code, again.content) == (304, b"")


@pytest.mark.parametrize("name", sorted(credential_schemas.CONTEXT_NAMES))
def test_every_context_is_served_as_shipped(registry_client: TestClient, name: str) -> None:
    response = registry_client.get(f"/contexts/{name}.jsonld")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/ld+json"
    assert response.content == credential_schemas.context_bytes(name)
    _is_immutable(response)


@pytest.mark.parametrize(
    "path",
    [
        "/schemas/no-such-schema.json",
        "/schemas/register-entry-v1",
        "/schemas/..%2Fcontexts%2Fcertreg-v1.json",
        "/contexts/certreg-v9.jsonld",
        "/contexts/certreg-v1.json",
        f"/marks/{MARK_ID}",
        "/marks/" + "x" * 65,
        "/marks/%00",
    ],
)
def test_what_is_not_published_is_a_typed_404(registry_client: TestClient, path: str) -> None:
    response = registry_client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/not-found"


def test_a_mark_is_served_as_the_bytes_of_its_digest(
    registry: Registry, registry_client: TestClient, published: TestIssuer
) -> None:
    assert registry.accept(_mark(published, _mark_payload()))
    assert not registry.accept(_mark(published, _mark_payload()))  # a replay changes nothing
    response = registry_client.get(f"/marks/{MARK_ID}")
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert digest_sri(response.content) == _mark_payload()["digestSRI"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    _is_immutable(response)
    again = registry_client.get(
        f"/marks/{MARK_ID}", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("payload", "refusal"),
    [
        (_mark_payload(digestSRI=digest_sri(b"another image")), InvalidPayload),
        (_mark_payload(digestSRI="sha256-x"), InvalidPayload),
        (_mark_payload(mediaType="text/html"), InvalidPayload),
        (_mark_payload(image="not base64!"), InvalidPayload),
        (_mark_payload(image=""), InvalidPayload),
        (_mark_payload(rules="extra"), InvalidPayload),
        (_mark_payload(id=f"{BASE_URL}/marks/another"), IdentifierMismatch),
    ],
)
def test_a_mark_whose_digest_or_shape_is_wrong_is_refused(
    registry: Registry, published: TestIssuer, payload: dict[str, Any], refusal: type[Exception]
) -> None:
    with pytest.raises(refusal):
        registry.accept(_mark(published, payload))
    assert registry.document(DocumentKind.MARK, MARK_ID) is None


def test_a_mark_needs_the_issuer_s_signature_and_its_own_type(
    registry: Registry, published: TestIssuer
) -> None:
    with pytest.raises(UnknownKey):
        registry.accept(_mark(published, _mark_payload(), signer=KeyPair(published.key.alg)))
    with pytest.raises(WrongType):
        registry.accept(_mark(published, _mark_payload(), header={"typ": "vc+jwt", "cty": "vc"}))
    assert registry.document(DocumentKind.MARK, MARK_ID) is None

"""Issued credentials as published documents: stored once as signed, found by their id, and
refused unless the issuer's keys verify them and they match their JSON Schema."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from issuer.credentials.signing import Algorithm, b64url
from registry import Registry
from registry.errors import (
    BadSignature,
    IdentifierMismatch,
    InvalidPayload,
    KeyRevoked,
    MalformedJws,
    PublicationRefused,
    UnknownKey,
    UnsupportedAlgorithm,
    WrongType,
)
from schemas.publication import CREDENTIAL_VERSION, DocumentKind, Publication
from tests.registry.conftest import (
    CREDENTIAL_ID,
    KeyPair,
    TestIssuer,
    certificate_payload,
    register_entry_payload,
)


def _credential(
    issuer: TestIssuer, payload: dict[str, Any], key: str = CREDENTIAL_ID, **kw: Any
) -> Publication:
    return issuer.publication(DocumentKind.CREDENTIAL, key, payload, CREDENTIAL_VERSION, **kw)


def _with_body(body: str, key: str = CREDENTIAL_ID) -> Publication:
    return Publication(kind=DocumentKind.CREDENTIAL, key=key, version=CREDENTIAL_VERSION, body=body)


def test_a_credential_is_stored_once_as_signed_and_found_by_its_id(
    registry: Registry, published: TestIssuer
) -> None:
    publication = _credential(published, certificate_payload())
    assert registry.accept(publication)
    assert not registry.accept(publication)  # a retry or a rebuild changes nothing
    for form in (CREDENTIAL_ID, f"urn:uuid:{CREDENTIAL_ID}", CREDENTIAL_ID.upper()):
        document = registry.credential(form)
        assert document is not None, form
        assert document.body == publication.body
        assert document.media_type == "application/vc+jwt"
        assert document.version == 1
    assert registry.credential("1b7f9a8e-4c1d-4d2b-9a59-1f0f3c2b7a11") is None


@pytest.mark.parametrize(
    "asked",
    ["", "urn:uuid:", "not-a-uuid", "../../etc/passwd", "x" * 10_000, "\x00", "urn:uuid:%00"],
)
def test_odd_credential_ids_find_nothing(
    registry: Registry, published: TestIssuer, asked: str
) -> None:
    assert registry.accept(_credential(published, certificate_payload()))
    assert registry.credential(asked) is None


def _tampered(body: str) -> str:
    header, payload, signature = body.split(".")
    document = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    document["credentialSubject"]["familyName"] = "Someone Else"
    return ".".join([header, b64url(json.dumps(document).encode()), signature])


def test_a_tampered_credential_is_refused(registry: Registry, published: TestIssuer) -> None:
    body = _credential(published, certificate_payload()).body
    with pytest.raises(BadSignature):
        registry.accept(_with_body(_tampered(body)))
    assert registry.credential(CREDENTIAL_ID) is None


def test_an_unsigned_credential_is_refused(registry: Registry, published: TestIssuer) -> None:
    body = _credential(published, certificate_payload()).body
    header, payload, _ = body.split(".")
    none_header = b64url(json.dumps({"alg": "none", "typ": "vc+jwt", "cty": "vc"}).encode())
    with pytest.raises(MalformedJws):
        registry.accept(_with_body(f"{header}.{payload}."))
    with pytest.raises((UnsupportedAlgorithm, MalformedJws)):
        registry.accept(_with_body(f"{none_header}.{payload}."))
    with pytest.raises(MalformedJws):
        registry.accept(_with_body(payload))
    assert registry.credential(CREDENTIAL_ID) is None


def test_a_credential_signed_by_another_or_a_revoked_key_is_refused(registry: Registry) -> None:
    compromised, current = KeyPair(Algorithm.ES256), KeyPair(Algorithm.EDDSA)
    issuer = TestIssuer(current, compromised)
    assert registry.accept(issuer.keys_publication(1))
    with pytest.raises(UnknownKey):
        registry.accept(_credential(issuer, certificate_payload(), signer=KeyPair(Algorithm.ES256)))
    issuer.keys.remove(compromised)
    issuer.revoked.append(compromised)
    assert registry.accept(issuer.keys_publication(2))
    with pytest.raises(KeyRevoked):
        registry.accept(_credential(issuer, certificate_payload(), signer=compromised))
    assert registry.accept(_credential(issuer, certificate_payload()))


def test_a_credential_must_be_published_under_its_own_id(
    registry: Registry, published: TestIssuer
) -> None:
    other = "2c4e6a80-1b3d-4f5a-8c7e-9d0f1a2b3c4d"
    with pytest.raises(IdentifierMismatch):
        registry.accept(_credential(published, certificate_payload(), key=other))
    with pytest.raises(IdentifierMismatch):  # not a UUID as the key
        registry.accept(_credential(published, certificate_payload(), key="certificate"))


@pytest.mark.parametrize(
    "payload",
    [
        certificate_payload(email="anna@example.org"),  # a confidential field: not in the schema
        certificate_payload(dateOfBirth="1986-03-14"),
        {**certificate_payload(), "validUntil": "next year"},
        {**certificate_payload(), "type": ["VerifiableCredential", "RegisterEntryCredential"]},
        {**certificate_payload(), "credentialStatus": []},
        {**register_entry_payload(), "id": f"urn:uuid:{CREDENTIAL_ID}"},
    ],
    ids=["email", "birth-date", "bad-date", "other-type", "no-status", "register-entry"],
)
def test_a_credential_must_match_its_json_schema(
    registry: Registry, published: TestIssuer, payload: dict[str, Any]
) -> None:
    with pytest.raises(InvalidPayload):
        registry.accept(_credential(published, payload))


def test_a_credential_has_the_vc_jwt_type(registry: Registry, published: TestIssuer) -> None:
    with pytest.raises(WrongType):
        registry.accept(_credential(published, certificate_payload(), header={"typ": "JWT"}))


def test_a_credential_of_another_issuer_is_refused(
    registry: Registry, published: TestIssuer
) -> None:
    payload = certificate_payload()
    payload["issuer"] = {"id": "did:web:elsewhere.example", "name": "Elsewhere"}
    with pytest.raises(PublicationRefused):
        registry.accept(_credential(published, payload))


def _cites(payload: dict[str, Any], context: str, schema: str) -> dict[str, Any]:
    base = "https://certs.example.test"
    return payload | {
        "@context": [payload["@context"][0], context],
        "credentialSchema": {"id": f"{base}/schemas/{schema}.json", "type": "JsonSchema"},
    }


def test_a_credential_is_checked_against_the_schema_it_cites(
    registry: Registry, published: TestIssuer
) -> None:
    """Credentials signed before context version 2 still validate against version 1 (a
    rebuild republishes them as signed); new ones against version 2; and the context must
    be the one the cited schema was made for."""
    v2_context = "https://certs.example.test/contexts/certreg-v2.jsonld"
    current = _cites(certificate_payload(), v2_context, "certification-credential-v2")
    assert registry.accept(_credential(published, current))
    assert registry.accept(_credential(published, certificate_payload(ANOTHER_ID), ANOTHER_ID))
    for wrong in (
        _cites(certificate_payload(THIRD_ID), v2_context, "certification-credential-v1"),
        _cites(certificate_payload(THIRD_ID), v2_context, "certification-mark-credential-v2"),
        _cites(certificate_payload(THIRD_ID), v2_context, "register-entry-v2"),
        _cites(certificate_payload(THIRD_ID), "https://w3id.org/certreg/v1", "x"),
    ):
        with pytest.raises(InvalidPayload):
            registry.accept(_credential(published, wrong, THIRD_ID))
    assert registry.credential(THIRD_ID) is None


ANOTHER_ID = "2b7f9a8e-4c1d-4d2b-9a59-1f0f3c2b7a12"
THIRD_ID = "3b7f9a8e-4c1d-4d2b-9a59-1f0f3c2b7a13"

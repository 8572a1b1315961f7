"""Intake: only documents verifiably signed by the published issuer keys are stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from issuer.credentials.signing import Algorithm, b64url
from registry import Registry, jws
from registry.errors import (
    BadSignature,
    IdentifierMismatch,
    InvalidKeys,
    InvalidPayload,
    KeyRevoked,
    NoIssuerKeys,
    PublicationRefused,
    UnknownKey,
    WrongType,
)
from schemas.publication import DocumentKind, Publication
from tests.registry.conftest import (
    NUMBER,
    KeyPair,
    TestIssuer,
    register_entry_payload,
    scheme_payload,
    status_list_payload,
)
from tests.verifier.test_bare_kid_corpus import corpus

Breaker = Callable[[dict[str, Any]], None]


def _documents(issuer: TestIssuer, version: int = 1) -> list[Publication]:
    return [
        issuer.publication(DocumentKind.STATUS_LIST, "r1", status_list_payload("r1"), version),
        issuer.publication(DocumentKind.REGISTER_ENTRY, NUMBER, register_entry_payload(), version),
        issuer.publication(DocumentKind.SCHEME, "welding-inspector", scheme_payload(), version),
    ]


@pytest.mark.parametrize("alg", list(Algorithm))
def test_keys_then_signed_documents_are_stored(registry: Registry, alg: Algorithm) -> None:
    issuer = TestIssuer(KeyPair(alg))
    assert registry.accept(issuer.keys_publication())
    for publication in _documents(issuer):
        assert registry.accept(publication)
        assert not registry.accept(publication)  # a replay is harmless
        stored = registry.document(publication.kind, publication.key)
        assert stored is not None
        assert (stored.body, stored.media_type) == (publication.body, "application/vc+jwt")
    keys = registry.document(DocumentKind.ISSUER_KEYS, "issuer")
    assert keys is not None
    assert keys.media_type == "application/keys+jwt"


def test_nothing_but_keys_is_accepted_before_the_keys(
    registry: Registry, test_issuer: TestIssuer
) -> None:
    for publication in _documents(test_issuer):
        with pytest.raises(NoIssuerKeys) as caught:
            registry.accept(publication)
        assert caught.value.status == 409
    assert registry.documents(DocumentKind.STATUS_LIST) == []


# ── the keys document ────────────────────────────────────────────────────────────────────


def _drop_private(p: dict[str, Any]) -> None:
    p["jwks"]["keys"][0]["d"] = "AAAA"


def _did_private(p: dict[str, Any]) -> None:
    p["did_document"]["verificationMethod"][0]["publicKeyJwk"]["d"] = "AAAA"


def _extra_jwk(p: dict[str, Any]) -> None:
    p["jwks"]["keys"].append(KeyPair(Algorithm.EDDSA).public_jwk)


def _missing_assertion(p: dict[str, Any]) -> None:
    p["did_document"]["assertionMethod"] = []


def _wrong_method_type(p: dict[str, Any]) -> None:
    p["did_document"]["verificationMethod"][0]["type"] = "Multikey"


def _other_material(p: dict[str, Any]) -> None:
    other = KeyPair(Algorithm.ES256).public_jwk
    p["did_document"]["verificationMethod"][0]["publicKeyJwk"]["x"] = other["x"]


def _no_jwks(p: dict[str, Any]) -> None:
    p["jwks"] = {"keys": []}


def _no_did(p: dict[str, Any]) -> None:
    del p["did_document"]


def _duplicate_kid(p: dict[str, Any]) -> None:
    p["jwks"]["keys"].append(dict(p["jwks"]["keys"][0]))


@pytest.mark.parametrize(
    "breaker",
    [
        _drop_private,
        _did_private,
        _extra_jwk,
        _missing_assertion,
        _wrong_method_type,
        _other_material,
        _no_jwks,
        _no_did,
        _duplicate_kid,
    ],
)
def test_inconsistent_keys_documents_are_refused(
    registry: Registry, test_issuer: TestIssuer, breaker: Breaker
) -> None:
    payload = test_issuer.keys_payload()
    breaker(payload)
    with pytest.raises(InvalidKeys):
        registry.accept(test_issuer.keys_publication(payload=payload))
    assert registry.document(DocumentKind.ISSUER_KEYS, "issuer") is None


def test_keys_must_prove_possession_of_a_listed_key(
    registry: Registry, test_issuer: TestIssuer
) -> None:
    outsider = KeyPair(Algorithm.ES256)
    with pytest.raises(UnknownKey):
        registry.accept(test_issuer.keys_publication(signer=outsider))
    header, payload, _ = test_issuer.keys_publication().body.split(".")
    forged_signature = outsider.sign(f"{header}.{payload}".encode())

    forged = f"{header}.{payload}.{b64url(forged_signature)}"
    with pytest.raises(BadSignature):
        registry.accept(Publication(kind="issuer-keys", key="issuer", version=1, body=forged))


def test_keys_have_their_own_type_and_key(registry: Registry, test_issuer: TestIssuer) -> None:
    with pytest.raises(WrongType):
        registry.accept(test_issuer.keys_publication(typ="vc+jwt"))
    body = test_issuer.keys_publication().body
    with pytest.raises(IdentifierMismatch):
        registry.accept(Publication(kind="issuer-keys", key="other", version=1, body=body))


def test_keys_signed_by_a_revoked_key_are_refused(registry: Registry) -> None:
    old, new = KeyPair(Algorithm.ES256), KeyPair(Algorithm.EDDSA)
    issuer = TestIssuer(new)
    issuer.revoked.append(old)
    with pytest.raises(KeyRevoked):
        registry.accept(issuer.keys_publication(signer=old))
    assert registry.accept(issuer.keys_publication(signer=new))


# ── signed documents ─────────────────────────────────────────────────────────────────────


def test_unknown_kid_is_refused(registry: Registry, published: TestIssuer) -> None:
    stranger = KeyPair(Algorithm.ES256)
    with pytest.raises(UnknownKey):
        registry.accept(
            published.publication(
                DocumentKind.STATUS_LIST, "r1", status_list_payload("r1"), signer=stranger
            )
        )


def test_keys_signed_under_a_bare_kid_are_still_read(registry: Registry) -> None:
    """A registry keeps the keys document it stored before the issuer wrote DID URL kids,
    and verifies it again on every read."""
    issuer = TestIssuer(KeyPair(Algorithm.ES256))
    registry.accept(issuer.keys_publication(kid=issuer.key.kid))
    assert registry.keys().keys.keys() == {issuer.key.kid}
    registry.accept(issuer.publication(DocumentKind.STATUS_LIST, "r1", status_list_payload("r1")))


def test_what_certreg_signed_under_bare_kids_is_still_accepted(registry: Registry) -> None:
    """The keys document, status lists and credentials certreg signed and published before
    its kids became DID URLs (tests/verifier/fixtures): a registry that stored them keeps
    reading them, and takes them again."""
    data = corpus()
    registry.accept(
        Publication(kind=DocumentKind.ISSUER_KEYS, key="issuer", version=1, body=data["issuerKeys"])
    )
    for url, body in data["statusLists"].items():
        list_id = url.rsplit("/", 1)[1]
        assert registry.accept(
            Publication(kind=DocumentKind.STATUS_LIST, key=list_id, version=1, body=body)
        )
    for body in data["credentials"].values():
        key = jws.parse_compact(body).payload["id"].removeprefix("urn:uuid:")
        assert registry.accept(
            Publication(kind=DocumentKind.CREDENTIAL, key=key, version=1, body=body)
        )
    assert len(registry.keys().keys) == 2


def test_a_kid_is_the_did_url_of_a_method_or_a_bare_thumbprint(
    registry: Registry, published: TestIssuer
) -> None:
    """What the issuer signs (a DID URL kid) and what it signed before (the bare thumbprint,
    still in older stored documents) are both taken."""
    key = published.key
    document = status_list_payload("r1")
    assert published.sign(document).split(".")[0] != published.sign(document, kid=key.kid)
    registry.accept(published.publication(DocumentKind.STATUS_LIST, "r1", document))
    legacy = published.publication(DocumentKind.STATUS_LIST, "r1", document, version=2, kid=key.kid)
    assert registry.accept(legacy)


@pytest.mark.parametrize(
    "kid",
    [
        "did:web:other.example#{kid}",
        "did:web:certs.example.test.evil#{kid}",
        "did:web:certs.example.test:evil#{kid}",
        "did:web:certs.example.test#{kid}-not-a-method",
    ],
)
def test_a_did_url_kid_must_name_a_method_of_the_issuers_own_did(
    registry: Registry, published: TestIssuer, kid: str
) -> None:
    document = status_list_payload("r1")
    wrong = kid.format(kid=published.key.kid)  # signed with the issuer's own key all the same
    with pytest.raises(UnknownKey):
        registry.accept(published.publication(DocumentKind.STATUS_LIST, "r1", document, kid=wrong))


def test_the_jwt_iss_must_be_the_credentials_issuer(
    registry: Registry, published: TestIssuer
) -> None:
    document = {**status_list_payload("r1"), "iss": "did:web:other.example"}
    with pytest.raises(IdentifierMismatch, match="iss"):
        registry.accept(published.publication(DocumentKind.STATUS_LIST, "r1", document))
    document["iss"] = document["issuer"]
    assert registry.accept(published.publication(DocumentKind.STATUS_LIST, "r1", document))


def test_a_forged_signature_is_refused(registry: Registry, published: TestIssuer) -> None:
    good = published.publication(DocumentKind.STATUS_LIST, "r1", status_list_payload("r1"))
    header, _payload, signature = good.body.split(".")
    other = published.sign(status_list_payload("r2")).split(".")[1]
    forged = Publication(kind=good.kind, key="r1", version=1, body=f"{header}.{other}.{signature}")
    with pytest.raises(BadSignature):
        registry.accept(forged)


@pytest.mark.parametrize(
    "header",
    [{"typ": "JWT", "cty": "vc"}, {"typ": "vc+jwt"}, {"typ": "keys+jwt"}, {"cty": "vc"}],
)
def test_the_wrong_type_is_refused(
    registry: Registry, published: TestIssuer, header: dict[str, Any]
) -> None:
    with pytest.raises(WrongType):
        registry.accept(
            published.publication(
                DocumentKind.SCHEME, "welding-inspector", scheme_payload(), header=header
            )
        )


def test_a_payload_that_is_not_an_object_is_refused(
    registry: Registry, published: TestIssuer
) -> None:

    good = published.sign({})
    header = good.split(".")[0]

    signing_input = f"{header}.{b64url(b'[1,2,3]')}"
    body = f"{signing_input}.{b64url(published.key.sign(signing_input.encode()))}"
    assert jws.parse_compact(good).payload == {}
    with pytest.raises(InvalidPayload):
        registry.accept(Publication(kind="scheme", key="s", version=1, body=body))


@pytest.mark.parametrize(
    ("kind", "key", "payload"),
    [
        (DocumentKind.STATUS_LIST, "r1", status_list_payload("r2")),
        (DocumentKind.REGISTER_ENTRY, NUMBER, register_entry_payload("AAAA-BBBB-CCCC-DDDD-0")),
        (DocumentKind.SCHEME, "welding-inspector", scheme_payload("other-scheme")),
        (DocumentKind.SCHEME, "inspector", scheme_payload("welding-inspector")),
    ],
    ids=["status-list", "register-entry", "scheme", "scheme-suffix"],
)
def test_a_document_must_name_its_own_url(
    registry: Registry, published: TestIssuer, kind: DocumentKind, key: str, payload: Any
) -> None:
    with pytest.raises(IdentifierMismatch):
        registry.accept(published.publication(kind, key, payload))
    assert registry.document(kind, key) is None


def _context(p: dict[str, Any]) -> None:
    p["@context"] = ["https://www.w3.org/2018/credentials/v1"]


def _types(p: dict[str, Any]) -> None:
    p["type"] = ["RegisterEntryCredential"]


def _issuer(p: dict[str, Any]) -> None:
    del p["issuer"]


def _subject(p: dict[str, Any]) -> None:
    p["credentialSubject"] = [p["credentialSubject"]]


def _family_name(p: dict[str, Any]) -> None:
    del p["credentialSubject"]["familyName"]


@pytest.mark.parametrize("breaker", [_context, _types, _issuer, _subject, _family_name])
def test_register_entries_must_be_verifiable_credentials(
    registry: Registry, published: TestIssuer, breaker: Breaker
) -> None:
    payload = register_entry_payload()
    breaker(payload)
    with pytest.raises(InvalidPayload):
        registry.accept(published.publication(DocumentKind.REGISTER_ENTRY, NUMBER, payload))


def test_a_credential_from_another_issuer_is_refused(
    registry: Registry, published: TestIssuer
) -> None:
    payload = {**scheme_payload(), "issuer": {"id": "did:web:elsewhere.example"}}
    with pytest.raises(IdentifierMismatch):
        registry.accept(published.publication(DocumentKind.SCHEME, "welding-inspector", payload))


def test_a_revoked_kid_signs_nothing_new(registry: Registry) -> None:
    compromised, fresh = KeyPair(Algorithm.ES256), KeyPair(Algorithm.ES256)
    issuer = TestIssuer(compromised, fresh)
    assert registry.accept(issuer.keys_publication(1))
    payload = status_list_payload("r1")
    assert registry.accept(issuer.publication(DocumentKind.STATUS_LIST, "r1", payload, 1))
    issuer.keys.remove(compromised)
    issuer.revoked.append(compromised)
    assert registry.accept(issuer.keys_publication(2))
    assert set(registry.keys().revoked) == {compromised.kid}
    with pytest.raises(KeyRevoked):
        registry.accept(
            issuer.publication(DocumentKind.STATUS_LIST, "r1", payload, 2, signer=compromised)
        )
    assert registry.accept(issuer.publication(DocumentKind.STATUS_LIST, "r1", payload, 3))


def test_keys_rotation_replaces_the_old_keys(registry: Registry) -> None:
    """The old key signs the document that adds the new one; the new one, trusted then,
    signs the one that drops the old one."""
    old, new = KeyPair(Algorithm.ES256), KeyPair(Algorithm.EDDSA)
    before, during, after = TestIssuer(old), TestIssuer(new, old), TestIssuer(new)
    assert registry.accept(before.keys_publication(1))
    assert registry.accept(during.keys_publication(2, signer=old))
    assert registry.accept(after.keys_publication(3))
    assert not registry.accept(before.keys_publication(1))  # a stale replay changes nothing
    assert set(registry.keys().keys) == {new.kid}
    with pytest.raises(UnknownKey):
        registry.accept(_documents(before)[0])
    assert all(registry.accept(p) for p in _documents(after))


def test_every_refusal_is_a_publication_refused_with_a_stable_kind() -> None:
    for error in (BadSignature, IdentifierMismatch, InvalidKeys, KeyRevoked, UnknownKey):
        assert issubclass(error, PublicationRefused)
        assert error.status == 422
        assert error.kind != PublicationRefused.kind

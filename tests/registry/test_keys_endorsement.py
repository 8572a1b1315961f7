"""Who may replace the issuer keys: the first document is trusted on first use; every later
one must be signed by a key the held one lists as usable (a stolen intake secret alone no
longer swaps the body's keys); a compromised key may still sign the announcement of its own
compromise."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.credentials.signing import Algorithm
from registry import Registry
from registry.errors import InvalidKeys, KeyRevoked, KeysNotEndorsed, UnknownKey
from registry.store import RegistryStore
from schemas.publication import DocumentKind, Publication
from tests.registry.conftest import INTAKE_TOKEN, KeyPair, TestIssuer, status_list_payload

AUTH = {"Authorization": f"Bearer {INTAKE_TOKEN}"}


def _held(registry: Registry) -> tuple[int, set[str], set[str]]:
    """The version of the keys document held, its usable kids and its revoked ones."""
    document = registry.document(DocumentKind.ISSUER_KEYS, "issuer")
    assert document is not None
    keys = registry.keys()
    return document.version, set(keys.keys), set(keys.revoked)


def _status_list(issuer: TestIssuer, version: int, signer: KeyPair) -> Publication:
    return issuer.publication(
        DocumentKind.STATUS_LIST, "r1", status_list_payload("r1"), version, signer=signer
    )


@pytest.fixture
def body() -> KeyPair:
    """The body's first key, the one the registry trusts on first use."""
    return KeyPair(Algorithm.ES256)


@pytest.fixture
def trusting(registry: Registry, body: KeyPair) -> Registry:
    """A registry holding the body's first keys document (version 1)."""
    assert registry.trusted_kids() is None
    assert registry.accept(TestIssuer(body).keys_publication(1))
    assert registry.trusted_kids() == frozenset({body.kid})
    return registry


def test_keys_signed_only_by_a_key_the_registry_does_not_trust_are_refused(
    trusting: Registry, body: KeyPair
) -> None:
    """Whoever holds the intake secret, with keys of their own: neither a document of their
    keys alone nor one that keeps the body's key beside theirs is taken, and nothing
    changes."""
    thief = KeyPair(Algorithm.ES256)
    for swap in (TestIssuer(thief), TestIssuer(thief, body)):
        with pytest.raises(KeysNotEndorsed):
            trusting.accept(swap.keys_publication(2, signer=thief))
    assert _held(trusting) == (1, {body.kid}, set())
    with pytest.raises(UnknownKey):
        trusting.accept(_status_list(TestIssuer(thief), 1, thief))


def test_a_refused_swap_is_a_typed_problem_over_http(
    trusting: Registry, registry_client: TestClient
) -> None:
    thief = KeyPair(Algorithm.ES256)
    swap = TestIssuer(thief).keys_publication(2).model_dump(mode="json")
    refused = registry_client.post("/registry/v1/publications", json=swap, headers=AUTH)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/keys-not-endorsed"
    described = registry_client.get("/problems/keys-not-endorsed")
    assert described.json()["status"] == "422"


def test_a_trusted_key_signs_the_rotation_to_a_new_one(trusting: Registry, body: KeyPair) -> None:
    """The rotation as the issuer publishes it: the old key signs the document that adds the
    new one, which, trusted then, signs from then on — the keys documents too."""
    new = KeyPair(Algorithm.EDDSA)
    assert trusting.accept(TestIssuer(new, body).keys_publication(2, signer=body))
    assert _held(trusting) == (2, {new.kid, body.kid}, set())
    assert trusting.accept(_status_list(TestIssuer(new), 1, new))
    assert trusting.accept(TestIssuer(new).keys_publication(3, signer=new))
    assert _held(trusting) == (3, {new.kid}, set())
    with pytest.raises(KeysNotEndorsed):  # the retired key, dropped, endorses nothing more
        trusting.accept(TestIssuer(new, body).keys_publication(4, signer=body))


def test_an_endorsed_document_must_list_the_key_that_signs_it(
    trusting: Registry, body: KeyPair
) -> None:
    """Today's proof of possession still holds: the signing key is one the new document
    lists, not only one the registry trusted."""
    new = KeyPair(Algorithm.ES256)
    with pytest.raises(UnknownKey):
        trusting.accept(TestIssuer(new).keys_publication(2, signer=body))
    assert _held(trusting)[0] == 1


def test_a_compromised_key_may_announce_its_own_compromise(
    trusting: Registry, body: KeyPair
) -> None:
    """The body's only trusted key is compromised: it signs the document that marks it
    revoked and names the new key. From then on it endorses nothing and signs nothing, and
    the new key does both."""
    new = KeyPair(Algorithm.ES256)
    announcement = TestIssuer(new)
    announcement.revoked.append(body)
    assert trusting.accept(announcement.keys_publication(2, signer=body))
    assert _held(trusting) == (2, {new.kid}, {body.kid})
    assert trusting.trusted_kids() == frozenset({new.kid})
    with pytest.raises(KeyRevoked):
        trusting.accept(_status_list(announcement, 1, body))
    assert trusting.accept(_status_list(announcement, 1, new))
    thief = KeyPair(Algorithm.ES256)
    stolen = TestIssuer(thief)
    stolen.revoked.append(body)
    with pytest.raises(KeysNotEndorsed):  # the stolen key is no use to the thief any more
        trusting.accept(stolen.keys_publication(3, signer=body))
    assert trusting.accept(announcement.keys_publication(3, signer=new))


def test_only_a_key_trusted_by_the_held_document_may_announce_its_compromise(
    trusting: Registry, body: KeyPair
) -> None:
    """A key marked revoked in the document it signs is taken only as an endorsement by a
    held, usable key; a first document signed so is refused as before."""
    thief, new = KeyPair(Algorithm.ES256), KeyPair(Algorithm.ES256)
    forged = TestIssuer(new, body)
    forged.revoked.append(thief)
    with pytest.raises(KeysNotEndorsed):
        trusting.accept(forged.keys_publication(2, signer=thief))
    assert _held(trusting)[0] == 1


def test_a_kid_names_the_same_key_in_the_document_that_replaces_it(
    trusting: Registry, body: KeyPair
) -> None:
    """The new document may not give a kid the registry holds another key's material, even
    signed by the trusted key itself."""
    other = KeyPair(Algorithm.ES256).public_jwk
    payload: dict[str, Any] = TestIssuer(body).keys_payload()
    for jwk in (
        payload["jwks"]["keys"][0],
        payload["did_document"]["verificationMethod"][0]["publicKeyJwk"],
    ):
        jwk.update(x=other["x"], y=other["y"])
    with pytest.raises(InvalidKeys):
        trusting.accept(TestIssuer(body).keys_publication(2, payload=payload, signer=body))
    assert _held(trusting)[0] == 1


def test_a_stale_keys_document_changes_nothing_whoever_signed_it(
    trusting: Registry, body: KeyPair
) -> None:
    """A replay or a retry of a document as old as the held one is ignored, as every
    publication is, rather than refused."""
    new = KeyPair(Algorithm.ES256)
    assert trusting.accept(TestIssuer(new, body).keys_publication(5, signer=body))
    assert trusting.accept(TestIssuer(new).keys_publication(6, signer=new))
    assert not trusting.accept(TestIssuer(body).keys_publication(1))
    assert not trusting.accept(TestIssuer(new, body).keys_publication(5, signer=body))
    assert _held(trusting)[0] == 6


def test_a_document_is_checked_against_the_keys_held_when_it_is_stored(
    trusting: Registry, registry_store: RegistryStore, body: KeyPair, monkeypatch: Any
) -> None:
    """Between the check and the store another keys document arrives (the body announcing
    that its key is compromised): the document checked against the older one is not stored
    over it, but checked again against it — and refused, as the key that signed it is no
    longer trusted."""
    new, thief = KeyPair(Algorithm.ES256), KeyPair(Algorithm.ES256)
    announcement = TestIssuer(new)
    announcement.revoked.append(body)
    put_over = registry_store.put_over
    arrived: list[bool] = []

    def meanwhile(publication: Publication, **options: Any) -> bool:
        if not arrived:
            arrived.append(
                put_over(
                    announcement.keys_publication(2, signer=body),
                    media_type="application/keys+jwt",
                    held_version=1,
                )
            )
        return put_over(publication, **options)

    monkeypatch.setattr(registry_store, "put_over", meanwhile)
    with pytest.raises(KeysNotEndorsed):
        trusting.accept(TestIssuer(body, thief).keys_publication(3, signer=body))
    assert arrived == [True]
    assert _held(trusting) == (2, {new.kid}, {body.kid})

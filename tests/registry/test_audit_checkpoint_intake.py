"""Audit checkpoints on intake: only the issuer's, and the registry never goes back.

The publication's ``version`` is not signed, so it is not what orders checkpoints: what they
sign is. A checkpoint further along the log replaces the one held; one at the same entry
replaces it only if signed later; one that names an earlier entry, or another entry at the
same position, is refused, whatever version it comes with.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry import Registry
from registry.errors import (
    BadSignature,
    CheckpointGoesBack,
    IdentifierMismatch,
    InvalidPayload,
    NoIssuerKeys,
    UnknownKey,
    WrongType,
)
from schemas.publication import AUDIT_CHECKPOINT_JWT_TYPE, DocumentKind, Publication
from tests.registry.conftest import DID, INTAKE_TOKEN, KeyPair, TestIssuer

HASH_A = "a" * 64
HASH_B = "b" * 64
IAT = 1_795_000_000


def _payload(seq: int, entry_hash: str = HASH_A, iat: int = IAT, **extra: Any) -> dict[str, Any]:
    return {"iss": DID, "iat": iat, "seq": seq, "entryHash": entry_hash, **extra}


def _checkpoint(
    issuer: TestIssuer,
    payload: dict[str, Any],
    version: int = 1,
    *,
    signer: KeyPair | None = None,
    typ: str = AUDIT_CHECKPOINT_JWT_TYPE,
    key: str = "issuer",
) -> Publication:
    body = issuer.sign(payload, signer=signer, header={"typ": typ})
    return Publication(kind=DocumentKind.AUDIT_CHECKPOINT, key=key, version=version, body=body)


def _held(registry: Registry) -> str | None:
    document = registry.document(DocumentKind.AUDIT_CHECKPOINT, "issuer")
    return None if document is None else document.body


def test_a_checkpoint_is_stored_and_one_further_along_replaces_it(
    registry: Registry, published: TestIssuer
) -> None:
    first = _checkpoint(published, _payload(10), version=5)
    assert registry.accept(first)
    stored = registry.document(DocumentKind.AUDIT_CHECKPOINT, "issuer")
    assert stored is not None
    assert stored.media_type == "application/audit-checkpoint+jwt"
    further = _checkpoint(published, _payload(12, HASH_B), version=6)
    assert registry.accept(further)
    assert _held(registry) == further.body


def test_the_same_end_signed_later_replaces_it_and_a_replay_changes_nothing(
    registry: Registry, published: TestIssuer
) -> None:
    first = _checkpoint(published, _payload(10), version=5)
    assert registry.accept(first)
    assert not registry.accept(first)  # a retry
    assert not registry.accept(first.model_copy(update={"version": 99}))  # whatever version
    later = _checkpoint(published, _payload(10, iat=IAT + 3600), version=6)
    assert registry.accept(later)  # "still at entry 10, an hour later"
    assert _held(registry) == later.body
    earlier = _checkpoint(published, _payload(10, iat=IAT - 3600), version=7)
    assert not registry.accept(earlier)
    assert _held(registry) == later.body


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (_payload(9), "entry 9"),  # the log lost its end
        (_payload(10, HASH_B), "rewritten"),  # another entry at the same position
    ],
    ids=["behind", "beside"],
)
def test_a_checkpoint_that_goes_back_is_refused_whatever_its_version(
    registry: Registry, published: TestIssuer, payload: dict[str, Any], detail: str
) -> None:
    held = _checkpoint(published, _payload(10), version=5)
    assert registry.accept(held)
    with pytest.raises(CheckpointGoesBack) as refused:
        registry.accept(_checkpoint(published, payload, version=2**40))
    assert refused.value.status == 409
    assert detail in refused.value.detail
    assert _held(registry) == held.body


def test_a_forged_checkpoint_is_refused(registry: Registry, published: TestIssuer) -> None:
    held = _checkpoint(published, _payload(10))
    assert registry.accept(held)
    stranger = KeyPair(published.key.alg)
    with pytest.raises(UnknownKey):  # a key the issuer never published
        registry.accept(_checkpoint(TestIssuer(stranger), _payload(50), version=2))
    ours = _checkpoint(published, _payload(50), version=2).body.split(".")
    theirs = _checkpoint(TestIssuer(stranger), _payload(50), version=2).body.split(".")
    signed_by_another = held.model_copy(update={"body": f"{ours[0]}.{ours[1]}.{theirs[2]}"})
    with pytest.raises(BadSignature):  # the issuer's kid, another key's signature
        registry.accept(signed_by_another)
    kept = held.body.split(".")
    moved_on = held.model_copy(update={"body": f"{kept[0]}.{ours[1]}.{kept[2]}", "version": 3})
    with pytest.raises(BadSignature):  # the issuer's signature over another end
        registry.accept(moved_on)
    assert _held(registry) == held.body


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"typ": "vc+jwt"}, WrongType),
        ({"key": "another"}, IdentifierMismatch),
        ({"payload": _payload(10, iss="did:web:elsewhere.example")}, IdentifierMismatch),
        ({"payload": _payload(10, actor="staff:7d0c")}, InvalidPayload),  # nothing but the end
        ({"payload": _payload(0)}, InvalidPayload),
        ({"payload": _payload(10, "not-a-hash")}, InvalidPayload),
    ],
    ids=["typ", "key", "iss", "extra-field", "empty-log", "hash"],
)
def test_a_checkpoint_of_another_shape_is_refused(
    registry: Registry, published: TestIssuer, change: dict[str, Any], error: type[Exception]
) -> None:
    payload = change.get("payload", _payload(10))
    publication = _checkpoint(
        published,
        payload,
        typ=change.get("typ", AUDIT_CHECKPOINT_JWT_TYPE),
        key=change.get("key", "issuer"),
    )
    with pytest.raises(error):
        registry.accept(publication)
    assert _held(registry) is None


def test_no_checkpoint_before_the_keys(registry: Registry, test_issuer: TestIssuer) -> None:
    with pytest.raises(NoIssuerKeys):
        registry.accept(_checkpoint(test_issuer, _payload(10)))


def test_the_intake_refuses_a_checkpoint_that_goes_back_as_a_typed_problem(
    registry_client: TestClient, registry: Registry, published: TestIssuer
) -> None:
    def post(publication: Publication) -> Any:
        return registry_client.post(
            "/registry/v1/publications",
            content=publication.model_dump_json(),
            headers={
                "Authorization": f"Bearer {INTAKE_TOKEN}",
                "Content-Type": "application/json",
            },
        )

    assert post(_checkpoint(published, _payload(10), version=3)).json() == {"stored": True}
    refused = post(_checkpoint(published, _payload(8), version=4))
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"] == "/problems/checkpoint-goes-back"
    assert registry_client.get("/problems/checkpoint-goes-back").status_code == 200


def test_the_checkpoint_is_served_as_signed(
    registry_client: TestClient, registry: Registry, published: TestIssuer
) -> None:
    missing = registry_client.get("/audit/checkpoint")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    publication = _checkpoint(published, _payload(10))
    assert registry.accept(publication)
    served = registry_client.get("/audit/checkpoint")
    assert served.status_code == 200
    assert served.text == publication.body
    assert served.headers["content-type"] == "application/audit-checkpoint+jwt"
    assert served.headers["cache-control"] == "no-cache"
    assert served.headers["access-control-allow-origin"] == "*"
    again = registry_client.get(
        "/audit/checkpoint", headers={"If-None-Match": served.headers["etag"]}
    )
    assert again.status_code == 304
    schema = registry_client.get("/schemas/audit-checkpoint-v1.json")
    assert schema.status_code == 200
    assert schema.headers["content-type"] == "application/schema+json"

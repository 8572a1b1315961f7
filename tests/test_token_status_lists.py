"""Token Status Lists on their way to the registry: re-signed before they lapse, never
replaced there by an older one, refused when they are not what they say, following a
key-compromise recovery; and the SD-JWT VC issuer metadata at the path the spec gives it,
held per process so that a flood of requests for it loads no Token Status List."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from issuer.credentials import message_status, two_bit
from issuer.process import compromise
from issuer.publication import outbox
from registry import Registry, RegistryStore
from registry.answer_bytes import json_bytes
from registry.errors import WrongType
from registry.intake import read_issuer_keys
from registry.issuer_keys import IssuerKeys
from registry.token_status_lists import issuer_metadata
from registry.wallet_http import METADATA_RECHECK_SECONDS, IssuerMetadata
from schemas import sd_jwt
from schemas import token_status_list as tsl
from schemas.publication import (
    STATUS_LIST_JWT_TYPE,
    STATUS_LIST_MEDIA_TYPE,
    DocumentKind,
    Publication,
)
from tests.backoffice import BackOffice, grant, member
from tests.conftest import PASSPHRASE, FrozenClock
from tests.test_sd_jwt_vc import (
    BASE,
    _issue,
    _part,
    _publish,
    _token_status,
    _verified,
    public,
)
from tests.test_sd_jwt_vc_presented import plain_http, wallet_credential

__all__ = ["plain_http", "public"]

TTL = 300


def _sd_jwt_vc(office: BackOffice, client: TestClient) -> tuple[str, dict[str, Any]]:
    number = grant(office)["certification"]["certificate_number"]
    _publish(client)
    payload = _verified(client, sd_jwt.split(_issue(office, number)).issuer_jwt)
    _publish(client)
    return number, payload


def _served(client: TestClient, payload: dict[str, Any]) -> str:
    return client.get(payload["status"]["status_list"]["uri"].removeprefix(BASE)).text


def test_a_token_list_is_signed_again_halfway_even_unchanged(
    public: tuple[BackOffice, TestClient], clock: FrozenClock
) -> None:
    office, client = public
    _, payload = _sd_jwt_vc(office, client)
    first = _part(_served(client, payload), 1)
    assert first["exp"] - first["iat"] == 4 * TTL
    clock.advance(seconds=2 * TTL - 1)
    assert outbox.enqueue_lapsing_status_lists(office.store, clock=clock) == 0
    clock.advance(seconds=1)
    # The two Bitstring lists and the token list.
    assert outbox.enqueue_lapsing_status_lists(office.store, clock=clock) == 3
    assert outbox.enqueue_lapsing_status_lists(office.store, clock=clock) == 0  # waiting
    _publish(client)
    renewed = _part(_served(client, payload), 1)
    assert renewed["iat"] == int(clock().timestamp())
    assert renewed["exp"] == renewed["iat"] + 4 * TTL
    assert renewed["status_list"] == first["status_list"]
    assert _token_status(client, payload) == tsl.VALID


def test_the_registry_never_goes_back_to_an_older_token_list(
    public: tuple[BackOffice, TestClient], registry_store: RegistryStore, clock: FrozenClock
) -> None:
    office, client = public
    number, payload = _sd_jwt_vc(office, client)
    registry = Registry(registry_store)
    list_id = payload["status"]["status_list"]["uri"].rpartition("/")[2]
    older = registry.document(DocumentKind.TOKEN_STATUS_LIST, list_id)
    assert older is not None
    clock.advance(seconds=1)
    office.ok(
        "POST", f"/certifications/{number}/suspend", member(office, "decider"), {"reason": "x"}
    )
    _publish(client)
    newer = registry.document(DocumentKind.TOKEN_STATUS_LIST, list_id)
    assert newer is not None
    assert newer.version > older.version
    # Replayed under a higher version, the older list is still not taken.
    replay = Publication(
        kind=DocumentKind.TOKEN_STATUS_LIST, key=list_id, version=newer.version + 5, body=older.body
    )
    assert registry.accept(replay) is False
    # Nor under its own, lower version.
    assert registry.accept(replay.model_copy(update={"version": older.version})) is False
    assert _token_status(client, payload) == tsl.SUSPENDED
    # A Bitstring list credential is no Token Status List.
    bitstring = registry.documents(DocumentKind.STATUS_LIST)[0]
    with pytest.raises(WrongType):
        registry.accept(replay.model_copy(update={"body": bitstring.body}))


def test_a_key_compromise_recovery_invalidates_the_sd_jwt_vcs_of_the_replaced_certificate(
    public: tuple[BackOffice, TestClient], clock: FrozenClock
) -> None:
    office, client = public
    number, payload = _sd_jwt_vc(office, client)
    with office.store.transaction() as tx:
        active = tx.active_signing_key()
        assert active is not None
        compromise.declare(
            tx,
            kid=active.kid,
            passphrase=lambda: PASSPHRASE.encode(),
            now=clock(),
            actor="system:cli",
        )
    services = office.client.app.state.services  # type: ignore[attr-defined]
    report = compromise.run_reissue(
        office.store,
        context=services.issuance,
        clock=clock,
        entropy=office.entropy,
        actor="system:cli",
    )
    assert report.certifications == 1
    _publish(client)
    assert _token_status(client, payload) == tsl.INVALID  # verified with the new key
    fresh = _verified(client, sd_jwt.split(_issue(office, number)).issuer_jwt)
    _publish(client)
    assert fresh["status"] != payload["status"]
    assert _token_status(client, fresh) == tsl.VALID


def test_staff_fetch_the_token_list_an_sd_jwt_vc_names(
    public: tuple[BackOffice, TestClient],
) -> None:
    """``GET /api/v1/status-lists/{id}`` serves a Token Status List too, as what it is
    (``application/statuslist+jwt``), signed now from the store: the list the registry
    serves, with the same ``sub`` and entries."""
    office, client = public
    _, payload = _sd_jwt_vc(office, client)
    uri = payload["status"]["status_list"]["uri"]
    fetched = office.call(
        "GET", f"/status-lists/{uri.rpartition('/')[2]}", member(office, "registrar")
    )
    assert fetched.status_code == 200, fetched.text
    assert fetched.headers["content-type"] == STATUS_LIST_MEDIA_TYPE
    assert _part(fetched.text, 0)["typ"] == STATUS_LIST_JWT_TYPE
    claims, served = _part(fetched.text, 1), _part(_served(client, payload), 1)
    assert claims["sub"] == served["sub"] == uri
    assert claims["status_list"] == served["status_list"]


def test_both_renderings_number_the_values_alike() -> None:
    """One mechanism writes one value for both families: the token list's and the message
    list's numbers for valid, revoked (INVALID) and suspended must be the same."""
    assert (tsl.VALID, tsl.INVALID, tsl.SUSPENDED) == (
        two_bit.VALID,
        two_bit.REVOKED,
        two_bit.SUSPENDED,
    )
    assert (message_status.VALID, message_status.REVOKED, message_status.SUSPENDED) == (0, 1, 2)


def _keys(did: str) -> IssuerKeys:
    return IssuerKeys(
        did_document={"id": did}, jwks={"keys": []}, keys={}, revoked=frozenset(), method_kids={}
    )


@pytest.mark.parametrize(
    ("did", "where", "issuer"),
    [
        ("did:web:certs.example.test", "/.well-known/jwt-vc-issuer", "https://certs.example.test"),
        (
            "did:web:ex.test%3A8443:bodies:42",
            "/.well-known/jwt-vc-issuer/bodies/42",
            "https://ex.test:8443/bodies/42",
        ),
    ],
)
def test_the_issuer_metadata_goes_between_host_and_path(did: str, where: str, issuer: str) -> None:
    assert issuer_metadata(_keys(did)) == (where, {"issuer": issuer, "jwks": {"keys": []}})


def test_the_issuer_metadata_is_not_found_elsewhere_or_before_the_keys(
    public: tuple[BackOffice, TestClient],
) -> None:
    _, client = public
    missing = client.get("/.well-known/jwt-vc-issuer")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    _publish(client)
    assert client.get("/.well-known/jwt-vc-issuer").status_code == 200
    elsewhere = client.get("/.well-known/jwt-vc-issuer/tenant/1")
    assert elsewhere.status_code == 404
    assert elsewhere.json()["type"].endswith("/not-found")
    unknown = client.get("/statuslists/no-such-list")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


def _as_computed_on_every_request(registry_store: RegistryStore) -> bytes:
    """The metadata as the route computed it before it was held: the stored keys, verified,
    and the first stored Token Status List."""
    registry = Registry(registry_store)
    stored = registry.document(DocumentKind.ISSUER_KEYS, "issuer")
    assert stored is not None
    keys = read_issuer_keys(stored.body)
    lists = registry.documents(DocumentKind.TOKEN_STATUS_LIST)[:1]
    return json_bytes(issuer_metadata(keys, [d.body for d in lists])[1])


def test_a_flood_of_metadata_requests_loads_no_token_status_list(
    plain_http: tuple[BackOffice, TestClient],
    registry_store: RegistryStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The answer is what it was (the same bytes, consistent with the JWKS and the iss of
    the body's SD-JWT VCs, with an ETag and no-cache as the key documents have), but a
    request reads only the keys' ETag: lists are read at most once a recheck time."""
    office, client = plain_http
    _, issued, _ = wallet_credential(office, client)
    loads: list[str] = []
    listing = registry_store.list

    def counted(kind: str, *, limit: int = 1000) -> list[Any]:
        loads.append(kind)
        return listing(kind, limit=limit)

    monkeypatch.setattr(registry_store, "list", counted)
    started = time.monotonic()
    answers = [client.get("/.well-known/jwt-vc-issuer") for _ in range(200)]
    elapsed = time.monotonic() - started
    assert loads.count(DocumentKind.TOKEN_STATUS_LIST.value) <= 1 + int(
        elapsed / METADATA_RECHECK_SECONDS
    )
    assert {a.content for a in answers} == {_as_computed_on_every_request(registry_store)}
    body = answers[0].json()
    assert body["issuer"] == "http://127.0.0.1:8000" == _part(issued.split("~")[0], 1)["iss"]
    assert body["jwks"] == client.get("/.well-known/jwks.json").json()
    headers = answers[0].headers
    assert (headers["cache-control"], headers["access-control-allow-origin"]) == ("no-cache", "*")
    again = client.get("/.well-known/jwt-vc-issuer", headers={"if-none-match": headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")


def test_the_held_metadata_follows_another_process_s_lists_and_keys_at_once(
    plain_http: tuple[BackOffice, TestClient],
    registry_store: RegistryStore,
) -> None:
    """A process that did not store the first Token Status List itself learns its iss
    scheme within the recheck time; new keys it sees on the next request."""
    office, client = plain_http
    ticks = [0.0]
    elsewhere = IssuerMetadata(Registry(registry_store), clock=lambda: ticks[0])
    assert elsewhere.current() is None  # no keys yet
    _publish(client)
    where, before = elsewhere.current() or ("", b"")
    assert where == "/.well-known/jwt-vc-issuer"
    assert json.loads(before)["issuer"] == "https://127.0.0.1:8000"  # did:web's own word
    wallet_credential(office, client)  # stores the first list, through the app's registry
    assert elsewhere.current() == (where, before)  # held
    ticks[0] += METADATA_RECHECK_SECONDS + 0.01
    rechecked = _as_computed_on_every_request(registry_store)
    assert elsewhere.current() == (where, rechecked)
    assert json.loads(rechecked)["issuer"] == "http://127.0.0.1:8000"
    # A key rotation changes the keys' ETag: seen on the next request, without waiting.
    office.ok("POST", "/keys/rotate", member(office, "admin"), {"alg": "ES256"})
    _publish(client)
    rotated = _as_computed_on_every_request(registry_store)
    assert rotated != rechecked
    assert elsewhere.current() == (where, rotated)

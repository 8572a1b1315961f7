"""``POST /credentials/verify`` with SD-JWT VCs: enveloped as ``data:application/dc+sd-jwt``
or bare, as issued or key-bound (against ``options.challenge`` and ``options.domain``), over
the mock transport; and at the registry, with the keys it stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from schemas import sd_jwt
from schemas import token_status_list as tsl
from tests.test_vc_api import World, world
from tests.verifier.sd_jwt_tokens import SdJwtIssuer
from tests.verifier.tokens import NOW, b64, compact
from verifier import http_verifier
from verifier.fetch import HttpFetcher
from verifier.http import verification_router
from verifier.policy import TrustPolicy
from verifier.sd_jwt_vc import http_sd_jwt_verifier

__all__ = ["world"]  # the registry fixture of tests/test_vc_api.py, used here too

CHALLENGE = "n-0S6_WzA2Mj"
DOMAIN = "https://employer.example"


def client_for(issuer: SdJwtIssuer, *, sd_jwt: bool = True) -> TestClient:
    policy = TrustPolicy.trusting(issuer.iss)
    transport = httpx.MockTransport(issuer.site()[0])
    fetcher = HttpFetcher(policy, client=httpx.Client(transport=transport))
    sd_verifier = http_sd_jwt_verifier(policy, fetcher=fetcher)
    app = FastAPI()
    app.include_router(
        verification_router(
            lambda: http_verifier(policy, fetcher=fetcher),
            lambda: NOW,
            (lambda: sd_verifier) if sd_jwt else None,
        )
    )
    return TestClient(app)


def envelope(token: str, *, encoded: bool = False) -> dict[str, Any]:
    data = base64.b64encode(token.encode()).decode() if encoded else token
    media = "dc+sd-jwt;base64" if encoded else "dc+sd-jwt"
    return {
        "@context": "https://www.w3.org/ns/credentials/v2",
        "type": "EnvelopedVerifiableCredential",
        "id": f"data:application/{media},{data}",
    }


def post(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post("/credentials/verify", json=body)


@pytest.mark.parametrize("form", ["envelope", "base64", "bare"])
def test_an_sd_jwt_vc_verifies_in_every_form(form: str) -> None:
    issuer = SdJwtIssuer()
    token = issuer.issue()
    presented: Any = {
        "envelope": envelope(token),
        "base64": envelope(token, encoded=True),
        "bare": token,
    }[form]
    with client_for(issuer) as client:
        response = post(client, {"verifiableCredential": presented})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    result = response.json()
    assert result["verified"] is True, result["problemDetails"]
    assert result["verdict"] == "valid"
    assert result["vct"] == "https://certs.example/vct/certification"
    assert {"path": ["given_name"], "value": "Ana"} in result["disclosedClaims"]
    assert ["certification_number"] in result["alwaysVisibleClaims"]
    assert result["credential"]["family_name"] == "Moreau"
    assert result["keyBound"] is False


def test_a_key_bound_presentation_is_checked_against_challenge_and_domain() -> None:
    issuer = SdJwtIssuer()
    token = issuer.present(issuer.issue(), nonce=CHALLENGE, aud=DOMAIN)
    options = {"challenge": CHALLENGE, "domain": DOMAIN}
    with client_for(issuer) as client:
        result = post(client, {"verifiableCredential": envelope(token), "options": options})
        other = {"challenge": "another", "domain": DOMAIN}
        replayed = post(client, {"verifiableCredential": envelope(token), "options": other})
        unbound = post(client, {"verifiableCredential": envelope(token)})
    body = result.json()
    assert body["verified"] is True, body["problemDetails"]
    assert body["keyBound"] is True
    assert "key-binding" in body["checks"]
    assert not any("challenge" in w or "domain" in w for w in body["warnings"])
    assert "birthdate" not in body["credential"]
    refused = replayed.json()
    assert refused["verified"] is False
    assert refused["verdict"] == "invalid"
    assert refused["problemDetails"][0]["type"].endswith("#CRYPTOGRAPHIC_SECURITY_ERROR")
    assert unbound.status_code == 422
    assert unbound.json()["type"].endswith("/validation-failed")


def test_return_credential_false_leaves_the_values_out() -> None:
    issuer = SdJwtIssuer()
    with client_for(issuer) as client:
        body = post(
            client,
            {"verifiableCredential": issuer.issue(), "options": {"returnCredential": False}},
        ).json()
    assert body["verified"] is True
    assert body["credential"] is None
    assert {"path": ["birthdate"]} in body["disclosedClaims"]
    assert all("value" not in claim for claim in body["disclosedClaims"])


def test_a_revoked_sd_jwt_vc_is_a_verification_result() -> None:
    issuer = SdJwtIssuer()
    tsl.set_status(issuer.statuses, 7, tsl.INVALID, 2)
    with client_for(issuer) as client:
        response = post(client, {"verifiableCredential": envelope(issuer.issue())})
    assert response.status_code == 200
    body = response.json()
    assert (body["verified"], body["verdict"]) == (False, "revoked")
    assert body["credential"]["certification_number"] == "C-2027-0042"


def test_hostile_sd_jwts_are_results_not_500s() -> None:
    issuer = SdJwtIssuer()
    disclosure = b64(b'["c2FsdHNhbHRzYWx0c2FsdA", "x", "\\ud800"]')
    payload = issuer.claims(_sd=[sd_jwt.digest(disclosure)])
    signed = compact(
        {"alg": "ES256", "typ": "dc+sd-jwt", "kid": issuer.key.kid}, payload, issuer.key
    )
    with client_for(issuer) as client:
        for token in ("~", "a.b.c~~", f"{signed}~{disclosure}~", "x" * 200_000 + "~"):
            response = post(client, {"verifiableCredential": envelope(token)})
            assert response.status_code == 200, response.text
            assert response.json()["verified"] is False


def test_without_an_sd_jwt_verifier_an_sd_jwt_vc_is_an_unsupported_envelope() -> None:
    issuer = SdJwtIssuer()
    with client_for(issuer, sd_jwt=False) as client:
        response = post(client, {"verifiableCredential": envelope(issuer.issue())})
    assert response.status_code == 422
    assert response.json()["type"].endswith("/unsupported-envelope")


def test_the_w3c_vc_sd_jwt_envelope_is_still_not_read() -> None:
    issuer = SdJwtIssuer()
    presented = envelope(issuer.issue())
    presented["id"] = presented["id"].replace("dc+sd-jwt", "vc+sd-jwt")
    with client_for(issuer) as client:
        response = post(client, {"verifiableCredential": presented})
    assert response.status_code == 422


# --- at the registry, with the keys it stores ---------------------------------------------------


def _registry_sd_jwt(world: World, **claims: Any) -> str:
    """An SD-JWT VC signed with the issuer's current key, as issuance will sign one."""
    from issuer.credentials.keys import KeyRing
    from tests.conftest import PASSPHRASE

    world.publish()
    keyring = KeyRing(passphrase=PASSPHRASE.encode())
    with world.office.store.transaction() as tx:
        signer = keyring.signer(tx)
    now = int(world.clock().timestamp())
    payload = {
        "iss": "https://certs.example.test",
        "vct": "https://certs.example.test/vct/certification",
        "iat": now,
        "exp": now + 86_400,
        "certification_number": "C-1",
    } | claims
    header = {"alg": signer.alg.value, "typ": "dc+sd-jwt", "kid": signer.kid}
    head = b64(json.dumps(header).encode())
    body = b64(json.dumps(payload).encode())
    signature = signer.sign(f"{head}.{body}".encode())
    return f"{head}.{body}.{b64(signature)}~"


def test_the_registry_verifies_an_sd_jwt_vc_with_its_stored_keys(world: World) -> None:
    result = world.post({"verifiableCredential": envelope(_registry_sd_jwt(world))}).json()
    assert result["verified"] is True, result["problemDetails"]
    assert result["issuer"] == "https://certs.example.test"


def test_the_registry_cannot_confirm_a_token_status_list_it_does_not_hold(world: World) -> None:
    status = {"status_list": {"idx": 3, "uri": "https://certs.example.test/statuslists/1"}}
    result = world.post({"verifiableCredential": _registry_sd_jwt(world, status=status)}).json()
    assert (result["verified"], result["verdict"]) == (False, "cannot-confirm")


def test_the_registry_refuses_an_sd_jwt_vc_of_another_issuer(world: World) -> None:
    token = _registry_sd_jwt(world, iss="https://elsewhere.example")
    result = world.post({"verifiableCredential": token}).json()
    assert result["verdict"] == "invalid"
    assert result["problemDetails"][0]["type"] == "/problems/untrusted-issuer"
